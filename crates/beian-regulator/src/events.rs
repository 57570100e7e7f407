//! What happened to a submission, in order — the provider's view of the regulator.
//!
//! Every step (codes texted, a person verified, a wrong code, timeout, bureau review, approval
//! with numbers, rejection with reasons, withdrawal) appends an event with the next sequence
//! number and, in the same transaction, queues a `callback` job that pushes the events the
//! provider has not acknowledged to its callback URL (see [`crate::callbacks`]). The status API
//! returns the same events, so a provider can poll instead.
//!
//! This module must never put PII in an event: details name persons by their JSON path
//! (`subject.head`) and carry numbers and reasons, nothing more.

use beian_store::{NewJob, StoreError, Tx, Uuid, on};

use crate::RegulatorStore;

/// The job kind that pushes events to a provider.
pub const CALLBACK: &str = "callback";

/// Attempts before a callback is dead-lettered: with backoff capped at an hour, about four days.
pub const CALLBACK_MAX_ATTEMPTS: i64 = 100;

pub use beian_seam::wire::Event;

/// The value of `reg_submissions.channel` for a submission from a V3.0 upload: its provider
/// is told by result files (`crate::miit::results`), never by callbacks.
pub const MIIT_CHANNEL: &str = "miit";

/// The job that writes a V3.0 record's result file.
pub const MIIT_RESULT_JOB: &str = "miit_result";

/// Whether an event of this kind ends a V3.0 record's process (and so is handed down).
pub fn is_outcome(kind: &str) -> bool {
    matches!(kind, "approved" | "rejected" | "sms_timeout" | "sms_failed" | "withdrawn")
}

/// Appends an event and, in the caller's transaction, queues what tells the provider: a
/// callback for a submission that came over the JSON seam, a result file (see
/// [`crate::miit::results`]) when a V3.0 upload's record reaches its outcome. Returns the
/// event's sequence number.
pub async fn append(
    tx: &mut Tx,
    submission: Uuid,
    kind: &str,
    detail: serde_json::Value,
    now: i64,
) -> Result<i64, StoreError> {
    // The submission's status compare-and-set serializes writers of one submission, so the
    // next number cannot be taken twice; the primary key would refuse it anyway.
    let seq: i64 = on!(tx tx, |c| sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM reg_events WHERE submission_id = $1")
        .bind(submission)
        .fetch_one(c)
        .await?);
    let detail = detail.to_string();
    on!(tx tx, |c| sqlx::query("INSERT INTO reg_events (submission_id, seq, kind, detail, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(submission)
        .bind(seq)
        .bind(kind)
        .bind(&detail)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
    let channel: String = on!(tx tx, |c| sqlx::query_scalar("SELECT channel FROM reg_submissions WHERE id = $1")
        .bind(submission)
        .fetch_one(c)
        .await?);
    let job = match channel.as_str() {
        MIIT_CHANNEL if is_outcome(kind) => MIIT_RESULT_JOB,
        MIIT_CHANNEL => return Ok(seq),
        _ => CALLBACK,
    };
    tx.enqueue(
        &NewJob {
            kind: job.into(),
            payload: serde_json::json!({ "submission": submission, "seq": seq }).to_string(),
            run_at: now,
            max_attempts: CALLBACK_MAX_ATTEMPTS,
            dedup_key: Some(format!("{job}:{submission}:{seq}")),
        },
        now,
    )
    .await?;
    Ok(seq)
}

type EventRow = (i64, String, i64, String);

fn from_row((seq, kind, at, detail): EventRow) -> Event {
    Event { seq, kind, at, detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null) }
}

impl RegulatorStore {
    /// The events of a submission after `after`, oldest first.
    pub async fn events(&self, submission: Uuid, after: i64) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT seq, kind, at, detail FROM reg_events WHERE submission_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(submission)
        .bind(after)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(from_row).collect())
    }
}
