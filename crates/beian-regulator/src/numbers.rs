//! Issuing filing numbers.
//!
//! A bureau approval issues a subject number for a new subject — `<prefix>ICP备<year><serial>号`
//! with a six-digit serial per province and year — and a service number `-N` from the
//! subject's own sequence, with `A`/`X`/`K` for apps, mini programs and quick apps. Numbers are
//! allocated inside the approval's transaction from counter rows: the row update serializes
//! concurrent approvals (no duplicates, also across processes on one PostgreSQL), and a
//! rolled-back approval gives its number back (no gaps). A number, once committed, is never
//! reused: cancelled records keep theirs.

use beian_core::number::{IcpFilingNumber, ServiceKind};
use beian_core::province::ProvinceCode;
use beian_store::{StoreError, Tx, Uuid, on};

/// Why a number could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the province has issued all 999,999 serials of {year}")]
    SerialsExhausted { year: i32 },
    #[error("no such subject")]
    UnknownSubject,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IssueError {
    fn from(e: sqlx::Error) -> Self {
        IssueError::Store(e.into())
    }
}

/// A subject record created with its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSubject {
    pub id: Uuid,
    pub number: IcpFilingNumber,
}

/// Takes the next subject serial of `province` in `year`.
pub async fn next_subject_serial(tx: &mut Tx, province: ProvinceCode, year: i32) -> Result<i64, IssueError> {
    let p = province.to_string();
    let y = i64::from(year);
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_serials (province, year, next_serial) VALUES ($1, $2, 1) ON CONFLICT (province, year) DO NOTHING",
    )
    .bind(&p)
    .bind(y)
    .execute(c)
    .await?
    .rows_affected());
    let serial: i64 = on!(tx tx, |c| sqlx::query_scalar(
        "UPDATE reg_serials SET next_serial = next_serial + 1 WHERE province = $1 AND year = $2 RETURNING next_serial - 1",
    )
    .bind(&p)
    .bind(y)
    .fetch_one(c)
    .await?);
    if serial > 999_999 {
        return Err(IssueError::SerialsExhausted { year });
    }
    Ok(serial)
}

/// Creates a subject record with a new number.
pub async fn issue_subject(
    tx: &mut Tx,
    province: ProvinceCode,
    year: i32,
    name: &str,
    nature: &str,
    now: i64,
) -> Result<IssuedSubject, IssueError> {
    let serial = next_subject_serial(tx, province, year).await?;
    let number = IcpFilingNumber::new(province, &format!("{year:04}{serial:06}"), None)
        .expect("a four-digit year and a six-digit serial make a valid 10-digit serial");
    let id = beian_store::new_id();
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_subjects (id, province, number, name, nature, next_service, status, approved_at)
         VALUES ($1, $2, $3, $4, $5, 1, 'filed', $6)",
    )
    .bind(id)
    .bind(province.to_string())
    .bind(number.to_string())
    .bind(name)
    .bind(nature)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(IssuedSubject { id, number })
}

/// Adds a service to a subject with the next number of the subject's sequence.
pub async fn issue_service(
    tx: &mut Tx,
    subject_id: Uuid,
    kind: ServiceKind,
    name: &str,
    now: i64,
) -> Result<IcpFilingNumber, IssueError> {
    let row: Option<(i64, String)> = on!(tx tx, |c| sqlx::query_as(
        "UPDATE reg_subjects SET next_service = next_service + 1 WHERE id = $1 RETURNING next_service - 1, number",
    )
    .bind(subject_id)
    .fetch_optional(c)
    .await?);
    let (seq, subject_number) = row.ok_or(IssueError::UnknownSubject)?;
    let subject = match beian_core::number::parse(&subject_number).map(|p| p.number) {
        Ok(beian_core::number::Number::IcpFiling(n)) => n,
        _ => return Err(IssueError::UnknownSubject),
    };
    let seq = u32::try_from(seq).map_err(|_| IssueError::UnknownSubject)?;
    let number = subject.with_service(seq, kind).expect("sequences start at 1");
    let kind_key = match kind {
        ServiceKind::Website => "website",
        ServiceKind::App => "app",
        ServiceKind::MiniProgram => "mini_program",
        ServiceKind::QuickApp => "quick_app",
    };
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_services (id, subject_id, seq, kind, number, name, status, approved_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'filed', $7)",
    )
    .bind(beian_store::new_id())
    .bind(subject_id)
    .bind(i64::from(seq))
    .bind(kind_key)
    .bind(number.to_string())
    .bind(name)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(number)
}
