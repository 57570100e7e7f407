//! The 31 provincial units that issue filings, and their number prefixes.
//!
//! ICP filing numbers use MIIT's one-character prefixes; public-security numbers use the
//! PSB's, which differ for Sichuan (蜀 vs 川), Guizhou (黔 vs 贵) and Gansu (陇 vs 甘). The
//! table is data (`data/provinces.tsv`) with its source. Hong Kong, Macau and Taiwan are not
//! filing provinces; they only appear as residence-permit ID prefixes.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const DATA: &str = include_str!("../data/provinces.tsv");

/// A provincial unit that runs a communications administration (管局).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Province {
    /// GB/T 2260 two-digit code.
    pub code: ProvinceCode,
    /// Full name, `四川省`.
    pub name: &'static str,
    /// Short name, `四川`.
    pub short_name: &'static str,
    /// English name, `Sichuan`.
    pub name_en: &'static str,
    /// Prefix of ICP filing and licence numbers, `蜀`.
    pub icp_prefix: char,
    /// Prefix of public-security filing numbers, `川`.
    pub psb_prefix: char,
    /// Whether the PSB prefix has been seen on real numbers (rules.md §4.4).
    pub psb_prefix_confirmed: bool,
}

/// A GB/T 2260 two-digit province code that is one of the 31 filing provinces.
/// Serialized as the two-digit string (`"33"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProvinceCode(u8);

impl ProvinceCode {
    /// Accepts a filing province's two-digit code.
    pub fn new(code: u8) -> Option<ProvinceCode> {
        provinces().iter().any(|p| p.code.0 == code).then_some(ProvinceCode(code))
    }

    /// Accepts `"33"` or a six-digit division code of that province (`"330106"`).
    pub fn parse(s: &str) -> Option<ProvinceCode> {
        let s = s.trim();
        // Digits first: slicing a multi-byte string at byte 2 would split a character.
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let two = match s.len() {
            2 => s,
            6 => &s[..2],
            _ => return None,
        };
        ProvinceCode::new(two.parse().ok()?)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The province's full record.
    pub fn province(self) -> &'static Province {
        // Invariant: a ProvinceCode is only constructed for codes in the table.
        provinces().iter().find(|p| p.code == self).expect("ProvinceCode invariant")
    }

    /// The six-digit division code of the province (`330000`).
    pub fn division_code(self) -> u32 {
        u32::from(self.0) * 10_000
    }

    /// The province of a six-digit division code, if it is a filing province.
    pub fn of_division(code: u32) -> Option<ProvinceCode> {
        ProvinceCode::new(u8::try_from(code / 10_000).ok()?)
    }
}

impl fmt::Display for ProvinceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

impl Serialize for ProvinceCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProvinceCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProvinceCode::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a filing province code (two digits, e.g. \"33\")"))
        })
    }
}

impl schemars::JsonSchema for ProvinceCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProvinceCode".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{2}$",
            "description": "GB/T 2260 two-digit code of a filing province, e.g. \"33\" for 浙江"
        })
    }
}

/// All 31 filing provinces in code order.
pub fn provinces() -> &'static [Province] {
    static TABLE: OnceLock<Vec<Province>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|line| {
                let c: Vec<&'static str> = line.split('\t').collect();
                let ch = |s: &str| s.chars().next().expect("provinces.tsv: empty prefix");
                Province {
                    code: ProvinceCode(c[0].parse().expect("provinces.tsv: bad code")),
                    name: c[1],
                    short_name: c[2],
                    name_en: c[6],
                    icp_prefix: ch(c[3]),
                    psb_prefix: ch(c[4]),
                    psb_prefix_confirmed: c[5] == "yes",
                }
            })
            .collect()
    })
}

/// The province whose ICP prefix is `c`.
pub fn by_icp_prefix(c: char) -> Option<&'static Province> {
    provinces().iter().find(|p| p.icp_prefix == c)
}

/// The province whose PSB prefix is `c`.
pub fn by_psb_prefix(c: char) -> Option<&'static Province> {
    provinces().iter().find(|p| p.psb_prefix == c)
}

/// Characters that look like a province prefix but never are one on a filing number:
/// Hong Kong, Macau and Taiwan file nothing with MIIT.
pub fn is_non_filing_region(c: char) -> bool {
    matches!(c, '港' | '澳' | '台')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_one_units_with_distinct_prefixes() {
        let all = provinces();
        assert_eq!(all.len(), 31);
        let mut icp: Vec<char> = all.iter().map(|p| p.icp_prefix).collect();
        icp.sort();
        icp.dedup();
        assert_eq!(icp.len(), 31);
        let mut psb: Vec<char> = all.iter().map(|p| p.psb_prefix).collect();
        psb.sort();
        psb.dedup();
        assert_eq!(psb.len(), 31);
    }

    #[test]
    fn icp_and_psb_prefixes_differ_exactly_for_sichuan_guizhou_gansu() {
        let differ: Vec<(u8, char, char)> = provinces()
            .iter()
            .filter(|p| p.icp_prefix != p.psb_prefix)
            .map(|p| (p.code.get(), p.icp_prefix, p.psb_prefix))
            .collect();
        assert_eq!(differ, [(51, '蜀', '川'), (52, '黔', '贵'), (62, '陇', '甘')]);
    }

    #[test]
    fn every_province_is_a_division() {
        for p in provinces() {
            let d = crate::division::divisions().get(p.code.division_code()).unwrap();
            assert_eq!(d.name, p.name);
        }
    }

    #[test]
    fn codes_parse() {
        assert_eq!(ProvinceCode::parse("33").unwrap().to_string(), "33");
        assert_eq!(ProvinceCode::parse("510104").unwrap().province().icp_prefix, '蜀');
        assert!(ProvinceCode::parse("81").is_none());
        assert!(ProvinceCode::parse("3a").is_none());
        assert!(ProvinceCode::parse("").is_none());
        // Six bytes, but two characters: refused, not sliced through a character.
        assert!(ProvinceCode::parse("火星").is_none());
        assert!(ProvinceCode::parse("浙江").is_none());
    }

    proptest::proptest! {
        #[test]
        fn parsing_any_text_never_panics(s in "\\PC{0,8}") {
            let _ = ProvinceCode::parse(&s);
        }
    }
}
