//! A V3.0 record's outcome, handed down: when a submission that came from an upload is
//! approved, rejected, or returned for its SMS round (timed out, too many wrong codes), the
//! event's transaction queues a job ([`RESULT_JOB`]) that writes the result file — `BAJG` with
//! the record's verdict (1001 approved, 1002 refused) and the bureau's opinion (`GJSHS`), and
//! on approval the filing as it now stands (`BASJ`, with the bureau's ids and the numbers) or
//! what was cancelled (`ZXSJ`). The file's name is derived from the event, so a job that runs
//! twice queues one file.
//!
//! Records refused on intake, and files that fail as a whole, get their verdicts at once
//! ([`queue_verdicts`]).

use beian_core::model::Order;
use beian_crypto::Keys;
use beian_miit::codes::result;
use beian_miit::mapping::filed::{self, BureauIds, Filed, SiteBureauIds};
use beian_miit::mapping::outbound::RecordIds;
use beian_miit::mapping::results::{self as verdicts, Opinion, Verdict};
use beian_miit::schema::download::{self, DownloadData, DownloadDataChoice, icp};
use beian_seam::wire::Decision;
use beian_store::{Tx, Uuid, on};
use serde::Deserialize;

use super::MiitError;
use super::ids::{self, Kind};
use crate::service::Service;

pub use crate::events::{MIIT_RESULT_JOB as RESULT_JOB, is_outcome};

/// The payload of [`RESULT_JOB`].
#[derive(Debug, Deserialize)]
pub struct ResultJob {
    pub submission: Uuid,
    pub seq: i64,
}

fn icp_file(icp: download::Icp) -> DownloadData {
    DownloadData { version: super::VERSION.into(), choice: DownloadDataChoice::Icp(icp) }
}

/// Queues verdicts given at once (records refused on intake, files failing whole).
pub async fn queue_verdicts(
    tx: &mut Tx,
    keys: &Keys,
    isp_id: i64,
    v: &[Verdict],
    now: i64,
) -> Result<(), MiitError> {
    let icp = download::Icp { bajg: Some(verdicts::bajg(v)), ..download::Icp::empty() };
    super::downloads::queue(tx, keys, isp_id, "BAJG", &icp_file(icp), now).await?;
    Ok(())
}

type RecordRow = (i64, i64, String, Option<i64>, String);

impl Service {
    /// The [`RESULT_JOB`]: writes the result file of a V3.0 record's outcome, once.
    pub(crate) async fn miit_result(&self, job: ResultJob) -> Result<(), MiitError> {
        let mut tx = self.store.begin().await?;
        let record: Option<RecordRow> = on!(tx &mut tx, |c| sqlx::query_as(
            "SELECT isp_id, operation, bs, jlid, ids FROM reg_miit_records WHERE submission_id = $1",
        )
        .bind(job.submission)
        .fetch_optional(c)
        .await?);
        let Some((isp_id, operation, bs, jlid, ids)) = record else { return Ok(()) };
        let name = format!("BAJG{}{}", job.submission.simple(), job.seq);
        let exists: Option<String> = on!(tx &mut tx, |c| sqlx::query_scalar("SELECT file_name FROM reg_miit_downloads WHERE file_name = $1")
            .bind(&name)
            .fetch_optional(c)
            .await?);
        if exists.is_some() {
            return Ok(());
        }
        let (kind, detail, at): (String, String, i64) = on!(tx &mut tx, |c| sqlx::query_as(
            "SELECT kind, detail, at FROM reg_events WHERE submission_id = $1 AND seq = $2",
        )
        .bind(job.submission)
        .bind(job.seq)
        .fetch_one(c)
        .await?);
        let detail: serde_json::Value = serde_json::from_str(&detail)?;
        let when = super::spec_time(at);
        let refused = |text: String| Verdict {
            operation,
            identifier: Some(bs.clone()),
            record: jlid,
            codes: vec![(result::REFUSED, String::new())],
            opinion: Some(Opinion { approved: false, text: Some(text), reviewer: None, at: when.clone() }),
        };
        let mut icp = download::Icp::empty();
        let verdict = match kind.as_str() {
            "approved" => {
                let decision: Decision = serde_json::from_value(detail)?;
                let order = self.record_order(&mut tx, job.submission).await?;
                let isp: RecordIds = serde_json::from_str(&ids)?;
                match operation {
                    1..=4 => {
                        icp.basj = Some(icp::Basj {
                            baxx: vec![self.basj(&mut tx, isp_id, &order, &decision, &isp, at).await?],
                        })
                    }
                    6 | 7 => {
                        icp.zxsj = Some(self.zxsj(&mut tx, &decision).await?).filter(|z| !z.zxxx.is_empty())
                    }
                    _ => {}
                }
                Verdict {
                    operation,
                    identifier: Some(bs.clone()),
                    record: jlid,
                    codes: vec![(result::APPROVED, String::new())],
                    opinion: Some(Opinion { approved: true, text: None, reviewer: None, at: when.clone() }),
                }
            }
            "rejected" => {
                let reasons: Vec<String> = detail["reasons"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| {
                                format!(
                                    "{}：{}",
                                    r["field"].as_str().unwrap_or_default(),
                                    r["reason"].as_str().unwrap_or_default()
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                refused(reasons.join("；"))
            }
            "sms_timeout" => refused("24小时内未完成工信部短信核验".into()),
            "sms_failed" => refused("工信部短信核验错误次数过多".into()),
            _ => refused("申请已撤回".into()),
        };
        icp.bajg = Some(verdicts::bajg(&[verdict]));
        let xml = beian_miit::xml::to_gbk(&icp_file(icp)).map_err(super::downloads::DownloadError::from)?;
        let blob =
            self.keys.encrypt(&format!("reg_miit_downloads/{name}"), &xml).map_err(MiitError::crypto)?;
        on!(tx &mut tx, |c| sqlx::query("INSERT INTO reg_miit_downloads (file_name, isp_id, kind, xml, created_at, acked_at) VALUES ($1, $2, 'BAJG', $3, $4, NULL) ON CONFLICT (file_name) DO NOTHING")
            .bind(&name)
            .bind(isp_id)
            .bind(&blob)
            .bind(self.now())
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(())
    }

    /// The order a record's submission carries.
    async fn record_order(&self, tx: &mut Tx, submission: Uuid) -> Result<Order, MiitError> {
        let payload: Vec<u8> = on!(tx tx, |c| sqlx::query_scalar("SELECT payload FROM reg_submissions WHERE id = $1")
            .bind(submission)
            .fetch_one(c)
            .await?);
        let plain = self
            .keys
            .decrypt(&crate::submissions::payload_aad(submission), &payload)
            .map_err(MiitError::crypto)?;
        let body: serde_json::Value = serde_json::from_slice(&plain)?;
        Ok(serde_json::from_value(body["order"].clone())?)
    }

    /// The `BASJ` record of an approved filing, with the bureau's ids given now if new.
    async fn basj(
        &self,
        tx: &mut Tx,
        isp_id: i64,
        order: &Order,
        decision: &Decision,
        isp: &RecordIds,
        at: i64,
    ) -> Result<download::icp::basj::Baxx, MiitError> {
        let subject_number = decision
            .subject_number
            .clone()
            .or_else(|| order.subject.existing_number.clone())
            .ok_or_else(|| MiitError::Internal("an approval without a subject number".into()))?;
        let mut numbers = Vec::new();
        let mut bureau = BureauIds {
            subject: ids::id_of(tx, Kind::Subject, &subject_number).await?,
            websites: Vec::new(),
        };
        for (i, w) in order.websites.iter().enumerate() {
            let path = format!("websites[{i}]");
            let number = decision
                .services
                .iter()
                .find(|s| s.path == path)
                .map(|s| s.number.clone())
                .or_else(|| w.existing_number.clone())
                .ok_or_else(|| MiitError::Internal(format!("no number for {path}")))?;
            let mut site = SiteBureauIds {
                website: ids::id_of(tx, Kind::Website, &number).await?,
                access: ids::id_of(tx, Kind::Access, &format!("{number}/{isp_id}")).await?,
                ..SiteBureauIds::default()
            };
            for d in &w.domains {
                site.domains.insert(d.clone(), ids::id_of(tx, Kind::Domain, &format!("{number}/{d}")).await?);
            }
            for ip in &w.access.ips {
                site.ips.push(ids::id_of(tx, Kind::Ip, &format!("{number}/{isp_id}/{ip}")).await?);
            }
            bureau.websites.push(site);
            numbers.push(number);
        }
        let first: Option<i64> = on!(tx tx, |c| sqlx::query_scalar("SELECT approved_at FROM reg_subjects WHERE number = $1")
            .bind(&subject_number)
            .fetch_optional(c)
            .await?);
        let (first_filed, changed) = (super::spec_time(first.unwrap_or(at)), super::spec_time(at));
        Ok(filed::basj(
            super::tables(),
            Filed {
                order,
                subject_number: &subject_number,
                website_numbers: &numbers,
                ids: &bureau,
                isp,
                unit_id: isp_id,
                first_filed: &first_filed,
                changed: &changed,
                reviewer: None,
            },
        )?)
    }

    /// What a cancellation cancelled (`ZXSJ`): the subject (0) and websites (1) by the
    /// bureau's ids.
    async fn zxsj(&self, tx: &mut Tx, decision: &Decision) -> Result<icp::Zxsj, MiitError> {
        let mut zxxx = Vec::new();
        for number in &decision.cancelled {
            let is_service =
                beian_core::number::parse(number).ok().and_then(|p| p.number.service()).is_some();
            let (kind, category) = if is_service { (Kind::Website, 1) } else { (Kind::Subject, 0) };
            zxxx.push(icp::zxsj::Zxxx {
                zxlb: category,
                jlid: ids::id_of(tx, kind, number).await?,
                bz: None,
            });
        }
        Ok(icp::Zxsj { zxxx })
    }
}
