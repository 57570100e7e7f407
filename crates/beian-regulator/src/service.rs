//! What every part of the regulator shares: the store, the keys, the clock, where people reach
//! it, and its policies (`Service`), with the audit entry every action writes. It knows no
//! route: the HTTP surfaces are `router` and the `*_api` modules.

use std::sync::Arc;
use std::time::Duration;

use beian_crypto::Keys;

use crate::RegulatorStore;
use crate::audit::AuditEntry;

/// Unix microseconds now. Injectable so tests can pass 24 hours in a millisecond.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// A table of JSON routes with their OpenAPI documentation, over the shared state: each
/// `*_api` module registers its operations in it, `crate::openapi` gathers them.
pub(crate) type Api = beian_openapi::Api<Service>;

/// What the handlers share.
#[derive(Clone)]
pub struct Service {
    pub store: RegulatorStore,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    /// Where people reach this service (the verification page link in the SMS text).
    pub public_url: String,
    /// The demo policy: approve what waits for the bureau this long (off by default).
    pub auto_approve_after: Option<std::time::Duration>,
    /// The province whose bureau the V3.0 interface plays; `None` serves every province's
    /// providers (a provider of another province answers 13 otherwise).
    pub miit_province: Option<beian_core::province::ProvinceCode>,
    pub(crate) http: reqwest::Client,
}

impl Service {
    pub fn new(store: RegulatorStore, keys: Arc<Keys>, clock: Clock) -> Service {
        Service {
            store,
            keys,
            clock,
            public_url: "http://127.0.0.1:8090".into(),
            auto_approve_after: None,
            miit_province: None,
            http: callback_client(),
        }
    }

    pub fn with_public_url(mut self, url: &str) -> Service {
        self.public_url = url.trim_end_matches('/').to_owned();
        self
    }

    pub fn with_miit_province(mut self, province: Option<beian_core::province::ProvinceCode>) -> Service {
        self.miit_province = province;
        self
    }

    pub fn with_auto_approve(mut self, after: Option<std::time::Duration>) -> Service {
        self.auto_approve_after = after;
        self
    }

    /// The verification page, as the SMS text names it.
    pub fn verify_url(&self) -> String {
        format!("{}/sms", self.public_url)
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("store", &self.store).finish_non_exhaustive()
    }
}

/// An HTTP client for callbacks: short timeouts, no redirects, no proxies from the
/// environment.
fn callback_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("beian-regulator/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with static settings builds")
}

impl Service {
    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    pub(crate) fn entry(
        &self,
        actor: &str,
        action: &str,
        object: Option<String>,
        outcome: &str,
        ip: &Option<String>,
    ) -> AuditEntry {
        AuditEntry {
            at: self.now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            object,
            outcome: outcome.to_owned(),
            ip: ip.clone(),
        }
    }
}
