//! Public-security network filing (公安联网备案): the application for one filed website, what
//! it is pre-filled from, its 30-day deadline and reminders, and the number the platform
//! issues. Enumerations, deadlines and the responsibility statement are data
//! (`data/psb.toml`, with sources); the checks are in [`crate::rules::check_psb`].
//!
//! Pure like the rest of the core: "today" and the provider's and registrar's details arrive
//! as arguments.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::model::{Certificate, Order, Person, PreApproval, SubjectNature};
use crate::number::PsbNumber;

#[derive(Debug, Deserialize)]
struct Data {
    deadline_days: i64,
    reminder_days: Vec<i64>,
    number_kind_digits: String,
    service_type: Vec<Choice>,
    access_method: Vec<Choice>,
    language: Vec<Choice>,
    dangerous_goods: Vec<Choice>,
    statement: Statement,
}

/// One value of an enumeration, with its labels.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Choice {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// For service types: an interactive service by nature.
    #[serde(default)]
    pub interactive: bool,
}

/// The responsibility statement in force.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Statement {
    pub version: String,
    pub zh: String,
    pub en: String,
}

fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| toml::from_str(include_str!("../data/psb.toml")).expect("data/psb.toml is valid"))
}

pub fn service_types() -> &'static [Choice] {
    &data().service_type
}

pub fn access_methods() -> &'static [Choice] {
    &data().access_method
}

pub fn languages() -> &'static [Choice] {
    &data().language
}

pub fn dangerous_goods() -> &'static [Choice] {
    &data().dangerous_goods
}

/// Days from going live by which the PSB filing must be made.
pub fn deadline_days() -> i64 {
    data().deadline_days
}

/// The days after going live on which an unfiled site's owner is reminded.
pub fn reminder_days() -> &'static [i64] {
    &data().reminder_days
}

/// The statement an applicant accepts now.
pub fn statement() -> &'static Statement {
    &data().statement
}

/// The access provider block (网络接入服务商), from the provider's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessProvider {
    pub name: String,
    /// 所属区域, e.g. `浙江省杭州市余杭区`.
    pub region: String,
    /// A code of `access_method` in `data/psb.toml`.
    pub method: String,
    pub phone: String,
    /// 组织机构代码 / 接入商编码.
    #[serde(default)]
    pub organization_code: String,
}

/// The domain registrar block (域名注册服务商).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registrar {
    pub name: String,
    pub region: String,
    pub phone: String,
}

/// The emergency contact (应急联系人).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub mobile: String,
}

/// Who accepted which statement, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    pub version: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub accepted_at: OffsetDateTime,
    /// The account that accepted it.
    pub actor: String,
}

/// A PSB application for one filed website.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PsbApplication {
    /// The website's ICP number (`浙ICP备2026012345号-1`).
    pub icp_number: String,
    pub website_name: String,
    pub domains: Vec<String>,
    /// The server's public IP (never an internal one).
    pub ip: String,
    /// The day the site opened; the 30 days run from it.
    #[schemars(with = "String")]
    pub go_live: Date,
    /// GB/T 2260 code of the county whose police the site files with (the first six digits
    /// of its number), normally where the subject is.
    pub filing_area: String,
    pub subject_nature: SubjectNature,
    pub subject_name: String,
    pub subject_certificate: Certificate,
    /// Codes of `service_type`.
    pub service_types: Vec<String>,
    /// 是否提供互联网交互服务 (users publish information to the public).
    pub interactive: bool,
    /// Codes of `dangerous_goods` the site publishes information on; empty for none.
    #[serde(default)]
    pub dangerous_goods: Vec<String>,
    /// 相关前置许可 (units).
    #[serde(default)]
    pub pre_licences: Vec<PreApproval>,
    /// Codes of `language`.
    pub languages: Vec<String>,
    pub access: AccessProvider,
    pub registrar: Registrar,
    /// 网站负责人.
    pub responsible: Person,
    pub emergency: Contact,
    /// Acceptance of the responsibility statement; required before submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<Acceptance>,
}

/// Maps a website language as the ICP order names it to a PSB language code.
fn language_code(icp_language: &str) -> &'static str {
    match icp_language.trim() {
        "中文简体" | "简体中文" | "中文" | "zh" | "zh-CN" => "zh",
        "中文繁体" | "繁体中文" | "zh-Hant" | "zh-TW" | "zh-HK" => "zh-Hant",
        "英文" | "英语" | "English" | "en" => "en",
        _ => "other",
    }
}

/// A PSB application pre-filled from the filed order's website `index`, its ICP number, the
/// server's public IP (the order's first IP when `None`), the provider's access block and the
/// registrar's details. What the order does
/// not know (service types, interactivity, dangerous goods, the statement) is left for the
/// applicant.
pub fn prefill(
    order: &Order,
    index: usize,
    icp_number: &str,
    ip: Option<&str>,
    go_live: Date,
    access: AccessProvider,
    registrar: Registrar,
) -> Option<PsbApplication> {
    let w = order.websites.get(index)?;
    let mut languages: Vec<String> = w.languages.iter().map(|l| language_code(l).to_owned()).collect();
    languages.dedup();
    if languages.is_empty() {
        languages.push("zh".to_owned());
    }
    // The subject's head is the natural emergency contact unless they are the responsible
    // person; then the responsible person's own emergency number.
    let head = &order.subject.head;
    let emergency = if head.certificate.number != w.head.certificate.number {
        Contact { name: head.name.clone(), mobile: head.mobile.clone() }
    } else {
        Contact { name: w.head.name.clone(), mobile: w.head.emergency_phone.clone() }
    };
    Some(PsbApplication {
        icp_number: icp_number.to_owned(),
        website_name: w.name.clone(),
        domains: w.domains.clone(),
        ip: ip.map(str::to_owned).or_else(|| w.access.ips.first().cloned()).unwrap_or_default(),
        go_live,
        filing_area: order.subject.region.clone(),
        subject_nature: order.subject.nature,
        subject_name: order.subject.name.clone(),
        subject_certificate: order.subject.certificate.clone(),
        service_types: Vec::new(),
        interactive: false,
        dangerous_goods: Vec::new(),
        pre_licences: if order.subject.nature.is_individual() { Vec::new() } else { w.pre_approvals.clone() },
        languages,
        access,
        registrar,
        responsible: w.head.clone(),
        emergency,
        statement: None,
    })
}

/// Where a site stands against its 30-day deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Deadline {
    #[schemars(with = "String")]
    pub due: Date,
    /// Days from go-live to today.
    pub days_live: i64,
    /// Days left until `due` (negative when overdue).
    pub days_left: i64,
    pub overdue: bool,
}

/// The deadline of a site that opened on `go_live`, seen on `today`.
pub fn deadline(go_live: Date, today: Date) -> Deadline {
    let due = go_live + Duration::days(data().deadline_days);
    let days_live = (today - go_live).whole_days();
    let days_left = (due - today).whole_days();
    Deadline { due, days_live, days_left, overdue: days_left < 0 }
}

/// The reminder to send on `today` for a site that opened on `go_live` and is not filed yet:
/// the latest reminder day (20, 27, 30) reached that is not in `sent`. One reminder per run
/// of the check, however many days were missed, and never the same day twice.
pub fn reminder_due(go_live: Date, today: Date, sent: &[i64]) -> Option<i64> {
    let live = (today - go_live).whole_days();
    data().reminder_days.iter().copied().filter(|d| *d <= live && !sent.contains(d)).max()
}

/// The number the platform issues: the filing police area's six digits, the kind digits and
/// a six-digit serial. `None` when the area is not six digits or the serial does not fit.
pub fn issue_number(filing_area: &str, serial: u32) -> Option<PsbNumber> {
    if filing_area.len() != 6 || !filing_area.bytes().all(|b| b.is_ascii_digit()) || serial > 999_999 {
        return None;
    }
    PsbNumber::from_digits(&format!("{filing_area}{}{serial:06}", data().number_kind_digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_deadline_is_thirty_days_from_opening() {
        let d = deadline(date!(2026 - 11 - 01), date!(2026 - 11 - 28));
        assert_eq!((d.due, d.days_live, d.days_left, d.overdue), (date!(2026 - 12 - 01), 27, 3, false));
        assert!(deadline(date!(2026 - 10 - 01), date!(2026 - 11 - 28)).overdue);
    }

    #[test]
    fn reminders_fire_on_days_20_27_30_once_each() {
        let live = date!(2026 - 11 - 01);
        let on = |day: i64, sent: &[i64]| reminder_due(live, live + Duration::days(day), sent);
        assert_eq!(on(19, &[]), None);
        assert_eq!(on(20, &[]), Some(20));
        assert_eq!(on(21, &[20]), None);
        assert_eq!(on(27, &[20]), Some(27));
        assert_eq!(on(31, &[20, 27]), Some(30));
        assert_eq!(on(31, &[20, 27, 30]), None);
        // A check that missed days sends only the latest reminder.
        assert_eq!(on(28, &[]), Some(27));
    }

    #[test]
    fn numbers_carry_the_area_and_the_psb_prefix() {
        let n = issue_number("510802", 20150).unwrap();
        assert_eq!(n.to_string(), "川公网安备51080202020150号");
        assert_eq!(n.area_code(), 510802);
        assert_eq!(issue_number("330106", 1).unwrap().to_string(), "浙公网安备33010602000001号");
        assert!(issue_number("3301", 1).is_none());
        assert!(issue_number("330106", 1_000_000).is_none());
        assert!(issue_number("990106", 1).is_none());
    }

    #[test]
    fn enumerations_and_statement_are_loaded() {
        assert!(service_types().iter().any(|s| s.interactive));
        assert!(!access_methods().is_empty() && !languages().is_empty() && !dangerous_goods().is_empty());
        assert!(!statement().version.is_empty());
    }
}
