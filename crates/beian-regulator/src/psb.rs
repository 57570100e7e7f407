//! The public-security filing platform (公安联网备案): applications for filed websites, the PSB
//! officer's queue and decision, and the numbers it issues.
//!
//! An application arrives over the same signed seam as an ICP order, as a submission of kind
//! `psb` (same idempotency, encryption, events and callbacks), but without an SMS round: it
//! goes straight to the officers of the province of its filing police area. Intake refuses an
//! application the PSB rules find errors in, or whose ICP number is not a filed website here.
//! Approval takes the next serial of the filing area from a counter row in the decision's
//! transaction and issues `<prefix>公网安备<area><kind><serial>号`.
//!
//! This module must never return an application's certificate numbers or phones unmasked,
//! and never put them in an event.

use beian_core::province::ProvinceCode;
use beian_core::psb::PsbApplication;
use beian_crypto::Keys;
use beian_store::{StoreError, Tx, Uuid, on};
use serde::{Deserialize, Serialize};

use crate::RegulatorStore;
use crate::bureau::{Account, BureauError, Desk, QueueItem, Reason, masked, take_for_decision};
use crate::events;
use crate::i18n::bilingual;
use crate::submissions::SubmissionStatus;

pub use beian_seam::wire::PsbDecision;

#[derive(Deserialize)]
struct Payload {
    application: PsbApplication,
}

/// The application in a decrypted submission body.
pub(crate) fn application_in(body: &[u8]) -> Result<PsbApplication, BureauError> {
    let p: Payload = serde_json::from_slice(body).map_err(|e| BureauError::Internal(e.to_string()))?;
    Ok(p.application)
}

/// The province whose officers review an application: that of its filing police area.
pub fn province_of(app: &PsbApplication) -> Option<ProvinceCode> {
    ProvinceCode::parse(app.filing_area.trim().get(..2)?)
}

/// What an officer sees of an application.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PsbReview {
    pub id: Uuid,
    pub provider: String,
    pub status: String,
    pub province: String,
    /// The application with certificate numbers and phones masked.
    pub application: serde_json::Value,
    pub events: Vec<events::Event>,
    /// The platform's checks against the ICP records, as reasons the officer can adopt.
    pub checks: Vec<Reason>,
}

/// An issued PSB number, as the public query shows it (no PII).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PsbRecord {
    pub number: String,
    pub icp_number: String,
    pub website_name: String,
    pub domains: Vec<String>,
    /// `YYYY-MM-DD`, China time.
    pub approved_on: String,
    /// `filed`, or `icp_cancelled`: the website's ICP filing was cancelled and this filing is
    /// due for cancellation by its owner.
    pub status: String,
}

/// Takes the next serial of a filing area, in the approval's transaction.
async fn next_serial(tx: &mut Tx, area: &str) -> Result<i64, StoreError> {
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_psb_serials (area, next_serial) VALUES ($1, 1) ON CONFLICT (area) DO NOTHING",
    )
    .bind(area)
    .execute(c)
    .await
    .map(|_| ())?);
    Ok(on!(tx tx, |c| sqlx::query_scalar(
        "UPDATE reg_psb_serials SET next_serial = next_serial + 1 WHERE area = $1 RETURNING next_serial - 1",
    )
    .bind(area)
    .fetch_one(c)
    .await?))
}

/// Approves an application: the number is issued and recorded in this transaction.
pub async fn approve(
    tx: &mut Tx,
    keys: &Keys,
    who: &Account,
    id: Uuid,
    now: i64,
) -> Result<PsbDecision, BureauError> {
    let (_, body) = take_for_decision(tx, keys, who, Desk::Psb, id, SubmissionStatus::Approved, now).await?;
    let app = application_in(&body)?;
    let area = app.filing_area.trim();
    let serial = next_serial(tx, area).await?;
    let number = u32::try_from(serial)
        .ok()
        .and_then(|s| beian_core::psb::issue_number(area, s))
        .ok_or_else(|| BureauError::Internal(format!("no PSB number for area {area} serial {serial}")))?
        .to_string();
    let domains = serde_json::to_string(&app.domains).unwrap_or_else(|_| "[]".into());
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_psb_records (number, icp_number, area, submission_id, website_name, domains, status, approved_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'filed', $7)",
    )
    .bind(&number)
    .bind(app.icp_number.trim())
    .bind(area)
    .bind(id)
    .bind(&app.website_name)
    .bind(&domains)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())?);
    let decision = PsbDecision { psb_number: number, icp_number: app.icp_number.trim().to_owned() };
    events::append(tx, id, "approved", serde_json::to_value(&decision).unwrap_or_default(), now).await?;
    Ok(decision)
}

/// Why an application cannot be received, beyond the PSB rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeRefusal {
    /// The ICP number is not a filed website on record.
    IcpNotFiled,
    /// The filing area names no province.
    AreaInvalid,
}

impl RegulatorStore {
    /// Whether an application may be received: its ICP number is a filed website here.
    pub async fn psb_intake_check(&self, app: &PsbApplication) -> Result<Option<IntakeRefusal>, StoreError> {
        if province_of(app).is_none() {
            return Ok(Some(IntakeRefusal::AreaInvalid));
        }
        let status: Option<String> = on!(store self.store(), |c| sqlx::query_scalar(
            "SELECT status FROM reg_services WHERE number = $1 AND kind = 'website'",
        )
        .bind(app.icp_number.trim())
        .fetch_optional(c)
        .await?);
        Ok((status.as_deref() != Some("filed")).then_some(IntakeRefusal::IcpNotFiled))
    }

    /// The applications waiting for the officer's province, oldest first.
    pub async fn psb_queue(&self, keys: &Keys, who: &Account) -> Result<Vec<QueueItem>, BureauError> {
        let rows = self.waiting_at(Desk::Psb, who).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, provider, submission_id, province, received_at) in rows {
            let app = self.application(keys, id).await?;
            out.push(QueueItem {
                id,
                provider,
                submission_id,
                province,
                kind: "psb".into(),
                subject_name: app.subject_name,
                received_at,
            });
        }
        Ok(out)
    }

    async fn application(&self, keys: &Keys, id: Uuid) -> Result<PsbApplication, BureauError> {
        application_in(&self.body_of(keys, id).await?)
    }

    /// An application as an officer of its province (or an admin) sees it.
    pub async fn psb_review(&self, keys: &Keys, who: &Account, id: Uuid) -> Result<PsbReview, BureauError> {
        let (provider, status, province) = self.visible_submission(who, id, Desk::Psb).await?;
        let app = self.application(keys, id).await?;
        Ok(PsbReview {
            id,
            provider,
            status,
            province,
            application: masked(serde_json::to_value(&app).unwrap_or_default()),
            events: self.events(id, 0).await?,
            checks: self.psb_checks(&app).await?,
        })
    }

    /// The platform's checks of an application against the records: a domain that is not on
    /// the ICP record, a subject name that differs from it, a PSB number already issued.
    pub async fn psb_checks(&self, app: &PsbApplication) -> Result<Vec<Reason>, StoreError> {
        let icp = app.icp_number.trim();
        let filed: Vec<String> = on!(store self.store(), |c| sqlx::query_scalar(
            "SELECT d.domain FROM reg_service_domains d JOIN reg_services s ON s.id = d.service_id WHERE s.number = $1",
        )
        .bind(icp)
        .fetch_all(c)
        .await?);
        let mut out = Vec::new();
        for (i, d) in app.domains.iter().enumerate() {
            let d = d.trim().trim_end_matches('.').to_lowercase();
            if !filed.contains(&d) {
                out.push(Reason {
                    field: format!("domains[{i}]"),
                    reason: bilingual(
                        "check.domain_not_on_icp",
                        &[("domain", d.clone()), ("icp", icp.to_string())],
                    ),
                });
            }
        }
        let subject: Option<String> = on!(store self.store(), |c| sqlx::query_scalar(
            "SELECT j.name FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id WHERE s.number = $1",
        )
        .bind(icp)
        .fetch_optional(c)
        .await?);
        if let Some(name) = subject.filter(|n| n != app.subject_name.trim()) {
            out.push(Reason {
                field: "subject_name".into(),
                reason: bilingual("check.subject_name_differs", &[("name", name)]),
            });
        }
        let issued: Option<String> = on!(store self.store(), |c| sqlx::query_scalar(
            "SELECT number FROM reg_psb_records WHERE icp_number = $1 AND status = 'filed' LIMIT 1",
        )
        .bind(icp)
        .fetch_optional(c)
        .await?);
        if let Some(n) = issued {
            out.push(Reason {
                field: "icp_number".into(),
                reason: bilingual("check.psb_issued", &[("number", n)]),
            });
        }
        Ok(out)
    }

    /// The public query by PSB number (beian.mps.gov.cn's 网站查询).
    pub async fn psb_record(&self, number: &str) -> Result<Option<PsbRecord>, StoreError> {
        let row: Option<(String, String, String, String, i64, String)> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT number, icp_number, website_name, domains, approved_at, status FROM reg_psb_records
             WHERE number = $1 AND status IN ('filed', 'icp_cancelled')",
        )
        .bind(number)
        .fetch_optional(c)
        .await?);
        Ok(row.map(|(number, icp_number, website_name, domains, at, status)| PsbRecord {
            number,
            icp_number,
            website_name,
            domains: serde_json::from_str(&domains).unwrap_or_default(),
            approved_on: crate::records::approved_on(at),
            status,
        }))
    }
}
