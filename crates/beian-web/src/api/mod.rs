//! The JSON API under `/api/v1`, one file per OpenAPI tag: each holds its handlers and
//! registers its operations (`operations`), so an endpoint is one hop from its code. A handler
//! extracts, calls one use case, renders: no business logic and no SQL here (architecture
//! invariant 4). The tag files share this module's imports and helpers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use beian_app::auth::{CreatedToken, NewAccount};
use beian_app::documents::{DocumentView, Upload};
use beian_app::ip_filing::IpPoolView;
use beian_app::orders::OrderInput;
use beian_app::profile::{
    AuditView, JobView, MessageView, ProfileView, ProviderProfile, ServiceNumberInput, ServiceNumberView,
    TemplateInput, TemplateView,
};
use beian_app::psb::{PsbDeadlineView, PsbView};
use beian_app::review::{QueuePage, QueueQuery};
use beian_app::scans::{ComplianceView, SiteScanView};
use beian_app::subjects::SubjectInput;
use beian_app::{AppError, OrderView, Principal, Role, SubjectView, TimelineEntry};
use serde::Deserialize;
use uuid::Uuid;

use crate::extract::{Caller, Form, Id, IfMatch, JsonBody, Params as Query, Year};
use crate::middleware::session_cookie;
use crate::openapi::{Api, Op};

use crate::problem::ApiError;
use crate::{AppState, SESSION_COOKIE};

mod accounts;
mod admin;
mod compliance;
mod documents;
mod ip_filing;
mod orders;
mod psb;
mod review;
mod subjects;
mod verification;
mod webhooks;

pub(crate) use admin::metrics;

const PAGE: &[(&str, &str)] = &[("before", "cursor: id of the last item seen"), ("limit", "page size")];

/// The API routes and their OpenAPI document, built from the tags' tables.
pub(crate) fn routes() -> (axum::Router<AppState>, serde_json::Value) {
    let api = crate::openapi::api();
    let api = accounts::operations(api);
    let api = subjects::operations(api);
    let api = compliance::operations(api);
    let api = verification::operations(api);
    let api = orders::operations(api);
    let api = documents::operations(api);
    let api = psb::operations(api);
    let api = review::operations(api);
    let api = admin::operations(api);
    let api = ip_filing::operations(api);
    let api = webhooks::operations(api);
    api.finish(crate::openapi::info())
}

type ApiResult = Result<Response, ApiError>;

/// A JSON response carrying the object's version as its `ETag`.
fn versioned(status: StatusCode, version: i64, body: impl serde::Serialize) -> Response {
    let mut r = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

fn ok(body: impl serde::Serialize) -> ApiResult {
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct RevealQuery {
    #[serde(default)]
    reveal: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    before: Option<Uuid>,
    after: Option<Uuid>,
    limit: Option<i64>,
}

/// The rule engine's verdict on an order.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct CheckResult {
    submittable: bool,
    findings: Vec<beian_core::rules::Finding>,
}
