//! Domain names as filed: IDN ↔ punycode, the registrable domain (eTLD+1) from the public
//! suffix list compiled into the `psl` crate, and the MIIT-approved TLD list as data.

use std::fmt;
use std::sync::OnceLock;

use super::{IdError, IdWarning, Parsed};
use crate::text::{fold, is_space};

const TLDS: &str = include_str!("../../data/miit_tlds.tsv");

/// The MIIT-approved TLDs shipped with this build, in Unicode form for IDN TLDs.
pub fn miit_tlds() -> &'static [&'static str] {
    static T: OnceLock<Vec<&'static str>> = OnceLock::new();
    T.get_or_init(|| TLDS.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(str::trim).collect())
}

fn miit_tlds_ascii() -> &'static [String] {
    static T: OnceLock<Vec<String>> = OnceLock::new();
    T.get_or_init(|| {
        miit_tlds().iter().map(|t| idna::domain_to_ascii(t).unwrap_or_else(|_| (*t).to_owned())).collect()
    })
}

/// Whether the last label of an ASCII (punycode) domain is on the MIIT list.
pub fn is_miit_tld(ascii_domain: &str) -> bool {
    let tld = ascii_domain.rsplit('.').next().unwrap_or("");
    miit_tlds_ascii().iter().any(|t| t == tld)
}

/// A syntactically valid domain name under a known public suffix, stored in lower-case
/// punycode (`xn--fsqu00a.xn--fiqs8s`), with its registrable part.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName {
    ascii: String,
    // Invariant: `registrable_start` indexes the start of eTLD+1 inside `ascii`.
    registrable_start: usize,
}

impl DomainName {
    /// Parses a domain typed by a person: trims, folds full-width characters and the
    /// ideographic full stop, lower-cases, converts IDN to punycode and checks each label.
    /// A URL, a path or a port is rejected with a hint to enter only the domain.
    pub fn parse(input: &str) -> Result<Parsed<DomainName>, IdError> {
        let mut warnings = Vec::new();
        let ascii = normalize(input, &mut warnings)?;
        let registrable = psl::domain_str(&ascii).ok_or_else(|| {
            if psl::suffix_str(&ascii).is_some_and(|s| s == ascii) {
                IdError::DomainIsSuffix
            } else {
                IdError::DomainNoSuffix
            }
        })?;
        // psl treats unknown TLDs as suffixes by its wildcard rule; only accept real ones.
        if !psl::suffix(ascii.as_bytes()).is_some_and(|s| s.is_known()) {
            return Err(IdError::DomainNoSuffix);
        }
        let registrable_start = ascii.len() - registrable.len();
        if registrable_start > 0 {
            warnings.push(IdWarning::DomainIsSubdomain);
        }
        if !is_miit_tld(&ascii) {
            warnings.push(IdWarning::DomainTldNotApproved);
        }
        Ok(Parsed { value: DomainName { ascii, registrable_start }, warnings })
    }

    /// Validates a host name for e-mail and URLs without the filing-specific warnings.
    pub(crate) fn parse_host(input: &str) -> Result<String, IdError> {
        let ascii = normalize(input, &mut Vec::new())?;
        if !ascii.contains('.') {
            return Err(IdError::DomainNoSuffix);
        }
        Ok(ascii)
    }

    /// Lower-case punycode form.
    pub fn as_ascii(&self) -> &str {
        &self.ascii
    }

    /// Unicode form for display (`例子.中国`).
    pub fn to_unicode(&self) -> String {
        idna::domain_to_unicode(&self.ascii).0
    }

    /// The registrable domain (eTLD+1): `example.com.cn` for `www.example.com.cn`.
    pub fn registrable(&self) -> &str {
        &self.ascii[self.registrable_start..]
    }

    /// Whether this is already the registrable domain.
    pub fn is_registrable(&self) -> bool {
        self.registrable_start == 0
    }

    /// The top-level domain (last label), punycode.
    pub fn tld(&self) -> &str {
        self.ascii.rsplit('.').next().unwrap_or("")
    }

    /// Whether the TLD is on the MIIT-approved list shipped with this build.
    pub fn tld_is_miit_approved(&self) -> bool {
        is_miit_tld(&self.ascii)
    }

    /// Whether this is a `.gov.cn` (or `.政务`) domain, reserved for Party and government bodies.
    pub fn is_government(&self) -> bool {
        self.ascii.ends_with(".gov.cn") || self.tld() == "xn--zfr164b"
    }
}

fn normalize(input: &str, warnings: &mut Vec<IdWarning>) -> Result<String, IdError> {
    let folded = fold(input);
    let s = folded.replace(['。', '．', '｡'], ".");
    let s = s.strip_suffix('.').unwrap_or(&s);
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.contains("://") || s.contains(['/', ':', '?', '#', '@']) || s.chars().any(is_space) {
        return Err(IdError::DomainNotHost);
    }
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(IdError::DomainIsIp);
    }
    let is_ascii = s.is_ascii();
    let ascii = if is_ascii {
        s.to_ascii_lowercase()
    } else {
        let a = idna::domain_to_ascii(s).map_err(|_| IdError::DomainIdna)?;
        warnings.push(IdWarning::DomainConvertedToPunycode);
        a
    };
    if ascii.len() > 253 {
        return Err(IdError::DomainTooLong);
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(IdError::DomainLabel { reason: "label_empty" });
        }
        if label.len() > 63 {
            return Err(IdError::DomainLabel { reason: "label_too_long" });
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(IdError::DomainLabel { reason: "label_chars" });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(IdError::DomainLabel { reason: "label_hyphen" });
        }
        if label.starts_with("xn--") && idna::domain_to_unicode(label).1.is_err() {
            return Err(IdError::DomainIdna);
        }
    }
    if ascii.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(IdError::DomainLabel { reason: "tld_numeric" });
    }
    Ok(ascii)
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName({})", self.ascii)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn registrable_domain_via_public_suffix_list() {
        let d = DomainName::parse("WWW.Example.com.CN.").unwrap();
        assert_eq!(d.value.as_ascii(), "www.example.com.cn");
        assert_eq!(d.value.registrable(), "example.com.cn");
        assert!(d.warnings.contains(&IdWarning::DomainIsSubdomain));
        let d = DomainName::parse("aliyun.com").unwrap();
        assert!(d.value.is_registrable());
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn idn_round_trip() {
        let d = DomainName::parse("例子。中国").unwrap();
        assert_eq!(d.value.as_ascii(), "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(d.value.to_unicode(), "例子.中国");
        assert!(d.value.tld_is_miit_approved());
        assert!(d.warnings.contains(&IdWarning::DomainConvertedToPunycode));
        let back = DomainName::parse("xn--fsqu00a.xn--fiqs8s").unwrap();
        assert_eq!(back.value, d.value);
    }

    #[test]
    fn miit_tld_list() {
        assert!(DomainName::parse("example.cn").unwrap().value.tld_is_miit_approved());
        for not_filable in ["example.io", "example.hk", "example.org", "example.me"] {
            let p = DomainName::parse(not_filable).unwrap();
            assert!(p.warnings.contains(&IdWarning::DomainTldNotApproved), "{not_filable}");
        }
        assert!(DomainName::parse("example.gov.cn").unwrap().value.is_government());
    }

    #[test]
    fn rejects_non_hosts() {
        use IdError::*;
        for (bad, err) in [
            ("https://example.com", DomainNotHost),
            ("example.com/path", DomainNotHost),
            ("example.com:8080", DomainNotHost),
            ("exa mple.com", DomainNotHost),
            ("1.2.3.4", DomainIsIp),
            ("", Empty),
            ("com.cn", DomainIsSuffix),
            ("example.notatld", DomainNoSuffix),
            ("-bad.com", DomainLabel { reason: "label_hyphen" }),
            ("a..com", DomainLabel { reason: "label_empty" }),
            ("ex_ample.com", DomainLabel { reason: "label_chars" }),
            // Found by the property test below: an `xn--` label that is no valid punycode.
            ("xn--0.com", DomainIdna),
        ] {
            assert_eq!(DomainName::parse(bad).unwrap_err(), err, "{bad}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(matches!(DomainName::parse(&long), Err(DomainLabel { .. })));
        let too_long = format!("{}com", "abcdefghi.".repeat(26));
        assert_eq!(DomainName::parse(&too_long).unwrap_err(), DomainTooLong);
    }

    proptest! {
        #[test]
        fn generated_domains_round_trip(label in "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", tld in proptest::sample::select(vec!["com", "cn", "net", "com.cn", "top"])) {
            // Hyphens in the third and fourth places are reserved (`xn--` starts an IDNA label,
            // and `xn--0` is no valid one): such labels are refused, as the table above shows.
            prop_assume!(label.get(2..4) != Some("--"));
            let d = format!("{label}.{tld}");
            // Some short names are public suffixes themselves (de.com, us.com).
            prop_assume!(psl::suffix_str(&d) != Some(d.as_str()));
            let p = DomainName::parse(&d).unwrap();
            prop_assert_eq!(p.value.as_ascii(), d.as_str());
            prop_assert_eq!(p.value.registrable(), d.as_str());
            prop_assert_eq!(DomainName::parse(&d.to_uppercase()).unwrap().value, p.value);
        }

        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = DomainName::parse(&s);
        }
    }
}
