//! The applicant's pages: home (subjects and orders) and an order's progress — stages with
//! their times, the next step, the SMS window with the persons still to verify, return
//! reasons, the numbers with copyable footers, the PSB applications, the history.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use beian_app::{AppError, OrderView};
use beian_core::workflow::OrderState;
use uuid::Uuid;

use super::{
    Chrome, PageCtx, Pairs, SignedIn, Stamp, app_error, error_page, kind_key, label, posted, refusal_message,
    render,
};
use crate::AppState;

pub(super) struct SubjectLine {
    id: Uuid,
    name: String,
    province: String,
    number: Option<String>,
}

pub(super) struct OrderLine {
    pub(super) id: Uuid,
    pub(super) kind_key: String,
    pub(super) subject: String,
    pub(super) state: String,
    pub(super) state_key: String,
    pub(super) updated: Stamp,
}

impl From<beian_app::orders::OrderSummary> for OrderLine {
    fn from(o: beian_app::orders::OrderSummary) -> Self {
        OrderLine {
            id: o.id,
            kind_key: o.kind.map_or_else(|| "kind.unknown".to_owned(), kind_key),
            subject: o.subject_name,
            state_key: format!("state.{}", o.state),
            state: o.state,
            updated: Stamp::of(&o.updated_at),
        }
    }
}

/// An order that closes soon unless its applicant touches it.
pub(super) struct ExpiringLine {
    id: Uuid,
    kind_key: String,
    idle_days: i64,
    closes: Stamp,
}

/// A website still without its PSB number: the 30-day to-do.
pub(super) struct PsbTodoLine {
    id: Uuid,
    name: String,
    number: String,
    /// The last day (`YYYY-MM-DD`).
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
pub(super) struct HomePage {
    c: Chrome,
    subjects: Vec<SubjectLine>,
    orders: Vec<OrderLine>,
    expiring: Vec<ExpiringLine>,
    psb_todo: Vec<PsbTodoLine>,
    /// Links to the next page of each list, when there is one.
    more_subjects: Option<String>,
    more_orders: Option<String>,
    /// Further recipients of the account's notices, and why an add was refused.
    recipients: Vec<beian_app::recipients::RecipientView>,
    recipient_error: Option<String>,
}

/// Rows per list on the home page (a page of 100 rows missed the 50 ms target under load).
const PAGE_ROWS: i64 = 25;
/// Orders about to close shown on the home page (the API lists up to 500).
const EXPIRING_ROWS: i64 = 10;

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct HomeQuery {
    subjects_before: Option<Uuid>,
    orders_before: Option<Uuid>,
}

pub(super) async fn home(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    q: Result<axum::extract::Query<HomeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A cursor that is not one shows the first page.
    home_page(&s, &p, q.map(|q| q.0).unwrap_or_default(), None).await
}

/// The home page, with the reason an added recipient was refused when it was.
async fn home_page(s: &AppState, p: &PageCtx, q: HomeQuery, recipient_error: Option<String>) -> Response {
    let recipients = match s.app.notify().recipients(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    let subjects = match s.app.subjects().subject_summaries(&p.ctx, q.subjects_before, PAGE_ROWS).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    let orders = match s.app.orders().order_summaries(&p.ctx, q.orders_before, PAGE_ROWS).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    // For staff `expiring_orders` answers everyone's orders; their home lists only their own.
    let staff = p.ctx.principal.as_ref().is_some_and(|x| x.role.is_staff());
    let expiring = if staff {
        Vec::new()
    } else {
        match s.app.expiry().expiring_orders(&p.ctx, EXPIRING_ROWS).await {
            Ok(v) => v
                .into_iter()
                .map(|e| ExpiringLine {
                    id: e.id,
                    kind_key: format!("kind.{}", e.kind),
                    idle_days: e.idle_days,
                    closes: Stamp::of(&e.closes_at),
                })
                .collect(),
            Err(e) => return app_error(p, e),
        }
    };
    // The public-security filing is due 30 days after a site goes live: the owner's to-do.
    let psb_todo = if staff {
        Vec::new()
    } else {
        match s.app.psb().my_psb_deadlines(&p.ctx, EXPIRING_ROWS).await {
            Ok(v) => v
                .into_iter()
                .map(|d| PsbTodoLine {
                    id: d.id,
                    name: d.website_name,
                    number: d.icp_number,
                    due: d.deadline.due.to_string(),
                    overdue: d.deadline.overdue,
                })
                .collect(),
            Err(e) => return app_error(p, e),
        }
    };
    let full = |n: usize| n as i64 == PAGE_ROWS;
    let more_subjects =
        subjects.last().filter(|_| full(subjects.len())).map(|x| format!("/app?subjects_before={}", x.id));
    let more_orders =
        orders.last().filter(|_| full(orders.len())).map(|x| format!("/app?orders_before={}", x.id));
    let orders = orders.into_iter().map(OrderLine::from).collect();
    let subjects = subjects
        .iter()
        .map(|x| SubjectLine {
            id: x.id,
            name: x.name.clone(),
            province: super::province_name(p.lang, &x.province),
            number: x.filed_number.clone(),
        })
        .collect();
    let page = HomePage {
        c: Chrome::new(p, "home.title"),
        subjects,
        orders,
        expiring,
        psb_todo,
        more_subjects,
        more_orders,
        recipients,
        recipient_error: recipient_error.clone(),
    };
    let status = if recipient_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&page, status)
}

/// Adds a further recipient of the account's notices from the home page.
pub(super) async fn add_recipient(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    axum::extract::Form(f): axum::extract::Form<Pairs>,
) -> Response {
    let input = beian_app::recipients::NewRecipient {
        email: posted(&f, "email").unwrap_or_default().to_owned(),
        label: posted(&f, "label").unwrap_or_default().to_owned(),
    };
    match s.app.notify().add_recipient(&p.ctx, input).await {
        Ok(_) => axum::response::Redirect::to("/app#recipients").into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            home_page(&s, &p, HomeQuery::default(), Some(refusal_message(p.lang, &e))).await
        }
        Err(e) => app_error(&p, e),
    }
}

/// Removes a further recipient.
pub(super) async fn delete_recipient(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(id) = id.parse() else { return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found") };
    match s.app.notify().delete_recipient(&p.ctx, id).await {
        Ok(()) => axum::response::Redirect::to("/app#recipients").into_response(),
        Err(e) => app_error(&p, e),
    }
}

/// The stages an order passes on its way to numbers, in order.
pub(super) const STAGES: [&str; 7] =
    ["draft", "submitted", "in_review", "queued_for_regulator", "sms_pending", "bureau_review", "filed"];

pub(super) struct StageLine {
    key: String,
    status: &'static str,
    at: Option<Stamp>,
}

pub(super) struct SmsBox {
    deadline: Stamp,
    pending: Vec<String>,
    verified: Vec<String>,
}

pub(super) struct ServiceLine {
    name: String,
    number: String,
    footer: Option<String>,
}

pub(super) struct PsbLine {
    id: Uuid,
    icp_number: String,
    state: &'static str,
    state_key: String,
    due: String,
    days: super::psb::DaysWords,
    overdue: bool,
    number: Option<String>,
}

pub(super) struct TimelineLine {
    at: Stamp,
    actor_key: String,
    state_key: String,
}

#[derive(Template)]
#[template(path = "order.html")]
pub(super) struct OrderPage {
    c: Chrome,
    kind_key: String,
    subject: String,
    stages: Vec<StageLine>,
    state_key: String,
    stage_since: Stamp,
    sla_due: Option<Stamp>,
    /// The due date reaches a year without holiday data: say it may be early.
    sla_note: Option<String>,
    next_key: String,
    sms: Option<SmsBox>,
    /// The reviewer's reasons, each with the field it names in words.
    reasons: Vec<(String, beian_app::ReviewFinding)>,
    subject_number: Option<String>,
    services: Vec<ServiceLine>,
    psb: Vec<PsbLine>,
    timeline: Vec<TimelineLine>,
    /// A draft or returned order: the wizard continues it.
    edit: Option<Uuid>,
    /// The latest footer scan of each of the subject's filed sites.
    scans: Vec<ScanLine>,
}

pub(super) struct ScanLine {
    number: String,
    url: String,
    verdict_key: String,
    ok: bool,
    at: Stamp,
}

/// Where in [`STAGES`] the order stands: a returned order is back with the applicant (draft),
/// one awaiting mail is still in review; a withdrawn one stands nowhere.
fn stage_index(state: &OrderState) -> Option<usize> {
    let name = match state {
        OrderState::Returned { .. } => "draft",
        OrderState::AwaitingMail => "in_review",
        other => other.name(),
    };
    STAGES.iter().position(|s| *s == name)
}

pub(super) async fn order_page(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    let o: OrderView = match s.app.orders().get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let timeline = match s.app.orders().order_timeline(&p.ctx, id).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let psb = if o.state == OrderState::Filed {
        s.app.psb().psb_applications(&p.ctx, o.subject_id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let scans = if o.state == OrderState::Filed {
        s.app.compliance().subject_scans(&p.ctx, o.subject_id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let scans = scans
        .into_iter()
        .map(|x| ScanLine {
            number: x.number,
            url: x.url,
            verdict_key: format!("scan.{}", x.verdict),
            ok: x.verdict == "compliant",
            at: Stamp::of(&x.scanned_at),
        })
        .collect();
    let current = stage_index(&o.state);
    let stages = STAGES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let at = timeline.iter().rev().find(|e| e.to_state == *name).map(|e| Stamp::of(&e.at));
            let status = match current {
                Some(c) if i < c => "done",
                Some(c) if i == c => {
                    if *name == "filed" {
                        "done"
                    } else {
                        "current"
                    }
                }
                _ => "todo",
            };
            StageLine { key: format!("state.{name}"), status, at }
        })
        .collect();
    let sms = match &o.state {
        OrderState::SmsPending { pending, verified, sms_deadline, .. } => Some(SmsBox {
            deadline: Stamp::of(&beian_app::rfc3339(beian_store::micros(*sms_deadline))),
            pending: pending.iter().map(|r| label(p.lang, r)).collect(),
            verified: verified.iter().map(|r| label(p.lang, r)).collect(),
        }),
        _ => None,
    };
    let (subject_number, services) = match &o.filing {
        Some(f) => (
            f.decision.subject_number.clone(),
            f.decision
                .services
                .iter()
                .map(|x| ServiceLine {
                    name: x.name.clone(),
                    number: x.number.clone(),
                    footer: f.footers.get(&x.number).cloned(),
                })
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    let page = OrderPage {
        c: Chrome::new(&p, "order.title"),
        kind_key: kind_key(o.order.kind),
        subject: o.order.subject.name.clone(),
        edit: o.state.is_editable().then_some(o.id),
        scans,
        stages,
        state_key: format!("state.{}", o.state.name()),
        stage_since: Stamp::of(&o.stage_since),
        sla_due: o.sla_due.as_deref().map(Stamp::of),
        sla_note: o.sla_due_year_without_calendar.map(|y| super::calendar_note(&p, y)),
        next_key: format!("next.{}", o.state.name()),
        sms,
        reasons: {
            let labels =
                super::wizard::FieldLabels::of(&serde_json::to_value(&o.order).unwrap_or_default(), p.lang);
            o.review_findings.iter().map(|r| (labels.get(&r.field), r.clone())).collect()
        },
        subject_number,
        services,
        psb: psb
            .iter()
            .map(|a| PsbLine {
                id: a.id,
                icp_number: a.icp_number.clone(),
                state: a.state.as_str(),
                state_key: format!("psb.state.{}", a.state.as_str()),
                due: a.deadline.due.to_string(),
                days: super::psb::DaysWords::of(p.lang, a.deadline.days_left),
                overdue: a.deadline.overdue,
                number: a.psb_number.clone(),
            })
            .collect(),
        timeline: timeline
            .iter()
            .map(|e| TimelineLine {
                at: Stamp::of(&e.at),
                actor_key: format!("actor.{}", e.actor_role),
                state_key: format!("state.{}", e.to_state),
            })
            .collect(),
    };
    render(&page, StatusCode::OK)
}
