//! Compliance scans of filed websites: one row per scan, so a site's history is its rows in
//! order and its state is the newest one.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteScanRow {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub number: String,
    pub url: String,
    pub verdict: String,
    pub reachable: bool,
    pub footer_ok: Option<bool>,
    pub report: String,
    pub scanned_at: i64,
}

/// A site's newest scan, by its number.
const NEWEST_SCAN: &str = "SELECT id, subject_id, number, url, verdict, reachable, footer_ok, report, scanned_at \
                           FROM site_scans WHERE number = $1 ORDER BY scanned_at DESC, id DESC LIMIT 1";

impl Tx {
    pub async fn insert_site_scan(&mut self, r: &SiteScanRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO site_scans (id, subject_id, number, url, verdict, reachable, footer_ok, report, scanned_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.id)
        .bind(r.subject_id)
        .bind(&r.number)
        .bind(&r.url)
        .bind(&r.verdict)
        .bind(r.reachable)
        .bind(r.footer_ok)
        .bind(&r.report)
        .bind(r.scanned_at)
        .execute(c)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The newest scan of a site, read in this transaction.
    pub async fn latest_site_scan(&mut self, number: &str) -> Result<Option<SiteScanRow>> {
        Ok(on!(tx self, |c| sqlx::query_as(NEWEST_SCAN).bind(number).fetch_optional(c).await?))
    }
}

impl Store {
    /// The newest scan of one site, by its number.
    pub async fn newest_site_scan(&self, number: &str) -> Result<Option<SiteScanRow>> {
        Ok(on!(store self, |c| sqlx::query_as(NEWEST_SCAN).bind(number).fetch_optional(c).await?))
    }

    /// The newest scan of each of a subject's sites.
    pub async fn latest_site_scans(&self, subject_id: Uuid) -> Result<Vec<SiteScanRow>> {
        const SQL: &str =
            "SELECT id, subject_id, number, url, verdict, reachable, footer_ok, report, scanned_at FROM (
               SELECT s.*, ROW_NUMBER() OVER (PARTITION BY number ORDER BY scanned_at DESC, id DESC) AS rn
               FROM site_scans s WHERE subject_id = $1) t WHERE rn = 1 ORDER BY number";
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(subject_id).fetch_all(c).await?))
    }

    /// A site's scans, newest first.
    pub async fn site_scan_history(&self, number: &str, limit: i64) -> Result<Vec<SiteScanRow>> {
        const SQL: &str = "SELECT id, subject_id, number, url, verdict, reachable, footer_ok, report, scanned_at \
                           FROM site_scans WHERE number = $1 ORDER BY scanned_at DESC, id DESC LIMIT $2";
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(number).bind(limit).fetch_all(c).await?))
    }

    /// The newest scan of every scanned site, worst verdicts first (the compliance overview).
    pub async fn compliance_overview(&self, limit: i64) -> Result<Vec<SiteScanRow>> {
        const SQL: &str = "SELECT id, subject_id, number, url, verdict, reachable, footer_ok, report, scanned_at FROM (
               SELECT s.*, ROW_NUMBER() OVER (PARTITION BY number ORDER BY scanned_at DESC, id DESC) AS rn
               FROM site_scans s) t WHERE rn = 1
             ORDER BY CASE verdict WHEN 'unreachable' THEN 0 WHEN 'non_compliant' THEN 1 WHEN 'incomplete' THEN 2
                      WHEN 'not_in_static_html' THEN 3 ELSE 4 END, number LIMIT $1";
        Ok(on!(store self, |c| sqlx::query_as(SQL).bind(limit).fetch_all(c).await?))
    }

    /// Subjects with anything filed through this provider.
    pub async fn filed_subject_ids(&self) -> Result<Vec<Uuid>> {
        const SQL: &str = "SELECT DISTINCT o.subject_id FROM regulator_links l JOIN orders o ON o.id = l.order_id \
                           WHERE l.filing IS NOT NULL";
        Ok(on!(store self, |c| sqlx::query_scalar(SQL).fetch_all(c).await?))
    }
}

/// Whether a filed website answers on the provider's addresses (migration 17).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteHostingRow {
    pub number: String,
    pub subject_id: Uuid,
    pub domain: String,
    /// Comma-separated; '' when the domain did not resolve.
    pub addresses: String,
    /// `None` while the site is on the provider's addresses.
    pub away_since: Option<i64>,
    pub checked_at: i64,
}

impl Tx {
    /// Records a check: on the provider's addresses clears `away_since`; away keeps the first
    /// time it was seen away.
    pub async fn record_site_hosting(&mut self, r: &SiteHostingRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO site_hosting (number, subject_id, domain, addresses, away_since, checked_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (number) DO UPDATE SET subject_id = excluded.subject_id, \
             domain = excluded.domain, addresses = excluded.addresses, checked_at = excluded.checked_at, \
             away_since = CASE WHEN excluded.away_since IS NULL THEN NULL \
             ELSE COALESCE(site_hosting.away_since, excluded.away_since) END",
        )
        .bind(&r.number)
        .bind(r.subject_id)
        .bind(&r.domain)
        .bind(&r.addresses)
        .bind(r.away_since)
        .bind(r.checked_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

impl Store {
    /// Sites away from the provider's addresses, longest away first (at most 10,000).
    pub async fn sites_away(&self) -> Result<Vec<SiteHostingRow>> {
        Ok(on!(store self, |c| sqlx::query_as(
            "SELECT number, subject_id, domain, addresses, away_since, checked_at FROM site_hosting \
             WHERE away_since IS NOT NULL ORDER BY away_since, number LIMIT 10000",
        )
        .fetch_all(c)
        .await?))
    }
}
