//! The outbox tab: SMS and e-mail messages with their delivery state (recipients masked).

use super::kit::*;

#[derive(Debug, Default, Deserialize)]
pub(in crate::ui) struct OutboxQuery {
    #[serde(default)]
    channel: String,
}

pub(in crate::ui) async fn outbox(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<OutboxQuery>,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let channel = if q.channel == "sms" { "sms" } else { "email" };
    let list = loaded(&p, s.app.admin().messages(&p.ctx, channel, None)).await?;
    let mut sec =
        Section::new(format!("{} · {}", t(&p, "admin.outbox"), t(&p, &format!("admin.channel.{channel}"))));
    sec.links = vec![
        ("/admin/outbox?channel=email".into(), t(&p, "admin.channel.email")),
        ("/admin/outbox?channel=sms".into(), t(&p, "admin.channel.sms")),
    ];
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.created"),
            t(&p, "admin.col.recipient"),
            t(&p, "admin.col.subject"),
            t(&p, "admin.col.status"),
        ],
        rows: list
            .into_iter()
            .map(|m| Row {
                cells: vec![
                    cell(short_time(&m.created_at)),
                    mono(m.recipient),
                    cell(if m.subject.is_empty() { m.body.chars().take(80).collect() } else { m.subject }),
                    cell(match m.error {
                        Some(e) => format!("{} · {}", m.status, e.chars().take(120).collect::<String>()),
                        None => m.status,
                    }),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    Ok(page(&p, "outbox", None, vec![sec]))
}
