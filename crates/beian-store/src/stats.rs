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

/// The job queue, per kind of job.
#[derive(Debug, Clone, FromRow)]
pub struct JobStat {
    pub kind: String,
    /// Jobs waiting or running (not dead).
    pub pending: i64,
    /// Jobs whose attempts are used up.
    pub dead: i64,
    /// Pending jobs whose last attempt failed (waiting out a backoff).
    pub failing: i64,
    /// The earliest `run_at` among pending jobs (unix µs).
    pub oldest_run_at: Option<i64>,
}

impl Store {
    /// The job queue per kind (the metrics endpoint).
    pub async fn job_stats(&self) -> Result<Vec<JobStat>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, JobStat>(
            "SELECT kind,
                    SUM(CASE WHEN dead THEN 0 ELSE 1 END) AS pending,
                    SUM(CASE WHEN dead THEN 1 ELSE 0 END) AS dead,
                    SUM(CASE WHEN NOT dead AND last_error IS NOT NULL THEN 1 ELSE 0 END) AS failing,
                    MIN(CASE WHEN dead THEN NULL ELSE run_at END) AS oldest_run_at
             FROM jobs GROUP BY kind ORDER BY kind",
        )
        .fetch_all(c)
        .await?))
    }

    /// When the longest-waiting order in `state` entered it (unix µs), if any is there.
    pub async fn oldest_in_state(&self, state: &str) -> Result<Option<i64>> {
        Ok(on!(store self, |c| sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(stage_since) FROM orders WHERE state = $1",
        )
        .bind(state)
        .fetch_one(c)
        .await?))
    }

    /// How many filed sites' newest scan has each verdict.
    pub async fn latest_scan_verdicts(&self) -> Result<Vec<(String, i64)>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, (String, i64)>(
            "SELECT verdict, COUNT(*) FROM (
                 SELECT verdict, ROW_NUMBER() OVER (PARTITION BY number ORDER BY scanned_at DESC, id DESC) AS rn
                 FROM site_scans) t
             WHERE rn = 1 GROUP BY verdict ORDER BY verdict",
        )
        .fetch_all(c)
        .await?))
    }

    /// PSB applications without a number: all of them, and those live on or before `live_by`
    /// (YYYY-MM-DD: past the 30-day deadline when that is thirty days ago).
    pub async fn unfiled_psb_counts(&self, live_by: &str) -> Result<(i64, i64)> {
        Ok(on!(store self, |c| sqlx::query_as::<_, (i64, i64)>(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN go_live <= $1 THEN 1 ELSE 0 END), 0)
             FROM psb_applications WHERE state <> 'approved'",
        )
        .bind(live_by)
        .fetch_one(c)
        .await?))
    }

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
