//! # beian-store
//!
//! Persistence for beian: one logical schema on **SQLite** (the default: a file in the data
//! directory) and **PostgreSQL** (at scale), each with its own migrations in `migrations/`.
//!
//! ## Shape
//!
//! [`Store`] is an enum over the two connection pools and [`Tx`] an enum over their write
//! transactions. Every query is written once: the `on!` macro expands the same body for both
//! backends with their concrete types, so there are no generic database bounds anywhere and the
//! layers above use one concrete type. Where the dialects really differ (job claiming with
//! `FOR UPDATE SKIP LOCKED`) the two arms are written out.
//!
//! ## Rules this crate keeps
//!
//! - Writes happen in a [`Tx`]; on SQLite it starts with `BEGIN IMMEDIATE`, so a
//!   read-then-write transaction never fails on a stale snapshot, after waiting for the
//!   process's write turn (`cache.rs`), so writers queue instead of sleeping in SQLite's
//!   busy handler. Its WAL is checkpointed by a thread of its own (`checkpoint.rs`), not
//!   inside a writer's commit.
//! - The state change, its audit event and its jobs are written in the same [`Tx`]
//!   (transactional outbox); a job is never enqueued outside the transaction that causes it.
//! - No business rules and no HTTP here; PII arrives already encrypted (`data` columns) or as
//!   blind indexes.
//! - Constraint violations come back as [`StoreError::Conflict`] naming what collided, decided by
//!   the database error's kind, never by parsing its message.

mod accounts;
mod audit;
pub mod bulk;
pub mod cache;
mod checkpoint;
mod direct;
mod documents;
mod idempotency;
mod ip_filing;
mod jobs;
mod miit;
mod orders;
mod outbox;
pub mod pg_copy;
mod psb;
mod rate_limits;
mod regulator_links;
mod scans;
mod service_numbers;
mod settings;
mod stats;
mod subjects;
mod templates;
mod unfiled;
mod verification;
mod webhooks;

pub use accounts::{AccountRow, ApiTokenRow, SessionRow};
pub use audit::{AuditRow, NewAudit};
pub use documents::{DocumentRow, FaceCheckRecord};
pub use idempotency::{IdempotencyRow, Reservation};
pub use ip_filing::{IpFiling, IpKind, IpPoolRow, IpSourceRow};
pub use jobs::{JobOutcome, JobRow, NewJob, backoff_secs};
pub use miit::{MiitDownloadRow, MiitRecordRow, MiitUploadRow, MiitWorkRow, OrderFlagRow};
pub use orders::{NewOrder, OrderEventRow, OrderLineRow, OrderRow, OrderUpdate, QueueFilter, QueueRow};
pub use outbox::{MessageRow, NewMessage};
pub use psb::PsbApplicationRow;
pub use regulator_links::RegulatorLinkRow;
pub use scans::{SiteHostingRow, SiteScanRow};
pub use service_numbers::ServiceNumberRow;
pub use settings::SettingRow;
pub use stats::{JobStat, ScanVerdict, StageEvent};
pub use subjects::{NewSubject, SubjectRow};
pub use templates::TemplateRow;
pub use unfiled::{BlockRow, ListedCaseRow, UnfiledCaseRow};
pub use verification::{ListedTaskRow, VerificationTaskRow};
pub use webhooks::{RecipientRow, WebhookDeliveryRow, WebhookRow};

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use uuid::Uuid;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The plain indexes (and, on PostgreSQL, foreign keys and an unreferenced primary key) a bulk
/// load dropped, as (table, the statement that builds it again), indexes first
/// ([`Store::defer_indexes`], [`Store::finish_bulk_load`]).
#[derive(Debug, Default)]
pub struct DeferredIndexes(Vec<(String, String)>);

impl DeferredIndexes {
    /// The statements that build the dropped indexes and keys again.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, sql)| sql.as_str())
    }
}

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; `what` names the constraint.
    #[error("conflict: {what}")]
    Conflict { what: String },
    /// The schema is not the one this build knows.
    #[error("{0}")]
    Schema(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A statement on the calling thread (`direct.rs`, `bulk.rs`; SQLite only) failed.
    #[error("database error (SQLite, on the calling thread): {0}")]
    Direct(#[from] rusqlite::Error),
    /// A write transaction waited longer than the busy timeout for its turn (SQLite only).
    #[error("the database stayed busy: no turn to write within {0} s")]
    Busy(u64),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation | sqlx::error::ErrorKind::ForeignKeyViolation => {
                    // PostgreSQL names the constraint; SQLite names the columns in its message.
                    let what = db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned());
                    StoreError::Conflict { what }
                }
                _ => StoreError::Database(e),
            },
            _ => StoreError::Database(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two backends. The SQLite variant carries the order read
/// cache ([`cache`]): SQLite is single-instance, so every write passes through this process
/// and the cache can be kept exact.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool, Arc<cache::OrderCache>),
    Postgres(PgPool),
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back. After any error the
/// transaction is finished — PostgreSQL aborts it, so SQLite code must not rely on going on —
/// and the caller drops it.
#[derive(Debug)]
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, cache::TxCache),
    Postgres(Transaction<'static, Postgres>),
}

/// Expands `$body` once per backend with `$c` bound to that backend's executor: the pool for a
/// [`Store`], the connection inside the transaction for a [`Tx`]. Exported so another schema
/// (the regulator's) can write its queries the same way on the same `Store`.
#[macro_export]
macro_rules! on {
    (store $s:expr, |$c:ident| $body:expr) => {
        match $s {
            $crate::Store::Sqlite(pool, _) => {
                let $c = pool;
                $body
            }
            $crate::Store::Postgres(pool) => {
                let $c = pool;
                $body
            }
        }
    };
    (tx $t:expr, |$c:ident| $body:expr) => {
        match $t {
            $crate::Tx::Sqlite(tx, _) => {
                let $c = &mut **tx;
                $body
            }
            $crate::Tx::Postgres(tx) => {
                let $c = &mut **tx;
                $body
            }
        }
    };
}

pub use sqlx::migrate::Migrator as SchemaMigrator;

/// Where the schema stands relative to the migrations this build carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaStatus {
    Current,
    /// Migrations this build knows have not been applied.
    Behind {
        missing: Vec<i64>,
    },
    /// The database has migrations this build does not know (a newer beian migrated it).
    Ahead {
        unknown: Vec<i64>,
    },
}

impl Store {
    /// Connects to `postgres://…` or to a SQLite file (`sqlite://path` or a plain path),
    /// creating the SQLite file if needed. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(StoreError::Database)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Store::Postgres(pool));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Self::connect_sqlite(Path::new(path)).await
    }

    /// Opens (creating if needed) a SQLite database file with WAL, foreign keys on,
    /// a busy timeout and `synchronous = NORMAL`.
    pub async fn connect_sqlite(path: &Path) -> Result<Store> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .pragma("wal_autocheckpoint", checkpoint::WRITER_CHECKPOINT_PAGES)
            .busy_timeout(Duration::from_secs(10));
        // No ping before each use: sqlx's test of a pooled connection is a round trip to the
        // connection's worker thread, as costly as the statement after it, and a connection to
        // a local file cannot go stale the way a network connection can.
        let pool = SqlitePoolOptions::new()
            .max_connections(sqlite_pool_size())
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        let cache = cache::OrderCache::reading(path).map_err(sqlx::Error::Io)?;
        Ok(Store::Sqlite(pool, Arc::new(cache)))
    }

    /// Opens a SQLite database for a bulk load by one writer (`beian bench-seed`): a 1 GiB page
    /// cache, no rollback journal and no fsync while it runs (each page is written once), and no
    /// foreign-key probes (the loader writes parents before children);
    /// [`Store::finish_bulk_load`] puts the database back in WAL mode. Never for a database a
    /// service is using: a crash or a failed statement during the load may ruin it.
    pub async fn connect_sqlite_bulk(path: &Path) -> Result<Store> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Off)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(false)
            .pragma("cache_size", "-1048576")
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        Ok(Store::Sqlite(pool, Arc::default()))
    }

    /// Starts a bulk load into `tables` (`beian bench-seed` only, on a database nobody else
    /// uses): drops their plain indexes — and on PostgreSQL their foreign keys, which SQLite's
    /// bulk connection does not check anyway — to be built again by [`Store::finish_bulk_load`]:
    /// one sort per index and one pass per key instead of millions of scattered inserts and
    /// per-row checks. Unique indexes and primary keys stay, so the rows are checked as always,
    /// except on PostgreSQL the primary key of a table nothing refers to, which is checked when
    /// it is built again (a duplicate then fails the finish, not its batch).
    /// A load that dies before it finishes leaves them missing; the loader is for benchmark
    /// databases.
    pub async fn defer_indexes(&self, tables: &[&str]) -> Result<DeferredIndexes> {
        let tables: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
        let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        // (table, drop, build again), from the database's own catalog, not from input.
        let mut steps: Vec<(String, String, String)> = Vec::new();
        match self {
            Store::Sqlite(pool, _) => {
                for t in &tables {
                    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1",
                    )
                    .bind(t)
                    .fetch_all(pool)
                    .await?;
                    steps.extend(rows.into_iter().filter_map(|(name, sql)| {
                        sql.filter(|s| !s.trim_start().to_ascii_uppercase().starts_with("CREATE UNIQUE"))
                            .map(|s| (t.clone(), format!("DROP INDEX {}", quote(&name)), s))
                    }));
                }
            }
            Store::Postgres(pool) => {
                let indexes: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT t.relname::TEXT, i.relname::TEXT, pg_get_indexdef(x.indexrelid)
                     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                          JOIN pg_class t ON t.oid = x.indrelid
                     WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace
                       AND NOT x.indisunique AND NOT x.indisprimary",
                )
                .bind(&tables)
                .fetch_all(pool)
                .await?;
                steps.extend(
                    indexes
                        .into_iter()
                        .map(|(t, name, def)| (t, format!("DROP INDEX {}", quote(&name)), def)),
                );
                // Foreign keys, and the primary key of a table no foreign key refers to (the
                // name pieces: fifteen million rows whose key, kept while loading, took most of
                // the load's time and WAL in page splits).
                let keys: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT t.relname::TEXT, c.conname::TEXT, pg_get_constraintdef(c.oid)
                     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                     WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace
                       AND (c.contype = 'f'
                            OR (c.contype = 'p'
                                AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.confrelid = t.oid)))
                     ORDER BY c.contype DESC",
                )
                .bind(&tables)
                .fetch_all(pool)
                .await?;
                steps.extend(keys.into_iter().map(|(table, name, def)| {
                    let (t, n) = (quote(&table), quote(&name));
                    (
                        table.clone(),
                        format!("ALTER TABLE {t} DROP CONSTRAINT {n}"),
                        format!("ALTER TABLE {t} ADD CONSTRAINT {n} {def}"),
                    )
                }));
            }
        }
        for (_, drop, _) in &steps {
            let drop = sqlx::AssertSqlSafe(drop.clone());
            match self {
                Store::Sqlite(pool, _) => sqlx::query(drop).execute(pool).await?.rows_affected(),
                Store::Postgres(pool) => sqlx::query(drop).execute(pool).await?.rows_affected(),
            };
        }
        Ok(DeferredIndexes(steps.into_iter().map(|(table, _, build)| (table, build)).collect()))
    }

    /// Ends a bulk load: the indexes [`Store::defer_indexes`] dropped are built again, the
    /// statistics gathered now, and a SQLite database goes back to WAL mode, as the service
    /// keeps it. Without statistics the planner guesses until autovacuum (PostgreSQL) or
    /// forever (SQLite): with a million fresh orders a subject's order list took 555 ms instead
    /// of 6 ms and a name search 5 s instead of 85 ms.
    pub async fn finish_bulk_load(&self, deferred: DeferredIndexes) -> Result<()> {
        match self {
            Store::Sqlite(pool, _) => {
                for (_, sql) in deferred.0 {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
                }
                // Statistics from a sample of each index (SQLite's recommended limit), not from
                // reading all of a multi-gigabyte file again; the plans need only the shape.
                sqlx::query("PRAGMA analysis_limit = 1000").execute(pool).await?;
                sqlx::query("ANALYZE").execute(pool).await?;
                sqlx::query("PRAGMA journal_mode = WAL").execute(pool).await?;
            }
            Store::Postgres(pool) => {
                // Each table's steps in order on one connection, two tables at a time, the
                // largest first: a key's check (one scan) and an index build leave a core idle
                // that the other table's steps use. Steps of two tables that lock a third (two
                // foreign keys to `subjects`) wait for each other in the database.
                let mut tables: Vec<(String, Vec<String>)> = Vec::new();
                for (table, sql) in deferred.0 {
                    match tables.iter_mut().find(|(t, _)| *t == table) {
                        Some((_, steps)) => steps.push(sql),
                        None => tables.push((table, vec![sql])),
                    }
                }
                let mut sized = Vec::with_capacity(tables.len());
                for (table, steps) in tables {
                    let bytes: i64 =
                        sqlx::query_scalar("SELECT COALESCE(pg_total_relation_size(to_regclass($1)), 0)")
                            .bind(&table)
                            .fetch_one(pool)
                            .await?;
                    sized.push((bytes, steps));
                }
                sized.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
                let queue = std::sync::Mutex::new(sized.into_iter().map(|(_, steps)| steps));
                let next = || queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next();
                let builder = || async {
                    // With room to sort each index in memory.
                    let mut c = pool.acquire().await?;
                    sqlx::query("SET maintenance_work_mem = '1GB'").execute(&mut *c).await?;
                    while let Some(steps) = next() {
                        for sql in steps {
                            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await?;
                        }
                    }
                    Ok::<(), StoreError>(())
                };
                let (a, b) = tokio::join!(builder(), builder());
                a.and(b)?;
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(..) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Store::Sqlite(..) => &SQLITE_MIGRATIONS,
            Store::Postgres(_) => &PG_MIGRATIONS,
        }
    }

    /// Applies every pending migration (`beian migrate`).
    pub async fn migrate(&self) -> Result<()> {
        self.migrate_with(self.migrator()).await
    }

    /// Applies another schema's migrations (the regulator keeps its own).
    pub async fn migrate_with(&self, m: &Migrator) -> Result<()> {
        let r = match self {
            Store::Sqlite(p, _) => m.run(p).await,
            Store::Postgres(p) => m.run(p).await,
        };
        r.map_err(|e| StoreError::Schema(format!("migration failed: {e}")))
    }

    /// Compares the applied migrations with the ones this build carries.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        self.schema_status_with(self.migrator()).await
    }

    /// [`Store::schema_status`] for another schema's migrations.
    pub async fn schema_status_with(&self, migrator: &Migrator) -> Result<SchemaStatus> {
        let exists: bool = on!(store self, |c| {
            match self.backend() {
                Backend::Sqlite => sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(c)
                .await?
                    > 0,
                Backend::Postgres => sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()",
                )
                .fetch_one(c)
                .await?
                    > 0,
            }
        });
        let applied: Vec<i64> = if exists {
            on!(store self, |c| sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(c)
                .await?)
        } else {
            Vec::new()
        };
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        let unknown: Vec<i64> = applied.iter().copied().filter(|v| !known.contains(v)).collect();
        if !unknown.is_empty() {
            return Ok(SchemaStatus::Ahead { unknown });
        }
        let missing: Vec<i64> = known.iter().copied().filter(|v| !applied.contains(v)).collect();
        Ok(if missing.is_empty() { SchemaStatus::Current } else { SchemaStatus::Behind { missing } })
    }

    /// Fails with a message a self-hoster can act on unless the schema is current.
    pub async fn ensure_current(&self) -> Result<()> {
        self.ensure_current_with(self.migrator()).await
    }

    /// [`Store::ensure_current`] for another schema's migrations.
    pub async fn ensure_current_with(&self, migrator: &Migrator) -> Result<()> {
        match self.schema_status_with(migrator).await? {
            SchemaStatus::Current => Ok(()),
            SchemaStatus::Behind { missing } => Err(StoreError::Schema(format!(
                "the database is not migrated (missing migrations {missing:?}); run `beian migrate` first"
            ))),
            SchemaStatus::Ahead { unknown } => Err(StoreError::Schema(format!(
                "the database was migrated by a newer beian (unknown migrations {unknown:?}); upgrade beian"
            ))),
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        on!(store self, |c| sqlx::query("SELECT 1").execute(c).await?.rows_affected());
        Ok(())
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite, in the process's write turn).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(p, cache) => {
                // The turn first: a writer waiting for it holds no connection.
                let turn = cache::TxCache::begin(cache).await?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(p, _) => p.close().await,
            Store::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, touched) => {
                t.commit().await?;
                touched.committed();
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// SQLite connections: each runs its queries on its own worker thread, so more connections
/// than cores only add context switches (measured on 2 cores with scripts/load-bench.sh: 3
/// instead of 8 connections cut the review queue's p99 from 32 ms to 12 ms and order
/// creation's from 260 ms to 44 ms). `BEIAN_SQLITE_CONNECTIONS` overrides it.
fn sqlite_pool_size() -> u32 {
    std::env::var("BEIAN_SQLITE_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() as u32 + 1))
        .clamp(2, 64)
}

/// A fresh time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Unix microseconds of a time, the representation of every timestamp column.
pub fn micros(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// The time of a timestamp column.
pub fn from_micros(us: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
