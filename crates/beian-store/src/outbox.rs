//! The message outbox: every e-mail and text message, with its recipient encrypted by the
//! application, its status and its error; daily caps count from here.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

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
