//! The service numbers tab: the provider's pre-filed service numbers and their quotas.

use super::kit::*;

pub(in crate::ui) async fn service_numbers(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let list = loaded(&p, s.app.admin().service_numbers(&p.ctx)).await?;
    let mut sec = Section::new(t(&p, "admin.service_numbers"));
    sec.note = Some(t(&p, "admin.service_numbers.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.code"),
            t(&p, "admin.col.instance"),
            t(&p, "admin.col.used"),
            t(&p, "admin.col.quota"),
        ],
        rows: list
            .into_iter()
            .map(|n| Row {
                cells: vec![
                    mono(n.code),
                    mono(n.instance),
                    cell(n.used.to_string()),
                    cell(n.quota.to_string()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/service-numbers",
        "service-number-form",
        vec![
            input("instance", &t(&p, "admin.col.instance"), "text", ""),
            input("quota", &t(&p, "admin.col.quota"), "number", "5"),
        ],
    ));
    Ok(page(&p, "service-numbers", o.notice(&p, &h), vec![sec]))
}

pub(in crate::ui) async fn add_service_number(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = beian_app::profile::ServiceNumberInput {
        instance: one(&f, "instance").to_owned(),
        quota: one(&f, "quota").parse().unwrap_or(-1),
    };
    step(&p, "service-numbers", s.app.admin().create_service_number(&p.ctx, input)).await
}
