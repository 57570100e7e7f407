//! Webhooks, their delivery log, and further notification recipients per account (migration
//! 0020). Addresses and secrets arrive here encrypted; nothing here reads them.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

/// A webhook: where events are posted, and how.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WebhookRow {
    pub id: Uuid,
    pub name: String,
    /// The address, encrypted (AAD `webhooks/<id>/url`).
    pub url: Vec<u8>,
    /// The address without its query, for lists.
    pub url_shown: String,
    /// `json`, `wecom`, `dingtalk` or `feishu`.
    pub format: String,
    /// The signing secret, encrypted (AAD `webhooks/<id>/secret`).
    pub secret: Option<Vec<u8>>,
    /// The event kinds it takes, a JSON list (`"*"` for all).
    pub events: String,
    pub active: bool,
    pub created_by: Uuid,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One event for one webhook, and how its delivery went.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WebhookDeliveryRow {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    /// The event as JSON (no personal data: ids, states, numbers, domains).
    pub payload: String,
    /// `pending`, `failing`, `delivered` or `gave_up`.
    pub state: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub response: String,
    pub created_at: i64,
    pub attempted_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

/// A further recipient of an account's notifications.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RecipientRow {
    pub id: Uuid,
    pub account_id: Uuid,
    /// Encrypted (AAD `account_recipients/<id>`).
    pub email: Vec<u8>,
    pub email_index: Vec<u8>,
    pub email_masked: String,
    pub label: String,
    pub created_at: i64,
}

macro_rules! hooks {
    () => {
        "SELECT id, name, url, url_shown, format, secret, events, active, created_by, created_at, updated_at FROM webhooks"
    };
}
macro_rules! deliveries {
    () => {
        "SELECT id, webhook_id, event, payload, state, attempts, response_status, response, created_at, attempted_at, \
         delivered_at FROM webhook_deliveries"
    };
}
macro_rules! recipients {
    () => {
        "SELECT id, account_id, email, email_index, email_masked, label, created_at FROM account_recipients"
    };
}

impl Tx {
    pub async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO webhooks (id, name, url, url_shown, format, secret, events, active, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(w.id)
        .bind(&w.name)
        .bind(&w.url)
        .bind(&w.url_shown)
        .bind(&w.format)
        .bind(&w.secret)
        .bind(&w.events)
        .bind(w.active)
        .bind(w.created_by)
        .bind(w.created_at)
        .bind(w.updated_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Turns a webhook on or off and changes the events it takes. False when it is gone.
    pub async fn update_webhook(&mut self, id: Uuid, active: bool, events: &str, now: i64) -> Result<bool> {
        Ok(
            on!(tx self, |c| sqlx::query("UPDATE webhooks SET active = $2, events = $3, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(active)
            .bind(events)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected())
                == 1,
        )
    }

    /// Deletes a webhook and its delivery log (their jobs find nothing and end).
    pub async fn delete_webhook(&mut self, id: Uuid) -> Result<bool> {
        on!(tx self, |c| sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1").bind(id).execute(c).await?.rows_affected());
        Ok(
            on!(tx self, |c| sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(c).await?.rows_affected())
                == 1,
        )
    }

    /// The active webhooks, read inside the transaction that raises an event.
    pub async fn active_webhooks(&mut self) -> Result<Vec<WebhookRow>> {
        const SQL: &str = concat!(hooks!(), " WHERE active ORDER BY created_at, id");
        Ok(on!(tx self, |c| sqlx::query_as::<_, WebhookRow>(SQL).fetch_all(c).await?))
    }

    pub async fn insert_webhook_delivery(&mut self, d: &WebhookDeliveryRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, state, attempts, response_status, response, \
             created_at, attempted_at, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(d.id)
        .bind(d.webhook_id)
        .bind(&d.event)
        .bind(&d.payload)
        .bind(&d.state)
        .bind(d.attempts)
        .bind(d.response_status)
        .bind(&d.response)
        .bind(d.created_at)
        .bind(d.attempted_at)
        .bind(d.delivered_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Puts a delivery that gave up (or failed) back to pending, for a retry by hand. False
    /// when it was delivered or is gone.
    pub async fn reset_webhook_delivery(&mut self, id: Uuid) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0 WHERE id = $1 AND state IN ('failing', 'gave_up')",
        )
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    pub async fn insert_recipient(&mut self, r: &RecipientRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO account_recipients (id, account_id, email, email_index, email_masked, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id)
        .bind(r.account_id)
        .bind(&r.email)
        .bind(&r.email_index)
        .bind(&r.email_masked)
        .bind(&r.label)
        .bind(r.created_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Removes an account's recipient. False when the account has no such recipient.
    pub async fn delete_recipient(&mut self, account_id: Uuid, id: Uuid) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query("DELETE FROM account_recipients WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .execute(c)
            .await?
            .rows_affected())
            == 1)
    }

    /// The further recipients of the account signed in as `email`, read inside the transaction
    /// that notifies it.
    pub async fn recipients_of_email(&mut self, email: &str) -> Result<Vec<RecipientRow>> {
        const SQL: &str = "SELECT r.id, r.account_id, r.email, r.email_index, r.email_masked, r.label, r.created_at \
             FROM account_recipients r JOIN accounts a ON a.id = r.account_id WHERE a.email = $1 ORDER BY r.created_at, r.id";
        Ok(on!(tx self, |c| sqlx::query_as::<_, RecipientRow>(SQL).bind(email).fetch_all(c).await?))
    }

    /// An account's further recipients, read inside the transaction that adds one.
    pub async fn recipients_in(&mut self, account_id: Uuid) -> Result<Vec<RecipientRow>> {
        const SQL: &str = concat!(recipients!(), " WHERE account_id = $1 ORDER BY created_at, id");
        Ok(on!(tx self, |c| sqlx::query_as::<_, RecipientRow>(SQL).bind(account_id).fetch_all(c).await?))
    }
}

impl Store {
    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        const SQL: &str = concat!(hooks!(), " ORDER BY created_at, id");
        Ok(on!(store self, |c| sqlx::query_as::<_, WebhookRow>(SQL).fetch_all(c).await?))
    }

    pub async fn webhook(&self, id: Uuid) -> Result<Option<WebhookRow>> {
        const SQL: &str = concat!(hooks!(), " WHERE id = $1");
        Ok(on!(store self, |c| sqlx::query_as::<_, WebhookRow>(SQL).bind(id).fetch_optional(c).await?))
    }

    pub async fn webhook_delivery(&self, id: Uuid) -> Result<Option<WebhookDeliveryRow>> {
        const SQL: &str = concat!(deliveries!(), " WHERE id = $1");
        Ok(
            on!(store self, |c| sqlx::query_as::<_, WebhookDeliveryRow>(SQL).bind(id).fetch_optional(c).await?),
        )
    }

    /// A webhook's deliveries, newest first.
    pub async fn webhook_deliveries(&self, webhook_id: Uuid, limit: i64) -> Result<Vec<WebhookDeliveryRow>> {
        const SQL: &str =
            concat!(deliveries!(), " WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
        Ok(on!(store self, |c| sqlx::query_as::<_, WebhookDeliveryRow>(SQL)
            .bind(webhook_id)
            .bind(limit)
            .fetch_all(c)
            .await?))
    }

    /// Records one attempt: its outcome (`delivered`, `failing` or `gave_up`), the answer's
    /// status and start. Only a delivery still waiting moves.
    pub async fn record_webhook_attempt(
        &self,
        id: Uuid,
        state: &str,
        status: Option<i64>,
        response: &str,
        now: i64,
    ) -> Result<bool> {
        Ok(on!(store self, |c| sqlx::query(
            "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, response_status = $3, response = $4, \
             attempted_at = $5, delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END \
             WHERE id = $1 AND state IN ('pending', 'failing')",
        )
        .bind(id)
        .bind(state)
        .bind(status)
        .bind(response)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    pub async fn recipients(&self, account_id: Uuid) -> Result<Vec<RecipientRow>> {
        const SQL: &str = concat!(recipients!(), " WHERE account_id = $1 ORDER BY created_at, id");
        Ok(on!(store self, |c| sqlx::query_as::<_, RecipientRow>(SQL).bind(account_id).fetch_all(c).await?))
    }
}
