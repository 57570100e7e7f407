//! MIIT's enterprise interface V3.0 (企业系统接口规范), served as a provincial bureau's system
//! (省局系统) serves it: the six methods as SOAP web services at the spec's paths, each with its
//! WSDL at `?wsdl` ([`http`]).
//!
//! A provider logs in with its reporting-unit id, user name and a password hashed with a fresh
//! `randVal` ([`accounts`]). Its upload files are numbered without gaps, unpacked, read
//! strictly against the published XSD, and every record taken into the process this simulator
//! already runs for the JSON seam — SMS verification, bureau review, numbers, records —
//! ([`intake`]). Each record's outcome, and the base code tables, go back as download files
//! that wait until the provider acknowledges them ([`results`], [`downloads`]); the status
//! query and the filing-password check answer from the records ([`status`]); the blacklist
//! refuses records and is handed down to every provider ([`blacklist`]). The bureau's
//! numeric ids of what is on record live in [`ids`].
//!
//! Everything here is in the bureau's terms (codes of `spec/codes.tsv`, the XSDs' files); the
//! mapping between those and beian's order model is `beian_miit::mapping`.

pub mod accounts;
pub mod blacklist;
pub mod downloads;
pub mod http;
pub mod ids;
pub mod intake;
pub mod ip;
pub mod results;
pub mod status;
pub mod unfiled;
pub mod verify;

use std::sync::LazyLock;

use beian_miit::jcdm::CodeTables;

pub use crate::events::MIIT_CHANNEL as CHANNEL;

/// The interface version this bureau speaks (the files' `version` attribute).
pub const VERSION: &str = "V.3.0";

/// The namespace of the simulator's WSDLs.
pub const NAMESPACE: &str = "urn:beian:regulator:miit-v3";

/// The simulator's base code tables: `data/jcdm.toml`, the GB/T 2260 regions and the 31
/// provincial bureaus.
pub fn tables() -> &'static CodeTables {
    static TABLES: LazyLock<CodeTables> = LazyLock::new(|| {
        CodeTables::from_toml(include_str!("../../data/jcdm.toml"))
            .expect("data/jcdm.toml is valid")
            .with_gb2260_regions()
            .with_provincial_bureaus()
    });
    &TABLES
}

/// A time as the interface writes it: `YYYY-MM-DD HH:MM:SS`, China time.
pub fn spec_time(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(us.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Something went wrong on the bureau's side (a `999` answer, a retried job): never the
/// provider's fault, never shown to it in detail.
#[derive(Debug, thiserror::Error)]
pub enum MiitError {
    #[error(transparent)]
    Store(#[from] beian_store::StoreError),
    #[error(transparent)]
    Download(#[from] downloads::DownloadError),
    #[error(transparent)]
    Account(#[from] accounts::AccountError),
    #[error(transparent)]
    Start(#[from] crate::intake::StartError),
    #[error(transparent)]
    Submission(#[from] crate::submissions::SubmissionError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Mapping(#[from] beian_miit::mapping::MappingError),
    #[error("{0}")]
    Internal(String),
}

impl MiitError {
    pub(crate) fn crypto(e: impl std::fmt::Display) -> MiitError {
        MiitError::Internal(format!("crypto: {e}"))
    }
}

impl From<sqlx::Error> for MiitError {
    fn from(e: sqlx::Error) -> Self {
        MiitError::Store(e.into())
    }
}
