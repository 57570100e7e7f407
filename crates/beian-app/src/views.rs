//! What the use cases return, and PII masking.
//!
//! Every view masks certificate numbers of persons, phones and e-mail addresses by default.
//! A caller that may see them in full (the owner, staff) can ask to reveal them; that view is
//! audited. When a client sends back a masked value unchanged (`110***********002X`), the
//! stored value is kept, so a form can round-trip what it was shown.

use beian_core::model::{CertificateKind, Order, Person, Subject};
use beian_core::rules::{DomainFacts, Finding};
use beian_core::text::mask;
use beian_core::workflow::OrderState;
use beian_store::Uuid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A subject as shown to its owner or to staff.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SubjectView {
    pub id: Uuid,
    pub version: i64,
    pub subject: Subject,
    /// The subject's own rules on what is saved (warnings included), as `POST /orders/{id}/check`
    /// reports them for its `subject.*` fields.
    pub findings: Vec<beian_core::rules::Finding>,
    pub province: String,
    pub filed_number: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A field-level rejection reason, as the reviewer gives it (WeChat's `audit_data` shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewFinding {
    pub field: String,
    pub error: String,
    pub suggestion: String,
}

/// The document stored (encrypted) for an order: what the applicant entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDoc {
    pub order: Order,
    /// Registry facts as entered per domain (real-name date, holder, expiry).
    #[serde(default)]
    pub domain_facts: BTreeMap<String, DomainFacts>,
    /// The reviewer's record of the identity check.
    #[serde(default)]
    pub verification: Option<Verification>,
    /// A change order started from the filing: the subject and the services concerned as
    /// filed when it started, what the change is measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed: Option<Order>,
}

/// The outcome of the manual identity check (face photo against ID card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    pub passed: bool,
    pub note: String,
    pub by: Uuid,
    pub at: String,
}

/// An order as shown to its owner or to staff.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub version: i64,
    pub subject_id: Uuid,
    pub state: OrderState,
    pub order: Order,
    pub domain_facts: BTreeMap<String, DomainFacts>,
    /// The rule engine's findings, run again on every write of the draft (`POST /check` runs
    /// them against today's outside facts).
    pub findings: Vec<Finding>,
    pub review_findings: Vec<ReviewFinding>,
    pub verification: Option<Verification>,
    pub reviewer_id: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    /// When the order entered its current stage, and the working-day SLA due date.
    pub stage_since: String,
    pub sla_due: Option<String>,
    /// Set when `sla_due` reaches a year whose holiday calendar is not on file: that year's
    /// days were counted by weekends alone, so the date may be early.
    pub sla_due_year_without_calendar: Option<i32>,
    /// What the bureau issued — numbers and footer snippets — once approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing: Option<crate::seam::Filing>,
    /// For a change order started from the filing (`POST /subjects/{id}/changes`): the JSON
    /// paths of the fields that differ from the data as filed. The order's kind follows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed_fields: Vec<String>,
}

/// One entry of an order's timeline.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    pub at: String,
    pub actor_role: String,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub detail: serde_json::Value,
}

/// Formats a timestamp column as RFC 3339 in China time.
pub fn rfc3339(us: i64) -> String {
    let t = beian_store::from_micros(us).to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("valid offset"));
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A date as the V3.0 interface writes it: `YYYY-MM-DD`, China time.
pub(crate) fn spec_date(us: i64) -> String {
    let t = beian_store::from_micros(us).to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("valid offset"));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

pub(crate) fn mask_cert(kind: CertificateKind, number: &str) -> String {
    match kind {
        // Unit codes are public (printed on licences and footers).
        CertificateKind::BusinessLicence
        | CertificateKind::UsccCertificate
        | CertificateKind::OrgCodeCertificate => number.to_owned(),
        CertificateKind::ResidentId => mask(number.trim(), 3, 4),
        _ => mask(number.trim(), 1, 2),
    }
}

pub(crate) fn mask_phone(p: &str) -> String {
    let t = p.trim();
    if t.is_empty() { String::new() } else { mask(t, 3, 4) }
}

fn mask_email(e: &str) -> String {
    match e.trim().split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", mask(local, 1, 0)),
        None => mask(e.trim(), 1, 0),
    }
}

/// Masks an e-mail address for lists (outbox pages).
pub fn mask_email_public(e: &str) -> String {
    mask_email(e)
}

/// Masks one person in place.
pub fn mask_person(p: &mut Person) {
    p.certificate.number = mask_cert(p.certificate.kind, &p.certificate.number);
    p.mobile = mask_phone(&p.mobile);
    p.emergency_phone = mask_phone(&p.emergency_phone);
    if let Some(o) = &mut p.office_phone {
        *o = mask_phone(o);
    }
    p.email = mask_email(&p.email);
}

/// Masks a subject in place (the subject's own certificate only for individuals).
pub fn mask_subject(s: &mut Subject) {
    s.certificate.number = mask_cert(s.certificate.kind, &s.certificate.number);
    mask_person(&mut s.head);
}

/// Masks every person of an order in place.
pub fn mask_order(o: &mut Order) {
    mask_subject(&mut o.subject);
    for w in &mut o.websites {
        mask_person(&mut w.head);
    }
    for a in &mut o.apps {
        mask_person(&mut a.head);
    }
}

/// Keeps a stored value where the client sent back its masked form.
pub(crate) fn keep(incoming: &mut String, stored: &str, masked: String) {
    if *incoming == masked && !stored.is_empty() {
        *incoming = stored.to_owned();
    }
}

pub(crate) fn unmask_person(incoming: &mut Person, stored: &Person) {
    keep(
        &mut incoming.certificate.number,
        &stored.certificate.number,
        mask_cert(stored.certificate.kind, &stored.certificate.number),
    );
    keep(&mut incoming.mobile, &stored.mobile, mask_phone(&stored.mobile));
    keep(&mut incoming.emergency_phone, &stored.emergency_phone, mask_phone(&stored.emergency_phone));
    keep(&mut incoming.email, &stored.email, mask_email(&stored.email));
    if let (Some(i), Some(s)) = (&mut incoming.office_phone, &stored.office_phone) {
        keep(i, s, mask_phone(s));
    }
}

/// Restores masked values in `incoming` from `stored`, person by person: the subject head, and
/// each website's/app's head at the same position.
pub fn unmask_order(incoming: &mut Order, stored: &Order) {
    unmask_person(&mut incoming.subject.head, &stored.subject.head);
    for (i, s) in incoming.websites.iter_mut().zip(&stored.websites) {
        unmask_person(&mut i.head, &s.head);
    }
    for (i, s) in incoming.apps.iter_mut().zip(&stored.apps) {
        unmask_person(&mut i.head, &s.head);
    }
}

/// Restores masked values of a subject.
pub fn unmask_subject(incoming: &mut Subject, stored: &Subject) {
    keep(
        &mut incoming.certificate.number,
        &stored.certificate.number,
        mask_cert(stored.certificate.kind, &stored.certificate.number),
    );
    unmask_person(&mut incoming.head, &stored.head);
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_core::model::Certificate;

    fn person() -> Person {
        Person {
            name: "王五".into(),
            certificate: Certificate {
                kind: CertificateKind::ResidentId,
                number: "11010519491231002X".into(),
            },
            certificate_valid_until: None,
            mobile: "13800138000".into(),
            emergency_phone: "0571-85022088".into(),
            office_phone: None,
            email: "wangwu@example.com".into(),
            authorization_letter: false,
        }
    }

    #[test]
    fn masks_and_restores() {
        let stored = person();
        let mut shown = stored.clone();
        mask_person(&mut shown);
        assert_eq!(shown.certificate.number, "110***********002X");
        assert_eq!(shown.mobile, "138****8000");
        assert_eq!(shown.email, "w*****@example.com");
        let text = serde_json::to_string(&shown).unwrap();
        assert!(!text.contains("13800138000") && !text.contains("11010519491231002X"));
        let mut back = shown.clone();
        back.name = "王五五".into();
        unmask_person(&mut back, &stored);
        assert_eq!(back.certificate.number, stored.certificate.number);
        assert_eq!(back.mobile, stored.mobile);
        // A changed value is taken as sent.
        let mut changed = shown;
        changed.mobile = "13900139000".into();
        unmask_person(&mut changed, &stored);
        assert_eq!(changed.mobile, "13900139000");
    }
}
