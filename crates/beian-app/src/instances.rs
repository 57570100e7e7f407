//! What every instance sharing one database must also share: the encryption keys and the
//! document store.
//!
//! Several `beian serve` processes may share one database, but a process with other keys
//! cannot read what the others encrypted, and one with its own local document folder cannot
//! read what the others uploaded. Found per request, both show as a 500 on some documents and
//! some orders, long after the deployment; found here, they stop the process at start-up with
//! a message that says what to share.
//!
//! Two marks in the settings table do it, each written by the first instance that starts:
//! a canary encrypted with the keys (an instance that cannot decrypt it has other keys), and
//! the key of a small probe blob with its content (an instance that cannot read it back has
//! another document store). This module never writes anything but those two marks and the
//! probe, and never overwrites a mark that is there.

use std::fmt;

use crate::App;

const KEYS_CANARY: &str = "instance.keys_canary";
const BLOB_PROBE: &str = "instance.blob_probe";
/// What the canary decrypts to, and the associated data it is sealed under.
const CANARY_TEXT: &[u8] = b"beian: the keys of this database";

/// Why this instance must not serve this database.
#[derive(Debug)]
pub enum SharedStateError {
    /// The database was encrypted with other keys.
    OtherKeys,
    /// The document store does not hold what the database's first instance put there.
    OtherBlobStore { store: String, detail: String },
    /// The database or the store could not be asked at all.
    Unavailable(String),
}

impl fmt::Display for SharedStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SharedStateError::OtherKeys => write!(
                f,
                "this database was encrypted with other keys than this instance's: every instance \
                 sharing a database must use the same key file (keys_file) or BEIAN_KEYS"
            ),
            SharedStateError::OtherBlobStore { store, detail } => write!(
                f,
                "the documents of this database are not in this instance's document store ({store}: \
                 {detail}): instances sharing a database must share the documents too — one S3 bucket \
                 ([s3] / BEIAN_S3_*) or one folder mounted at the same data folder"
            ),
            SharedStateError::Unavailable(e) => write!(f, "cannot check the shared state: {e}"),
        }
    }
}

impl std::error::Error for SharedStateError {}

impl App {
    /// Checks that this instance has the keys and the document store of the database, marking
    /// both on the first start.
    pub async fn check_shared_state(&self) -> Result<(), SharedStateError> {
        self.check_keys().await?;
        self.check_blobs().await
    }

    async fn check_keys(&self) -> Result<(), SharedStateError> {
        let unavailable = |e: &dyn fmt::Display| SharedStateError::Unavailable(e.to_string());
        let canary = match self
            .mark(KEYS_CANARY, || {
                let sealed = self.keys().encrypt(KEYS_CANARY, CANARY_TEXT).map_err(|e| unavailable(&e))?;
                Ok(hex::encode(sealed))
            })
            .await?
        {
            Mark::Written => return Ok(()),
            Mark::Found(v) => v,
        };
        let opened = hex::decode(canary.trim()).ok().and_then(|b| self.keys().decrypt(KEYS_CANARY, &b).ok());
        match opened {
            Some(text) if text == CANARY_TEXT => Ok(()),
            _ => Err(SharedStateError::OtherKeys),
        }
    }

    async fn check_blobs(&self) -> Result<(), SharedStateError> {
        let unavailable = |e: &dyn fmt::Display| SharedStateError::Unavailable(e.to_string());
        let store = format!("{:?}", self.blobs());
        let mark = match self.store().setting(BLOB_PROBE).await.map_err(|e| unavailable(&e))? {
            Some(row) => row.value,
            None => {
                // The probe goes in before its mark, so a mark never names a probe never written.
                let content = crate::crypto::random_token().map_err(|e| unavailable(&e))?;
                let key = format!("probe/{}", content.replace('_', "-"));
                self.blobs().put(&key, content.clone().into_bytes()).await.map_err(|e| {
                    SharedStateError::OtherBlobStore {
                        store: store.clone(),
                        detail: format!("cannot write: {e}"),
                    }
                })?;
                let value = format!("{key} {content}");
                match self.mark(BLOB_PROBE, || Ok(value.clone())).await? {
                    Mark::Written => value,
                    Mark::Found(theirs) => theirs,
                }
            }
        };
        let (key, content) =
            mark.split_once(' ').ok_or_else(|| unavailable(&"the probe mark is malformed"))?;
        match self.blobs().get(key).await {
            Ok(bytes) if bytes == content.as_bytes() => Ok(()),
            Ok(_) => Err(SharedStateError::OtherBlobStore { store, detail: format!("{key} differs") }),
            Err(e) => Err(SharedStateError::OtherBlobStore { store, detail: format!("{key}: {e}") }),
        }
    }

    /// The mark under `name`, or writes `make()` there if there is none (the first instance).
    async fn mark(
        &self,
        name: &str,
        make: impl FnOnce() -> Result<String, SharedStateError>,
    ) -> Result<Mark, SharedStateError> {
        let unavailable = |e: &dyn fmt::Display| SharedStateError::Unavailable(e.to_string());
        if let Some(row) = self.store().setting(name).await.map_err(|e| unavailable(&e))? {
            return Ok(Mark::Found(row.value));
        }
        let value = make()?;
        let mut tx = self.store().begin().await.map_err(|e| unavailable(&e))?;
        let won = tx.put_setting(name, &value, 0, self.now_us()).await.map_err(|e| unavailable(&e))?;
        tx.commit().await.map_err(|e| unavailable(&e))?;
        if won {
            return Ok(Mark::Written);
        }
        // Another instance starting at the same moment wrote it first: check against theirs.
        match self.store().setting(name).await.map_err(|e| unavailable(&e))? {
            Some(row) => Ok(Mark::Found(row.value)),
            None => Err(unavailable(&format!("{name} vanished"))),
        }
    }
}

enum Mark {
    Written,
    Found(String),
}
