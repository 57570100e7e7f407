//! `application/problem+json` (RFC 9457) for every error, with a stable `code`, a title in the
//! caller's language, and field errors. A 500 never shows its cause; the cause is logged with
//! the request id.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_app::i18n::Text;
use beian_app::{AppError, FieldError};
use beian_core::message::Lang;
use serde::Serialize;

/// The caller's language from `Accept-Language`: English when it prefers `en`, else Chinese.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    ty: String,
    title: String,
    status: u16,
    code: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i64>,
    /// A conflict's members for the client (`open_order_id`, `missing`).
    #[serde(flatten)]
    detail: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

#[derive(Serialize)]
struct FieldOut<'a> {
    field: &'a str,
    code: &'a str,
    message: &'a str,
}

/// The problem document, as the OpenAPI schema describes it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// A URI naming the problem kind.
    #[serde(rename = "type")]
    pub ty: String,
    /// What went wrong, in the caller's language (`Accept-Language`).
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `VALIDATION_FAILED`, `VERSION_MISMATCH`.
    pub code: String,
    /// Field errors for 422s.
    #[serde(default)]
    pub errors: Vec<ProblemField>,
    /// For 412: the version to retry with.
    pub current_version: Option<i64>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProblemField {
    /// JSON path of the field.
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An error on its way to the client. Where it is made knowing the caller's language (an
/// extractor, a middleware) it carries it; a handler's `?` does not, and [`word_problems`]
/// words it from the request — the one place the API localises a use case's error.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub lang: Option<Lang>,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        ApiError { error, lang: None }
    }
}

/// A handler's error not yet worded in the caller's language.
#[derive(Clone)]
struct Unworded(std::sync::Arc<AppError>);

/// Words a handler's error in the caller's language (`Accept-Language`). The innermost layer
/// of the API, so that what the outer layers see (the idempotency store among them) is the
/// finished document.
pub async fn word_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let lang = lang_of(req.headers());
    let mut resp = next.run(req).await;
    match resp.extensions_mut().remove::<Unworded>() {
        Some(Unworded(e)) => render(&e, lang, resp.status()),
        None => resp,
    }
}

impl ApiError {
    pub fn new(error: AppError, lang: Lang) -> ApiError {
        ApiError { error, lang: Some(lang) }
    }

    /// A 400 for a request that is not even well-formed.
    pub fn bad_request(code: &str, field: &str, text: Text, lang: Lang) -> ApiError {
        ApiError::new(AppError::Validation(vec![FieldError::text(field, code, text)]), lang)
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem document of an error as a JSON value, for a response that carries several
/// outcomes (a batch): the same members as a whole error response, with its status.
pub fn document(e: &AppError, lang: Lang) -> serde_json::Value {
    serde_json::to_value(body(e, lang, status_of(e))).unwrap_or_default()
}

/// Renders any error as problem+json (an internal error's cause goes to the log).
pub fn render(e: &AppError, lang: Lang, status: StatusCode) -> Response {
    if let AppError::Internal(cause) = e {
        tracing::error!("internal error: {cause:#}");
    }
    render_quietly(e, lang, status)
}

fn render_quietly(e: &AppError, lang: Lang, status: StatusCode) -> Response {
    let mut resp = (status, serde_json::to_vec(&body(e, lang, status)).unwrap_or_default()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    if let AppError::RateLimited { retry_after_secs } = e
        && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn body(e: &AppError, lang: Lang, status: StatusCode) -> Body<'_> {
    let errors = match e {
        AppError::Validation(list) => list
            .iter()
            .map(|f| FieldOut {
                field: &f.field,
                code: &f.code,
                message: if lang == Lang::En { &f.message_en } else { &f.message_zh },
            })
            .collect(),
        _ => Vec::new(),
    };
    Body {
        ty: format!("https://beian.invalid/problems/{}", e.code().to_ascii_lowercase().replace('_', "-")),
        title: e.title(lang),
        status: status.as_u16(),
        code: e.code(),
        errors,
        current_version: match e {
            AppError::PreconditionFailed { current_version } => Some(*current_version),
            _ => None,
        },
        detail: match e {
            AppError::Conflict { detail, .. } if !detail.is_empty() => Some(detail),
            _ => None,
        },
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        match self.lang {
            Some(lang) => render(&self.error, lang, status),
            None => {
                // Worded in the default language, never logged here: `word_problems` words it
                // again in the caller's (and logs an internal cause once).
                let mut resp = render_quietly(&self.error, Lang::Zh, status);
                resp.extensions_mut().insert(Unworded(std::sync::Arc::new(self.error)));
                resp
            }
        }
    }
}
