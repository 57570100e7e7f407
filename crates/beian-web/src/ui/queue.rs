//! The reviewer's queue: a tab per stage with counts, due dates coloured, the bureau's
//! blacklist flags, claim, and batch decisions on the orders the reviewer has claimed (through
//! `Review::decide_batch`, as the API does).

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use beian_app::AppError;
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{Chrome, PageCtx, app_error, error_page, kind_key, refusal_message, render, to_login};
use crate::AppState;
pub(super) struct Tab {
    state: &'static str,
    key: String,
    /// `12`, or `1000+`.
    count: String,
}

pub(super) struct QueueLine {
    id: Uuid,
    version: i64,
    kind_key: String,
    subject: String,
    province: String,
    waiting_days: i64,
    due: Option<String>,
    /// The due date reaches a year without holiday data.
    due_note: Option<String>,
    /// `overdue`, `soon` (due today or tomorrow) or `ok`.
    sla: &'static str,
    reviewer_key: &'static str,
    claimable: bool,
    /// Claimed by the caller and in review: can be decided in a batch.
    mine: bool,
    /// The bureau's blacklists on this order.
    flags: Vec<FlagBadge>,
}

/// A blacklist flag as a badge: its label's key, and the domain and the bureau's reason.
pub(super) struct FlagBadge {
    key: String,
    detail: String,
}

/// One order's outcome in a batch decision.
pub(super) struct BatchResult {
    /// `None` for a refusal of the whole batch (nothing picked, no reason given).
    id: Option<Uuid>,
    subject: String,
    ok: bool,
    message: String,
}

#[derive(Template)]
#[template(path = "review.html")]
pub(super) struct ReviewPage {
    c: Chrome,
    state: String,
    tabs: Vec<Tab>,
    rows: Vec<QueueLine>,
    notice: Option<&'static str>,
    f: QueueParams,
    provinces: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    /// Rows can be decided together: the caller's claimed orders.
    batch: bool,
    results: Vec<BatchResult>,
    /// The next page, when there is one.
    more: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct QueueParams {
    state: Option<String>,
    notice: Option<String>,
    /// The page's cursor (the queue API's `next`).
    #[serde(default)]
    after: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    min_age_days: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    mine: String,
}

impl QueueParams {
    /// The filters as a query string for the tab links (state left out).
    fn carried(&self) -> String {
        let pairs = [
            ("province", &self.province),
            ("kind", &self.kind),
            ("min_age_days", &self.min_age_days),
            ("subject", &self.subject),
            ("mine", &self.mine),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("&{k}={}", super::url_encode(v)))
            .collect()
    }
}

/// Rows per queue page (100 sat at the 50 ms edge under load).
const QUEUE_ROWS: i64 = 50;

const QUEUE_STATES: [&str; 6] =
    ["submitted", "in_review", "awaiting_mail", "queued_for_regulator", "sms_pending", "bureau_review"];

/// The reviewer's queue: a tab per stage with its count, the oldest first, SLA colours.
pub(super) async fn queue(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<QueueParams>,
) -> Response {
    render_queue(&s, &p, q, Vec::new()).await
}

async fn render_queue(s: &AppState, p: &PageCtx, q: QueueParams, results: Vec<BatchResult>) -> Response {
    let Some(me) = p.ctx.principal.clone() else { return to_login(&p.path) };
    let state =
        q.state.clone().filter(|x| QUEUE_STATES.contains(&x.as_str())).unwrap_or_else(|| "submitted".into());
    let counts = match s.app.review().queue_counts(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let mine = q.mine == "true";
    let query = beian_app::review::QueueQuery {
        state: Some(state.clone()),
        limit: Some(QUEUE_ROWS),
        province: some(&q.province),
        kind: some(&q.kind),
        min_age_days: q.min_age_days.trim().parse().ok(),
        subject: some(&q.subject),
        mine: Some(mine),
        after: some(&q.after),
    };
    let page = match s.app.review().review_queue(&p.ctx, query.clone()).await {
        Ok(v) => v,
        // A cursor that is not one (an edited link) shows the first page.
        Err(AppError::Validation(_)) if query.after.is_some() => {
            match s
                .app
                .review()
                .review_queue(&p.ctx, beian_app::review::QueueQuery { after: None, ..query })
                .await
            {
                Ok(v) => v,
                Err(e) => return app_error(p, e),
            }
        }
        Err(e) => return app_error(p, e),
    };
    let next = page.next.clone();
    let today = s.app.clock().today();
    let now = s.app.clock().now();
    let rows: Vec<QueueLine> = page
        .items
        .into_iter()
        .map(|i| {
            let since =
                time::OffsetDateTime::parse(&i.stage_since, &time::format_description::well_known::Rfc3339)
                    .unwrap_or(now);
            let due = i.sla_due.as_deref().and_then(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
            });
            let sla = match due {
                Some(d) if d < today => "overdue",
                Some(d) if (d - today).whole_days() <= 1 => "soon",
                _ => "ok",
            };
            let kind = serde_json::from_value(serde_json::Value::String(i.kind.clone()))
                .map(kind_key)
                .unwrap_or_else(|_| format!("kind.{}", i.kind));
            QueueLine {
                id: i.id,
                version: i.version,
                kind_key: kind,
                subject: i.subject_name,
                // The province by name, as the reviewer reads it, not its code.
                province: super::province_name(p.lang, &i.province),
                waiting_days: (now - since).whole_days(),
                due: i.sla_due,
                due_note: i.sla_due_year_without_calendar.map(|y| super::calendar_note(p, y)),
                sla,
                reviewer_key: match i.reviewer_id {
                    Some(r) if r == me.id => "review.mine",
                    Some(_) => "review.others",
                    None => "review.nobody",
                },
                claimable: i.state == "submitted",
                mine: i.state == "in_review" && i.reviewer_id == Some(me.id),
                flags: i
                    .flags
                    .into_iter()
                    .map(|f| FlagBadge {
                        key: format!("review.flag.{}", f.code),
                        detail: [f.target, f.reason]
                            .into_iter()
                            .filter(|x| !x.is_empty())
                            .collect::<Vec<_>>()
                            .join(" · "),
                    })
                    .collect(),
            }
        })
        .collect();
    let tabs = counts
        .into_iter()
        .filter_map(|c| {
            let st = QUEUE_STATES.iter().find(|x| **x == c.state)?;
            let count = if c.capped { format!("{}+", c.count) } else { c.count.to_string() };
            Some(Tab { state: st, key: format!("state.{st}"), count })
        })
        .collect();
    let notice = (q.notice.as_deref() == Some("stale")).then_some("review.stale");
    let lang = p.lang;
    let provinces = beian_core::province::provinces()
        .iter()
        .map(|pr| {
            (
                pr.code.to_string(),
                if lang == beian_core::message::Lang::En { pr.name_en } else { pr.name }.to_owned(),
            )
        })
        .collect();
    let t = Msgs::of(lang);
    let kinds = beian_core::model::OrderKind::ALL
        .iter()
        .map(|k| (k.key().to_owned(), t.get(&kind_key(*k)).to_owned()))
        .collect();
    let batch = state == "in_review" && !rows.is_empty();
    let status =
        if results.iter().any(|r| !r.ok) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let more = next.map(|n| format!("/review?state={state}{}&after={}", q.carried(), super::url_encode(&n)));
    let page = ReviewPage {
        c: Chrome::new(p, "review.title"),
        more,
        state,
        tabs,
        rows,
        notice,
        f: q,
        provinces,
        kinds,
        batch,
        results,
    };
    render(&page, status)
}

/// Approves or returns several claimed orders at once through the same use case as
/// `POST /api/v1/review/batch`; each gets its own result (one refusal does not stop the
/// others), shown above the queue. Each picked order carries the version the reviewer saw.
pub(super) async fn batch(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<super::Pairs>,
) -> Response {
    use beian_app::review::{BATCH_MAX, BatchAction, BatchDecision, BatchOrder, RejectReason};
    let one = |k: &str| super::posted(&f, k).map_or("", str::trim);
    let action = match one("action") {
        "approve" => BatchAction::Approve,
        "reject" => BatchAction::Reject,
        _ => return error_page(p.lang, StatusCode::BAD_REQUEST, "error.not_found"),
    };
    let orders: Vec<BatchOrder> = f
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| {
            let (id, version) = v.split_once(':')?;
            Some(BatchOrder { id: id.parse().ok()?, version: version.parse().ok()? })
        })
        .take(BATCH_MAX)
        .collect();
    let findings = match action {
        BatchAction::Approve => Vec::new(),
        BatchAction::Reject => vec![RejectReason {
            template_id: None,
            field: Some(one("field").to_owned()).filter(|x| !x.is_empty()),
            error: Some(one("error").to_owned()).filter(|x| !x.is_empty()),
            suggestion: None,
        }],
    };
    let t = Msgs::of(p.lang);
    let mut results = Vec::new();
    match s.app.review().decide_batch(&p.ctx, BatchDecision { action, orders, findings }).await {
        Ok(outcomes) => {
            for (id, outcome) in outcomes {
                let (ok, message, subject) = match outcome {
                    Ok(after) => (
                        true,
                        t.get(&format!("state.{}", after.state.name())).to_owned(),
                        after.order.subject.name,
                    ),
                    Err(e @ (AppError::Internal(_) | AppError::Unauthenticated)) => return app_error(&p, e),
                    Err(e) => {
                        let subject = match s.app.orders().get_order(&p.ctx, id, false).await {
                            Ok(o) => o.order.subject.name,
                            Err(_) => id.to_string(),
                        };
                        (false, refusal_message(p.lang, &e), subject)
                    }
                };
                results.push(BatchResult { id: Some(id), subject, ok, message });
            }
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => results.push(BatchResult {
            id: None,
            subject: String::new(),
            ok: false,
            message: refusal_message(p.lang, &e),
        }),
        Err(e) => return app_error(&p, e),
    }
    let q = QueueParams { state: Some("in_review".into()), mine: "true".into(), ..QueueParams::default() };
    render_queue(&s, &p, q, results).await
}
