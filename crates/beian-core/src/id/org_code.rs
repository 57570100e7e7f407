//! Organization codes (组织机构代码, GB 11714-1997): 8 body characters and a check
//! character, printed `XXXXXXXX-C`.

use std::fmt;

use super::{FoldError, IdError, Parsed, fold_into};

const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// An organization code with a correct check character, stored without the hyphen.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgCode {
    // Invariant: 8 digits/capitals then the correct check character (digit or X).
    raw: [u8; 9],
}

/// The check character for an 8-character body, or `None` if a character is invalid.
pub(crate) fn check_char(body: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &b) in body.iter().enumerate().take(8) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        sum += v * WEIGHTS[i];
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    })
}

impl OrgCode {
    /// Parses `D2143569-X`, `D2143569X` and their full-width or lower-case variants.
    pub fn parse(input: &str) -> Result<Parsed<OrgCode>, IdError> {
        let mut buf = [0u8; 10];
        let mut warnings = Vec::new();
        // Keep the hyphen in the buffer: it is only allowed before the check character.
        let n = match fold_into(input, &mut buf, &mut warnings, false) {
            Ok(n) => n,
            Err(FoldError::NonAscii { pos }) => return Err(IdError::OrgCodeChar { pos }),
            Err(FoldError::TooLong { len }) => return Err(IdError::OrgCodeLength { len }),
        };
        let mut raw = [0u8; 9];
        match n {
            0 => return Err(IdError::Empty),
            10 if buf[8] == b'-' => {
                raw[..8].copy_from_slice(&buf[..8]);
                raw[8] = buf[9];
            }
            9 => raw.copy_from_slice(&buf[..9]),
            _ => return Err(IdError::OrgCodeLength { len: n }),
        }
        if let Some(i) = raw[..8].iter().position(|b| !(b.is_ascii_digit() || b.is_ascii_uppercase())) {
            return Err(IdError::OrgCodeChar { pos: i + 1 });
        }
        if !(raw[8].is_ascii_digit() || raw[8] == b'X') {
            return Err(IdError::OrgCodeChar { pos: 9 });
        }
        let expected = check_char(&raw[..8]).expect("body checked above");
        if raw[8] != expected {
            return Err(IdError::OrgCodeChecksum { expected: expected as char });
        }
        Ok(Parsed { value: OrgCode { raw }, warnings })
    }

    /// The 9 characters without hyphen.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.raw).expect("ASCII")
    }

    /// The printed form `XXXXXXXX-C`.
    pub fn hyphenated(&self) -> String {
        format!("{}-{}", &self.as_str()[..8], self.raw[8] as char)
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hyphenated())
    }
}

impl fmt::Debug for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgCode({})", self.hyphenated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn public_valid_examples() {
        for code in
            ["D2143569-X", "67395965-4", "74371976-1", "L1832212-3", "MA1FL0LY9", "12345678-8", "87654321-0"]
        {
            assert!(OrgCode::parse(code).is_ok(), "{code}: {:?}", OrgCode::parse(code));
        }
        assert_eq!(OrgCode::parse("673959654").unwrap().value.to_string(), "67395965-4");
        assert_eq!(OrgCode::parse("ｄ２１４３５６９－ｘ").unwrap().value.as_str(), "D2143569X");
    }

    #[test]
    fn public_invalid_examples() {
        assert_eq!(OrgCode::parse("D2143569-1").unwrap_err(), IdError::OrgCodeChecksum { expected: 'X' });
        assert_eq!(OrgCode::parse("D214356-9").unwrap_err(), IdError::OrgCodeChar { pos: 8 });
        assert_eq!(OrgCode::parse("D2143569").unwrap_err(), IdError::OrgCodeLength { len: 8 });
        assert_eq!(OrgCode::parse("D21435#9X").unwrap_err(), IdError::OrgCodeChar { pos: 7 });
    }

    fn valid_code() -> impl Strategy<Value = String> {
        "[0-9A-Z]{8}".prop_map(|body| format!("{body}{}", check_char(body.as_bytes()).unwrap() as char))
    }

    proptest! {
        #[test]
        fn generated_codes_round_trip(code in valid_code()) {
            let p = OrgCode::parse(&code).unwrap();
            prop_assert_eq!(p.value.as_str(), code.as_str());
            prop_assert_eq!(OrgCode::parse(&p.value.hyphenated()).unwrap().value, p.value);
        }

        #[test]
        fn single_digit_substitutions_are_caught(code in valid_code(), pos in 0usize..8, delta in 1u8..10) {
            // Weights are all coprime to 11, so changing a digit to another digit always
            // changes the sum mod 11.
            let mut bytes = code.into_bytes();
            prop_assume!(bytes[pos].is_ascii_digit());
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(OrgCode::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = OrgCode::parse(&s);
        }
    }
}
