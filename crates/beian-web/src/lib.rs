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
use axum::routing::get;
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
        match s.app.admin().calendar_warning().await {
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

/// The API routes and their OpenAPI document, built from one table per tag (`api/`).
pub fn api_routes() -> (Router<AppState>, serde_json::Value) {
    api::routes()
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

/// The PSB badge for customers' footers, when the operator configured one; else not found
/// (the snippets then point at the customer's own copy).
async fn psb_badge(State(s): State<AppState>) -> Response {
    match &s.app.config().psb_badge {
        Some(badge) => {
            let mut r = axum::body::Bytes::copy_from_slice(badge.bytes()).into_response();
            let h = r.headers_mut();
            h.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("image/png"));
            h.insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("public, max-age=86400"),
            );
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
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
        .layer(axum::middleware::from_fn(problem::word_problems))
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
        .route(beian_app::footers::PsbBadge::PATH, get(psb_badge))
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
