//! Request extractors that turn every malformed input into problem+json: the caller, JSON
//! bodies, path ids, `If-Match`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use beian_app::{AppError, Ctx};
use beian_core::message::Lang;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::problem::{ApiError, lang_of};
use beian_app::i18n::Text;

/// The caller (resolved by the auth middleware) and their language.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ctx: Ctx,
    pub lang: Lang,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let ctx = parts.extensions.get::<Ctx>().cloned().unwrap_or_default();
        Ok(Caller { ctx, lang })
    }
}

/// A JSON body; syntax errors, wrong types, unknown fields and wrong content types become
/// 400/415/422 problems naming the field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(req.headers());
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(r) => Err(json_rejection(r, lang)),
        }
    }
}

fn json_rejection(r: JsonRejection, lang: Lang) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(AppError::UnsupportedMediaType, lang),
        JsonRejection::JsonDataError(e) => {
            // serde's message is `path: problem`; keep both, the path names the field.
            let text = e.body_text();
            let detail = text
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&text);
            let (field, msg) = detail.split_once(": ").unwrap_or(("body", detail));
            ApiError::new(
                AppError::Validation(vec![beian_app::FieldError::text(
                    field,
                    "JSON_INVALID_FIELD",
                    Text::worded(msg, msg),
                )]),
                lang,
            )
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "JSON_SYNTAX",
            "body",
            Text::new("problem.json_syntax").arg("detail", e.body_text()),
            lang,
        ),
        JsonRejection::BytesRejection(_) => {
            ApiError::new(AppError::PayloadTooLarge { limit: crate::JSON_LIMIT }, lang)
        }
        other => ApiError::bad_request(
            "BODY_INVALID",
            "body",
            Text::new("problem.body_invalid").arg("detail", other.body_text()),
            lang,
        ),
    }
}

/// An id in the path. Something that is not a UUID cannot name anything: 404.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(s)) => {
                s.parse().map(Id).map_err(|_| ApiError::new(AppError::NotFound, lang))
            }
            Err(_) => Err(ApiError::new(AppError::NotFound, lang)),
        }
    }
}

/// A `{year}` path segment: a calendar year (2000–2100), else 404 like an unknown id.
#[derive(Debug, Clone, Copy)]
pub struct Year(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for Year {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(s)) => s
                .parse::<i32>()
                .ok()
                .filter(|y| beian_core::calendar::YEARS.contains(y))
                .map(Year)
                .ok_or_else(|| ApiError::new(AppError::NotFound, lang)),
            Err(_) => Err(ApiError::new(AppError::NotFound, lang)),
        }
    }
}

/// The `If-Match` header as a version number (`"3"`, `3` or `W/"3"`), if present.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let Some(v) = parts.headers.get(header::IF_MATCH) else { return Ok(IfMatch(None)) };
        let s = v.to_str().unwrap_or("").trim();
        let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
        s.parse().map(|n| IfMatch(Some(n))).map_err(|_| {
            ApiError::bad_request("IF_MATCH_INVALID", "If-Match", Text::new("problem.if_match_invalid"), lang)
        })
    }
}

/// Query-string parameters; a malformed query is a 400 problem naming it.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(e) => Err(ApiError::bad_request(
                "QUERY_INVALID",
                "query",
                Text::new("problem.query_invalid").arg("detail", e.body_text()),
                lang,
            )),
        }
    }
}

/// A multipart form; anything else is a 415 problem.
#[derive(Debug)]
pub struct Form(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(req.headers());
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Form)
            .map_err(|_| ApiError::new(AppError::UnsupportedMediaType, lang))
    }
}
