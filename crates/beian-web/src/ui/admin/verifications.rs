//! The bureau's verification tasks and inspection results tab, for reviewers and admins: each
//! item with its subject, websites (number, domains, the inspection's finding, the latest
//! footer scan) and the last live check, a button to check now, and the form to answer a task
//! (sent to the bureau) or acknowledge an inspection.

use super::kit::*;
use beian_app::verification::{AcknowledgeInspection, AnswerTask, VerificationSiteView, VerificationView};

/// One line per site: number, domains, finding, scan and live check, in words.
fn site_line(p: &PageCtx, s: &VerificationSiteView) -> String {
    let yes_no = |v: Option<bool>| match v {
        Some(true) => t(p, "admin.verify.yes"),
        Some(false) => t(p, "admin.verify.no"),
        None => "—".to_owned(),
    };
    let mut parts = vec![
        [s.number.as_str(), s.name.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
    ];
    parts.push(s.domains.join(", "));
    if let Some(f) = &s.finding {
        let ip = s.finding_ip.as_deref().map(|a| format!(" ({a})")).unwrap_or_default();
        // The spec names these; another result code is shown as it came.
        let known = ["ACCESS_OVER_REPORTED", "ACCESS_UNDER_REPORTED", "SHELL_ALIVE", "SHELL_DEAD", "ALIVE"];
        let finding =
            if known.contains(&f.as_str()) { t(p, &format!("admin.verify.finding.{f}")) } else { f.clone() };
        parts.push(format!("{finding}{ip}"));
    }
    if let Some(scan) = &s.latest_scan {
        parts.push(format!(
            "{}: {} ({})",
            t(p, "admin.verify.scan"),
            scan.verdict,
            short_time(&scan.scanned_at)
        ));
    }
    for l in &s.live {
        parts.push(format!(
            "{} {}: {} {} · {} {} · {} {}",
            t(p, "admin.verify.live"),
            l.domain,
            t(p, "admin.verify.ours"),
            yes_no(l.on_our_addresses),
            t(p, "admin.verify.reachable"),
            yes_no(l.reachable),
            t(p, "admin.verify.footer"),
            yes_no(l.footer_ok),
        ));
    }
    parts.into_iter().filter(|x| !x.is_empty()).collect::<Vec<_>>().join(" · ")
}

fn row(p: &PageCtx, v: VerificationView) -> Row {
    let sites = v.websites.iter().map(|s| site_line(p, s)).collect::<Vec<_>>().join(" | ");
    let outcome = [
        v.passed
            .map(|ok| t(p, if ok { "admin.verify.passed" } else { "admin.verify.refused" }))
            .unwrap_or_default(),
        v.opinion.clone(),
        v.result.clone(),
    ]
    .into_iter()
    .filter(|x| !x.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    let mut actions = Vec::new();
    if v.state == "open" {
        actions.push(button(format!("/admin/verifications/{}/check", v.id), t(p, "admin.verify.check")));
        if v.kind == beian_app::verification::TASK {
            actions.push(RowAction {
                action: format!("/admin/verifications/{}/answer", v.id),
                label: t(p, "admin.verify.answer"),
                fields: vec![
                    select(
                        "passed",
                        &t(p, "admin.verify.verdict"),
                        "1",
                        vec![
                            ("1".into(), t(p, "admin.verify.passed")),
                            ("0".into(), t(p, "admin.verify.refused")),
                        ],
                    ),
                    input("opinion", &t(p, "admin.verify.opinion"), "text", ""),
                    input("errors", &t(p, "admin.verify.errors"), "text", ""),
                ],
            });
        } else {
            actions.push(RowAction {
                action: format!("/admin/verifications/{}/acknowledge", v.id),
                label: t(p, "admin.verify.acknowledge"),
                fields: vec![input("opinion", &t(p, "admin.col.note"), "text", "")],
            });
        }
    }
    let subject = if v.subject_name.is_empty() { "—".to_owned() } else { v.subject_name.clone() };
    Row {
        cells: vec![
            cell(subject),
            cell(sites),
            cell(t(p, &format!("admin.verify.kind.{}", v.kind))),
            cell(short_time(&v.received_at)),
            cell(t(p, &format!("admin.verify.state.{}", v.state))),
            cell(outcome),
        ],
        actions,
    }
}

pub(in crate::ui) async fn verifications(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    staff_only(&p)?;
    let items = loaded(&p, s.app.verification().verification_tasks(&p.ctx, None)).await?;
    let mut sec = Section::new(t(&p, "admin.verifications"));
    sec.note = Some(t(&p, "admin.verifications.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.verify.subject"),
            t(&p, "admin.verify.sites"),
            t(&p, "admin.col.kind"),
            t(&p, "admin.col.created"),
            t(&p, "admin.col.state"),
            t(&p, "admin.col.result"),
        ],
        rows: items.into_iter().rev().map(|v| row(&p, v)).collect(),
    });
    Ok(page(&p, "verifications", o.notice(&p, &h), vec![sec]))
}

pub(in crate::ui) async fn check(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
) -> Response {
    step(&p, "verifications", s.app.verification().check_verification_task(&p.ctx, id)).await
}

pub(in crate::ui) async fn answer(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let input = AnswerTask {
        passed: one(&f, "passed") != "0",
        opinion: one(&f, "opinion").to_owned(),
        errors: one(&f, "errors").to_owned(),
    };
    step(&p, "verifications", s.app.verification().answer_verification_task(&p.ctx, id, input)).await
}

pub(in crate::ui) async fn acknowledge(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let input = AcknowledgeInspection { opinion: one(&f, "opinion").to_owned() };
    step(&p, "verifications", s.app.verification().acknowledge_inspection(&p.ctx, id, input)).await
}
