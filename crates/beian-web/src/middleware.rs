//! Per-request plumbing: who the caller is (session cookie with CSRF check, or bearer token),
//! and `Idempotency-Key` replay for POSTs.

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_app::{AppError, Ctx};
use beian_store::{IdempotencyRow, Reservation};
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, lang_of};
use crate::{AppState, SESSION_COOKIE};
use beian_app::i18n::Text;

/// A cookie's value from the `Cookie` headers, if it is there and not empty.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then_some(v)
        })
}

/// The session token from the `Cookie` header, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(str::to_owned)
}

/// Resolves the caller and puts a [`Ctx`] into the request. A cookie session must echo its
/// CSRF token in `X-CSRF-Token` on every unsafe method; a bearer token needs none.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut ctx = Ctx { principal: None, ip, request_id };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    if let Some(token) = bearer {
        match state.app.auth().token_principal(&token).await {
            Ok(Some(p)) => ctx.principal = Some(p),
            Ok(None) => return ApiError::new(AppError::Unauthenticated, lang).into_response(),
            Err(e) => return ApiError::new(e, lang).into_response(),
        }
    } else if let Some(token) = session_cookie(req.headers()) {
        match state.app.auth().session_principal(&token).await {
            Ok(Some((p, csrf))) => {
                let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
                let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
                if unsafe_method && !sent.is_some_and(|t| beian_app::crypto::same_secret(t, &csrf)) {
                    return ApiError::new(
                        AppError::conflict("CSRF_FAILED", Text::new("problem.csrf_failed")),
                        lang,
                    )
                    .into_response_with(StatusCode::FORBIDDEN);
                }
                ctx.principal = Some(p);
            }
            // A stale cookie is the same as none: anonymous.
            Ok(None) => {}
            Err(e) => return ApiError::new(e, lang).into_response(),
        }
    }
    req.extensions_mut().insert(ctx);
    next.run(req).await
}

impl ApiError {
    /// Renders with a status other than the error's default.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        crate::problem::render(&self.error, self.lang.unwrap_or(beian_core::message::Lang::Zh), status)
    }
}

/// Largest request body the idempotency layer buffers (uploads included).
const IDEMPOTENCY_BUFFER: usize = 16 * 1024 * 1024;

/// How long a reservation holds its key: beyond the 60-second request timeout, so only a
/// request whose instance died loses it.
const IDEMPOTENCY_LEASE_US: i64 = 90 * 1_000_000;
/// How long a duplicate waits for the answer of the request holding its key.
const IDEMPOTENCY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// How often a waiting duplicate looks again.
const IDEMPOTENCY_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Replays the stored response when a POST repeats an `Idempotency-Key` of the same caller
/// with the same request; refuses the key for a different request. The key is reserved
/// before the request runs, so duplicates sent at once — to any instance — wait for the one
/// that runs and replay its answer; a server error gives the key back for a retry.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return ApiError::bad_request(
            "IDEMPOTENCY_KEY_INVALID",
            "Idempotency-Key",
            Text::new("problem.idempotency_key_invalid"),
            lang,
        )
        .into_response_with(StatusCode::BAD_REQUEST);
    }
    let Some(account) = req.extensions().get::<Ctx>().and_then(|c| c.principal.as_ref()).map(|p| p.id) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, IDEMPOTENCY_BUFFER).await else {
        return ApiError::new(AppError::PayloadTooLarge { limit: IDEMPOTENCY_BUFFER }, lang).into_response();
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update([0]);
    h.update(parts.uri.path());
    h.update([0]);
    h.update(&bytes);
    let hash = h.finalize().to_vec();
    let store = state.app.store();
    // Reserve the key before the work, in its own committed transaction: a duplicate on any
    // instance sees the reservation, waits for the answer and replays it.
    let waited = std::time::Instant::now();
    loop {
        let now = state.app.now_us();
        let reservation =
            store.reserve_idempotency(account, &key, &hash, now, now + IDEMPOTENCY_LEASE_US).await;
        match reservation {
            Ok(Reservation::Reserved) => break,
            Ok(Reservation::Done(row)) if row.request_hash == hash => return replay(&row),
            Ok(Reservation::Done(_)) => return key_reused(lang),
            Ok(Reservation::Running { request_hash }) if request_hash != hash => return key_reused(lang),
            Ok(Reservation::Running { .. }) if waited.elapsed() >= IDEMPOTENCY_WAIT => {
                let mut resp = ApiError::new(
                    AppError::conflict(
                        "IDEMPOTENCY_KEY_IN_PROGRESS",
                        Text::new("problem.idempotency_key_in_progress"),
                    ),
                    lang,
                )
                .into_response();
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
                return resp;
            }
            Ok(Reservation::Running { .. }) => tokio::time::sleep(IDEMPOTENCY_POLL).await,
            Err(e) => return ApiError::new(e.into(), lang).into_response(),
        }
    }
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = resp.status();
    if status.is_server_error() {
        // Nothing was done (or it is unknown what): the key is free for a retry.
        if let Err(e) = store.release_idempotency(account, &key, &hash).await {
            tracing::error!("releasing an idempotency key: {e}");
        }
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let Ok(out) = to_bytes(rbody, IDEMPOTENCY_BUFFER).await else {
        let _ = store.release_idempotency(account, &key, &hash).await;
        return ApiError::new(AppError::Internal(anyhow::anyhow!("response too large to store")), lang)
            .into_response();
    };
    match store
        .finish_idempotency(account, &key, &hash, i64::from(status.as_u16()), &out, state.app.now_us())
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!("an idempotent request outlived its key's lease"),
        Err(e) => tracing::error!("storing an idempotent answer: {e}"),
    }
    Response::from_parts(rparts, Body::from(out))
}

fn key_reused(lang: beian_core::message::Lang) -> Response {
    ApiError::new(
        AppError::conflict("IDEMPOTENCY_KEY_REUSED", Text::new("problem.idempotency_key_reused")),
        lang,
    )
    .into_response_with(StatusCode::UNPROCESSABLE_ENTITY)
}

fn replay(row: &IdempotencyRow) -> Response {
    let status = StatusCode::from_u16(row.status as u16).unwrap_or(StatusCode::OK);
    let ct = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut resp = (status, row.body.clone()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    resp.headers_mut().insert("idempotency-replayed", HeaderValue::from_static("true"));
    resp
}
