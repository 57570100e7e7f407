//! Filing numbers: ICP filing numbers (`京ICP备16020626号-8`), commercial licence numbers
//! (`京ICP证030173号`, `浙B2-20080101-4`) and public-security numbers
//! (`京公网安备11010502030143号`).
//!
//! Parsing is tolerant of what people and web pages actually write — spaces, full-width
//! digits and hyphens, lower-case `icp`, a missing trailing 号, 号 after the suffix — and
//! reports each such [`Deviation`]; output is always the strict canonical form. Wrong
//! prefixes (`川ICP备` where Sichuan's ICP prefix is 蜀, `蜀公网安备` where its PSB prefix is
//! 川, `港ICP备`), placeholders (`XXXXXXXX`) and wrong lengths are errors, because a footer
//! showing them is non-compliant.

mod extract;
mod parse;

pub use extract::{Extracted, NODE_BOUNDARY, extract, html_tag_end, visible_text};
pub use parse::parse;

use std::fmt;

use serde::Serialize;

use crate::message::{Lang, Problem, say};
use crate::province::ProvinceCode;

/// What a number identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// 非经营性 ICP filing (`ICP备`).
    IcpFiling,
    /// 经营性 ICP licence (`ICP证`, `B2-`).
    IcpLicence,
    /// Public-security filing (`公网安备`).
    Psb,
}

/// The kind of service a `-N` suffix numbers. Websites, apps, mini programs and quick apps
/// share one sequence under a subject; the letter only marks the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Website,
    App,
    MiniProgram,
    QuickApp,
}

impl ServiceKind {
    /// The suffix letter (`A`, `X`, `K`), none for websites.
    pub fn letter(self) -> Option<char> {
        match self {
            ServiceKind::Website => None,
            ServiceKind::App => Some('A'),
            ServiceKind::MiniProgram => Some('X'),
            ServiceKind::QuickApp => Some('K'),
        }
    }

    fn from_letter(c: Option<char>) -> Option<ServiceKind> {
        match c {
            None => Some(ServiceKind::Website),
            Some('A') => Some(ServiceKind::App),
            Some('X') => Some(ServiceKind::MiniProgram),
            Some('K') => Some(ServiceKind::QuickApp),
            Some(_) => None,
        }
    }
}

/// The `-N[AXK]` part of a service number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceSuffix {
    /// 1-based position in the subject's service sequence.
    pub seq: u32,
    pub kind: ServiceKind,
}

impl fmt::Display for ServiceSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{}", self.seq)?;
        if let Some(l) = self.kind.letter() {
            write!(f, "{l}")?;
        }
        Ok(())
    }
}

/// An ICP filing number: `<prefix>ICP备<serial>号[-N[AXK]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IcpFilingNumber {
    province: ProvinceCode,
    // Invariant: 6–10 ASCII digits.
    serial: String,
    service: Option<ServiceSuffix>,
}

impl IcpFilingNumber {
    /// Builds a number from its parts (as the bureau issues it). `serial` must be 6–10 digits.
    pub fn new(province: ProvinceCode, serial: &str, service: Option<ServiceSuffix>) -> Option<Self> {
        let ok = (6..=10).contains(&serial.len()) && serial.bytes().all(|b| b.is_ascii_digit());
        let service_ok = service.is_none_or(|s| s.seq > 0);
        (ok && service_ok).then(|| IcpFilingNumber { province, serial: serial.to_owned(), service })
    }

    pub fn province(&self) -> ProvinceCode {
        self.province
    }
    pub fn serial(&self) -> &str {
        &self.serial
    }
    pub fn service(&self) -> Option<ServiceSuffix> {
        self.service
    }

    /// The subject number this service number hangs off (itself for a subject number).
    pub fn subject(&self) -> IcpFilingNumber {
        IcpFilingNumber { service: None, ..self.clone() }
    }

    /// The service number `-seq` of the same subject.
    pub fn with_service(&self, seq: u32, kind: ServiceKind) -> Option<IcpFilingNumber> {
        (seq > 0).then(|| IcpFilingNumber { service: Some(ServiceSuffix { seq, kind }), ..self.clone() })
    }
}

impl fmt::Display for IcpFilingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ICP备{}号", self.province.province().icp_prefix, self.serial)?;
        if let Some(s) = self.service {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// The two shapes of a commercial licence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicenceForm {
    /// `浙B2-20080101`: value-added telecom business licence, 8 digits.
    B2,
    /// `京ICP证030173号`: Beijing's legacy style, 6 digits.
    IcpZheng,
}

/// A commercial ICP licence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IcpLicenceNumber {
    /// `None` for cross-regional licences issued by MIIT itself (`B2-2008xxxx`).
    province: Option<ProvinceCode>,
    form: LicenceForm,
    serial: String,
    service: Option<ServiceSuffix>,
}

impl IcpLicenceNumber {
    pub fn province(&self) -> Option<ProvinceCode> {
        self.province
    }
    pub fn form(&self) -> LicenceForm {
        self.form
    }
    pub fn serial(&self) -> &str {
        &self.serial
    }
    pub fn service(&self) -> Option<ServiceSuffix> {
        self.service
    }
    pub fn subject(&self) -> IcpLicenceNumber {
        IcpLicenceNumber { service: None, ..self.clone() }
    }
}

impl fmt::Display for IcpLicenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.province {
            write!(f, "{}", p.province().icp_prefix)?;
        }
        match self.form {
            LicenceForm::B2 => write!(f, "B2-{}", self.serial)?,
            LicenceForm::IcpZheng => write!(f, "ICP证{}号", self.serial)?,
        }
        if let Some(s) = self.service {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// A public-security filing number: `<PSB prefix>公网安备<14 digits>号`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PsbNumber {
    province: ProvinceCode,
    // Invariant: 14 ASCII digits whose first two are the province code.
    digits: [u8; 14],
}

impl PsbNumber {
    /// Builds a number from 14 digits; the province is the one the first two digits name.
    pub fn from_digits(digits: &str) -> Option<PsbNumber> {
        let d: [u8; 14] = digits.as_bytes().try_into().ok()?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let province = ProvinceCode::parse(&digits[..2])?;
        Some(PsbNumber { province, digits: d })
    }

    pub fn province(&self) -> ProvinceCode {
        self.province
    }

    /// The 14 digits, as used in the MPS query link.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.digits).expect("ASCII")
    }

    /// GB/T 2260 code of the filing police unit's area (first six digits).
    pub fn area_code(&self) -> u32 {
        self.digits[..6].iter().fold(0, |a, b| a * 10 + u32::from(b - b'0'))
    }
}

impl fmt::Display for PsbNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}公网安备{}号", self.province.province().psb_prefix, self.digits())
    }
}

/// Any of the three number kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Number {
    IcpFiling(IcpFilingNumber),
    IcpLicence(IcpLicenceNumber),
    Psb(PsbNumber),
}

impl Number {
    pub fn kind(&self) -> NumberKind {
        match self {
            Number::IcpFiling(_) => NumberKind::IcpFiling,
            Number::IcpLicence(_) => NumberKind::IcpLicence,
            Number::Psb(_) => NumberKind::Psb,
        }
    }

    /// Province of the number, when it has one.
    pub fn province(&self) -> Option<ProvinceCode> {
        match self {
            Number::IcpFiling(n) => Some(n.province()),
            Number::IcpLicence(n) => n.province(),
            Number::Psb(n) => Some(n.province()),
        }
    }

    /// The subject-level number (without `-N`), for ICP numbers.
    pub fn subject_number(&self) -> Option<String> {
        match self {
            Number::IcpFiling(n) => Some(n.subject().to_string()),
            Number::IcpLicence(n) => Some(n.subject().to_string()),
            Number::Psb(_) => None,
        }
    }

    pub fn service(&self) -> Option<ServiceSuffix> {
        match self {
            Number::IcpFiling(n) => n.service(),
            Number::IcpLicence(n) => n.service(),
            Number::Psb(_) => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::IcpFiling(n) => n.fmt(f),
            Number::IcpLicence(n) => n.fmt(f),
            Number::Psb(n) => n.fmt(f),
        }
    }
}

/// A tolerated departure from the canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deviation {
    FullWidth,
    Spaces,
    LowercaseLetters,
    MissingHao,
    HaoAfterSuffix,
    /// The PSB number's area code (first six digits) is not in the GB/T 2260 table.
    PsbAreaUnknown,
}

impl Problem for Deviation {
    fn code(&self) -> &'static str {
        match self {
            Deviation::FullWidth => "FULL_WIDTH",
            Deviation::Spaces => "SPACES",
            Deviation::LowercaseLetters => "LOWERCASE",
            Deviation::MissingHao => "MISSING_HAO",
            Deviation::HaoAfterSuffix => "HAO_AFTER_SUFFIX",
            Deviation::PsbAreaUnknown => "PSB_AREA_UNKNOWN",
        }
    }

    fn message(&self, lang: Lang) -> String {
        say(lang, &format!("number.{}", self.code()), &[])
    }
}

/// Why a number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum NumberError {
    Empty,
    Unrecognized,
    Placeholder,
    PrefixMissing,
    PrefixWrong { found: char, expected: char, kind: NumberKind },
    PrefixNotFilingRegion { found: char },
    PrefixUnknown { found: char },
    UnexpectedText,
    SerialLength { len: usize, expected: &'static str },
    SerialCharacters,
    Suffix,
    PsbProvinceMismatch { prefix: char, digits: String },
}

impl Problem for NumberError {
    fn code(&self) -> &'static str {
        use NumberError::*;
        match self {
            Empty => "NUMBER_EMPTY",
            Unrecognized => "NUMBER_UNRECOGNIZED",
            Placeholder => "NUMBER_PLACEHOLDER",
            PrefixMissing => "NUMBER_PREFIX_MISSING",
            PrefixWrong { .. } => "NUMBER_PREFIX_WRONG",
            PrefixNotFilingRegion { .. } => "NUMBER_PREFIX_NOT_FILING_REGION",
            PrefixUnknown { .. } => "NUMBER_PREFIX_UNKNOWN",
            UnexpectedText => "NUMBER_UNEXPECTED_TEXT",
            SerialLength { .. } => "NUMBER_SERIAL_LENGTH",
            SerialCharacters => "NUMBER_SERIAL_CHARACTERS",
            Suffix => "NUMBER_SUFFIX",
            PsbProvinceMismatch { .. } => "PSB_PROVINCE_MISMATCH",
        }
    }

    fn message(&self, lang: Lang) -> String {
        use NumberError::*;
        let args = match self {
            PrefixWrong { found, expected, kind } => {
                let what = if *kind == NumberKind::Psb { "number.what.psb" } else { "number.what.icp" };
                vec![
                    ("found", found.to_string()),
                    ("expected", expected.to_string()),
                    ("what", say(lang, what, &[])),
                ]
            }
            PrefixNotFilingRegion { found } | PrefixUnknown { found } => vec![("found", found.to_string())],
            SerialLength { len, expected } => {
                vec![("len", len.to_string()), ("expected", (*expected).to_owned())]
            }
            PsbProvinceMismatch { prefix, digits } => {
                vec![("prefix", prefix.to_string()), ("digits", digits.clone())]
            }
            _ => Vec::new(),
        };
        say(lang, &format!("number.{}", self.code()), &args)
    }
}

/// A parsed number and the deviations its input had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNumber {
    pub number: Number,
    pub deviations: Vec<Deviation>,
}
