//! Subjects: a filing subject's record, its filed sites' footer scans. The handlers extract, call
//! one use case and render; `operations` registers them with their OpenAPI description.

use super::*;

pub async fn create_subject(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<SubjectInput>,
) -> ApiResult {
    let v = s.app.subjects().create_subject(&c.ctx, b).await?;
    Ok(versioned(StatusCode::CREATED, v.version, v))
}

pub async fn list_subjects(State(s): State<AppState>, c: Caller, Query(q): Query<PageQuery>) -> ApiResult {
    ok(s.app.subjects().list_subjects(&c.ctx, q.before, q.limit.unwrap_or(50)).await?)
}

pub async fn get_subject(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<RevealQuery>,
) -> ApiResult {
    let v = s.app.subjects().get_subject(&c.ctx, id, q.reveal).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

pub async fn update_subject(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    IfMatch(m): IfMatch,
    JsonBody(b): JsonBody<SubjectInput>,
) -> ApiResult {
    let v = s.app.subjects().update_subject(&c.ctx, id, m, b).await?;
    Ok(versioned(StatusCode::OK, v.version, v))
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "post",
        "/subjects",
        post(create_subject),
        Op::new("subjects", "Create a subject (主体)").body::<SubjectInput>().returns::<SubjectView>(201),
    )
    .op(
        "get",
        "/subjects",
        get(list_subjects),
        Op::new("subjects", "Your subjects, newest first").query(PAGE).returns::<Vec<SubjectView>>(200),
    )
    .op(
        "get",
        "/subjects/{id}",
        get(get_subject),
        Op::new("subjects", "A subject (PII masked unless reveal=true, which is audited)")
            .query(&[("reveal", "true to show PII in full")])
            .returns::<SubjectView>(200),
    )
    .op(
        "put",
        "/subjects/{id}",
        put(update_subject),
        Op::new("subjects", "Replace a subject's details")
            .if_match()
            .body::<SubjectInput>()
            .returns::<SubjectView>(200),
    )
}
