//! Files waiting for a provider's `isp_download`: each is handed out, oldest first, until the
//! provider acknowledges it with `isp_downloadack` — an unacknowledged file comes again at the
//! next download, so a provider that crashed between the two loses nothing.
//!
//! Files are kept as GBK XML (encrypted: results name persons' data) and packed for the wire
//! when handed out, with the algorithms the provider's account uses.

use beian_crypto::Keys;
use beian_miit::schema::download::{DownloadData, DownloadDataChoice};
use beian_store::{StoreError, Tx, new_id, on};

use crate::RegulatorStore;

/// Why a file could not be queued or read.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The file would break the download XSD (a bug here, never the provider's fault).
    #[error("the file breaks download.xsd: {0}")]
    Schema(#[from] beian_miit::xml::XmlError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Crypto(String),
}

impl From<sqlx::Error> for DownloadError {
    fn from(e: sqlx::Error) -> Self {
        DownloadError::Store(e.into())
    }
}

fn aad(file_name: &str) -> String {
    format!("reg_miit_downloads/{file_name}")
}

/// Queues `doc` for reporting unit `isp_id`; returns the file's name (`kind` and a unique
/// number: ASCII letters and digits, as the spec wants file names).
pub async fn queue(
    tx: &mut Tx,
    keys: &Keys,
    isp_id: i64,
    kind: &str,
    doc: &DownloadData,
    now: i64,
) -> Result<String, DownloadError> {
    let xml = beian_miit::xml::to_gbk(doc)?;
    let name = format!("{kind}{}", new_id().simple());
    let blob = keys.encrypt(&aad(&name), &xml).map_err(|e| DownloadError::Crypto(e.to_string()))?;
    on!(tx tx, |c| sqlx::query("INSERT INTO reg_miit_downloads (file_name, isp_id, kind, xml, created_at, acked_at) VALUES ($1, $2, $3, $4, $5, NULL)")
        .bind(&name)
        .bind(isp_id)
        .bind(kind)
        .bind(&blob)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
    Ok(name)
}

/// Queues the base code tables (`JCDM`) for a provider: its first download, and again
/// whenever the tables change.
pub async fn queue_code_tables(tx: &mut Tx, keys: &Keys, isp_id: i64, now: i64) -> Result<(), StoreError> {
    let doc = DownloadData {
        version: super::VERSION.into(),
        choice: DownloadDataChoice::Jcdm(super::tables().to_download()),
    };
    queue(tx, keys, isp_id, "JCDM", &doc, now).await.map_err(|e| match e {
        DownloadError::Store(e) => e,
        other => StoreError::Schema(other.to_string()),
    })?;
    Ok(())
}

/// What `acknowledge` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    Acknowledged,
    /// Acknowledged before: nothing changed.
    Already,
    /// No file of this provider has the name.
    Unknown,
}

type FileRow = (String, Vec<u8>);

impl RegulatorStore {
    /// The first file waiting for `isp_id` (name, GBK XML), and whether another waits after it.
    pub async fn next_download(
        &self,
        keys: &Keys,
        isp_id: i64,
    ) -> Result<Option<(String, Vec<u8>, bool)>, DownloadError> {
        let rows: Vec<FileRow> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT file_name, xml FROM reg_miit_downloads WHERE isp_id = $1 AND acked_at IS NULL ORDER BY id LIMIT 2",
        )
        .bind(isp_id)
        .fetch_all(c)
        .await?);
        let more = rows.len() > 1;
        let Some((name, blob)) = rows.into_iter().next() else { return Ok(None) };
        let xml = keys.decrypt(&aad(&name), &blob).map_err(|e| DownloadError::Crypto(e.to_string()))?;
        Ok(Some((name, xml, more)))
    }

    /// Marks a file received.
    pub async fn acknowledge_download(
        &self,
        isp_id: i64,
        file_name: &str,
        now: i64,
    ) -> Result<Ack, DownloadError> {
        let mut tx = self.begin().await?;
        let acked: Option<Option<i64>> = on!(tx &mut tx, |c| sqlx::query_scalar("SELECT acked_at FROM reg_miit_downloads WHERE isp_id = $1 AND file_name = $2")
            .bind(isp_id)
            .bind(file_name)
            .fetch_optional(c)
            .await?);
        let out = match acked {
            None => Ack::Unknown,
            Some(Some(_)) => Ack::Already,
            Some(None) => {
                on!(tx &mut tx, |c| sqlx::query("UPDATE reg_miit_downloads SET acked_at = $1 WHERE isp_id = $2 AND file_name = $3 AND acked_at IS NULL")
                    .bind(now)
                    .bind(isp_id)
                    .bind(file_name)
                    .execute(c)
                    .await?
                    .rows_affected());
                Ack::Acknowledged
            }
        };
        tx.commit().await?;
        Ok(out)
    }

    /// Every file ever queued for `isp_id` (name, kind, GBK XML, acknowledged), oldest first:
    /// for the console and for tests that validate them.
    pub async fn downloads_of(
        &self,
        keys: &Keys,
        isp_id: i64,
    ) -> Result<Vec<(String, String, Vec<u8>, bool)>, DownloadError> {
        let rows: Vec<(String, String, Vec<u8>, Option<i64>)> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT file_name, kind, xml, acked_at FROM reg_miit_downloads WHERE isp_id = $1 ORDER BY id",
        )
        .bind(isp_id)
        .fetch_all(c)
        .await?);
        rows.into_iter()
            .map(|(name, kind, blob, acked)| {
                let xml =
                    keys.decrypt(&aad(&name), &blob).map_err(|e| DownloadError::Crypto(e.to_string()))?;
                Ok((name, kind, xml, acked.is_some()))
            })
            .collect()
    }
}
