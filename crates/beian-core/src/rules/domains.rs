//! Rules on domains (rules.md §3.2): syntax, registrable level, MIIT-approved TLD, real-name
//! verification and its sync delay, holder = subject, remaining validity, registrar,
//! conflicts with other subjects, resolution during review, and per-province limits.

use std::collections::{BTreeMap, BTreeSet};

use time::Duration;

use super::{Cx, DomainFacts, add_working_days, arg, detail, word};
use crate::id::DomainName;
use crate::model::{OrderKind, normalize_cert};
use crate::number::ServiceKind;

pub(super) fn check(cx: &mut Cx<'_>) {
    let kind = cx.order.kind;
    let adding = kind.adds_services();
    let needs_checks = adding
        || kind == OrderKind::NewAccess
        || kind == OrderKind::ChangeService
        || kind == OrderKind::ChangeFiling;
    // Registry facts keyed by normalized punycode, so `例子.中国` and `xn--…` meet.
    let facts: BTreeMap<String, &DomainFacts> = cx
        .ctx
        .domains
        .iter()
        .map(|(k, v)| (DomainName::parse(k).map(|d| d.value.to_string()).unwrap_or_else(|_| k.clone()), v))
        .collect();
    let registrable = |list: &[String]| -> BTreeSet<String> {
        list.iter()
            .map(|d| {
                DomainName::parse(d).map(|d| d.value.registrable().to_owned()).unwrap_or_else(|_| d.clone())
            })
            .collect()
    };
    let elsewhere = registrable(&cx.ctx.domains_filed_elsewhere);
    let blacklisted = registrable(&cx.ctx.domains_blacklisted);
    let served_unfiled = registrable(&cx.ctx.domains_served_unfiled);
    let mut seen = BTreeSet::new();
    let services = cx.paths.services(cx.order);
    let per_site = cx.policy.values.max_domains_per_site;
    for s in &services {
        let website = s.kind == ServiceKind::Website;
        if website && needs_checks && s.domains.iter().all(|d| d.trim().is_empty()) {
            cx.emit("DOMAIN_MISSING", format!("{}.domains", s.path), &[]);
        }
        let listed = s.domains.iter().filter(|d| !d.trim().is_empty()).count();
        if website && adding && per_site > 0 && listed > per_site {
            let args =
                [cx.province_arg(), arg("max", per_site.to_string()), arg("count", listed.to_string())];
            cx.emit("DOMAIN_SITE_LIMIT", format!("{}.domains", s.path), &args);
        }
        for (i, raw) in s.domains.iter().enumerate() {
            let field = format!("{}.domains[{i}]", s.path);
            let d = match DomainName::parse(raw) {
                Ok(d) => d.value,
                Err(e) => {
                    cx.emit("DOMAIN_INVALID", field, &[detail(&e)]);
                    continue;
                }
            };
            let shown = d.to_unicode();
            if website && !d.is_registrable() && !d.is_government() {
                cx.emit(
                    "DOMAIN_NOT_REGISTRABLE",
                    field.clone(),
                    &[arg("domain", shown.clone()), arg("registrable", d.registrable().to_owned())],
                );
            }
            if !d.tld_is_miit_approved() {
                let tld = shown.rsplit('.').next().unwrap_or_default().to_owned();
                cx.emit("DOMAIN_TLD_NOT_APPROVED", field.clone(), &[arg("tld", tld)]);
            }
            if !seen.insert(d.to_string()) {
                cx.emit("DOMAIN_DUPLICATE", field.clone(), &[arg("domain", shown.clone())]);
                continue;
            }
            if !needs_checks {
                continue;
            }
            if elsewhere.contains(d.registrable()) {
                cx.emit("DOMAIN_FILED_ELSEWHERE", field.clone(), &[arg("domain", shown.clone())]);
            }
            if blacklisted.contains(d.registrable()) {
                cx.emit("DOMAIN_BLACKLISTED", field.clone(), &[arg("domain", shown.clone())]);
            }
            if served_unfiled.contains(d.registrable()) {
                cx.emit("DOMAIN_SERVED_UNFILED", field.clone(), &[arg("domain", shown.clone())]);
            }
            let f = facts.get(d.as_ascii()).or_else(|| facts.get(d.registrable())).copied();
            registry_facts(cx, &field, &shown, f, adding);
        }
    }
    let count = seen.len();
    let first = cx.policy.values.max_domains_first_filing;
    if kind == OrderKind::FirstFiling && first > 0 && count > first {
        let args = [cx.province_arg(), arg("max", first.to_string()), arg("count", count.to_string())];
        cx.emit("DOMAIN_FIRST_FILING_LIMIT", "websites", &args);
    }
    let max = cx.policy.values.max_domains_per_order;
    if max > 0 && count > max {
        let p = cx.province_arg();
        cx.emit(
            "DOMAIN_ORDER_LIMIT",
            "websites",
            &[p, arg("max", max.to_string()), arg("count", count.to_string())],
        );
    }
    let individual = cx.order.subject.nature.is_individual();
    let v = &cx.policy.values;
    let threshold =
        if individual { v.construction_plan_domains_individual } else { v.construction_plan_domains_unit };
    if adding && threshold > 0 {
        let on_file: usize =
            cx.ctx.on_file.as_ref().map_or(0, |f| f.services.iter().map(|s| s.domains.len()).sum());
        let total = on_file + count;
        if total > threshold {
            let p = cx.province_arg();
            cx.emit(
                "DOMAIN_CONSTRUCTION_PLAN",
                "websites",
                &[arg("count", total.to_string()), p, arg("max", threshold.to_string())],
            );
        }
    }
}

fn registry_facts(cx: &mut Cx<'_>, field: &str, shown: &str, facts: Option<&DomainFacts>, adding: bool) {
    let today = cx.ctx.today;
    if facts.is_some_and(|f| f.realname_record == Some(false)) {
        cx.emit("DOMAIN_REALNAME_MISSING", field, &[arg("domain", shown.to_owned())]);
        return;
    }
    let Some(f) = facts.filter(|f| f.realname_verified_on.is_some()) else {
        cx.emit("DOMAIN_REALNAME_UNKNOWN", field, &[arg("domain", shown.to_owned())]);
        // Holder and expiry may still be known.
        if let Some(f) = facts {
            holder_and_expiry(cx, field, shown, f);
        }
        return;
    };
    if let Some(verified) = f.realname_verified_on {
        let days = cx.policy.values.realname_sync_working_days;
        let ready = add_working_days(verified, days, &cx.ctx.holidays, &cx.ctx.extra_workdays);
        if today < ready {
            cx.emit(
                "DOMAIN_REALNAME_NOT_SYNCED",
                field,
                &[
                    arg("domain", shown.to_owned()),
                    arg("date", verified.to_string()),
                    arg("days", days.to_string()),
                    arg("ready", ready.to_string()),
                ],
            );
        }
    }
    holder_and_expiry(cx, field, shown, f);
    if adding && f.resolves == Some(true) {
        cx.emit("DOMAIN_RESOLVES_DURING_REVIEW", field, &[arg("domain", shown.to_owned())]);
    }
}

fn holder_and_expiry(cx: &mut Cx<'_>, field: &str, shown: &str, f: &DomainFacts) {
    let subject = &cx.order.subject;
    let name_ok = |n: &str| n.trim() == subject.name.trim();
    let cert_ok = |c: &str| normalize_cert(c) == normalize_cert(&subject.certificate.number);
    let legal_rep_ok = |n: &str, c: Option<&str>| {
        cx.policy.values.domain_holder_may_be_legal_rep
            && subject.head_is_legal_representative
            && n.trim() == subject.head.name.trim()
            && c.is_none_or(|c| subject.head.same_person_as_certificate(c))
    };
    if let Some(holder) = f.holder_name.as_deref() {
        let cert = f.holder_certificate.as_deref();
        let matches = name_ok(holder) && cert.is_none_or(cert_ok);
        if !matches && !legal_rep_ok(holder, cert) {
            let what = if !name_ok(holder) { "arg.holder_name_differs" } else { "arg.holder_cert_differs" };
            cx.emit("DOMAIN_HOLDER_MISMATCH", field, &[arg("domain", shown.to_owned()), word("what", what)]);
        }
    }
    if f.registrar_approved == Some(false) {
        cx.emit("DOMAIN_REGISTRAR_NOT_APPROVED", field, &[arg("domain", shown.to_owned())]);
    }
    if let Some(expires) = f.expires_on {
        let min = cx.policy.values.domain_min_validity_days;
        if expires < cx.ctx.today {
            cx.emit(
                "DOMAIN_EXPIRED",
                field,
                &[arg("domain", shown.to_owned()), arg("date", expires.to_string())],
            );
        } else if expires < cx.ctx.today + Duration::days(min) {
            cx.emit(
                "DOMAIN_EXPIRING",
                field,
                &[
                    arg("domain", shown.to_owned()),
                    arg("days", min.to_string()),
                    arg("date", expires.to_string()),
                ],
            );
        }
    }
}
