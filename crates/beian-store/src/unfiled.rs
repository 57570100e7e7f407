//! The compliance work list of unfiled websites on the provider's addresses and the block list
//! an edge enforces (migration 0016).

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

/// A case: a domain served on this provider's addresses without a filing.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UnfiledCaseRow {
    pub id: Uuid,
    /// `miit` (the bureau's WBAWZLB list) or `scan` (the provider's footer scanner).
    pub source: String,
    /// The bureau's record id (`Id`), for a `miit` case.
    pub bureau_id: Option<i64>,
    pub domain: String,
    pub ip: String,
    pub province: Option<i64>,
    /// The bureau's latest detection time, as it wrote it ('' when it gave none).
    pub detected_at: String,
    pub times: Option<i64>,
    pub file_name: String,
    pub received_at: i64,
    /// `open`, `handled`, `reported`, `refused` or `dismissed`.
    pub state: String,
    pub action: Option<i64>,
    pub opinion: String,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<i64>,
    pub upload_seq: Option<i64>,
    /// The bureau's answer to the report: `code detail` lines.
    pub result: String,
    pub updated_at: i64,
}

/// A case as the work list reads it: with whether its domain is on the block list now.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ListedCaseRow {
    #[sqlx(flatten)]
    pub case: UnfiledCaseRow,
    pub blocked: bool,
}

/// A blocked domain.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BlockRow {
    pub domain: String,
    pub reason: String,
    /// `case` or `staff`.
    pub source: String,
    pub case_id: Option<Uuid>,
    pub since: i64,
    pub added_by: Option<Uuid>,
}

macro_rules! case_cols {
    () => {
        "c.id, c.source, c.bureau_id, c.domain, c.ip, c.province, c.detected_at, c.times, c.file_name, \
         c.received_at, c.state, c.action, c.opinion, c.handled_by, c.handled_at, c.upload_seq, c.result, \
         c.updated_at"
    };
}

/// The work list's columns: the case and whether its domain is blocked (one index probe each).
macro_rules! listed_cols {
    () => {
        concat!(case_cols!(), ", EXISTS (SELECT 1 FROM block_list b WHERE b.domain = c.domain) AS blocked")
    };
}

macro_rules! insert_case {
    ($conflict:literal) => {
        concat!(
            "INSERT INTO unfiled_cases (id, source, bureau_id, domain, ip, province, detected_at, times, \
             file_name, received_at, state, action, opinion, handled_by, handled_at, upload_seq, result, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ",
            $conflict,
            " RETURNING id"
        )
    };
}

impl Tx {
    /// Opens a case, or — the same bureau entry received again, or a scan finding a domain
    /// that already has an open scan case — refreshes the one there. True when it is new.
    pub async fn open_unfiled_case(&mut self, r: &UnfiledCaseRow) -> Result<bool> {
        let sql = if r.bureau_id.is_some() {
            insert_case!(
                "ON CONFLICT (bureau_id) WHERE bureau_id IS NOT NULL DO UPDATE SET detected_at = excluded.detected_at, \
                 times = excluded.times, updated_at = excluded.updated_at"
            )
        } else {
            insert_case!(
                "ON CONFLICT (domain) WHERE source = 'scan' AND state = 'open' DO UPDATE SET \
                 detected_at = excluded.detected_at, updated_at = excluded.updated_at"
            )
        };
        let id: Uuid = on!(tx self, |c| sqlx::query_scalar(sql)
            .bind(r.id)
            .bind(&r.source)
            .bind(r.bureau_id)
            .bind(&r.domain)
            .bind(&r.ip)
            .bind(r.province)
            .bind(&r.detected_at)
            .bind(r.times)
            .bind(&r.file_name)
            .bind(r.received_at)
            .bind(&r.state)
            .bind(r.action)
            .bind(&r.opinion)
            .bind(r.handled_by)
            .bind(r.handled_at)
            .bind(r.upload_seq)
            .bind(&r.result)
            .bind(r.updated_at)
            .fetch_one(c)
            .await?);
        Ok(id == r.id)
    }

    pub async fn unfiled_case(&mut self, id: Uuid) -> Result<Option<UnfiledCaseRow>> {
        const SQL: &str = concat!("SELECT ", case_cols!(), " FROM unfiled_cases c WHERE c.id = $1");
        Ok(on!(tx self, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await?))
    }

    /// Records what the provider did about an open case; false when it is no longer open (a
    /// concurrent handling won).
    #[allow(clippy::too_many_arguments)]
    pub async fn handle_unfiled_case(
        &mut self,
        id: Uuid,
        state: &str,
        action: Option<i64>,
        opinion: &str,
        by: Uuid,
        upload_seq: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE unfiled_cases SET state = $1, action = $2, opinion = $3, handled_by = $4, handled_at = $5, \
             upload_seq = $6, updated_at = $5 WHERE id = $7 AND state = 'open'",
        )
        .bind(state)
        .bind(action)
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

    /// The bureau's answer to a case's report: `reported` or `refused` with its codes. Only a
    /// case with a report out moves (a refusal may follow the file's acceptance).
    pub async fn settle_unfiled_case(
        &mut self,
        id: Uuid,
        state: &str,
        result: &str,
        now: i64,
    ) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE unfiled_cases SET state = $1, result = $2, updated_at = $3 WHERE id = $4 AND state IN ('handled', 'reported')",
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

    /// Blocks a domain; false when it already was (the first reason stays).
    pub async fn block_domain(&mut self, b: &BlockRow) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "INSERT INTO block_list (domain, reason, source, case_id, since, added_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (domain) DO NOTHING",
        )
        .bind(&b.domain)
        .bind(&b.reason)
        .bind(&b.source)
        .bind(b.case_id)
        .bind(b.since)
        .bind(b.added_by)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Lifts a block; false when the domain was not blocked.
    pub async fn unblock_domain(&mut self, domain: &str) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query("DELETE FROM block_list WHERE domain = $1")
            .bind(domain)
            .execute(c)
            .await?
            .rows_affected())
            == 1)
    }
}

impl Store {
    /// Cases in `state` (every state when `None`), oldest first, at most `limit`.
    pub async fn unfiled_cases(&self, state: Option<&str>, limit: i64) -> Result<Vec<ListedCaseRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            listed_cols!(),
            " FROM unfiled_cases c WHERE (CAST($1 AS TEXT) IS NULL OR c.state = $1) ORDER BY c.received_at, c.id LIMIT $2"
        );
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(state).bind(limit).fetch_all(c).await?))
    }

    /// One case as the work list shows it.
    pub async fn listed_case(&self, id: Uuid) -> Result<Option<ListedCaseRow>> {
        const SQL: &str = concat!("SELECT ", listed_cols!(), " FROM unfiled_cases c WHERE c.id = $1");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await?))
    }

    /// The case whose report went in the upload file named `file_name`.
    pub async fn unfiled_case_of_file(&self, file_name: &str) -> Result<Option<UnfiledCaseRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            case_cols!(),
            " FROM unfiled_cases c JOIN miit_uploads u ON u.seq = c.upload_seq WHERE u.file_name = $1"
        );
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(file_name).fetch_optional(c).await?))
    }

    /// The case whose report is upload file `seq`.
    pub async fn unfiled_case_of_upload(&self, seq: i64) -> Result<Option<UnfiledCaseRow>> {
        const SQL: &str = concat!("SELECT ", case_cols!(), " FROM unfiled_cases c WHERE c.upload_seq = $1");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(seq).fetch_optional(c).await?))
    }

    /// The whole block list, by domain.
    pub async fn block_list(&self) -> Result<Vec<BlockRow>> {
        Ok(on!(store self, |c| sqlx::query_as(
            "SELECT domain, reason, source, case_id, since, added_by FROM block_list ORDER BY domain",
        )
        .fetch_all(c)
        .await?))
    }
}
