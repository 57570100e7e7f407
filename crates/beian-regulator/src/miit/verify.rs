//! Verification tasks and inspections at the simulated bureau: an officer asks a provider to
//! verify a filing it gives access to (`beian regulator verify`: an `HSRW` task carrying the
//! filing as the bureau last handed it down in `BASJ`), and takes the provider's answer
//! (`HSJG`); an officer hands down an inspection finding about a site (`beian regulator
//! inspect`: `HCJG`, access reported where the site is not, 多报, or not reported where it
//! is, 少报).
//!
//! An answer names only the subject (`Ztid`): it closes that provider's open task about it. An
//! answer with no open task (never asked, or answered already) is refused for the whole file
//! with 5999 and a description, since the spec has no code of its own for it. Asking again
//! while a task is open hands the same task down once more.

use std::net::Ipv4Addr;

use beian_miit::codes::result;
use beian_miit::mapping::results::Verdict;
use beian_miit::mapping::verify::{self, Finding, InspectedSite};
use beian_miit::schema::download::{self, DownloadData, DownloadDataChoice, icp::basj};
use beian_miit::schema::upload;
use beian_miit::xml::{self, Mode};
use beian_store::{Tx, on};

use super::MiitError;
use super::accounts::Account;
use super::ids::{self, Kind};
use crate::service::Service;

fn file(icp: download::Icp) -> DownloadData {
    DownloadData { version: super::VERSION.into(), choice: DownloadDataChoice::Icp(icp) }
}

impl Service {
    /// The filing of `subject_number` as last handed down to reporting unit `isp_id` (`BASJ`).
    async fn miit_filing_handed_down(
        &self,
        isp_id: i64,
        subject_number: &str,
    ) -> Result<Option<basj::Baxx>, MiitError> {
        let files = self.store.downloads_of(&self.keys, isp_id).await?;
        for (_, _, bytes, _) in files.into_iter().rev() {
            let Ok(doc) = xml::from_bytes::<DownloadData>(&bytes, Mode::Lenient) else { continue };
            let DownloadDataChoice::Icp(icp) = doc.choice else { continue };
            if let Some(b) = icp
                .basj
                .into_iter()
                .flat_map(|b| b.baxx)
                .find(|b| b.zt_xx.baxh.as_deref() == Some(subject_number))
            {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// Asks reporting unit `isp_id` to verify the filing of `subject_number` (its websites
    /// that unit gives access to); returns the subject's bureau id (`Ztid`).
    pub async fn miit_issue_verification(
        &self,
        isp_id: i64,
        subject_number: &str,
        note: Option<String>,
    ) -> Result<i64, MiitError> {
        let filing = self.miit_filing_handed_down(isp_id, subject_number).await?.ok_or_else(|| {
            MiitError::Internal(format!("no filing of {subject_number} was handed down to unit {isp_id}"))
        })?;
        let task = verify::task_of_filing(filing, isp_id, note).ok_or_else(|| {
            MiitError::Internal(format!("unit {isp_id} gives no website of {subject_number} access"))
        })?;
        let ztid = task.zt_xx.ztid;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        on!(tx &mut tx, |c| sqlx::query(
            "INSERT INTO reg_miit_tasks (isp_id, ztid, subject_number, issued_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (isp_id, ztid) WHERE answered_at IS NULL DO NOTHING",
        )
        .bind(isp_id)
        .bind(ztid)
        .bind(subject_number)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        let icp = download::Icp { hsrw: Some(verify::hsrw(vec![task])), ..download::Icp::empty() };
        super::downloads::queue(&mut tx, &self.keys, isp_id, "HSRW", &file(icp), now).await?;
        tx.commit().await?;
        Ok(ztid)
    }

    /// Hands reporting unit `isp_id` an inspection finding about the website `number`:
    /// `under` — the site answers on its addresses without its access filed (少报), else its
    /// access is filed and the site is not there (多报).
    pub async fn miit_issue_inspection(
        &self,
        isp_id: i64,
        number: &str,
        under: bool,
        ip: Option<Ipv4Addr>,
    ) -> Result<(), MiitError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let domain: Option<String> = on!(tx &mut tx, |c| sqlx::query_scalar(
            "SELECT d.domain FROM reg_service_domains d JOIN reg_services s ON s.id = d.service_id WHERE s.number = $1 ORDER BY d.domain LIMIT 1",
        )
        .bind(number)
        .fetch_optional(c)
        .await?);
        let site = InspectedSite {
            id: ids::id_of(&mut tx, Kind::Website, number).await?,
            number: number.to_owned(),
            domain,
            ip,
            finding: if under { Finding::AccessUnderReported } else { Finding::AccessOverReported },
            at: super::spec_time(now),
            note: None,
        };
        let icp = download::Icp { hcjg: Some(verify::hcjg(&[site])), ..download::Icp::empty() };
        super::downloads::queue(&mut tx, &self.keys, isp_id, "HCJG", &file(icp), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the `HSJG` answers of an upload file: refusals are added to `refused`.
    pub(super) async fn miit_verification_answers(
        &self,
        tx: &mut Tx,
        account: &Account,
        file: &str,
        icp: &upload::Icp,
        now: i64,
        refused: &mut Vec<Verdict>,
    ) -> Result<(), MiitError> {
        for a in verify::answers(icp) {
            let answered = on!(tx tx, |c| sqlx::query(
                "UPDATE reg_miit_tasks SET answered_at = $1, passed = $2, opinion = $3, verifier = $4 \
                 WHERE isp_id = $5 AND ztid = $6 AND answered_at IS NULL",
            )
            .bind(now)
            .bind(a.passed)
            .bind(&a.opinion)
            .bind(&a.verifier)
            .bind(account.isp_id)
            .bind(a.subject_id)
            .execute(c)
            .await?
            .rows_affected());
            if answered == 0 {
                refused.push(Verdict {
                    operation: 1,
                    identifier: Some(file.to_owned()),
                    record: None,
                    codes: vec![(
                        result::FILE_OTHER,
                        format!("核实结果没有对应的待核实任务（主体记录{}）", a.subject_id),
                    )],
                    opinion: None,
                });
            }
        }
        Ok(())
    }

    /// The answer to reporting unit `isp_id`'s latest task about subject `ztid`: whether it
    /// passed, and the opinion, once answered.
    pub async fn miit_verification_answer(
        &self,
        isp_id: i64,
        ztid: i64,
    ) -> Result<Option<(bool, String)>, MiitError> {
        let row: Option<(Option<bool>, String)> = on!(store self.store.store(), |c| sqlx::query_as(
            "SELECT passed, opinion FROM reg_miit_tasks WHERE isp_id = $1 AND ztid = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(isp_id)
        .bind(ztid)
        .fetch_optional(c)
        .await?);
        Ok(row.and_then(|(p, o)| p.map(|p| (p, o))))
    }
}
