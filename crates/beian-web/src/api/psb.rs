//! Public-security filing: the application, its statement, checks, submission and deadlines. The
//! handlers extract, call one use case and render; `operations` registers them with their OpenAPI
//! description.

use super::*;

pub async fn subject_psb(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.psb().psb_applications(&c.ctx, id).await?)
}

pub async fn get_psb(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<RevealQuery>,
) -> ApiResult {
    let v = s.app.psb().get_psb(&c.ctx, id, q.reveal).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn update_psb(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<beian_core::psb::PsbApplication>,
) -> ApiResult {
    let v = s.app.psb().update_psb(&c.ctx, id, m, b).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn accept_psb_statement(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
) -> ApiResult {
    let v = s.app.psb().accept_psb_statement(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn check_psb(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let findings = s.app.psb().check_psb_application(&c.ctx, id).await?;
    let submittable = !beian_core::rules::has_errors(&findings);
    ok(CheckResult { submittable, findings })
}

pub async fn submit_psb(State(s): State<AppState>, c: Caller, Id(id): Id, IfMatch(m): IfMatch) -> ApiResult {
    let v = s.app.psb().submit_psb(&c.ctx, id, m).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn refresh_psb(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    let v = s.app.psb().refresh_psb(&c.ctx, id).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// The enumerations and the statement a PSB form offers.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PsbOptions {
    pub service_types: &'static [beian_core::psb::Choice],
    pub access_methods: &'static [beian_core::psb::Choice],
    pub languages: &'static [beian_core::psb::Choice],
    pub dangerous_goods: &'static [beian_core::psb::Choice],
    pub statement: &'static beian_core::psb::Statement,
    pub deadline_days: i64,
    pub reminder_days: &'static [i64],
}

pub async fn psb_options(c: Caller) -> ApiResult {
    c.ctx.principal()?;
    use beian_core::psb;
    ok(PsbOptions {
        service_types: psb::service_types(),
        access_methods: psb::access_methods(),
        languages: psb::languages(),
        dangerous_goods: psb::dangerous_goods(),
        statement: psb::statement(),
        deadline_days: psb::deadline_days(),
        reminder_days: psb::reminder_days(),
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct OverdueQuery {
    #[serde(default)]
    overdue: bool,
}

pub async fn psb_deadlines(State(s): State<AppState>, c: Caller, Query(q): Query<OverdueQuery>) -> ApiResult {
    ok(s.app.psb().psb_deadlines(&c.ctx, q.overdue).await?)
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api
        .op(
            "get",
            "/psb/options",
            get(psb_options),
            Op::new("psb", "PSB form choices (service types, access methods, languages, dangerous goods) and the statement in force")
                .returns::<PsbOptions>(200),
        )
        .op(
            "get",
            "/subjects/{id}/psb",
            get(subject_psb),
            Op::new("psb", "The subject's PSB applications, one per filed website, with their 30-day deadlines")
                .returns::<Vec<PsbView>>(200),
        )
        .op(
            "get",
            "/psb/{id}",
            get(get_psb),
            Op::new("psb", "A PSB application (PII masked unless reveal=true, which is audited); once approved, its footer")
                .query(&[("reveal", "true to show PII in full")])
                .returns::<PsbView>(200),
        )
        .op(
            "put",
            "/psb/{id}",
            put(update_psb),
            Op::new("psb", "Edit a draft or refused PSB application; masked values sent back are kept")
                .if_match()
                .body::<beian_core::psb::PsbApplication>()
                .returns::<PsbView>(200),
        )
        .op(
            "post",
            "/psb/{id}/statement",
            post(accept_psb_statement),
            Op::new("psb", "Accept the responsibility statement in force (version, time and account are recorded)")
                .if_match()
                .returns::<PsbView>(200),
        )
        .op(
            "post",
            "/psb/{id}/check",
            post(check_psb),
            Op::new("psb", "Run the PSB rules").returns::<CheckResult>(200),
        )
        .op(
            "post",
            "/psb/{id}/submit",
            post(submit_psb),
            Op::new("psb", "Submit to the public-security platform").if_match().returns::<PsbView>(200),
        )
        .op(
            "post",
            "/psb/{id}/refresh",
            post(refresh_psb),
            Op::new("psb", "Fetch the platform's latest steps for the application").returns::<PsbView>(200),
        )
        .op(
            "get",
            "/review/psb",
            get(psb_deadlines),
            Op::new("psb", "Filed websites without a PSB number, longest live first (staff)")
                .query(&[("overdue", "true for only those past their 30 days")])
                .returns::<Vec<PsbDeadlineView>>(200),
        )
}
