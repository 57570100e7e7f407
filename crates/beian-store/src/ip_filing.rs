//! The provider's address blocks: where each comes from (`ip_sources`) and the ranges it uses
//! (`ip_pools`, which the access step's addresses must come from), each with its state in the
//! IP address filing with the bureau (migrations 1 and 19).

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, new_id, on};

/// A range the provider uses.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IpPoolRow {
    pub id: Uuid,
    pub cidr: String,
    pub note: String,
    pub created_at: i64,
    /// The interface's `Fpfs`: 2 re-allocated, 3 own use, 4 reserved.
    pub usage: i64,
    /// `Syfs`: 1 static, 2 dynamic, 3 unknown.
    pub method: i64,
    /// The reporting unit a re-allocated range went to (`Fpdx`).
    pub allocated_to: Option<i64>,
    /// `YYYY-MM-DD` ('' when not said).
    pub since: String,
    #[sqlx(flatten)]
    pub filing: IpFiling,
}

/// Where a block comes from.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IpSourceRow {
    pub id: Uuid,
    pub cidr: String,
    /// The unit that gave it (`Lydw`, the bureau's table of reporting units).
    pub unit: i64,
    pub note: String,
    pub created_at: i64,
    #[sqlx(flatten)]
    pub filing: IpFiling,
}

/// A record's state in the filing.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct IpFiling {
    /// `unreported`, `reporting`, `filed`, `refused` or `withdrawing`.
    pub filing: String,
    /// The provider's record id the bureau echoes (`IspId`).
    pub isp_id: Option<i64>,
    /// The bureau's id (`Id`), once filed.
    pub bureau_id: Option<i64>,
    pub upload_seq: Option<i64>,
    /// The bureau's refusal: `code text` lines.
    pub result: String,
}

/// Which table a filing step is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpKind {
    Source,
    Pool,
}

macro_rules! pools {
    () => {
        "SELECT id, cidr, note, created_at, usage, method, allocated_to, since, filing, isp_id, bureau_id, upload_seq, result FROM ip_pools"
    };
}

macro_rules! sources {
    () => {
        "SELECT id, cidr, unit, note, created_at, filing, isp_id, bureau_id, upload_seq, result FROM ip_sources"
    };
}

impl Tx {
    pub async fn insert_ip_pool(&mut self, cidr: &str, note: &str, now: i64) -> Result<Uuid> {
        let id = new_id();
        on!(tx self, |c| sqlx::query("INSERT INTO ip_pools (id, cidr, note, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(cidr)
            .bind(note)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(id)
    }

    pub async fn delete_ip_pool(&mut self, id: Uuid) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query("DELETE FROM ip_pools WHERE id = $1").bind(id).execute(c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Says how a range is used; only while it is not filed or being filed.
    pub async fn set_ip_pool_usage(
        &mut self,
        id: Uuid,
        usage: i64,
        method: i64,
        allocated_to: Option<i64>,
        since: &str,
    ) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "UPDATE ip_pools SET usage = $1, method = $2, allocated_to = $3, since = $4 \
             WHERE id = $5 AND filing IN ('unreported', 'refused')",
        )
        .bind(usage)
        .bind(method)
        .bind(allocated_to)
        .bind(since)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    pub async fn insert_ip_source(&mut self, cidr: &str, unit: i64, note: &str, now: i64) -> Result<Uuid> {
        let id = new_id();
        on!(tx self, |c| sqlx::query("INSERT INTO ip_sources (id, cidr, unit, note, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(cidr)
            .bind(unit)
            .bind(note)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(id)
    }

    /// Deletes a source the bureau does not hold (unreported or refused).
    pub async fn delete_ip_source(&mut self, id: Uuid) -> Result<bool> {
        Ok(
            on!(tx self, |c| sqlx::query("DELETE FROM ip_sources WHERE id = $1 AND filing IN ('unreported', 'refused')")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected())
                == 1,
        )
    }

    /// Moves a record's filing from one of `from` to `to`; false when it was in none of them
    /// (a concurrent step won).
    pub async fn set_ip_filing(
        &mut self,
        kind: IpKind,
        id: Uuid,
        from: &[&str],
        to: &IpFiling,
    ) -> Result<bool> {
        let sql = match kind {
            IpKind::Source => {
                "UPDATE ip_sources SET filing = $1, isp_id = $2, bureau_id = $3, upload_seq = $4, result = $5 \
                 WHERE id = $6 AND filing IN ($7, $8, $9)"
            }
            IpKind::Pool => {
                "UPDATE ip_pools SET filing = $1, isp_id = $2, bureau_id = $3, upload_seq = $4, result = $5 \
                 WHERE id = $6 AND filing IN ($7, $8, $9)"
            }
        };
        let at = |i: usize| from.get(i).or(from.first()).copied().unwrap_or_default();
        Ok(on!(tx self, |c| sqlx::query(sql)
            .bind(&to.filing)
            .bind(to.isp_id)
            .bind(to.bureau_id)
            .bind(to.upload_seq)
            .bind(&to.result)
            .bind(id)
            .bind(at(0))
            .bind(at(1))
            .bind(at(2))
            .execute(c)
            .await?
            .rows_affected())
            == 1)
    }
}

impl Store {
    pub async fn ip_pools(&self) -> Result<Vec<IpPoolRow>> {
        const SQL: &str = concat!(pools!(), " ORDER BY cidr");
        Ok(on!(store self, |c| sqlx::query_as::<_, IpPoolRow>(SQL).fetch_all(c).await?))
    }

    pub async fn ip_sources(&self) -> Result<Vec<IpSourceRow>> {
        const SQL: &str = concat!(sources!(), " ORDER BY cidr");
        Ok(on!(store self, |c| sqlx::query_as::<_, IpSourceRow>(SQL).fetch_all(c).await?))
    }

    pub async fn ip_pool(&self, id: Uuid) -> Result<Option<IpPoolRow>> {
        const SQL: &str = concat!(pools!(), " WHERE id = $1");
        Ok(on!(store self, |c| sqlx::query_as::<_, IpPoolRow>(SQL).bind(id).fetch_optional(c).await?))
    }

    pub async fn ip_source(&self, id: Uuid) -> Result<Option<IpSourceRow>> {
        const SQL: &str = concat!(sources!(), " WHERE id = $1");
        Ok(on!(store self, |c| sqlx::query_as::<_, IpSourceRow>(SQL).bind(id).fetch_optional(c).await?))
    }

    /// The record the bureau's answer names: by the provider's id (an addition) or the
    /// bureau's (a deletion).
    pub async fn ip_record_of(
        &self,
        kind: IpKind,
        isp_id: Option<i64>,
        bureau_id: Option<i64>,
    ) -> Result<Option<Uuid>> {
        let sql = match kind {
            IpKind::Source => "SELECT id FROM ip_sources WHERE isp_id = $1 OR bureau_id = $2",
            IpKind::Pool => "SELECT id FROM ip_pools WHERE isp_id = $1 OR bureau_id = $2",
        };
        Ok(on!(store self, |c| sqlx::query_scalar(sql).bind(isp_id).bind(bureau_id).fetch_optional(c).await?))
    }

    /// The records whose filing went in upload file `file_name`.
    pub async fn ip_records_of_file(&self, file_name: &str) -> Result<Vec<(IpKind, Uuid)>> {
        let sources: Vec<Uuid> = on!(store self, |c| sqlx::query_scalar(
            "SELECT s.id FROM ip_sources s JOIN miit_uploads u ON u.seq = s.upload_seq WHERE u.file_name = $1",
        )
        .bind(file_name)
        .fetch_all(c)
        .await?);
        let pools: Vec<Uuid> = on!(store self, |c| sqlx::query_scalar(
            "SELECT p.id FROM ip_pools p JOIN miit_uploads u ON u.seq = p.upload_seq WHERE u.file_name = $1",
        )
        .bind(file_name)
        .fetch_all(c)
        .await?);
        Ok(sources
            .into_iter()
            .map(|id| (IpKind::Source, id))
            .chain(pools.into_iter().map(|id| (IpKind::Pool, id)))
            .collect())
    }
}
