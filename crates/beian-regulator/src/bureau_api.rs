//! The bureau console's API: sign in, the province's queue, a submission with PII masked,
//! approve (numbers issued) or reject with field-level reasons, and the empty shells to cancel.
//! Every decision is audited with the account that made it.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::message::Lang;
use beian_openapi::Op;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bureau::{self, BureauError, Desk};
use crate::desk_api::{self, RejectBody, Rejected, bureau_problem};
use crate::http::{Problem, internal, parse_json, problem, take};
use crate::service::Api;
use crate::service::Service;

/// The bureau's operations: signed in with the token of `login` (the default of the document).
pub(crate) fn operations(api: Api) -> Api {
    let op = |summary| Op::new("bureau", summary);
    api.op(
        "post",
        "/api/v1/bureau/login",
        post(login),
        op("Sign in (a bureau, PSB or admin account): a bearer token for eight hours")
            .public()
            .body::<LoginBody>()
            .returns::<LoginOut>(200),
    )
    .op(
        "get",
        "/api/v1/bureau/queue",
        get(queue),
        op("Submissions waiting for the account's province, oldest first")
            .returns::<Vec<bureau::QueueItem>>(200),
    )
    .op(
        "get",
        "/api/v1/bureau/submissions/{id}",
        get(review),
        op("One submission with PII masked, its events and the automatic checks")
            .returns::<bureau::Review>(200),
    )
    .op(
        "post",
        "/api/v1/bureau/submissions/{id}/approve",
        post(approve),
        op("Approve: numbers issued or records changed").returns::<crate::records::Decision>(200),
    )
    .op(
        "post",
        "/api/v1/bureau/submissions/{id}/reject",
        post(reject),
        op("Reject with field-level reasons").body::<RejectBody>().returns::<Rejected>(200),
    )
    .op(
        "get",
        "/api/v1/bureau/empty-shells",
        get(empty_shells),
        op("Numbers left without any access provider (空壳), to cancel").returns::<Vec<String>>(200),
    )
    .op(
        "post",
        "/api/v1/bureau/records/{number}/cancel",
        post(cancel_shell),
        op("Cancel an empty shell's number").returns::<Cancelled>(200),
    )
}

/// 429 for too many attempts in the window.
pub(crate) fn too_many(lang: Lang) -> Problem {
    problem(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "problem.rate_limited", lang)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

/// A signed-in account and its token.
#[derive(Serialize, JsonSchema)]
struct LoginOut {
    /// `Authorization: Bearer <token>` on every further request.
    token: String,
    username: String,
    role: bureau::Role,
    /// The account's province (two digits); none for every province.
    province: Option<String>,
}

/// The answer to an empty shell's cancellation.
#[derive(Serialize, JsonSchema)]
struct Cancelled {
    number: String,
    /// `cancelled`.
    status: &'static str,
}

async fn login(State(svc): State<Service>, req: Request) -> Result<Response, Problem> {
    let req = take(req).await?;
    let b: LoginBody = parse_json(&req.body, req.lang)?;
    if b.username.len() > 64 || b.password.len() > 256 {
        return Err(bureau_problem(&BureauError::BadLogin, req.lang));
    }
    let now = svc.now();
    let allowed = svc
        .store
        .allow_login(&b.username, req.ip.as_deref(), now)
        .await
        .map_err(|e| internal(req.lang, &e))?;
    if !allowed {
        return Err(too_many(req.lang));
    }
    let (token, who) = svc
        .store
        .login(&b.username, &b.password, svc.now())
        .await
        .map_err(|e| bureau_problem(&e, req.lang))?;
    svc.audited(&req, &who, "bureau.login", who.id.to_string(), "OK").await;
    Ok(axum::Json(LoginOut {
        token,
        username: who.username,
        role: who.role,
        province: who.province.map(|p| p.to_string()),
    })
    .into_response())
}

async fn queue(State(svc): State<Service>, req: Request) -> Result<Response, Problem> {
    desk_api::queue(&svc, Desk::Bureau, req).await
}

async fn review(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    desk_api::review(&svc, Desk::Bureau, id, req).await
}

async fn approve(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    desk_api::approve(&svc, Desk::Bureau, id, req).await
}

async fn reject(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    desk_api::reject(&svc, Desk::Bureau, id, req).await
}

async fn empty_shells(State(svc): State<Service>, req: Request) -> Result<Response, Problem> {
    let req = take(req).await?;
    let who = svc.signed_in(&req.headers, req.lang).await?;
    if !matches!(who.role, bureau::Role::Bureau | bureau::Role::Admin) {
        return Err(bureau_problem(&BureauError::Forbidden, req.lang));
    }
    let list = svc.store.empty_shells(who.province).await.map_err(|e| internal(req.lang, &e))?;
    Ok(axum::Json(list).into_response())
}

async fn cancel_shell(
    State(svc): State<Service>,
    number: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let req = take(req).await?;
    let who = svc.signed_in(&req.headers, req.lang).await?;
    if !matches!(who.role, bureau::Role::Bureau | bureau::Role::Admin) {
        return Err(bureau_problem(&BureauError::Forbidden, req.lang));
    }
    let number = number.map(|p| p.0).unwrap_or_default();
    let mut tx = svc.store.begin().await.map_err(|e| internal(req.lang, &e))?;
    crate::records::cancel_empty_shell(&mut tx, &number, who.province)
        .await
        .map_err(|e| bureau_problem(&BureauError::Record(e), req.lang))?;
    svc.commit_audited(tx, &who, "bureau.cancel_empty_shell", number.clone(), &req.ip)
        .await
        .map_err(|e| internal(req.lang, &e))?;
    Ok(axum::Json(Cancelled { number, status: "cancelled" }).into_response())
}
