//! The one error type of the use cases. Every variant a user can meet has a stable code and a
//! [`Text`] — a key of the message catalogue with its arguments — worded in the caller's
//! language where the web layer renders it as `application/problem+json`; no sentence is
//! written here. `Internal` carries the cause for the log only — its text is never shown.

use beian_core::message::{Lang, Problem};

use crate::i18n::Text;
use serde::Serialize;

/// A problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the field (`websites[0].domains[1]`, `email`).
    pub field: String,
    pub code: String,
    #[serde(rename = "message")]
    pub message_zh: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, p: &dyn Problem) -> FieldError {
        FieldError::text(field, p.code(), Text::of(p))
    }

    /// A field's error with its code and text (a field error carries both languages: the API
    /// answers with both).
    pub fn text(field: impl Into<String>, code: &str, text: Text) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message_zh: text.render(Lang::Zh),
            message_en: text.render(Lang::En),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is well-formed but its content is invalid: 422 with field errors.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Not found — also what a caller gets for an object it may not see.
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    Unauthenticated,
    /// Wrong e-mail or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Signed in, but the role may not do this at all.
    #[error("forbidden")]
    Forbidden,
    /// The request conflicts with the current state (stale version, illegal transition,
    /// duplicate): 409. `detail` carries what a client needs to act on it (the open order's
    /// id, what is missing), as members of the problem document.
    #[error("{code}")]
    Conflict { code: &'static str, text: Text, detail: serde_json::Map<String, serde_json::Value> },
    /// `If-Match` did not match the current version: 412.
    #[error("precondition failed")]
    PreconditionFailed { current_version: i64 },
    /// A decision or update came without `If-Match`: 428.
    #[error("precondition required")]
    PreconditionRequired,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn conflict(code: &'static str, text: Text) -> AppError {
        AppError::Conflict { code, text, detail: serde_json::Map::new() }
    }

    /// A conflict answering a core problem (a refused transition), in its words.
    pub fn conflict_of(p: &dyn Problem) -> AppError {
        AppError::conflict(p.code(), Text::of(p))
    }

    /// A conflict with members for the client (`{"open_order_id": …}`); `detail` must be a
    /// JSON object, and carries ids and codes, never personal data.
    pub fn conflict_with(code: &'static str, text: Text, detail: serde_json::Value) -> AppError {
        let detail = match detail {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        AppError::Conflict { code, text, detail }
    }

    pub fn field(field: &str, code: &str, text: Text) -> AppError {
        AppError::Validation(vec![FieldError::text(field, code, text)])
    }

    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "VALIDATION_FAILED",
            AppError::NotFound => "NOT_FOUND",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::InvalidCredentials => "INVALID_CREDENTIALS",
            AppError::Forbidden => "FORBIDDEN",
            AppError::Conflict { code, .. } => code,
            AppError::PreconditionFailed { .. } => "VERSION_MISMATCH",
            AppError::PreconditionRequired => "IF_MATCH_REQUIRED",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The title shown to the user.
    pub fn title(&self, lang: Lang) -> String {
        match self {
            AppError::Conflict { text, .. } => text.render(lang),
            // Every other variant's title is its code's text.
            other => Text::new(other.title_key()).render(lang),
        }
    }

    fn title_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "problem.not_found",
            AppError::Unauthenticated => "problem.unauthenticated",
            AppError::InvalidCredentials => "problem.invalid_credentials",
            AppError::Forbidden => "problem.forbidden",
            AppError::PreconditionFailed { .. } => "problem.version_mismatch",
            AppError::PreconditionRequired => "problem.if_match_required",
            AppError::RateLimited { .. } => "problem.rate_limited",
            AppError::PayloadTooLarge { .. } => "problem.payload_too_large",
            AppError::UnsupportedMediaType => "problem.unsupported_media_type",
            AppError::Validation(_) => "problem.validation",
            AppError::Conflict { .. } | AppError::Internal(_) => "problem.internal",
        }
    }
}

impl From<beian_store::StoreError> for AppError {
    fn from(e: beian_store::StoreError) -> Self {
        match e {
            beian_store::StoreError::NotFound => AppError::NotFound,
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

pub type AppResult<T> = Result<T, AppError>;
