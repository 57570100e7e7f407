//! The HTTP toolkit every surface uses: a refusal as `application/problem+json` with a stable
//! code and the field it concerns ([`Problem`]), a request taken apart with its language and a
//! bounded body ([`take`]), a JSON body read with the wrong field named ([`parse_json`]), and
//! the SMS steps' refusals. This module must never echo a request body (it carries PII).

use std::borrow::Cow;
use std::net::SocketAddr;

use axum::body::{Bytes, to_bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::message::Lang;
use serde::Serialize;

use crate::verification::VerifyError;

/// The largest request body accepted (a submission with its order data; documents are not
/// sent to the regulator).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// An error on its way to the caller.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    /// What the caller is told, in its language.
    pub(crate) title: String,
    pub(crate) field: Option<Cow<'static, str>>,
}

/// The body of every refusal (`application/problem+json`, RFC 9457).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Problem")]
pub struct ProblemBody<'a> {
    /// A URI naming the problem kind.
    #[serde(rename = "type")]
    ty: String,
    /// What went wrong, in the caller's language (`Accept-Language`).
    title: &'a str,
    status: u16,
    /// Stable machine code, e.g. `SIGNATURE_INVALID`, `NOT_FOUND`.
    code: &'a str,
    /// The field concerned, when there is one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldOut<'a>>,
}

/// A field-level error.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ProblemField")]
struct FieldOut<'a> {
    /// JSON path of the field.
    field: &'a str,
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let title: &str = &self.title;
        let body = ProblemBody {
            ty: format!(
                "https://beian.invalid/problems/{}",
                self.code.to_ascii_lowercase().replace('_', "-")
            ),
            title,
            status: self.status.as_u16(),
            code: self.code,
            errors: self
                .field
                .as_deref()
                .map(|field| FieldOut { field, code: self.code, message: title })
                .into_iter()
                .collect(),
        };
        let mut resp = (self.status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        resp
    }
}

/// A problem worded from the catalogue's `key` in `lang`.
pub(crate) fn problem(status: StatusCode, code: &'static str, key: &str, lang: Lang) -> Problem {
    problem_with(status, code, key, &[], lang)
}

/// A problem worded from the catalogue's `key`, its `{name}`s filled from `args`.
pub(crate) fn problem_with(
    status: StatusCode,
    code: &'static str,
    key: &str,
    args: &[(&str, String)],
    lang: Lang,
) -> Problem {
    Problem { status, code, title: crate::i18n::fill(lang, key, args), field: None }
}

pub(crate) fn internal(lang: Lang, cause: &dyn std::fmt::Display) -> Problem {
    tracing::error!("regulator internal error: {cause}");
    problem(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "problem.internal", lang)
}

/// A request taken apart: what every handler needs.
pub(crate) struct Incoming {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) ip: Option<String>,
    pub(crate) body: Bytes,
    pub(crate) lang: Lang,
}

pub(crate) async fn take(req: Request) -> Result<Incoming, Problem> {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let (parts, body) = req.into_parts();
    let lang =
        Lang::from_accept_language(parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let body = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        problem(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "problem.payload_too_large", lang)
    })?;
    Ok(Incoming {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        ip,
        body,
        lang,
    })
}

/// Reads a JSON body, naming the field that is wrong.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], lang: Lang) -> Result<T, Problem> {
    match axum::Json::<T>::from_bytes(body) {
        Ok(axum::Json(b)) => Ok(b),
        Err(JsonRejection::JsonDataError(e)) => {
            // serde's message is `path: problem`; the path names the field.
            let text = e.body_text();
            let detail = text
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&text)
                .to_owned();
            let (field, msg) = match detail.split_once(": ") {
                Some((f, m)) => (f.to_owned(), m.to_owned()),
                None => ("body".to_owned(), detail),
            };
            Err(Problem {
                field: Some(field.into()),
                // serde's own words, in both languages.
                title: msg,
                ..problem(StatusCode::UNPROCESSABLE_ENTITY, "JSON_INVALID_FIELD", "", lang)
            })
        }
        Err(e) => Err(Problem {
            field: Some("body".into()),
            ..problem_with(
                StatusCode::BAD_REQUEST,
                "JSON_SYNTAX",
                "problem.json_syntax",
                &[("detail", e.body_text())],
                lang,
            )
        }),
    }
}

/// A refusal from the SMS steps.
pub(crate) fn verify_problem(e: &VerifyError, lang: Lang) -> Problem {
    let p = |status, key: &str| problem(status, e.code(), key, lang);
    match e {
        VerifyError::MobileInvalid => Problem {
            field: Some("mobile".into()),
            ..p(StatusCode::UNPROCESSABLE_ENTITY, "problem.verify.mobile_invalid")
        },
        VerifyError::RecipientInvalid(path) => Problem {
            field: Some(format!("order.{path}").into()),
            ..p(StatusCode::UNPROCESSABLE_ENTITY, "problem.verify.recipient_invalid")
        },
        VerifyError::NothingPending => p(StatusCode::NOT_FOUND, "problem.verify.nothing_pending"),
        VerifyError::ResendRefused => p(StatusCode::CONFLICT, "problem.verify.resend_refused"),
        VerifyError::Busy => p(StatusCode::CONFLICT, "problem.verify.busy"),
        VerifyError::Crypto(_) | VerifyError::Corrupt(_) | VerifyError::Store(_) => internal(lang, e),
    }
}
