//! Resident identity numbers (居民身份证号码, GB 11643-1999), including the residence
//! permits of Hong Kong, Macau and Taiwan residents (prefixes 810000/820000/830000), which use
//! the same layout and check.

use std::fmt;

use time::{Date, Month};

use super::{FoldError, IdError, IdWarning, Parsed, fold_into};
use crate::division::divisions;

/// Weights 2^(18-i) mod 11 for positions 1..=17 (ISO 7064 MOD 11-2).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character by remainder.
const CHECK: [u8; 11] = *b"10X98765432";

/// An 18-character resident ID number whose check character, birth date and region are valid.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResidentId {
    // Invariant: 17 ASCII digits then a digit or 'X', with a correct check character,
    // a real birth date not after the day it was parsed, and a known region code.
    raw: [u8; 18],
}

/// Sex encoded by the sequence number's parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl ResidentId {
    /// Parses and fully checks a resident ID as of `today` (for the not-in-the-future rule).
    pub fn parse(input: &str, today: Date) -> Result<Parsed<ResidentId>, IdError> {
        let mut raw = [0u8; 18];
        let mut warnings = Vec::new();
        let bytes = input.as_bytes();
        // Fast path for the common case, already canonical: skips char-by-char folding.
        let canonical = bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
        let n = if canonical {
            raw.copy_from_slice(bytes);
            18
        } else {
            match fold_into(input, &mut raw, &mut warnings, false) {
                Ok(n) => n,
                Err(FoldError::NonAscii { pos }) => return Err(IdError::ResidentIdChar { pos }),
                Err(FoldError::TooLong { len }) => return Err(IdError::ResidentIdLength { len }),
            }
        };
        if n == 0 {
            return Err(IdError::Empty);
        }
        if n == 15 && raw[..15].iter().all(u8::is_ascii_digit) {
            return Err(IdError::ResidentIdLegacy15);
        }
        if n != 18 {
            return Err(IdError::ResidentIdLength { len: n });
        }
        if let Some(i) = raw[..17].iter().position(|b| !b.is_ascii_digit()) {
            return Err(IdError::ResidentIdChar { pos: i + 1 });
        }
        if !(raw[17].is_ascii_digit() || raw[17] == b'X') {
            return Err(IdError::ResidentIdChar { pos: 18 });
        }
        let expected = check_char(&raw);
        if raw[17] != expected {
            return Err(IdError::ResidentIdChecksum { expected: expected as char });
        }
        let num =
            |r: std::ops::Range<usize>| raw[r].iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        let (year, month, day) = (num(6..10), num(10..12), num(12..14));
        if year < 1800 {
            return Err(IdError::ResidentIdBirthTooOld);
        }
        let birth = Month::try_from(month as u8)
            .ok()
            .and_then(|m| Date::from_calendar_date(year as i32, m, day as u8).ok())
            .ok_or(IdError::ResidentIdBirthDate)?;
        if birth > today {
            return Err(IdError::ResidentIdBirthFuture);
        }
        let region = num(0..6);
        let table = divisions();
        if !table.contains(region) {
            return Err(IdError::ResidentIdRegion { code: region });
        }
        if !table.is_current(region) {
            warnings.push(IdWarning::ResidentIdHistoricRegion);
        }
        Ok(Parsed { value: ResidentId { raw }, warnings })
    }

    /// Whether 18 bytes carry a correct MOD 11-2 check character (used to guess kinds).
    pub fn checksum_ok(bytes: &[u8]) -> bool {
        bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && bytes[17].to_ascii_uppercase() == check_char(bytes)
    }

    /// The normalized 18 characters.
    pub fn as_str(&self) -> &str {
        // Invariant: ASCII only.
        std::str::from_utf8(&self.raw).expect("ASCII")
    }

    /// Six-digit region code of the issuing county (may be historic).
    pub fn region_code(&self) -> u32 {
        self.raw[..6].iter().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    }

    /// The birth date.
    pub fn birth_date(&self) -> Date {
        let num = |r: std::ops::Range<usize>| {
            self.raw[r].iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
        };
        let month = Month::try_from(num(10..12) as u8).expect("checked at parse");
        Date::from_calendar_date(num(6..10) as i32, month, num(12..14) as u8).expect("checked at parse")
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: Date) -> u32 {
        let b = self.birth_date();
        let mut age = day.year() - b.year();
        if (day.month() as u8, day.day()) < (b.month() as u8, b.day()) {
            age -= 1;
        }
        age.max(0) as u32
    }

    /// Sex from the parity of the 17th digit.
    pub fn sex(&self) -> Sex {
        if (self.raw[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// Whether this is a Hong Kong, Macau or Taiwan residents' residence permit number.
    pub fn is_residence_permit(&self) -> bool {
        matches!(&self.raw[..6], b"810000" | b"820000" | b"830000")
    }

    /// The last six characters, which MIIT's SMS verification asks for.
    pub fn last_six(&self) -> &str {
        &self.as_str()[12..]
    }

    /// Masked for display: `110***********002X`.
    pub fn masked(&self) -> String {
        crate::text::mask(self.as_str(), 3, 4)
    }
}

#[inline]
fn check_char(bytes: &[u8]) -> u8 {
    let mut sum = 0u32;
    for i in 0..17 {
        sum += u32::from(bytes[i].wrapping_sub(b'0')) * WEIGHTS[i];
    }
    CHECK[(sum % 11) as usize]
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Redacting: a resident ID never reaches a log in full.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

/// Computes the check character for 17 digits (used by tests and generators).
pub fn check_char_for(first17: &[u8; 17]) -> char {
    let mut buf = [0u8; 18];
    buf[..17].copy_from_slice(first17);
    check_char(&buf) as char
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Problem;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 28);

    fn parse(s: &str) -> Result<Parsed<ResidentId>, IdError> {
        ResidentId::parse(s, TODAY)
    }

    #[test]
    fn public_valid_examples() {
        // rules.md §6.1
        for id in [
            "11010519491231002X",
            "440524188001010014",
            "11010219840406970X",
            "53010219200508011X",
            "810000199408230021",
            "830000199201300022",
        ] {
            assert!(parse(id).is_ok(), "{id}: {:?}", parse(id));
        }
    }

    #[test]
    fn public_invalid_examples() {
        for (id, expected) in [
            ("110105194912310021", 'X'),
            ("440524189001010014", '9'),
            ("11020519491231002X", '5'),
            ("11010219840506970X", '1'),
            ("15000019970319128X", '2'),
        ] {
            assert_eq!(parse(id).unwrap_err(), IdError::ResidentIdChecksum { expected }, "{id}");
        }
    }

    #[test]
    fn exposes_birth_sex_region() {
        let id = parse("11010519491231002X").unwrap().value;
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region_code(), 110105);
        assert_eq!(id.age_on(TODAY), 76);
        assert_eq!(id.last_six(), "31002X");
        assert!(!id.is_residence_permit());
        assert!(parse("810000199408230021").unwrap().value.is_residence_permit());
        let man = parse("440524188001010014").unwrap().value;
        assert_eq!(man.sex(), Sex::Male);
    }

    #[test]
    fn historic_region_is_valid_with_a_note() {
        // 440524 潮阳县 was abolished in 1993.
        let p = parse("440524188001010014").unwrap();
        assert_eq!(p.warnings, [IdWarning::ResidentIdHistoricRegion]);
    }

    #[test]
    fn normalizes_full_width_lower_case_and_spaces() {
        let p = parse(" １１０１０５ 19491231 002x ").unwrap();
        assert_eq!(p.value.as_str(), "11010519491231002X");
        assert!(p.warnings.contains(&IdWarning::FullWidthFolded));
        assert!(p.warnings.contains(&IdWarning::LowercaseFolded));
        assert!(p.warnings.contains(&IdWarning::SeparatorsRemoved));
    }

    #[test]
    fn legacy_15_digit_gets_its_own_error() {
        let e = parse("110105491231002").unwrap_err();
        assert_eq!(e, IdError::ResidentIdLegacy15);
        assert_eq!(e.code(), "RESIDENT_ID_LEGACY_15");
    }

    #[test]
    fn rejects_bad_shape_date_future_and_region() {
        assert_eq!(parse("").unwrap_err(), IdError::Empty);
        assert_eq!(parse("1101051949123100").unwrap_err(), IdError::ResidentIdLength { len: 16 });
        assert_eq!(parse("11010519491231002X1").unwrap_err(), IdError::ResidentIdLength { len: 19 });
        assert_eq!(parse("1101051949123100AX").unwrap_err(), IdError::ResidentIdChar { pos: 17 });
        assert_eq!(parse("11010519491231002号").unwrap_err(), IdError::ResidentIdChar { pos: 18 });
        // Feb 30th with a correct check digit.
        let feb30 = with_check("11010519490230002");
        assert_eq!(parse(&feb30).unwrap_err(), IdError::ResidentIdBirthDate);
        // Born tomorrow.
        let future = with_check("11010520261129002");
        assert_eq!(parse(&future).unwrap_err(), IdError::ResidentIdBirthFuture);
        let today = with_check("11010520261128002");
        assert!(parse(&today).is_ok());
        let old = with_check("11010517991231002");
        assert_eq!(parse(&old).unwrap_err(), IdError::ResidentIdBirthTooOld);
        let region = with_check("99010519491231002");
        assert_eq!(parse(&region).unwrap_err(), IdError::ResidentIdRegion { code: 990105 });
        // Leap day.
        assert!(parse(&with_check("11010520000229002")).is_ok());
        assert_eq!(parse(&with_check("11010519000229002")).unwrap_err(), IdError::ResidentIdBirthDate);
    }

    #[test]
    fn debug_is_masked() {
        let id = parse("11010519491231002X").unwrap().value;
        assert_eq!(format!("{id:?}"), "ResidentId(110***********002X)");
    }

    fn with_check(first17: &str) -> String {
        let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
        format!("{first17}{}", check_char_for(&b))
    }

    fn valid_id() -> impl Strategy<Value = String> {
        let regions: Vec<u32> = divisions().iter().map(|d| d.code).collect();
        (proptest::sample::select(regions), 1900i32..2026, 1u8..=12, 1u8..=28, 0u32..1000)
            .prop_map(|(region, y, m, d, seq)| with_check(&format!("{region:06}{y:04}{m:02}{d:02}{seq:03}")))
    }

    proptest! {
        #[test]
        fn generated_valid_ids_round_trip(id in valid_id()) {
            let p = parse(&id).unwrap();
            prop_assert_eq!(p.value.as_str(), id.as_str());
            let again = parse(p.value.as_str()).unwrap();
            prop_assert_eq!(again.value, p.value);
        }

        #[test]
        fn any_single_character_change_is_caught(id in valid_id(), pos in 0usize..18, delta in 1u8..11) {
            // MOD 11-2 catches every single substitution: change one position to another
            // character of the alphabet and the check fails (or the shape does).
            let alphabet = b"0123456789X";
            let mut bytes = id.into_bytes();
            let old = alphabet.iter().position(|&c| c == bytes[pos]).unwrap();
            let new = alphabet[(old + delta as usize) % 11];
            prop_assume!(pos == 17 || new != b'X');
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
        }
    }
}
