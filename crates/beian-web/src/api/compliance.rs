//! Compliance: every filed site's footer verdict for staff, the work list of unfiled websites on
//! the provider's addresses and the block list an edge enforces. The handlers extract, call one
//! use case and render; `operations` registers them with their OpenAPI description.

use super::*;
use beian_app::unfiled::{BlockFile, BlockView, HandleUnfiled, NewBlock, UnfiledCaseView};

#[derive(Debug, Deserialize)]
pub struct NumberQuery {
    number: String,
}

pub async fn subject_scans(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.compliance().subject_scans(&c.ctx, id).await?)
}

pub async fn site_scan_history(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<NumberQuery>,
) -> ApiResult {
    ok(s.app.compliance().site_scan_history(&c.ctx, id, &q.number).await?)
}

pub async fn compliance(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.compliance().compliance_overview(&c.ctx).await?)
}

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    state: Option<String>,
}

pub async fn unfiled_cases(State(s): State<AppState>, c: Caller, Query(q): Query<StateQuery>) -> ApiResult {
    ok(s.app.unfiled().unfiled_cases(&c.ctx, q.state.as_deref()).await?)
}

pub async fn handle_unfiled(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<HandleUnfiled>,
) -> ApiResult {
    ok(s.app.unfiled().handle_unfiled_case(&c.ctx, id, b).await?)
}

pub async fn empty_shells(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.compliance().empty_shell_candidates(&c.ctx).await?)
}

pub async fn block_list(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.unfiled().block_list(&c.ctx).await?)
}

pub async fn block_domain(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<NewBlock>,
) -> ApiResult {
    let v = s.app.unfiled().block_domain(&c.ctx, b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn unblock_domain(
    State(s): State<AppState>,
    c: Caller,
    axum::extract::Path(domain): axum::extract::Path<String>,
) -> ApiResult {
    s.app.unfiled().unblock_domain(&c.ctx, &domain).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn block_file(s: AppState, c: Caller, h: HeaderMap, format: BlockFile) -> ApiResult {
    let file = s.app.unfiled().block_list_file(&c.ctx, format).await?;
    let unchanged = h
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == file.etag));
    let mut r = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, file.body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        r
    };
    if let Ok(v) = HeaderValue::from_str(&file.etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}

pub async fn block_list_plain(State(s): State<AppState>, c: Caller, h: HeaderMap) -> ApiResult {
    block_file(s, c, h, BlockFile::Plain).await
}

pub async fn block_list_nginx(State(s): State<AppState>, c: Caller, h: HeaderMap) -> ApiResult {
    block_file(s, c, h, BlockFile::Nginx).await
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "get",
        "/subjects/{id}/scans",
        get(subject_scans),
        Op::new("compliance", "The newest footer scan of each of the subject's filed websites")
            .returns::<Vec<SiteScanView>>(200),
    )
    .op(
        "get",
        "/subjects/{id}/scans/history",
        get(site_scan_history),
        Op::new("compliance", "One filed website's scans, newest first")
            .query(&[("number", "the website's ICP number (浙ICP备2026012345号-1)")])
            .returns::<Vec<SiteScanView>>(200),
    )
    .op(
        "get",
        "/review/compliance",
        get(compliance),
        Op::new("compliance", "Every scanned site's newest verdict, worst first, with counts (staff)")
            .returns::<ComplianceView>(200),
    )
    .op(
        "get",
        "/review/unfiled",
        get(unfiled_cases),
        Op::new(
            "compliance",
            "Unfiled websites on the provider's addresses: the bureau's and the scanner's cases (staff)",
        )
        .query(&[("state", "open | handled | reported | refused | dismissed")])
        .returns::<Vec<UnfiledCaseView>>(200),
    )
    .op(
        "post",
        "/review/unfiled/{id}/handle",
        post(handle_unfiled),
        Op::new(
            "compliance",
            "Act on a case: block the domain, record the action, report it to the bureau (staff)",
        )
        .body::<HandleUnfiled>()
        .returns::<UnfiledCaseView>(200),
    )
    .op(
        "get",
        "/review/empty-shells",
        get(empty_shells),
        Op::new(
            "compliance",
            "Filed websites away from the provider's addresses for the policy's days: empty-shell candidates for 取消接入 (staff)",
        )
        .returns::<Vec<beian_app::hosting::EmptyShellView>>(200),
    )
    .op(
        "get",
        "/blocklist",
        get(block_list),
        Op::new("compliance", "The block list: domains this provider does not serve (staff)")
            .returns::<Vec<BlockView>>(200),
    )
    .op(
        "post",
        "/blocklist",
        post(block_domain),
        Op::new("compliance", "Block a domain by hand (admin)").body::<NewBlock>().returns::<BlockView>(201),
    )
    .op(
        "delete",
        "/blocklist/{domain}",
        delete(unblock_domain),
        Op::new("compliance", "Lift a block (admin)").no_content(),
    )
    .op(
        "get",
        "/blocklist/files/plain",
        get(block_list_plain),
        Op::new(
            "compliance",
            "The block list as a plain file for an edge: one domain per line (staff token; ETag, If-None-Match → 304)",
        )
        .text("text/plain"),
    )
    .op(
        "get",
        "/blocklist/files/nginx",
        get(block_list_nginx),
        Op::new("compliance", "The block list as an nginx map of $host to $beian_blocked (staff token; ETag, If-None-Match → 304)")
            .text("text/plain"),
    )
}
