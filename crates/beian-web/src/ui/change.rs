//! Changes on pages (变更): from a filed subject, choose what the change concerns — the
//! subject alone, or some of its filed websites and apps — and the wizard opens on the data as
//! filed (`Drafts::start_change`, the same use case as `POST /api/v1/subjects/{id}/changes`). The
//! applicant edits only what changes; the order's kind (变更主体 / 变更网站 / 变更备案 / 变更接入)
//! follows from what differs from the filing on every save, and the wizard marks each changed
//! field. Then documents, review and the bureau as for any order.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use uuid::Uuid;

use super::{
    Chrome, FieldMsg, FiledLine, PageCtx, Pairs, PathId, SignedIn, app_error, field_messages, filed_lines,
    filed_overview, form_status, render,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "change.html")]
pub(super) struct ChangePage {
    c: Chrome,
    id: Uuid,
    name: String,
    open_order: Option<Uuid>,
    filed: Vec<FiledLine>,
    chosen: Vec<String>,
    errors: Vec<FieldMsg>,
}

async fn render_page(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    chosen: Vec<String>,
    errors: Vec<FieldMsg>,
) -> Response {
    let o = match filed_overview(s, p, id, "change.not_filed").await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let status = form_status(&errors);
    let page = ChangePage {
        c: Chrome::new(p, "change.title"),
        id,
        name: o.subject.subject.name.clone(),
        open_order: o.open_order,
        filed: filed_lines(o.filed),
        chosen,
        errors,
    };
    render(&page, status)
}

/// `GET /app/subjects/{id}/change`.
pub(super) async fn page(State(s): State<AppState>, SignedIn(p): SignedIn, PathId(id): PathId) -> Response {
    render_page(&s, &p, id, Vec::new(), Vec::new()).await
}

/// `POST /app/subjects/{id}/change`: opens the change draft on the data as filed, at the step
/// of what it concerns (the websites when some were chosen, else the subject).
pub(super) async fn create(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let subject_id = id;
    let numbers: Vec<String> =
        f.iter().filter(|(k, _)| k == "numbers").map(|(_, v)| v.trim().to_owned()).take(50).collect();
    let step = if numbers.is_empty() { "subject" } else { "websites" };
    match s.app.drafts().start_change(&p.ctx, subject_id, numbers.clone()).await {
        Ok(v) => Redirect::to(&format!("/app/orders/{}/edit/{step}", v.id)).into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let errors = field_messages(p.lang, &e);
            render_page(&s, &p, subject_id, numbers, errors).await
        }
        Err(e) => app_error(&p, e),
    }
}
