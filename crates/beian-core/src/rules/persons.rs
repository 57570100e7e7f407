//! Rules on responsible persons (主体负责人, 网站/APP负责人): names, certificates, phones,
//! e-mail, and the cross-person and cross-subject rules (rules.md §2.3, §3.4, §3.7).

use time::Duration;

use super::{Cx, arg, bi, detail, word};
use crate::id::{Email, HkMacauPermit, IdError, IdWarning, Landline, Mobile, ResidentId};
use crate::model::{CertificateKind, OrderKind, Person, ValidUntil, normalize_cert};
use crate::policy::LocalMobileRule;

/// Days of remaining validity below which a certificate is flagged (HW-rules: 3 months).
const EXPIRING_DAYS: i64 = 90;

pub(super) fn check(cx: &mut Cx<'_>) {
    let persons = cx.order.persons();
    let mobiles: Vec<Option<String>> =
        persons.iter().map(|(_, p)| Mobile::parse(&p.mobile).ok().map(|m| m.value.to_string())).collect();
    for (i, (path, person)) in persons.iter().enumerate() {
        let is_subject_head = i == 0;
        each_person(cx, path, person, is_subject_head, &mobiles);
    }
    shared_contacts(cx, &persons, &mobiles);
    service_heads(cx);
}

/// Where the province wants a local mobile (rules.md §3.4: Hunan's mobiles, Jiangsu's site
/// heads): a number whose block the data places in another province. A block the data does not
/// place says nothing.
fn local_mobile(cx: &mut Cx<'_>, path: &str, is_subject_head: bool, mobile: &Mobile) {
    let wanted = match cx.policy.values.local_mobile_required {
        LocalMobileRule::None => false,
        LocalMobileRule::All => true,
        LocalMobileRule::SiteHeads => !is_subject_head,
    };
    let Some(home) = mobile.allocated_in().filter(|_| wanted) else { return };
    if home != cx.province.code {
        let from = home.province();
        let pr = cx.province_arg();
        cx.emit(
            "PERSON_MOBILE_NOT_LOCAL",
            format!("{path}.mobile"),
            &[arg("mobile", mobile.masked()), bi("from", from.short_name, from.name_en), pr],
        );
    }
}

fn each_person(cx: &mut Cx<'_>, path: &str, p: &Person, is_subject_head: bool, mobiles: &[Option<String>]) {
    let unit = !cx.order.subject.nature.is_individual();
    // Name.
    let name = p.name.trim();
    let bad_name = if name.is_empty() {
        Some("arg.name_empty")
    } else if name.chars().any(|c| c.is_ascii_digit()) {
        Some("arg.name_digits")
    } else if name.chars().any(|c| !(c.is_alphabetic() || c == '·' || c == '•' || c == ' ' || c == '.')) {
        Some("arg.name_symbols")
    } else if name.chars().count() > 30 {
        Some("arg.name_too_long")
    } else {
        None
    };
    if let Some(reason) = bad_name {
        cx.emit("PERSON_NAME_INVALID", format!("{path}.name"), &[word("reason", reason)]);
    }
    // Certificate.
    let cert_field = format!("{path}.certificate.number");
    if !p.certificate.kind.is_personal() {
        cx.emit("PERSON_CERT_KIND", format!("{path}.certificate.kind"), &[]);
    }
    let number = &p.certificate.number;
    let parsed_id = match p.certificate.kind {
        CertificateKind::ResidentId => match ResidentId::parse(number, cx.ctx.today) {
            Ok(id) => Some(id.value),
            Err(e) => {
                cx.emit("PERSON_CERT_INVALID", cert_field.clone(), &[detail(&e)]);
                None
            }
        },
        CertificateKind::HkMacauPermit => {
            if let Err(e) = HkMacauPermit::parse(number) {
                cx.emit("PERSON_CERT_INVALID", cert_field.clone(), &[detail(&e)]);
            }
            None
        }
        _ => {
            let n = crate::text::fold_compact(number);
            if n.is_empty() || n.len() > 20 || !n.chars().all(|c| c.is_ascii_alphanumeric()) {
                cx.emit("PERSON_CERT_INVALID", cert_field.clone(), &[detail(&IdError::UnknownKind)]);
            }
            None
        }
    };
    if let Some(ValidUntil::Date(until)) = p.certificate_valid_until {
        let field = format!("{path}.certificate_valid_until");
        if until < cx.ctx.today {
            cx.emit("PERSON_CERT_EXPIRED", field, &[arg("date", until.to_string())]);
        } else if until < cx.ctx.today + Duration::days(EXPIRING_DAYS) {
            cx.emit("PERSON_CERT_EXPIRING", field, &[arg("date", until.to_string())]);
        }
    }
    if unit && parsed_id.is_some_and(|id| id.age_on(cx.ctx.today) < 18) {
        cx.emit("PERSON_MINOR", cert_field.clone(), &[]);
    }
    // Phones and e-mail.
    let mobile = match Mobile::parse(&p.mobile) {
        Ok(m) => {
            if m.warnings.contains(&IdWarning::MobileVirtualOperator) {
                cx.emit(
                    "PERSON_MOBILE_VIRTUAL",
                    format!("{path}.mobile"),
                    &[arg("mobile", m.value.masked())],
                );
            }
            local_mobile(cx, path, is_subject_head, &m.value);
            if cx
                .ctx
                .mobiles_used_by_other_subjects
                .iter()
                .any(|o| Mobile::parse(o).is_ok_and(|o| o.value == m.value))
            {
                cx.emit(
                    "PERSON_MOBILE_OTHER_SUBJECT",
                    format!("{path}.mobile"),
                    &[arg("mobile", m.value.masked())],
                );
            }
            Some(m.value)
        }
        Err(e) => {
            cx.emit("PERSON_MOBILE_INVALID", format!("{path}.mobile"), &[detail(&e)]);
            None
        }
    };
    let emergency = phone_digits(&p.emergency_phone);
    match &emergency {
        Err(e) => cx.emit("PERSON_EMERGENCY_INVALID", format!("{path}.emergency_phone"), &[detail(e)]),
        Ok(digits) if mobiles.iter().flatten().any(|m| m == digits) => {
            cx.emit("PERSON_EMERGENCY_SAME", format!("{path}.emergency_phone"), &[]);
        }
        Ok(_) => {}
    }
    if let Err(e) = Email::parse(&p.email) {
        cx.emit("PERSON_EMAIL_INVALID", format!("{path}.email"), &[detail(&e)]);
    }
    let office_field = format!("{path}.office_phone");
    let office = p.office_phone.as_deref().filter(|o| !o.trim().is_empty());
    if let Some(o) = office {
        match phone_digits(o) {
            Err(e) => cx.emit("PERSON_OFFICE_PHONE_INVALID", office_field.clone(), &[detail(&e)]),
            Ok(digits) => {
                if cx.policy.values.office_phone_differs_from_mobile
                    && mobile.as_ref().is_some_and(|m| m.as_str() == digits)
                {
                    let pr = cx.province_arg();
                    cx.emit("PERSON_OFFICE_SAME_AS_MOBILE", office_field.clone(), &[pr]);
                }
            }
        }
    }
    if unit
        && is_subject_head
        && cx.policy.values.unit_office_landline_required
        && office.is_none_or(|o| Landline::parse(o).is_err())
    {
        let pr = cx.province_arg();
        cx.emit("PERSON_OFFICE_LANDLINE_REQUIRED", office_field, &[pr]);
    }
}

/// A phone as comparable digits: a mobile's 11 digits or a landline's normalized form.
fn phone_digits(s: &str) -> Result<String, IdError> {
    match Mobile::parse(s) {
        Ok(m) => Ok(m.value.to_string()),
        Err(IdError::Empty) => Err(IdError::Empty),
        Err(_) => Landline::parse(s).map(|l| l.value.to_string()).map_err(|_| IdError::LandlineFormat),
    }
}

fn shared_contacts(cx: &mut Cx<'_>, persons: &[(String, &Person)], mobiles: &[Option<String>]) {
    let emails: Vec<Option<String>> = persons
        .iter()
        .map(|(_, p)| Email::parse(&p.email).ok().map(|e| e.value.to_string().to_lowercase()))
        .collect();
    for j in 1..persons.len() {
        for i in 0..j {
            if persons[i].1.same_person(persons[j].1) {
                continue;
            }
            if mobiles[j].is_some() && mobiles[i] == mobiles[j] {
                let masked =
                    Mobile::parse(&persons[j].1.mobile).map(|m| m.value.masked()).unwrap_or_default();
                cx.emit(
                    "PERSON_CONTACT_SHARED",
                    format!("{}.mobile", persons[j].0),
                    &[word("what", "arg.mobile"), arg("value", masked)],
                );
                break;
            }
            if emails[j].is_some() && emails[i] == emails[j] {
                let masked = Email::parse(&persons[j].1.email).map(|e| e.value.masked()).unwrap_or_default();
                cx.emit(
                    "PERSON_CONTACT_SHARED",
                    format!("{}.email", persons[j].0),
                    &[word("what", "arg.email"), arg("value", masked)],
                );
                break;
            }
        }
    }
}

fn service_heads(cx: &mut Cx<'_>) {
    let order = cx.order;
    let subject = &order.subject;
    let unit = !subject.nature.is_individual();
    let v = &cx.policy.values;
    let (auth_required, same_required, unique) = (
        v.site_head_authorization_required,
        v.site_head_same_if_head_not_legal_rep,
        v.site_heads_unique_across_subjects,
    );
    let persons = order.persons();
    for (path, head) in persons.iter().skip(1) {
        let cert = normalize_cert(&head.certificate.number);
        let field = format!("{path}.certificate.number");
        if unit && cx.ctx.site_heads_of_other_companies.iter().any(|c| normalize_cert(c) == cert) {
            cx.emit("PERSON_SITE_HEAD_OTHER_COMPANY", field.clone(), &[]);
        }
        if unique && cx.ctx.site_heads_of_other_subjects.iter().any(|c| normalize_cert(c) == cert) {
            let p = cx.province_arg();
            cx.emit("PERSON_SITE_HEAD_REPEATED", field.clone(), &[p]);
        }
        let is_legal_rep = subject.head_is_legal_representative && head.same_person(&subject.head);
        if unit && auth_required && !is_legal_rep && !head.authorization_letter {
            let p = cx.province_arg();
            cx.emit("PERSON_AUTHORIZATION_REQUIRED", format!("{path}.authorization_letter"), &[p]);
        }
        if unit && same_required && !subject.head_is_legal_representative && !head.same_person(&subject.head)
        {
            let p = cx.province_arg();
            cx.emit("PERSON_SITE_HEAD_SAME", field, &[p]);
        }
    }
    let adding = matches!(
        order.kind,
        OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere | OrderKind::NewAccess
    );
    if adding && v.head_must_match_on_file_for_additions {
        let on_file = cx.ctx.on_file.as_ref().and_then(|f| f.head_certificate.as_deref());
        if on_file.is_some_and(|c| !subject.head.same_person_as_certificate(c)) {
            let p = cx.province_arg();
            cx.emit("PERSON_HEAD_CHANGED", "subject.head.certificate.number", &[p]);
        }
    }
}
