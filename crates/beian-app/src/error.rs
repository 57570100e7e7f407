//! The one error type of the use cases. Every variant a user can meet has a stable code and a
//! message in Chinese and English; the web layer renders it as `application/problem+json`.
//! `Internal` carries the cause for the log only — its text is never shown.

use beian_core::message::{Lang, Problem};
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
        FieldError {
            field: field.into(),
            code: p.code().to_owned(),
            message_zh: p.message(Lang::Zh),
            message_en: p.message(Lang::En),
        }
    }

    pub fn text(field: impl Into<String>, code: &str, zh: &str, en: &str) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message_zh: zh.to_owned(),
            message_en: en.to_owned(),
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
    Conflict {
        code: &'static str,
        zh: String,
        en: String,
        detail: serde_json::Map<String, serde_json::Value>,
    },
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
    pub fn conflict(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::Conflict { code, zh: zh.into(), en: en.into(), detail: serde_json::Map::new() }
    }

    /// A conflict answering a core problem (a refused transition), in both languages.
    pub fn conflict_of(p: &dyn Problem) -> AppError {
        AppError::conflict(p.code(), p.message(Lang::Zh), p.message(Lang::En))
    }

    /// A conflict with members for the client (`{"open_order_id": …}`); `detail` must be a
    /// JSON object, and carries ids and codes, never personal data.
    pub fn conflict_with(
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
        detail: serde_json::Value,
    ) -> AppError {
        let detail = match detail {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        AppError::Conflict { code, zh: zh.into(), en: en.into(), detail }
    }

    pub fn field(field: &str, code: &str, zh: &str, en: &str) -> AppError {
        AppError::Validation(vec![FieldError::text(field, code, zh, en)])
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
        let (zh, en): (&str, &str) = match self {
            AppError::Validation(_) => ("提交的内容有误，请按字段提示修改。", "Some fields are invalid."),
            AppError::NotFound => ("未找到。", "Not found."),
            AppError::Unauthenticated => ("请先登录。", "Please sign in."),
            AppError::InvalidCredentials => ("邮箱或密码错误。", "Wrong e-mail or password."),
            AppError::Forbidden => ("没有权限执行此操作。", "You are not allowed to do this."),
            AppError::Conflict { zh, en, .. } => return lang.pick(zh, en).to_owned(),
            AppError::PreconditionFailed { .. } => {
                ("数据已被他人修改，请刷新后重试。", "Someone else changed this first; reload and try again.")
            }
            AppError::PreconditionRequired => (
                "此操作需要If-Match请求头（当前版本号）。",
                "This request needs an If-Match header with the current version.",
            ),
            AppError::RateLimited { .. } => {
                ("请求过于频繁，请稍后再试。", "Too many requests; try again later.")
            }
            AppError::PayloadTooLarge { .. } => ("上传内容过大。", "The upload is too large."),
            AppError::UnsupportedMediaType => (
                "不支持的文件类型，只接受JPEG、PNG或PDF。",
                "Unsupported file type; only JPEG, PNG and PDF are accepted.",
            ),
            AppError::Internal(_) => {
                ("服务器内部错误，请稍后重试。", "Internal error; please try again later.")
            }
        };
        lang.pick(zh, en).to_owned()
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
