//! Read-only aggregates for the admin dashboard: orders per state, the state changes of a
//! period (to time each stage), the reasons of returns, and footer scans. Each query is
//! bounded by a row limit, so a dashboard over a large table costs a known amount; the app
//! caches the result.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, on};

/// One state change: which order, when, and the state it left.
#[derive(Debug, Clone, FromRow)]
pub struct StageEvent {
    pub order_id: Uuid,
    pub at: i64,
    pub from_state: String,
    pub event: String,
}

/// One footer scan's verdict.
#[derive(Debug, Clone, FromRow)]
pub struct ScanVerdict {
    pub number: String,
    pub scanned_at: i64,
    pub verdict: String,
}

impl Store {
    /// How many orders are in each state.
    pub async fn orders_by_state(&self) -> Result<Vec<(String, i64)>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, (String, i64)>(
            "SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state",
        )
        .fetch_all(c)
        .await?))
    }

    /// The state changes since `since` (unix µs), per order in time order, at most `limit`.
    pub async fn stage_events_since(&self, since: i64, limit: i64) -> Result<Vec<StageEvent>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, StageEvent>(
            "SELECT order_id, at, from_state, event FROM order_events WHERE at > $1 ORDER BY order_id, at LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// The details (JSON with `review_findings`) of the returns since `since`, at most `limit`.
    pub async fn return_details_since(&self, since: i64, limit: i64) -> Result<Vec<String>> {
        Ok(on!(store self, |c| sqlx::query_scalar::<_, String>(
            "SELECT detail FROM order_events WHERE event = 'reject' AND at > $1 ORDER BY at DESC LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// Footer scans since `since`, at most `limit`.
    pub async fn scan_verdicts_since(&self, since: i64, limit: i64) -> Result<Vec<ScanVerdict>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, ScanVerdict>(
            "SELECT number, scanned_at, verdict FROM site_scans WHERE scanned_at > $1 ORDER BY scanned_at LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }
}
