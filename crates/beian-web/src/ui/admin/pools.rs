//! The IP addresses tab: where the provider's blocks come from (sources) and the pools it uses,
//! which the access step's addresses must come from, each with its state in the IP address
//! filing with the bureau and the buttons to file or withdraw it.

use super::kit::*;
use beian_app::ip_filing::{FilingView, NewIpSource, PoolUsage};
use beian_store::IpKind;

/// The filing state in words, with the bureau's refusal when there is one.
fn filing_cell(p: &PageCtx, f: &FilingView) -> Cell {
    let state = t(p, &format!("admin.ip.filing.{}", f.filing));
    cell(if f.result.is_empty() { state } else { format!("{state} · {}", f.result) })
}

/// File, or withdraw, as the state allows (`what`: `sources` or `pools`).
fn filing_actions(p: &PageCtx, what: &str, id: Uuid, f: &FilingView) -> Vec<RowAction> {
    let path = format!("/admin/ip-filing/{what}/{id}");
    match f.filing.as_str() {
        "unreported" | "refused" => vec![button(format!("{path}/file"), t(p, "admin.ip.file"))],
        "filed" => vec![button(format!("{path}/withdraw"), t(p, "admin.ip.withdraw"))],
        _ => Vec::new(),
    }
}

pub(in crate::ui) async fn pools(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let sources = loaded(&p, s.app.ip_filing().ip_sources(&p.ctx)).await?;
    let mut src = Section::new(t(&p, "admin.ip.sources"));
    src.note = Some(t(&p, "admin.ip.sources.note"));
    src.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.cidr"),
            t(&p, "admin.ip.unit"),
            t(&p, "admin.col.note"),
            t(&p, "admin.ip.filing"),
        ],
        rows: sources
            .into_iter()
            .map(|x| {
                let path = format!("/admin/pools/sources/{}", x.id);
                let mut actions = filing_actions(&p, "sources", x.id, &x.filing);
                if matches!(x.filing.filing.as_str(), "unreported" | "refused") {
                    actions.push(button(format!("{path}/delete"), t(&p, "admin.delete")));
                }
                Row {
                    cells: vec![
                        mono(x.cidr),
                        cell(match x.unit_name {
                            Some(n) => format!("{n} ({})", x.unit),
                            None => x.unit.to_string(),
                        }),
                        cell(x.note),
                        filing_cell(&p, &x.filing),
                    ],
                    actions,
                }
            })
            .collect(),
    });
    src.forms.push(add_form(
        &p,
        "/admin/pools/sources",
        "source-form",
        vec![
            input("cidr", &t(&p, "admin.col.cidr"), "text", ""),
            input("unit", &t(&p, "admin.ip.unit"), "text", ""),
            input("note", &t(&p, "admin.col.note"), "text", ""),
        ],
    ));
    let list = loaded(&p, s.app.ip_filing().ip_pools(&p.ctx)).await?;
    let usages: Vec<(String, String)> = ["own_use", "reallocated", "reserved"]
        .into_iter()
        .map(|u| (u.to_owned(), t(&p, &format!("admin.ip.usage.{u}"))))
        .collect();
    let mut sec = Section::new(t(&p, "admin.pools"));
    sec.note = Some(t(&p, "admin.pools.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.cidr"),
            t(&p, "admin.ip.usage"),
            t(&p, "admin.col.note"),
            t(&p, "admin.ip.filing"),
        ],
        rows: list
            .into_iter()
            .map(|x| {
                let path = format!("/admin/pools/{}", x.id);
                let mut actions = filing_actions(&p, "pools", x.id, &x.filing);
                if matches!(x.filing.filing.as_str(), "unreported" | "refused") {
                    actions.push(RowAction {
                        action: format!("{path}/usage"),
                        label: t(&p, "admin.save"),
                        fields: vec![
                            select("usage", &t(&p, "admin.ip.usage"), &x.usage, usages.clone()),
                            input("since", &t(&p, "admin.ip.since"), "date", x.since.clone()),
                            input(
                                "allocated_to",
                                &t(&p, "admin.ip.allocated_to"),
                                "text",
                                x.allocated_to.map(|u| u.to_string()).unwrap_or_default(),
                            ),
                        ],
                    });
                    actions.push(button(format!("{path}/delete"), t(&p, "admin.delete")));
                }
                let usage = [t(&p, &format!("admin.ip.usage.{}", x.usage)), x.since.clone()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ");
                Row {
                    cells: vec![mono(x.cidr), cell(usage), cell(x.note), filing_cell(&p, &x.filing)],
                    actions,
                }
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/pools",
        "pool-form",
        vec![
            input("cidr", &t(&p, "admin.col.cidr"), "text", ""),
            input("note", &t(&p, "admin.col.note"), "text", ""),
        ],
    ));
    Ok(page(&p, "pools", o.notice(&p, &h), vec![src, sec]))
}

pub(in crate::ui) async fn add_pool(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    step(&p, "pools", s.app.ip_filing().add_ip_pool(&p.ctx, one(&f, "cidr"), one(&f, "note"))).await
}

pub(in crate::ui) async fn delete_pool(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
) -> Response {
    step(&p, "pools", s.app.ip_filing().delete_ip_pool(&p.ctx, id)).await
}

pub(in crate::ui) async fn pool_usage(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let allocated_to = match one(&f, "allocated_to") {
        "" => None,
        // A unit id that is not a number is no unit: the use case says so with its field.
        u => Some(u.parse::<i64>().unwrap_or(-1)),
    };
    let input = PoolUsage {
        usage: one(&f, "usage").to_owned(),
        method: None,
        allocated_to,
        since: one(&f, "since").to_owned(),
    };
    step(&p, "pools", s.app.ip_filing().set_ip_pool_usage(&p.ctx, id, input)).await
}

pub(in crate::ui) async fn add_source(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = NewIpSource {
        cidr: one(&f, "cidr").to_owned(),
        unit: one(&f, "unit").parse().unwrap_or(-1),
        note: one(&f, "note").to_owned(),
    };
    step(&p, "pools", s.app.ip_filing().add_ip_source(&p.ctx, input)).await
}

pub(in crate::ui) async fn delete_source(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
) -> Response {
    step(&p, "pools", s.app.ip_filing().delete_ip_source(&p.ctx, id)).await
}

/// `/admin/ip-filing/{sources|pools}/{id}/{file|withdraw}`.
pub(in crate::ui) async fn filing_step(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path((what, id, action)): Path<(String, String, String)>,
) -> Response {
    let kind = match what.as_str() {
        "sources" => IpKind::Source,
        "pools" => IpKind::Pool,
        _ => return not_found(&p),
    };
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    match action.as_str() {
        "file" => step(&p, "pools", s.app.ip_filing().file_ip_record(&p.ctx, kind, id)).await,
        "withdraw" => step(&p, "pools", s.app.ip_filing().withdraw_ip_record(&p.ctx, kind, id)).await,
        _ => not_found(&p),
    }
}
