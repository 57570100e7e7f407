//! Rules on access information (rules.md §2.7, §3.5): a public IP from the provider's own
//! pools, and the provider's service number where the provider requires one.

use super::{Cx, arg, detail};
use crate::id::PublicIp;
use crate::model::OrderKind;

pub(super) fn check(cx: &mut Cx<'_>) {
    let kind = cx.order.kind;
    let needs_access = kind.adds_services() || matches!(kind, OrderKind::NewAccess | OrderKind::ChangeAccess);
    if !needs_access {
        return;
    }
    let services = cx.paths.services(cx.order);
    for s in &services {
        let field = format!("{}.access", s.path);
        if s.access.ips.iter().all(|ip| ip.trim().is_empty()) {
            cx.emit("ACCESS_IP_MISSING", format!("{field}.ips"), &[]);
        }
        for (i, raw) in s.access.ips.iter().enumerate() {
            let f = format!("{field}.ips[{i}]");
            match PublicIp::parse(raw) {
                Err(e) => cx.emit("ACCESS_IP_INVALID", f, &[arg("ip", raw.trim().to_owned()), detail(&e)]),
                Ok(ip) => {
                    let pools = &cx.ctx.provider_ip_pools;
                    if !pools.is_empty() && !pools.iter().any(|p| p.contains(ip.value.addr())) {
                        // Named, so the applicant sees where to pick from (at most five).
                        let named: Vec<String> = pools.iter().take(5).map(ToString::to_string).collect();
                        cx.emit(
                            "ACCESS_IP_NOT_PROVIDER",
                            f,
                            &[arg("ip", ip.value.to_string()), arg("pools", named.join(", "))],
                        );
                    }
                }
            }
        }
        if cx.ctx.require_service_number
            && s.access.service_number.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            cx.emit("ACCESS_SERVICE_NUMBER_MISSING", format!("{field}.service_number"), &[]);
        }
    }
    service_number_quotas(cx, &services);
}

/// Each service number must exist and have a use left for every service that names it.
fn service_number_quotas(cx: &mut Cx<'_>, services: &[crate::model::Service<'_>]) {
    let Some(known) = cx.ctx.service_numbers.as_ref() else { return };
    let mut needed: std::collections::BTreeMap<&str, (i64, String)> = std::collections::BTreeMap::new();
    for s in services {
        if let Some(code) = s.access.service_number.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let e = needed.entry(code).or_insert((0, format!("{}.access.service_number", s.path)));
            e.0 += 1;
        }
    }
    let mut hits = Vec::new();
    for (code, (n, field)) in needed {
        match known.get(code) {
            None => hits.push(("ACCESS_SERVICE_NUMBER_UNKNOWN", field, code.to_owned(), 0, n)),
            Some(&left) if left < n => {
                hits.push(("ACCESS_SERVICE_NUMBER_EXHAUSTED", field, code.to_owned(), left, n))
            }
            Some(_) => {}
        }
    }
    for (rule, field, code, left, needed) in hits {
        cx.emit(
            rule,
            field,
            &[arg("code", code), arg("left", left.to_string()), arg("needed", needed.to_string())],
        );
    }
}
