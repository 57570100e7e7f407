//! Unfiled websites the bureau finds on a provider's addresses (未备案网站): an officer lists
//! one (`beian regulator unfiled`), the provider is handed it as a `WBAWZLB` file, acts
//! (blocks it, urges a filing, or says it is not its customer) and reports with `WBACLJG`.
//!
//! A report naming a domain the bureau never listed for that provider is refused (5005), a
//! second report of the same entry too (5006); both are file-level codes, so the verdict names
//! the upload file. An accepted report gets no verdict (the spec has none for it): the file's
//! acceptance is the answer.
//!
//! Listing a domain that is listed and unreported again hands the same entry (same `Id`)
//! down once more, with the detection count raised, as the real list repeats itself.

use std::net::Ipv4Addr;

use beian_miit::codes::result;
use beian_miit::mapping::results::Verdict;
use beian_miit::mapping::unfiled::{self, Found};
use beian_miit::schema::download::{self, DownloadData, DownloadDataChoice};
use beian_miit::schema::upload;
use beian_store::{Tx, on};

use super::MiitError;
use super::accounts::Account;
use crate::service::Service;

type EntryRow = (i64, i64, i64, Option<i64>);

impl Service {
    /// Lists `domain`, found answering on `ip`, as unfiled on reporting unit `isp_id`'s
    /// addresses and hands the entry to that provider; returns the entry's id.
    pub async fn miit_list_unfiled(&self, isp_id: i64, domain: &str, ip: Ipv4Addr) -> Result<i64, MiitError> {
        let domain =
            beian_core::blocklist::normalize(domain).map_err(|e| MiitError::Internal(e.to_string()))?;
        let account = self
            .store
            .miit_account(&self.keys, isp_id)
            .await?
            .ok_or_else(|| MiitError::Internal(format!("no V3.0 account with unit id {isp_id}")))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let open: Option<EntryRow> = on!(tx &mut tx, |c| sqlx::query_as(
            "SELECT id, ip, listed_at, reported_at FROM reg_miit_unfiled WHERE isp_id = $1 AND domain = $2 AND reported_at IS NULL ORDER BY id LIMIT 1",
        )
        .bind(isp_id)
        .bind(&domain)
        .fetch_optional(c)
        .await?);
        let (id, first, times) = match open {
            Some((id, _, listed_at, _)) => {
                let times: i64 = on!(tx &mut tx, |c| sqlx::query_scalar(
                    "UPDATE reg_miit_unfiled SET times = times + 1 WHERE id = $1 RETURNING times",
                )
                .bind(id)
                .fetch_one(c)
                .await?);
                (id, listed_at, times)
            }
            None => {
                let id: i64 = on!(tx &mut tx, |c| sqlx::query_scalar(
                    "INSERT INTO reg_miit_unfiled (isp_id, domain, ip, listed_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(isp_id)
                .bind(&domain)
                .bind(unfiled::ip_number(ip))
                .bind(now)
                .fetch_one(c)
                .await?);
                (id, now, 1)
            }
        };
        let found = Found {
            id,
            domain,
            ip,
            operator: isp_id,
            access_provider: Some(isp_id),
            province: Some(i64::from(account.province.division_code())),
            first_detected: Some(super::spec_time(first)),
            detected: Some(super::spec_time(now)),
            times: Some(times),
        };
        let doc = DownloadData {
            version: super::VERSION.into(),
            choice: DownloadDataChoice::Icp(download::Icp {
                wbawzlb: Some(unfiled::wbawzlb(&[found])),
                ..download::Icp::empty()
            }),
        };
        super::downloads::queue(&mut tx, &self.keys, isp_id, "WBAWZLB", &doc, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Takes the `WBACLJG` reports of an upload file: refusals are added to `refused`.
    pub(super) async fn miit_unfiled_reports(
        &self,
        tx: &mut Tx,
        account: &Account,
        file: &str,
        icp: &upload::Icp,
        now: i64,
        refused: &mut Vec<Verdict>,
    ) -> Result<(), MiitError> {
        for report in unfiled::reports(icp) {
            let entry: Option<EntryRow> = on!(tx tx, |c| sqlx::query_as(
                "SELECT id, ip, listed_at, reported_at FROM reg_miit_unfiled WHERE isp_id = $1 AND domain = $2 ORDER BY reported_at IS NULL DESC, id DESC LIMIT 1",
            )
            .bind(account.isp_id)
            .bind(&report.domain)
            .fetch_optional(c)
            .await?);
            let code = match entry {
                None => Some(result::UNFILED_NOT_OURS),
                Some((_, _, _, Some(_))) => Some(result::UNFILED_ALREADY_REPORTED),
                Some((id, _, _, None)) => {
                    on!(tx tx, |c| sqlx::query(
                        "UPDATE reg_miit_unfiled SET reported_at = $1, action = $2, opinion = $3 WHERE id = $4",
                    )
                    .bind(now)
                    .bind(report.action)
                    .bind(&report.opinion)
                    .bind(id)
                    .execute(c)
                    .await?
                    .rows_affected());
                    None
                }
            };
            if let Some(code) = code {
                refused.push(Verdict {
                    operation: 1,
                    identifier: Some(file.to_owned()),
                    record: None,
                    codes: vec![(code, report.domain.clone())],
                    opinion: None,
                });
            }
        }
        Ok(())
    }

    /// What the provider reported for entry `id`: its action and opinion, once it has.
    pub async fn miit_unfiled_report(&self, id: i64) -> Result<Option<(i64, String)>, MiitError> {
        let row: Option<(Option<i64>, String)> = on!(store self.store.store(), |c| sqlx::query_as(
            "SELECT action, opinion FROM reg_miit_unfiled WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?);
        Ok(row.and_then(|(a, o)| a.map(|a| (a, o))))
    }
}
