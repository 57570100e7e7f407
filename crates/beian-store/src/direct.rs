//! The hottest reads on SQLite without sqlx's worker-thread hand-off.
//!
//! sqlx runs every SQLite statement on a worker thread of its own and hands the rows back
//! through a channel: two thread switches per query. For the hottest reads — one order by its
//! id, cached or not, and a page of the review queue with its tabs' counts — those switches
//! cost more than the query (profiled at a million orders: a quarter of the service's CPU time
//! on a random order read, a third on `/review`, was the scheduler). Here the read runs on the
//! calling thread, on a connection that thread keeps open, in well under a millisecond (indexed
//! reads of pages the OS already caches). The queue's statements are the same text sqlx runs
//! (`$N` parameters, bound by their number as sqlx binds them), so the two paths cannot drift.
//!
//! Only reads go this way, and only of committed data (a connection of its own, in WAL mode,
//! sees what was committed when its statement began, as a pool connection would). It must
//! never write, and never be used inside a transaction: writes stay with sqlx, in one
//! transaction with their side effects.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql};
use uuid::Uuid;

use crate::regulator_links::{LATEST_FOR_ORDER, RegulatorLinkRow};
use crate::{OrderRow, QueueRow};

/// Databases a thread keeps a connection to; more (tests open hundreds) start the map over.
const PER_THREAD: usize = 4;

/// How much of the database file a reading connection maps (SQLite caps it at its
/// compile-time `SQLITE_MAX_MMAP_SIZE`, raised in `.cargo/config.toml`).
const MMAP_BYTES: i64 = 1 << 40;

thread_local! {
    static CONNECTIONS: RefCell<HashMap<PathBuf, Connection>> = RefCell::new(HashMap::new());
}

const ORDER_SQL: &str = "SELECT id, owner_id, subject_id, kind, province, state, state_data, data, findings,
        review_findings, reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since
     FROM orders WHERE id = ?1";

/// Reads of one SQLite database file on the calling thread.
#[derive(Debug, Clone)]
pub(crate) struct DirectReader {
    path: PathBuf,
}

fn uuid(bytes: Vec<u8>) -> rusqlite::Result<Uuid> {
    Uuid::from_slice(&bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e)))
}

impl DirectReader {
    pub(crate) fn new(path: &Path) -> DirectReader {
        DirectReader { path: path.to_owned() }
    }

    fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> crate::Result<T> {
        CONNECTIONS.with(|cell| {
            let mut map = cell.borrow_mut();
            if !map.contains_key(&self.path) {
                if map.len() >= PER_THREAD {
                    map.clear();
                }
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&self.path, flags)?;
                conn.busy_timeout(Duration::from_secs(10))?;
                // Pages read straight from the OS's page cache through a mapping instead of
                // copied into this connection's own cache by a read() each (at a million orders
                // the copies were a fifth of a random order read). Address space only: nothing
                // is read before it is touched.
                conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
                map.insert(self.path.clone(), conn);
            }
            let conn = map.get(&self.path).expect("inserted above");
            Ok(f(conn)?)
        })
    }

    /// One order by id, as [`crate::Store::order`] returns it.
    pub(crate) fn order(&self, id: Uuid) -> crate::Result<Option<OrderRow>> {
        self.with_connection(|c| {
            let mut st = c.prepare_cached(ORDER_SQL)?;
            st.query_row([id.as_bytes().as_slice()], |r| {
                Ok(OrderRow {
                    id: uuid(r.get(0)?)?,
                    owner_id: uuid(r.get(1)?)?,
                    subject_id: uuid(r.get(2)?)?,
                    kind: r.get(3)?,
                    province: r.get(4)?,
                    state: r.get(5)?,
                    state_data: r.get(6)?,
                    data: r.get(7)?,
                    findings: r.get(8)?,
                    review_findings: r.get(9)?,
                    reviewer_id: r.get::<_, Option<Vec<u8>>>(10)?.map(uuid).transpose()?,
                    open: r.get(11)?,
                    version: r.get(12)?,
                    created_at: r.get(13)?,
                    updated_at: r.get(14)?,
                    submitted_at: r.get(15)?,
                    stage_since: r.get(16)?,
                })
            })
            .optional()
        })
    }

    /// An order's latest submission to the regulator, as [`crate::Store::latest_regulator_link`]
    /// returns it (read with every filed order's view).
    pub(crate) fn latest_regulator_link(&self, order_id: Uuid) -> crate::Result<Option<RegulatorLinkRow>> {
        self.with_connection(|c| {
            let mut st = c.prepare_cached(LATEST_FOR_ORDER)?;
            st.query_row([order_id.as_bytes().as_slice()], |r| {
                Ok(RegulatorLinkRow {
                    submission_id: r.get(0)?,
                    order_id: uuid(r.get(1)?)?,
                    applied_seq: r.get(2)?,
                    filing: r.get(3)?,
                    created_at: r.get(4)?,
                })
            })
            .optional()
        })
    }

    /// The rows of `sql` with its `$N` parameters bound to `values[N - 1]`, each read by `row`.
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        values: &[&dyn ToSql],
        mut row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> crate::Result<Vec<T>> {
        self.with_connection(|c| {
            let mut st = c.prepare_cached(sql)?;
            // SQLite numbers parameters by first appearance; `$7` may be the ninth.
            for i in 1..=st.parameter_count() {
                let name = st.parameter_name(i).unwrap_or("?");
                let value = name
                    .strip_prefix('$')
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| values.get(n.checked_sub(1)?))
                    .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?;
                st.raw_bind_parameter(i, value)?;
            }
            let mut rows = st.raw_query();
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(row(r)?);
            }
            Ok(out)
        })
    }

    /// A page of the review queue, as [`crate::Store::review_queue`] returns it.
    pub(crate) fn review_queue(&self, sql: &str, values: &[&dyn ToSql]) -> crate::Result<Vec<QueueRow>> {
        self.rows(sql, values, |r| {
            Ok(QueueRow {
                id: uuid(r.get(0)?)?,
                version: r.get(1)?,
                kind: r.get(2)?,
                province: r.get(3)?,
                state: r.get(4)?,
                subject_id: uuid(r.get(5)?)?,
                subject_name: r.get(6)?,
                submitted_at: r.get(7)?,
                stage_since: r.get(8)?,
                reviewer_id: r.get::<_, Option<Vec<u8>>>(9)?.map(uuid).transpose()?,
                flagged: r.get(10)?,
            })
        })
    }
}
