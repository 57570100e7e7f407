//! The append-only audit log: every state change and every view of a document or of
//! unmasked PII. There is no update or delete in this module, by design.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, new_id, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// JSON without PII.
    pub detail: String,
}

/// An audit event to record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewAudit {
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
}

impl Tx {
    pub async fn audit(&mut self, a: &NewAudit, at: i64) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO audit_events (id, at, actor_id, actor_role, action, object_type, object_id, ip, request_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(at)
        .bind(a.actor_id)
        .bind(&a.actor_role)
        .bind(&a.action)
        .bind(&a.object_type)
        .bind(&a.object_id)
        .bind(&a.ip)
        .bind(&a.request_id)
        .bind(&a.detail)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

impl Store {
    /// Records an audit event on its own (views, failed logins: nothing else is written).
    pub async fn audit(&self, a: &NewAudit, at: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.audit(a, at).await?;
        tx.commit().await
    }

    /// Audit events in order after the cursor, optionally for one object.
    pub async fn audit_events(
        &self,
        object: Option<(&str, &str)>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let (ty, id) = object.map_or((None, None), |(t, i)| (Some(t), Some(i)));
        Ok(on!(store self, |c| sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_id, actor_role, action, object_type, object_id, ip, request_id, detail FROM audit_events
             WHERE ($1 IS NULL OR object_type = $1) AND ($2 IS NULL OR object_id = $2) AND ($3 IS NULL OR id > $3)
             ORDER BY id LIMIT $4",
        )
        .bind(ty)
        .bind(id)
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// The same entries newest first, before the entry `before` (the admin page's view).
    pub async fn audit_events_newest(
        &self,
        object: Option<(&str, &str)>,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let (ty, id) = object.map_or((None, None), |(t, i)| (Some(t), Some(i)));
        Ok(on!(store self, |c| sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_id, actor_role, action, object_type, object_id, ip, request_id, detail FROM audit_events
             WHERE ($1 IS NULL OR object_type = $1) AND ($2 IS NULL OR object_id = $2) AND ($3 IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $4",
        )
        .bind(ty)
        .bind(id)
        .bind(before)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }
}
