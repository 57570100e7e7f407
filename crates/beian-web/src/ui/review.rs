//! The reviewer's order page: the applicant's data with PII masked, the automatic checks, the
//! documents, the identity check, claim, approval, return with field-level reasons, release.
//! Every decision carries the version the reviewer saw. The queue is `queue.rs`.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use beian_core::workflow::OrderState;
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, FindingLine, PageCtx, Stamp, app_error, error_page, finding_lines, kind_key, label,
    refusal_message, render, to_login, uuid_or_404,
};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct VersionForm {
    version: i64,
}

/// Claims an order from the queue (the version seen, so two reviewers cannot both claim it).
pub(super) async fn claim(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    match s.app.review().claim_order(&p.ctx, id, Some(f.version)).await {
        Ok(_) => Redirect::to(&format!("/review/orders/{id}")).into_response(),
        Err(AppError::PreconditionFailed { .. } | AppError::Conflict { .. }) => {
            Redirect::to("/review?state=submitted&notice=stale").into_response()
        }
        Err(e) => app_error(&p, e),
    }
}

pub(super) struct SubjectBlock {
    name: String,
    certificate: String,
    region: String,
    address: String,
    head: String,
    mobile: String,
}

pub(super) struct WebsiteBlock {
    name: String,
    domains: String,
    ips: String,
    head: String,
    mobile: String,
}

pub(super) struct DocLine {
    id: Uuid,
    kind_key: String,
    /// Whose document, in words.
    who: String,
    size_kb: i64,
    /// A picture (shown with zoom and rotate); otherwise a PDF to open.
    image: bool,
}

/// One of the subject's filed sites with its latest footer scan.
/// A face photo beside the same person's ID portrait.
pub(super) struct FacePair {
    who: String,
    face: Uuid,
    portrait: Option<Uuid>,
    /// The automatic face check's state (class, text), with a vendor verifier.
    check: Option<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "review_order.html")]
pub(super) struct ReviewOrderPage {
    c: Chrome,
    id: Uuid,
    version: i64,
    kind_key: String,
    state: &'static str,
    state_key: String,
    notice: Option<String>,
    subject: SubjectBlock,
    websites: Vec<WebsiteBlock>,
    /// Each with the field it names, in words.
    findings: Vec<(FindingLine, String)>,
    documents: Vec<DocLine>,
    faces: Vec<FacePair>,
    filed: Vec<super::FiledLine>,
    awaiting_mail: bool,
    claimed: bool,
    verification: Option<String>,
    templates: Vec<beian_app::profile::TemplateView>,
    reason_rows: [u8; 3],
    /// The fields a reason can name: (path, words), the flagged ones first.
    field_choices: Vec<(String, String)>,
    /// Certificate numbers and phones shown in full (audited).
    revealed: bool,
}

/// The reviewer's view of an order: what the applicant entered (PII masked), the automatic
/// checks, the documents, and — once claimed — the identity check and the decision.
async fn review_order_page(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    notice: Option<String>,
    status: StatusCode,
    reveal: bool,
) -> Response {
    let Some(me) = p.ctx.principal.as_ref() else { return to_login(&p.path) };
    if !me.role.is_staff() {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    }
    // Revealing is audited by `get_order`.
    let o = match s.app.orders().get_order(&p.ctx, id, reveal).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    let documents = s.app.documents().list_documents(&p.ctx, id).await.unwrap_or_default();
    let faces = s
        .app
        .drafts()
        .document_checklist(&p.ctx, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|slot| slot.kind == "face_photo")
        .filter_map(|slot| {
            let face = slot.uploaded.iter().max_by(|a, b| a.created_at.cmp(&b.created_at))?.id;
            let check = super::face_note(p.lang, &slot);
            Some(FacePair { who: label(p.lang, &slot.path), face, portrait: slot.portrait, check })
        })
        .collect();
    let templates = s.app.admin().templates(&p.ctx).await.unwrap_or_default();
    let filed = super::filed_lines(s.app.seam().filed_services(o.subject_id).await.unwrap_or_default());
    let order = &o.order;
    let subject = SubjectBlock {
        name: order.subject.name.clone(),
        certificate: order.subject.certificate.number.clone(),
        region: beian_core::division::divisions().describe(&order.subject.region),
        address: order.subject.mailing_address.clone(),
        head: order.subject.head.name.clone(),
        mobile: order.subject.head.mobile.clone(),
    };
    let websites = order
        .websites
        .iter()
        .map(|w| WebsiteBlock {
            name: w.name.clone(),
            domains: w.domains.join(", "),
            ips: w.access.ips.join(", "),
            head: w.head.name.clone(),
            mobile: w.head.mobile.clone(),
        })
        .collect();
    let labels = super::wizard::FieldLabels::of(&serde_json::to_value(&o.order).unwrap_or_default(), p.lang);
    let findings: Vec<(FindingLine, String)> = finding_lines(p.lang, &o.findings)
        .into_iter()
        .map(|f| {
            let words = labels.get(&f.field);
            (f, words)
        })
        .collect();
    // A reason names a field by choosing it: the flagged fields first, then every other one.
    let mut field_choices: Vec<(String, String)> = o
        .findings
        .iter()
        .filter(|f| !f.field.is_empty())
        .map(|f| (f.field.clone(), labels.get(&f.field)))
        .collect();
    field_choices.extend(labels.all().map(|(n, t)| (n.to_owned(), t.to_owned())));
    let mut seen = std::collections::HashSet::new();
    field_choices.retain(|(n, _)| seen.insert(n.clone()));
    let verification = o.verification.as_ref().map(|v| {
        let verdict = Msgs::of(p.lang).get(if v.passed { "rv.passed" } else { "rv.failed" });
        format!("{verdict} · {} · {}", v.note, Stamp::of(&v.at).short)
    });
    let page = ReviewOrderPage {
        c: Chrome::new(p, "rv.title"),
        id,
        version: o.version,
        kind_key: kind_key(o.order.kind),
        state: o.state.name(),
        state_key: format!("state.{}", o.state.name()),
        notice,
        subject,
        websites,
        findings,
        documents: documents
            .iter()
            .map(|d| DocLine {
                id: d.id,
                kind_key: format!("doc.{}", d.kind),
                who: if d.subject_path == "subject" {
                    Msgs::of(p.lang).get("rv.subject").to_owned()
                } else {
                    label(p.lang, &d.subject_path)
                },
                size_kb: (d.size + 1023) / 1024,
                image: d.content_type.starts_with("image/"),
            })
            .collect(),
        faces,
        filed,
        awaiting_mail: o.state == OrderState::AwaitingMail,
        claimed: o.state == OrderState::InReview && o.reviewer_id == Some(me.id),
        verification,
        templates,
        reason_rows: [1, 2, 3],
        field_choices,
        revealed: reveal,
    };
    render(&page, status)
}

pub(super) async fn order(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
) -> Response {
    match uuid_or_404(&id) {
        Ok(id) => review_order_page(&s, &p, id, None, StatusCode::OK, false).await,
        Err((status, key)) => error_page(p.lang, status, key),
    }
}

/// Shows the order with certificate numbers and phones in full, as the answer to a POST (so
/// no link, prefetch or history entry reveals them); every reveal is in the audit log.
pub(super) async fn reveal(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
) -> Response {
    match uuid_or_404(&id) {
        Ok(id) => review_order_page(&s, &p, id, None, StatusCode::OK, true).await,
        Err((status, key)) => error_page(p.lang, status, key),
    }
}

/// After a decision: back to the queue on success; the same page with the reason otherwise.
async fn decided(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    result: Result<beian_app::OrderView, AppError>,
) -> Response {
    match result {
        Ok(o) if o.state == OrderState::InReview => {
            Redirect::to(&format!("/review/orders/{id}")).into_response()
        }
        // Decided: on to the next order waiting.
        Ok(_) => Redirect::to("/review").into_response(),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            let msg = refusal_message(p.lang, &e);
            review_order_page(s, p, id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY, false).await
        }
        Err(e) => app_error(p, e),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct VerificationForm {
    version: i64,
    passed: bool,
    #[serde(default)]
    note: String,
}

/// A decision form's common path (the page layer has checked its form token): the order id
/// checked, the step taken, then [`decided`].
async fn decide<Fut>(s: &AppState, p: &PageCtx, id: &str, step: impl FnOnce(Uuid) -> Fut) -> Response
where
    Fut: std::future::Future<Output = Result<beian_app::OrderView, AppError>>,
{
    match uuid_or_404(id) {
        Ok(id) => {
            let result = step(id).await;
            decided(s, p, id, result).await
        }
        Err((status, key)) => error_page(p.lang, status, key),
    }
}

pub(super) async fn verification(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VerificationForm>,
) -> Response {
    let (version, passed, note) = (f.version, f.passed, f.note);
    decide(&s, &p, &id, |id| s.app.review().record_verification(&p.ctx, id, Some(version), passed, note))
        .await
}

pub(super) async fn approve(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    decide(&s, &p, &id, |id| s.app.review().approve_order(&p.ctx, id, Some(f.version))).await
}

#[derive(Debug, Deserialize)]
pub(super) struct MaterialsForm {
    version: i64,
    #[serde(default)]
    note: String,
}

/// Asks the applicant to mail paper materials (the order waits for them).
pub(super) async fn request_materials(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<MaterialsForm>,
) -> Response {
    let (version, note) = (f.version, f.note);
    decide(&s, &p, &id, |id| s.app.review().request_materials(&p.ctx, id, Some(version), note)).await
}

/// Records that the mailed materials arrived; the order is back in review.
pub(super) async fn materials_received(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    decide(&s, &p, &id, |id| s.app.review().materials_received(&p.ctx, id, Some(f.version))).await
}

pub(super) async fn release(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    decide(&s, &p, &id, |id| s.app.review().release_order(&p.ctx, id, Some(f.version))).await
}

/// A rejection: up to three reasons, each a template (its texts overridable) or free text;
/// empty rows are ignored.
pub(super) async fn reject(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let id = match uuid_or_404(&id) {
        Ok(id) => id,
        Err((status, key)) => return error_page(p.lang, status, key),
    };
    let Some(version) = get("version").and_then(|v| v.parse().ok()) else {
        return error_page(p.lang, StatusCode::BAD_REQUEST, "error.not_found");
    };
    let items: Vec<beian_app::review::RejectReason> = (1..=3)
        .filter_map(|i| {
            let r = beian_app::review::RejectReason {
                template_id: get(&format!("template_{i}")).and_then(|t| t.parse().ok()),
                field: get(&format!("field_{i}")),
                error: get(&format!("error_{i}")),
                suggestion: get(&format!("suggestion_{i}")),
            };
            (r.template_id.is_some() || r.field.is_some() || r.error.is_some()).then_some(r)
        })
        .collect();
    let result = match s.app.review().resolve_reasons(items).await {
        Ok(findings) => s.app.review().reject_order(&p.ctx, id, Some(version), findings).await,
        Err(e) => Err(e),
    };
    decided(&s, &p, id, result).await
}
