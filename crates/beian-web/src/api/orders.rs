//! Orders: create, edit, check, requirements, submit, withdraw, SMS resend, timeline. The
//! handlers extract, call one use case and render; `operations` registers them with their OpenAPI
//! description.

use super::*;

pub async fn create_order(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<OrderInput>,
) -> ApiResult {
    let v = s.app.orders().create_order(&c.ctx, b).await?;
    Ok(versioned(StatusCode::CREATED, v.version, v))
}

pub async fn list_orders(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.orders().list_orders(&c.ctx, q.before, q.limit.unwrap_or(50)).await?)
}

pub async fn expiring_orders(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.expiry().expiring_orders(&c.ctx, q.limit.unwrap_or(100)).await?)
}

pub async fn get_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<RevealQuery>,
) -> ApiResult {
    let v = s.app.orders().get_order(&c.ctx, id, q.reveal).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn update_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<OrderInput>,
) -> ApiResult {
    let v = s.app.orders().update_order(&c.ctx, id, m, b).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn check_order(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let findings = s.app.orders().check_order(&c.ctx, id).await?;
    let submittable = !beian_core::rules::has_errors(&findings);
    ok(CheckResult { submittable, findings })
}

pub async fn assignable_addresses(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.ip_filing().assignable_addresses(&c.ctx).await?)
}

pub async fn cancel_reasons(State(s): State<AppState>, c: Caller) -> ApiResult {
    c.ctx.principal()?;
    ok(s.app.orders().cancel_reasons().await?)
}

pub async fn order_requirements(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.orders().order_requirements(&c.ctx, id).await?)
}

pub async fn submit_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.orders().submit_order(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn withdraw_order(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.orders().withdraw_order(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// Who gets a new code: the person's path in the order (`subject.head`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendBody {
    recipient: String,
}

pub async fn resend_sms(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<ResendBody>,
) -> ApiResult {
    let v = s.app.seam().resend_sms(&c.ctx, id, &b.recipient).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn refresh_from_regulator(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let v = s.app.seam().refresh_from_regulator(&c.ctx, id).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn timeline(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.orders().order_timeline(&c.ctx, id).await?)
}

pub async fn footers(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.compliance().order_footers(&c.ctx, id).await?)
}

/// Which filed websites and apps a change concerns, by number; none for the subject alone.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    #[serde(default)]
    numbers: Vec<String>,
}

pub async fn start_change(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<ChangeBody>,
) -> ApiResult {
    let v = s.app.drafts().start_change(&c.ctx, id, b.numbers).await?;
    Ok(versioned(StatusCode::CREATED, v.version, v))
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api
        .op(
            "post",
            "/subjects/{id}/changes",
            post(start_change),
            Op::new(
                "orders",
                "Start a change (变更) on the data as filed: a draft holding the subject and the named \
                 filed websites/apps as the bureau approved them; edit what changes with PUT, and the \
                 kind follows what differs from the filing (`changed_fields`)",
            )
            .body::<ChangeBody>()
            .returns::<OrderView>(201),
        )
        .op(
            "post",
            "/orders",
            post(create_order),
            Op::new("orders", "Start a draft order; the kind is worked out from what is on file")
                .body::<OrderInput>()
                .returns::<OrderView>(201),
        )
        .op(
            "get",
            "/orders",
            get(list_orders),
            Op::new("orders", "Your orders, newest first").query(PAGE).returns::<Vec<OrderView>>(200),
        )
        .op(
            "get",
            "/orders/expiring",
            get(expiring_orders),
            Op::new(
                "orders",
                "Orders waiting for their applicant long enough to be reminded, the soonest to close first (staff: everyone's)",
            )
            .query(&[("limit", "at most this many of the longest idle (1–500, default 100)")])
            .returns::<Vec<beian_app::expiry::ExpiringOrderView>>(200),
        )
        .op(
            "get",
            "/orders/{id}",
            get(get_order),
            Op::new("orders", "An order (PII masked unless reveal=true, which is audited)")
                .query(&[("reveal", "true to show PII in full")])
                .returns::<OrderView>(200),
        )
        .op(
            "put",
            "/orders/{id}",
            put(update_order),
            Op::new("orders", "Edit a draft or returned order; masked values sent back are kept")
                .if_match()
                .body::<OrderInput>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/check",
            post(check_order),
            Op::new("orders", "Run the rule engine").returns::<CheckResult>(200),
        )
        .op(
            "get",
            "/orders/{id}/requirements",
            get(order_requirements),
            Op::new(
                "orders",
                "What the order needs before it can be submitted: each document with what is uploaded, and what is missing (documents, identity checks, blocking findings)",
            )
            .returns::<beian_app::requirements::Requirements>(200),
        )
        .op(
            "post",
            "/orders/{id}/submit",
            post(submit_order),
            Op::new("orders", "Submit for provider review").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/withdraw",
            post(withdraw_order),
            Op::new("orders", "Withdraw the order").if_match().returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/sms/resend",
            post(resend_sms),
            Op::new("orders", "Have MIIT text a person a new verification code (within the 24 hours)")
                .body::<ResendBody>()
                .returns::<OrderView>(200),
        )
        .op(
            "post",
            "/orders/{id}/regulator/refresh",
            post(refresh_from_regulator),
            Op::new("orders", "Fetch the regulator's latest steps for the order").returns::<OrderView>(200),
        )
        .op(
            "get",
            "/orders/{id}/timeline",
            get(timeline),
            Op::new("orders", "Every step of the order").returns::<Vec<TimelineEntry>>(200),
        )
        .op(
            "get",
            "/orders/{id}/footers",
            get(footers),
            Op::new(
                "orders",
                "The footer each filed website must show, in every CMS form (HTML, WordPress, Hexo/NexT, Hugo, VitePress)",
            )
            .returns::<Vec<beian_app::footers::SiteFooterView>>(200),
        )
        .op(
            "get",
            "/addresses",
            get(assignable_addresses),
            Op::new(
                "orders",
                "The provider's address blocks (CIDR), from which a site's access addresses must come",
            )
            .returns::<Vec<String>>(200),
        )
        .op(
            "get",
            "/cancel-reasons",
            get(cancel_reasons),
            Op::new(
                "orders",
                "The cancellation reasons (注销理由) a cancellation order's `cancel_reason` is one of: the bureau's table once it has come down",
            )
            .returns::<Vec<String>>(200),
        )
}
