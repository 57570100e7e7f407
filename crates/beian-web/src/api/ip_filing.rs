//! The provider's address blocks and their filing with the bureau (IP地址备案): sources, how each
//! pool is used, and the file/withdraw steps. The handlers extract, call one use case and
//! render; `operations` registers them with their OpenAPI description.

use super::*;
use beian_app::ip_filing::{FilingView, IpSourceView, NewIpSource, PoolUsage};
use beian_store::IpKind;

pub async fn sources(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.ip_filing().ip_sources(&c.ctx).await?)
}

pub async fn add_source(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<NewIpSource>,
) -> ApiResult {
    let v = s.app.ip_filing().add_ip_source(&c.ctx, b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn delete_source(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.ip_filing().delete_ip_source(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn pool_usage(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    JsonBody(b): JsonBody<PoolUsage>,
) -> ApiResult {
    ok(s.app.ip_filing().set_ip_pool_usage(&c.ctx, id, b).await?)
}

pub async fn file_source(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.ip_filing().file_ip_record(&c.ctx, IpKind::Source, id).await?)
}

pub async fn file_pool(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.ip_filing().file_ip_record(&c.ctx, IpKind::Pool, id).await?)
}

pub async fn withdraw_source(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.ip_filing().withdraw_ip_record(&c.ctx, IpKind::Source, id).await?)
}

pub async fn withdraw_pool(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.ip_filing().withdraw_ip_record(&c.ctx, IpKind::Pool, id).await?)
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "get",
        "/admin/ip-sources",
        get(sources),
        Op::new("admin", "Where the provider's address blocks come from, with their filing state (staff)")
            .returns::<Vec<IpSourceView>>(200),
    )
    .op(
        "post",
        "/admin/ip-sources",
        post(add_source),
        Op::new("admin", "Record where a block comes from (admin)")
            .body::<NewIpSource>()
            .returns::<IpSourceView>(201),
    )
    .op(
        "delete",
        "/admin/ip-sources/{id}",
        delete(delete_source),
        Op::new("admin", "Remove a source the bureau does not hold (admin)").no_content(),
    )
    .op(
        "put",
        "/admin/ip-pools/{id}/usage",
        put(pool_usage),
        Op::new(
            "admin",
            "Say how a pool is used: own use, re-allocated, reserved (admin; before it is filed)",
        )
        .body::<PoolUsage>()
        .returns::<beian_app::ip_filing::IpPoolView>(200),
    )
    .op(
        "post",
        "/admin/ip-sources/{id}/file",
        post(file_source),
        Op::new("admin", "File a source with the bureau (IP XZBA; admin)").returns::<FilingView>(200),
    )
    .op(
        "post",
        "/admin/ip-pools/{id}/file",
        post(file_pool),
        Op::new("admin", "File a pool with the bureau, inside a filed source (IP XZBA; admin)")
            .returns::<FilingView>(200),
    )
    .op(
        "post",
        "/admin/ip-sources/{id}/withdraw",
        post(withdraw_source),
        Op::new("admin", "Withdraw a filed source (IP SCBA; admin)").returns::<FilingView>(200),
    )
    .op(
        "post",
        "/admin/ip-pools/{id}/withdraw",
        post(withdraw_pool),
        Op::new("admin", "Withdraw a filed pool (IP SCBA; admin)").returns::<FilingView>(200),
    )
}
