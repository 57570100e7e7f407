//! # beian-web
//!
//! The HTTP layer of the provider system: the JSON API under `/api/v1`, health checks,
//! problem+json errors, authentication (session cookie + CSRF token, or bearer API token),
//! `Idempotency-Key` replay, `ETag`/`If-Match` versions, body limits and timeouts.
//!
//! Handlers are thin (`api.rs`): extract, call one `beian_app::App` method, render. This crate
//! knows no SQL and makes no business decision.

mod api;
pub mod callback;
pub mod extract;
pub mod headers;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use beian_app::{App, AppError};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::problem::{ApiError, lang_of};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "beian_session";
/// Largest JSON body.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// Shared state of the router.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    /// Mark cookies `Secure` (the service is reached over TLS, possibly via a proxy).
    pub secure_cookies: bool,
    /// The generated OpenAPI document.
    pub openapi: std::sync::Arc<serde_json::Value>,
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> Response {
    let ready = s.app.store().ping().await.is_ok() && s.app.store().ensure_current().await.is_ok();
    if ready {
        // Ready, but say what an operator must do soon (the next year's holidays).
        match s.app.calendar_warning().await {
            Ok(Some(w)) => (StatusCode::OK, format!("ready\nwarning: {w}")).into_response(),
            _ => (StatusCode::OK, "ready").into_response(),
        }
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable or schema not current").into_response()
    }
}

async fn not_found(headers: axum::http::HeaderMap) -> Response {
    ApiError::new(AppError::NotFound, lang_of(&headers)).into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    problem::render(
        &AppError::Internal(anyhow::anyhow!("handler panicked")),
        beian_core::message::Lang::Zh,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
}

/// The API routes and their OpenAPI document, built from one table.
pub fn api_routes() -> (Router<AppState>, serde_json::Value) {
    use beian_app::auth::{CreatedToken, NewAccount};
    use beian_app::documents::DocumentView;
    use beian_app::orders::OrderInput;
    use beian_app::profile::{
        AuditView, IpPoolView, JobView, MessageView, ProfileView, ProviderProfile, ServiceNumberInput,
        ServiceNumberView, TemplateInput, TemplateView,
    };
    use beian_app::psb::{PsbDeadlineView, PsbView};
    use beian_app::review::QueuePage;
    use beian_app::scans::{ComplianceView, SiteScanView};
    use beian_app::subjects::SubjectInput;
    use beian_app::{OrderView, Principal, SubjectView, TimelineEntry};
    use openapi::{Api, Op};
    const PAGE: &[(&str, &str)] = &[("before", "cursor: id of the last item seen"), ("limit", "page size")];
    Api::new("/api/v1")
        .op(
            "post",
            "/auth/register",
            post(api::register),
            Op::new("accounts", "Register an applicant account")
                .public()
                .body::<NewAccount>()
                .returns::<Principal>(201),
        )
        .op(
            "post",
            "/auth/login",
            post(api::login),
            Op::new("accounts", "Sign in; sets the session cookie")
                .public()
                .body::<api::LoginBody>()
                .returns::<api::LoginResponse>(200),
        )
        .op("post", "/auth/logout", post(api::logout), Op::new("accounts", "Sign out").no_content())
        .op(
            "post",
            "/auth/password-reset",
            post(api::request_password_reset),
            Op::new("accounts", "E-mail a password-reset link (the same answer whether or not the address is registered)")
                .public()
                .body::<api::ResetRequestBody>()
                .no_content(),
        )
        .op(
            "post",
            "/auth/password-reset/confirm",
            post(api::reset_password),
            Op::new("accounts", "Set a new password with the e-mailed token (once, within the hour; ends every session)")
                .public()
                .body::<api::ResetConfirmBody>()
                .no_content(),
        )
        .op(
            "get",
            "/me",
            get(api::me),
            Op::new("accounts", "The signed-in account").returns::<Principal>(200),
        )
        .op(
            "post",
            "/tokens",
            post(api::create_token),
            Op::new("accounts", "Create an API token (shown once)")
                .body::<api::TokenBody>()
                .returns::<CreatedToken>(201),
        )
        .op(
            "get",
            "/tokens",
            get(api::list_tokens),
            Op::new("accounts", "Your API tokens (without secrets)")
                .returns::<Vec<beian_app::auth::TokenInfo>>(200),
        )
        .op(
            "post",
            "/me/password",
            post(api::change_password),
            Op::new("accounts", "Change your password; all your sessions end")
                .body::<api::PasswordBody>()
                .no_content(),
        )
        .op(
            "delete",
            "/tokens/{id}",
            delete(api::revoke_token),
            Op::new("accounts", "Revoke an API token").no_content(),
        )
        .op(
            "post",
            "/subjects",
            post(api::create_subject),
            Op::new("subjects", "Create a subject (主体)").body::<SubjectInput>().returns::<SubjectView>(201),
        )
        .op(
            "get",
            "/subjects",
            get(api::list_subjects),
            Op::new("subjects", "Your subjects, newest first").query(PAGE).returns::<Vec<SubjectView>>(200),
        )
        .op(
            "get",
            "/subjects/{id}",
            get(api::get_subject),
            Op::new("subjects", "A subject (PII masked unless reveal=true, which is audited)")
                .query(&[("reveal", "true to show PII in full")])
                .returns::<SubjectView>(200),
        )
        .op(
            "get",
            "/subjects/{id}/scans",
            get(api::subject_scans),
            Op::new("compliance", "The newest footer scan of each of the subject's filed websites")
                .returns::<Vec<SiteScanView>>(200),
        )
        .op(
            "get",
            "/subjects/{id}/scans/history",
            get(api::site_scan_history),
            Op::new("compliance", "One filed website's scans, newest first")
                .query(&[("number", "the website's ICP number (浙ICP备2026012345号-1)")])
                .returns::<Vec<SiteScanView>>(200),
        )
        .op(
            "put",
            "/subjects/{id}",
            put(api::update_subject),
            Op::new("subjects", "Replace a subject's details")
                .if_match()
                .body::<SubjectInput>()
                .returns::<SubjectView>(200),
        )
        .op(
            "post",
            "/orders",
            post(api::create_order),
            Op::new("orders", "Start a draft order; the kind is worked out from what is on file")
                .body::<OrderInput>()
                .returns::<OrderView>(201),
        )
        .op(
            "get",
            "/orders",
            get(api::list_orders),
            Op::new("orders", "Your orders, newest first").query(PAGE).returns::<Vec<OrderView>>(200),
        )
        .op(
            "get",
            "/orders/{id}",
            get(api::get_order),
            Op::new("orders", "An order (PII masked unless reveal=true, which is audited)")
                .query(&[("reveal", "true to show PII in full")])
                .returns::<OrderView>(200),
        )
        .op(
            "put",
            "/orders/{id}",
            put(api::update_order),
            Op::new("orders", "Edit a draft or returned order; masked values sent back are kept")
                .if_match()
                .body::<OrderInput>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/check",
            post(api::check_order),
            Op::new("orders", "Run the rule engine").returns::<api::CheckResult>(200),
        )
        .op(
            "get",
            "/orders/{id}/requirements",
            get(api::order_requirements),
            Op::new(
                "orders",
                "What the order needs before it can be submitted: each document with what is uploaded, and what is missing (documents, identity checks, blocking findings)",
            )
            .returns::<beian_app::requirements::Requirements>(200),
        )
        .op(
            "post",
            "/orders/{id}/submit",
            post(api::submit_order),
            Op::new("orders", "Submit for provider review").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/withdraw",
            post(api::withdraw_order),
            Op::new("orders", "Withdraw the order").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/sms/resend",
            post(api::resend_sms),
            Op::new("orders", "Have MIIT text a person a new verification code (within the 24 hours)")
                .body::<api::ResendBody>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/regulator/refresh",
            post(api::refresh_from_regulator),
            Op::new("orders", "Fetch the regulator's latest steps for the order").returns::<OrderView>(200),
        )
        .op(
            "get",
            "/orders/{id}/timeline",
            get(api::timeline),
            Op::new("orders", "Every step of the order").returns::<Vec<TimelineEntry>>(200),
        )
        .op(
            "post",
            "/orders/{id}/documents",
            post(api::upload_document).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
            Op::new("documents", "Upload a document (JPEG, PNG or PDF; images are re-encoded)")
                .upload()
                .returns::<DocumentView>(201),
        )
        .op(
            "get",
            "/orders/{id}/documents",
            get(api::list_documents),
            Op::new("documents", "The order's documents").returns::<Vec<DocumentView>>(200),
        )
        .op(
            "get",
            "/documents/{id}",
            get(api::get_document),
            Op::new("documents", "A document's bytes (every view is audited)").binary(),
        )
        .op(
            "get",
            "/psb/options",
            get(api::psb_options),
            Op::new("psb", "PSB form choices (service types, access methods, languages, dangerous goods) and the statement in force")
                .returns::<api::PsbOptions>(200),
        )
        .op(
            "get",
            "/subjects/{id}/psb",
            get(api::subject_psb),
            Op::new("psb", "The subject's PSB applications, one per filed website, with their 30-day deadlines")
                .returns::<Vec<PsbView>>(200),
        )
        .op(
            "get",
            "/psb/{id}",
            get(api::get_psb),
            Op::new("psb", "A PSB application (PII masked unless reveal=true, which is audited); once approved, its footer")
                .query(&[("reveal", "true to show PII in full")])
                .returns::<PsbView>(200),
        )
        .op(
            "put",
            "/psb/{id}",
            put(api::update_psb),
            Op::new("psb", "Edit a draft or refused PSB application; masked values sent back are kept")
                .if_match()
                .body::<beian_core::psb::PsbApplication>()
                .returns::<PsbView>(200),
        )
        .op(
            "post",
            "/psb/{id}/statement",
            post(api::accept_psb_statement),
            Op::new("psb", "Accept the responsibility statement in force (version, time and account are recorded)")
                .if_match()
                .returns::<PsbView>(200),
        )
        .op(
            "post",
            "/psb/{id}/check",
            post(api::check_psb),
            Op::new("psb", "Run the PSB rules").returns::<api::CheckResult>(200),
        )
        .op(
            "post",
            "/psb/{id}/submit",
            post(api::submit_psb),
            Op::new("psb", "Submit to the public-security platform").if_match().returns::<PsbView>(200),
        )
        .op(
            "post",
            "/psb/{id}/refresh",
            post(api::refresh_psb),
            Op::new("psb", "Fetch the platform's latest steps for the application").returns::<PsbView>(200),
        )
        .op(
            "get",
            "/review/psb",
            get(api::psb_deadlines),
            Op::new("psb", "Filed websites without a PSB number, longest live first (staff)")
                .query(&[("overdue", "true for only those past their 30 days")])
                .returns::<Vec<PsbDeadlineView>>(200),
        )
        .op(
            "get",
            "/review/compliance",
            get(api::compliance),
            Op::new("compliance", "Every scanned site's newest verdict, worst first, with counts (staff)")
                .returns::<ComplianceView>(200),
        )
        .op(
            "post",
            "/review/batch",
            post(api::review_batch),
            Op::new("review", "Approve or return several claimed orders; one result per order, in order")
                .body::<beian_app::review::BatchDecision>()
                .returns::<Vec<api::BatchOutcome>>(200),
        )
        .op(
            "get",
            "/review/queue/counts",
            get(api::queue_counts),
            Op::new("review", "How many orders wait in each review and regulator stage")
                .returns::<Vec<beian_app::review::QueueCount>>(200),
        )
        .op(
            "get",
            "/review/queue",
            get(api::review_queue),
            Op::new("review", "The review queue, oldest first (keyset pages)")
                .query(&[
                    ("state", "submitted | in_review | awaiting_mail"),
                    ("province", "two-digit code"),
                    ("kind", "order kind"),
                    ("min_age_days", "waiting at least this long"),
                    ("subject", "subject name contains"),
                    ("mine", "true: only orders you claimed"),
                    ("after", "cursor from `next`"),
                    ("limit", "page size"),
                ])
                .returns::<QueuePage>(200),
        )
        .op(
            "post",
            "/orders/{id}/claim",
            post(api::claim),
            Op::new("review", "Claim an order for review").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/release",
            post(api::release),
            Op::new("review", "Put a claimed order back").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/verification",
            post(api::verification),
            Op::new("review", "Record the manual identity check")
                .if_match()
                .body::<api::VerificationBody>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/approve",
            post(api::approve),
            Op::new("review", "Approve (goes to the regulator queue)").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/reject",
            post(api::reject),
            Op::new("review", "Return with field-level reasons")
                .if_match()
                .body::<api::RejectBody>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/request-materials",
            post(api::request_materials),
            Op::new("review", "Ask for paper materials by mail")
                .if_match()
                .body::<api::MaterialsBody>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/materials-received",
            post(api::materials_received),
            Op::new("review", "Record that the materials arrived").if_match().returns::<OrderView>(200),
        )
        .op(
            "get",
            "/admin/provider-profile",
            get(api::get_profile),
            Op::new("admin", "The provider profile").returns::<ProfileView>(200),
        )
        .op(
            "put",
            "/admin/provider-profile",
            put(api::put_profile),
            Op::new("admin", "Save the provider profile (If-Match: 0 to create)")
                .if_match()
                .body::<ProviderProfile>()
                .returns::<ProfileView>(200),
        )
        .op(
            "get",
            "/admin/calendar",
            get(api::get_calendar),
            Op::new("admin", "The working-day calendar in force: each year's holidays with its source")
                .returns::<beian_app::calendar::CalendarView>(200),
        )
        .op(
            "put",
            "/admin/calendar/{year}",
            put(api::put_calendar_year),
            Op::new("admin", "Add or correct a year's holidays (If-Match: the calendar's version)")
                .if_match()
                .body::<beian_app::calendar::YearInput>()
                .returns::<beian_app::calendar::CalendarView>(200),
        )
        .op(
            "delete",
            "/admin/calendar/{year}",
            delete(api::delete_calendar_year),
            Op::new("admin", "Remove a year an administrator added (If-Match: the calendar's version)")
                .if_match()
                .returns::<beian_app::calendar::CalendarView>(200),
        )
        .op(
            "get",
            "/addresses",
            get(api::assignable_addresses),
            Op::new(
                "orders",
                "The provider's address blocks (CIDR), from which a site's access addresses must come",
            )
            .returns::<Vec<String>>(200),
        )
        .op(
            "get",
            "/admin/ip-pools",
            get(api::list_pools),
            Op::new("admin", "The provider's IP pools").returns::<Vec<IpPoolView>>(200),
        )
        .op(
            "post",
            "/admin/ip-pools",
            post(api::add_pool),
            Op::new("admin", "Add an IP pool").body::<api::PoolBody>().returns::<IpPoolView>(201),
        )
        .op(
            "delete",
            "/admin/ip-pools/{id}",
            delete(api::delete_pool),
            Op::new("admin", "Remove an IP pool").no_content(),
        )
        .op(
            "get",
            "/admin/users",
            get(api::list_users),
            Op::new("admin", "Accounts")
                .query(&[("after", "cursor"), ("limit", "page size")])
                .returns::<Vec<Principal>>(200),
        )
        .op(
            "put",
            "/admin/users/{id}",
            put(api::update_user),
            Op::new("admin", "Change an account's role or disable it")
                .body::<api::UserUpdate>()
                .returns::<Principal>(200),
        )
        .op(
            "get",
            "/admin/audit",
            get(api::audit),
            Op::new("admin", "The audit log (format=csv to export)")
                .query(&[
                    ("object_type", "filter"),
                    ("object_id", "filter"),
                    ("after", "cursor"),
                    ("limit", "page size"),
                    ("format", "json | csv"),
                ])
                .returns::<Vec<AuditView>>(200),
        )
        .op(
            "get",
            "/admin/jobs/dead",
            get(api::dead_jobs),
            Op::new("admin", "Dead-lettered jobs").returns::<Vec<JobView>>(200),
        )
        .op(
            "post",
            "/admin/jobs/{id}/retry",
            post(api::retry_job),
            Op::new("admin", "Retry a dead job").no_content(),
        )
        .op(
            "post",
            "/admin/jobs/retry-deliveries",
            post(api::retry_deliveries),
            Op::new("admin", "Make every delivery waiting for the regulator or the bureau due now")
                .returns::<api::Woken>(200),
        )
        .op(
            "get",
            "/review/templates",
            get(api::list_templates),
            Op::new("review", "Rejection templates").returns::<Vec<TemplateView>>(200),
        )
        .op(
            "post",
            "/admin/templates",
            post(api::create_template),
            Op::new("admin", "Add a rejection template").body::<TemplateInput>().returns::<TemplateView>(201),
        )
        .op(
            "put",
            "/admin/templates/{id}",
            put(api::update_template),
            Op::new("admin", "Edit a rejection template")
                .body::<TemplateInput>()
                .returns::<TemplateView>(200),
        )
        .op(
            "delete",
            "/admin/templates/{id}",
            delete(api::delete_template),
            Op::new("admin", "Remove a rejection template").no_content(),
        )
        .op(
            "get",
            "/admin/service-numbers",
            get(api::list_service_numbers),
            Op::new("admin", "Filing service numbers and their quotas")
                .returns::<Vec<ServiceNumberView>>(200),
        )
        .op(
            "post",
            "/admin/service-numbers",
            post(api::create_service_number),
            Op::new("admin", "Issue a service number for a server instance")
                .body::<ServiceNumberInput>()
                .returns::<ServiceNumberView>(201),
        )
        .op(
            "get",
            "/admin/messages",
            get(api::messages),
            Op::new("admin", "The message outbox")
                .query(&[("channel", "email | sms"), ("before", "cursor")])
                .returns::<Vec<MessageView>>(200),
        )
        .finish()
}

/// Largest upload request.
pub(crate) const UPLOAD_LIMIT: usize = 12 * 1024 * 1024;

async fn openapi_json(State(s): State<AppState>) -> Response {
    let mut r = axum::Json(s.openapi.as_ref().clone()).into_response();
    r.headers_mut()
        .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-cache"));
    r
}

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static(content_type));
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

async fn docs_page() -> Response {
    let mut r = asset(include_bytes!("../assets/api-docs.html"), "text/html; charset=utf-8");
    // Swagger UI sets inline styles on its elements; scripts stay this origin's only.
    r.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    r
}
async fn docs_init() -> Response {
    asset(include_bytes!("../assets/api-docs-init.js"), "text/javascript; charset=utf-8")
}
async fn docs_bundle() -> Response {
    asset(include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"), "text/javascript; charset=utf-8")
}
async fn docs_css() -> Response {
    asset(include_bytes!("../assets/swagger-ui/swagger-ui.css"), "text/css; charset=utf-8")
}

/// The whole router.
pub fn router(app: App, secure_cookies: bool) -> Router {
    let (api, doc) = api_routes();
    let state = AppState { app, secure_cookies, openapi: std::sync::Arc::new(doc) };
    let api = api
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::idempotency))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate))
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    // The metrics page sits where scrapers look, behind the API's authentication.
    let metrics = Router::new()
        .route("/metrics", get(api::metrics))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(callback::CALLBACK_PATH, axum::routing::post(callback::callback))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
        .route("/api/docs/", get(docs_page))
        .route("/api/docs/init.js", get(docs_init))
        .route("/api/docs/swagger-ui-bundle.js", get(docs_bundle))
        .route("/api/docs/swagger-ui.css", get(docs_css))
        .nest("/api/v1", api)
        .merge(metrics)
        .merge(ui::routes(state.clone()))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), headers::defaults))
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::COOKIE,
            axum::http::header::AUTHORIZATION,
        ]))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Serves until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    secure_cookies: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app, secure_cookies).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
