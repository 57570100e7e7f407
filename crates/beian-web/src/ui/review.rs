//! The reviewer's pages: the queue (a tab per stage with counts, due dates coloured, claim)
//! and an order's review (the applicant's data with PII masked, the automatic checks, the
//! documents, the identity check, approval, return with field-level reasons, release). Every
//! decision carries the version the reviewer saw.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use beian_core::workflow::OrderState;
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, FindingLine, PageCtx, Refusal, Stamp, app_error, error_page, finding_lines, kind_key, label,
    refusal_message, render, to_login, uuid_or_404,
};
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
    let counts = match s.app.queue_counts(&p.ctx).await {
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
    let page = match s.app.review_queue(&p.ctx, query.clone()).await {
        Ok(v) => v,
        // A cursor that is not one (an edited link) shows the first page.
        Err(AppError::Validation(_)) if query.after.is_some() => {
            match s.app.review_queue(&p.ctx, beian_app::review::QueueQuery { after: None, ..query }).await {
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
    if !p.token_ok(Some(one("csrf_token"))) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
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
    match s.app.decide_batch(&p.ctx, BatchDecision { action, orders, findings }).await {
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
                        let subject = match s.app.get_order(&p.ctx, id, false).await {
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

#[derive(Debug, Deserialize)]
pub(super) struct VersionForm {
    csrf_token: String,
    version: i64,
}

/// Claims an order from the queue (the version seen, so two reviewers cannot both claim it).
pub(super) async fn claim(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    if !p.token_ok(Some(&f.csrf_token)) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    match s.app.claim_order(&p.ctx, id, Some(f.version)).await {
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
    findings: Vec<FindingLine>,
    documents: Vec<DocLine>,
    faces: Vec<FacePair>,
    filed: Vec<super::FiledLine>,
    awaiting_mail: bool,
    claimed: bool,
    verification: Option<String>,
    templates: Vec<beian_app::profile::TemplateView>,
    reason_rows: [u8; 3],
    field_paths: Vec<String>,
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
    let o = match s.app.get_order(&p.ctx, id, reveal).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    let documents = s.app.list_documents(&p.ctx, id).await.unwrap_or_default();
    let faces = s
        .app
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
    let templates = s.app.templates(&p.ctx).await.unwrap_or_default();
    let filed = super::filed_lines(s.app.filed_services(o.subject_id).await.unwrap_or_default());
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
    let findings = finding_lines(p.lang, &o.findings);
    let mut field_paths: Vec<String> = o.findings.iter().map(|f| f.field.clone()).collect();
    field_paths.extend(["subject.name", "subject.head", "subject.mailing_address"].map(String::from));
    field_paths.extend((0..order.websites.len()).flat_map(|i| {
        [format!("websites[{i}].name"), format!("websites[{i}].domains"), format!("websites[{i}].head")]
    }));
    field_paths.dedup();
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
        field_paths,
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

#[derive(Debug, Deserialize)]
pub(super) struct CsrfOnly {
    csrf_token: String,
}

/// Shows the order with certificate numbers and phones in full, as the answer to a POST (so
/// no link, prefetch or history entry reveals them); every reveal is in the audit log.
pub(super) async fn reveal(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    match decision_guard(&p, &f.csrf_token, &id) {
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

/// The checks every decision form passes first: the session's CSRF token and an order id.
fn decision_guard(p: &PageCtx, csrf: &str, id: &str) -> Result<Uuid, Refusal> {
    if !p.token_ok(Some(csrf)) {
        return Err((StatusCode::FORBIDDEN, "error.forbidden"));
    }
    uuid_or_404(id)
}

#[derive(Debug, Deserialize)]
pub(super) struct VerificationForm {
    csrf_token: String,
    version: i64,
    passed: bool,
    #[serde(default)]
    note: String,
}

/// A decision form's common path: the session's token and the order id checked, the step
/// taken, then [`decided`].
async fn decide<Fut>(
    s: &AppState,
    p: &PageCtx,
    csrf: &str,
    id: &str,
    step: impl FnOnce(Uuid) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<beian_app::OrderView, AppError>>,
{
    match decision_guard(p, csrf, id) {
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
    decide(&s, &p, &f.csrf_token, &id, |id| {
        s.app.record_verification(&p.ctx, id, Some(version), passed, note)
    })
    .await
}

pub(super) async fn approve(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    decide(&s, &p, &f.csrf_token, &id, |id| s.app.approve_order(&p.ctx, id, Some(f.version))).await
}

#[derive(Debug, Deserialize)]
pub(super) struct MaterialsForm {
    csrf_token: String,
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
    decide(&s, &p, &f.csrf_token, &id, |id| s.app.request_materials(&p.ctx, id, Some(version), note)).await
}

/// Records that the mailed materials arrived; the order is back in review.
pub(super) async fn materials_received(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    decide(&s, &p, &f.csrf_token, &id, |id| s.app.materials_received(&p.ctx, id, Some(f.version))).await
}

pub(super) async fn release(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    decide(&s, &p, &f.csrf_token, &id, |id| s.app.release_order(&p.ctx, id, Some(f.version))).await
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
    let id = match decision_guard(&p, &get("csrf_token").unwrap_or_default(), &id) {
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
    let result = match s.app.resolve_reasons(items).await {
        Ok(findings) => s.app.reject_order(&p.ctx, id, Some(version), findings).await,
        Err(e) => Err(e),
    };
    decided(&s, &p, id, result).await
}
