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

use crate::message::{Lang, Message, Problem};

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
    ResidentIdLength { len: usize },
    ResidentIdChar { pos: usize },
    ResidentIdChecksum { expected: char },
    ResidentIdBirthDate,
    ResidentIdBirthFuture,
    ResidentIdBirthTooOld,
    ResidentIdRegion { code: u32 },
    UsccLength { len: usize },
    UsccChar { pos: usize },
    OrgCodeLength { len: usize },
    OrgCodeChar { pos: usize },
    OrgCodeChecksum { expected: char },
    MobileFormat,
    MobilePrefix,
    LandlineFormat,
    EmailFormat { reason: &'static str },
    DomainNotHost,
    DomainTooLong,
    DomainLabel { reason: &'static str },
    DomainIdna,
    DomainIsIp,
    DomainNoSuffix,
    DomainIsSuffix,
    IpFormat,
    IpNotPublic { kind: &'static str, label: &'static str },
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
        let (zh, en): (String, String) = match self {
            Empty => ("未填写。".into(), "The value is empty.".into()),
            ResidentIdLegacy15 => (
                "这是15位第一代身份证号码，已停止使用，请填写18位第二代居民身份证号码。".into(),
                "This is a 15-digit first-generation ID number, which is no longer accepted; enter the 18-digit number of the second-generation resident ID card.".into(),
            ),
            ResidentIdLength { len } => (
                format!("居民身份证号码应为18位，当前为{len}位。"),
                format!("A resident ID number has 18 characters; this one has {len}."),
            ),
            ResidentIdChar { pos } => (
                format!("第{pos}位字符无效：前17位只能是数字，第18位只能是数字或X。"),
                format!("Character {pos} is invalid: the first 17 must be digits and the 18th a digit or X."),
            ),
            ResidentIdChecksum { expected } => (
                format!("校验码不正确（按GB 11643计算应为{expected}），请核对号码是否抄错。"),
                format!("The check character is wrong (GB 11643 gives {expected}); check the number for a typo."),
            ),
            ResidentIdBirthDate => (
                "号码中的出生日期（第7–14位）不是有效日期。".into(),
                "The birth date in the number (characters 7–14) is not a real date.".into(),
            ),
            ResidentIdBirthFuture => (
                "号码中的出生日期晚于今天。".into(),
                "The birth date in the number is in the future.".into(),
            ),
            ResidentIdBirthTooOld => (
                "号码中的出生年份早于1800年。".into(),
                "The birth year in the number is before 1800.".into(),
            ),
            ResidentIdRegion { code } => (
                format!("前6位地址码{code:06}不在GB/T 2260行政区划代码表（含历史代码）中。"),
                format!("The region code {code:06} (first 6 digits) is not in the GB/T 2260 division table, historic codes included."),
            ),
            UsccLength { len } => (
                format!("统一社会信用代码应为18位，当前为{len}位。"),
                format!("A unified social credit code has 18 characters; this one has {len}."),
            ),
            UsccChar { pos } => (
                format!("第{pos}位字符无效：统一社会信用代码只使用数字和除I、O、Z、S、V以外的大写字母。"),
                format!("Character {pos} is invalid: the code uses digits and capital letters except I, O, Z, S and V."),
            ),
            OrgCodeLength { len } => (
                format!("组织机构代码应为9位（8位本体代码+1位校验码），当前为{len}位。"),
                format!("An organization code has 9 characters (8 + check); this one has {len}."),
            ),
            OrgCodeChar { pos } => (
                format!("第{pos}位字符无效：本体代码只能是数字或大写字母，校验码只能是数字或X。"),
                format!("Character {pos} is invalid: the body uses digits and capital letters, the check a digit or X."),
            ),
            OrgCodeChecksum { expected } => (
                format!("校验码不正确（按GB 11714计算应为{expected}）。"),
                format!("The check character is wrong (GB 11714 gives {expected})."),
            ),
            MobileFormat => (
                "手机号码应为11位数字（可带+86前缀）。".into(),
                "A mobile number has 11 digits (a +86 prefix is allowed).".into(),
            ),
            MobilePrefix => (
                "手机号码应以13–19开头。".into(),
                "A mainland mobile number starts with 13 to 19.".into(),
            ),
            LandlineFormat => (
                "固定电话应为“区号-号码”，如010-12345678，可带分机号。".into(),
                "A landline is area code and number, e.g. 010-12345678, optionally with an extension.".into(),
            ),
            EmailFormat { reason } => (
                format!("电子邮箱格式不正确：{reason}。"),
                format!("The e-mail address is malformed: {reason}."),
            ),
            DomainNotHost => (
                "请只填写域名（如example.com），不要包含http://、路径、端口或空格。".into(),
                "Enter the domain only (e.g. example.com), without http://, path, port or spaces.".into(),
            ),
            DomainTooLong => ("域名超过253个字符。".into(), "The domain name is longer than 253 characters.".into()),
            DomainLabel { reason } => (
                format!("域名格式不正确：{reason}。"),
                format!("The domain name is malformed: {reason}."),
            ),
            DomainIdna => (
                "中文域名无法转换为Punycode，请检查是否含有不允许的字符。".into(),
                "The internationalized domain cannot be converted to punycode; it contains characters IDNA does not allow.".into(),
            ),
            DomainIsIp => ("这是IP地址，不是域名。".into(), "This is an IP address, not a domain name.".into()),
            DomainNoSuffix => (
                "域名的后缀不是已知的顶级域。".into(),
                "The domain does not end in a known top-level domain.".into(),
            ),
            DomainIsSuffix => (
                "这是公共后缀本身（如com.cn），不是可注册的域名。".into(),
                "This is a public suffix itself (e.g. com.cn), not a registrable domain.".into(),
            ),
            IpFormat => ("不是有效的IPv4或IPv6地址。".into(), "This is not a valid IPv4 or IPv6 address.".into()),
            IpNotPublic { label, .. } => (
                format!("不是公网IP地址（属于{label}），备案须填写接入服务商分配的公网IP。"),
                format!("Not a public IP address ({label}); a filing needs the public IP the provider assigned."),
            ),
            PermitFormat => (
                "港澳居民来往内地通行证号码应为H或M开头加8位或10位数字。".into(),
                "A Mainland Travel Permit for HK/Macau residents is H or M followed by 8 or 10 digits.".into(),
            ),
            UnknownKind => (
                "无法识别证件类型。".into(),
                "The kind of identifier could not be recognised.".into(),
            ),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
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
        use IdWarning::*;
        let (zh, en) = match self {
            FullWidthFolded => ("全角字符已按半角读取。", "Full-width characters were read as ASCII."),
            LowercaseFolded => ("小写字母已按大写读取。", "Lower-case letters were read as capitals."),
            SeparatorsRemoved => {
                ("已去除号码中的空格或连字符。", "Spaces or hyphens inside the value were removed.")
            }
            UsccOrgCodeChecksum => (
                "代码中的组织机构代码（第9–17位）未通过GB 11714校验；部分早期试点代码属合法情况，请人工核对营业执照。",
                "The embedded organization code (characters 9–17) fails its GB 11714 check; some early pilot codes are legal like this, so compare with the business licence.",
            ),
            UsccCheckChar => (
                "最后一位校验码与GB 32100的计算结果不符：可能是录入错误，也可能是早期试点代码（合法但不符合校验），请核对营业执照。",
                "The final check character does not match GB 32100: a typo, or an early pilot-era code (legal though it fails the check); compare with the business licence.",
            ),
            UsccUnknownRegion => (
                "第3–8位不是已知的行政区划代码。",
                "Characters 3–8 are not a known administrative division code.",
            ),
            UsccUnknownCategory => (
                "登记管理部门代码或机构类别代码不在已知列表中。",
                "The registration authority or category code is not in the known table.",
            ),
            ResidentIdHistoricRegion => (
                "地址码为已撤销的历史行政区划，身份证号码仍然有效。",
                "The region code is a historic (abolished) division; the ID number stays valid.",
            ),
            CountryCodeRemoved => ("已去除国家代码+86。", "The country code +86 was removed."),
            MobileVirtualOperator => (
                "该号段为虚拟运营商号段，可能无法接收工信部备案核验短信。",
                "This is a virtual-operator range that may not receive the MIIT verification SMS.",
            ),
            DomainConvertedToPunycode => {
                ("中文域名已转换为Punycode。", "The internationalized domain was converted to punycode.")
            }
            DomainTldNotApproved => (
                "该顶级域不在工信部批准可备案的后缀列表中（以domain.miit.gov.cn为准）。",
                "The top-level domain is not on the list of MIIT-approved suffixes (domain.miit.gov.cn is authoritative).",
            ),
            DomainIsSubdomain => (
                "这是子域名；备案应填写顶级（可注册）域名。",
                "This is a subdomain; filings list the registrable domain.",
            ),
        };
        lang.pick(zh, en).to_owned()
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
