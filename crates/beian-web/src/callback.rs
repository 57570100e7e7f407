//! `POST /api/regulator/callback`: where the regulator pushes the events of a submission.
//!
//! The request is signed like the provider's own requests to the regulator (`beian-seam`),
//! with this provider's code and key; anything else is refused with 401. Nonces are not
//! stored: applying events is idempotent by their sequence numbers, so a replayed callback
//! changes nothing. A 2xx answer acknowledges every event in the body.

use axum::body::{Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_app::AppError;
use beian_app::seam::SubmissionId;
use beian_core::message::Lang;
use beian_seam::wire::CallbackBody;
use beian_seam::{
    HEADER_NONCE, HEADER_PROVIDER, HEADER_SIGNATURE, HEADER_TIMESTAMP, Received, verify_signature,
};
use serde_json::json;

use crate::AppState;
use crate::problem::ApiError;
use beian_app::i18n::Text;

/// The path the regulator is told to call back (`beian regulator add-provider --callback-url`).
pub const CALLBACK_PATH: &str = "/api/regulator/callback";

const MAX_CALLBACK_BYTES: usize = 1 << 20;

fn lang(h: &HeaderMap) -> Lang {
    Lang::from_accept_language(h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

pub async fn callback(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let lang = lang(&parts.headers);
    let Ok(body): Result<Bytes, _> = to_bytes(body, MAX_CALLBACK_BYTES).await else {
        return ApiError::new(AppError::PayloadTooLarge { limit: MAX_CALLBACK_BYTES }, lang).into_response();
    };
    let Some(seam) = s.app.regulator() else {
        return ApiError::new(AppError::NotFound, lang).into_response();
    };
    let h = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let got = Received {
        provider: h(HEADER_PROVIDER),
        timestamp: h(HEADER_TIMESTAMP),
        nonce: h(HEADER_NONCE),
        signature: h(HEADER_SIGNATURE),
    };
    let now = s.app.clock().now().unix_timestamp();
    let verified = verify_signature(&got, "POST", parts.uri.path(), &body, now, |code| {
        (code == seam.provider).then_some(&seam.key)
    });
    if let Err(e) = verified {
        tracing::warn!(code = e.code(), "refused a regulator callback");
        return ApiError::new(AppError::Unauthenticated, lang).into_response();
    }
    let Ok(cb) = serde_json::from_slice::<CallbackBody>(&body) else {
        return ApiError::bad_request("JSON_SYNTAX", "body", Text::new("problem.json_syntax.callback"), lang)
            .into_response();
    };
    // The id says what the events concern: an ICP order's delivery or a PSB application's.
    let applied = match SubmissionId::parse(&cb.submission_id) {
        Some(SubmissionId::Order { .. }) => {
            s.app.seam().apply_regulator_events(&cb.submission_id, &cb.events).await
        }
        Some(SubmissionId::Psb { .. }) => s.app.psb().apply_psb_events(&cb.submission_id, &cb.events).await,
        None => Err(AppError::NotFound),
    };
    match applied {
        Ok(seq) => {
            // The regulator is reachable: what waits to be delivered to it need not wait on.
            if let Err(e) = s.app.jobs().wake_deliveries().await {
                tracing::warn!("waking deliveries after a callback: {e:#}");
            }
            (StatusCode::OK, axum::Json(json!({ "applied_seq": seq }))).into_response()
        }
        Err(e) => ApiError::new(e, lang).into_response(),
    }
}
