//! The filing records: subjects and services with their numbers, the providers that give each
//! service access, their domains — changed by approved orders as the order kinds say — and the
//! public query over them.
//!
//! A filing is per provider: 新增接入 adds a provider to a service, 取消接入 removes one, and
//! a service left with no provider is an *empty shell* (空壳) that the bureau cancels. Cancelled
//! records keep their numbers; a number is never issued twice.
//!
//! The public query answers what beian.miit.gov.cn shows — subject name and nature, numbers,
//! site name, domain, approval date — and must never return a person, a certificate or a
//! phone.

use beian_core::message::Lang;
use beian_core::model::{Order, OrderKind, Service, ServicePaths, normalize_cert};
use beian_core::province::ProvinceCode;
use beian_core::record::{self, PlanError, RecordChange};
use beian_crypto::Keys;
use beian_store::{Tx, Uuid, on};
use serde::{Deserialize, Serialize};

use crate::RegulatorStore;
use crate::i18n::bilingual;
use crate::numbers::{self, IssueError};

/// A field-level reason for a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The field's JSON path in the order (`websites[0].name`).
    pub field: String,
    pub reason: String,
}

/// Why an approval could not be applied to the records.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no filed record has the number {0}")]
    UnknownNumber(String),
    #[error("the order kind {0} is not handled by this regulator")]
    Unsupported(&'static str),
    #[error(transparent)]
    Issue(#[from] IssueError),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for RecordError {
    fn from(e: sqlx::Error) -> Self {
        RecordError::Issue(IssueError::Store(e.into()))
    }
}

impl From<beian_store::StoreError> for RecordError {
    fn from(e: beian_store::StoreError) -> Self {
        RecordError::Issue(IssueError::Store(e))
    }
}

impl From<PlanError> for RecordError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::MissingNumber(field) => RecordError::UnknownNumber(field),
            PlanError::Unsupported(kind) => RecordError::Unsupported(kind),
        }
    }
}

impl RecordError {
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::UnknownNumber(_) => "RECORD_UNKNOWN_NUMBER",
            RecordError::Unsupported(_) => "ORDER_KIND_UNSUPPORTED",
            RecordError::Issue(IssueError::SerialsExhausted { .. }) => "SERIALS_EXHAUSTED",
            RecordError::Issue(_) | RecordError::Internal(_) => "INTERNAL",
        }
    }
}

pub use beian_seam::wire::{Decision, IssuedService};

fn issued(s: &Service<'_>, number: String) -> IssuedService {
    IssuedService {
        path: s.path.to_owned(),
        name: s.name.to_owned(),
        number,
        kind: s.kind,
        domains: s.domains.to_vec(),
    }
}

/// The calendar year in China at `now` (unix microseconds): the year in a new subject number.
pub fn china_year(now: i64) -> i32 {
    time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1_000_000))
        .map(|t| t.to_offset(time::macros::offset!(+8)).year())
        .unwrap_or(1970)
}

/// The bureau approved `order` from `provider`: carries out on the records the steps the core
/// decides for its kind ([`record::changes`]).
pub async fn apply(
    tx: &mut Tx,
    keys: &Keys,
    provider: Uuid,
    order: &Order,
    now: i64,
) -> Result<Decision, RecordError> {
    let mut d = Decision::default();
    let paths = ServicePaths::of(order);
    let services = paths.services(order);
    // The subject a first filing's services are issued under (the plan files it first).
    let mut filed_subject = None;
    for change in record::changes(order)? {
        match change {
            RecordChange::FileSubject => {
                let (subject, number) = subject_for(tx, keys, order, now).await?;
                keep_subject(tx, keys, subject, order).await?;
                d.subject_number = Some(number);
                filed_subject = Some(subject);
            }
            RecordChange::IssueService(i) => {
                let s = &services[i];
                let subject = filed_subject
                    .ok_or_else(|| RecordError::Internal("a service issued before its subject".into()))?;
                let n = numbers::issue_service(tx, subject, s.kind, s.name, now).await?.to_string();
                attach(tx, &n, provider, s.domains, now).await?;
                keep_service(tx, keys, &n, order, s.path).await?;
                d.services.push(issued(s, n));
            }
            RecordChange::AddAccess { service, number } => {
                attach(tx, &number, provider, &[], now).await?;
                d.services.push(issued(&services[service], number));
            }
            RecordChange::NameSubject(number) => d.subject_number = number,
            RecordChange::UpdateSubject { number } => {
                let id: Option<Uuid> = on!(tx tx, |c| sqlx::query_scalar(
                    "UPDATE reg_subjects SET name = $1, nature = $2 WHERE number = $3 AND status = 'filed' RETURNING id",
                )
                .bind(&order.subject.name)
                .bind(order.subject.nature.label(Lang::Zh))
                .bind(&number)
                .fetch_optional(c)
                .await?);
                let Some(id) = id else { return Err(RecordError::UnknownNumber(number)) };
                keep_subject(tx, keys, id, order).await?;
                d.subject_number = Some(number);
            }
            RecordChange::UpdateService { service, number } => {
                let s = &services[service];
                rename_service(tx, &number, s.name).await?;
                psb_follows(tx, &number, PsbChange::Renamed { name: s.name, domains: s.domains }).await?;
                keep_service(tx, keys, &number, order, s.path).await?;
                d.services.push(issued(s, number));
            }
            RecordChange::CancelService { number } => {
                set_service_status(tx, &number, &["filed", "empty_shell"], "cancelled").await?;
                psb_follows(tx, &number, PsbChange::IcpCancelled).await?;
                d.cancelled.push(number);
            }
            RecordChange::CancelSubject { number } => {
                let id: Option<Uuid> = on!(tx tx, |c| sqlx::query_scalar(
                    "UPDATE reg_subjects SET status = 'cancelled' WHERE number = $1 AND status = 'filed' RETURNING id",
                )
                .bind(&number)
                .fetch_optional(c)
                .await?);
                let Some(id) = id else { return Err(RecordError::UnknownNumber(number)) };
                let cancelled: Vec<String> = on!(tx tx, |c| sqlx::query_scalar(
                    "UPDATE reg_services SET status = 'cancelled' WHERE subject_id = $1 AND status <> 'cancelled' RETURNING number",
                )
                .bind(id)
                .fetch_all(c)
                .await?);
                for s in &cancelled {
                    psb_follows(tx, s, PsbChange::IcpCancelled).await?;
                }
                d.cancelled.push(number);
                d.cancelled.extend(cancelled);
            }
            RecordChange::WithdrawAccess { number } => {
                let service = service_id(tx, &number, &["filed"]).await?;
                on!(tx tx, |c| sqlx::query("DELETE FROM reg_access WHERE service_id = $1 AND provider_id = $2")
                    .bind(service)
                    .bind(provider)
                    .execute(c)
                    .await?
                    .rows_affected());
                let left: i64 = on!(tx tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM reg_access WHERE service_id = $1")
                    .bind(service)
                    .fetch_one(c)
                    .await?);
                d.access_withdrawn.push(number.clone());
                if left == 0 {
                    set_service_status(tx, &number, &["filed"], "empty_shell").await?;
                    d.empty_shells.push(number);
                }
            }
        }
    }
    Ok(d)
}

/// The kinds a submission may have: the provider-internal ones never reach MIIT, and moving a
/// site between subjects is not simulated.
pub fn supported(kind: OrderKind) -> bool {
    !matches!(kind, OrderKind::MigrateService | OrderKind::TransferFiling | OrderKind::ClaimFiling)
}

/// The subject an approval files under: the one named by its number, else the one with the
/// same certificate, else a new one with a new number.
async fn subject_for(
    tx: &mut Tx,
    keys: &Keys,
    order: &Order,
    now: i64,
) -> Result<(Uuid, String), RecordError> {
    let cert = keys.blind_index("cert", &normalize_cert(&order.subject.certificate.number));
    if let Some(number) = &order.subject.existing_number {
        let found: Option<(Uuid, String)> = on!(tx tx, |c| sqlx::query_as("SELECT id, number FROM reg_subjects WHERE number = $1 AND status = 'filed'")
            .bind(number)
            .fetch_optional(c)
            .await?);
        return found.ok_or_else(|| RecordError::UnknownNumber(number.clone()));
    }
    let found: Option<(Uuid, String)> = on!(tx tx, |c| sqlx::query_as(
        "SELECT id, number FROM reg_subjects WHERE cert_index = $1 AND province = $2 AND status = 'filed'",
    )
    .bind(&cert)
    .bind(order.province.to_string())
    .fetch_optional(c)
    .await?);
    if let Some(f) = found {
        return Ok(f);
    }
    let issued = numbers::issue_subject(
        tx,
        order.province,
        china_year(now),
        &order.subject.name,
        order.subject.nature.label(Lang::Zh),
        now,
    )
    .await?;
    on!(tx tx, |c| sqlx::query("UPDATE reg_subjects SET cert_index = $1 WHERE id = $2")
        .bind(&cert)
        .bind(issued.id)
        .execute(c)
        .await?
        .rows_affected());
    Ok((issued.id, issued.number.to_string()))
}

/// The data a subject's record keeps (encrypted: its head is a person).
pub(crate) fn subject_aad(id: Uuid) -> String {
    format!("reg_subjects/{id}/data")
}

/// The data a service's record keeps (encrypted: its head is a person).
pub(crate) fn service_aad(id: Uuid) -> String {
    format!("reg_services/{id}/data")
}

/// Keeps the subject as approved on its record, for later orders that name it only by
/// number (a V3.0 new site, new access, change or cancellation).
async fn keep_subject(tx: &mut Tx, keys: &Keys, id: Uuid, order: &Order) -> Result<(), RecordError> {
    let json = serde_json::to_vec(&order.subject).map_err(|e| RecordError::Internal(e.to_string()))?;
    let data = keys.encrypt(&subject_aad(id), &json).map_err(|e| RecordError::Internal(e.to_string()))?;
    on!(tx tx, |c| sqlx::query("UPDATE reg_subjects SET data = $1 WHERE id = $2")
        .bind(&data)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}

/// Keeps a service as approved (the website or app at `path` of the order) on its record.
async fn keep_service(
    tx: &mut Tx,
    keys: &Keys,
    number: &str,
    order: &Order,
    path: &str,
) -> Result<(), RecordError> {
    let index = |prefix: &str| path.strip_prefix(prefix)?.strip_suffix(']')?.parse::<usize>().ok();
    let json = match (index("websites["), index("apps[")) {
        (Some(i), _) => order.websites.get(i).map(serde_json::to_vec),
        (_, Some(i)) => order.apps.get(i).map(serde_json::to_vec),
        _ => None,
    };
    let Some(json) = json.transpose().map_err(|e| RecordError::Internal(e.to_string()))? else {
        return Ok(());
    };
    let id = service_id(tx, number, &["filed", "empty_shell"]).await?;
    let data = keys.encrypt(&service_aad(id), &json).map_err(|e| RecordError::Internal(e.to_string()))?;
    on!(tx tx, |c| sqlx::query("UPDATE reg_services SET data = $1 WHERE id = $2")
        .bind(&data)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}

async fn service_id(tx: &mut Tx, number: &str, statuses: &[&str]) -> Result<Uuid, RecordError> {
    let found: Option<(Uuid, String)> = on!(tx tx, |c| sqlx::query_as("SELECT id, status FROM reg_services WHERE number = $1")
        .bind(number)
        .fetch_optional(c)
        .await?);
    match found {
        Some((id, status)) if statuses.contains(&status.as_str()) => Ok(id),
        _ => Err(RecordError::UnknownNumber(number.to_owned())),
    }
}

async fn set_service_status(tx: &mut Tx, number: &str, from: &[&str], to: &str) -> Result<(), RecordError> {
    let id = service_id(tx, number, from).await?;
    on!(tx tx, |c| sqlx::query("UPDATE reg_services SET status = $1 WHERE id = $2")
        .bind(to)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}

/// What happened to a website's ICP record that its public-security record must follow.
enum PsbChange<'a> {
    Renamed {
        name: &'a str,
        domains: &'a [String],
    },
    /// The ICP filing is gone: the PSB filing is due for cancellation (注销), which its owner
    /// applies for at the platform; until then the public query says so.
    IcpCancelled,
}

/// Keeps the PSB platform's record of a website (if it has one) in step with its ICP record:
/// the name and domains after a change, `icp_cancelled` after a cancellation.
async fn psb_follows(tx: &mut Tx, icp_number: &str, change: PsbChange<'_>) -> Result<(), RecordError> {
    match change {
        PsbChange::Renamed { name, domains } => {
            let domains = serde_json::to_string(domains).unwrap_or_else(|_| "[]".into());
            on!(tx tx, |c| sqlx::query(
                "UPDATE reg_psb_records SET website_name = $2, domains = CASE WHEN $3 = '[]' THEN domains ELSE $3 END
                 WHERE icp_number = $1 AND status = 'filed'",
            )
            .bind(icp_number)
            .bind(name)
            .bind(domains)
            .execute(c)
            .await?
            .rows_affected());
        }
        PsbChange::IcpCancelled => {
            on!(tx tx, |c| sqlx::query(
                "UPDATE reg_psb_records SET status = 'icp_cancelled' WHERE icp_number = $1 AND status = 'filed'",
            )
            .bind(icp_number)
            .execute(c)
            .await?
            .rows_affected());
        }
    }
    Ok(())
}

async fn rename_service(tx: &mut Tx, number: &str, name: &str) -> Result<(), RecordError> {
    let id = service_id(tx, number, &["filed"]).await?;
    on!(tx tx, |c| sqlx::query("UPDATE reg_services SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}

/// Gives `provider` access to a service and records its domains.
async fn attach(
    tx: &mut Tx,
    number: &str,
    provider: Uuid,
    domains: &[String],
    now: i64,
) -> Result<(), RecordError> {
    let id = service_id(tx, number, &["filed", "empty_shell"]).await?;
    on!(tx tx, |c| sqlx::query("INSERT INTO reg_access (service_id, provider_id, since) VALUES ($1, $2, $3) ON CONFLICT (service_id, provider_id) DO NOTHING")
        .bind(id)
        .bind(provider)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
    on!(tx tx, |c| sqlx::query("UPDATE reg_services SET status = 'filed' WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
    for d in domains {
        let d = d.trim().trim_end_matches('.').to_lowercase();
        on!(tx tx, |c| sqlx::query("INSERT INTO reg_service_domains (service_id, domain) VALUES ($1, $2) ON CONFLICT (service_id, domain) DO NOTHING")
            .bind(id)
            .bind(&d)
            .execute(c)
            .await?
            .rows_affected());
    }
    Ok(())
}

/// The bureau cancels an empty shell (a service no provider gives access any more).
pub async fn cancel_empty_shell(
    tx: &mut Tx,
    number: &str,
    province: Option<ProvinceCode>,
) -> Result<(), RecordError> {
    let row: Option<(Uuid, String)> = on!(tx tx, |c| sqlx::query_as(
        "SELECT s.id, j.province FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id WHERE s.number = $1 AND s.status = 'empty_shell'",
    )
    .bind(number)
    .fetch_optional(c)
    .await?);
    match row {
        Some((id, p)) if province.is_none_or(|mine| mine.to_string() == p) => {
            on!(tx tx, |c| sqlx::query("UPDATE reg_services SET status = 'cancelled' WHERE id = $1")
                .bind(id)
                .execute(c)
                .await?
                .rows_affected());
            psb_follows(tx, number, PsbChange::IcpCancelled).await?;
            Ok(())
        }
        _ => Err(RecordError::UnknownNumber(number.to_owned())),
    }
}

/// The bureau's automatic checks on an order against the records: a domain already filed
/// under another subject (another certificate). Returned as reasons the reviewer can adopt.
pub async fn conflicts(
    store: &RegulatorStore,
    keys: &Keys,
    order: &Order,
) -> Result<Vec<Reason>, beian_store::StoreError> {
    const FILED_DOMAIN: &str = "SELECT s.number, j.name, j.cert_index FROM reg_service_domains d
         JOIN reg_services s ON s.id = d.service_id JOIN reg_subjects j ON j.id = s.subject_id
         WHERE d.domain = $1 AND s.status = 'filed' ORDER BY s.number";
    let own = keys.blind_index("cert", &normalize_cert(&order.subject.certificate.number));
    let mut out = Vec::new();
    let paths = ServicePaths::of(order);
    for s in paths.services(order) {
        for (j, d) in s.domains.iter().enumerate() {
            let d = d.trim().trim_end_matches('.').to_lowercase();
            let hits: Vec<(String, String, Option<Vec<u8>>)> =
                on!(store store.store(), |c| sqlx::query_as(FILED_DOMAIN).bind(&d).fetch_all(c).await?);
            if let Some((number, name, _)) = hits.iter().find(|h| h.2.as_deref() != Some(own.as_slice())) {
                out.push(Reason {
                    field: format!("{}.domains[{j}]", s.path),
                    reason: bilingual(
                        "check.domain_filed_elsewhere",
                        &[("domain", d.clone()), ("number", number.clone()), ("name", name.clone())],
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// One line of a public query answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PublicRecord {
    pub subject_name: String,
    pub subject_nature: String,
    pub subject_number: String,
    pub service_number: String,
    pub service_name: String,
    pub service_kind: String,
    pub domains: Vec<String>,
    /// `YYYY-MM-DD`, China time.
    pub approved_on: String,
}

/// What the public query looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Domain(String),
    /// A subject number (all its services) or a service number.
    Number(String),
    SubjectName(String),
}

type PublicRow = (Uuid, String, String, String, String, String, String, i64);

const QUERY_BY_DOMAIN: &str = "SELECT s.id, j.name, j.nature, j.number, s.number, s.name, s.kind, s.approved_at FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id
     WHERE s.status = 'filed' AND s.id IN (SELECT service_id FROM reg_service_domains WHERE domain = $1) ORDER BY s.number LIMIT 50";
// Two queries rather than `s.number = $1 OR j.number = $1`, which no index serves.
const QUERY_BY_SERVICE_NUMBER: &str = "SELECT s.id, j.name, j.nature, j.number, s.number, s.name, s.kind, s.approved_at FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id
     WHERE s.status = 'filed' AND s.number = $1";
const QUERY_BY_SUBJECT_NUMBER: &str = "SELECT s.id, j.name, j.nature, j.number, s.number, s.name, s.kind, s.approved_at FROM reg_subjects j JOIN reg_services s ON s.subject_id = j.id
     WHERE j.number = $1 AND s.status = 'filed' ORDER BY s.seq LIMIT 50";
const QUERY_BY_NAME: &str = "SELECT s.id, j.name, j.nature, j.number, s.number, s.name, s.kind, s.approved_at FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id
     WHERE s.status = 'filed' AND j.status = 'filed' AND j.name = $1 ORDER BY j.number, s.seq LIMIT 50";

pub(crate) fn approved_on(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1_000_000))
        .map(|t| {
            let t = t.to_offset(time::macros::offset!(+8));
            format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
        })
        .unwrap_or_default()
}

impl RegulatorStore {
    /// The public query (beian.miit.gov.cn's 备案查询): filed services only, no PII.
    pub async fn query(&self, q: &Query) -> Result<Vec<PublicRecord>, beian_store::StoreError> {
        let (sql, value) = match q {
            Query::Domain(d) => (QUERY_BY_DOMAIN, d.trim().trim_end_matches('.').to_lowercase()),
            Query::Number(n) => {
                // Accept the tolerant forms people paste; look up the canonical one.
                let canonical = beian_core::number::parse(n)
                    .map(|p| p.number.to_string())
                    .unwrap_or_else(|_| n.trim().to_owned());
                // A site number has `号-N`; a subject number ends at `号`.
                let sql = if canonical.contains("号-") {
                    QUERY_BY_SERVICE_NUMBER
                } else {
                    QUERY_BY_SUBJECT_NUMBER
                };
                (sql, canonical)
            }
            Query::SubjectName(s) => (QUERY_BY_NAME, s.trim().to_owned()),
        };
        let rows: Vec<PublicRow> =
            on!(store self.store(), |c| sqlx::query_as(sql).bind(&value).fetch_all(c).await?);
        let mut out = Vec::with_capacity(rows.len());
        for (id, subject_name, nature, subject_number, number, name, kind, at) in rows {
            let domains: Vec<String> = on!(store self.store(), |c| sqlx::query_scalar(
                "SELECT domain FROM reg_service_domains WHERE service_id = $1 ORDER BY domain",
            )
            .bind(id)
            .fetch_all(c)
            .await?);
            out.push(PublicRecord {
                subject_name,
                subject_nature: nature,
                subject_number,
                service_number: number,
                service_name: name,
                service_kind: kind,
                domains,
                approved_on: approved_on(at),
            });
        }
        Ok(out)
    }

    /// Services left without any provider, waiting for the bureau to cancel them.
    pub async fn empty_shells(
        &self,
        province: Option<ProvinceCode>,
    ) -> Result<Vec<String>, beian_store::StoreError> {
        let p = province.map(|p| p.to_string());
        Ok(on!(store self.store(), |c| sqlx::query_scalar(
            "SELECT s.number FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id
             WHERE s.status = 'empty_shell' AND ($1 IS NULL OR j.province = $1) ORDER BY s.number",
        )
        .bind(p)
        .fetch_all(c)
        .await?))
    }

    /// The status of a record (`filed`, `empty_shell`, `cancelled`) by its number.
    pub async fn record_status(&self, number: &str) -> Result<Option<String>, beian_store::StoreError> {
        Ok(on!(store self.store(), |c| sqlx::query_scalar(
            "SELECT status FROM reg_services WHERE number = $1 UNION ALL SELECT status FROM reg_subjects WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(c)
        .await?))
    }
}
