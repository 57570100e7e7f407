//! Named settings with a version (the provider profile, the holiday calendar), edited under
//! `If-Match`.

use sqlx::FromRow;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SettingRow {
    pub name: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
}

impl Tx {
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
}

impl Store {
    pub async fn setting(&self, name: &str) -> Result<Option<SettingRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, SettingRow>(
            "SELECT name, value, version, updated_at FROM settings WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(c)
        .await?))
    }
}
