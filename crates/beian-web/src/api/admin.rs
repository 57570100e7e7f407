//! Administration: the provider profile, the holiday calendar, IP pools, users, audit, jobs,
//! messages, templates, service numbers, and the metrics page. The handlers extract, call one use
//! case and render; `operations` registers them with their OpenAPI description.

use super::*;

/// `GET /metrics`: Prometheus' text format, for an admin's session or API token.
pub async fn metrics(State(s): State<AppState>, c: Caller) -> ApiResult {
    let text = s.app.admin().metrics(&c.ctx).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
        .into_response())
}

pub async fn get_profile(State(s): State<AppState>, c: Caller) -> ApiResult {
    let v = s.app.admin().provider_profile(&c.ctx).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn put_profile(
    State(s): State<AppState>,
    c: Caller,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<ProviderProfile>,
) -> ApiResult {
    let v = s.app.admin().put_provider_profile(&c.ctx, m, b).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn get_calendar(State(s): State<AppState>, c: Caller) -> ApiResult {
    let v = s.app.admin().calendar_view(&c.ctx).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn put_calendar_year(
    State(s): State<AppState>,
    c: Caller,
    Year(year): Year,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<beian_app::calendar::YearInput>,
) -> ApiResult {
    let v = s.app.admin().put_calendar_year(&c.ctx, m, year, b).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn delete_calendar_year(
    State(s): State<AppState>,
    c: Caller,
    Year(year): Year,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.admin().delete_calendar_year(&c.ctx, m, year).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn list_pools(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.ip_filing().ip_pools(&c.ctx).await?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolBody {
    cidr: String,
    #[serde(default)]
    note: String,
}

pub async fn add_pool(State(s): State<AppState>, c: Caller, JsonBody(b): JsonBody<PoolBody>) -> ApiResult {
    let v = s.app.ip_filing().add_ip_pool(&c.ctx, &b.cidr, &b.note).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn delete_pool(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.ip_filing().delete_ip_pool(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_users(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.auth().list_accounts(&c.ctx, q.after, q.limit.unwrap_or(100)).await?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    role: Role,
    #[serde(default)]
    disabled: bool,
}

pub async fn update_user(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<UserUpdate>,
) -> ApiResult {
    ok(s.app.auth().update_account(&c.ctx, id, b.role, b.disabled).await?)
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    object_type: Option<String>,
    object_id: Option<String>,
    after: Option<Uuid>,
    limit: Option<i64>,
    /// `json` (default) or `csv` for export.
    format: Option<String>,
}

pub async fn audit(State(s): State<AppState>, c: Caller, Query(q): Query<AuditQuery>) -> ApiResult {
    let object = q.object_type.zip(q.object_id);
    let rows = s.app.admin().audit_log(&c.ctx, object, q.after, q.limit.unwrap_or(200)).await?;
    if q.format.as_deref() == Some("csv") {
        let mut out =
            String::from("id,at,actor_id,actor_role,action,object_type,object_id,ip,request_id,detail\n");
        for r in rows {
            let cells = [
                r.id.to_string(),
                r.at,
                r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                r.actor_role,
                r.action,
                r.object_type,
                r.object_id,
                r.ip.unwrap_or_default(),
                r.request_id.unwrap_or_default(),
                r.detail.to_string(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        let mut r = (StatusCode::OK, out).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        return Ok(r);
    }
    ok(rows)
}

/// Quotes a CSV cell, and defuses spreadsheet formulas (`=`, `+`, `-`, `@` first).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub async fn dead_jobs(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.admin().dead_jobs(&c.ctx).await?)
}

pub async fn retry_job(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.admin().retry_dead_job(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How many deliveries were made due.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Woken {
    pub woken: u64,
}

pub async fn retry_deliveries(State(s): State<AppState>, c: Caller) -> ApiResult {
    let woken = s.app.jobs().retry_deliveries_now(&c.ctx).await?;
    ok(Woken { woken })
}

#[derive(Debug, Deserialize, Default)]
pub struct MessagesQuery {
    channel: Option<String>,
    before: Option<Uuid>,
}

pub async fn messages(State(s): State<AppState>, c: Caller, Query(q): Query<MessagesQuery>) -> ApiResult {
    ok(s.app.admin().messages(&c.ctx, q.channel.as_deref().unwrap_or("email"), q.before).await?)
}

pub async fn create_template(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<TemplateInput>,
) -> ApiResult {
    let t = s.app.admin().create_template(&c.ctx, b).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

pub async fn update_template(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<TemplateInput>,
) -> ApiResult {
    ok(s.app.admin().update_template(&c.ctx, id, b).await?)
}

pub async fn delete_template(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.admin().delete_template(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_service_numbers(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.admin().service_numbers(&c.ctx).await?)
}

pub async fn create_service_number(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<ServiceNumberInput>,
) -> ApiResult {
    let n = s.app.admin().create_service_number(&c.ctx, b).await?;
    Ok((StatusCode::CREATED, Json(n)).into_response())
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "get",
        "/admin/provider-profile",
        get(get_profile),
        Op::new("admin", "The provider profile").returns::<ProfileView>(200),
    )
    .op(
        "put",
        "/admin/provider-profile",
        put(put_profile),
        Op::new("admin", "Save the provider profile (If-Match: 0 to create)")
            .if_match()
            .body::<ProviderProfile>()
            .returns::<ProfileView>(200),
    )
    .op(
        "get",
        "/admin/calendar",
        get(get_calendar),
        Op::new("admin", "The working-day calendar in force: each year's holidays with its source")
            .returns::<beian_app::calendar::CalendarView>(200),
    )
    .op(
        "put",
        "/admin/calendar/{year}",
        put(put_calendar_year),
        Op::new("admin", "Add or correct a year's holidays (If-Match: the calendar's version)")
            .if_match()
            .body::<beian_app::calendar::YearInput>()
            .returns::<beian_app::calendar::CalendarView>(200),
    )
    .op(
        "delete",
        "/admin/calendar/{year}",
        delete(delete_calendar_year),
        Op::new("admin", "Remove a year an administrator added (If-Match: the calendar's version)")
            .if_match()
            .returns::<beian_app::calendar::CalendarView>(200),
    )
    .op(
        "get",
        "/admin/ip-pools",
        get(list_pools),
        Op::new("admin", "The provider's IP pools").returns::<Vec<IpPoolView>>(200),
    )
    .op(
        "post",
        "/admin/ip-pools",
        post(add_pool),
        Op::new("admin", "Add an IP pool").body::<PoolBody>().returns::<IpPoolView>(201),
    )
    .op(
        "delete",
        "/admin/ip-pools/{id}",
        delete(delete_pool),
        Op::new("admin", "Remove an IP pool").no_content(),
    )
    .op(
        "get",
        "/admin/users",
        get(list_users),
        Op::new("admin", "Accounts")
            .query(&[("after", "cursor"), ("limit", "page size")])
            .returns::<Vec<Principal>>(200),
    )
    .op(
        "put",
        "/admin/users/{id}",
        put(update_user),
        Op::new("admin", "Change an account's role or disable it")
            .body::<UserUpdate>()
            .returns::<Principal>(200),
    )
    .op(
        "get",
        "/admin/audit",
        get(audit),
        Op::new("admin", "The audit log (format=csv to export)")
            .query(&[
                ("object_type", "filter"),
                ("object_id", "filter"),
                ("after", "cursor"),
                ("limit", "page size"),
                ("format", "json | csv"),
            ])
            .returns::<Vec<AuditView>>(200),
    )
    .op(
        "get",
        "/admin/jobs/dead",
        get(dead_jobs),
        Op::new("admin", "Dead-lettered jobs").returns::<Vec<JobView>>(200),
    )
    .op("post", "/admin/jobs/{id}/retry", post(retry_job), Op::new("admin", "Retry a dead job").no_content())
    .op(
        "post",
        "/admin/jobs/retry-deliveries",
        post(retry_deliveries),
        Op::new("admin", "Make every delivery waiting for the regulator or the bureau due now")
            .returns::<Woken>(200),
    )
    .op(
        "post",
        "/admin/templates",
        post(create_template),
        Op::new("admin", "Add a rejection template").body::<TemplateInput>().returns::<TemplateView>(201),
    )
    .op(
        "put",
        "/admin/templates/{id}",
        put(update_template),
        Op::new("admin", "Edit a rejection template").body::<TemplateInput>().returns::<TemplateView>(200),
    )
    .op(
        "delete",
        "/admin/templates/{id}",
        delete(delete_template),
        Op::new("admin", "Remove a rejection template").no_content(),
    )
    .op(
        "get",
        "/admin/service-numbers",
        get(list_service_numbers),
        Op::new("admin", "Filing service numbers and their quotas").returns::<Vec<ServiceNumberView>>(200),
    )
    .op(
        "post",
        "/admin/service-numbers",
        post(create_service_number),
        Op::new("admin", "Issue a service number for a server instance")
            .body::<ServiceNumberInput>()
            .returns::<ServiceNumberView>(201),
    )
    .op(
        "get",
        "/admin/messages",
        get(messages),
        Op::new("admin", "The message outbox")
            .query(&[("channel", "email | sms"), ("before", "cursor")])
            .returns::<Vec<MessageView>>(200),
    )
}
