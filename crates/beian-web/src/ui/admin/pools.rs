//! The IP pools tab: the address blocks the provider assigns, which the access step's addresses
//! must come from.

use super::kit::*;

pub(in crate::ui) async fn pools(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let list = loaded(&p, s.app.ip_pools(&p.ctx)).await?;
    let mut sec = Section::new(t(&p, "admin.pools"));
    sec.note = Some(t(&p, "admin.pools.note"));
    sec.table = Some(Table {
        headers: vec![t(&p, "admin.col.cidr"), t(&p, "admin.col.note"), t(&p, "admin.col.created")],
        rows: list
            .into_iter()
            .map(|x| Row {
                cells: vec![mono(x.cidr), cell(x.note), cell(short_time(&x.created_at))],
                actions: vec![button(format!("/admin/pools/{}/delete", x.id), t(&p, "admin.delete"))],
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/pools",
        "pool-form",
        vec![
            input("cidr", &t(&p, "admin.col.cidr"), "text", ""),
            input("note", &t(&p, "admin.col.note"), "text", ""),
        ],
    ));
    Ok(page(&p, "pools", o.notice(&p, &h), vec![sec]))
}

pub(in crate::ui) async fn add_pool(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    step(&p, &f, "pools", s.app.add_ip_pool(&p.ctx, one(&f, "cidr"), one(&f, "note"))).await
}

pub(in crate::ui) async fn delete_pool(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    step(&p, &f, "pools", s.app.delete_ip_pool(&p.ctx, id)).await
}
