//! Rate-limit counters: hits per key and fixed window, shared by every instance.

use crate::{Result, Tx, on};

impl Tx {
    /// Counts one hit in `key`'s window and returns the count so far.
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
}
