//! Shared by the regulator's integration tests: a migrated regulator store on SQLite, and on
//! PostgreSQL when `BEIAN_TEST_DATABASE_URL` is set.

use beian_regulator::RegulatorStore;
use beian_store::testing::{self, TestStore};

/// Each backend's store, with the `TestStore` that owns it (dropping that deletes the database).
pub async fn stores() -> Vec<(TestStore, RegulatorStore)> {
    let mut out = Vec::new();
    let mut dbs = vec![testing::sqlite_unmigrated().await];
    dbs.extend(testing::postgres(false).await);
    for db in dbs {
        let reg = RegulatorStore::new(db.store.clone());
        reg.migrate().await.unwrap();
        reg.ensure_current().await.unwrap();
        out.push((db, reg));
    }
    out
}
