//! The users tab: every account with its role, and the form that changes a role or disables an
//! account.

use super::kit::*;

fn role_options(p: &PageCtx) -> Vec<(String, String)> {
    ["applicant", "reviewer", "admin"].iter().map(|r| ((*r).to_owned(), t(p, &format!("role.{r}")))).collect()
}

pub(in crate::ui) async fn users(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let list = loaded(&p, s.app.auth().accounts_with_state(&p.ctx, 200)).await?;
    let rows = list
        .into_iter()
        .map(|(u, disabled)| Row {
            cells: vec![cell(u.display_name.clone()), mono(beian_app::mask_email_public(&u.email))],
            actions: vec![RowAction {
                action: format!("/admin/users/{}", u.id),
                label: t(&p, "admin.save"),
                fields: vec![
                    select("role", &t(&p, "admin.col.role"), u.role.as_str(), role_options(&p)),
                    Input {
                        checked: disabled,
                        ..input("disabled", &t(&p, "admin.col.disabled"), "checkbox", "true")
                    },
                ],
            }],
        })
        .collect();
    let mut sec = Section::new(t(&p, "admin.users"));
    sec.note = Some(t(&p, "admin.users.note"));
    sec.table = Some(Table {
        headers: vec![t(&p, "admin.col.name"), t(&p, "admin.col.email"), t(&p, "admin.col.role")],
        rows,
    });
    Ok(page(&p, "users", o.notice(&p, &h), vec![sec]))
}

pub(in crate::ui) async fn update_user(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let role = match one(&f, "role") {
        "applicant" => Role::Applicant,
        "reviewer" => Role::Reviewer,
        "admin" => Role::Admin,
        _ => return error_page(p.lang, StatusCode::BAD_REQUEST, "error.not_found"),
    };
    let disabled = !one(&f, "disabled").is_empty();
    step(&p, "users", s.app.auth().update_account(&p.ctx, id, role, disabled)).await
}
