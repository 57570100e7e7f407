//! The bureau's verification tasks (HSRW, answered with HSJG) and inspection results (HCJG,
//! acknowledged) as the reviewer's work items. The handlers extract, call one use case and
//! render; `operations` registers them with their OpenAPI description.

use super::*;
use beian_app::verification::{AcknowledgeInspection, AnswerTask, VerificationView};

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    state: Option<String>,
}

pub async fn list(State(s): State<AppState>, c: Caller, Query(q): Query<StateQuery>) -> ApiResult {
    ok(s.app.verification().verification_tasks(&c.ctx, q.state.as_deref()).await?)
}

pub async fn one(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.verification().verification_task(&c.ctx, id).await?)
}

pub async fn check(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.verification().check_verification_task(&c.ctx, id).await?)
}

pub async fn answer(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<AnswerTask>,
) -> ApiResult {
    ok(s.app.verification().answer_verification_task(&c.ctx, id, b).await?)
}

pub async fn acknowledge(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<AcknowledgeInspection>,
) -> ApiResult {
    ok(s.app.verification().acknowledge_inspection(&c.ctx, id, b).await?)
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "get",
        "/review/verifications",
        get(list),
        Op::new(
            "compliance",
            "The bureau's verification tasks (HSRW) and inspection results (HCJG), oldest first (staff)",
        )
        .query(&[("state", "open | answered | accepted | refused | acknowledged")])
        .returns::<Vec<VerificationView>>(200),
    )
    .op(
        "get",
        "/review/verifications/{id}",
        get(one),
        Op::new("compliance", "One work item with its sites, their latest scans and the last live check (staff)")
            .returns::<VerificationView>(200),
    )
    .op(
        "post",
        "/review/verifications/{id}/check",
        post(check),
        Op::new(
            "compliance",
            "Check the item's domains now: resolved to our addresses, answering, footer carrying the number (staff)",
        )
        .returns::<VerificationView>(200),
    )
    .op(
        "post",
        "/review/verifications/{id}/answer",
        post(answer),
        Op::new("compliance", "Answer a verification task: passed, or refused with what is wrong; sent as HSJG (staff)")
            .body::<AnswerTask>()
            .returns::<VerificationView>(200),
    )
    .op(
        "post",
        "/review/verifications/{id}/acknowledge",
        post(acknowledge),
        Op::new("compliance", "Acknowledge an inspection result, with a note (staff)")
            .body::<AcknowledgeInspection>()
            .returns::<VerificationView>(200),
    )
}
