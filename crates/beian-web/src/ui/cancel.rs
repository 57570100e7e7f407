//! Cancellations on pages: from a filed subject, cancel a website (注销网站), withdraw this
//! provider's access from one or several websites (取消接入), or cancel the subject (注销主体). The
//! page asks for the reason (the bureau's table of cancellation reasons), says what stops (the
//! PSB filing, the footer, the site without access), and wants a confirmation; then the order
//! is created (`Orders::create_order`, the same use case as `POST /api/v1/orders`) and the applicant
//! lands on its confirmation step to submit it, after which it goes through provider review and
//! the bureau like any order.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use beian_app::orders::OrderInput;
use beian_core::model::OrderKind;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, FieldMsg, FiledLine, PageCtx, Pairs, PathId, SignedIn, app_error, field_messages, filed_lines,
    filed_overview, form_status, posted, render,
};
use crate::AppState;

/// The kinds offered: (form value, label key, what-it-does key).
const KINDS: [(&str, &str, &str); 3] = [
    ("cancel_access", "cancel.kind.access", "cancel.kind.access.hint"),
    ("cancel_service", "cancel.kind.service", "cancel.kind.service.hint"),
    ("cancel_subject", "cancel.kind.subject", "cancel.kind.subject.hint"),
];

#[derive(Template)]
#[template(path = "cancel.html")]
pub(super) struct CancelPage {
    c: Chrome,
    id: Uuid,
    name: String,
    open_order: Option<Uuid>,
    filed: Vec<FiledLine>,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    reasons: Vec<String>,
    /// The form as posted (or its defaults).
    kind: String,
    chosen: Vec<String>,
    reason: String,
    remark: String,
    errors: Vec<FieldMsg>,
}

/// What the form holds.
#[derive(Default)]
struct Posted {
    kind: String,
    numbers: Vec<String>,
    reason: String,
    remark: String,
}

async fn render_page(s: &AppState, p: &PageCtx, id: Uuid, form: Posted, errors: Vec<FieldMsg>) -> Response {
    let o = match filed_overview(s, p, id, "cancel.not_filed").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let reasons = match s.app.orders().cancel_reasons().await {
        Ok(r) => r,
        Err(e) => return app_error(p, e),
    };
    let status = form_status(&errors);
    let page = CancelPage {
        c: Chrome::new(p, "cancel.title"),
        id,
        name: o.subject.subject.name.clone(),
        open_order: o.open_order,
        filed: filed_lines(o.filed),
        kinds: KINDS.to_vec(),
        reason: if form.reason.is_empty() {
            reasons.first().cloned().unwrap_or_default()
        } else {
            form.reason
        },
        reasons,
        kind: if form.kind.is_empty() { "cancel_access".into() } else { form.kind },
        chosen: form.numbers,
        remark: form.remark,
        errors,
    };
    render(&page, status)
}

/// `GET /app/subjects/{id}/cancel`.
pub(super) async fn page(State(s): State<AppState>, SignedIn(p): SignedIn, PathId(id): PathId) -> Response {
    render_page(&s, &p, id, Posted::default(), Vec::new()).await
}

fn refusal(p: &PageCtx, field: &str, key: &str) -> FieldMsg {
    FieldMsg { field: field.to_owned(), message: Msgs::of(p.lang).get(key).to_owned() }
}

/// `POST /app/subjects/{id}/cancel`: creates the cancellation order and opens its confirmation.
pub(super) async fn create(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let subject_id = id;
    let text = |k: &str| posted(&f, k).map(str::trim).unwrap_or_default().to_owned();
    let form = Posted {
        kind: text("kind"),
        numbers: f.iter().filter(|(k, _)| k == "numbers").map(|(_, v)| v.trim().to_owned()).collect(),
        reason: text("cancel_reason"),
        remark: text("remark").chars().take(200).collect(),
    };
    let kind = match form.kind.as_str() {
        "cancel_access" => OrderKind::CancelAccess,
        "cancel_service" => OrderKind::CancelService,
        "cancel_subject" => OrderKind::CancelSubject,
        _ => {
            return render_page(&s, &p, subject_id, form, vec![refusal(&p, "kind", "cancel.err.kind")]).await;
        }
    };
    let mut errors = Vec::new();
    match (kind, form.numbers.len()) {
        (OrderKind::CancelSubject, _) | (OrderKind::CancelAccess, 1..) | (OrderKind::CancelService, 1) => {}
        (OrderKind::CancelService, 2..) => errors.push(refusal(&p, "numbers", "cancel.err.one")),
        _ => errors.push(refusal(&p, "numbers", "cancel.err.none")),
    }
    if text("confirm").is_empty() {
        errors.push(refusal(&p, "confirm", "cancel.err.confirm"));
    }
    if !errors.is_empty() {
        return render_page(&s, &p, subject_id, form, errors).await;
    }
    let input = OrderInput {
        subject_id,
        kind: Some(kind),
        websites: Vec::new(),
        apps: Vec::new(),
        target_numbers: if kind == OrderKind::CancelSubject { Vec::new() } else { form.numbers.clone() },
        remark: Some(form.remark.clone()).filter(|r| !r.is_empty()),
        cancel_reason: Some(form.reason.clone()).filter(|r| !r.is_empty()),
        domain_facts: Default::default(),
    };
    match s.app.orders().create_order(&p.ctx, input).await {
        Ok(v) => Redirect::to(&format!("/app/orders/{}/edit/confirm", v.id)).into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let errors = field_messages(p.lang, &e);
            render_page(&s, &p, subject_id, form, errors).await
        }
        Err(e) => app_error(&p, e),
    }
}
