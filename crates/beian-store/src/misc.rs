//! Small tables: idempotency keys, rate-limit counters, settings (the provider profile),
//! IP pools and the message outbox.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

/// What reserving an `Idempotency-Key` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is this request's now: run it, then finish or release the key.
    Reserved,
    /// A request under the key has finished: its answer.
    Done(IdempotencyRow),
    /// A request under the key is running (its lease has not run out).
    Running { request_hash: Vec<u8> },
}

/// A stored response for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IdempotencyRow {
    pub request_hash: Vec<u8>,
    pub status: i64,
    pub body: Vec<u8>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SettingRow {
    pub name: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub channel: String,
    /// Encrypted by the application.
    pub recipient: Vec<u8>,
    pub recipient_masked: String,
    /// Blind index of the recipient (for daily caps).
    pub recipient_index: Option<Vec<u8>>,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub error: Option<String>,
}

pub type NewMessage = MessageRow;

impl Tx {
    /// Counts one hit in `key`'s window and returns the count so far.
    /// Messages on `channel` to the recipient with this blind index since `since` (daily caps).
    pub async fn count_messages_to(
        &mut self,
        channel: &str,
        recipient_index: &[u8],
        since: i64,
    ) -> Result<i64> {
        Ok(on!(tx self, |c| sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM messages WHERE channel = $1 AND recipient_index = $2 AND created_at >= $3 AND status <> 'capped'",
        )
        .bind(channel)
        .bind(recipient_index)
        .bind(since)
        .fetch_one(c)
        .await?))
    }

    pub async fn rate_limit_hit(&mut self, key: &str, window_start: i64) -> Result<i64> {
        self.rate_limit_add(key, window_start, 1).await
    }

    /// Adds `amount` to a counter of the window (bytes uploaded, say) and returns its total.
    pub async fn rate_limit_add(&mut self, key: &str, window_start: i64, amount: i64) -> Result<i64> {
        Ok(on!(tx self, |c| sqlx::query_scalar::<_, i64>(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, $3)
             ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + $3 RETURNING count",
        )
        .bind(key)
        .bind(window_start)
        .bind(amount)
        .fetch_one(c)
        .await?))
    }

    /// Writes a setting if its version is still `expected_version` (0 = must not exist yet).
    pub async fn put_setting(
        &mut self,
        name: &str,
        value: &str,
        expected_version: i64,
        now: i64,
    ) -> Result<bool> {
        let n = if expected_version == 0 {
            on!(tx self, |c| sqlx::query(
                "INSERT INTO settings (name, value, version, updated_at) VALUES ($1, $2, 1, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected())
        } else {
            on!(tx self, |c| sqlx::query(
                "UPDATE settings SET value = $2, version = version + 1, updated_at = $4 WHERE name = $1 AND version = $3",
            )
            .bind(name)
            .bind(value)
            .bind(expected_version)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected())
        };
        Ok(n == 1)
    }

    pub async fn insert_message(&mut self, m: &NewMessage) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO messages (id, channel, recipient, recipient_masked, subject, body, status, created_at, sent_at, error, recipient_index)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(m.id)
        .bind(&m.channel)
        .bind(&m.recipient)
        .bind(&m.recipient_masked)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.status)
        .bind(m.created_at)
        .bind(m.sent_at)
        .bind(&m.error)
        .bind(&m.recipient_index)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

impl Store {
    /// Reserves `key` of `account_id` for a request with `request_hash` until `lease_until`
    /// (unix microseconds), unless a request under it has finished or is still running. A
    /// reservation whose lease ran out (its holder died) is taken over. One transaction,
    /// committed before the request runs, so a concurrent duplicate on any instance sees it.
    pub async fn reserve_idempotency(
        &self,
        account_id: Uuid,
        key: &str,
        request_hash: &[u8],
        now: i64,
        lease_until: i64,
    ) -> Result<Reservation> {
        // A reservation released between our insert and our read leaves nothing to read:
        // try again, a bounded number of times.
        for _ in 0..3 {
            let mut tx = self.begin().await?;
            let inserted = on!(tx &mut tx, |c| sqlx::query(
                "INSERT INTO idempotency_keys (account_id, key, request_hash, status, body, created_at, lease_until)
                 VALUES ($1, $2, $3, 0, $4, $5, $6) ON CONFLICT (account_id, key) DO NOTHING",
            )
            .bind(account_id)
            .bind(key)
            .bind(request_hash)
            .bind(Vec::<u8>::new())
            .bind(now)
            .bind(lease_until)
            .execute(c)
            .await?
            .rows_affected());
            let taken_over = inserted == 0
                && on!(tx &mut tx, |c| sqlx::query(
                    "UPDATE idempotency_keys SET request_hash = $3, created_at = $4, lease_until = $5
                     WHERE account_id = $1 AND key = $2 AND status = 0 AND lease_until < $4",
                )
                .bind(account_id)
                .bind(key)
                .bind(request_hash)
                .bind(now)
                .bind(lease_until)
                .execute(c)
                .await?
                .rows_affected())
                    == 1;
            if inserted == 1 || taken_over {
                tx.commit().await?;
                return Ok(Reservation::Reserved);
            }
            let row: Option<IdempotencyRow> = on!(tx &mut tx, |c| sqlx::query_as::<_, IdempotencyRow>(
                "SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE account_id = $1 AND key = $2",
            )
            .bind(account_id)
            .bind(key)
            .fetch_optional(c)
            .await?);
            tx.commit().await?;
            match row {
                Some(r) if r.status == 0 => return Ok(Reservation::Running { request_hash: r.request_hash }),
                Some(r) => return Ok(Reservation::Done(r)),
                None => continue,
            }
        }
        Err(crate::StoreError::Conflict { what: "idempotency key".into() })
    }

    /// Stores the answer of the request holding `key`'s reservation. False when it no longer
    /// holds it (its lease ran out and another took the key).
    pub async fn finish_idempotency(
        &self,
        account_id: Uuid,
        key: &str,
        request_hash: &[u8],
        status: i64,
        body: &[u8],
        now: i64,
    ) -> Result<bool> {
        let n = on!(store self, |c| sqlx::query(
            "UPDATE idempotency_keys SET status = $4, body = $5, created_at = $6
             WHERE account_id = $1 AND key = $2 AND request_hash = $3 AND status = 0",
        )
        .bind(account_id)
        .bind(key)
        .bind(request_hash)
        .bind(status)
        .bind(body)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Gives a reserved key back (the request failed on the server's side and may be retried).
    pub async fn release_idempotency(&self, account_id: Uuid, key: &str, request_hash: &[u8]) -> Result<()> {
        on!(store self, |c| sqlx::query(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND request_hash = $3 AND status = 0",
        )
        .bind(account_id)
        .bind(key)
        .bind(request_hash)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn setting(&self, name: &str) -> Result<Option<SettingRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, SettingRow>(
            "SELECT name, value, version, updated_at FROM settings WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(c)
        .await?))
    }

    pub async fn message(&self, id: Uuid) -> Result<Option<MessageRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, MessageRow>(
            "SELECT id, channel, recipient, recipient_masked, recipient_index, subject, body, status, created_at, sent_at, error FROM messages WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    /// Messages of a channel, newest first, before the cursor (the outbox pages).
    pub async fn messages(&self, channel: &str, before: Option<Uuid>, limit: i64) -> Result<Vec<MessageRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, MessageRow>(
            "SELECT id, channel, recipient, recipient_masked, recipient_index, subject, body, status, created_at, sent_at, error FROM messages
             WHERE channel = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(channel)
        .bind(before)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// Marks a message sent (or failed with `error`).
    pub async fn mark_message(
        &self,
        id: Uuid,
        status: &str,
        sent_at: Option<i64>,
        error: Option<&str>,
    ) -> Result<()> {
        on!(store self, |c| sqlx::query("UPDATE messages SET status = $2, sent_at = $3, error = $4 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(sent_at)
            .bind(error)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Replaces a message's stored body (to take a secret out of it once it is sent).
    pub async fn set_message_body(&self, id: Uuid, body: &str) -> Result<()> {
        on!(store self, |c| sqlx::query("UPDATE messages SET body = $2 WHERE id = $1")
            .bind(id)
            .bind(body)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }
}

/// A rejection template.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TemplateRow {
    pub id: Uuid,
    pub field: String,
    pub error: String,
    pub suggestion: String,
    pub created_at: i64,
}

/// A filing service number and how much of its quota is used.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ServiceNumberRow {
    pub id: Uuid,
    pub code: String,
    pub instance: String,
    pub quota: i64,
    pub used: i64,
    pub created_at: i64,
}

impl Tx {
    pub async fn insert_template(&mut self, t: &TemplateRow) -> Result<()> {
        on!(tx self, |c| sqlx::query("INSERT INTO rejection_templates (id, field, error, suggestion, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t.id)
            .bind(&t.field)
            .bind(&t.error)
            .bind(&t.suggestion)
            .bind(t.created_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn update_template(&mut self, t: &TemplateRow) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query("UPDATE rejection_templates SET field = $2, error = $3, suggestion = $4 WHERE id = $1")
            .bind(t.id)
            .bind(&t.field)
            .bind(&t.error)
            .bind(&t.suggestion)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    pub async fn delete_template(&mut self, id: Uuid) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query("DELETE FROM rejection_templates WHERE id = $1").bind(id).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn insert_service_number(&mut self, s: &ServiceNumberRow) -> Result<()> {
        on!(tx self, |c| sqlx::query("INSERT INTO service_numbers (id, code, instance, quota, used, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(s.id)
            .bind(&s.code)
            .bind(&s.instance)
            .bind(s.quota)
            .bind(s.used)
            .bind(s.created_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Uses `n` of a service number's quota; false (and nothing written) if that would
    /// exceed it or the code does not exist.
    pub async fn use_service_number(&mut self, code: &str, n: i64) -> Result<bool> {
        let changed = on!(tx self, |c| sqlx::query("UPDATE service_numbers SET used = used + $2 WHERE code = $1 AND used + $2 <= quota")
            .bind(code)
            .bind(n)
            .execute(c)
            .await?
            .rows_affected());
        Ok(changed == 1)
    }
}

impl Store {
    pub async fn templates(&self) -> Result<Vec<TemplateRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, TemplateRow>(
            "SELECT id, field, error, suggestion, created_at FROM rejection_templates ORDER BY field, id",
        )
        .fetch_all(c)
        .await?))
    }

    pub async fn template(&self, id: Uuid) -> Result<Option<TemplateRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, TemplateRow>(
            "SELECT id, field, error, suggestion, created_at FROM rejection_templates WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    pub async fn service_numbers(&self) -> Result<Vec<ServiceNumberRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, ServiceNumberRow>(
            "SELECT id, code, instance, quota, used, created_at FROM service_numbers ORDER BY id",
        )
        .fetch_all(c)
        .await?))
    }
}
