//! The hours a bureau takes uploads in (code 20, "不在允许的上传时间段内"): the bureau sets
//! them per provider, and the provider keeps to them rather than be refused.

/// A daily window, China time (UTC+8), in minutes after midnight: `from` included, `to` not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub from: u16,
    pub to: u16,
}

const MINUTE_US: i64 = 60_000_000;
const DAY_MINUTES: i64 = 24 * 60;
/// China time is UTC+8, with no daylight saving.
const OFFSET_MINUTES: i64 = 8 * 60;

impl Hours {
    /// `08:00-18:00`.
    pub fn parse(s: &str) -> Option<Hours> {
        let (a, b) = s.trim().split_once('-')?;
        let minutes = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (from, to) = (minutes(a)?, minutes(b)?);
        (from < to).then_some(Hours { from, to })
    }

    /// The minute of the China day at `now` (unix microseconds).
    fn minute(now: i64) -> i64 {
        (now.div_euclid(MINUTE_US) + OFFSET_MINUTES).rem_euclid(DAY_MINUTES)
    }

    /// Whether `now` (unix microseconds) falls in the hours.
    pub fn contain(&self, now: i64) -> bool {
        (i64::from(self.from)..i64::from(self.to)).contains(&Self::minute(now))
    }

    /// When the window next opens at or after `now` (unix microseconds; `now` itself when it
    /// is open).
    pub fn next_open(&self, now: i64) -> i64 {
        if self.contain(now) {
            return now;
        }
        let minute = Self::minute(now);
        let from = i64::from(self.from);
        let wait = if minute < from { from - minute } else { DAY_MINUTES - minute + from };
        // Start of the current minute, plus the wait.
        now.div_euclid(MINUTE_US) * MINUTE_US + wait * MINUTE_US
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}-{:02}:{:02}", self.from / 60, self.from % 60, self.to / 60, self.to % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-07 00:00 China time, in unix microseconds.
    const MIDNIGHT: i64 = 1_796_572_800 * 1_000_000;

    fn at(h: i64, m: i64) -> i64 {
        MIDNIGHT + (h * 60 + m) * MINUTE_US
    }

    #[test]
    fn hours_parse_and_print() {
        assert_eq!(Hours::parse(" 08:00-18:30 "), Some(Hours { from: 480, to: 1110 }));
        assert_eq!(Hours::parse("08:00-18:30").unwrap().to_string(), "08:00-18:30");
        for bad in ["", "8-18", "18:00-08:00", "24:00-25:00", "08:60-09:00", "08:00"] {
            assert_eq!(Hours::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_window_opens_today_or_tomorrow() {
        let h = Hours::parse("08:00-18:00").unwrap();
        assert!(
            !h.contain(at(7, 59)) && h.contain(at(8, 0)) && h.contain(at(17, 59)) && !h.contain(at(18, 0))
        );
        assert_eq!(h.next_open(at(3, 0) + 17), at(8, 0));
        assert_eq!(h.next_open(at(9, 30)), at(9, 30));
        assert_eq!(h.next_open(at(18, 0) + 5), at(24 + 8, 0));
        assert_eq!(h.next_open(at(23, 59)), at(24 + 8, 0));
    }
}
