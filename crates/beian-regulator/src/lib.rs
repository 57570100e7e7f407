//! # beian-regulator
//!
//! The simulated regulator — MIIT's filing system, the provincial bureaus (管局) and the
//! public-security platform — as a service of its own, with its own database, so the whole
//! filing process runs on one machine and a real integration has a clear seam
//! (`beian-seam`). It knows `beian-core` and nothing of the provider's crates.
//!
//! ## Built so far
//!
//! - [`RegulatorStore`]: the regulator's schema on SQLite or PostgreSQL (its own migrations,
//!   through `beian-store`'s backend-neutral `Store`).
//! - [`numbers`]: issuing subject numbers (`<prefix>ICP备<year><serial:06>号`, per province,
//!   never reused, gap-free and duplicate-free under concurrent approvals, also across
//!   processes on one PostgreSQL) and service numbers (`-N`, `-NA`, `-NX`, `-NK` from the
//!   subject's single sequence).
//! - [`providers`]: registered providers with their signing keys, and the nonces of their
//!   signed requests kept in the database, so a replay is refused by any regulator process.
//! - [`sms`]: the MIIT SMS verification rules — code + mobile + last six certificate
//!   characters, five wrong entries tolerated per order, a 24-hour window that a resend does
//!   not extend — as pure logic over a round.
//!
//! - [`submissions`]: filings received from providers — idempotent by the provider's
//!   submission id (a changed body under a used id is refused), encrypted at rest, visible
//!   only to their provider, withdrawable until a decision, every status change a
//!   compare-and-set.
//! - [`service`]: what every part shares (store, keys, clock, policies); [`router`]: which
//!   module answers which path; [`http`]: refusals as problem+json with a stable code, request
//!   bodies read with the wrong field named. The provider API (`POST /api/v1/submissions`,
//!   `GET /api/v1/submissions/{id}`, `…/withdraw`, `…/sms/resend`, PSB submissions) is
//!   `provider_api`: every request signed and its nonce recorded with its effect.
//! - [`audit`]: the append-only audit log — every refused signed request and every accepted one.
//!
//! - [`verification`], [`events`], [`callbacks`]: SMS rounds, numbered events per submission and
//!   their signed push to the provider.
//! - [`bureau`], [`records`]: the provincial bureau's queue and decision, the records and the
//!   public query.
//! - [`psb`]: the public-security platform — applications for filed websites, the PSB
//!   officer's queue and decision, PSB numbers per filing police area.

pub mod audit;
pub mod bureau;
mod bureau_api;
pub mod callbacks;
mod console;
mod desk_api;
pub mod events;
pub mod http;
mod i18n;
pub mod intake;
pub mod limits;
pub mod miit;
pub mod numbers;
pub mod openapi;
mod pages;
mod provider_api;
pub mod providers;
pub mod psb;
mod psb_api;
mod public_api;
pub mod records;
pub mod router;
pub mod service;
pub mod sms;
pub mod submissions;
pub mod verification;
pub mod worker;

use beian_store::{SchemaMigrator, Store, StoreError, Tx};

static SQLITE: SchemaMigrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: SchemaMigrator = sqlx::migrate!("./migrations/postgres");

/// The regulator's database.
#[derive(Debug, Clone)]
pub struct RegulatorStore {
    store: Store,
}

impl RegulatorStore {
    /// Connects without migrating (`postgres://…` or a SQLite path).
    pub async fn connect(url: &str) -> Result<RegulatorStore, StoreError> {
        Ok(RegulatorStore { store: Store::connect(url).await? })
    }

    /// Wraps an existing connection (tests).
    pub fn new(store: Store) -> RegulatorStore {
        RegulatorStore { store }
    }

    fn migrator(&self) -> &'static SchemaMigrator {
        match self.store.backend() {
            beian_store::Backend::Sqlite => &SQLITE,
            beian_store::Backend::Postgres => &POSTGRES,
        }
    }

    /// Applies the regulator's migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.store.migrate_with(self.migrator()).await
    }

    /// Refuses an unmigrated or newer schema.
    pub async fn ensure_current(&self) -> Result<(), StoreError> {
        self.store.ensure_current_with(self.migrator()).await
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        self.store.begin().await
    }
}
