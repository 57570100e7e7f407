//! The durable job queue: every side effect (mail, SMS, regulator submission) is a row here,
//! inserted in the transaction of the state change that causes it.
//!
//! A worker *claims* a job with a lease (`locked_until`) instead of holding a transaction
//! open while it runs, so a crashed worker's job reappears when the lease ends, and SQLite's
//! single writer is never blocked for a job's duration. On PostgreSQL the claim uses
//! `FOR UPDATE SKIP LOCKED`, so several `beian serve` processes never claim the same job; on
//! SQLite the claim runs inside `BEGIN IMMEDIATE`, which serializes claimers. Attempts are
//! counted at claim time, so a job that crashes its worker still uses up attempts.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, new_id, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    /// JSON with ids only — never PII.
    pub payload: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_until: Option<i64>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub dedup_key: Option<String>,
    pub dead: bool,
    pub created_at: i64,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub run_at: i64,
    pub max_attempts: i64,
    /// Jobs with the same key are enqueued once (periodic work, retried requests).
    pub dedup_key: Option<String>,
}

impl Tx {
    /// Enqueues a job in this transaction. Returns false when a job with the same
    /// `dedup_key` already exists.
    pub async fn enqueue(&mut self, j: &NewJob, now: i64) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, dedup_key, dead, created_at)
             VALUES ($1, $2, $3, $4, 0, $5, $6, FALSE, $7) ON CONFLICT (dedup_key) DO NOTHING",
        )
        .bind(new_id())
        .bind(&j.kind)
        .bind(&j.payload)
        .bind(j.run_at)
        .bind(j.max_attempts)
        .bind(&j.dedup_key)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Makes every job of `kind` that waits out a backoff after a failure due at `now` (not
    /// dead, not held by a worker): the peer they wait for answers again, or an admin asked to
    /// retry now. Attempts are kept. Jobs merely scheduled for later (a poll, an upload waiting
    /// for the bureau's hours) keep their time: they have no `last_error`.
    pub async fn wake_jobs(&mut self, kind: &str, now: i64) -> Result<u64> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE jobs SET run_at = $2 WHERE kind = $1 AND NOT dead AND run_at > $2 AND last_error IS NOT NULL AND (locked_until IS NULL OR locked_until < $2)",
        )
        .bind(kind)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()))
    }

    /// Puts a dead job back in the queue with fresh attempts (admin action).
    pub async fn revive_job(&mut self, id: Uuid, now: i64) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE jobs SET dead = FALSE, attempts = 0, run_at = $2, locked_until = NULL, locked_by = NULL WHERE id = $1 AND dead",
        )
        .bind(id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }
}

/// How a job run ended, as the runner reports it.
pub type JobOutcome = std::result::Result<(), String>;

/// Seconds before retry number `attempt` (1-based): `first`, doubling, capped at an hour.
pub fn backoff_secs(first: i64, attempt: i64) -> i64 {
    (first << (attempt.clamp(1, 20) - 1)).min(3600)
}

impl Store {
    /// One cycle of a job worker: claims the next due job (leased for `lease_us`), runs it,
    /// and deletes it on success or reschedules it after `backoff_secs(first_backoff,
    /// attempts)` — dead-lettering it once its attempts are used up. The error text is kept
    /// as `last_error`, so `run` must not put PII in it. Returns false when nothing was due.
    pub async fn run_one_job<F, Fut>(
        &self,
        worker: &str,
        now: i64,
        lease_us: i64,
        first_backoff_secs: i64,
        run: F,
    ) -> Result<bool>
    where
        F: FnOnce(JobRow) -> Fut,
        Fut: std::future::Future<Output = JobOutcome>,
    {
        let Some(job) = self.claim_job(worker, now, now + lease_us).await? else {
            return Ok(false);
        };
        let (id, kind, attempts, max_attempts) = (job.id, job.kind.clone(), job.attempts, job.max_attempts);
        match run(job).await {
            Ok(()) => {
                self.complete_job(id, worker).await?;
            }
            Err(error) => {
                let retry_at = (attempts < max_attempts)
                    .then(|| now + backoff_secs(first_backoff_secs, attempts) * 1_000_000);
                tracing::warn!(job = %id, kind = %kind, attempts, dead = retry_at.is_none(), "job failed: {error}");
                self.fail_job(id, worker, &error, retry_at).await?;
            }
        }
        Ok(true)
    }

    /// Claims the next runnable job for `worker` until `lease_until`.
    pub async fn claim_job(&self, worker: &str, now: i64, lease_until: i64) -> Result<Option<JobRow>> {
        match self {
            Store::Postgres(pool) => Ok(sqlx::query_as::<_, JobRow>(
                "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1
                 WHERE id = (SELECT id FROM jobs
                             WHERE NOT dead AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                             ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
                 RETURNING id, kind, payload, run_at, attempts, max_attempts, locked_until, locked_by, last_error, dedup_key, dead, created_at",
            )
            .bind(lease_until)
            .bind(worker)
            .bind(now)
            .fetch_optional(pool)
            .await?),
            Store::Sqlite(pool, _) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let job = sqlx::query_as::<_, JobRow>(
                    "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1
                     WHERE id = (SELECT id FROM jobs
                                 WHERE NOT dead AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                                 ORDER BY run_at, id LIMIT 1)
                     RETURNING id, kind, payload, run_at, attempts, max_attempts, locked_until, locked_by, last_error, dedup_key, dead, created_at",
                )
                .bind(lease_until)
                .bind(worker)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(job)
            }
        }
    }

    /// Removes a finished job, if `worker` still holds it.
    pub async fn complete_job(&self, id: Uuid, worker: &str) -> Result<bool> {
        let n = on!(store self, |c| sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
            .bind(id)
            .bind(worker)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records a failure: retried at `retry_at`, or dead-lettered when that is `None`.
    pub async fn fail_job(&self, id: Uuid, worker: &str, error: &str, retry_at: Option<i64>) -> Result<()> {
        on!(store self, |c| sqlx::query(
            "UPDATE jobs SET last_error = $3, locked_until = NULL, locked_by = NULL,
                    run_at = COALESCE($4, run_at), dead = ($4 IS NULL)
             WHERE id = $1 AND locked_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(error)
        .bind(retry_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Gives back every job `worker` holds (graceful shutdown), without counting the attempt.
    pub async fn release_jobs(&self, worker: &str) -> Result<u64> {
        Ok(on!(store self, |c| sqlx::query(
            "UPDATE jobs SET locked_until = NULL, locked_by = NULL, attempts = attempts - 1 WHERE locked_by = $1",
        )
        .bind(worker)
        .execute(c)
        .await?
        .rows_affected()))
    }

    /// Dead-lettered jobs, oldest first, for the admin page.
    pub async fn dead_jobs(&self, limit: i64) -> Result<Vec<JobRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, JobRow>(
            "SELECT id, kind, payload, run_at, attempts, max_attempts, locked_until, locked_by, last_error, dedup_key, dead, created_at
             FROM jobs WHERE dead ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// Jobs not yet dead, due or not (tests and the admin page).
    pub async fn pending_jobs(&self) -> Result<Vec<JobRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, JobRow>(
            "SELECT id, kind, payload, run_at, attempts, max_attempts, locked_until, locked_by, last_error, dedup_key, dead, created_at
             FROM jobs WHERE NOT dead ORDER BY run_at, id",
        )
        .fetch_all(c)
        .await?))
    }
}
