//! Rules on the order as a whole (rules.md §1.2, §1.3, §1.8, §1.9, §3.8): kind against what
//! is on file, one open order per subject, limits per order and per individual, re-audit of
//! already-filed sites on additions, empty shells, and the targets of cancellations and
//! migrations.

use super::{Cx, arg, detail, word, worded};
use crate::model::{OrderKind, normalize_cert};
use crate::number::{Number, ServiceKind, parse as parse_number};

pub(super) fn check(cx: &mut Cx<'_>) {
    let order = cx.order;
    let kind = order.kind;
    let individual = order.subject.nature.is_individual();
    let count = order.service_count();
    let adding = kind.adds_services();
    let v = &cx.policy.values;

    if (adding || kind == OrderKind::NewAccess) && count == 0 {
        cx.emit("ORDER_NO_SERVICES", "websites", &[worded("kind", |l| kind.label(l))]);
    }
    if adding || kind == OrderKind::NewAccess {
        let (max, who) = if individual {
            (v.max_services_per_order_individual, "arg.who_individuals")
        } else {
            (v.max_services_per_order_unit, "arg.who_units")
        };
        if count > max {
            cx.emit(
                "ORDER_SERVICE_LIMIT",
                "websites",
                &[word("who", who), arg("max", max.to_string()), arg("count", count.to_string())],
            );
        }
    }
    if individual && adding {
        let on_file = cx.ctx.on_file.as_ref().map_or(0, |f| f.services.len());
        let max = v.individual_max_services;
        if on_file + count > max {
            cx.emit(
                "ORDER_INDIVIDUAL_SERVICE_LIMIT",
                "websites",
                &[arg("max", max.to_string()), arg("count", (on_file + count).to_string())],
            );
        }
    }
    if individual && !order.websites.is_empty() && !order.apps.is_empty() {
        cx.emit("ORDER_INDIVIDUAL_MIXED", "apps", &[]);
    }
    kind_against_record(cx);
    if cx.ctx.open_orders > 0 {
        cx.emit("ORDER_OPEN_ORDER", "kind", &[arg("count", cx.ctx.open_orders.to_string())]);
    }
    let additions =
        matches!(kind, OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere | OrderKind::NewAccess);
    if additions && cx.ctx.pending_change {
        cx.emit("ORDER_CHANGE_PENDING", "kind", &[]);
    }
    if additions {
        existing_sites(cx);
    }
    targets(cx);
    immutable(cx);
    against_filed(cx);
}

/// A change started from the filing must change something, and its kind is what changed.
fn against_filed(cx: &mut Cx<'_>) {
    let order = cx.order;
    let Some(filed) = cx.ctx.as_filed.as_deref() else { return };
    if !order.kind.is_change() {
        return;
    }
    // What a change cannot change: a different nature, certificate kind or site number is a
    // different filing (cancel and file anew).
    if filed.subject.nature != order.subject.nature {
        cx.emit("ORDER_CHANGE_IMMUTABLE", "subject.nature", &[word("what", "arg.subject_nature")]);
    }
    if filed.subject.certificate.kind != order.subject.certificate.kind {
        cx.emit(
            "ORDER_CHANGE_IMMUTABLE",
            "subject.certificate.kind",
            &[word("what", "arg.subject_cert_kind")],
        );
    }
    let numbers = |o: &crate::model::Order| -> Vec<Option<String>> {
        o.websites
            .iter()
            .map(|w| w.existing_number.clone())
            .chain(o.apps.iter().map(|a| a.existing_number.clone()))
            .collect()
    };
    if numbers(filed) != numbers(order) {
        cx.emit("ORDER_CHANGE_IMMUTABLE", "websites", &[word("what", "arg.service_numbers")]);
    }
    let changed = crate::model::changes(filed, order);
    match changed.kind() {
        None => cx.emit("ORDER_CHANGE_EMPTY", "kind", &[]),
        Some(expected) if expected != order.kind => {
            let args = [worded("expected", |l| expected.label(l)), worded("kind", |l| order.kind.label(l))];
            cx.emit("ORDER_KIND_MISMATCH", "kind", &args);
        }
        Some(_) => {}
    }
}

fn kind_against_record(cx: &mut Cx<'_>) {
    let order = cx.order;
    let Some(on_file) = cx.ctx.on_file.as_ref() else { return };
    let expected = if order.kind == OrderKind::FirstFiling {
        Some(OrderKind::NewServiceHere)
    } else if matches!(order.kind, OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere) {
        // A domain already filed under this subject is not a new service.
        let filed: Vec<String> =
            on_file.services.iter().flat_map(|s| s.domains.iter()).map(|d| d.to_lowercase()).collect();
        order
            .websites
            .iter()
            .flat_map(|w| w.domains.iter())
            .any(|d| filed.contains(&d.trim().to_lowercase()))
            .then_some(OrderKind::ChangeService)
    } else {
        None
    };
    if let Some(expected) = expected {
        let args = [worded("expected", |l| expected.label(l)), worded("kind", |l| order.kind.label(l))];
        cx.emit("ORDER_KIND_MISMATCH", "kind", &args);
    }
}

fn existing_sites(cx: &mut Cx<'_>) {
    let Some(on_file) = cx.ctx.on_file.as_ref() else { return };
    if on_file.services.is_empty()
        && cx.order.kind != OrderKind::NewAccess
        && !cx.policy.values.shell_subject_may_add_service
    {
        let p = cx.province_arg();
        cx.emit("ORDER_SHELL_SUBJECT", "kind", &[p]);
    }
    let mut hits = Vec::new();
    for s in on_file.services.iter().filter(|s| s.kind == ServiceKind::Website) {
        let domain = s.domains.first().cloned().unwrap_or_default();
        if s.reachable == Some(false) {
            hits.push(("ORDER_EXISTING_SITE_UNREACHABLE", s.number.clone(), domain));
        } else if s.footer_ok == Some(false) {
            hits.push(("ORDER_EXISTING_SITE_FOOTER", s.number.clone(), domain));
        }
    }
    for (code, number, domain) in hits {
        cx.emit(code, "subject.existing_number", &[arg("number", number), arg("domain", domain)]);
    }
}

fn targets(cx: &mut Cx<'_>) {
    let order = cx.order;
    let kind = order.kind;
    if !matches!(kind, OrderKind::CancelService | OrderKind::CancelAccess | OrderKind::MigrateService) {
        return;
    }
    // Access is withdrawn from several of a subject's services at once (one ZXBA record per
    // service in one file); a cancellation or migration names one service per order.
    let several = kind == OrderKind::CancelAccess;
    let n = order.target_numbers.len();
    if n == 0 || (n > 1 && !several) {
        let what = if several { word("what", "arg.target_several") } else { word("what", "arg.target_one") };
        cx.emit("ORDER_TARGET_REQUIRED", "target_numbers", &[worded("kind", |l| kind.label(l)), what]);
        return;
    }
    for (i, raw) in order.target_numbers.iter().enumerate() {
        let field = format!("target_numbers[{i}]");
        if order.target_numbers[..i].iter().any(|o| o.trim() == raw.trim()) {
            let e = [arg("number", raw.trim().to_owned()), word("detail", "arg.target_twice")];
            cx.emit("ORDER_TARGET_INVALID", &field, &e);
            continue;
        }
        target(cx, kind, raw.trim(), &field);
    }
}

/// One service number an order names.
fn target(cx: &mut Cx<'_>, kind: OrderKind, raw: &str, field: &str) {
    let order = cx.order;
    let invalid = |detail: &'static str| [arg("number", raw.to_owned()), word("detail", detail)];
    let parsed = match parse_number(raw) {
        Ok(p) => p.number,
        Err(e) => {
            cx.emit("ORDER_TARGET_INVALID", field, &[arg("number", raw.to_owned()), detail(&e)]);
            return;
        }
    };
    let Number::IcpFiling(n) = parsed else {
        cx.emit("ORDER_TARGET_INVALID", field, &invalid("arg.not_icp_number"));
        return;
    };
    let Some(service) = n.service() else {
        cx.emit("ORDER_TARGET_INVALID", field, &invalid("arg.subject_number_given"));
        return;
    };
    let subject_number = order
        .subject
        .existing_number
        .as_deref()
        .and_then(|s| parse_number(s).ok())
        .and_then(|p| p.number.subject_number());
    if subject_number.is_some_and(|s| s != n.subject().to_string()) {
        cx.emit("ORDER_TARGET_INVALID", field, &invalid("arg.other_subject"));
        return;
    }
    if let Some(on_file) = cx.ctx.on_file.as_ref() {
        let canonical = n.to_string();
        let known = on_file
            .services
            .iter()
            .any(|s| parse_number(&s.number).is_ok_and(|p| p.number.to_string() == canonical));
        if !known {
            cx.emit("ORDER_TARGET_INVALID", field, &invalid("arg.no_such_service"));
            return;
        }
    }
    if kind == OrderKind::MigrateService {
        let reason = if service.kind != ServiceKind::Website {
            Some("arg.app_not_migratable")
        } else if order.subject.nature.is_individual() {
            Some("arg.no_migration_to_individual")
        } else {
            None
        };
        if let Some(reason) = reason {
            cx.emit("ORDER_MIGRATION_NOT_ALLOWED", field, &[word("reason", reason)]);
        }
    }
}

fn immutable(cx: &mut Cx<'_>) {
    if !cx.order.kind.is_change() {
        return;
    }
    let on_record = cx.ctx.on_file.as_ref().and_then(|f| f.certificate.as_deref());
    if on_record.is_some_and(|c| normalize_cert(c) != normalize_cert(&cx.order.subject.certificate.number)) {
        cx.emit(
            "ORDER_CHANGE_IMMUTABLE",
            "subject.certificate.number",
            &[word("what", "arg.subject_cert_number")],
        );
    }
}
