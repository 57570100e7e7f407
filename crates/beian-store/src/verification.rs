//! The bureau's verification tasks (`HSRW`) and inspection results (`HCJG`) as reviewer work
//! items (migration 0018).

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

/// A work item: a verification task or an inspection result.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct VerificationTaskRow {
    pub id: Uuid,
    /// `task` or `inspection`.
    pub kind: String,
    /// The task's subject by the bureau's id (`Ztid`).
    pub bureau_subject_id: Option<i64>,
    /// Its websites' domains, a JSON list.
    pub domains: String,
    /// The entry as received (XML), encrypted (AAD `verification_tasks/<id>`).
    pub data: Vec<u8>,
    pub file_name: String,
    pub received_at: i64,
    /// `open`, `answered`, `accepted`, `refused` (a task) or `acknowledged` (an inspection).
    pub state: String,
    pub passed: Option<bool>,
    pub opinion: String,
    /// The last live check (JSON, '' before the first).
    pub checks: String,
    pub checked_at: Option<i64>,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<i64>,
    pub upload_seq: Option<i64>,
    /// The bureau's answer to the answer: `code detail` lines.
    pub result: String,
    pub updated_at: i64,
}

/// A work item as the list reads it: with the subject of ours it is about, when known.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ListedTaskRow {
    #[sqlx(flatten)]
    pub task: VerificationTaskRow,
    pub subject_id: Option<Uuid>,
}

macro_rules! task_cols {
    () => {
        "t.id, t.kind, t.bureau_subject_id, t.domains, t.data, t.file_name, t.received_at, t.state, t.passed, \
         t.opinion, t.checks, t.checked_at, t.handled_by, t.handled_at, t.upload_seq, t.result, t.updated_at"
    };
}

/// The list's columns and joins: the task and our subject the bureau's id names.
macro_rules! listed_from {
    () => {
        concat!(
            task_cols!(),
            ", f.subject_id FROM verification_tasks t LEFT JOIN miit_on_file f ON f.bureau_subject_id = t.bureau_subject_id"
        )
    };
}

impl Tx {
    /// Keeps a work item, or — an open task for the same subject received again — refreshes
    /// the one there with the new data. True when it is new.
    pub async fn open_verification_task(&mut self, r: &VerificationTaskRow) -> Result<bool> {
        let id: Uuid = on!(tx self, |c| sqlx::query_scalar(
            "INSERT INTO verification_tasks (id, kind, bureau_subject_id, domains, data, file_name, received_at, state, \
             passed, opinion, checks, checked_at, handled_by, handled_at, upload_seq, result, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (kind, bureau_subject_id) WHERE state = 'open' DO UPDATE SET domains = excluded.domains, \
             data = excluded.data, file_name = excluded.file_name, updated_at = excluded.updated_at RETURNING id",
        )
        .bind(r.id)
        .bind(&r.kind)
        .bind(r.bureau_subject_id)
        .bind(&r.domains)
        .bind(&r.data)
        .bind(&r.file_name)
        .bind(r.received_at)
        .bind(&r.state)
        .bind(r.passed)
        .bind(&r.opinion)
        .bind(&r.checks)
        .bind(r.checked_at)
        .bind(r.handled_by)
        .bind(r.handled_at)
        .bind(r.upload_seq)
        .bind(&r.result)
        .bind(r.updated_at)
        .fetch_one(c)
        .await?);
        Ok(id == r.id)
    }

    /// The open task about a subject, if one is: a task received again refreshes it, and its
    /// data is sealed under that task's id.
    pub async fn open_verification_task_id(
        &mut self,
        kind: &str,
        bureau_subject_id: i64,
    ) -> Result<Option<Uuid>> {
        Ok(on!(tx self, |c| sqlx::query_scalar(
            "SELECT id FROM verification_tasks WHERE kind = $1 AND bureau_subject_id = $2 AND state = 'open'",
        )
        .bind(kind)
        .bind(bureau_subject_id)
        .fetch_optional(c)
        .await?))
    }

    pub async fn verification_task(&mut self, id: Uuid) -> Result<Option<VerificationTaskRow>> {
        const SQL: &str = concat!("SELECT ", task_cols!(), " FROM verification_tasks t WHERE t.id = $1");
        Ok(on!(tx self, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await?))
    }

    /// Closes an open item: a task answered (its HSJG in upload `upload_seq`) or an inspection
    /// acknowledged. False when it is no longer open (a concurrent answer won).
    #[allow(clippy::too_many_arguments)]
    pub async fn close_verification_task(
        &mut self,
        id: Uuid,
        state: &str,
        passed: Option<bool>,
        opinion: &str,
        by: Uuid,
        upload_seq: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE verification_tasks SET state = $1, passed = $2, opinion = $3, handled_by = $4, handled_at = $5, \
             upload_seq = $6, updated_at = $5 WHERE id = $7 AND state = 'open'",
        )
        .bind(state)
        .bind(passed)
        .bind(opinion)
        .bind(by)
        .bind(now)
        .bind(upload_seq)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    /// The bureau's answer to an answered task: `accepted`, or `refused` with its codes (a
    /// refusal may follow the file's acceptance).
    pub async fn settle_verification_task(
        &mut self,
        id: Uuid,
        state: &str,
        result: &str,
        now: i64,
    ) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE verification_tasks SET state = $1, result = $2, updated_at = $3 WHERE id = $4 AND state IN ('answered', 'accepted')",
        )
        .bind(state)
        .bind(result)
        .bind(now)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }
}

impl Store {
    /// Items in `state` (every state when `None`), oldest first, at most `limit`.
    pub async fn verification_tasks(&self, state: Option<&str>, limit: i64) -> Result<Vec<ListedTaskRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            listed_from!(),
            " WHERE (CAST($1 AS TEXT) IS NULL OR t.state = $1) ORDER BY t.received_at, t.id LIMIT $2"
        );
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(state).bind(limit).fetch_all(c).await?))
    }

    /// One item as the list shows it.
    pub async fn listed_verification_task(&self, id: Uuid) -> Result<Option<ListedTaskRow>> {
        const SQL: &str = concat!("SELECT ", listed_from!(), " WHERE t.id = $1");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await?))
    }

    /// Records the last live check of an item.
    pub async fn set_verification_checks(&self, id: Uuid, checks: &str, now: i64) -> Result<()> {
        on!(store self, |c| sqlx::query("UPDATE verification_tasks SET checks = $1, checked_at = $2 WHERE id = $3")
            .bind(checks)
            .bind(now)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The task whose answer went in the upload file named `file_name`.
    pub async fn verification_task_of_file(&self, file_name: &str) -> Result<Option<VerificationTaskRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            task_cols!(),
            " FROM verification_tasks t JOIN miit_uploads u ON u.seq = t.upload_seq WHERE u.file_name = $1"
        );
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(file_name).fetch_optional(c).await?))
    }

    /// The task whose answer is upload file `seq`.
    pub async fn verification_task_of_upload(&self, seq: i64) -> Result<Option<VerificationTaskRow>> {
        const SQL: &str =
            concat!("SELECT ", task_cols!(), " FROM verification_tasks t WHERE t.upload_seq = $1");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(seq).fetch_optional(c).await?))
    }
}
