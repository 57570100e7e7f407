//! The webhooks tab: the operator's systems and chat robots, their recent deliveries with a
//! retry, a test event, on/off and delete. A new JSON webhook's signing secret is shown once, on
//! the page that answers its form (never in a URL or a cookie).

use super::kit::*;
use beian_app::webhooks::{Format, NewWebhook, WebhookChange};

/// Deliveries shown per webhook on the page (the API has the full log).
const SHOWN: usize = 10;

pub(in crate::ui) async fn webhooks(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    tab(&s, &p, o.notice(&p, &h)).await
}

async fn tab(s: &AppState, p: &PageCtx, notice: Option<(String, bool)>) -> Result<Response, Response> {
    admin_only(p)?;
    let hooks = loaded(p, s.app.webhooks().list_webhooks(&p.ctx)).await?;
    let kinds = loaded(p, async { s.app.webhooks().webhook_events(&p.ctx) }).await?;
    let zh = p.lang == Lang::Zh;
    let mut sec = Section::new(t(p, "admin.webhooks"));
    sec.note = Some(t(p, "admin.webhooks.note"));
    let mut log = Section::new(t(p, "admin.webhooks.log"));
    let mut log_rows = Vec::new();
    let mut rows = Vec::new();
    for w in &hooks {
        let onoff = if w.active { "admin.webhooks.off" } else { "admin.webhooks.on" };
        rows.push(Row {
            cells: vec![
                cell(w.name.clone()),
                cell(w.format_label.clone()),
                mono(w.url.clone()),
                if w.events.iter().any(|e| e == "*") {
                    cell(t(p, "admin.webhooks.all"))
                } else {
                    mono(w.events.join(", "))
                },
                cell(t(p, if w.active { "admin.webhooks.active" } else { "admin.webhooks.inactive" })),
            ],
            actions: vec![
                button(format!("/admin/webhooks/{}/ping", w.id), t(p, "admin.webhooks.ping")),
                button(format!("/admin/webhooks/{}/toggle", w.id), t(p, onoff)),
                button(format!("/admin/webhooks/{}/delete", w.id), t(p, "admin.delete")),
            ],
        });
        for d in loaded(p, s.app.webhooks().webhook_deliveries(&p.ctx, w.id)).await?.into_iter().take(SHOWN) {
            let retry = matches!(d.state.as_str(), "failing" | "gave_up");
            log_rows.push(Row {
                cells: vec![
                    cell(short_time(&d.created_at)),
                    cell(w.name.clone()),
                    mono(d.event),
                    cell(t(p, &format!("admin.webhooks.state.{}", d.state))),
                    cell(d.attempts.to_string()),
                    mono(d.response_status.map(|s| s.to_string()).unwrap_or_default()),
                    cell(d.response.chars().take(120).collect::<String>()),
                ],
                actions: if retry {
                    vec![button(format!("/admin/webhooks/deliveries/{}/retry", d.id), t(p, "admin.retry"))]
                } else {
                    Vec::new()
                },
            });
        }
    }
    sec.table = Some(Table {
        headers: vec![
            t(p, "admin.webhooks.name"),
            t(p, "admin.webhooks.format"),
            t(p, "admin.webhooks.url"),
            t(p, "admin.webhooks.events"),
            t(p, "admin.webhooks.status_col"),
        ],
        rows,
    });
    let formats = Format::ALL.iter().map(|f| (f.as_str().to_owned(), f.label(p.lang))).collect();
    let mut events = kinds
        .iter()
        .filter(|k| k.kind != "ping")
        .map(|k| (k.kind.clone(), if zh { k.zh.clone() } else { k.en.clone() }))
        .collect::<Vec<_>>();
    events.insert(0, ("*".into(), t(p, "admin.webhooks.all")));
    sec.forms.push(add_form(
        p,
        "/admin/webhooks",
        "webhook-form",
        vec![
            input("name", &t(p, "admin.webhooks.name"), "text", ""),
            input("url", &t(p, "admin.webhooks.url"), "text", ""),
            select("format", &t(p, "admin.webhooks.format"), "json", formats),
            input("secret", &t(p, "admin.webhooks.secret"), "text", ""),
            select("events", &t(p, "admin.webhooks.events"), "*", events),
        ],
    ));
    log.table = Some(Table {
        headers: vec![
            t(p, "admin.col.created"),
            t(p, "admin.webhooks.name"),
            t(p, "admin.col.kind"),
            t(p, "admin.webhooks.status_col"),
            t(p, "admin.col.attempts"),
            t(p, "admin.webhooks.status"),
            t(p, "admin.webhooks.response"),
        ],
        rows: log_rows,
    });
    Ok(page(p, "webhooks", notice, vec![sec, log]))
}

pub(in crate::ui) async fn add_webhook(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let events = match one(&f, "events") {
        "" | "*" => Vec::new(),
        e => vec![e.to_owned()],
    };
    let input = NewWebhook {
        name: one(&f, "name").to_owned(),
        url: one(&f, "url").to_owned(),
        format: one(&f, "format").to_owned(),
        secret: Some(one(&f, "secret").to_owned()),
        events,
    };
    match s.app.webhooks().create_webhook(&p.ctx, input).await {
        // The secret is shown on this answer only.
        Ok(v) => {
            let notice = match v.secret {
                Some(secret) => (t(&p, "admin.webhooks.secret_once").replace("{secret}", &secret), true),
                None => (t(&p, "admin.done"), true),
            };
            tab(&s, &p, Some(notice)).await.unwrap_or_else(|r| r)
        }
        Err(e) => step(&p, "webhooks", async { Err::<(), _>(e) }).await,
    }
}

/// The row buttons: a test event, on/off, delete.
pub(in crate::ui) async fn webhook_step(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    match action.as_str() {
        "ping" => step(&p, "webhooks", s.app.webhooks().ping_webhook(&p.ctx, id)).await,
        "delete" => step(&p, "webhooks", s.app.webhooks().delete_webhook(&p.ctx, id)).await,
        "toggle" => {
            let toggle = async {
                let now = s
                    .app
                    .webhooks()
                    .list_webhooks(&p.ctx)
                    .await?
                    .into_iter()
                    .find(|w| w.id == id)
                    .ok_or(AppError::NotFound)?;
                s.app
                    .webhooks()
                    .change_webhook(&p.ctx, id, WebhookChange { active: Some(!now.active), events: None })
                    .await
            };
            step(&p, "webhooks", toggle).await
        }
        _ => not_found(&p),
    }
}

pub(in crate::ui) async fn retry_delivery(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    PathId(id): PathId,
) -> Response {
    step(&p, "webhooks", s.app.webhooks().retry_webhook_delivery(&p.ctx, id)).await
}
