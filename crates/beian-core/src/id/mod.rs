//! Identifiers a filing carries: certificate numbers, phones, e-mail, domain names, IPs.
//!
//! Each identifier is a type whose only constructor is `parse`: it normalizes what people
//! actually type (surrounding and inner spaces, full-width characters, lower-case letters),
//! then checks the value completely. A value of the type is therefore always valid
//! (architecture invariant 1). What normalization changed is reported as
//! [`IdWarning`]s so a form can show "we read `１１０…` as `110…`".
//!
//! This module must never log or echo a certificate number in an error message: errors
//! name the position and the rule, not the value.

mod domain;
mod email;
mod ip;
mod org_code;
mod permit;
mod phone;
mod resident;
mod uscc;

pub use domain::{DomainName, is_miit_tld, miit_tlds};
pub use email::Email;
pub use ip::{PublicIp, SpecialRange, cidr_contains, special_range_of};
pub use org_code::OrgCode;
pub use permit::HkMacauPermit;
pub use phone::{Landline, Mobile};
pub use resident::{ResidentId, Sex, check_char_for as resident_id_check_char};
pub use uscc::{Uscc, UsccCodeInfo, check_char_for as uscc_check_char};

use serde::Serialize;
use time::Date;

use crate::message::{Lang, Message, Problem, say};

/// A successfully parsed value and the notes normalization left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub value: T,
    pub warnings: Vec<IdWarning>,
}

impl<T> Parsed<T> {
    pub(crate) fn clean(value: T) -> Self {
        Parsed { value, warnings: Vec::new() }
    }
}

/// Why an identifier was rejected. Positions are 1-based character positions in the
/// normalized value, the way a person counts them on a card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum IdError {
    Empty,
    ResidentIdLegacy15,
    ResidentIdLength {
        len: usize,
    },
    ResidentIdChar {
        pos: usize,
    },
    ResidentIdChecksum {
        expected: char,
    },
    ResidentIdBirthDate,
    ResidentIdBirthFuture,
    ResidentIdBirthTooOld,
    ResidentIdRegion {
        code: u32,
    },
    UsccLength {
        len: usize,
    },
    UsccChar {
        pos: usize,
    },
    OrgCodeLength {
        len: usize,
    },
    OrgCodeChar {
        pos: usize,
    },
    OrgCodeChecksum {
        expected: char,
    },
    MobileFormat,
    MobilePrefix,
    LandlineFormat,
    /// `reason` names an `id.reason.*` key of the core catalogue.
    EmailFormat {
        reason: &'static str,
    },
    DomainNotHost,
    DomainTooLong,
    /// `reason` names an `id.reason.*` key of the core catalogue.
    DomainLabel {
        reason: &'static str,
    },
    DomainIdna,
    DomainIsIp,
    DomainNoSuffix,
    DomainIsSuffix,
    IpFormat,
    IpNotPublic {
        kind: &'static str,
        label: &'static str,
    },
    PermitFormat,
    UnknownKind,
}

impl Problem for IdError {
    fn code(&self) -> &'static str {
        use IdError::*;
        match self {
            Empty => "ID_EMPTY",
            ResidentIdLegacy15 => "RESIDENT_ID_LEGACY_15",
            ResidentIdLength { .. } => "RESIDENT_ID_LENGTH",
            ResidentIdChar { .. } => "RESIDENT_ID_CHARACTER",
            ResidentIdChecksum { .. } => "RESIDENT_ID_CHECKSUM",
            ResidentIdBirthDate => "RESIDENT_ID_BIRTH_DATE",
            ResidentIdBirthFuture => "RESIDENT_ID_BIRTH_FUTURE",
            ResidentIdBirthTooOld => "RESIDENT_ID_BIRTH_TOO_OLD",
            ResidentIdRegion { .. } => "RESIDENT_ID_REGION",
            UsccLength { .. } => "USCC_LENGTH",
            UsccChar { .. } => "USCC_CHARACTER",
            OrgCodeLength { .. } => "ORG_CODE_LENGTH",
            OrgCodeChar { .. } => "ORG_CODE_CHARACTER",
            OrgCodeChecksum { .. } => "ORG_CODE_CHECKSUM",
            MobileFormat => "MOBILE_FORMAT",
            MobilePrefix => "MOBILE_PREFIX",
            LandlineFormat => "LANDLINE_FORMAT",
            EmailFormat { .. } => "EMAIL_FORMAT",
            DomainNotHost => "DOMAIN_NOT_A_HOST",
            DomainTooLong => "DOMAIN_TOO_LONG",
            DomainLabel { .. } => "DOMAIN_LABEL",
            DomainIdna => "DOMAIN_IDNA",
            DomainIsIp => "DOMAIN_IS_IP",
            DomainNoSuffix => "DOMAIN_UNKNOWN_SUFFIX",
            DomainIsSuffix => "DOMAIN_IS_PUBLIC_SUFFIX",
            IpFormat => "IP_FORMAT",
            IpNotPublic { .. } => "IP_NOT_PUBLIC",
            PermitFormat => "HK_MACAU_PERMIT_FORMAT",
            UnknownKind => "ID_UNKNOWN_KIND",
        }
    }

    fn message(&self, lang: Lang) -> String {
        use IdError::*;
        let args = match self {
            ResidentIdLength { len } | UsccLength { len } | OrgCodeLength { len } => {
                vec![("len", len.to_string())]
            }
            ResidentIdChar { pos } | UsccChar { pos } | OrgCodeChar { pos } => vec![("pos", pos.to_string())],
            ResidentIdChecksum { expected } | OrgCodeChecksum { expected } => {
                vec![("expected", expected.to_string())]
            }
            ResidentIdRegion { code } => vec![("code", format!("{code:06}"))],
            EmailFormat { reason } | DomainLabel { reason } => {
                vec![("reason", say(lang, &format!("id.reason.{reason}"), &[]))]
            }
            IpNotPublic { label, .. } => vec![("label", (*label).to_owned())],
            _ => Vec::new(),
        };
        say(lang, &format!("id.{}", self.code()), &args)
    }
}

/// What normalization changed, or a fact about a valid value the user should know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdWarning {
    /// Full-width characters were read as ASCII.
    FullWidthFolded,
    /// Lower-case letters were read as capitals.
    LowercaseFolded,
    /// Spaces or hyphens inside the value were dropped.
    SeparatorsRemoved,
    /// The embedded GB 11714 organization code fails its own check; legal for some early
    /// pilot codes (rules.md §6.2), so it flags the order for manual review instead.
    UsccOrgCodeChecksum,
    /// The final character fails GB 32100's check: a typo, or one of the legally issued
    /// pilot-era codes that fail it (rules.md §6.2) — a person compares with the licence.
    UsccCheckChar,
    /// Characters 3–8 of a USCC are not a known GB/T 2260 code.
    UsccUnknownRegion,
    /// The registration-authority / category pair is not in the table we ship.
    UsccUnknownCategory,
    /// The ID's region code was abolished; valid, the card keeps it for life.
    ResidentIdHistoricRegion,
    /// A country prefix (+86, 0086) was removed from a phone number.
    CountryCodeRemoved,
    /// A virtual-operator mobile range that may not receive the MIIT SMS.
    MobileVirtualOperator,
    /// The domain was given in Unicode and converted to punycode.
    DomainConvertedToPunycode,
    /// The domain's TLD is not on the shipped MIIT-approved list.
    DomainTldNotApproved,
    /// The domain is a subdomain; filings are for registrable domains.
    DomainIsSubdomain,
}

impl Problem for IdWarning {
    fn code(&self) -> &'static str {
        use IdWarning::*;
        match self {
            FullWidthFolded => "FULL_WIDTH_FOLDED",
            LowercaseFolded => "LOWERCASE_FOLDED",
            SeparatorsRemoved => "SEPARATORS_REMOVED",
            UsccOrgCodeChecksum => "USCC_ORG_CODE_CHECKSUM",
            UsccCheckChar => "USCC_CHECK_CHAR",
            UsccUnknownRegion => "USCC_UNKNOWN_REGION",
            UsccUnknownCategory => "USCC_UNKNOWN_CATEGORY",
            ResidentIdHistoricRegion => "RESIDENT_ID_HISTORIC_REGION",
            CountryCodeRemoved => "COUNTRY_CODE_REMOVED",
            MobileVirtualOperator => "MOBILE_VIRTUAL_OPERATOR",
            DomainConvertedToPunycode => "DOMAIN_PUNYCODE",
            DomainTldNotApproved => "DOMAIN_TLD_NOT_APPROVED",
            DomainIsSubdomain => "DOMAIN_IS_SUBDOMAIN",
        }
    }

    fn message(&self, lang: Lang) -> String {
        say(lang, &format!("id.{}", self.code()), &[])
    }
}

/// The certificate kinds `beian id check` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    ResidentId,
    Uscc,
    OrgCode,
}

/// The outcome of checking one certificate number, in the shape `beian id check` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertCheck {
    pub valid: bool,
    pub kind: Option<CertKind>,
    pub normalized: Option<String>,
    pub error: Option<Message>,
    pub warnings: Vec<Message>,
}

/// Checks a certificate number. With `kind == None` the kind is guessed from the shape:
/// 18 characters starting with a letter or containing letters other than a final X are
/// tried as a USCC, 9 or 10 characters (with the hyphen) as an organization code, anything
/// else as a resident ID (so a 15-digit number gets the "use the 18-digit card" message).
pub fn check_cert(input: &str, kind: Option<CertKind>, today: Date, lang: Lang) -> CertCheck {
    let kind = kind.unwrap_or_else(|| guess_cert_kind(input));
    let (result, warnings) = match kind {
        CertKind::ResidentId => split(ResidentId::parse(input, today)),
        CertKind::Uscc => split(Uscc::parse(input)),
        CertKind::OrgCode => split(OrgCode::parse(input)),
    };
    match result {
        Ok(normalized) => CertCheck {
            valid: true,
            kind: Some(kind),
            normalized: Some(normalized),
            error: None,
            warnings: warnings.iter().map(|w| Message::of(w, lang)).collect(),
        },
        Err(e) => CertCheck {
            valid: false,
            kind: Some(kind),
            normalized: None,
            error: Some(Message::of(&e, lang)),
            warnings: Vec::new(),
        },
    }
}

fn split<T: ToString>(r: Result<Parsed<T>, IdError>) -> (Result<String, IdError>, Vec<IdWarning>) {
    match r {
        Ok(p) => (Ok(p.value.to_string()), p.warnings),
        Err(e) => (Err(e), Vec::new()),
    }
}

/// Guesses which certificate an input is, from its shape only.
pub fn guess_cert_kind(input: &str) -> CertKind {
    let folded = crate::text::fold_compact(input);
    let s = folded.as_ref();
    let n = s.chars().count();
    let letters_before_last = s.chars().take(n.saturating_sub(1)).any(|c| c.is_ascii_alphabetic());
    match n {
        18 if letters_before_last => CertKind::Uscc,
        18 if !s.starts_with(|c: char| c.is_ascii_digit()) => CertKind::Uscc,
        // USCCs are issued with authority codes 1-9/Y and a GB/T 2260 region; a resident ID
        // starts with a province code 11-83. Both are all-digit in most cases, so decide on
        // the check character: whichever algorithm accepts the value wins.
        18 if ResidentId::checksum_ok(s.as_bytes()) => CertKind::ResidentId,
        18 if Uscc::checksum_ok(s.as_bytes()) => CertKind::Uscc,
        9 | 10 => CertKind::OrgCode,
        _ => CertKind::ResidentId,
    }
}

/// Trims and folds `input`, refusing an empty value and noting full-width characters.
pub(crate) fn fold_non_empty(input: &str) -> Result<(std::borrow::Cow<'_, str>, Vec<IdWarning>), IdError> {
    let folded = crate::text::fold(input);
    if folded.is_empty() {
        return Err(IdError::Empty);
    }
    let mut warnings = Vec::new();
    if folded.as_ref() != input.trim_matches(crate::text::is_space) {
        warnings.push(IdWarning::FullWidthFolded);
    }
    Ok((folded, warnings))
}

/// Folds and compacts `input` into ASCII upper-case bytes in `buf`, recording warnings.
/// Returns the number of bytes written, or `Err(len)` with the character count when the
/// value does not fit or contains a non-ASCII character after folding (the position of the
/// first such character is returned through `bad_pos`).
pub(crate) fn fold_into<const N: usize>(
    input: &str,
    buf: &mut [u8; N],
    warnings: &mut Vec<IdWarning>,
    drop_hyphens: bool,
) -> Result<usize, FoldError> {
    let mut n = 0usize;
    let mut chars = 0usize;
    let (mut full, mut lower, mut sep) = (false, false, false);
    let trimmed = input.trim_matches(crate::text::is_space);
    for c in trimmed.chars() {
        let f = crate::text::fold_char(c);
        if f != c {
            full = true;
        }
        if crate::text::is_space(f) || (drop_hyphens && f == '-') {
            sep = true;
            continue;
        }
        chars += 1;
        if !f.is_ascii() {
            return Err(FoldError::NonAscii { pos: chars });
        }
        let mut b = f as u8;
        if b.is_ascii_lowercase() {
            lower = true;
            b = b.to_ascii_uppercase();
        }
        if n < N {
            buf[n] = b;
        }
        n += 1;
    }
    if n > N {
        return Err(FoldError::TooLong { len: n });
    }
    if full {
        warnings.push(IdWarning::FullWidthFolded);
    }
    if lower {
        warnings.push(IdWarning::LowercaseFolded);
    }
    if sep {
        warnings.push(IdWarning::SeparatorsRemoved);
    }
    Ok(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FoldError {
    NonAscii { pos: usize },
    TooLong { len: usize },
}
