//! Webhooks: the operator's own systems and chat robots (企业微信, 钉钉, 飞书) told what happens —
//! an order changing state, a filed site failing its footer check, a duty handed down by the
//! bureau. An administrator keeps the list; each event becomes one delivery per webhook that
//! takes it, written with its `deliver_webhook` job in the transaction of the change that
//! raised it, so an event is never lost nor sent for a change that rolled back. The job posts
//! it (retried with backoff, [`ATTEMPTS`] tries) and the delivery log keeps every answer.
//!
//! Must never: send personal data (events carry ids, states, numbers and domains), show a
//! robot's address with its key, or send from a request (only the job runner sends).

pub mod format;

use beian_core::message::Lang;
use beian_store::{NewJob, Tx, Uuid, WebhookDeliveryRow, WebhookRow, new_id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use format::{Event, Format, Summary};

use crate::areas::Webhooks;
use crate::i18n::{Msgs, Text};
use crate::views::rfc3339;
use crate::{App, AppError, AppResult, Ctx, FieldError, Role};

/// The job kind that posts one delivery.
pub const DELIVER_WEBHOOK: &str = "deliver_webhook";
/// Tries per delivery (10 s, 20 s … apart: about 40 minutes in all) before it gives up.
pub const ATTEMPTS: i64 = 8;
/// Webhooks one provider may keep.
const MAX_WEBHOOKS: usize = 20;
/// Deliveries shown per webhook.
const LOG_LEN: i64 = 100;

/// The events a webhook can take (each described in the catalogues as `webhook.event.<kind>`).
pub const EVENT_KINDS: [&str; 6] = [
    "order.state_changed",
    "psb.state_changed",
    "site.compliance_failed",
    "duty.unfiled_listed",
    "duty.verification_task",
    "ping",
];

/// A one-line summary of an event in both languages, from the catalogue's `key`.
fn summary(key: &str, args: impl Fn(Lang) -> Vec<(&'static str, String)>) -> Summary {
    Summary { zh: Msgs::fill(Lang::Zh, key, &args(Lang::Zh)), en: Msgs::fill(Lang::En, key, &args(Lang::En)) }
}

/// `items` as a list in `lang` (`、` between them in Chinese).
fn listed(lang: Lang, items: &[&str]) -> String {
    items.join(Msgs::of(lang).get("webhook.list_separator"))
}

/// A new webhook.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// A name for people (at most 64 characters).
    pub name: String,
    /// Where to post: `http(s)://…`; a robot's address as its platform gives it.
    pub url: String,
    /// `json` (signed, Standard Webhooks), `wecom`, `dingtalk` or `feishu`.
    pub format: String,
    /// `json`: a `whsec_` secret to sign with (one is made when absent). `dingtalk`/`feishu`:
    /// the robot's 加签 secret, when it has one. `wecom` takes none.
    #[serde(default)]
    pub secret: Option<String>,
    /// The event kinds it takes (`GET /admin/webhook-events`); empty or `["*"]` for all.
    #[serde(default)]
    pub events: Vec<String>,
}

/// A change to a webhook: on or off, and the events it takes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChange {
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub name: String,
    /// The address without its query, long path segments (a robot's token) shortened.
    pub url: String,
    pub format: String,
    pub format_label: String,
    pub events: Vec<String>,
    pub active: bool,
    /// Whether its requests are signed.
    pub signed: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The signing secret, in the answer that creates a `json` webhook only: keep it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub event_id: Option<Uuid>,
    /// `pending`, `failing` (retried with backoff), `delivered` or `gave_up`.
    pub state: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    /// The start of the last answer, or why it failed.
    pub response: String,
    pub created_at: String,
    pub attempted_at: Option<String>,
    pub delivered_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EventKindView {
    pub kind: String,
    pub zh: String,
    pub en: String,
}

#[derive(Deserialize)]
struct DeliveryPayload {
    delivery_id: Uuid,
}

fn url_aad(id: Uuid) -> String {
    format!("webhooks/{id}/url")
}

fn secret_aad(id: Uuid) -> String {
    format!("webhooks/{id}/secret")
}

/// The address for lists: no query, no credentials, long path segments shortened.
fn shown(url: &reqwest::Url) -> String {
    let path: Vec<String> = url
        .path_segments()
        .map(|s| {
            s.map(|seg| if seg.len() >= 16 { format!("{}…", &seg[..4]) } else { seg.to_owned() }).collect()
        })
        .unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}/{}", url.scheme(), url.host_str().unwrap_or(""), path.join("/"))
}

fn events_field(events: &[String]) -> AppResult<Vec<String>> {
    let mut errors = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e != "*" && !EVENT_KINDS.contains(&e.as_str()) {
            errors.push(FieldError::text(
                format!("events[{i}]"),
                "WEBHOOK_EVENT_UNKNOWN",
                Text::new("problem.webhook_event_unknown").arg("e", e),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut out: Vec<String> = events.to_vec();
    out.sort();
    out.dedup();
    if out.is_empty() || out.iter().any(|e| e == "*") {
        out = vec!["*".into()];
    }
    Ok(out)
}

/// Whether a webhook taking `events` (its JSON list) takes `kind`; a ping is sent by hand only.
fn takes(events: &str, kind: &str) -> bool {
    let list: Vec<String> = serde_json::from_str(events).unwrap_or_default();
    kind != "ping" && list.iter().any(|e| e == "*" || e == kind)
}

impl Webhooks<'_> {
    fn webhook_view(self, w: &WebhookRow, secret: Option<String>) -> WebhookView {
        let format = Format::parse(&w.format);
        WebhookView {
            id: w.id,
            name: w.name.clone(),
            url: w.url_shown.clone(),
            format: w.format.clone(),
            format_label: format.map(|f| f.label(Lang::Zh)).unwrap_or_default(),
            events: serde_json::from_str(&w.events).unwrap_or_default(),
            active: w.active,
            signed: w.secret.is_some(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
            secret,
        }
    }

    /// The event kinds a webhook can take (admins).
    pub fn webhook_events(self, ctx: &Ctx) -> AppResult<Vec<EventKindView>> {
        ctx.require(&[Role::Admin])?;
        Ok(EVENT_KINDS
            .iter()
            .map(|k| {
                let (zh, en) = Msgs::both(&format!("webhook.event.{k}"));
                EventKindView { kind: (*k).into(), zh, en }
            })
            .collect())
    }

    pub async fn list_webhooks(self, ctx: &Ctx) -> AppResult<Vec<WebhookView>> {
        ctx.require(&[Role::Admin])?;
        Ok(self.store().webhooks().await?.iter().map(|w| self.webhook_view(w, None)).collect())
    }

    /// An administrator adds a webhook. A `json` one answers with its secret, once.
    pub async fn create_webhook(self, ctx: &Ctx, input: NewWebhook) -> AppResult<WebhookView> {
        let p = ctx.require(&[Role::Admin])?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(AppError::field(
                "name",
                "WEBHOOK_NAME_INVALID",
                Text::new("problem.webhook_name_invalid"),
            ));
        }
        let url = reqwest::Url::parse(input.url.trim())
            .ok()
            .filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
                    && u.username().is_empty()
                    && u.password().is_none()
                    && u.as_str().len() <= 2048
            })
            .ok_or_else(|| {
                AppError::field("url", "WEBHOOK_URL_INVALID", Text::new("problem.webhook_url_invalid"))
            })?;
        let format = Format::parse(&input.format).ok_or_else(|| {
            AppError::field("format", "WEBHOOK_FORMAT_UNKNOWN", Text::new("problem.webhook_format_unknown"))
        })?;
        let given = input.secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let secret = match (format, given) {
            (Format::Json, None) => Some(format::new_secret()?),
            (Format::Json, Some(s)) if format::secret_key(s).is_some() => Some(s.to_owned()),
            (Format::Json, Some(_)) => {
                return Err(AppError::field(
                    "secret",
                    "WEBHOOK_SECRET_INVALID",
                    Text::new("problem.webhook_secret_invalid"),
                ));
            }
            (Format::Wecom, Some(_)) => {
                return Err(AppError::field(
                    "secret",
                    "WEBHOOK_SECRET_NOT_TAKEN",
                    Text::new("problem.webhook_secret_not_taken"),
                ));
            }
            (_, Some(s)) if s.len() > 256 || !s.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(AppError::field(
                    "secret",
                    "WEBHOOK_SECRET_INVALID",
                    Text::new("problem.webhook_secret_invalid.secret"),
                ));
            }
            (_, s) => s.map(str::to_owned),
        };
        let events = events_field(&input.events)?;
        if self.store().webhooks().await?.len() >= MAX_WEBHOOKS {
            return Err(AppError::conflict(
                "WEBHOOK_LIMIT",
                Text::new("problem.webhook_limit").arg("max", MAX_WEBHOOKS),
            ));
        }
        let id = new_id();
        let now = self.now_us();
        let row = WebhookRow {
            id,
            name: name.to_owned(),
            url: self.keys().encrypt(&url_aad(id), url.as_str().as_bytes())?,
            url_shown: shown(&url),
            format: format.as_str().into(),
            secret: secret
                .as_ref()
                .map(|s| self.keys().encrypt(&secret_aad(id), s.as_bytes()))
                .transpose()?,
            events: serde_json::to_string(&events)?,
            active: true,
            created_by: p.id,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        tx.insert_webhook(&row).await?;
        tx.audit(
            &ctx.audit("webhook.create", "webhook", id, json!({ "format": row.format, "events": events })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.webhook_view(&row, secret.filter(|_| format == Format::Json)))
    }

    async fn webhook_row(self, id: Uuid) -> AppResult<WebhookRow> {
        self.store().webhook(id).await?.ok_or(AppError::NotFound)
    }

    /// Turns a webhook on or off, or changes the events it takes.
    pub async fn change_webhook(self, ctx: &Ctx, id: Uuid, change: WebhookChange) -> AppResult<WebhookView> {
        ctx.require(&[Role::Admin])?;
        let w = self.webhook_row(id).await?;
        let events = match &change.events {
            Some(e) => events_field(e)?,
            None => serde_json::from_str(&w.events)?,
        };
        let active = change.active.unwrap_or(w.active);
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.update_webhook(id, active, &serde_json::to_string(&events)?, now).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(
            &ctx.audit("webhook.change", "webhook", id, json!({ "active": active, "events": events })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.webhook_view(&self.webhook_row(id).await?, None))
    }

    pub async fn delete_webhook(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        ctx.require(&[Role::Admin])?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.delete_webhook(id).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("webhook.delete", "webhook", id, json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    fn delivery_view(d: &WebhookDeliveryRow) -> DeliveryView {
        let event_id = serde_json::from_str::<Event>(&d.payload).ok().map(|e| e.id);
        DeliveryView {
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event.clone(),
            event_id,
            state: d.state.clone(),
            attempts: d.attempts,
            response_status: d.response_status,
            response: d.response.clone(),
            created_at: rfc3339(d.created_at),
            attempted_at: d.attempted_at.map(rfc3339),
            delivered_at: d.delivered_at.map(rfc3339),
        }
    }

    /// A webhook's delivery log, newest first.
    pub async fn webhook_deliveries(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<DeliveryView>> {
        ctx.require(&[Role::Admin])?;
        self.webhook_row(id).await?;
        Ok(self.store().webhook_deliveries(id, LOG_LEN).await?.iter().map(Self::delivery_view).collect())
    }

    /// Sends a test event to one webhook (through the queue, as any event).
    pub async fn ping_webhook(self, ctx: &Ctx, id: Uuid) -> AppResult<DeliveryView> {
        let p = ctx.require(&[Role::Admin])?;
        let w = self.webhook_row(id).await?;
        let now = self.now_us();
        let event = Event {
            id: new_id(),
            kind: "ping".into(),
            timestamp: rfc3339(now),
            data: json!({ "webhook_id": id, "by": p.id }),
            summary: summary("webhook.summary.ping", |_| vec![("name", w.name.clone())]),
            link: Some(format!("{}/admin/webhooks", self.config().base_url.trim_end_matches('/'))),
        };
        let mut tx = self.store().begin().await?;
        let delivery = self.queue_webhook_delivery(&mut tx, id, &event, now).await?;
        tx.audit(&ctx.audit("webhook.ping", "webhook", id, json!({})), now).await?;
        tx.commit().await?;
        let d = self.store().webhook_delivery(delivery).await?.ok_or(AppError::NotFound)?;
        Ok(Self::delivery_view(&d))
    }

    /// Sends a failed or abandoned delivery again, from its first try.
    pub async fn retry_webhook_delivery(self, ctx: &Ctx, delivery: Uuid) -> AppResult<DeliveryView> {
        ctx.require(&[Role::Admin])?;
        let d = self.store().webhook_delivery(delivery).await?.ok_or(AppError::NotFound)?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.reset_webhook_delivery(d.id).await? {
            return Err(AppError::conflict(
                "WEBHOOK_DELIVERY_NOT_FAILED",
                Text::new("problem.webhook_delivery_not_failed"),
            ));
        }
        self.queue_webhook_job(&mut tx, d.id, &format!("{DELIVER_WEBHOOK}:{}:{now}", d.id), now).await?;
        tx.audit(
            &ctx.audit("webhook.retry", "webhook_delivery", d.id, json!({ "webhook": d.webhook_id })),
            now,
        )
        .await?;
        tx.commit().await?;
        let d = self.store().webhook_delivery(d.id).await?.ok_or(AppError::NotFound)?;
        Ok(Self::delivery_view(&d))
    }

    async fn queue_webhook_job(self, tx: &mut Tx, delivery: Uuid, dedup: &str, now: i64) -> AppResult<()> {
        tx.enqueue(
            &NewJob {
                kind: DELIVER_WEBHOOK.into(),
                payload: json!({ "delivery_id": delivery }).to_string(),
                run_at: now,
                max_attempts: ATTEMPTS,
                dedup_key: Some(dedup.to_owned()),
            },
            now,
        )
        .await?;
        Ok(())
    }

    async fn queue_webhook_delivery(
        self,
        tx: &mut Tx,
        webhook: Uuid,
        event: &Event,
        now: i64,
    ) -> AppResult<Uuid> {
        let id = new_id();
        tx.insert_webhook_delivery(&WebhookDeliveryRow {
            id,
            webhook_id: webhook,
            event: event.kind.clone(),
            payload: serde_json::to_string(event)?,
            state: "pending".into(),
            attempts: 0,
            response_status: None,
            response: String::new(),
            created_at: now,
            attempted_at: None,
            delivered_at: None,
        })
        .await?;
        self.queue_webhook_job(tx, id, &format!("{DELIVER_WEBHOOK}:{id}"), now).await?;
        Ok(id)
    }

    /// Raises an event in the caller's transaction: one delivery for each active webhook that
    /// takes its kind.
    pub(crate) async fn emit(
        self,
        tx: &mut Tx,
        kind: &str,
        data: Value,
        summary: Summary,
        link: Option<String>,
    ) -> AppResult<()> {
        let hooks = tx.active_webhooks().await?;
        let hooks: Vec<&WebhookRow> = hooks.iter().filter(|h| takes(&h.events, kind)).collect();
        if hooks.is_empty() {
            return Ok(());
        }
        let now = self.now_us();
        let event = Event { id: new_id(), kind: kind.into(), timestamp: rfc3339(now), data, summary, link };
        for h in hooks {
            self.queue_webhook_delivery(tx, h.id, &event, now).await?;
        }
        Ok(())
    }

    /// An order changed state: the event for the operator's systems.
    pub(crate) async fn emit_order_state(
        self,
        tx: &mut Tx,
        row: &beian_store::OrderRow,
        to: &str,
    ) -> AppResult<()> {
        // The states as the pages name them: one catalogue (`crate::i18n`).
        let short = &row.id.simple().to_string()[..8];
        let summary = summary("webhook.summary.order_state", |lang| {
            let word = |key: String| Msgs::of(lang).get(&key).to_owned();
            vec![
                ("short", short.to_owned()),
                ("kind", word(format!("kind.{}", row.kind))),
                ("from", word(format!("state.{}", row.state))),
                ("to", word(format!("state.{to}"))),
            ]
        });
        let data = json!({
            "order_id": row.id,
            "kind": row.kind,
            "province": row.province,
            "from": row.state,
            "to": to,
        });
        let link = format!("{}/review/orders/{}", self.config().base_url.trim_end_matches('/'), row.id);
        self.emit(tx, "order.state_changed", data, summary, Some(link)).await
    }

    /// A PSB application changed state from `from` (nothing when it did not, or `from` is
    /// `None`).
    pub(crate) async fn emit_psb_state(
        self,
        tx: &mut Tx,
        row: &beian_store::PsbApplicationRow,
        from: Option<&str>,
    ) -> AppResult<()> {
        let Some(from) = from.filter(|f| *f != row.state) else { return Ok(()) };
        let summary = summary("webhook.summary.psb_state", |lang| {
            let word = |key: String| Msgs::of(lang).get(&key).to_owned();
            vec![
                ("icp", row.icp_number.clone()),
                ("from", word(format!("psb.state.{from}"))),
                ("to", word(format!("psb.state.{}", row.state))),
            ]
        });
        let data = json!({
            "application_id": row.id,
            "icp_number": row.icp_number,
            "psb_number": row.psb_number,
            "from": from,
            "to": row.state,
        });
        self.emit(tx, "psb.state_changed", data, summary, None).await
    }

    /// A filed site newly failing its footer check.
    pub(crate) async fn emit_site_failing(
        self,
        tx: &mut Tx,
        number: &str,
        domain: &str,
        verdict: &str,
        codes: &[&str],
    ) -> AppResult<()> {
        let summary = summary("webhook.summary.site_failing", |lang| {
            vec![("domain", domain.to_owned()), ("number", number.to_owned()), ("codes", listed(lang, codes))]
        });
        let data = json!({ "number": number, "domain": domain, "verdict": verdict, "codes": codes });
        self.emit(tx, "site.compliance_failed", data, summary, None).await
    }

    /// A duty the bureau handed down: a new case in the unfiled list (`page` `unfiled`) or a
    /// verification item (`verifications`), about `domains`.
    pub(crate) async fn emit_duty(
        self,
        tx: &mut Tx,
        kind: &str,
        domains: &[&str],
        page: &str,
    ) -> AppResult<()> {
        let key = match kind {
            "duty.unfiled_listed" => "webhook.summary.duty.unfiled_listed",
            _ => "webhook.summary.duty.verification_task",
        };
        let summary = summary(key, |lang| vec![("domains", listed(lang, domains))]);
        let link = format!("{}/admin/{page}", self.config().base_url.trim_end_matches('/'));
        self.emit(tx, kind, json!({ "domains": domains }), summary, Some(link)).await
    }

    /// Posts one delivery (the `deliver_webhook` job). Idempotent: a delivery delivered,
    /// abandoned or deleted is not sent again.
    pub async fn deliver_webhook(self, payload: &str) -> anyhow::Result<()> {
        let p: DeliveryPayload = serde_json::from_str(payload)?;
        let store = self.store();
        let Some(d) = store.webhook_delivery(p.delivery_id).await? else { return Ok(()) };
        if !matches!(d.state.as_str(), "pending" | "failing") {
            return Ok(());
        }
        let Some(w) = store.webhook(d.webhook_id).await? else { return Ok(()) };
        let now = self.now_us();
        if !w.active {
            let (zh, en) = Msgs::both("webhook.turned_off");
            store.record_webhook_attempt(d.id, "gave_up", None, &format!("{zh} / {en}"), now).await?;
            return Ok(());
        }
        let format =
            Format::parse(&w.format).ok_or_else(|| anyhow::anyhow!("unknown format {}", w.format))?;
        let url = String::from_utf8(self.keys().decrypt(&url_aad(w.id), &w.url)?)?;
        let secret = w.secret.as_ref().map(|s| self.keys().decrypt(&secret_aad(w.id), s)).transpose()?;
        let secret = secret.map(String::from_utf8).transpose()?;
        let event: Event = serde_json::from_str(&d.payload)?;
        let req = format::request(format, &url, secret.as_deref(), d.id, &event, now.div_euclid(1000));
        let mut rb = self.webhook_client()?.post(&req.url).body(req.body);
        for (k, v) in &req.headers {
            rb = rb.header(*k, v);
        }
        let (status, outcome) = match rb.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                let shown: String = body.chars().take(300).collect();
                (
                    Some(i64::from(status)),
                    format::taken(format, status, &body)
                        .map(|_| shown.clone())
                        .map_err(|e| format!("{e}: {shown}")),
                )
            }
            // reqwest's error names the address, which may carry a robot's key: say what failed only.
            Err(e) => (
                None,
                Err(if e.is_timeout() {
                    "timed out".into()
                } else if e.is_connect() {
                    "could not connect".into()
                } else {
                    "request failed".into()
                }),
            ),
        };
        let attempts = d.attempts + 1;
        let state = match &outcome {
            Ok(_) => "delivered",
            Err(_) if attempts >= ATTEMPTS => "gave_up",
            Err(_) => "failing",
        };
        let response = match &outcome {
            Ok(s) | Err(s) => crate::redact::redact_pii(s),
        };
        store.record_webhook_attempt(d.id, state, status, &response, now).await?;
        outcome.map(|_| ()).map_err(|e| anyhow::anyhow!("webhook “{}”: {e}", w.name))
    }
}

impl App {
    fn webhook_client(&self) -> anyhow::Result<&reqwest::Client> {
        if let Some(c) = self.inner.webhook_client.get() {
            return Ok(c);
        }
        let c = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("beian-webhooks")
            .no_proxy()
            .build()?;
        Ok(self.inner.webhook_client.get_or_init(|| c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_robot_token_in_the_path_is_not_shown() {
        let u = reqwest::Url::parse("https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123?x=1")
            .unwrap();
        assert_eq!(shown(&u), "https://open.feishu.cn/open-apis/bot/v2/hook/0123…");
        let u = reqwest::Url::parse("http://127.0.0.1:9000/cgi-bin/webhook/send?key=secret").unwrap();
        assert_eq!(shown(&u), "http://127.0.0.1:9000/cgi-bin/webhook/send");
    }

    #[test]
    fn events_are_known_kinds_and_all_by_default() {
        assert_eq!(events_field(&[]).unwrap(), vec!["*"]);
        assert_eq!(events_field(&["ping".into(), "*".into()]).unwrap(), vec!["*"]);
        assert_eq!(
            events_field(&[
                "site.compliance_failed".into(),
                "order.state_changed".into(),
                "order.state_changed".into()
            ])
            .unwrap(),
            vec!["order.state_changed", "site.compliance_failed"]
        );
        let Err(AppError::Validation(e)) =
            events_field(&["order.state_changed".into(), "order.deleted".into()])
        else {
            panic!("an unknown kind is refused")
        };
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("events[1]", "WEBHOOK_EVENT_UNKNOWN"));
        assert!(takes(r#"["*"]"#, "order.state_changed"));
        assert!(!takes(r#"["*"]"#, "ping"));
        assert!(!takes(r#"["site.compliance_failed"]"#, "order.state_changed"));
    }
}
