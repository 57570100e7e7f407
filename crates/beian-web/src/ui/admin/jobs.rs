//! The jobs tab: the job queue by state, dead letters with a retry, and "retry deliveries now".

use super::kit::*;

pub(in crate::ui) async fn jobs(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let list = loaded(&p, s.app.admin().dead_jobs(&p.ctx)).await?;
    let waiting = loaded(&p, s.app.jobs().waiting_deliveries(&p.ctx)).await?;
    let mut deliveries = Section::new(t(&p, "admin.deliveries"));
    deliveries.note = Some(t(&p, "admin.deliveries.note").replace("{n}", &waiting.to_string()));
    deliveries.forms.push(FormSpec {
        action: "/admin/jobs/retry-deliveries".into(),
        method: "post",
        fields: Vec::new(),
        submit: t(&p, "admin.deliveries.retry"),
        id: "retry-deliveries".into(),
    });
    let mut sec = Section::new(t(&p, "admin.jobs"));
    sec.note = Some(t(&p, "admin.jobs.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.created"),
            t(&p, "admin.col.kind"),
            t(&p, "admin.col.attempts"),
            t(&p, "admin.col.error"),
        ],
        rows: list
            .into_iter()
            .map(|j| Row {
                cells: vec![
                    cell(short_time(&j.created_at)),
                    mono(j.kind),
                    cell(j.attempts.to_string()),
                    cell(j.last_error.unwrap_or_default().chars().take(200).collect::<String>()),
                ],
                actions: vec![button(format!("/admin/jobs/{}/retry", j.id), t(&p, "admin.retry"))],
            })
            .collect(),
    });
    Ok(page(&p, "jobs", o.notice(&p, &h), vec![deliveries, sec]))
}

pub(in crate::ui) async fn retry_deliveries(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
) -> Response {
    step(&p, "jobs", async { s.app.jobs().retry_deliveries_now(&p.ctx).await.map(|_| ()) }).await
}

pub(in crate::ui) async fn retry_job(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
) -> Response {
    step(&p, "jobs", s.app.admin().retry_dead_job(&p.ctx, id)).await
}
