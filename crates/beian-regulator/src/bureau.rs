//! The provincial bureaus (管局): reviewer accounts, per-province queues, and the decision —
//! approval, which issues the numbers and changes the records in the decision's transaction,
//! or rejection with field-level reasons.
//!
//! A reviewer belongs to one province and sees only its queue; an admin (no province) sees
//! every queue. Another province's submission is "not found", never "forbidden". This module
//! must never return a submission's certificate numbers or phones unmasked.

use beian_core::model::Order;
use beian_core::province::ProvinceCode;
use beian_crypto::Keys;
use beian_store::{StoreError, Tx, Uuid, on};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::RegulatorStore;
use crate::events;
use crate::records::{self, Decision, RecordError};
use crate::submissions::SubmissionStatus;

/// How long a bureau session lasts.
pub const SESSION_SECS: i64 = 8 * 3600;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reviews its province's ICP filings.
    Bureau,
    /// Reviews public-security filings (a PSB officer).
    Psb,
    /// Everything, every province.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bureau => "bureau",
            Role::Psb => "psb",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Bureau, Role::Psb, Role::Admin].into_iter().find(|r| r.as_str() == s)
    }
}

/// A signed-in regulator account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    /// `None`: every province.
    pub province: Option<ProvinceCode>,
}

impl Account {
    /// Whether this account may act on a submission of `province`.
    pub fn covers(&self, province: ProvinceCode) -> bool {
        self.province.is_none_or(|p| p == province)
    }
}

/// Why a bureau step was refused.
#[derive(Debug, thiserror::Error)]
pub enum BureauError {
    #[error("wrong username or password")]
    BadLogin,
    #[error("not signed in")]
    Unauthenticated,
    #[error("this account may not do that")]
    Forbidden,
    #[error("no such submission")]
    NotFound,
    #[error("the submission is {}, not waiting for the bureau", .0.as_str())]
    NotInReview(SubmissionStatus),
    #[error("a rejection needs at least one reason with a field and a text")]
    ReasonsRequired,
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for BureauError {
    fn from(e: StoreError) -> Self {
        BureauError::Internal(e.to_string())
    }
}

impl From<sqlx::Error> for BureauError {
    fn from(e: sqlx::Error) -> Self {
        BureauError::Internal(e.to_string())
    }
}

impl BureauError {
    pub fn code(&self) -> &'static str {
        match self {
            BureauError::BadLogin => "LOGIN_FAILED",
            BureauError::Unauthenticated => "UNAUTHENTICATED",
            BureauError::Forbidden => "FORBIDDEN",
            BureauError::NotFound => "SUBMISSION_NOT_FOUND",
            BureauError::NotInReview(_) => "SUBMISSION_NOT_IN_REVIEW",
            BureauError::ReasonsRequired => "REJECT_REASONS_REQUIRED",
            BureauError::Record(e) => e.code(),
            BureauError::Internal(_) => "INTERNAL",
        }
    }
}

/// Creates an account (CLI, demo).
pub async fn create_account(
    tx: &mut Tx,
    username: &str,
    password: &str,
    role: Role,
    province: Option<ProvinceCode>,
    now: i64,
) -> anyhow::Result<Uuid> {
    let hash = beian_crypto::passwords::hash(password.to_owned()).await?;
    let id = beian_store::new_id();
    on!(tx tx, |c| sqlx::query("INSERT INTO reg_accounts (id, username, password_hash, role, province, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(username)
        .bind(&hash)
        .bind(role.as_str())
        .bind(province.map(|p| p.to_string()))
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
    Ok(id)
}

type AccountRow = (Uuid, String, String, Option<String>);

fn account(row: AccountRow) -> Option<Account> {
    let (id, username, role, province) = row;
    let province = match province {
        Some(p) => Some(ProvinceCode::parse(&p)?),
        None => None,
    };
    Some(Account { id, username, role: Role::parse(&role)?, province })
}

/// One queue line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueueItem {
    pub id: Uuid,
    pub provider: String,
    pub submission_id: String,
    pub province: String,
    pub kind: String,
    pub subject_name: String,
    #[serde(with = "beian_seam::wire::times::rfc3339")]
    #[schemars(schema_with = "beian_seam::wire::times::schema")]
    pub received_at: i64,
}

/// What a reviewer sees of a submission: the order with PII masked, and its events.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Review {
    pub id: Uuid,
    pub provider: String,
    pub status: String,
    pub province: String,
    pub order: serde_json::Value,
    pub events: Vec<events::Event>,
    /// The automatic checks against the records (a domain filed under another subject), as
    /// reasons the reviewer can adopt.
    pub checks: Vec<Reason>,
}

pub use crate::records::Reason;

#[derive(Deserialize)]
struct Payload {
    order: Order,
}

/// Masks what a reviewer needs to recognize but not to read: certificate numbers, phones and
/// e-mail addresses anywhere in the order.
pub fn masked_order(order: &Order) -> serde_json::Value {
    // Only persons carry these keys (a certificate's `number`); a service's
    // `existing_number` is a different key and stays readable.
    masked(serde_json::to_value(order).unwrap_or_default())
}

/// [`masked_order`] for any filing document (a PSB application has the same person keys).
pub fn masked(mut v: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value, key: &str) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, child) in m.iter_mut() {
                    walk(child, k);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|c| walk(c, key)),
            serde_json::Value::String(s) => {
                let keep = match key {
                    "number" | "mobile" | "emergency_phone" | "office_phone" => Some((3, 4)),
                    "email" => Some((1, 0)),
                    _ => None,
                };
                if let Some((head, tail)) = keep {
                    *s = beian_core::text::mask(s, head, tail);
                }
            }
            _ => {}
        }
    }
    walk(&mut v, "");
    v
}

impl RegulatorStore {
    /// Signs in; returns a session token (shown once) and the account.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        now: i64,
    ) -> Result<(String, Account), BureauError> {
        let row: Option<(Uuid, String, String, Option<String>, String)> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT id, username, role, province, password_hash FROM reg_accounts WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(c)
        .await?);
        let hash = row.as_ref().map(|r| r.4.clone());
        if !beian_crypto::passwords::verify(password.to_owned(), hash).await {
            return Err(BureauError::BadLogin);
        }
        let (id, username, role, province, _) = row.ok_or(BureauError::BadLogin)?;
        let acct = account((id, username, role, province)).ok_or(BureauError::BadLogin)?;
        let token = beian_crypto::random_token().map_err(|e| BureauError::Internal(e.to_string()))?;
        let mut tx = self.begin().await?;
        on!(tx &mut tx, |c| sqlx::query("INSERT INTO reg_sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3)")
            .bind(beian_crypto::token_hash(&token))
            .bind(acct.id)
            .bind(now + SESSION_SECS * 1_000_000)
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok((token, acct))
    }

    /// The account behind a session token.
    pub async fn session(&self, token: &str, now: i64) -> Result<Account, BureauError> {
        let row: Option<AccountRow> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT a.id, a.username, a.role, a.province FROM reg_sessions s JOIN reg_accounts a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(beian_crypto::token_hash(token))
        .bind(now)
        .fetch_optional(c)
        .await?);
        row.and_then(account).ok_or(BureauError::Unauthenticated)
    }

    /// The oldest 200 submissions waiting at `desk` in the account's province (every province
    /// for an admin; an account of another desk is forbidden): (id, provider code, submission
    /// id, province, received at).
    pub(crate) async fn waiting_at(
        &self,
        desk: Desk,
        who: &Account,
    ) -> Result<Vec<(Uuid, String, String, String, i64)>, BureauError> {
        if !desk.admits(who.role) {
            return Err(BureauError::Forbidden);
        }
        let p = who.province.map(|p| p.to_string());
        Ok(on!(store self.store(), |c| sqlx::query_as(
            "SELECT s.id, p.code, s.submission_id, s.province, s.received_at FROM reg_submissions s JOIN reg_providers p ON p.id = s.provider_id
             WHERE s.status = $1 AND ($2 IS NULL OR s.province = $2) ORDER BY s.received_at, s.id LIMIT 200",
        )
        .bind(desk.stage().as_str())
        .bind(p)
        .fetch_all(c)
        .await?))
    }

    /// The submissions waiting for the bureau, oldest first.
    pub async fn bureau_queue(&self, keys: &Keys, who: &Account) -> Result<Vec<QueueItem>, BureauError> {
        let rows = self.waiting_at(Desk::Bureau, who).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, provider, submission_id, province, received_at) in rows {
            let order = self.order_of(keys, id).await?;
            out.push(QueueItem {
                id,
                provider,
                submission_id,
                province,
                kind: serde_json::to_value(order.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                subject_name: order.subject.name,
                received_at,
            });
        }
        Ok(out)
    }

    async fn order_of(&self, keys: &Keys, id: Uuid) -> Result<Order, BureauError> {
        order_in(&self.body_of(keys, id).await?)
    }

    /// A submission's decrypted body.
    pub(crate) async fn body_of(&self, keys: &Keys, id: Uuid) -> Result<Vec<u8>, BureauError> {
        self.submission_payload(keys, id)
            .await
            .map_err(|e| BureauError::Internal(e.to_string()))?
            .ok_or(BureauError::NotFound)
    }

    /// (provider code, status, province) of a submission of `desk`'s kind that `who` may see:
    /// an account of another desk is forbidden; another province's submission, or another
    /// kind's, is not found.
    pub(crate) async fn visible_submission(
        &self,
        who: &Account,
        id: Uuid,
        desk: Desk,
    ) -> Result<(String, String, String), BureauError> {
        if !desk.admits(who.role) {
            return Err(BureauError::Forbidden);
        }
        let row: Option<(String, String, String)> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT p.code, s.status, s.province FROM reg_submissions s JOIN reg_providers p ON p.id = s.provider_id
             WHERE s.id = $1 AND s.kind = $2",
        )
        .bind(id)
        .bind(desk.kind().as_str())
        .fetch_optional(c)
        .await?);
        let row = row.ok_or(BureauError::NotFound)?;
        if !ProvinceCode::parse(&row.2).is_some_and(|p| who.covers(p)) {
            return Err(BureauError::NotFound);
        }
        Ok(row)
    }

    /// A submission as a reviewer of its province sees it.
    pub async fn review(&self, keys: &Keys, who: &Account, id: Uuid) -> Result<Review, BureauError> {
        let (provider, status, province) = self.visible_submission(who, id, Desk::Bureau).await?;
        let order = self.order_of(keys, id).await?;
        Ok(Review {
            id,
            provider,
            status,
            province,
            order: masked_order(&order),
            events: self.events(id, 0).await?,
            checks: records::conflicts(self, keys, &order).await?,
        })
    }
}

/// Who decides a submission: the provincial bureau (ICP orders) or a PSB officer (PSB
/// applications). Each desk sees only its own stage; an admin sits at both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desk {
    Bureau,
    Psb,
}

impl Desk {
    fn admits(self, role: Role) -> bool {
        matches!((self, role), (_, Role::Admin) | (Desk::Bureau, Role::Bureau) | (Desk::Psb, Role::Psb))
    }

    /// What this desk decides.
    pub fn kind(self) -> crate::submissions::SubmissionKind {
        match self {
            Desk::Bureau => crate::submissions::SubmissionKind::Icp,
            Desk::Psb => crate::submissions::SubmissionKind::Psb,
        }
    }

    /// The status a submission waits in for this desk.
    pub fn stage(self) -> SubmissionStatus {
        match self {
            Desk::Bureau => SubmissionStatus::BureauReview,
            Desk::Psb => SubmissionStatus::PsbReview,
        }
    }
}

/// Loads a submission for a decision and moves it out of `desk`'s stage, in the decision's
/// transaction: (provider, decrypted body).
pub(crate) async fn take_for_decision(
    tx: &mut Tx,
    keys: &Keys,
    who: &Account,
    desk: Desk,
    id: Uuid,
    to: SubmissionStatus,
    now: i64,
) -> Result<(Uuid, Vec<u8>), BureauError> {
    if !desk.admits(who.role) {
        return Err(BureauError::Forbidden);
    }
    // Everything is read through the decision's transaction: on SQLite, a second connection
    // taken while this one holds the write lock could wait on writers queued behind it.
    let row: Option<(Uuid, String, String, Vec<u8>)> = on!(tx tx, |c| sqlx::query_as(
        "SELECT provider_id, status, province, payload FROM reg_submissions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await?);
    let (provider, status, province, payload) = row.ok_or(BureauError::NotFound)?;
    if !ProvinceCode::parse(&province).is_some_and(|p| who.covers(p)) {
        return Err(BureauError::NotFound);
    }
    let status = SubmissionStatus::parse(&status).ok_or_else(|| BureauError::Internal("status".into()))?;
    let moved = crate::submissions::transition(tx, id, desk.stage(), to, now)
        .await
        .map_err(|e| BureauError::Internal(e.to_string()))?;
    if !moved {
        return Err(BureauError::NotInReview(if status == desk.stage() {
            // Decided by someone else a moment ago.
            to
        } else {
            status
        }));
    }
    let body = keys
        .decrypt(&crate::submissions::payload_aad(id), &payload)
        .map_err(|e| BureauError::Internal(e.to_string()))?;
    Ok((provider, body))
}

/// The order in a decrypted submission body.
fn order_in(body: &[u8]) -> Result<Order, BureauError> {
    let p: Payload = serde_json::from_slice(body).map_err(|e| BureauError::Internal(e.to_string()))?;
    Ok(p.order)
}

/// Approves a submission: numbers are issued and records changed in this transaction.
pub async fn approve(
    tx: &mut Tx,
    keys: &Keys,
    who: &Account,
    id: Uuid,
    now: i64,
) -> Result<Decision, BureauError> {
    let (provider, body) =
        take_for_decision(tx, keys, who, Desk::Bureau, id, SubmissionStatus::Approved, now).await?;
    let order = order_in(&body)?;
    let decision = records::apply(tx, keys, provider, &order, now).await?;
    events::append(tx, id, "approved", serde_json::to_value(&decision).unwrap_or_default(), now).await?;
    Ok(decision)
}

/// Rejects a submission waiting at `desk` with field-level reasons.
pub async fn reject(
    tx: &mut Tx,
    keys: &Keys,
    who: &Account,
    desk: Desk,
    id: Uuid,
    reasons: &[Reason],
    now: i64,
) -> Result<(), BureauError> {
    let valid = |r: &Reason| {
        (1..=200).contains(&r.field.chars().count()) && (1..=500).contains(&r.reason.trim().chars().count())
    };
    if reasons.is_empty() || reasons.len() > 50 || !reasons.iter().all(valid) {
        return Err(BureauError::ReasonsRequired);
    }
    take_for_decision(tx, keys, who, desk, id, SubmissionStatus::Rejected, now).await?;
    events::append(tx, id, "rejected", json!({ "reasons": reasons }), now).await?;
    Ok(())
}
