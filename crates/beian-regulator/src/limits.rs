//! Attempt limits held in the database, so they hold across regulator processes: bureau
//! sign-ins per account and per client address, and SMS entries per client address (a caller
//! who knows people's mobiles could otherwise spend every order's five wrong entries).

use beian_store::{StoreError, on};

use crate::RegulatorStore;

/// The window every limit counts in (microseconds): 15 minutes.
pub const WINDOW_US: i64 = 15 * 60 * 1_000_000;

/// Sign-ins per account, per address, and SMS entries per address, in one window.
pub const LOGINS_PER_ACCOUNT: i64 = 10;
pub const LOGINS_PER_ADDRESS: i64 = 30;
pub const SMS_ENTRIES_PER_ADDRESS: i64 = 60;

impl RegulatorStore {
    /// Counts one attempt under `key`; false when `max` attempts were already counted in this
    /// window (the attempt is refused and not counted).
    pub async fn allow(&self, key: &str, max: i64, now: i64) -> Result<bool, StoreError> {
        let window = now - now.rem_euclid(WINDOW_US);
        let mut tx = self.begin().await?;
        let count: i64 = on!(tx &mut tx, |c| sqlx::query_scalar(
            "INSERT INTO reg_rate_limits (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET count = reg_rate_limits.count + 1 RETURNING count",
        )
        .bind(key)
        .bind(window)
        .fetch_one(c)
        .await?);
        if count > max {
            drop(tx);
            return Ok(false);
        }
        on!(tx &mut tx, |c| sqlx::query("DELETE FROM reg_rate_limits WHERE window_start < $1")
            .bind(window - WINDOW_US)
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(true)
    }

    /// Counts a sign-in attempt for `username` from `ip` (both counters move); false when either
    /// limit is reached.
    pub async fn allow_login(&self, username: &str, ip: Option<&str>, now: i64) -> Result<bool, StoreError> {
        let account = self.allow(&format!("login:{username}"), LOGINS_PER_ACCOUNT, now).await?;
        let address =
            self.allow(&format!("login-ip:{}", ip.unwrap_or_default()), LOGINS_PER_ADDRESS, now).await?;
        Ok(account && address)
    }
}
