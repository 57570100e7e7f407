//! Compliance: every filed site's footer verdict for staff. The handlers extract, call one use
//! case and render; `operations` registers them with their OpenAPI description.

use super::*;

#[derive(Debug, Deserialize)]
pub struct NumberQuery {
    number: String,
}

pub async fn subject_scans(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    ok(s.app.subject_scans(&c.ctx, id).await.map_err(|e| c.err(e))?)
}

pub async fn site_scan_history(
    State(s): State<AppState>,
    c: Caller,
    Id(id): Id,
    Query(q): Query<NumberQuery>,
) -> ApiResult {
    ok(s.app.site_scan_history(&c.ctx, id, &q.number).await.map_err(|e| c.err(e))?)
}

pub async fn compliance(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.compliance_overview(&c.ctx).await.map_err(|e| c.err(e))?)
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
}
