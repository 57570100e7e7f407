//! # beian-web
//!
//! The HTTP layer of the provider system: the JSON API under `/api/v1`, health checks,
//! problem+json errors, authentication (session cookie + CSRF token, or bearer API token),
//! `Idempotency-Key` replay, `ETag`/`If-Match` versions, body limits and timeouts.
//!
//! Handlers are thin (`api.rs`): extract, call one `beian_app::App` method, render. This crate
//! knows no SQL and makes no business decision.

mod api;
pub mod extract;
pub mod middleware;
pub mod problem;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
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
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> Response {
    let ready = s.app.store().ping().await.is_ok() && s.app.store().ensure_current().await.is_ok();
    if ready {
        (StatusCode::OK, "ready").into_response()
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

/// The whole router.
pub fn router(state: AppState) -> Router {
    let upload_limit = state.app.config().max_upload_bytes + 64 * 1024;
    let api = Router::new()
        .route("/auth/register", post(api::register))
        .route("/auth/login", post(api::login))
        .route("/auth/logout", post(api::logout))
        .route("/me", get(api::me))
        .route("/tokens", post(api::create_token))
        .route("/tokens/{id}", axum::routing::delete(api::revoke_token))
        .route("/subjects", post(api::create_subject).get(api::list_subjects))
        .route("/subjects/{id}", get(api::get_subject).put(api::update_subject))
        .route("/orders", post(api::create_order).get(api::list_orders))
        .route("/orders/{id}", get(api::get_order).put(api::update_order))
        .route("/orders/{id}/check", post(api::check_order))
        .route("/orders/{id}/submit", post(api::submit_order))
        .route("/orders/{id}/withdraw", post(api::withdraw_order))
        .route("/orders/{id}/timeline", get(api::timeline))
        .route(
            "/orders/{id}/documents",
            post(api::upload_document).get(api::list_documents).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/documents/{id}", get(api::get_document))
        .route("/review/queue", get(api::review_queue))
        .route("/orders/{id}/claim", post(api::claim))
        .route("/orders/{id}/release", post(api::release))
        .route("/orders/{id}/approve", post(api::approve))
        .route("/orders/{id}/reject", post(api::reject))
        .route("/orders/{id}/verification", post(api::verification))
        .route("/orders/{id}/request-materials", post(api::request_materials))
        .route("/orders/{id}/materials-received", post(api::materials_received))
        .route("/admin/provider-profile", get(api::get_profile).put(api::put_profile))
        .route("/admin/ip-pools", get(api::list_pools).post(api::add_pool))
        .route("/admin/ip-pools/{id}", axum::routing::delete(api::delete_pool))
        .route("/admin/users", get(api::list_users))
        .route("/admin/users/{id}", put(api::update_user))
        .route("/admin/audit", get(api::audit))
        .route("/admin/jobs/dead", get(api::dead_jobs))
        .route("/admin/jobs/{id}/retry", post(api::retry_job))
        .route("/admin/messages", get(api::messages))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::idempotency))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate))
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api)
        .fallback(not_found)
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
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
