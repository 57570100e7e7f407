//! Orders delivered to the regulator: which submission carries which order, the last
//! regulator event applied to it, and what the bureau issued.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RegulatorLinkRow {
    pub submission_id: String,
    pub order_id: Uuid,
    pub applied_seq: i64,
    pub filing: Option<String>,
    pub created_at: i64,
}

const BY_SUBMISSION: &str = "SELECT submission_id, order_id, applied_seq, filing, created_at FROM regulator_links WHERE submission_id = $1";
pub(crate) const LATEST_FOR_ORDER: &str = "SELECT submission_id, order_id, applied_seq, filing, created_at FROM regulator_links WHERE order_id = $1 ORDER BY created_at DESC LIMIT 1";

impl Tx {
    /// Records a delivered submission; false when it was recorded before.
    pub async fn insert_regulator_link(&mut self, r: &RegulatorLinkRow) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "INSERT INTO regulator_links (submission_id, order_id, applied_seq, filing, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (submission_id) DO NOTHING",
        )
        .bind(&r.submission_id)
        .bind(r.order_id)
        .bind(r.applied_seq)
        .bind(&r.filing)
        .bind(r.created_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Locks-by-update the link and advances its applied sequence from `from` to `to`; false
    /// when another process applied these events first.
    pub async fn advance_regulator_link(
        &mut self,
        submission_id: &str,
        from: i64,
        to: i64,
        filing: Option<&str>,
    ) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE regulator_links SET applied_seq = $1, filing = COALESCE($2, filing) WHERE submission_id = $3 AND applied_seq = $4",
        )
        .bind(to)
        .bind(filing)
        .bind(submission_id)
        .bind(from)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }
}

impl Store {
    /// What the bureau issued or changed for a subject's orders (`filing` JSON), oldest first.
    pub async fn subject_filings(&self, subject_id: Uuid) -> Result<Vec<String>> {
        const SQL: &str = "SELECT l.filing FROM regulator_links l JOIN orders o ON o.id = l.order_id
             WHERE o.subject_id = $1 AND l.filing IS NOT NULL ORDER BY l.created_at, l.submission_id";
        Ok(on!(store self, |c| sqlx::query_scalar(SQL).bind(subject_id).fetch_all(c).await?))
    }

    /// The subject's orders the bureau decided, each with what it issued or changed (`filing`
    /// JSON), oldest first: the history a change starts from.
    pub async fn subject_filed_orders(&self, subject_id: Uuid) -> Result<Vec<(Uuid, String)>> {
        const SQL: &str =
            "SELECT l.order_id, l.filing FROM regulator_links l JOIN orders o ON o.id = l.order_id
             WHERE o.subject_id = $1 AND l.filing IS NOT NULL ORDER BY l.created_at, l.submission_id";
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(subject_id).fetch_all(c).await?))
    }

    pub async fn regulator_link(&self, submission_id: &str) -> Result<Option<RegulatorLinkRow>> {
        Ok(on!(store self, |c| sqlx::query_as(BY_SUBMISSION).bind(submission_id).fetch_optional(c).await?))
    }

    /// The order's latest submission.
    pub async fn latest_regulator_link(&self, order_id: Uuid) -> Result<Option<RegulatorLinkRow>> {
        // On SQLite a read of committed rows on the calling thread, as an order's own read is.
        if let Store::Sqlite(_, cache) = self
            && let Some(reader) = cache.reader()
        {
            return reader.latest_regulator_link(order_id);
        }
        Ok(on!(store self, |c| sqlx::query_as(LATEST_FOR_ORDER).bind(order_id).fetch_optional(c).await?))
    }
}
