//! Unified social credit codes (统一社会信用代码, GB 32100-2015).
//!
//! Valid means: 18 characters from the 31-character alphabet and a correct final check
//! character. The embedded organization code's own GB 11714 check, the region and the
//! authority/category pair are reported as warnings, never rejections: some legally issued
//! pilot-era codes fail them (rules.md §6.2).

use std::fmt;
use std::sync::OnceLock;

use super::{FoldError, IdError, IdWarning, Parsed, fold_into};
use crate::division::divisions;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 3^(i-1) mod 31 for positions 1..=17.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const CODES: &str = include_str!("../../data/uscc_codes.tsv");

/// Value of a character in the GB 32100 alphabet, or `None` (I, O, Z, S, V and non-alphanumerics).
const VALUE: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < 31 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// A unified social credit code with a correct check character.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uscc {
    // Invariant: 18 bytes from ALPHABET with a correct check character.
    raw: [u8; 18],
}

/// Names of a registration authority and organization category (GB 32100 table 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsccCodeInfo {
    pub authority: char,
    pub category: char,
    pub authority_name: &'static str,
    pub category_name: &'static str,
}

fn code_table() -> &'static [UsccCodeInfo] {
    static T: OnceLock<Vec<UsccCodeInfo>> = OnceLock::new();
    T.get_or_init(|| {
        CODES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let c: Vec<&'static str> = l.split('\t').collect();
                UsccCodeInfo {
                    authority: c[0].chars().next().expect("uscc_codes.tsv"),
                    category: c[1].chars().next().expect("uscc_codes.tsv"),
                    authority_name: c[2],
                    category_name: c[3],
                }
            })
            .collect()
    })
}

impl Uscc {
    /// Parses a USCC, accepting lower case, full-width characters and inner spaces.
    pub fn parse(input: &str) -> Result<Parsed<Uscc>, IdError> {
        let mut raw = [0u8; 18];
        let mut warnings = Vec::new();
        let bytes = input.as_bytes();
        // Fast path for input that is already canonical.
        let n = if bytes.len() == 18 && bytes.iter().all(|&b| VALUE[b as usize] != 255) {
            raw.copy_from_slice(bytes);
            18
        } else {
            match fold_into(input, &mut raw, &mut warnings, false) {
                Ok(n) => n,
                Err(FoldError::NonAscii { pos }) => return Err(IdError::UsccChar { pos }),
                Err(FoldError::TooLong { len }) => return Err(IdError::UsccLength { len }),
            }
        };
        if n == 0 {
            return Err(IdError::Empty);
        }
        if n != 18 {
            return Err(IdError::UsccLength { len: n });
        }
        if let Some(i) = raw.iter().position(|&b| VALUE[b as usize] == 255) {
            return Err(IdError::UsccChar { pos: i + 1 });
        }
        // Some legally issued pilot-era codes fail GB 32100's check (rules.md §6.2): a warning
        // for a person to look at, never a refusal.
        if raw[17] != check_char(&raw) {
            warnings.push(IdWarning::UsccCheckChar);
        }
        let value = Uscc { raw };
        if super::org_code::check_char(&raw[8..16]) != Some(raw[16]) {
            warnings.push(IdWarning::UsccOrgCodeChecksum);
        }
        if value.region_code().is_none_or(|r| !divisions().contains(r)) {
            warnings.push(IdWarning::UsccUnknownRegion);
        }
        if value.code_info().is_none() {
            warnings.push(IdWarning::UsccUnknownCategory);
        }
        Ok(Parsed { value, warnings })
    }

    /// Whether 18 bytes carry a correct GB 32100 check character (used to guess kinds).
    pub fn checksum_ok(bytes: &[u8]) -> bool {
        bytes.len() == 18 && bytes.iter().all(|&b| VALUE[b as usize] != 255) && check_char(bytes) == bytes[17]
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.raw).expect("ASCII")
    }

    /// Registration authority (登记管理部门) code, e.g. `9` for market regulation.
    pub fn authority(&self) -> char {
        self.raw[0] as char
    }

    /// Organization category (机构类别) code, e.g. `1` for an enterprise.
    pub fn category(&self) -> char {
        self.raw[1] as char
    }

    /// Names for the authority and category, when the pair is in the shipped table.
    pub fn code_info(&self) -> Option<&'static UsccCodeInfo> {
        code_table().iter().find(|i| i.authority == self.authority() && i.category == self.category())
    }

    /// GB/T 2260 code of the registering authority (characters 3–8), if all digits.
    pub fn region_code(&self) -> Option<u32> {
        let r = &self.raw[2..8];
        r.iter().all(u8::is_ascii_digit).then(|| r.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
    }

    /// The embedded 9-character organization code (subject identifier).
    pub fn org_code_str(&self) -> &str {
        &self.as_str()[8..17]
    }

    /// Whether this is an enterprise registered by market regulation (`91…`), the kind
    /// whose holder must match a company filing.
    pub fn is_enterprise(&self) -> bool {
        self.raw[0] == b'9' && self.raw[1] == b'1'
    }
}

#[inline]
fn check_char(bytes: &[u8]) -> u8 {
    let mut sum = 0u32;
    for i in 0..17 {
        sum += u32::from(VALUE[bytes[i] as usize]) * WEIGHTS[i];
    }
    ALPHABET[((31 - sum % 31) % 31) as usize]
}

/// Computes the check character for 17 alphabet characters (used by tests and generators).
pub fn check_char_for(first17: &[u8; 17]) -> char {
    let mut buf = [b'0'; 18];
    buf[..17].copy_from_slice(first17);
    check_char(&buf) as char
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A company's code is public information; no need to mask it.
        write!(f, "Uscc({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn public_valid_examples() {
        for code in ["91350100M000100Y43", "91330106673959654P", "91310110666007217T", "91310115591693856A"] {
            let p = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
            assert!(p.warnings.is_empty(), "{code}: {:?}", p.warnings);
        }
    }

    #[test]
    fn pilot_era_codes_failing_the_check_are_read_with_a_warning() {
        for (code, expected) in [("91350211M00013FA1N", '3'), ("91350100M0001TGQXM", '1')] {
            let p = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
            assert!(p.warnings.contains(&IdWarning::UsccCheckChar), "{code}");
            assert_eq!(check_char_for(p.value.as_str().as_bytes()[..17].try_into().unwrap()), expected);
            assert!(!Uscc::checksum_ok(code.as_bytes()), "kind guessing stays strict");
        }
        for code in ["91350211M0000XUF46", "91350203M0001FUE2P"] {
            assert!(Uscc::parse(code).unwrap().warnings.contains(&IdWarning::UsccCheckChar), "{code}");
        }
    }

    #[test]
    fn exposes_authority_category_region_and_org_code() {
        let u = Uscc::parse("91330106673959654P").unwrap().value;
        assert_eq!(u.authority(), '9');
        assert_eq!(u.category(), '1');
        let info = u.code_info().unwrap();
        assert_eq!((info.authority_name, info.category_name), ("工商", "企业"));
        assert_eq!(u.region_code(), Some(330106));
        assert_eq!(u.org_code_str(), "673959654");
        assert!(u.is_enterprise());
    }

    #[test]
    fn embedded_org_code_failure_is_a_warning() {
        // Build a code whose org code part fails GB 11714 but whose final check is right.
        let mut first17 = *b"91330106673959650";
        first17[16] = b'0'; // correct org check would be 4
        let code = format!("{}{}", std::str::from_utf8(&first17).unwrap(), check_char_for(&first17));
        let p = Uscc::parse(&code).unwrap();
        assert_eq!(p.warnings, [IdWarning::UsccOrgCodeChecksum]);
    }

    #[test]
    fn other_authority_letters_are_accepted() {
        let first17 = *b"Y1330106673959654";
        let code = format!("{}{}", std::str::from_utf8(&first17).unwrap(), check_char_for(&first17));
        assert!(Uscc::parse(&code).is_ok());
        let first17 = *b"N2330106673959654";
        let code = format!("{}{}", std::str::from_utf8(&first17).unwrap(), check_char_for(&first17));
        let p = Uscc::parse(&code).unwrap();
        assert_eq!(p.warnings, [IdWarning::UsccUnknownCategory]);
    }

    #[test]
    fn rejects_letters_outside_the_alphabet_and_bad_length() {
        assert_eq!(Uscc::parse("91330106673959654I").unwrap_err(), IdError::UsccChar { pos: 18 });
        assert_eq!(Uscc::parse("9133010667395965").unwrap_err(), IdError::UsccLength { len: 16 });
        assert_eq!(Uscc::parse("").unwrap_err(), IdError::Empty);
        let p = Uscc::parse("９１３３０１０６６７３９５９６５４ｐ").unwrap();
        assert_eq!(p.value.as_str(), "91330106673959654P");
    }

    fn valid_uscc() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 17).prop_map(|v| {
            let first17: [u8; 17] = v.try_into().unwrap();
            format!("{}{}", std::str::from_utf8(&first17).unwrap(), check_char_for(&first17))
        })
    }

    proptest! {
        #[test]
        fn generated_codes_round_trip(code in valid_uscc()) {
            let p = Uscc::parse(&code).unwrap();
            prop_assert_eq!(p.value.as_str(), code.as_str());
            prop_assert_eq!(Uscc::parse(&code.to_lowercase()).unwrap().value, p.value);
        }

        #[test]
        fn any_single_substitution_is_caught(code in valid_uscc(), pos in 0usize..18, delta in 1usize..31) {
            let mut bytes = code.into_bytes();
            let old = ALPHABET.iter().position(|&c| c == bytes[pos]).unwrap();
            bytes[pos] = ALPHABET[(old + delta) % 31];
            let changed = String::from_utf8(bytes).unwrap();
            let caught = Uscc::parse(&changed).map_or(true, |p| p.warnings.contains(&IdWarning::UsccCheckChar));
            prop_assert!(caught, "{} accepted without a word", changed);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Uscc::parse(&s);
        }
    }
}
