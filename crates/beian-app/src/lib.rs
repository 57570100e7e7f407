//! # beian-app
//!
//! The provider system's use cases, between the web layer and the store: accounts and
//! sessions, subjects, orders (create, edit, check, submit, withdraw), review, documents,
//! notifications and the job runner — reached by area (`app.orders()`, `app.review()`, …:
//! [`areas`]), while `App` itself holds only what every area shares.
//!
//! ## Rules this crate keeps
//!
//! - **Authorization per object.** Every service takes the caller ([`Ctx`]) and decides what
//!   it may see; an applicant asking for someone else's order gets [`AppError::NotFound`],
//!   exactly as for an id that does not exist.
//! - **One transaction per use case.** The state change, its audit event and its jobs are
//!   written together ([`beian_store::Tx`]); side effects (mail, SMS) only ever run from jobs.
//! - **PII is encrypted before it reaches the store** ([`crypto`]), masked in every view
//!   unless the caller asks to reveal it and may (which is audited), and never logged or put
//!   in a job payload (payloads carry ids).
//! - **The order state machine is `beian_core::workflow::transition`**; this crate persists what
//!   it returns and nothing else.
//! - No HTTP and no SQL text here.

pub mod areas;
pub mod auth;
pub mod blacklist;
pub mod blobs;
pub mod calendar;
mod cancellation;
pub mod changes;
pub mod clock;
/// PII encryption, blind indexes and tokens (the shared `beian-crypto` crate).
pub use beian_crypto as crypto;
pub mod dashboard;
pub mod documents;
pub mod drafts;
pub mod error;
pub mod expiry;
pub mod footers;
pub mod hosting;
pub mod i18n;
pub mod instances;
pub mod ip_filing;
pub mod jobs;
pub mod metrics;
pub mod notify;
mod order_state;
pub mod orders;
pub mod packed;
mod pdf;
pub use beian_crypto::passwords;
pub mod profile;
pub mod psb;
pub mod recipients;
pub mod redact;
pub mod requirements;
pub mod resolve;
pub mod review;
pub mod scans;
pub mod seam;
pub mod subjects;
pub mod unfiled;
pub mod verification;
pub mod verify;
mod views;
pub mod webhooks;

pub use auth::{Principal, Role};
pub use error::{AppError, AppResult, FieldError};
pub use views::*;

use std::sync::Arc;

use beian_store::Store;

use crate::blobs::BlobStore;
use crate::clock::Clock;
use crate::crypto::Keys;
use crate::notify::{Mailer, OutboxSms, SmsSender};

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Public URL of the service, used in e-mails.
    pub base_url: String,
    /// How long a login session lives.
    pub session_ttl: time::Duration,
    /// Login attempts allowed per client address, and per account, in 15 minutes.
    pub login_attempts_per_ip: i64,
    pub login_attempts_per_account: i64,
    /// Bytes one applicant may upload per hour (every upload counts, refused ones too).
    pub upload_bytes_per_hour: i64,
    /// Largest accepted upload, in bytes, and largest image, in pixels.
    pub max_upload_bytes: usize,
    pub max_image_pixels: u64,
    /// Sender of notification e-mails.
    pub mail_from: String,
    /// How compliance scans fetch filed sites; `None` turns scanning off (the default for
    /// embedders and tests; `beian serve` turns it on unless `scan_sites = false`).
    pub scan: Option<beian_scan::FetchOptions>,
    /// Send `Strict-Transport-Security` (the service is reached over HTTPS only).
    pub hsts: bool,
    /// The PSB badge the provider serves for its customers' footers (`footers::PsbBadge`).
    pub psb_badge: Option<footers::PsbBadge>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            base_url: "http://127.0.0.1:8080".into(),
            session_ttl: time::Duration::hours(12),
            login_attempts_per_ip: 30,
            login_attempts_per_account: 10,
            upload_bytes_per_hour: 256 << 20,
            max_upload_bytes: 10 * 1024 * 1024,
            max_image_pixels: 40_000_000,
            mail_from: "beian <noreply@beian.invalid>".into(),
            scan: None,
            hsts: false,
            psb_badge: None,
        }
    }
}

/// Everything a use case needs; cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    store: Store,
    keys: Keys,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    blobs: Arc<dyn BlobStore>,
    sms: Arc<dyn SmsSender>,
    verifier: Arc<dyn verify::IdentityVerifier>,
    resolver: Arc<dyn resolve::Resolver>,
    regulator: Option<seam::RegulatorSeam>,
    miit: Option<seam::miit::MiitSeam>,
    config: AppConfig,
    auth_cache: auth::AuthCache,
    doc_cache: DocCache,
    dashboard_cache: dashboard::DashboardCache,
    calendar_cache: calendar::CalendarCache,
    scanner: std::sync::OnceLock<beian_scan::Scanner>,
    webhook_client: std::sync::OnceLock<reqwest::Client>,
}

/// Decrypted order documents by (order id, version); see `Orders::decrypt_order`.
#[derive(Debug, Default)]
pub(crate) struct DocCache {
    map: std::sync::Mutex<std::collections::HashMap<(beian_store::Uuid, i64), OrderDoc>>,
}

impl DocCache {
    const CAPACITY: usize = 2048;

    pub(crate) fn get(&self, key: &(beian_store::Uuid, i64)) -> Option<OrderDoc> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// Caches a document; when full, one arbitrary entry makes room, freed after the lock is
    /// released (clearing the whole map stalled every reader; see `beian_store::cache`).
    pub(crate) fn put(&self, key: (beian_store::Uuid, i64), doc: OrderDoc) {
        let evicted = {
            let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
            let evicted = if m.len() >= Self::CAPACITY {
                let victim = m.keys().next().copied();
                victim.and_then(|k| m.remove(&k))
            } else {
                None
            };
            m.insert(key, doc);
            evicted
        };
        drop(evicted);
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("backend", &self.inner.store.backend()).finish_non_exhaustive()
    }
}

impl App {
    pub fn new(
        store: Store,
        keys: Keys,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        blobs: Arc<dyn BlobStore>,
        config: AppConfig,
    ) -> App {
        App {
            inner: Arc::new(Inner {
                store,
                keys,
                clock,
                mailer,
                blobs,
                sms: Arc::new(OutboxSms),
                verifier: Arc::new(verify::ManualVerifier),
                resolver: Arc::new(resolve::SystemResolver),
                regulator: None,
                miit: None,
                config,
                auth_cache: auth::AuthCache::default(),
                doc_cache: DocCache::default(),
                dashboard_cache: dashboard::DashboardCache::default(),
                calendar_cache: calendar::CalendarCache::default(),
                scanner: std::sync::OnceLock::new(),
                webhook_client: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The same app with another SMS sender (the outbox is the default). Call it while
    /// building, before the app is shared.
    pub fn with_sms(self, sms: Arc<dyn SmsSender>) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => App { inner: Arc::new(Inner { sms, ..inner }) },
            Err(inner) => App { inner },
        }
    }

    /// The same app with another resolver for the hosting check (the system's by default;
    /// a fixed table in tests). Call it while building, before the app is shared.
    pub fn with_resolver(self, resolver: Arc<dyn resolve::Resolver>) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => App { inner: Arc::new(Inner { resolver, ..inner }) },
            Err(inner) => App { inner },
        }
    }

    /// The same app with another identity verifier (a face-verification vendor's adapter;
    /// manual by default). Call it while building, before the app is shared.
    pub fn with_verifier(self, verifier: Arc<dyn verify::IdentityVerifier>) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => App { inner: Arc::new(Inner { verifier, ..inner }) },
            Err(inner) => App { inner },
        }
    }

    /// Turns footer scanning of filed sites on with these fetch options (off by default).
    pub fn with_scanning(self, opts: beian_scan::FetchOptions) -> App {
        self.with_config(|c| c.scan = Some(opts))
    }

    /// The same app with its settings changed by `change`. Call it while building, before
    /// the app is shared.
    pub fn with_config(self, change: impl FnOnce(&mut AppConfig)) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                change(&mut inner.config);
                App { inner: Arc::new(inner) }
            }
            Err(inner) => App { inner },
        }
    }

    pub fn sms(&self) -> &dyn SmsSender {
        self.inner.sms.as_ref()
    }

    /// The identity verifier (manual by default).
    pub fn verifier(&self) -> &dyn verify::IdentityVerifier {
        self.inner.verifier.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }
    pub fn mailer(&self) -> &dyn Mailer {
        self.inner.mailer.as_ref()
    }
    pub fn blobs(&self) -> &dyn BlobStore {
        self.inner.blobs.as_ref()
    }
    pub(crate) fn doc_cache(&self) -> &DocCache {
        &self.inner.doc_cache
    }
    pub(crate) fn dashboard_cache(&self) -> &dashboard::DashboardCache {
        &self.inner.dashboard_cache
    }

    pub(crate) fn auth_cache(&self) -> &auth::AuthCache {
        &self.inner.auth_cache
    }

    /// Now, in store representation (unix microseconds).
    pub fn now_us(&self) -> i64 {
        beian_store::micros(self.clock().now())
    }
}

/// An audit event by a party without an account here: the regulator's events, the job that
/// asks the identity-verification vendor (`role` is `regulator` or `system`).
pub(crate) fn service_audit(
    role: &str,
    action: &str,
    object_type: &str,
    object_id: impl ToString,
    detail: serde_json::Value,
) -> beian_store::NewAudit {
    beian_store::NewAudit {
        actor_id: None,
        actor_role: role.to_owned(),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_string(),
        ip: None,
        request_id: None,
        detail: detail.to_string(),
    }
}

/// Who is asking, from where: passed to every use case for authorization and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub principal: Option<Principal>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl Ctx {
    /// The signed-in caller, or 401.
    pub fn principal(&self) -> AppResult<&Principal> {
        self.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// The caller if they hold one of `roles`, else 403 (401 when not signed in).
    pub fn require(&self, roles: &[Role]) -> AppResult<&Principal> {
        let p = self.principal()?;
        if roles.contains(&p.role) { Ok(p) } else { Err(AppError::Forbidden) }
    }

    /// An audit event by this caller.
    pub fn audit(
        &self,
        action: &str,
        object_type: &str,
        object_id: impl ToString,
        detail: serde_json::Value,
    ) -> beian_store::NewAudit {
        beian_store::NewAudit {
            actor_id: self.principal.as_ref().map(|p| p.id),
            actor_role: self.principal.as_ref().map_or("anonymous", |p| p.role.as_str()).to_owned(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_string(),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
            detail: detail.to_string(),
        }
    }
}
