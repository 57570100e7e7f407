//! MIIT SMS verification, persisted: opening a round when a submission arrives, the
//! verification page's entries, resends and the 24-hour timeout sweep.
//!
//! The decisions are [`crate::sms`]'s; this module loads a round, lets `sms` decide, and
//! writes the result back under a version compare-and-set, together with the submission's
//! status change and its events, in one transaction.
//!
//! The texts go to `reg_sms_outbox`, the simulated phones, never to a real gateway: the real
//! MIIT texts from its own system, and a simulator that texted real numbers would send
//! strangers codes for filings that do not exist. Mobiles and certificate digits are stored
//! encrypted; a person is found by the blind index of their mobile. This module must never
//! log a mobile, a code or certificate digits.

use std::collections::BTreeSet;

use beian_core::id::Mobile;
use beian_core::model::Order;
use beian_crypto::{CryptoError, Keys};
use beian_store::{StoreError, Tx, Uuid, on};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::events;
use crate::sms::{Attempt, Challenge, SmsRound, random_code};
use crate::submissions::{self, SubmissionStatus};

/// Why an SMS step could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the mobile number is not a mainland mobile number")]
    MobileInvalid,
    #[error("the person at {0} has no usable mobile number or certificate number")]
    RecipientInvalid(String),
    #[error("no verification is pending for this mobile number")]
    NothingPending,
    #[error("this code cannot be sent again")]
    ResendRefused,
    #[error("the round changed concurrently; retry")]
    Busy,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("stored round is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for VerifyError {
    fn from(e: sqlx::Error) -> Self {
        VerifyError::Store(e.into())
    }
}

impl VerifyError {
    /// The stable code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MobileInvalid => "MOBILE_INVALID",
            VerifyError::RecipientInvalid(_) => "SMS_RECIPIENT_INVALID",
            VerifyError::NothingPending => "SMS_NOTHING_PENDING",
            VerifyError::ResendRefused => "SMS_RESEND_REFUSED",
            VerifyError::Busy => "SMS_BUSY",
            VerifyError::Crypto(_) | VerifyError::Corrupt(_) | VerifyError::Store(_) => "INTERNAL",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Secret {
    mobile: String,
    cert_last_six: String,
}

fn secret_aad(submission: Uuid, recipient: &str) -> String {
    format!("sms/{submission}/{recipient}")
}

fn text(code: &str, verify_url: &str) -> String {
    format!(
        "【工信部ICP备案】您的短信核验码为{code}，请于24小时内登录{verify_url}完成核验，输入手机号、验证码和证件号码后六位。如非本人操作请忽略。"
    )
}

/// Writes one text to the simulated phone.
async fn send(tx: &mut Tx, keys: &Keys, mobile: &str, body: &str, now: i64) -> Result<(), VerifyError> {
    let m = Mobile::parse(mobile).map_err(|_| VerifyError::MobileInvalid)?.value;
    on!(tx tx, |c| sqlx::query("INSERT INTO reg_sms_outbox (id, mobile_index, mobile_masked, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(beian_store::new_id())
        .bind(keys.blind_index("mobile", &m.to_string()))
        .bind(m.masked())
        .bind(body)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}

/// Texts a code to every person the order kind requires and opens the round, in the intake's
/// transaction. Returns the recipients (JSON paths); empty when the kind needs no SMS.
pub async fn open_round(
    tx: &mut Tx,
    keys: &Keys,
    submission: Uuid,
    order: &Order,
    verify_url: &str,
    now: i64,
) -> Result<BTreeSet<String>, VerifyError> {
    let recipients = beian_core::workflow::sms_recipients(order, beian_core::policy::PolicySet::builtin());
    if recipients.is_empty() {
        return Ok(recipients);
    }
    let sent_at = now.div_euclid(1_000_000);
    for (path, person) in order.persons() {
        if !recipients.contains(&path) {
            continue;
        }
        let code = random_code()?;
        let c = Challenge::new(&path, &person.mobile, &person.certificate.number, &code)
            .ok_or_else(|| VerifyError::RecipientInvalid(path.clone()))?;
        let secret =
            serde_json::to_vec(&Secret { mobile: c.mobile.clone(), cert_last_six: c.cert_last_six.clone() })
                .map_err(|e| VerifyError::Corrupt(e.to_string()))?;
        let m = Mobile::parse(&c.mobile).map_err(|_| VerifyError::MobileInvalid)?.value;
        on!(tx tx, |cx| sqlx::query(
            "INSERT INTO reg_sms_challenges (submission_id, recipient, mobile_index, mobile_masked, secret, code_hash, resends, verified_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, NULL)",
        )
        .bind(submission)
        .bind(&path)
        .bind(keys.blind_index("mobile", &c.mobile))
        .bind(m.masked())
        .bind(keys.encrypt(&secret_aad(submission, &path), &secret)?)
        .bind(c.code_hash().to_vec())
        .execute(cx)
        .await?
        .rows_affected());
        send(tx, keys, &c.mobile, &text(&code, verify_url), now).await?;
    }
    let round = SmsRound::new(Vec::new(), sent_at);
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_sms_rounds (submission_id, sent_at, deadline, wrong, closed, version) VALUES ($1, $2, $3, 0, FALSE, 0)",
    )
    .bind(submission)
    .bind(sent_at)
    .bind(round.deadline())
    .execute(c)
    .await?
    .rows_affected());
    events::append(
        tx,
        submission,
        "sms_sent",
        json!({ "recipients": recipients, "deadline": beian_seam::wire::times::format(round.deadline() * 1_000_000) }),
        now,
    )
    .await?;
    Ok(recipients)
}

/// recipient, secret, code hash, resends, verified at.
type ChallengeRow = (String, Vec<u8>, Vec<u8>, i64, Option<i64>);

/// A round as loaded, with the version its write-back must still find.
struct Loaded {
    round: SmsRound,
    version: i64,
}

async fn load(tx: &mut Tx, keys: &Keys, submission: Uuid) -> Result<Option<Loaded>, VerifyError> {
    let head: Option<(i64, i64, bool, i64)> = on!(tx tx, |c| sqlx::query_as(
        "SELECT sent_at, wrong, closed, version FROM reg_sms_rounds WHERE submission_id = $1",
    )
    .bind(submission)
    .fetch_optional(c)
    .await?);
    let Some((sent_at, wrong, closed, version)) = head else { return Ok(None) };
    let rows: Vec<ChallengeRow> = on!(tx tx, |c| sqlx::query_as(
        "SELECT recipient, secret, code_hash, resends, verified_at FROM reg_sms_challenges WHERE submission_id = $1 ORDER BY recipient",
    )
    .bind(submission)
    .fetch_all(c)
    .await?);
    let corrupt = |what: &str| VerifyError::Corrupt(format!("round {submission}: {what}"));
    let mut challenges = Vec::with_capacity(rows.len());
    for (recipient, secret, hash, resends, verified_at) in rows {
        let s: Secret = serde_json::from_slice(&keys.decrypt(&secret_aad(submission, &recipient), &secret)?)
            .map_err(|_| corrupt("secret"))?;
        let hash: [u8; 32] = hash.try_into().map_err(|_| corrupt("code hash"))?;
        challenges.push(Challenge::from_stored(
            recipient,
            s.mobile,
            s.cert_last_six,
            hash,
            u8::try_from(resends).map_err(|_| corrupt("resends"))?,
            verified_at.is_some(),
        ));
    }
    let round =
        SmsRound { challenges, wrong: u8::try_from(wrong).map_err(|_| corrupt("wrong"))?, sent_at, closed };
    Ok(Some(Loaded { round, version }))
}

/// Writes a round back; false when another process changed it since it was loaded.
async fn store_round(tx: &mut Tx, submission: Uuid, l: &Loaded, now: i64) -> Result<bool, VerifyError> {
    let n = on!(tx tx, |c| sqlx::query(
        "UPDATE reg_sms_rounds SET wrong = $1, closed = $2, version = version + 1 WHERE submission_id = $3 AND version = $4",
    )
    .bind(i64::from(l.round.wrong))
    .bind(l.round.closed)
    .bind(submission)
    .bind(l.version)
    .execute(c)
    .await?
    .rows_affected());
    if n != 1 {
        return Ok(false);
    }
    for ch in &l.round.challenges {
        on!(tx tx, |c| sqlx::query(
            "UPDATE reg_sms_challenges SET code_hash = $1, resends = $2, verified_at = CASE WHEN $3 THEN COALESCE(verified_at, $4) ELSE NULL END
             WHERE submission_id = $5 AND recipient = $6",
        )
        .bind(ch.code_hash().to_vec())
        .bind(i64::from(ch.resends))
        .bind(ch.verified)
        .bind(now)
        .bind(submission)
        .bind(&ch.recipient)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(true)
}

/// What an entry on the verification page did, as the page reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Verified; `all_done` when the order went on to the bureau.
    Verified {
        all_done: bool,
    },
    AlreadyVerified,
    /// Wrong; `left` more entries are taken (at least one), the last wrong one returning the
    /// order.
    Wrong {
        left: u8,
    },
    /// The sixth wrong entry returned the order.
    Returned,
    /// The 24-hour window had passed; the order returned as SMS timeout.
    Expired,
}

/// The open rounds that text a code to this mobile.
async fn open_rounds_for(tx: &mut Tx, index: &[u8]) -> Result<Vec<Uuid>, VerifyError> {
    Ok(on!(tx tx, |c| sqlx::query_scalar(
        "SELECT DISTINCT r.submission_id FROM reg_sms_challenges ch JOIN reg_sms_rounds r ON r.submission_id = ch.submission_id
         WHERE ch.mobile_index = $1 AND r.closed = FALSE ORDER BY r.submission_id",
    )
    .bind(index)
    .fetch_all(c)
    .await?))
}

/// One entry on the verification page: mobile, the last six characters of the certificate
/// number, and the code. A wrong entry counts against every open order texting this mobile.
pub async fn verify(
    tx: &mut Tx,
    keys: &Keys,
    mobile: &str,
    cert_last_six: &str,
    code: &str,
    now: i64,
) -> Result<Outcome, VerifyError> {
    let m = Mobile::parse(mobile).map_err(|_| VerifyError::MobileInvalid)?.value.to_string();
    let ids = open_rounds_for(tx, &keys.blind_index("mobile", &m)).await?;
    if ids.is_empty() {
        return Err(VerifyError::NothingPending);
    }
    let now_secs = now.div_euclid(1_000_000);
    let mut loaded = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(l) = load(tx, keys, id).await? {
            loaded.push((id, l));
        }
    }
    // A hit on one order settles the entry; only a miss everywhere counts as wrong, and only
    // against orders where this mobile still waits for its code.
    let mut already = false;
    for (id, l) in &mut loaded {
        let mut trial = l.round.clone();
        match trial.attempt(&m, cert_last_six, code, now_secs) {
            Attempt::Verified { recipient, all_done } => {
                l.round = trial;
                // A finished round takes no more entries (and no more wrong ones).
                l.round.closed = all_done;
                if !store_round(tx, *id, l, now).await? {
                    return Err(VerifyError::Busy);
                }
                events::append(tx, *id, "sms_verified", json!({ "recipient": recipient }), now).await?;
                if all_done {
                    to_status(tx, *id, SubmissionStatus::BureauReview, now).await?;
                    events::append(tx, *id, "bureau_review", json!({}), now).await?;
                }
                return Ok(Outcome::Verified { all_done });
            }
            Attempt::AlreadyVerified => already = true,
            _ => {}
        }
    }
    let mut worst = None;
    for (id, l) in &mut loaded {
        let outcome = match l.round.attempt(&m, cert_last_six, code, now_secs) {
            Attempt::Wrong { left } => {
                events::append(
                    tx,
                    *id,
                    "sms_wrong_code",
                    json!({ "wrong": l.round.wrong, "left": left }),
                    now,
                )
                .await?;
                Outcome::Wrong { left }
            }
            Attempt::Returned => {
                to_status(tx, *id, SubmissionStatus::SmsFailed, now).await?;
                events::append(tx, *id, "sms_wrong_code", json!({ "wrong": l.round.wrong, "left": 0 }), now)
                    .await?;
                events::append(tx, *id, "sms_failed", json!({}), now).await?;
                Outcome::Returned
            }
            Attempt::Expired => {
                time_out(tx, *id, &l.round, now).await?;
                Outcome::Expired
            }
            Attempt::Closed | Attempt::AlreadyVerified | Attempt::Verified { .. } => continue,
        };
        if !store_round(tx, *id, l, now).await? {
            return Err(VerifyError::Busy);
        }
        worst = Some(match (worst, outcome) {
            (Some(Outcome::Wrong { left: a }), Outcome::Wrong { left: b }) => {
                Outcome::Wrong { left: a.min(b) }
            }
            (Some(Outcome::Returned), _) => Outcome::Returned,
            (_, o) => o,
        });
    }
    match worst {
        Some(outcome) => Ok(outcome),
        None if already => Ok(Outcome::AlreadyVerified),
        None => Err(VerifyError::NothingPending),
    }
}

async fn to_status(tx: &mut Tx, id: Uuid, to: SubmissionStatus, now: i64) -> Result<(), VerifyError> {
    if submissions::transition(tx, id, SubmissionStatus::SmsPending, to, now)
        .await
        .map_err(|e| VerifyError::Corrupt(e.to_string()))?
    {
        Ok(())
    } else {
        // Withdrawn or decided meanwhile: the entry does nothing.
        Err(VerifyError::NothingPending)
    }
}

async fn time_out(tx: &mut Tx, id: Uuid, round: &SmsRound, now: i64) -> Result<(), VerifyError> {
    to_status(tx, id, SubmissionStatus::Expired, now).await?;
    let pending: Vec<&str> =
        round.challenges.iter().filter(|c| !c.verified).map(|c| c.recipient.as_str()).collect();
    events::append(
        tx,
        id,
        "sms_timeout",
        json!({ "pending": pending, "deadline": beian_seam::wire::times::format(round.deadline() * 1_000_000) }),
        now,
    )
    .await?;
    Ok(())
}

/// Texts a person a new code (the provider's resend button). The 24-hour window does not
/// restart.
pub async fn resend(
    tx: &mut Tx,
    keys: &Keys,
    submission: Uuid,
    recipient: &str,
    verify_url: &str,
    now: i64,
) -> Result<(), VerifyError> {
    let mut l = load(tx, keys, submission).await?.ok_or(VerifyError::NothingPending)?;
    let code = random_code()?;
    if !l.round.resend(recipient, &code, now.div_euclid(1_000_000)) {
        return Err(VerifyError::ResendRefused);
    }
    if !store_round(tx, submission, &l, now).await? {
        return Err(VerifyError::Busy);
    }
    let mobile = l
        .round
        .challenges
        .iter()
        .find(|c| c.recipient == recipient)
        .map(|c| c.mobile.clone())
        .ok_or(VerifyError::ResendRefused)?;
    send(tx, keys, &mobile, &text(&code, verify_url), now).await?;
    events::append(tx, submission, "sms_resent", json!({ "recipient": recipient }), now).await?;
    Ok(())
}

/// The newest texts in the simulated phones (at most 50), for one mobile (by its blind index)
/// or for all: `(masked mobile, text, sent at)`.
pub async fn outbox(
    store: &crate::RegulatorStore,
    mobile_index: Option<&[u8]>,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(match mobile_index {
        Some(index) => on!(store store.store(), |c| sqlx::query_as(
            "SELECT mobile_masked, body, created_at FROM reg_sms_outbox WHERE mobile_index = $1 ORDER BY created_at DESC, id DESC LIMIT 50",
        )
        .bind(index)
        .fetch_all(c)
        .await?),
        None => on!(store store.store(), |c| sqlx::query_as(
            "SELECT mobile_masked, body, created_at FROM reg_sms_outbox ORDER BY created_at DESC, id DESC LIMIT 50",
        )
        .fetch_all(c)
        .await?),
    })
}

/// Returns every round whose window has closed with someone unverified as SMS timeout.
/// Returns how many it returned. Run periodically; safe to run from several processes.
pub async fn sweep_timeouts(
    store: &crate::RegulatorStore,
    keys: &Keys,
    now: i64,
) -> Result<usize, VerifyError> {
    let now_secs = now.div_euclid(1_000_000);
    let due: Vec<Uuid> = on!(store store.store(), |c| sqlx::query_scalar(
        "SELECT submission_id FROM reg_sms_rounds WHERE closed = FALSE AND deadline <= $1 ORDER BY deadline LIMIT 500",
    )
    .bind(now_secs)
    .fetch_all(c)
    .await?);
    let mut n = 0;
    for id in due {
        let mut tx = store.begin().await?;
        let Some(mut l) = load(&mut tx, keys, id).await? else { continue };
        if !l.round.timed_out(now_secs) {
            continue;
        }
        l.round.closed = true;
        if !store_round(&mut tx, id, &l, now).await? {
            continue;
        }
        match time_out(&mut tx, id, &l.round, now).await {
            Ok(()) => {}
            Err(VerifyError::NothingPending) => continue,
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// Closes a submission's round (withdrawal): codes entered later do nothing.
pub async fn close(tx: &mut Tx, submission: Uuid) -> Result<(), VerifyError> {
    on!(tx tx, |c| sqlx::query("UPDATE reg_sms_rounds SET closed = TRUE, version = version + 1 WHERE submission_id = $1")
        .bind(submission)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}
