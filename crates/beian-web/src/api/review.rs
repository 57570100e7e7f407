//! Review: the queue, claiming, the identity check, approval, return with reasons, batch
//! decisions, paper materials. The handlers extract, call one use case and render; `operations`
//! registers them with their OpenAPI description.

use super::*;

pub async fn queue_counts(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.review().queue_counts(&c.ctx).await?)
}

pub async fn review_queue(State(s): State<AppState>, c: Caller, Query(q): Query<QueueQuery>) -> ApiResult {
    ok(s.app.review().review_queue(&c.ctx, q).await?)
}

pub async fn claim(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.review().claim_order(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn release(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.review().release_order(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn approve(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.review().approve_order(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// Field-level reasons: each a template id (texts may be overridden) or free text.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    findings: Vec<beian_app::review::RejectReason>,
}

/// One order's outcome in a batch decision.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct BatchOutcome {
    pub id: Uuid,
    pub ok: bool,
    /// The order's state and version after the decision (when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why this order was not decided (when not `ok`): the problem document a single decision
    /// would have answered (412 with `current_version`, 409, 404).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::problem::Problem>")]
    pub problem: Option<serde_json::Value>,
}

pub async fn review_batch(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<beian_app::review::BatchDecision>,
) -> ApiResult {
    let outcomes = s.app.review().decide_batch(&c.ctx, b).await?;
    let mut results = Vec::with_capacity(outcomes.len());
    for (id, outcome) in outcomes {
        results.push(match outcome {
            Ok(v) => BatchOutcome {
                id,
                ok: true,
                state: Some(v.state.name().to_owned()),
                version: Some(v.version),
                problem: None,
            },
            Err(e) => BatchOutcome {
                id,
                ok: false,
                state: None,
                version: None,
                problem: Some(crate::problem::document(&e, c.lang)),
            },
        });
    }
    ok(results)
}

pub async fn reject(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<RejectBody>,
) -> ApiResult {
    let reasons = s.app.review().resolve_reasons(b.findings).await?;
    let v = s.app.review().reject_order(&c.ctx, id, m, reasons).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationBody {
    passed: bool,
    #[serde(default)]
    note: String,
}

pub async fn verification(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<VerificationBody>,
) -> ApiResult {
    let v = s.app.review().record_verification(&c.ctx, id, m, b.passed, b.note).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialsBody {
    note: String,
}

pub async fn request_materials(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<MaterialsBody>,
) -> ApiResult {
    let v = s.app.review().request_materials(&c.ctx, id, m, b.note).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn materials_received(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.review().materials_received(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn list_templates(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.admin().templates(&c.ctx).await?)
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "post",
        "/review/batch",
        post(review_batch),
        Op::new("review", "Approve or return several claimed orders; one result per order, in order")
            .body::<beian_app::review::BatchDecision>()
            .returns::<Vec<BatchOutcome>>(200),
    )
    .op(
        "get",
        "/review/queue/counts",
        get(queue_counts),
        Op::new("review", "How many orders wait in each review and regulator stage")
            .returns::<Vec<beian_app::review::QueueCount>>(200),
    )
    .op(
        "get",
        "/review/queue",
        get(review_queue),
        Op::new("review", "The review queue, oldest first (keyset pages)")
            .query(&[
                ("state", "submitted | in_review | awaiting_mail"),
                ("province", "two-digit code"),
                ("kind", "order kind"),
                ("min_age_days", "waiting at least this long"),
                ("subject", "subject name contains"),
                ("mine", "true: only orders you claimed"),
                ("after", "cursor from `next`"),
                ("limit", "page size"),
            ])
            .returns::<QueuePage>(200),
    )
    .op(
        "post",
        "/orders/{id}/claim",
        post(claim),
        Op::new("review", "Claim an order for review").if_match().returns::<OrderView>(200),
    )
    .op(
        "post",
        "/orders/{id}/release",
        post(release),
        Op::new("review", "Put a claimed order back").if_match().returns::<OrderView>(200),
    )
    .op(
        "post",
        "/orders/{id}/verification",
        post(verification),
        Op::new("review", "Record the manual identity check")
            .if_match()
            .body::<VerificationBody>()
            .returns::<OrderView>(200),
    )
    .op(
        "post",
        "/orders/{id}/approve",
        post(approve),
        Op::new("review", "Approve (goes to the regulator queue)").if_match().returns::<OrderView>(200),
    )
    .op(
        "post",
        "/orders/{id}/reject",
        post(reject),
        Op::new("review", "Return with field-level reasons")
            .if_match()
            .body::<RejectBody>()
            .returns::<OrderView>(200),
    )
    .op(
        "post",
        "/orders/{id}/request-materials",
        post(request_materials),
        Op::new("review", "Ask for paper materials by mail")
            .if_match()
            .body::<MaterialsBody>()
            .returns::<OrderView>(200),
    )
    .op(
        "post",
        "/orders/{id}/materials-received",
        post(materials_received),
        Op::new("review", "Record that the materials arrived").if_match().returns::<OrderView>(200),
    )
    .op(
        "get",
        "/review/templates",
        get(list_templates),
        Op::new("review", "Rejection templates").returns::<Vec<TemplateView>>(200),
    )
}
