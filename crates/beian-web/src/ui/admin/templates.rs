//! The rejection templates tab: the reviewer's ready-made return reasons.

use super::kit::*;

pub(in crate::ui) async fn templates(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let list = loaded(&p, s.app.admin().templates(&p.ctx)).await?;
    let mut sec = Section::new(t(&p, "admin.templates"));
    sec.note = Some(t(&p, "admin.templates.note"));
    sec.table = Some(Table {
        headers: vec![t(&p, "rv.reason.field"), t(&p, "rv.reason.error"), t(&p, "rv.reason.suggestion")],
        rows: list
            .into_iter()
            .map(|x| Row {
                cells: vec![mono(x.field), cell(x.error), cell(x.suggestion)],
                actions: vec![button(format!("/admin/templates/{}/delete", x.id), t(&p, "admin.delete"))],
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/templates",
        "template-form",
        vec![
            input("field", &t(&p, "rv.reason.field"), "text", ""),
            input("error", &t(&p, "rv.reason.error"), "text", ""),
            input("suggestion", &t(&p, "rv.reason.suggestion"), "text", ""),
        ],
    ));
    Ok(page(&p, "templates", o.notice(&p, &h), vec![sec]))
}

pub(in crate::ui) async fn add_template(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = beian_app::profile::TemplateInput {
        field: one(&f, "field").to_owned(),
        error: one(&f, "error").to_owned(),
        suggestion: one(&f, "suggestion").to_owned(),
    };
    step(&p, "templates", s.app.admin().create_template(&p.ctx, input)).await
}

pub(in crate::ui) async fn delete_template(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
) -> Response {
    step(&p, "templates", s.app.admin().delete_template(&p.ctx, id)).await
}
