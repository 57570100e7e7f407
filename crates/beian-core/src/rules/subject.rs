//! Rules on the subject (主体): name, nature, certificate, region, addresses, head, and the
//! individual-subject restrictions (rules.md §2.1, §2.2, §3.3, §3.4, §3.7).

use super::{Cx, arg, bi, detail, word, worded};
use crate::division::{Level, divisions};
use crate::id::{DomainName, IdWarning, OrgCode, ResidentId, Uscc, uscc_check_char};
use crate::model::{CertificateKind, SubjectNature};
use crate::number::{Number, parse as parse_number};
use crate::policy::{HeadRule, ResidenceRule};
use crate::province::{ProvinceCode, provinces};

pub(super) fn check(cx: &mut Cx<'_>) {
    name_and_nature(cx);
    certificate(cx);
    sole_proprietor(cx);
    region_and_addresses(cx);
    head(cx);
    individual(cx);
    existing_number(cx);
    government_domains(cx);
    blacklisted(cx);
}

/// Where the province says so, a 个体工商户 (by its nature, or by its licence: authority 9,
/// category 2) files as an enterprise.
fn sole_proprietor(cx: &mut Cx<'_>) {
    if !cx.policy.values.sole_proprietor_files_as_enterprise {
        return;
    }
    let s = &cx.order.subject;
    let licence_says = matches!(s.certificate.kind, CertificateKind::BusinessLicence)
        && Uscc::parse(&s.certificate.number)
            .is_ok_and(|p| (p.value.authority(), p.value.category()) == ('9', '2'));
    let files_otherwise = s.nature != SubjectNature::Enterprise;
    if s.nature == SubjectNature::SoleProprietor || (licence_says && files_otherwise) {
        let province = cx.province_arg();
        cx.emit("SUBJECT_SOLE_PROPRIETOR_NATURE", "subject.nature", &[province]);
    }
}

/// A subject on the bureau's blacklist is refused anything but leaving.
fn blacklisted(cx: &mut Cx<'_>) {
    if cx.ctx.subject_blacklisted && !cx.order.kind.is_cancellation() {
        cx.emit("SUBJECT_BLACKLISTED", "subject.certificate.number", &[]);
    }
}

fn nature_arg(n: SubjectNature) -> super::Arg<'static> {
    worded("nature", |l| n.label(l))
}

fn name_and_nature(cx: &mut Cx<'_>) {
    let s = &cx.order.subject;
    let name = s.name.trim();
    if name.is_empty() {
        cx.emit("SUBJECT_NAME_MISSING", "subject.name", &[]);
        return;
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        cx.emit("SUBJECT_NAME_FORM", "subject.name", &[word("reason", "arg.digits_only")]);
    } else if name.contains('.') && DomainName::parse(name).is_ok() {
        cx.emit("SUBJECT_NAME_FORM", "subject.name", &[word("reason", "arg.a_domain_name")]);
    }
    let looks_like_company = cx.set.words.company_forms.find_in(name).is_some();
    let company_nature = matches!(s.nature, SubjectNature::Enterprise | SubjectNature::SoleProprietor);
    let mismatch = if s.nature.is_individual() {
        looks_like_company
    } else {
        name.ends_with("公司") && !company_nature
    };
    if mismatch {
        cx.emit("SUBJECT_NATURE_MISMATCH", "subject.nature", &[nature_arg(s.nature), arg("name", name)]);
    }
}

/// The serde name of a certificate kind, as used in the data files.
fn kind_key(kind: CertificateKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn nature_key(n: SubjectNature) -> String {
    serde_json::to_value(n).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn certificate(cx: &mut Cx<'_>) {
    let s = &cx.order.subject;
    let allowed = cx.set.words.subject_certificates.by_nature.get(&nature_key(s.nature));
    if !allowed.is_some_and(|kinds| kinds.contains(&kind_key(s.certificate.kind))) {
        cx.emit("SUBJECT_CERT_KIND", "subject.certificate.kind", &[nature_arg(s.nature)]);
    }
    let field = "subject.certificate.number";
    let number = &s.certificate.number;
    match s.certificate.kind {
        CertificateKind::BusinessLicence | CertificateKind::UsccCertificate => match Uscc::parse(number) {
            Ok(p) => {
                if p.warnings.contains(&IdWarning::UsccCheckChar) {
                    let first17: Option<&[u8; 17]> = p.value.as_str().as_bytes()[..17].try_into().ok();
                    let expected = first17.map(uscc_check_char).unwrap_or('?');
                    cx.emit("SUBJECT_CERT_CHECK_CHAR", field, &[arg("expected", expected.to_string())]);
                }
                if p.warnings.contains(&IdWarning::UsccOrgCodeChecksum) {
                    cx.emit("SUBJECT_CERT_PILOT_CHECK", field, &[]);
                }
                let registered = p.value.region_code().and_then(ProvinceCode::of_division);
                if let Some(reg) = registered.filter(|r| *r != cx.order.province) {
                    let p = reg.province();
                    cx.emit(
                        "SUBJECT_CROSS_PROVINCE",
                        field,
                        &[bi("cert_province", p.short_name, p.name_en), cx.province_arg()],
                    );
                }
            }
            Err(e) => cx.emit("SUBJECT_CERT_INVALID", field, &[detail(&e)]),
        },
        CertificateKind::OrgCodeCertificate => {
            if let Err(e) = OrgCode::parse(number) {
                cx.emit("SUBJECT_CERT_INVALID", field, &[detail(&e)]);
            }
        }
        CertificateKind::ResidentId => {
            if let Err(e) = ResidentId::parse(number, cx.ctx.today) {
                cx.emit("SUBJECT_CERT_INVALID", field, &[detail(&e)]);
            }
        }
        // Persons' other documents are checked on the head (the same document for individuals).
        _ => {
            if number.trim().is_empty() {
                cx.emit("SUBJECT_CERT_INVALID", field, &[detail(&crate::id::IdError::Empty)]);
            }
        }
    }
}

fn region_and_addresses(cx: &mut Cx<'_>) {
    let s = &cx.order.subject;
    let table = divisions();
    let region: Option<u32> = s.region.trim().parse().ok().filter(|_| s.region.trim().len() == 6);
    match region.and_then(|r| table.get(r)).filter(|d| d.is_current() && d.level() != Level::Province) {
        None => cx.emit("SUBJECT_REGION_INVALID", "subject.region", &[arg("region", s.region.trim())]),
        Some(d) if ProvinceCode::of_division(d.code) != Some(cx.order.province) => {
            let p = cx.province_arg();
            cx.emit("SUBJECT_REGION_PROVINCE", "subject.region", &[p]);
        }
        Some(_) => {}
    }
    if s.certificate_address.trim().is_empty() {
        cx.emit(
            "SUBJECT_ADDRESS_MISSING",
            "subject.certificate_address",
            &[word("which", "arg.certificate_address")],
        );
    }
    let mailing = s.mailing_address.trim();
    if mailing.is_empty() {
        cx.emit(
            "SUBJECT_ADDRESS_MISSING",
            "subject.mailing_address",
            &[word("which", "arg.mailing_address")],
        );
        return;
    }
    let detailed = mailing
        .chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || "一二三四五六七八九十".contains(c))
        && ["号", "室", "栋", "楼", "幢", "村", "组", "座", "层", "单元", "弄"]
            .iter()
            .any(|m| mailing.contains(m));
    if !detailed {
        cx.emit("SUBJECT_ADDRESS_DETAIL", "subject.mailing_address", &[]);
    }
    if let Some(other) = provinces().iter().find(|p| p.code != cx.order.province && mailing.contains(p.name))
    {
        let p = cx.province_arg();
        cx.emit("SUBJECT_ADDRESS_PROVINCE", "subject.mailing_address", &[arg("other", other.name), p]);
    }
    if cx.policy.values.mailing_address_same_city
        && let Some(own_city) = region.map(|r| r / 100 * 100)
    {
        let prefix = own_city / 10_000;
        let other = table.iter().find(|d| {
            d.code / 10_000 == prefix
                && d.code != own_city
                && d.level() == Level::City
                && d.is_current()
                && d.name.ends_with(['市', '州', '盟'])
                && mailing.contains(d.name)
        });
        if let Some(other) = other {
            cx.emit("SUBJECT_ADDRESS_CITY", "subject.mailing_address", &[arg("other", other.name)]);
        }
    }
}

fn head(cx: &mut Cx<'_>) {
    let s = &cx.order.subject;
    if s.nature.is_individual() || s.head_is_legal_representative {
        return;
    }
    let extra = match cx.policy.values.head_legal_rep {
        HeadRule::Required => Some(arg("extra", "")),
        HeadRule::Authorization if !s.head.authorization_letter => {
            Some(word("extra", "arg.or_authorization_letter"))
        }
        _ => None,
    };
    if let Some(extra) = extra {
        let p = cx.province_arg();
        cx.emit("SUBJECT_HEAD_LEGAL_REP", "subject.head_is_legal_representative", &[p, extra]);
    }
}

fn individual(cx: &mut Cx<'_>) {
    let s = &cx.order.subject;
    if !s.nature.is_individual() {
        return;
    }
    if s.name.trim() != s.head.name.trim() || !s.head.same_person_as_certificate(&s.certificate.number) {
        cx.emit("SUBJECT_INDIVIDUAL_IDENTITY", "subject.name", &[]);
    }
    if s.head.certificate.kind != CertificateKind::ResidentId {
        return;
    }
    let Ok(id) = ResidentId::parse(&s.head.certificate.number, cx.ctx.today) else { return };
    let id = id.value;
    let v = &cx.policy.values;
    let age = id.age_on(cx.ctx.today);
    if v.individual_min_age > 0 && age < v.individual_min_age {
        let min = v.individual_min_age.to_string();
        let p = cx.province_arg();
        if v.individual_review_age > 0 && age >= v.individual_review_age {
            cx.emit("SUBJECT_INDIVIDUAL_AGE_REVIEW", "subject.head.certificate.number", &[arg("min", min)]);
        } else {
            cx.emit("SUBJECT_INDIVIDUAL_AGE", "subject.head.certificate.number", &[p, arg("min", min)]);
        }
    }
    let issued_in = ProvinceCode::of_division(id.region_code());
    if id.is_residence_permit() || issued_in == Some(cx.order.province) {
        return;
    }
    let p = cx.province_arg();
    let field = "subject.residence_permit";
    match v.individual_residence {
        ResidenceRule::LocalOnly => {
            cx.emit("SUBJECT_INDIVIDUAL_RESIDENCE", field, &[p, word("reason", "arg.local_id_only")])
        }
        ResidenceRule::Permit if !s.residence_permit => cx.emit(
            "SUBJECT_INDIVIDUAL_RESIDENCE",
            field,
            &[p, word("reason", "arg.residence_permit_needed")],
        ),
        ResidenceRule::Unknown if !s.residence_permit => {
            cx.emit("SUBJECT_INDIVIDUAL_RESIDENCE_REVIEW", field, &[p])
        }
        _ => {}
    }
}

fn existing_number(cx: &mut Cx<'_>) {
    let kind = cx.order.kind;
    if !kind.needs_filed_subject() {
        return;
    }
    let field = "subject.existing_number";
    let Some(raw) = cx.order.subject.existing_number.as_deref().filter(|n| !n.trim().is_empty()) else {
        cx.emit("SUBJECT_NUMBER_REQUIRED", field, &[worded("kind", |l| kind.label(l))]);
        return;
    };
    match parse_number(raw) {
        Ok(p) => match p.number {
            Number::IcpFiling(n) if n.province() != cx.order.province => {
                let np = n.province().province();
                let prov = cx.province_arg();
                cx.emit(
                    "SUBJECT_NUMBER_PROVINCE",
                    field,
                    &[bi("number_province", np.short_name, np.name_en), prov],
                );
            }
            Number::IcpFiling(_) => {}
            _ => cx.emit("SUBJECT_NUMBER_INVALID", field, &[word("detail", "arg.not_icp_number")]),
        },
        Err(e) => cx.emit("SUBJECT_NUMBER_INVALID", field, &[detail(&e)]),
    }
}

fn government_domains(cx: &mut Cx<'_>) {
    if !cx.policy.values.government_domain_rule {
        return;
    }
    let nature = cx.order.subject.nature;
    // .政务 is xn--zfr164b, .公益 is xn--55qw42g.
    let (allowed, ok): (&str, fn(&DomainName) -> bool) = match nature {
        SubjectNature::Government => ("arg.government_domains", |d| d.is_government()),
        SubjectNature::Institution => {
            ("arg.institution_domains", |d| d.tld() == "cn" || d.tld() == "xn--55qw42g")
        }
        _ => return,
    };
    let mut hits = Vec::new();
    for (i, w) in cx.order.websites.iter().enumerate() {
        for (j, raw) in w.domains.iter().enumerate() {
            if let Ok(d) = DomainName::parse(raw)
                && !ok(&d.value)
            {
                hits.push((format!("websites[{i}].domains[{j}]"), d.value.to_string()));
            }
        }
    }
    for (field, domain) in hits {
        cx.emit(
            "SUBJECT_GOVERNMENT_DOMAIN",
            field,
            &[nature_arg(nature), word("allowed", allowed), arg("domain", domain)],
        );
    }
}
