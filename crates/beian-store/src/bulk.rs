//! Loading millions of rows into a SQLite database on one thread (`beian bench-seed`).
//!
//! The service's writers ([`crate::Tx::insert_subjects`], [`crate::Tx::insert_orders`]) go
//! through sqlx, which copies every argument into a value of its own and hands each statement to
//! its worker thread: for 17 million rows (a million orders, 1.2 million subjects and their 15
//! million name pieces) those copies and hand-offs, not SQLite, were most of the load's time.
//! Here one connection, owned by the calling thread, runs prepared single-row statements that
//! borrow the rows' bytes. The rows and name pieces are the same the service writes.
//!
//! Only for a benchmark database nobody else has open, between [`crate::Store::defer_indexes`]
//! and [`crate::Store::finish_bulk_load`]: no journal and no fsync while it runs (a crash
//! ruins the file), no foreign-key probes (the loader writes parents before children). Never
//! a path a service uses.

use std::path::Path;

use rusqlite::{Connection, params};

use crate::subjects::sorted_name_grams;
use crate::{OrderRow, SubjectRow};

const INSERT_SUBJECT: &str = "INSERT INTO subjects (id, owner_id, nature, name, province, cert_index, data,
        filed_number, version, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const INSERT_GRAM: &str =
    "INSERT INTO subject_name_grams (gram, subject_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
const INSERT_ORDER: &str = "INSERT INTO orders (id, owner_id, subject_id, kind, province, state, state_data, data,
        findings, review_findings, reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

/// A bulk writer of subjects and orders into one SQLite file.
#[derive(Debug)]
pub struct SqliteBulkLoader {
    conn: Connection,
}

impl SqliteBulkLoader {
    /// Opens the (already migrated) database at `path` for a load.
    pub fn open(path: &Path) -> crate::Result<SqliteBulkLoader> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;
             PRAGMA cache_size = -1048576;",
        )?;
        Ok(SqliteBulkLoader { conn })
    }

    /// Writes `subjects` (with their name pieces) and then `orders` in one transaction.
    pub fn insert(&mut self, subjects: &[SubjectRow], orders: &[OrderRow]) -> crate::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(INSERT_SUBJECT)?;
            for s in subjects {
                st.execute(params![
                    s.id.as_bytes().as_slice(),
                    s.owner_id.as_bytes().as_slice(),
                    s.nature,
                    s.name,
                    s.province,
                    s.cert_index,
                    s.data,
                    s.filed_number,
                    s.version,
                    s.created_at,
                    s.updated_at,
                ])?;
            }
            let mut st = tx.prepare_cached(INSERT_GRAM)?;
            for (g, id) in sorted_name_grams(subjects) {
                st.execute(params![g, id.as_bytes().as_slice()])?;
            }
            let mut st = tx.prepare_cached(INSERT_ORDER)?;
            for o in orders {
                st.execute(params![
                    o.id.as_bytes().as_slice(),
                    o.owner_id.as_bytes().as_slice(),
                    o.subject_id.as_bytes().as_slice(),
                    o.kind,
                    o.province,
                    o.state,
                    o.state_data,
                    o.data,
                    o.findings,
                    o.review_findings,
                    o.reviewer_id.as_ref().map(|r| r.as_bytes().as_slice()),
                    o.open,
                    o.version,
                    o.created_at,
                    o.updated_at,
                    o.submitted_at,
                    o.stage_since,
                ])?;
            }
        }
        Ok(tx.commit()?)
    }
}
