//! The SQLite backend's state inside the process: the order read cache and the write turn.
//!
//! Reading an order is the hottest request, and on SQLite each query is handed to a worker
//! thread and back; the hand-off, not the query, dominates (see README, Performance). SQLite is
//! single-instance by design, so all writes pass through this process and an exact cache is
//! possible: writes invalidate the rows they touch, once when they write and again when they
//! commit, and a reader only fills the cache if no commit happened while it was reading (the
//! epoch check) — so a row read before a commit can never be cached after it.
//!
//! SQLite lets one transaction write at a time; another `BEGIN IMMEDIATE` meets a busy
//! database and SQLite's busy handler retries it after sleeps of 1, 2, 5, 10… up to 100 ms. With
//! 32 orders created at once those sleeps, not the work, were the latency (p50 37 ms at 840
//! creations a second, the commits themselves well under a millisecond). So a transaction first
//! waits for this process's write turn (a fair queue): the next writer starts the moment the
//! last one commits, and never sleeps. The same single-process premise makes this every writer
//! but a CLI command run beside the service, which still meets the busy timeout.
//!
//! PostgreSQL deployments run several processes; there is neither cache nor turn there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use uuid::Uuid;

use crate::OrderRow;

/// Rows cached at most. When full, each new row evicts one arbitrary row: clearing the whole
/// cache at once freed thousands of rows under the lock every fraction of a second under
/// random reads, and every reader waited (a p99 of tens of milliseconds at a million orders).
const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub struct OrderCache {
    inner: Mutex<Inner>,
    /// Reads a miss on the calling thread (none for a bulk loader's store).
    reader: Option<crate::direct::DirectReader>,
    /// Held by the one write transaction of this process.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Checkpoints the WAL while the store lives (none for a bulk loader's store).
    _checkpointer: Option<crate::checkpoint::Checkpointer>,
}

/// How long a transaction waits for its turn to write, as long as SQLite's own busy timeout.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Inner {
    epoch: u64,
    rows: HashMap<Uuid, OrderRow>,
}

impl OrderCache {
    /// A cache whose misses are read directly from the database file at `path`, whose WAL a
    /// thread of its own keeps short.
    pub(crate) fn reading(path: &std::path::Path) -> std::io::Result<OrderCache> {
        let writer = Arc::new(tokio::sync::Mutex::new(()));
        let checkpointer = crate::checkpoint::Checkpointer::start(path, writer.clone())?;
        Ok(OrderCache {
            reader: Some(crate::direct::DirectReader::new(path)),
            writer,
            _checkpointer: Some(checkpointer),
            ..OrderCache::default()
        })
    }

    pub(crate) fn reader(&self) -> Option<&crate::direct::DirectReader> {
        self.reader.as_ref()
    }

    /// Waits for this process's turn to write; the turn passes on when the guard drops.
    /// A transaction waiting past the busy timeout fails as a busy database would.
    async fn write_turn(&self) -> crate::Result<OwnedMutexGuard<()>> {
        tokio::time::timeout(WRITE_TURN_TIMEOUT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| crate::StoreError::Busy(WRITE_TURN_TIMEOUT.as_secs()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, id: Uuid) -> Option<OrderRow> {
        self.lock().rows.get(&id).cloned()
    }

    /// The current epoch, taken before a read that may fill the cache.
    pub(crate) fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Caches a row read at `epoch`, unless a commit happened since.
    pub(crate) fn fill(&self, epoch: u64, row: &OrderRow) {
        let row = row.clone();
        let evicted = {
            let mut g = self.lock();
            if g.epoch != epoch {
                return;
            }
            let evicted = if g.rows.len() >= CAPACITY {
                let victim = g.rows.keys().next().copied();
                victim.and_then(|k| g.rows.remove(&k))
            } else {
                None
            };
            g.rows.insert(row.id, row);
            evicted
        };
        // Freed after the lock is released.
        drop(evicted);
    }

    fn invalidate(&self, ids: &[Uuid]) {
        let mut g = self.lock();
        g.epoch += 1;
        for id in ids {
            g.rows.remove(id);
        }
    }
}

/// A write transaction's side of the process's state: its write turn, and the orders it
/// wrote, to invalidate again when it commits.
#[derive(Debug)]
pub struct TxCache {
    cache: Arc<OrderCache>,
    touched: Vec<Uuid>,
    _turn: OwnedMutexGuard<()>,
}

impl TxCache {
    /// Waits for the write turn; the transaction begins once this returns.
    pub(crate) async fn begin(cache: &Arc<OrderCache>) -> crate::Result<TxCache> {
        let turn = cache.write_turn().await?;
        Ok(TxCache { cache: cache.clone(), touched: Vec::new(), _turn: turn })
    }

    pub(crate) fn touch(&mut self, id: Uuid) {
        self.cache.invalidate(&[id]);
        self.touched.push(id);
    }

    pub(crate) fn committed(&self) {
        if !self.touched.is_empty() {
            self.cache.invalidate(&self.touched);
        }
    }
}
