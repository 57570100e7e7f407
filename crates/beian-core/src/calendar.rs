//! The working-day calendar: China's public holidays (放假) and make-up working days (调休上班),
//! one entry per year, each with the State Council notice it comes from.
//!
//! Every SLA clock and the three working days a domain's real-name data needs to reach MIIT are
//! counted here. The State Council publishes the next year's schedule each November, so the
//! calendar always runs out: the built-in years come from `data/holidays.toml`, and an
//! administrator adds a year when its notice appears (the app keeps those beside the built-in
//! ones). What this module must never do is count a day of a year it has no entry for as if it
//! knew it: [`Calendar::add_working_days`] says which year it counted by weekends alone, and
//! [`Calendar::covers_until`] says when the data ends.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Weekday};

use crate::message::{Lang, Problem, say};

const HOLIDAYS: &str = include_str!("../data/holidays.toml");

/// Years an entry may be given for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// One year's schedule as it is written down (the built-in file, the admin API): inclusive
/// ranges of days off and single make-up working days, as `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct YearEntry {
    pub year: i32,
    /// Inclusive ranges of days off (`[["2027-01-01", "2027-01-03"], …]`). A range may start
    /// in the last days of the year before (元旦 often does).
    pub holidays: Vec<[String; 2]>,
    /// Saturdays and Sundays that are working days.
    pub workdays: Vec<String>,
    /// The notice the dates come from (`国务院办公厅关于2027年部分节假日安排的通知`).
    pub source: String,
    /// The day the notice was read, `YYYY-MM-DD`.
    pub read_on: String,
}

/// Why a year's entry was refused, with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarProblem {
    YearOutOfRange,
    NotADate { field: String, value: String },
    RangeInvalid { field: String },
    OutsideYear { field: String },
    WorkdayNotWeekend { field: String, value: String },
    SourceMissing,
}

impl CalendarProblem {
    /// The field of the entry this problem concerns (`holidays[2]`, `workdays[0]`, `source`).
    pub fn field(&self) -> &str {
        match self {
            CalendarProblem::YearOutOfRange => "year",
            CalendarProblem::NotADate { field, .. }
            | CalendarProblem::RangeInvalid { field }
            | CalendarProblem::OutsideYear { field }
            | CalendarProblem::WorkdayNotWeekend { field, .. } => field,
            CalendarProblem::SourceMissing => "source",
        }
    }
}

impl Problem for CalendarProblem {
    fn code(&self) -> &'static str {
        match self {
            CalendarProblem::YearOutOfRange => "CALENDAR_YEAR_INVALID",
            CalendarProblem::NotADate { .. } => "CALENDAR_DATE_INVALID",
            CalendarProblem::RangeInvalid { .. } => "CALENDAR_RANGE_INVALID",
            CalendarProblem::OutsideYear { .. } => "CALENDAR_DATE_OUTSIDE_YEAR",
            CalendarProblem::WorkdayNotWeekend { .. } => "CALENDAR_WORKDAY_NOT_WEEKEND",
            CalendarProblem::SourceMissing => "CALENDAR_SOURCE_MISSING",
        }
    }

    fn message(&self, lang: Lang) -> String {
        let args = match self {
            CalendarProblem::NotADate { value, .. } | CalendarProblem::WorkdayNotWeekend { value, .. } => {
                vec![("value", value.clone())]
            }
            _ => Vec::new(),
        };
        say(lang, &format!("calendar.{}", self.code()), &args)
    }
}

/// One year's days, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    pub entry: YearEntry,
    holidays: Vec<Date>,
    workdays: Vec<Date>,
}

fn day(field: &str, s: &str) -> Result<Date, CalendarProblem> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), format)
        .map_err(|_| CalendarProblem::NotADate { field: field.to_owned(), value: s.to_owned() })
}

impl YearEntry {
    /// Checks the entry: real dates, ranges that run forwards for at most 31 days, every date in
    /// the year (a holiday may start in the December before), make-up days on weekends, and a
    /// named source. Returns every problem, not just the first.
    pub fn check(self) -> Result<Year, Vec<CalendarProblem>> {
        let mut problems = Vec::new();
        if !YEARS.contains(&self.year) {
            return Err(vec![CalendarProblem::YearOutOfRange]);
        }
        if self.source.trim().is_empty() || day("read_on", &self.read_on).is_err() {
            problems.push(CalendarProblem::SourceMissing);
        }
        let first = Date::from_calendar_date(self.year - 1, Month::December, 1).expect("in range");
        let last = Date::from_calendar_date(self.year, Month::December, 31).expect("in range");
        let (mut holidays, mut workdays) = (Vec::new(), Vec::new());
        for (i, [from, to]) in self.holidays.iter().enumerate() {
            let field = format!("holidays[{i}]");
            let (from, to) = match (day(&field, from), day(&field, to)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => {
                    problems.push(e);
                    continue;
                }
            };
            if to < from || (to - from).whole_days() > 30 {
                problems.push(CalendarProblem::RangeInvalid { field });
            } else if from < first || to > last || to.year() != self.year {
                problems.push(CalendarProblem::OutsideYear { field });
            } else {
                let mut d = from;
                while d <= to {
                    holidays.push(d);
                    d += Duration::days(1);
                }
            }
        }
        for (i, w) in self.workdays.iter().enumerate() {
            let field = format!("workdays[{i}]");
            match day(&field, w) {
                Err(e) => problems.push(e),
                Ok(d) if d.year() != self.year && !(d >= first && d.month() == Month::December) => {
                    problems.push(CalendarProblem::OutsideYear { field })
                }
                Ok(d) if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) => {
                    problems.push(CalendarProblem::WorkdayNotWeekend { field, value: w.clone() })
                }
                Ok(d) => workdays.push(d),
            }
        }
        if problems.is_empty() { Ok(Year { entry: self, holidays, workdays }) } else { Err(problems) }
    }
}

#[derive(Deserialize)]
struct CalendarFile {
    year: Vec<YearEntry>,
}

/// The years on file. Years are independent entries: a later entry for the same year replaces
/// the earlier one (an administrator's correction of a built-in year).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

/// A date counted in working days, with the first year the count crossed that has no entry
/// (its days were counted by weekends alone, so the date may be early).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub date: Date,
    pub year_without_calendar: Option<i32>,
}

impl Calendar {
    /// Parses `data/holidays.toml`-shaped text; an error names the year and field.
    pub fn from_toml(text: &str) -> Result<Calendar, String> {
        let file: CalendarFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut cal = Calendar::default();
        for entry in file.year {
            let year = entry.year;
            let checked = entry.check().map_err(|problems| {
                let p = &problems[0];
                format!("year {year}, {}: {}", p.field(), p.message(Lang::En))
            })?;
            cal.insert(checked);
        }
        Ok(cal)
    }

    /// The calendar compiled into this build.
    pub fn builtin() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(|| Calendar::from_toml(HOLIDAYS).expect("built-in holiday data is valid (tested)"))
    }

    /// Adds or replaces a year.
    pub fn insert(&mut self, year: Year) {
        self.years.insert(year.entry.year, year);
    }

    /// The years on file, in order.
    pub fn years(&self) -> impl Iterator<Item = &Year> {
        self.years.values()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The last day the calendar knows without a gap from its first year: 31 December of the
    /// last year of the first unbroken run. `None` when empty.
    pub fn covers_until(&self) -> Option<Date> {
        let mut years = self.years.keys();
        let mut last = *years.next()?;
        for &y in years {
            if y != last + 1 {
                break;
            }
            last = y;
        }
        Date::from_calendar_date(last, Month::December, 31).ok()
    }

    /// Every day off, of every year (for the rule engine's context).
    pub fn holidays(&self) -> Vec<Date> {
        self.years.values().flat_map(|y| y.holidays.iter().copied()).collect()
    }

    /// Every make-up working day, of every year.
    pub fn workdays(&self) -> Vec<Date> {
        self.years.values().flat_map(|y| y.workdays.iter().copied()).collect()
    }

    /// Whether `d` is a working day; `None` when its year has no entry.
    pub fn is_working_day(&self, d: Date) -> Option<bool> {
        let this = self.years.get(&d.year())?;
        // The New Year holiday of the following year's entry may hold late-December days.
        let next = self.years.get(&(d.year() + 1));
        let listed = |pick: fn(&Year) -> &[Date]| {
            pick(this).contains(&d) || next.is_some_and(|n| pick(n).contains(&d))
        };
        let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        Some(listed(|y| &y.workdays) || (!weekend && !listed(|y| &y.holidays)))
    }

    /// The date `n` working days after `from`. Days of a year with no entry count by weekends
    /// alone, and the first such year is returned with the date, so that a caller can say so.
    pub fn add_working_days(&self, from: Date, n: u32) -> Due {
        let mut d = from;
        let mut left = n;
        let mut missing = None;
        while left > 0 {
            d += Duration::days(1);
            let working = match self.is_working_day(d) {
                Some(w) => w,
                None => {
                    missing.get_or_insert(d.year());
                    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
                }
            };
            if working {
                left -= 1;
            }
        }
        Due { date: d, year_without_calendar: missing }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn entry(year: i32, holidays: &[[&str; 2]], workdays: &[&str]) -> YearEntry {
        YearEntry {
            year,
            holidays: holidays.iter().map(|[a, b]| [a.to_string(), b.to_string()]).collect(),
            workdays: workdays.iter().map(|s| s.to_string()).collect(),
            source: "国务院办公厅关于部分节假日安排的通知".into(),
            read_on: "2026-12-06".into(),
        }
    }

    #[test]
    fn counts_working_days_like_the_state_council() {
        let cal = Calendar::builtin();
        assert_eq!(cal.is_working_day(date!(2026 - 10 - 01)), Some(false));
        assert_eq!(cal.is_working_day(date!(2026 - 10 - 10)), Some(true), "a make-up Saturday");
        // Three working days after Wednesday 30 September 2026: the holiday runs to 7 October,
        // so they are 8, 9 and 10 October (a make-up Saturday).
        let due = cal.add_working_days(date!(2026 - 09 - 30), 3);
        assert_eq!(due, Due { date: date!(2026 - 10 - 10), year_without_calendar: None });
    }

    #[test]
    fn a_count_into_a_year_without_data_names_that_year() {
        let cal = Calendar::builtin();
        assert!(!cal.has_year(2027), "add 2027 here and in the test once its notice is on file");
        assert_eq!(cal.covers_until(), Some(date!(2026 - 12 - 31)));
        // Thirty working days from 1 December 2026 run into January 2027.
        let due = cal.add_working_days(date!(2026 - 12 - 01), 30);
        assert_eq!(due.year_without_calendar, Some(2027));
        // Adding the year answers without the warning, and its New Year holiday counts.
        let mut cal = cal.clone();
        cal.insert(entry(2027, &[["2027-01-01", "2027-01-03"]], &[]).check().unwrap());
        let with = cal.add_working_days(date!(2026 - 12 - 30), 2);
        assert_eq!(with, Due { date: date!(2027 - 01 - 04), year_without_calendar: None });
        assert_eq!(cal.covers_until(), Some(date!(2027 - 12 - 31)));
    }

    #[test]
    fn a_new_year_holiday_may_start_in_december_and_counts_there() {
        let mut cal = Calendar::default();
        cal.insert(entry(2022, &[], &[]).check().unwrap());
        cal.insert(entry(2023, &[["2022-12-31", "2023-01-02"]], &[]).check().unwrap());
        // Friday 30 December 2022 + 1 working day is Tuesday 3 January 2023.
        assert_eq!(cal.add_working_days(date!(2022 - 12 - 30), 1).date, date!(2023 - 01 - 03));
    }

    #[test]
    fn bad_entries_name_every_field() {
        let e = entry(2027, &[["2027-02-30", "2027-03-01"], ["2027-05-05", "2027-05-01"]], &["2027-01-06"]);
        let codes: Vec<(String, &str)> =
            e.check().unwrap_err().iter().map(|p| (p.field().to_owned(), p.code())).collect();
        assert_eq!(
            codes,
            [
                ("holidays[0]".to_owned(), "CALENDAR_DATE_INVALID"),
                ("holidays[1]".to_owned(), "CALENDAR_RANGE_INVALID"),
                ("workdays[0]".to_owned(), "CALENDAR_WORKDAY_NOT_WEEKEND"),
            ]
        );
        let far = entry(2027, &[["2026-10-01", "2026-10-07"]], &[]);
        assert_eq!(far.check().unwrap_err()[0].code(), "CALENDAR_DATE_OUTSIDE_YEAR");
        let mut unsourced = entry(2027, &[], &[]);
        unsourced.source = " ".into();
        assert_eq!(unsourced.check().unwrap_err()[0].field(), "source");
        assert_eq!(entry(1999, &[], &[]).check().unwrap_err()[0].code(), "CALENDAR_YEAR_INVALID");
    }

    proptest! {
        /// Counting never lands on a day off, takes exactly n working days, and with no
        /// holidays at all agrees with a plain weekday count.
        #[test]
        fn working_day_counts_are_exact(offset in 0i64..700, n in 0u32..60) {
            let cal = Calendar::builtin();
            let from = date!(2026 - 01 - 01) + Duration::days(offset);
            let due = cal.add_working_days(from, n);
            let counted = (1..=(due.date - from).whole_days())
                .filter(|&k| {
                    let d = from + Duration::days(k);
                    cal.is_working_day(d).unwrap_or(!matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
                })
                .count() as u32;
            prop_assert_eq!(counted, n);
            if n > 0 {
                let last = cal.is_working_day(due.date)
                    .unwrap_or(!matches!(due.date.weekday(), Weekday::Saturday | Weekday::Sunday));
                prop_assert!(last);
            }
            prop_assert_eq!(due.year_without_calendar.is_some(), n > 0 && due.date.year() > 2026);
        }
    }
}
