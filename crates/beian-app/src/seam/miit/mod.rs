//! The provider speaking MIIT's enterprise interface V3.0 to its provincial bureau.
//!
//! An approved order becomes a record in an upload file ([`outbound`]): files are numbered by a
//! durable `dataSequence` without gaps, kept in the blob store, and uploaded in order by the
//! `miit_upload` job; a lost answer is resolved by asking the bureau what it last received.
//! The bureau's results come back as download files ([`inbound`]): each is stored, applied and
//! only then acknowledged, so a crash between the two applies nothing twice and loses nothing.
//! Outcomes reach the order through the same path as the JSON seam's events
//! (`Seam::apply_regulator_events`, under the order's submission id), so order state is written
//! in one place.
//!
//! What V3.0 cannot carry — apps and mini programs, resending an SMS code, the public-security
//! filing — stays on the JSON seam; an order with apps goes there (ARCHITECTURE.md, "MIIT
//! interface").

pub mod inbound;
pub mod outbound;
pub mod port;
pub mod status;

use std::sync::Arc;

use beian_miit::jcdm::CodeTables;
use beian_miit::mapping::outbound::OnFile;
use beian_store::Uuid;
use serde::{Deserialize, Serialize};

pub use port::{Bureau, BureauError, Credentials, SoapBureau};

use crate::App;
use crate::areas::Seam;

/// The job that uploads waiting files, in order.
pub const UPLOAD: &str = "miit_upload";
/// The job that downloads, applies and acknowledges the bureau's files.
pub const DOWNLOAD: &str = "miit_download";

/// Attempts before an upload or download job is dead-lettered: with backoff capped at an
/// hour, about a week (a bureau may be down for a while; nothing is lost meanwhile).
const MAX_ATTEMPTS: i64 = 200;

/// The interface, as configured.
#[derive(Clone)]
pub struct MiitSeam {
    pub port: Arc<dyn Bureau>,
    pub credentials: Credentials,
    /// Recent status-query answers (see [`status`]).
    statuses: Arc<status::Answers>,
}

impl MiitSeam {
    pub fn new(port: Arc<dyn Bureau>, credentials: Credentials) -> MiitSeam {
        MiitSeam { port, credentials, statuses: Arc::default() }
    }

    /// When uploads may next be made, at or after `now` (unix microseconds).
    pub fn upload_opens(&self, now: i64) -> i64 {
        self.credentials.upload_hours.map_or(now, |h| h.next_open(now))
    }
}

impl std::fmt::Debug for MiitSeam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiitSeam").field("port", &self.port).field("credentials", &self.credentials).finish()
    }
}

/// The numbers the bureau's `BASJ` data gave a record: the subject's, and each website's by
/// its path in the order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordNumbers {
    pub subject: Option<String>,
    pub websites: std::collections::BTreeMap<String, String>,
}

impl App {
    /// The same app speaking V3.0 to a bureau. Call it while building, before the app is shared.
    pub fn with_miit(self, seam: MiitSeam) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => App { inner: Arc::new(crate::Inner { miit: Some(seam), ..inner }) },
            Err(inner) => App { inner },
        }
    }

    /// The V3.0 interface, when one is configured.
    pub fn miit(&self) -> Option<&MiitSeam> {
        self.inner.miit.as_ref()
    }
}

impl Seam<'_> {
    /// The bureau's base code tables as last handed down, if any arrived.
    pub async fn miit_tables(self) -> anyhow::Result<Option<CodeTables>> {
        Ok(self
            .store()
            .miit_state(inbound::TABLES_KEY)
            .await?
            .map(|t| serde_json::from_str(&t))
            .transpose()?)
    }

    /// What the bureau has on file for a subject (its ids), as its `BASJ` data said.
    pub async fn miit_on_file(self, subject_id: Uuid) -> anyhow::Result<Option<OnFile>> {
        Ok(self.store().miit_on_file(subject_id).await?.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    /// Queues a download run now (after an upload, and every few minutes from the worker).
    pub async fn queue_miit_download(self) -> anyhow::Result<()> {
        let now = self.now_us();
        // One run per minute at most: the dedup key carries the minute.
        let minute = now.div_euclid(60_000_000);
        let mut tx = self.store().begin().await?;
        tx.enqueue(
            &beian_store::NewJob {
                kind: DOWNLOAD.into(),
                payload: "{}".into(),
                run_at: now,
                max_attempts: MAX_ATTEMPTS,
                dedup_key: Some(format!("{DOWNLOAD}:{minute}")),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
