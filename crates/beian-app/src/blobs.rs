//! Where encrypted document bytes live: a local folder by default, any S3-compatible bucket
//! (through `object_store`) at scale. Bytes arrive here already encrypted by the application:
//! whoever holds the bucket credentials still cannot read an ID card.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where encrypted document bytes live. Local folder by default; an S3-compatible bucket at
/// scale.
pub trait BlobStore: Send + Sync + fmt::Debug {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, anyhow::Result<()>>;
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<u8>>>;
}

/// Blobs as files under one folder (keys are generated, never taken from users).
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// The folder is created its owner's alone (0700), as is every folder and file in it.
    pub fn new(root: PathBuf) -> anyhow::Result<LocalBlobStore> {
        private_dir_builder().create(&root)?;
        Ok(LocalBlobStore { root })
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        anyhow::ensure!(
            !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
                && !key.contains(".."),
            "invalid blob key"
        );
        Ok(self.root.join(key))
    }
}

impl BlobStore for LocalBlobStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let path = self.path(key)?;
            // Write then rename, so a crash never leaves a half-written blob under the key.
            let tmp = path.with_extension("partial");
            let (dir, tmp_path) = (path.parent().map(Path::to_path_buf), tmp.clone());
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                use std::io::Write;
                if let Some(dir) = dir {
                    private_dir_builder().create(dir)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(&tmp_path)?;
                f.write_all(&bytes)?;
                f.sync_all()
            })
            .await??;
            tokio::fs::rename(&tmp, &path).await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        Box::pin(async move { Ok(tokio::fs::read(self.path(key)?).await?) })
    }
}

/// Creates folders (and their parents) their owner's alone.
fn private_dir_builder() -> std::fs::DirBuilder {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b
}

/// S3 settings. The secret key is never printed.
#[derive(Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    /// Endpoint URL for non-AWS services (`https://oss-cn-hangzhou.aliyuncs.com`, MinIO, …).
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Virtual-hosted-style requests (`bucket.endpoint`), which Chinese clouds generally expect.
    #[serde(default)]
    pub virtual_hosted: bool,
    /// Allow plain HTTP (a server on loopback in tests).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("virtual_hosted", &self.virtual_hosted)
            .finish()
    }
}

/// Blobs in an S3-compatible bucket.
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    bucket: String,
}

impl fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S3BlobStore({})", self.bucket)
    }
}

impl S3BlobStore {
    pub fn new(c: &S3Config) -> anyhow::Result<S3BlobStore> {
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&c.bucket)
            .with_region(&c.region)
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(&c.secret_access_key)
            .with_virtual_hosted_style_request(c.virtual_hosted)
            .with_allow_http(c.allow_http);
        if let Some(e) = &c.endpoint {
            b = b.with_endpoint(e);
        }
        Ok(S3BlobStore { store: Arc::new(b.build()?), bucket: c.bucket.clone() })
    }
}

impl BlobStore for S3BlobStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            self.store.put(&ObjectPath::from(key), PutPayload::from(bytes)).await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        Box::pin(async move { Ok(self.store.get(&ObjectPath::from(key)).await?.bytes().await?.to_vec()) })
    }
}
