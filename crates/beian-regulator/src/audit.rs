//! The regulator's append-only audit log: who did what to which object, and how it ended.
//! Entries are written in the transaction of the change they describe; a refused request gets
//! its own. Never holds PII: objects are ids, actors are provider codes or account names.

use beian_store::{StoreError, Tx, Uuid, on};

use crate::RegulatorStore;

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: Option<String>,
    /// `OK`, or the stable code of the refusal.
    pub outcome: String,
    pub ip: Option<String>,
}

/// Appends an entry.
pub async fn record(tx: &mut Tx, e: &AuditEntry) -> Result<(), StoreError> {
    let id: Uuid = beian_store::new_id();
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_audit (id, at, actor, action, object, outcome, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.object)
    .bind(&e.outcome)
    .bind(&e.ip)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

type Row = (i64, String, String, Option<String>, String, Option<String>);

impl RegulatorStore {
    /// The newest `limit` entries, newest first.
    pub async fn audit(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT at, actor, action, object, outcome, ip FROM reg_audit ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(c)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, object, outcome, ip)| AuditEntry {
                at,
                actor,
                action,
                object,
                outcome,
                ip,
            })
            .collect())
    }
}
