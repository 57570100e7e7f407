//! Filing service numbers (备案服务号) and how much of each quota is used.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

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
    pub async fn service_numbers(&self) -> Result<Vec<ServiceNumberRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, ServiceNumberRow>(
            "SELECT id, code, instance, quota, used, created_at FROM service_numbers ORDER BY id",
        )
        .fetch_all(c)
        .await?))
    }
}
