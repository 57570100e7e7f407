//! Filing submissions received from providers.
//!
//! A provider submits a filing under its own submission id. Networks fail, so the provider
//! retries: the same id with the same body is the same submission (the first answer again),
//! the same id with a different body is refused — never a second filing, never a silent
//! overwrite. The body carries certificate numbers and phones, so it is stored encrypted,
//! bound to its row. A provider sees only its own submissions: another provider's id is
//! "not found", never "forbidden", so ids cannot be probed.
//!
//! This module must never change a submission's status without a compare-and-set on the
//! status it expects: two regulator processes may act on one submission at once.

use beian_core::province::ProvinceCode;
use beian_crypto::{CryptoError, Keys};
use beian_store::{StoreError, Tx, Uuid, on};
use sha2::{Digest, Sha256};

use crate::RegulatorStore;

/// Where a submission is in MIIT's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionStatus {
    /// Received; MIIT has texted the responsible people their codes.
    SmsPending,
    /// Every code entered; the provincial bureau reviews it.
    BureauReview,
    /// A public-security application waiting for a PSB officer (no SMS round).
    PsbReview,
    Approved,
    Rejected,
    /// The provider withdrew it before a decision.
    Withdrawn,
    /// The SMS window closed before every code was entered.
    Expired,
    /// The sixth wrong code was entered.
    SmsFailed,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 8] = [
        SubmissionStatus::SmsPending,
        SubmissionStatus::BureauReview,
        SubmissionStatus::PsbReview,
        SubmissionStatus::Approved,
        SubmissionStatus::Rejected,
        SubmissionStatus::Withdrawn,
        SubmissionStatus::Expired,
        SubmissionStatus::SmsFailed,
    ];

    /// The stable wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::SmsPending => "sms_pending",
            SubmissionStatus::BureauReview => "bureau_review",
            SubmissionStatus::PsbReview => "psb_review",
            SubmissionStatus::Approved => "approved",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Withdrawn => "withdrawn",
            SubmissionStatus::Expired => "expired",
            SubmissionStatus::SmsFailed => "sms_failed",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionStatus> {
        SubmissionStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// A decision or an end: nothing moves it any more.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            SubmissionStatus::SmsPending | SubmissionStatus::BureauReview | SubmissionStatus::PsbReview
        )
    }
}

/// What a submission files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionKind {
    /// An ICP order: SMS verification, then the provincial bureau.
    Icp,
    /// A public-security application for one filed website: a PSB officer.
    Psb,
}

impl SubmissionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::Icp => "icp",
            SubmissionKind::Psb => "psb",
        }
    }

    /// The status a new submission of this kind starts in.
    pub fn first_status(self) -> SubmissionStatus {
        match self {
            SubmissionKind::Icp => SubmissionStatus::SmsPending,
            SubmissionKind::Psb => SubmissionStatus::PsbReview,
        }
    }
}

/// Why a submission was refused. Each has a stable code for the provider API.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("submission id must be 1–64 characters of A–Z, a–z, 0–9, '-', '_' or '.'")]
    InvalidId,
    #[error("this submission id was used before with a different body")]
    Conflict,
    #[error("no such submission")]
    NotFound,
    #[error("the submission is already {}", .0.as_str())]
    Final(SubmissionStatus),
    #[error("stored submission cannot be read")]
    Crypto(#[from] CryptoError),
    #[error("stored submission is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SubmissionError {
    fn from(e: sqlx::Error) -> Self {
        SubmissionError::Store(e.into())
    }
}

impl SubmissionError {
    /// The stable code the provider API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            SubmissionError::InvalidId => "SUBMISSION_ID_INVALID",
            SubmissionError::Conflict => "SUBMISSION_CONFLICT",
            SubmissionError::NotFound => "SUBMISSION_NOT_FOUND",
            SubmissionError::Final(_) => "SUBMISSION_FINAL",
            SubmissionError::Crypto(_) | SubmissionError::Corrupt(_) | SubmissionError::Store(_) => {
                "INTERNAL"
            }
        }
    }
}

/// What an intake did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// A new submission.
    Created(Uuid),
    /// A retry of one received before: nothing was written.
    Repeated(Uuid),
}

impl Intake {
    pub fn id(self) -> Uuid {
        match self {
            Intake::Created(id) | Intake::Repeated(id) => id,
        }
    }
}

/// A submission as its provider sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: Uuid,
    pub submission_id: String,
    pub province: ProvinceCode,
    pub status: SubmissionStatus,
    pub received_at: i64,
    pub updated_at: i64,
}

fn valid_submission_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub(crate) fn payload_aad(id: Uuid) -> String {
    format!("submissions/{id}/payload")
}

/// Receives a submission, or recognizes a retry of one. A submission id names one
/// submission whatever its kind: reusing an ICP order's id for a PSB application is a conflict.
#[allow(clippy::too_many_arguments)]
pub async fn receive(
    tx: &mut Tx,
    keys: &Keys,
    provider_id: Uuid,
    submission_id: &str,
    kind: SubmissionKind,
    province: ProvinceCode,
    body: &[u8],
    now: i64,
) -> Result<Intake, SubmissionError> {
    if !valid_submission_id(submission_id) {
        return Err(SubmissionError::InvalidId);
    }
    let hash = Sha256::digest(body).to_vec();
    let id = beian_store::new_id();
    let payload = keys.encrypt(&payload_aad(id), body)?;
    let inserted = on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_submissions (id, provider_id, submission_id, body_hash, province, payload, status, received_at, updated_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT (provider_id, submission_id) DO NOTHING",
    )
    .bind(id)
    .bind(provider_id)
    .bind(submission_id)
    .bind(&hash)
    .bind(province.to_string())
    .bind(&payload)
    .bind(kind.first_status().as_str())
    .bind(now)
    .bind(kind.as_str())
    .execute(c)
    .await?
    .rows_affected());
    if inserted == 1 {
        return Ok(Intake::Created(id));
    }
    let (existing, existing_hash): (Uuid, Vec<u8>) = on!(tx tx, |c| sqlx::query_as(
        "SELECT id, body_hash FROM reg_submissions WHERE provider_id = $1 AND submission_id = $2",
    )
    .bind(provider_id)
    .bind(submission_id)
    .fetch_one(c)
    .await?);
    if existing_hash == hash { Ok(Intake::Repeated(existing)) } else { Err(SubmissionError::Conflict) }
}

type SubmissionRow = (Uuid, String, String, String, i64, i64);

fn from_row(
    (id, submission_id, province, status, received_at, updated_at): SubmissionRow,
) -> Result<Submission, SubmissionError> {
    let corrupt = |what: &str| SubmissionError::Corrupt(format!("reg_submissions {id}: {what}"));
    Ok(Submission {
        id,
        submission_id,
        province: ProvinceCode::parse(&province).ok_or_else(|| corrupt("province"))?,
        status: SubmissionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        received_at,
        updated_at,
    })
}

const BY_PROVIDER_ID: &str = "SELECT id, submission_id, province, status, received_at, updated_at FROM reg_submissions WHERE provider_id = $1 AND submission_id = $2";

/// Moves a submission from `from` to `to` if it is still in `from`; false when another
/// process moved it first.
pub async fn transition(
    tx: &mut Tx,
    id: Uuid,
    from: SubmissionStatus,
    to: SubmissionStatus,
    now: i64,
) -> Result<bool, SubmissionError> {
    let n = on!(tx tx, |c| sqlx::query("UPDATE reg_submissions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(c)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The provider withdraws its submission before a decision. Returns the submission and
/// whether this call withdrew it (false: it was withdrawn before).
pub async fn withdraw(
    tx: &mut Tx,
    provider_id: Uuid,
    submission_id: &str,
    now: i64,
) -> Result<(Submission, bool), SubmissionError> {
    let row: Option<SubmissionRow> = on!(tx tx, |c| sqlx::query_as(BY_PROVIDER_ID)
    .bind(provider_id)
    .bind(submission_id)
    .fetch_optional(c)
    .await?);
    let mut s = from_row(row.ok_or(SubmissionError::NotFound)?)?;
    if s.status == SubmissionStatus::Withdrawn {
        return Ok((s, false));
    }
    if s.status.is_final() || !transition(tx, s.id, s.status, SubmissionStatus::Withdrawn, now).await? {
        // Lost a race with a decision: report what it is now.
        let now_status: String = on!(tx tx, |c| sqlx::query_scalar("SELECT status FROM reg_submissions WHERE id = $1")
            .bind(s.id)
            .fetch_one(c)
            .await?);
        let st = SubmissionStatus::parse(&now_status).unwrap_or(s.status);
        return if st == SubmissionStatus::Withdrawn {
            Ok((Submission { status: st, ..s }, false))
        } else {
            Err(SubmissionError::Final(st))
        };
    }
    s.status = SubmissionStatus::Withdrawn;
    s.updated_at = now;
    Ok((s, true))
}

/// One of the provider's submissions, by its own id, read in the caller's transaction.
pub async fn find(
    tx: &mut Tx,
    provider_id: Uuid,
    submission_id: &str,
) -> Result<Option<Submission>, SubmissionError> {
    let row: Option<SubmissionRow> = on!(tx tx, |c| sqlx::query_as(BY_PROVIDER_ID)
        .bind(provider_id)
        .bind(submission_id)
        .fetch_optional(c)
        .await?);
    row.map(from_row).transpose()
}

impl RegulatorStore {
    /// Submissions waiting at a desk (`bureau_review`, `psb_review`) since `before` or longer,
    /// oldest first, at most 100: what the demo policy approves.
    pub async fn waiting_since(&self, before: i64) -> Result<Vec<(Uuid, String)>, StoreError> {
        Ok(on!(store self.store(), |c| sqlx::query_as(
            "SELECT id, status FROM reg_submissions WHERE status IN ('bureau_review', 'psb_review') AND updated_at <= $1 ORDER BY updated_at LIMIT 100",
        )
        .bind(before)
        .fetch_all(c)
        .await?))
    }

    /// One of the provider's submissions, by its own id.
    pub async fn submission(
        &self,
        provider_id: Uuid,
        submission_id: &str,
    ) -> Result<Option<Submission>, SubmissionError> {
        let row: Option<SubmissionRow> = on!(store self.store(), |c| sqlx::query_as(BY_PROVIDER_ID)
        .bind(provider_id)
        .bind(submission_id)
        .fetch_optional(c)
        .await?);
        row.map(from_row).transpose()
    }

    /// The filing as the provider sent it (bureau staff only).
    pub async fn submission_payload(
        &self,
        keys: &Keys,
        id: Uuid,
    ) -> Result<Option<Vec<u8>>, SubmissionError> {
        let blob: Option<Vec<u8>> = on!(store self.store(), |c| sqlx::query_scalar("SELECT payload FROM reg_submissions WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?);
        Ok(blob.map(|b| keys.decrypt(&payload_aad(id), &b)).transpose()?)
    }
}
