//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database per test when
//! `BEIAN_TEST_DATABASE_URL` points at a server (CI sets it). Without that variable the
//! PostgreSQL half is skipped, loudly, on stderr.

use std::path::PathBuf;

use crate::Store;

/// A migrated store that cleans up after itself.
#[derive(Debug)]
pub struct TestStore {
    pub label: &'static str,
    pub store: Store,
    dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

impl TestStore {
    /// The database URL, for starting a server process on the same database.
    pub fn url(&self) -> String {
        match (&self.dir, &self.pg) {
            (Some(dir), _) => dir.join("beian.db").to_string_lossy().into_owned(),
            (_, Some((admin, name))) => with_database(admin, name),
            _ => unreachable!("a test store is SQLite or PostgreSQL"),
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.pg.take() {
            // Async drop is not a thing: drop the database from a helper thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let pool = sqlx::PgPool::connect(&admin).await.ok()?;
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.ok()
                })
            })
            .join();
        }
    }
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let root = base.rsplit_once('/').map_or(base, |(r, _)| r);
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

/// A fresh, migrated SQLite store in a temporary directory.
pub async fn sqlite() -> TestStore {
    let dir = std::env::temp_dir().join(format!("beian-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::connect_sqlite(&dir.join("beian.db")).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    TestStore { label: "sqlite", store, dir: Some(dir), pg: None }
}

/// An unmigrated SQLite store (for schema-status tests).
pub async fn sqlite_unmigrated() -> TestStore {
    let dir = std::env::temp_dir().join(format!("beian-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::connect_sqlite(&dir.join("beian.db")).await.expect("open sqlite");
    TestStore { label: "sqlite", store, dir: Some(dir), pg: None }
}

/// A fresh PostgreSQL database, or `None` (with a note on stderr) when not configured.
pub async fn postgres(migrated: bool) -> Option<TestStore> {
    let Ok(admin) = std::env::var("BEIAN_TEST_DATABASE_URL") else {
        eprintln!("*** SKIPPED the PostgreSQL half of this test: BEIAN_TEST_DATABASE_URL is not set ***");
        return None;
    };
    let name = format!("beian_t_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect to BEIAN_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    let store = Store::connect(&with_database(&admin, &name)).await.expect("connect to test database");
    if migrated {
        store.migrate().await.expect("migrate postgres");
    }
    Some(TestStore { label: "postgres", store, dir: None, pg: Some((admin, name)) })
}

/// Every configured backend, migrated: SQLite always, PostgreSQL when configured.
pub async fn all() -> Vec<TestStore> {
    let mut v = vec![sqlite().await];
    v.extend(postgres(true).await);
    v
}
