//! Mainland Travel Permits for Hong Kong and Macau Residents (港澳居民来往内地通行证).
//! Format check only: the permit has no check character (rules.md §6.4).

use std::fmt;

use super::{IdError, Parsed};
use crate::text::fold_compact;

/// A permit number: `H`/`M` + 8 or 10 digits (current), or `H`/`M` + letter + 6–7 digits (old).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HkMacauPermit(String);

impl HkMacauPermit {
    pub fn parse(input: &str) -> Result<Parsed<HkMacauPermit>, IdError> {
        let s = fold_compact(input).to_ascii_uppercase();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let ok = matches!(b[0], b'H' | b'M')
            && ((matches!(b.len(), 9 | 11) && digits(&b[1..]))
                || (matches!(b.len(), 8 | 9) && b[1].is_ascii_uppercase() && digits(&b[2..])));
        if !ok {
            return Err(IdError::PermitFormat);
        }
        Ok(Parsed::clean(HkMacauPermit(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether issued to a Hong Kong resident (`H`) rather than a Macau resident (`M`).
    pub fn is_hong_kong(&self) -> bool {
        self.0.starts_with('H')
    }
}

impl fmt::Display for HkMacauPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HkMacauPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HkMacauPermit({})", crate::text::mask(&self.0, 1, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for ok in ["H12345678", "M1234567890", "h12345678", "HA123456", "MB1234567"] {
            assert!(HkMacauPermit::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "X12345678", "H1234567", "H123456789", "HAB12345", "12345678"] {
            assert_eq!(
                HkMacauPermit::parse(bad).unwrap_err(),
                if bad.is_empty() { IdError::Empty } else { IdError::PermitFormat },
                "{bad}"
            );
        }
        assert!(HkMacauPermit::parse("H12345678").unwrap().value.is_hong_kong());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_permits_round_trip(p in "[HM]([0-9]{8}|[0-9]{10})") {
            let parsed = HkMacauPermit::parse(&p.to_lowercase()).unwrap();
            prop_assert_eq!(parsed.value.as_str(), p.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = HkMacauPermit::parse(&s);
        }
    }
}
