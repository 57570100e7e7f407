//! The bureau's interface as the provider calls it: the [`Bureau`] port, and [`SoapBureau`],
//! its implementation over SOAP at a real bureau's (or the simulator's) three addresses.
//!
//! The namespace, the actions and the spelling of the arguments are read from the WSDL each
//! address serves (fetched at start-up, or at first use if the bureau was down then, and kept): the spec fixes none of them, so this is how
//! one configuration reaches any bureau. Every call carries fresh credentials ([`Credentials`]);
//! this module must never log an argument (they carry the password hash and the filings).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use beian_miit::auth;
use beian_miit::hours::Hours;
use beian_miit::package::{AesKey, HashAlgorithm};
use beian_miit::soap::{self, Endpoint, Operation, ServiceDescription};
use tokio::sync::Mutex;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a call did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum BureauError {
    /// Not reachable, a 5xx, an unreadable answer: try again later.
    #[error("the bureau is unavailable: {0}")]
    Unavailable(String),
    /// The WSDL does not describe the call, or answered a SOAP fault: retrying will not help.
    #[error("the bureau refused the call: {0}")]
    Refused(String),
}

/// The bureau's interface: one call, answered by its `<return>` document (bytes of XML).
pub trait Bureau: Send + Sync + std::fmt::Debug {
    fn call<'a>(
        &'a self,
        op: Operation,
        args: Vec<(&'static str, String)>,
    ) -> BoxFuture<'a, Result<Vec<u8>, BureauError>>;

    /// Gets ready before the first call (reads the services' descriptions), so a wrong
    /// address shows at start-up rather than at the first upload.
    fn prepare(&self) -> BoxFuture<'_, Result<(), BureauError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Who the provider is at the bureau. Never printed.
#[derive(Clone)]
pub struct Credentials {
    /// The provider's reporting-unit id (`ispId`, and `Qqdwid` in its files).
    pub unit_id: i64,
    pub user: String,
    pub password: String,
    /// The bureau's AES key and IV, when files are encrypted.
    pub aes: Option<AesKey>,
    /// The `version` attribute of the files (the spec says `V.3.0`).
    pub version: String,
    /// The hours the bureau takes uploads in, when it limits them.
    pub upload_hours: Option<Hours>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("unit_id", &self.unit_id)
            .field("user", &self.user)
            .field("encrypted", &self.aes.is_some())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The arguments every call starts with, with a fresh `randVal`.
    pub fn args(&self) -> Result<Vec<(&'static str, String)>, BureauError> {
        let mut random = [0u8; auth::RAND_VAL_LEN];
        beian_crypto::random_bytes(&mut random)
            .map_err(|e| BureauError::Unavailable(format!("no randomness: {e}")))?;
        let rand_val = auth::rand_val(random);
        Ok(auth::call_args(self.unit_id, &self.user, &self.password, &rand_val, HashAlgorithm::Md5))
    }
}

/// The interface over SOAP 1.1.
pub struct SoapBureau {
    /// The address of each service (`http://host/ISPWebService/upDownLoad`, …).
    urls: HashMap<Endpoint, String>,
    http: reqwest::Client,
    described: Mutex<HashMap<Endpoint, ServiceDescription>>,
}

impl std::fmt::Debug for SoapBureau {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoapBureau").field("urls", &self.urls).finish_non_exhaustive()
    }
}

impl SoapBureau {
    /// A bureau at `base` (`http://host:port`), its services at the spec's paths.
    pub fn new(base: &str) -> anyhow::Result<SoapBureau> {
        let base = base.trim_end_matches('/');
        let urls = Endpoint::ALL.into_iter().map(|e| (e, format!("{base}{}", e.path()))).collect();
        Self::with_urls(urls)
    }

    /// A bureau whose services live at other addresses than the spec's paths.
    pub fn with_urls(urls: HashMap<Endpoint, String>) -> anyhow::Result<SoapBureau> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            // An upload may be 50 MB.
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("beian/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(SoapBureau { urls, http, described: Mutex::new(HashMap::new()) })
    }

    fn url(&self, e: Endpoint) -> Result<&str, BureauError> {
        self.urls
            .get(&e)
            .map(String::as_str)
            .ok_or_else(|| BureauError::Refused(format!("no address for {}", e.path())))
    }

    /// The WSDL of `e`, fetched once.
    async fn describe(&self, e: Endpoint) -> Result<ServiceDescription, BureauError> {
        let mut cache = self.described.lock().await;
        if let Some(d) = cache.get(&e) {
            return Ok(d.clone());
        }
        let url = format!("{}?wsdl", self.url(e)?);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| BureauError::Unavailable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(BureauError::Unavailable(format!("the WSDL answered {}", resp.status())));
        }
        let bytes = resp.bytes().await.map_err(|e| BureauError::Unavailable(e.without_url().to_string()))?;
        let d = ServiceDescription::parse(&bytes)
            .map_err(|e| BureauError::Unavailable(format!("unreadable WSDL: {e}")))?;
        cache.insert(e, d.clone());
        Ok(d)
    }
}

impl Bureau for SoapBureau {
    fn prepare(&self) -> BoxFuture<'_, Result<(), BureauError>> {
        Box::pin(async move {
            for e in Endpoint::ALL {
                self.describe(e).await?;
            }
            Ok(())
        })
    }

    fn call<'a>(
        &'a self,
        op: Operation,
        args: Vec<(&'static str, String)>,
    ) -> BoxFuture<'a, Result<Vec<u8>, BureauError>> {
        Box::pin(async move {
            let endpoint = op.endpoint();
            let desc = self.describe(endpoint).await?;
            let body = desc.request(op, &args).map_err(|e| BureauError::Refused(e.to_string()))?;
            let action = desc.action(op).map_err(|e| BureauError::Refused(e.to_string()))?;
            let resp = self
                .http
                .post(self.url(endpoint)?)
                .header("content-type", "text/xml; charset=utf-8")
                .header("soapaction", format!("\"{action}\""))
                .body(body)
                .send()
                .await
                .map_err(|e| BureauError::Unavailable(e.without_url().to_string()))?;
            let status = resp.status();
            let bytes =
                resp.bytes().await.map_err(|e| BureauError::Unavailable(e.without_url().to_string()))?;
            match soap::parse_response(&bytes) {
                Ok(doc) => Ok(doc),
                Err(soap::SoapError::Fault(why)) if status.is_client_error() || status.as_u16() == 500 => {
                    // A fault names a call the bureau cannot read: this provider's bug or
                    // configuration, not a passing outage.
                    Err(BureauError::Refused(format!("SOAP fault: {why}")))
                }
                Err(e) => Err(BureauError::Unavailable(format!("answered {status}: {e}"))),
            }
        })
    }
}
