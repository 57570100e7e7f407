//! The JSON API handlers under `/api/v1`. Each one extracts, calls one use case, renders:
//! no business logic and no SQL here (architecture invariant 4).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_app::auth::NewAccount;
use beian_app::documents::Upload;
use beian_app::orders::OrderInput;
use beian_app::profile::ProviderProfile;
use beian_app::profile::{ServiceNumberInput, TemplateInput};
use beian_app::review::QueueQuery;
use beian_app::subjects::SubjectInput;
use beian_app::{AppError, Role};
use serde::Deserialize;
use uuid::Uuid;

use crate::extract::{Caller, Form, Id, IfMatch, JsonBody, Params as Query, Year};
use crate::middleware::session_cookie;
use crate::problem::ApiError;
use crate::{AppState, SESSION_COOKIE};

type ApiResult = Result<Response, ApiError>;

/// A JSON response carrying the object's version as its `ETag`.
fn versioned(status: StatusCode, version: i64, body: impl serde::Serialize) -> Response {
    let mut r = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

fn ok(body: impl serde::Serialize) -> ApiResult {
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct RevealQuery {
    #[serde(default)]
    reveal: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    before: Option<Uuid>,
    after: Option<Uuid>,
    limit: Option<i64>,
}

// ── Auth ─────────────────────────────────────────────────────────────────────────────────────

pub async fn register(State(s): State<AppState>, c: Caller, JsonBody(a): JsonBody<NewAccount>) -> ApiResult {
    let p = s.app.register(&c.ctx, a).await.map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// A signed-in session: send `csrf_token` as `X-CSRF-Token` on unsafe requests.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct LoginResponse {
    account: beian_app::Principal,
    csrf_token: String,
}

/// The rule engine's verdict on an order.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct CheckResult {
    submittable: bool,
    findings: Vec<beian_core::rules::Finding>,
}

pub async fn login(State(s): State<AppState>, c: Caller, JsonBody(b): JsonBody<LoginBody>) -> ApiResult {
    let session = s.app.login(&c.ctx, &b.email, &b.password).await.map_err(|e| c.err(e))?;
    let max_age = (session.expires_at - s.app.clock().now()).whole_seconds().max(0);
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}",
        session.token
    );
    let mut r =
        Json(LoginResponse { account: session.principal, csrf_token: session.csrf_token }).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| c.err(AppError::Internal(e.into())))?,
    );
    Ok(r)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestBody {
    email: String,
}

/// Always 204, whether or not the address has an account.
pub async fn request_password_reset(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<ResetRequestBody>,
) -> ApiResult {
    s.app.request_password_reset(&c.ctx, &b.email).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmBody {
    /// The token from the e-mailed link.
    token: String,
    password: String,
}

pub async fn reset_password(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<ResetConfirmBody>,
) -> ApiResult {
    s.app.reset_password(&c.ctx, &b.token, &b.password).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn logout(State(s): State<AppState>, c: Caller, headers: HeaderMap) -> ApiResult {
    if let Some(token) = session_cookie(&headers) {
        s.app.logout(&c.ctx, &token).await.map_err(|e| c.err(e))?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("beian_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(r)
}

pub async fn me(c: Caller) -> ApiResult {
    ok(c.ctx.principal().map_err(|e| c.err(e))?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    name: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<TokenBody>,
) -> ApiResult {
    let t = s.app.create_api_token(&c.ctx, &b.name).await.map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

pub async fn list_tokens(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.list_api_tokens(&c.ctx).await.map_err(|e| c.err(e))?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<PasswordBody>,
) -> ApiResult {
    s.app.change_password(&c.ctx, &b.current_password, &b.new_password).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn revoke_token(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.revoke_api_token(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ── Subjects ─────────────────────────────────────────────────────────────────────────────────

pub async fn create_subject(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<SubjectInput>,
) -> ApiResult {
    let v = s.app.create_subject(&c.ctx, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::CREATED, v.version, v))
}

pub async fn list_subjects(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.list_subjects(&c.ctx, q.before, q.limit.unwrap_or(50)).await.map_err(|e| c.err(e))?)
}

pub async fn get_subject(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<RevealQuery>,
) -> ApiResult {
    let v = s.app.get_subject(&c.ctx, id, q.reveal).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

#[derive(Debug, Deserialize)]
pub struct NumberQuery {
    number: String,
}

pub async fn subject_scans(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.subject_scans(&c.ctx, id).await.map_err(|e| c.err(e))?)
}

pub async fn site_scan_history(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<NumberQuery>,
) -> ApiResult {
    ok(s.app.site_scan_history(&c.ctx, id, &q.number).await.map_err(|e| c.err(e))?)
}

pub async fn queue_counts(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.queue_counts(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn compliance(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.compliance_overview(&c.ctx).await.map_err(|e| c.err(e))?)
}

// ── Public-security filing ───────────────────────────────────────────────────────────────────

pub async fn subject_psb(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.psb_applications(&c.ctx, id).await.map_err(|e| c.err(e))?)
}

pub async fn get_psb(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<RevealQuery>,
) -> ApiResult {
    let v = s.app.get_psb(&c.ctx, id, q.reveal).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn update_psb(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<beian_core::psb::PsbApplication>,
) -> ApiResult {
    let v = s.app.update_psb(&c.ctx, id, m, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn accept_psb_statement(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.accept_psb_statement(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn check_psb(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let findings = s.app.check_psb_application(&c.ctx, id).await.map_err(|e| c.err(e))?;
    let submittable = !beian_core::rules::has_errors(&findings);
    ok(CheckResult { submittable, findings })
}

pub async fn submit_psb(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.submit_psb(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn refresh_psb(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let v = s.app.refresh_psb(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// The enumerations and the statement a PSB form offers.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PsbOptions {
    pub service_types: &'static [beian_core::psb::Choice],
    pub access_methods: &'static [beian_core::psb::Choice],
    pub languages: &'static [beian_core::psb::Choice],
    pub dangerous_goods: &'static [beian_core::psb::Choice],
    pub statement: &'static beian_core::psb::Statement,
    pub deadline_days: i64,
    pub reminder_days: &'static [i64],
}

pub async fn psb_options(c: Caller) -> ApiResult {
    c.ctx.principal().map_err(|e| c.err(e))?;
    use beian_core::psb;
    ok(PsbOptions {
        service_types: psb::service_types(),
        access_methods: psb::access_methods(),
        languages: psb::languages(),
        dangerous_goods: psb::dangerous_goods(),
        statement: psb::statement(),
        deadline_days: psb::deadline_days(),
        reminder_days: psb::reminder_days(),
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct OverdueQuery {
    #[serde(default)]
    overdue: bool,
}

pub async fn psb_deadlines(State(s): State<AppState>, c: Caller, Query(q): Query<OverdueQuery>) -> ApiResult {
    ok(s.app.psb_deadlines(&c.ctx, q.overdue).await.map_err(|e| c.err(e))?)
}

pub async fn update_subject(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<SubjectInput>,
) -> ApiResult {
    let v = s.app.update_subject(&c.ctx, id, m, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

// ── Orders ───────────────────────────────────────────────────────────────────────────────────

pub async fn create_order(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<OrderInput>,
) -> ApiResult {
    let v = s.app.create_order(&c.ctx, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::CREATED, v.version, v))
}

pub async fn list_orders(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.list_orders(&c.ctx, q.before, q.limit.unwrap_or(50)).await.map_err(|e| c.err(e))?)
}

pub async fn get_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<RevealQuery>,
) -> ApiResult {
    let v = s.app.get_order(&c.ctx, id, q.reveal).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn update_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<OrderInput>,
) -> ApiResult {
    let v = s.app.update_order(&c.ctx, id, m, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn check_order(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let findings = s.app.check_order(&c.ctx, id).await.map_err(|e| c.err(e))?;
    let submittable = !beian_core::rules::has_errors(&findings);
    ok(CheckResult { submittable, findings })
}

/// `GET /metrics`: Prometheus' text format, for an admin's session or API token.
pub async fn metrics(State(s): State<AppState>, c: Caller) -> ApiResult {
    let text = s.app.metrics(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
        .into_response())
}

pub async fn assignable_addresses(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.assignable_addresses(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn order_requirements(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.order_requirements(&c.ctx, id).await.map_err(|e| c.err(e))?)
}

pub async fn submit_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.submit_order(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn withdraw_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.withdraw_order(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// Who gets a new code: the person's path in the order (`subject.head`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendBody {
    recipient: String,
}

pub async fn resend_sms(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<ResendBody>,
) -> ApiResult {
    let v = s.app.resend_sms(&c.ctx, id, &b.recipient).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn refresh_from_regulator(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let v = s.app.refresh_from_regulator(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn timeline(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.order_timeline(&c.ctx, id).await.map_err(|e| c.err(e))?)
}

// ── Documents ────────────────────────────────────────────────────────────────────────────────

pub async fn upload_document(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Form(mut mp): Form,
) -> ApiResult {
    let bad = |field: &str, zh: &str, en: &str| c.err(AppError::field(field, "MULTIPART_INVALID", zh, en));
    let (mut kind, mut path, mut file, mut declared) = (None, None, None, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(c.err(AppError::PayloadTooLarge { limit: s.app.config().max_upload_bytes }));
            }
            Err(_) => {
                return Err(bad("body", "无法解析multipart请求体。", "The multipart body cannot be read."));
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "kind" | "subject_path" => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| bad(&name, "字段须为UTF-8文本。", "The field must be UTF-8 text."))?;
                if name == "kind" { kind = Some(text) } else { path = Some(text) }
            }
            "file" => {
                declared = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|_| {
                    c.err(AppError::PayloadTooLarge { limit: s.app.config().max_upload_bytes })
                })?;
                file = Some(bytes.to_vec());
            }
            other => return Err(bad(other, "未知的字段。", "Unknown field.")),
        }
    }
    let (Some(kind), Some(subject_path), Some(bytes)) = (kind, path, file) else {
        return Err(bad(
            "body",
            "须包含kind、subject_path和file三个字段。",
            "The form needs kind, subject_path and file.",
        ));
    };
    let d = s
        .app
        .upload_document(&c.ctx, id, Upload { kind, subject_path, declared_type: declared, bytes })
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

pub async fn list_documents(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.list_documents(&c.ctx, id).await.map_err(|e| c.err(e))?)
}

pub async fn get_document(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let (d, bytes) = s.app.view_document(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(crate::headers::document(d.id, &d.content_type, bytes))
}

// ── Review ───────────────────────────────────────────────────────────────────────────────────

pub async fn review_queue(State(s): State<AppState>, c: Caller, Query(q): Query<QueueQuery>) -> ApiResult {
    ok(s.app.review_queue(&c.ctx, q).await.map_err(|e| c.err(e))?)
}

pub async fn claim(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.claim_order(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn release(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.release_order(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn approve(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.approve_order(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// Field-level reasons: each a template id (texts may be overridden) or free text.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    findings: Vec<beian_app::review::RejectReason>,
}

/// One order's outcome in a batch decision.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct BatchOutcome {
    pub id: Uuid,
    pub ok: bool,
    /// The order's state and version after the decision (when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why this order was not decided (when not `ok`): the problem document a single decision
    /// would have answered (412 with `current_version`, 409, 404).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::problem::Problem>")]
    pub problem: Option<serde_json::Value>,
}

pub async fn review_batch(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<beian_app::review::BatchDecision>,
) -> ApiResult {
    let outcomes = s.app.decide_batch(&c.ctx, b).await.map_err(|e| c.err(e))?;
    let mut results = Vec::with_capacity(outcomes.len());
    for (id, outcome) in outcomes {
        results.push(match outcome {
            Ok(v) => BatchOutcome {
                id,
                ok: true,
                state: Some(v.state.name().to_owned()),
                version: Some(v.version),
                problem: None,
            },
            Err(e) => BatchOutcome {
                id,
                ok: false,
                state: None,
                version: None,
                problem: Some(crate::problem::document(&e, c.lang)),
            },
        });
    }
    ok(results)
}

pub async fn reject(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<RejectBody>,
) -> ApiResult {
    let reasons = s.app.resolve_reasons(b.findings).await.map_err(|e| c.err(e))?;
    let v = s.app.reject_order(&c.ctx, id, m, reasons).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationBody {
    passed: bool,
    #[serde(default)]
    note: String,
}

pub async fn verification(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<VerificationBody>,
) -> ApiResult {
    let v = s.app.record_verification(&c.ctx, id, m, b.passed, b.note).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialsBody {
    note: String,
}

pub async fn request_materials(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<MaterialsBody>,
) -> ApiResult {
    let v = s.app.request_materials(&c.ctx, id, m, b.note).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn materials_received(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.materials_received(&c.ctx, id, m).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

// ── Admin ────────────────────────────────────────────────────────────────────────────────────

pub async fn get_profile(State(s): State<AppState>, c: Caller) -> ApiResult {
    let v = s.app.provider_profile(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn put_profile(
    State(s): State<AppState>,
    c: Caller,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<ProviderProfile>,
) -> ApiResult {
    let v = s.app.put_provider_profile(&c.ctx, m, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn get_calendar(State(s): State<AppState>, c: Caller) -> ApiResult {
    let v = s.app.calendar_view(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn put_calendar_year(
    State(s): State<AppState>,
    c: Caller,
    Year(year): Year,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<beian_app::calendar::YearInput>,
) -> ApiResult {
    let v = s.app.put_calendar_year(&c.ctx, m, year, b).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn delete_calendar_year(
    State(s): State<AppState>,
    c: Caller,
    Year(year): Year,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.delete_calendar_year(&c.ctx, m, year).await.map_err(|e| c.err(e))?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn list_pools(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.ip_pools(&c.ctx).await.map_err(|e| c.err(e))?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolBody {
    cidr: String,
    #[serde(default)]
    note: String,
}

pub async fn add_pool(State(s): State<AppState>, c: Caller, JsonBody(b): JsonBody<PoolBody>) -> ApiResult {
    let v = s.app.add_ip_pool(&c.ctx, &b.cidr, &b.note).await.map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn delete_pool(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.delete_ip_pool(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_users(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.list_accounts(&c.ctx, q.after, q.limit.unwrap_or(100)).await.map_err(|e| c.err(e))?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    role: Role,
    #[serde(default)]
    disabled: bool,
}

pub async fn update_user(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<UserUpdate>,
) -> ApiResult {
    ok(s.app.update_account(&c.ctx, id, b.role, b.disabled).await.map_err(|e| c.err(e))?)
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    object_type: Option<String>,
    object_id: Option<String>,
    after: Option<Uuid>,
    limit: Option<i64>,
    /// `json` (default) or `csv` for export.
    format: Option<String>,
}

pub async fn audit(State(s): State<AppState>, c: Caller, Query(q): Query<AuditQuery>) -> ApiResult {
    let object = q.object_type.zip(q.object_id);
    let rows =
        s.app.audit_log(&c.ctx, object, q.after, q.limit.unwrap_or(200)).await.map_err(|e| c.err(e))?;
    if q.format.as_deref() == Some("csv") {
        let mut out =
            String::from("id,at,actor_id,actor_role,action,object_type,object_id,ip,request_id,detail\n");
        for r in rows {
            let cells = [
                r.id.to_string(),
                r.at,
                r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                r.actor_role,
                r.action,
                r.object_type,
                r.object_id,
                r.ip.unwrap_or_default(),
                r.request_id.unwrap_or_default(),
                r.detail.to_string(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        let mut r = (StatusCode::OK, out).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        return Ok(r);
    }
    ok(rows)
}

/// Quotes a CSV cell, and defuses spreadsheet formulas (`=`, `+`, `-`, `@` first).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub async fn dead_jobs(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.dead_jobs(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn retry_job(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.retry_dead_job(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How many deliveries were made due.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Woken {
    pub woken: u64,
}

pub async fn retry_deliveries(State(s): State<AppState>, c: Caller) -> ApiResult {
    let woken = s.app.retry_deliveries_now(&c.ctx).await.map_err(|e| c.err(e))?;
    ok(Woken { woken })
}

#[derive(Debug, Deserialize, Default)]
pub struct MessagesQuery {
    channel: Option<String>,
    before: Option<Uuid>,
}

pub async fn messages(State(s): State<AppState>, c: Caller, Query(q): Query<MessagesQuery>) -> ApiResult {
    ok(s.app
        .messages(&c.ctx, q.channel.as_deref().unwrap_or("email"), q.before)
        .await
        .map_err(|e| c.err(e))?)
}

// ── Templates and service numbers ───────────────────────────────────────────────────────────

pub async fn list_templates(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.templates(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn create_template(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<TemplateInput>,
) -> ApiResult {
    let t = s.app.create_template(&c.ctx, b).await.map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

pub async fn update_template(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<TemplateInput>,
) -> ApiResult {
    ok(s.app.update_template(&c.ctx, id, b).await.map_err(|e| c.err(e))?)
}

pub async fn delete_template(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.delete_template(&c.ctx, id).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_service_numbers(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.service_numbers(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn create_service_number(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<ServiceNumberInput>,
) -> ApiResult {
    let n = s.app.create_service_number(&c.ctx, b).await.map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(n)).into_response())
}
