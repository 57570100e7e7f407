//! The PSB officer's API — the province's queue of applications, one application with PII
//! masked and the platform's checks, approve (a number issued) or reject with field-level
//! reasons — and the public query by PSB number. Sign-in is the bureau console's
//! (`/api/v1/bureau/login`) with a `psb` account; every decision is audited.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_openapi::Op;

use crate::bureau::Desk;
use crate::desk_api::{self, RejectBody, Rejected};
use crate::http::{Problem, internal, problem, take};
use crate::service::Api;
use crate::service::Service;

/// The PSB officers' operations (signed in with a `psb` account's token) and the public
/// query by PSB number.
pub(crate) fn operations(api: Api) -> Api {
    let op = |summary| Op::new("psb", summary);
    api.op(
        "get",
        "/api/v1/psb/queue",
        get(queue),
        op("Applications waiting for the officer's province, oldest first")
            .returns::<Vec<crate::bureau::QueueItem>>(200),
    )
    .op(
        "get",
        "/api/v1/psb/applications/{id}",
        get(review),
        op("One application with PII masked, its events and the platform's checks")
            .returns::<crate::psb::PsbReview>(200),
    )
    .op(
        "post",
        "/api/v1/psb/applications/{id}/approve",
        post(approve),
        op("Approve: a PSB number issued").returns::<crate::psb::PsbDecision>(200),
    )
    .op(
        "post",
        "/api/v1/psb/applications/{id}/reject",
        post(reject),
        op("Reject with field-level reasons").body::<RejectBody>().returns::<Rejected>(200),
    )
    .op(
        "get",
        "/api/v1/psb/records/{number}",
        get(record),
        op("A PSB number as the public sees it (no PII)").public().returns::<crate::psb::PsbRecord>(200),
    )
}

async fn queue(State(svc): State<Service>, req: Request) -> Result<Response, Problem> {
    desk_api::queue(&svc, Desk::Psb, req).await
}

async fn review(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    desk_api::review(&svc, Desk::Psb, id, req).await
}

async fn approve(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    desk_api::approve(&svc, Desk::Psb, id, req).await
}

async fn reject(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    desk_api::reject(&svc, Desk::Psb, id, req).await
}

/// `GET /api/v1/psb/records/{number}`: public, no sign-in, no PII.
async fn record(
    State(svc): State<Service>,
    number: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let req = take(req).await?;
    let number = number.map(|p| p.0).unwrap_or_default();
    let found = svc.store.psb_record(number.trim()).await.map_err(|e| internal(req.lang, &e))?;
    found.map(|r| axum::Json(r).into_response()).ok_or_else(|| {
        problem(StatusCode::NOT_FOUND, "PSB_RECORD_NOT_FOUND", "problem.psb_record_not_found", req.lang)
    })
}
