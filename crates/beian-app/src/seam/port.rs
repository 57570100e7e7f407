//! The regulator as the provider calls it over the signed JSON seam: the [`Regulator`] port,
//! [`HttpRegulator`] (the regulator service's API, or anything that speaks it), and how a
//! failure reads to the API's callers. MIIT's interface V3.0 has its own port
//! (`super::miit::port`). This module must never send PII anywhere but the regulator.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use beian_core::model::Order;
use beian_seam::SigningKey;
use beian_seam::wire::Event as RegEvent;
use serde::Deserialize;
use serde_json::json;

use crate::AppError;
use crate::i18n::Text;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a regulator call failed.
#[derive(Debug, thiserror::Error)]
pub enum RegulatorError {
    /// Not reachable, or a 5xx: try again later.
    #[error("the regulator is unavailable: {0}")]
    Unavailable(String),
    /// Refused with a stable code: retrying the same request will not help.
    #[error("the regulator refused the submission: {code} ({message})")]
    Refused { code: String, message: String },
}

/// The regulator as the provider sees it. A real MIIT integration implements this.
pub trait Regulator: Send + Sync + std::fmt::Debug {
    /// Submits (or re-submits, idempotently) an order; returns the events so far.
    fn submit<'a>(
        &'a self,
        submission_id: &'a str,
        order: &'a Order,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
    /// Submits (or re-submits, idempotently) a PSB application to the public-security
    /// platform; returns the events so far.
    fn submit_psb<'a>(
        &'a self,
        submission_id: &'a str,
        application: &'a beian_core::psb::PsbApplication,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
    /// The events of a submission (polling).
    fn events<'a>(&'a self, submission_id: &'a str) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
    /// Texts a person a new code within the 24-hour window.
    fn resend_sms<'a>(
        &'a self,
        submission_id: &'a str,
        recipient: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
}

/// What the provider needs to talk to the regulator and to check its callbacks.
#[derive(Clone)]
pub struct RegulatorSeam {
    pub port: Arc<dyn Regulator>,
    /// The code this provider signs with, and its key (callbacks are signed with it too).
    pub provider: String,
    pub key: SigningKey,
}

impl std::fmt::Debug for RegulatorSeam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegulatorSeam")
            .field("port", &self.port)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// The regulator service over HTTP (`beian regulator serve`, or anything that speaks its API).
pub struct HttpRegulator {
    base: String,
    provider: String,
    key: SigningKey,
    http: reqwest::Client,
    clock: Arc<dyn crate::clock::Clock>,
}

impl std::fmt::Debug for HttpRegulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRegulator")
            .field("base", &self.base)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct StatusOut {
    events: Vec<RegEvent>,
}

#[derive(Deserialize)]
struct ProblemOut {
    code: String,
    title: String,
}

impl HttpRegulator {
    /// `clock` stamps the signatures (the app's clock, so tests can move both sides' time).
    pub fn new(
        base: &str,
        provider: &str,
        key: SigningKey,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> anyhow::Result<HttpRegulator> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("beian/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpRegulator {
            base: base.trim_end_matches('/').to_owned(),
            provider: provider.to_owned(),
            key,
            http,
            clock,
        })
    }

    async fn call(&self, method: &str, path: &str, body: Vec<u8>) -> Result<Vec<RegEvent>, RegulatorError> {
        let url = reqwest::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| RegulatorError::Unavailable(format!("bad regulator URL: {e}")))?;
        let nonce = beian_crypto::random_token().map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
        let now = self.clock.now().unix_timestamp();
        let signed = beian_seam::sign(&self.provider, &self.key, method, url.path(), &body, now, &nonce);
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
        let mut req = self.http.request(method, url).header("content-type", "application/json").body(body);
        for (name, value) in signed.headers() {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(|e| RegulatorError::Unavailable(e.without_url().to_string()))?;
        let status = resp.status();
        let bytes =
            resp.bytes().await.map_err(|e| RegulatorError::Unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            let out: StatusOut = serde_json::from_slice(&bytes)
                .map_err(|e| RegulatorError::Unavailable(format!("unreadable answer: {e}")))?;
            return Ok(out.events);
        }
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(RegulatorError::Unavailable(format!("answered {status}")));
        }
        let p: ProblemOut = serde_json::from_slice(&bytes)
            .unwrap_or(ProblemOut { code: format!("HTTP_{}", status.as_u16()), title: String::new() });
        Err(RegulatorError::Refused { code: p.code, message: p.title })
    }
}

impl Regulator for HttpRegulator {
    fn submit<'a>(
        &'a self,
        submission_id: &'a str,
        order: &'a Order,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&json!({ "submission_id": submission_id, "order": order }))
                .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
            self.call("POST", "/api/v1/submissions", body).await
        })
    }

    fn submit_psb<'a>(
        &'a self,
        submission_id: &'a str,
        application: &'a beian_core::psb::PsbApplication,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            let body =
                serde_json::to_vec(&json!({ "submission_id": submission_id, "application": application }))
                    .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
            self.call("POST", "/api/v1/psb/submissions", body).await
        })
    }

    fn events<'a>(&'a self, submission_id: &'a str) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            self.call("GET", &format!("/api/v1/submissions/{submission_id}"), Vec::new()).await
        })
    }

    fn resend_sms<'a>(
        &'a self,
        submission_id: &'a str,
        recipient: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&json!({ "recipient": recipient }))
                .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
            self.call("POST", &format!("/api/v1/submissions/{submission_id}/sms/resend"), body).await
        })
    }
}

/// A regulator failure as the API reports it.
pub fn regulator_problem(e: &RegulatorError) -> AppError {
    match e {
        RegulatorError::Unavailable(_) => {
            AppError::conflict("REGULATOR_UNAVAILABLE", Text::new("problem.regulator_unavailable"))
        }
        RegulatorError::Refused { .. } => {
            AppError::conflict("REGULATOR_REFUSED", Text::new("problem.regulator_refused"))
        }
    }
}
