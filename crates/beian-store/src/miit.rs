//! The provider's side of MIIT's interface V3.0: numbered upload files, the records they
//! carry and the bureau's verdicts on them, downloaded files and whether each was applied and
//! acknowledged, what the bureau has on file per subject, the code tables, and the work list.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

/// A blacklist entry's mark on an open order, for its reviewer.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OrderFlagRow {
    pub order_id: Uuid,
    /// The pre-check's code: `SUBJECT_BLACKLISTED`, `DOMAIN_BLACKLISTED`, `DOMAIN_SERVED_UNFILED`.
    pub code: String,
    /// The listed domain; '' for a subject.
    pub target: String,
    /// The bureau's remark; '' when it gave none.
    pub reason: String,
    pub flagged_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MiitUploadRow {
    pub seq: i64,
    pub file_name: String,
    pub records: i64,
    pub created_at: i64,
    pub attempted_at: Option<i64>,
    pub last_code: Option<i64>,
    pub accepted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MiitRecordRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub submission_id: String,
    pub upload_seq: i64,
    pub operation: i64,
    pub identifier: String,
    pub ids: String,
    pub verdict: Option<String>,
    pub numbers: Option<String>,
    pub decided_at: Option<i64>,
    /// How many verdicts it waits for (one per entry of a ZXBA record; 1 otherwise).
    pub entries: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MiitDownloadRow {
    pub file_name: String,
    pub hash: String,
    pub kind: String,
    pub blob_key: String,
    pub received_at: i64,
    pub applied_at: Option<i64>,
    pub acked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MiitWorkRow {
    pub id: Uuid,
    pub kind: String,
    pub file_name: String,
    pub data: Vec<u8>,
    pub received_at: i64,
    pub done_at: Option<i64>,
}

// Column lists as literals, so every query stays a static string.
macro_rules! upload_cols {
    () => {
        "seq, file_name, records, created_at, attempted_at, last_code, accepted_at"
    };
}
macro_rules! record_cols {
    () => {
        "r.id, r.order_id, r.submission_id, r.upload_seq, r.operation, r.identifier, r.ids, r.verdict, r.numbers, r.decided_at, \
         r.entries"
    };
}
macro_rules! download_cols {
    () => {
        "file_name, hash, kind, blob_key, received_at, applied_at, acked_at"
    };
}

impl Tx {
    /// Takes `n` numbers of counter `name` (`sequence`, `record_id`): the first of them. The
    /// row update serializes writers, and a rollback gives the numbers back.
    pub async fn take_miit_numbers(&mut self, name: &str, n: i64) -> Result<i64> {
        let next: i64 = on!(tx self, |c| sqlx::query_scalar("UPDATE miit_counters SET next = next + $1 WHERE name = $2 RETURNING next")
            .bind(n)
            .bind(name)
            .fetch_one(c)
            .await?);
        Ok(next - n)
    }

    pub async fn insert_miit_upload(
        &mut self,
        seq: i64,
        file_name: &str,
        records: i64,
        now: i64,
    ) -> Result<()> {
        on!(tx self, |c| sqlx::query("INSERT INTO miit_uploads (seq, file_name, records, created_at) VALUES ($1, $2, $3, $4)")
            .bind(seq)
            .bind(file_name)
            .bind(records)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn insert_miit_record(&mut self, r: &MiitRecordRow, isp_ids: &[i64]) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO miit_records (id, order_id, submission_id, upload_seq, operation, identifier, ids, verdict, numbers, decided_at, \
             entries) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.id)
        .bind(r.order_id)
        .bind(&r.submission_id)
        .bind(r.upload_seq)
        .bind(r.operation)
        .bind(&r.identifier)
        .bind(&r.ids)
        .bind(&r.verdict)
        .bind(&r.numbers)
        .bind(r.decided_at)
        .bind(r.entries)
        .execute(c)
        .await?
        .rows_affected());
        for id in isp_ids {
            on!(tx self, |c| sqlx::query("INSERT INTO miit_record_ids (isp_id, record_id) VALUES ($1, $2)")
                .bind(id)
                .bind(r.id)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// Keeps the bureau's verdicts on a record so far, in place of `prior` (what the caller
    /// read), and — with `decided_at` — closes it. False when the record was decided already
    /// or changed since it was read.
    pub async fn set_miit_verdict(
        &mut self,
        record: Uuid,
        prior: Option<&str>,
        verdict: &str,
        decided_at: Option<i64>,
    ) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE miit_records SET verdict = $1, decided_at = $2 WHERE id = $3 AND decided_at IS NULL \
             AND verdict IS NOT DISTINCT FROM $4",
        )
        .bind(verdict)
        .bind(decided_at)
        .bind(record)
        .bind(prior)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Keeps the numbers the bureau's BASJ data gave a record.
    pub async fn set_miit_numbers(&mut self, record: Uuid, numbers: &str) -> Result<()> {
        on!(tx self, |c| sqlx::query("UPDATE miit_records SET numbers = $1 WHERE id = $2")
            .bind(numbers)
            .bind(record)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records a downloaded file; false when it was received before.
    pub async fn insert_miit_download(&mut self, r: &MiitDownloadRow) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "INSERT INTO miit_downloads (file_name, hash, kind, blob_key, received_at, applied_at, acked_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL) \
             ON CONFLICT (file_name, hash) DO NOTHING",
        )
        .bind(&r.file_name)
        .bind(&r.hash)
        .bind(&r.kind)
        .bind(&r.blob_key)
        .bind(r.received_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Marks a downloaded file applied (once: false if another process applied it first).
    pub async fn mark_miit_download_applied(
        &mut self,
        file_name: &str,
        hash: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE miit_downloads SET applied_at = $1 WHERE file_name = $2 AND hash = $3 AND applied_at IS NULL",
        )
        .bind(now)
        .bind(file_name)
        .bind(hash)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    pub async fn set_miit_state(&mut self, key: &str, value: &str, now: i64) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO miit_state (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
        )
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Keeps what the bureau has on file for a subject, with the bureau's id of it (`Ztid`:
    /// a verification task names the subject by it alone).
    pub async fn set_miit_on_file(
        &mut self,
        subject_id: Uuid,
        bureau_subject_id: i64,
        data: &str,
        now: i64,
    ) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO miit_on_file (subject_id, data, updated_at, bureau_subject_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (subject_id) DO UPDATE SET data = $2, updated_at = $3, bureau_subject_id = $4",
        )
        .bind(subject_id)
        .bind(data)
        .bind(now)
        .bind(bureau_subject_id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn insert_miit_work(&mut self, r: &MiitWorkRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO miit_worklist (id, kind, file_name, data, received_at, done_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(r.id)
        .bind(&r.kind)
        .bind(&r.file_name)
        .bind(&r.data)
        .bind(r.received_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Puts an entry on the blacklist of `kind` with the bureau's reason (or refreshes it).
    pub async fn set_miit_listed(
        &mut self,
        kind: &str,
        key: &str,
        file_name: &str,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO miit_blacklist (kind, key, file_name, listed_at, reason) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (kind, key) DO UPDATE SET file_name = excluded.file_name, listed_at = excluded.listed_at, \
             reason = excluded.reason",
        )
        .bind(kind)
        .bind(key)
        .bind(file_name)
        .bind(now)
        .bind(reason)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Flags an open order for its reviewer; false when it already was (same code and target).
    pub async fn flag_order(&mut self, f: &OrderFlagRow) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "INSERT INTO order_flags (order_id, code, target, reason, flagged_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (order_id, code, target) DO NOTHING",
        )
        .bind(f.order_id)
        .bind(&f.code)
        .bind(&f.target)
        .bind(&f.reason)
        .bind(f.flagged_at)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Takes a flag off an order; false when it had none.
    pub async fn unflag_order(&mut self, order_id: Uuid, code: &str, target: &str) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "DELETE FROM order_flags WHERE order_id = $1 AND code = $2 AND target = $3",
        )
        .bind(order_id)
        .bind(code)
        .bind(target)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Open orders past their applicant (in review, or with the regulator), oldest first.
    pub async fn orders_under_review(&mut self, limit: i64) -> Result<Vec<crate::OrderRow>> {
        Ok(on!(tx self, |c| sqlx::query_as::<_, crate::OrderRow>(
            "SELECT id, owner_id, subject_id, kind, province, state, state_data, data, findings, review_findings,
                    reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since
             FROM orders WHERE state IN ('submitted', 'in_review', 'awaiting_mail', 'queued_for_regulator', 'sms_pending', 'bureau_review')
             ORDER BY submitted_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// Takes an entry off the blacklist of `kind`.
    pub async fn unset_miit_listed(&mut self, kind: &str, key: &str) -> Result<()> {
        on!(tx self, |c| sqlx::query("DELETE FROM miit_blacklist WHERE kind = $1 AND key = $2")
            .bind(kind)
            .bind(key)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The record a provider's own subject or website id belongs to.
    pub async fn miit_record_of_isp_id(&mut self, isp_id: i64) -> Result<Option<MiitRecordRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM miit_records r JOIN miit_record_ids i ON i.record_id = r.id WHERE i.isp_id = $1"
        );
        Ok(on!(tx self, |c| sqlx::query_as(SQL).bind(isp_id).fetch_optional(c).await?))
    }

    /// Records not yet decided that the bureau names by (`operation`, `identifier`), oldest first.
    pub async fn open_miit_records(
        &mut self,
        operation: i64,
        identifier: &str,
    ) -> Result<Vec<MiitRecordRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM miit_records r WHERE r.operation = $1 AND r.identifier = $2 AND r.decided_at IS NULL ORDER BY r.upload_seq, r.id"
        );
        Ok(on!(tx self, |c| sqlx::query_as(SQL).bind(operation).bind(identifier).fetch_all(c).await?))
    }

    /// The records of the upload file called `file_name`.
    pub async fn miit_records_of_file(&mut self, file_name: &str) -> Result<Vec<MiitRecordRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM miit_records r JOIN miit_uploads u ON u.seq = r.upload_seq WHERE u.file_name = $1 ORDER BY r.id"
        );
        Ok(on!(tx self, |c| sqlx::query_as(SQL).bind(file_name).fetch_all(c).await?))
    }
}

impl Store {
    /// Upload files the bureau has not accepted yet, lowest number first.
    pub async fn pending_miit_uploads(&self) -> Result<Vec<MiitUploadRow>> {
        const SQL: &str =
            concat!("SELECT ", upload_cols!(), " FROM miit_uploads WHERE accepted_at IS NULL ORDER BY seq");
        Ok(on!(store self, |c| sqlx::query_as(SQL).fetch_all(c).await?))
    }

    /// Every upload file, by number.
    pub async fn miit_uploads(&self) -> Result<Vec<MiitUploadRow>> {
        const SQL: &str = concat!("SELECT ", upload_cols!(), " FROM miit_uploads ORDER BY seq");
        Ok(on!(store self, |c| sqlx::query_as(SQL).fetch_all(c).await?))
    }

    pub async fn miit_upload(&self, seq: i64) -> Result<Option<MiitUploadRow>> {
        const SQL: &str = concat!("SELECT ", upload_cols!(), " FROM miit_uploads WHERE seq = $1");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(seq).fetch_optional(c).await?))
    }

    /// Notes an upload about to be tried.
    pub async fn mark_miit_upload_attempt(&self, seq: i64, now: i64) -> Result<()> {
        on!(store self, |c| sqlx::query("UPDATE miit_uploads SET attempted_at = $1 WHERE seq = $2")
            .bind(now)
            .bind(seq)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Notes the bureau's answer; `accepted` when it took the file.
    pub async fn mark_miit_upload_answer(&self, seq: i64, code: i64, accepted: bool, now: i64) -> Result<()> {
        on!(store self, |c| sqlx::query(
            "UPDATE miit_uploads SET last_code = $1, accepted_at = CASE WHEN $2 THEN COALESCE(accepted_at, $3) ELSE accepted_at END WHERE seq = $4",
        )
        .bind(code)
        .bind(accepted)
        .bind(now)
        .bind(seq)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The bureau says it misses these files: they are uploaded again.
    pub async fn reopen_miit_uploads(&self, seqs: &[i64]) -> Result<()> {
        for seq in seqs {
            on!(store self, |c| sqlx::query("UPDATE miit_uploads SET accepted_at = NULL WHERE seq = $1")
                .bind(seq)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    pub async fn miit_record(&self, id: Uuid) -> Result<Option<MiitRecordRow>> {
        const SQL: &str = concat!("SELECT ", record_cols!(), " FROM miit_records r WHERE r.id = $1");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await?))
    }

    pub async fn miit_records_of_upload(&self, seq: i64) -> Result<Vec<MiitRecordRow>> {
        const SQL: &str =
            concat!("SELECT ", record_cols!(), " FROM miit_records r WHERE r.upload_seq = $1 ORDER BY r.id");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(seq).fetch_all(c).await?))
    }

    /// Records of an order, newest first.
    pub async fn miit_records_of_order(&self, order_id: Uuid) -> Result<Vec<MiitRecordRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM miit_records r WHERE r.order_id = $1 ORDER BY r.upload_seq DESC"
        );
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(order_id).fetch_all(c).await?))
    }

    pub async fn miit_download(&self, file_name: &str, hash: &str) -> Result<Option<MiitDownloadRow>> {
        const SQL: &str =
            concat!("SELECT ", download_cols!(), " FROM miit_downloads WHERE file_name = $1 AND hash = $2");
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(file_name).bind(hash).fetch_optional(c).await?))
    }

    /// Every downloaded file, oldest first.
    pub async fn miit_downloads(&self) -> Result<Vec<MiitDownloadRow>> {
        const SQL: &str =
            concat!("SELECT ", download_cols!(), " FROM miit_downloads ORDER BY received_at, file_name");
        Ok(on!(store self, |c| sqlx::query_as(SQL).fetch_all(c).await?))
    }

    pub async fn mark_miit_download_acked(&self, file_name: &str, hash: &str, now: i64) -> Result<()> {
        on!(store self, |c| sqlx::query("UPDATE miit_downloads SET acked_at = COALESCE(acked_at, $1) WHERE file_name = $2 AND hash = $3")
            .bind(now)
            .bind(file_name)
            .bind(hash)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn miit_state(&self, key: &str) -> Result<Option<String>> {
        Ok(
            on!(store self, |c| sqlx::query_scalar("SELECT value FROM miit_state WHERE key = $1").bind(key).fetch_optional(c).await?),
        )
    }

    pub async fn miit_on_file(&self, subject_id: Uuid) -> Result<Option<String>> {
        Ok(on!(store self, |c| sqlx::query_scalar("SELECT data FROM miit_on_file WHERE subject_id = $1")
            .bind(subject_id)
            .fetch_optional(c)
            .await?))
    }

    /// Which of `keys` are on the blacklist of `kind`.
    pub async fn miit_listed(&self, kind: &str, keys: &[String]) -> Result<Vec<String>> {
        Ok(self.miit_listed_reasons(kind, keys).await?.into_iter().map(|(k, _)| k).collect())
    }

    /// Which of `keys` are on the blacklist of `kind`, each with the bureau's reason ('' when
    /// it gave none).
    pub async fn miit_listed_reasons(&self, kind: &str, keys: &[String]) -> Result<Vec<(String, String)>> {
        let mut found = Vec::new();
        for key in keys {
            let hit: Option<(String, String)> = on!(store self, |c| sqlx::query_as(
                "SELECT key, reason FROM miit_blacklist WHERE kind = $1 AND key = $2",
            )
            .bind(kind)
            .bind(key)
            .fetch_optional(c)
            .await?);
            found.extend(hit);
        }
        Ok(found)
    }

    /// The flags on these orders (a page of the review queue): one statement for the page.
    pub async fn order_flags(&self, order_ids: &[Uuid]) -> Result<Vec<OrderFlagRow>> {
        if order_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on!(store self, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT order_id, code, target, reason, flagged_at FROM order_flags WHERE order_id IN (",
            );
            let mut ids = q.separated(", ");
            for id in order_ids {
                ids.push_bind(*id);
            }
            q.push(") ORDER BY order_id, code, target");
            q.build_query_as::<OrderFlagRow>().fetch_all(c).await?
        }))
    }

    /// Open work list entries of `kind`, oldest first.
    pub async fn miit_worklist(&self, kind: &str) -> Result<Vec<MiitWorkRow>> {
        Ok(on!(store self, |c| sqlx::query_as(
            "SELECT id, kind, file_name, data, received_at, done_at FROM miit_worklist WHERE kind = $1 AND done_at IS NULL ORDER BY received_at, id",
        )
        .bind(kind)
        .fetch_all(c)
        .await?))
    }
}
