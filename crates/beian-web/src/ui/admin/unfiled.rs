//! The unfiled-websites tab (reviewers open it too; the block list's hand edits are an
//! administrator's): the bureau's and the scanner's cases, each with a form to act on
//! it (action, opinion, block), the block list with its files for an edge, and the filed
//! websites away from the provider's addresses long enough to be empty shells.

use super::kit::*;

pub(in crate::ui) async fn unfiled(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    staff_only(&p)?;
    let admin = p.ctx.principal.as_ref().is_some_and(|u| u.role == beian_app::Role::Admin);
    let cases = loaded(&p, s.app.unfiled().unfiled_cases(&p.ctx, None)).await?;
    let actions: Vec<(String, String)> = s
        .app
        .seam()
        .miit_tables()
        .await
        .ok()
        .flatten()
        .map(|t| {
            t.unfiled_actions.iter().filter(|e| e.valid).map(|e| (e.id.to_string(), e.name.clone())).collect()
        })
        .unwrap_or_default();
    let mut sec = Section::new(t(&p, "admin.unfiled"));
    sec.note = Some(t(&p, "admin.unfiled.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.domain"),
            t(&p, "admin.col.ip"),
            t(&p, "admin.col.kind"),
            t(&p, "admin.col.created"),
            t(&p, "admin.col.state"),
            t(&p, "admin.col.result"),
        ],
        rows: cases
            .into_iter()
            .map(|c| {
                let outcome =
                    [c.action_name.clone().unwrap_or_default(), c.opinion.clone(), c.result.clone()]
                        .into_iter()
                        .filter(|x| !x.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ");
                let mut row_actions = Vec::new();
                if c.state == "open" {
                    let mut block = input("block", &t(&p, "admin.unfiled.block"), "checkbox", "1");
                    block.checked = true;
                    let mut fields =
                        vec![input("opinion", &t(&p, "admin.unfiled.opinion"), "text", ""), block];
                    if c.source == beian_app::unfiled::FROM_BUREAU || !actions.is_empty() {
                        fields.insert(0, select("action", &t(&p, "admin.col.action"), "1", actions.clone()));
                    }
                    row_actions.push(RowAction {
                        action: format!("/admin/unfiled/{}/handle", c.id),
                        label: t(&p, "admin.unfiled.handle"),
                        fields,
                    });
                }
                Row {
                    cells: vec![
                        mono(c.domain),
                        mono(c.ip),
                        cell(t(&p, &format!("admin.unfiled.source.{}", c.source))),
                        cell(short_time(&c.received_at)),
                        cell(format!(
                            "{}{}",
                            t(&p, &format!("admin.unfiled.state.{}", c.state)),
                            if c.blocked {
                                format!(" · {}", t(&p, "admin.unfiled.blocked"))
                            } else {
                                String::new()
                            }
                        )),
                        cell(outcome),
                    ],
                    actions: row_actions,
                }
            })
            .collect(),
    });
    let blocked = loaded(&p, s.app.unfiled().block_list(&p.ctx)).await?;
    let mut list = Section::new(t(&p, "admin.blocklist"));
    list.note = Some(t(&p, "admin.blocklist.note"));
    list.links = vec![
        ("/api/v1/blocklist/files/plain".into(), t(&p, "admin.blocklist.plain")),
        ("/api/v1/blocklist/files/nginx".into(), t(&p, "admin.blocklist.nginx")),
    ];
    list.table = Some(Table {
        headers: vec![t(&p, "admin.col.domain"), t(&p, "admin.col.note"), t(&p, "admin.col.created")],
        rows: blocked
            .into_iter()
            .map(|b| Row {
                // Lifting and adding blocks by hand are an administrator's.
                actions: if admin {
                    vec![button(
                        format!("/admin/unfiled/unblock/{}", b.domain),
                        t(&p, "admin.blocklist.lift"),
                    )]
                } else {
                    Vec::new()
                },
                cells: vec![mono(b.domain), cell(b.reason), cell(short_time(&b.since))],
            })
            .collect(),
    });
    if admin {
        list.forms.push(add_form(
            &p,
            "/admin/unfiled/block",
            "block-form",
            vec![
                input("domain", &t(&p, "admin.col.domain"), "text", ""),
                input("reason", &t(&p, "admin.col.note"), "text", ""),
            ],
        ));
    }
    let shells = loaded(&p, s.app.compliance().empty_shell_candidates(&p.ctx)).await?;
    let mut away = Section::new(t(&p, "admin.shells"));
    away.note = Some(t(&p, "admin.shells.note"));
    away.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.number"),
            t(&p, "admin.col.domain"),
            t(&p, "admin.col.ip"),
            t(&p, "admin.shells.days"),
        ],
        rows: shells
            .into_iter()
            .map(|x| Row {
                cells: vec![
                    mono(x.number),
                    mono(x.domain),
                    mono(x.addresses.join(", ")),
                    cell(x.days_away.to_string()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    Ok(page(&p, "unfiled", o.notice(&p, &h), vec![sec, list, away]))
}

pub(in crate::ui) async fn handle_case(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
    Form(f): Form<Pairs>,
) -> Response {
    let action = match one(&f, "action") {
        "" => None,
        a => match a.parse::<i64>() {
            Ok(a) => Some(a),
            Err(_) => Some(-1),
        },
    };
    let input = beian_app::unfiled::HandleUnfiled {
        action,
        opinion: one(&f, "opinion").to_owned(),
        block: !one(&f, "block").is_empty(),
    };
    step(&p, "unfiled", s.app.unfiled().handle_unfiled_case(&p.ctx, id, input)).await
}

pub(in crate::ui) async fn block(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = beian_app::unfiled::NewBlock {
        domain: one(&f, "domain").to_owned(),
        reason: one(&f, "reason").to_owned(),
    };
    step(&p, "unfiled", s.app.unfiled().block_domain(&p.ctx, input)).await
}

pub(in crate::ui) async fn unblock(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(domain): Path<String>,
) -> Response {
    step(&p, "unfiled", s.app.unfiled().unblock_domain(&p.ctx, &domain)).await
}
