//! Mainland phone numbers: mobiles (11 digits, 13–19) and landlines (area code + number).

use std::fmt;
use std::sync::OnceLock;

use super::{IdError, IdWarning, Parsed, fold_non_empty};
use crate::province::ProvinceCode;
use crate::text::is_space;

const PREFIXES: &str = include_str!("../../data/mobile_prefixes.tsv");
const REGIONS: &str = include_str!("../../data/mobile_regions.tsv");

/// The province each mobile number block (its first seven digits) was allocated in, as
/// sorted, disjoint ranges `(first, last, province)` (`data/mobile_regions.tsv`).
fn block_regions() -> &'static [(u32, u32, ProvinceCode)] {
    static T: OnceLock<Vec<(u32, u32, ProvinceCode)>> = OnceLock::new();
    T.get_or_init(|| {
        REGIONS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let mut f = l.split('\t');
                let range = (|| {
                    let first = f.next()?.parse().ok()?;
                    let last = f.next()?.parse().ok()?;
                    Some((first, last, ProvinceCode::parse(f.next()?)?))
                })();
                // The file is generated and checked by a test: a bad line is a build defect.
                range.unwrap_or_else(|| panic!("mobile_regions.tsv: bad line {l:?}"))
            })
            .collect()
    })
}

fn virtual_prefixes() -> &'static [&'static str] {
    static T: OnceLock<Vec<&'static str>> = OnceLock::new();
    T.get_or_init(|| {
        PREFIXES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split('\t').next())
            .collect()
    })
}

/// A mainland mobile number, stored as its 11 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mobile(String);

impl Mobile {
    /// Accepts `13800138000`, `+86 138-0013-8000`, `0086 13800138000`, full-width digits.
    pub fn parse(input: &str) -> Result<Parsed<Mobile>, IdError> {
        let (folded, mut warnings) = fold_non_empty(input)?;
        let mut s: String =
            folded.chars().filter(|c| !(is_space(*c) || matches!(c, '-' | '(' | ')'))).collect();
        if s.len() != folded.len() {
            warnings.push(IdWarning::SeparatorsRemoved);
        }
        for prefix in ["+86", "0086"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.to_owned();
                warnings.push(IdWarning::CountryCodeRemoved);
                break;
            }
        }
        if s.len() == 13 && s.starts_with("86") && s.as_bytes()[2] == b'1' {
            s.drain(..2);
            warnings.push(IdWarning::CountryCodeRemoved);
        }
        if s.len() != 11 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::MobileFormat);
        }
        if !(s.as_bytes()[0] == b'1' && (b'3'..=b'9').contains(&s.as_bytes()[1])) {
            return Err(IdError::MobilePrefix);
        }
        if virtual_prefixes().iter().any(|p| s.starts_with(p)) {
            warnings.push(IdWarning::MobileVirtualOperator);
        }
        Ok(Parsed { value: Mobile(s), warnings })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked for display: `138****8000`.
    pub fn masked(&self) -> String {
        crate::text::mask(&self.0, 3, 4)
    }

    /// The province the number's block was allocated in (its 归属地, kept when the owner
    /// moves or changes carrier), when the data places it.
    pub fn allocated_in(&self) -> Option<ProvinceCode> {
        let block: u32 = self.0[..7].parse().ok()?;
        let table = block_regions();
        let i = table.partition_point(|r| r.1 < block);
        table.get(i).filter(|r| r.0 <= block).map(|r| r.2)
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

/// A landline number: area code (010, 02x or 0xxx), local number of 7–8 digits and an
/// optional extension. Normalized as `010-12345678` or `0571-8888888-123`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Landline {
    area: String,
    local: String,
    extension: Option<String>,
}

impl Landline {
    pub fn parse(input: &str) -> Result<Parsed<Landline>, IdError> {
        let (folded, mut warnings) = fold_non_empty(input)?;
        let mut s = folded.replace(['(', ')'], "-");
        for prefix in ["+86-", "+86", "0086-", "0086"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                // International form drops the trunk 0: +86 10 1234 5678.
                s = format!("0{}", rest.trim_start_matches(['-', ' ']));
                warnings.push(IdWarning::CountryCodeRemoved);
                break;
            }
        }
        // Split off an extension written as 转123, ext.123, x123 or #123.
        let mut extension = None;
        for marker in ["转", "ext.", "ext", "x", "#"] {
            if let Some(i) = s.to_ascii_lowercase().find(marker) {
                let ext: String =
                    s[i + marker.len()..].chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
                if ext.is_empty() || ext.len() > 6 || !ext.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdError::LandlineFormat);
                }
                extension = Some(ext);
                s.truncate(i);
                break;
            }
        }
        let groups: Vec<&str> =
            s.split(|c: char| c == '-' || is_space(c)).filter(|g| !g.is_empty()).collect();
        if groups.iter().any(|g| !g.bytes().all(|b| b.is_ascii_digit())) {
            return Err(IdError::LandlineFormat);
        }
        let digits: String = groups.concat();
        if !digits.starts_with('0') {
            return Err(IdError::LandlineFormat);
        }
        // Area codes: 010 and 02x have three digits, all others four.
        let area_len = if digits.starts_with("01") || digits.starts_with("02") { 3 } else { 4 };
        // A trailing group after area+local is an extension written with a hyphen.
        let (main, hyphen_ext) = match groups.as_slice() {
            [a, l, e] if a.len() == area_len && (7..=8).contains(&l.len()) && extension.is_none() => {
                (format!("{a}{l}"), Some((*e).to_owned()))
            }
            _ => (digits, None),
        };
        if let Some(e) = hyphen_ext {
            if e.len() > 6 {
                return Err(IdError::LandlineFormat);
            }
            extension = Some(e);
        }
        if main.len() < area_len + 7 || main.len() > area_len + 8 {
            return Err(IdError::LandlineFormat);
        }
        let (area, local) = main.split_at(area_len);
        if local.starts_with(['0', '1']) {
            return Err(IdError::LandlineFormat);
        }
        Ok(Parsed { value: Landline { area: area.to_owned(), local: local.to_owned(), extension }, warnings })
    }

    /// The area code with its leading 0 (`010`, `0571`).
    pub fn area_code(&self) -> &str {
        &self.area
    }
}

impl fmt::Display for Landline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.area, self.local)?;
        if let Some(e) = &self.extension {
            write!(f, "-{e}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Landline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Landline({}-{})", self.area, crate::text::mask(&self.local, 0, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn block_regions_are_sorted_disjoint_mobile_blocks() {
        let t = block_regions();
        assert!(t.len() > 5_000, "{}", t.len());
        for w in t.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0, "{:?} then {:?}", w[0], w[1]);
        }
        assert!(t.iter().all(|r| (1_300_000..2_000_000).contains(&r.0) && r.1 < 2_000_000));
    }

    #[test]
    fn a_mobile_knows_where_its_block_was_allocated() {
        let at = |m: &str| Mobile::parse(m).unwrap().value.allocated_in().map(|p| p.to_string());
        // The example numbers of carriers' own pages, and blocks of each province asked for.
        assert_eq!(at("13800138000").as_deref(), Some("11"));
        assert_eq!(at("+86 139 0731 1234").as_deref(), Some("43"));
        assert_eq!(at("13951234567").as_deref(), Some("32"));
        assert_eq!(at("13575712345").as_deref(), Some("33"));
        // A virtual-operator block is not placed: nothing is claimed about it.
        assert_eq!(at("17012345678"), None);
    }

    #[test]
    fn mobiles() {
        for (input, expected) in [
            ("13800138000", "13800138000"),
            ("+86 138-0013-8000", "13800138000"),
            ("0086 13800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("１３８００１３８０００", "13800138000"),
            ("19912345678", "19912345678"),
        ] {
            assert_eq!(Mobile::parse(input).unwrap().value.as_str(), expected, "{input}");
        }
        assert_eq!(Mobile::parse("12800138000").unwrap_err(), IdError::MobilePrefix);
        assert_eq!(Mobile::parse("1380013800").unwrap_err(), IdError::MobileFormat);
        assert_eq!(Mobile::parse("138001380001").unwrap_err(), IdError::MobileFormat);
        assert_eq!(Mobile::parse("1380013800a").unwrap_err(), IdError::MobileFormat);
        assert_eq!(Mobile::parse("  ").unwrap_err(), IdError::Empty);
        assert!(Mobile::parse("17012345678").unwrap().warnings.contains(&IdWarning::MobileVirtualOperator));
        assert_eq!(format!("{:?}", Mobile::parse("13800138000").unwrap().value), "Mobile(138****8000)");
    }

    #[test]
    fn landlines() {
        for (input, expected) in [
            ("010-62345678", "010-62345678"),
            ("01062345678", "010-62345678"),
            ("(0571)88888888", "0571-88888888"),
            ("0571-8888888", "0571-8888888"),
            ("0755 8888 8888", "0755-88888888"),
            ("+86 10 62345678", "010-62345678"),
            ("010-62345678转123", "010-62345678-123"),
            ("010-62345678-123", "010-62345678-123"),
            ("０１０－６２３４５６７８", "010-62345678"),
        ] {
            assert_eq!(
                Landline::parse(input).map(|p| p.value.to_string()),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        for bad in [
            "62345678",
            "010-1234",
            "010-12345678",
            "010-623456789",
            "010-02345678",
            "0571-abc",
            "010-62345678转",
            "",
        ] {
            assert!(Landline::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn generated_mobiles_round_trip(second in 3u8..=9, rest in "[0-9]{9}") {
            let m = format!("1{second}{rest}");
            prop_assert_eq!(Mobile::parse(&m).unwrap().value.to_string(), m.clone());
            let spaced = format!("+86 {} {} {}", &m[..3], &m[3..7], &m[7..]);
            prop_assert_eq!(Mobile::parse(&spaced).unwrap().value.to_string(), m);
        }

        #[test]
        fn generated_landlines_round_trip(area in "0(10|2[0-9]|[3-9][0-9]{2})", local in "[2-9][0-9]{6,7}") {
            let n = format!("{area}-{local}");
            prop_assert_eq!(Landline::parse(&n).unwrap().value.to_string(), n.clone());
            let spaced = format!("({area}) {local}");
            prop_assert_eq!(Landline::parse(&spaced).unwrap().value.to_string(), n);
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = Mobile::parse(&s);
            let _ = Landline::parse(&s);
        }
    }
}
