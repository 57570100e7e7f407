//! The order read cache of the SQLite backend.
//!
//! Reading an order is the hottest request, and on SQLite each query is handed to a worker
//! thread and back; the hand-off, not the query, dominates (see README, Performance). SQLite is
//! single-instance by design, so all writes pass through this process and an exact cache is
//! possible: writes invalidate the rows they touch, once when they write and again when they
//! commit, and a reader only fills the cache if no commit happened while it was reading (the
//! epoch check) — so a row read before a commit can never be cached after it.
//!
//! PostgreSQL deployments run several processes; there is no cache there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
}

#[derive(Debug, Default)]
struct Inner {
    epoch: u64,
    rows: HashMap<Uuid, OrderRow>,
}

impl OrderCache {
    /// A cache whose misses are read directly from the database file at `path`.
    pub(crate) fn reading(path: &std::path::Path) -> OrderCache {
        OrderCache { reader: Some(crate::direct::DirectReader::new(path)), ..OrderCache::default() }
    }

    pub(crate) fn reader(&self) -> Option<&crate::direct::DirectReader> {
        self.reader.as_ref()
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

/// The orders a transaction wrote, to invalidate again when it commits.
#[derive(Debug)]
pub struct TxCache {
    cache: Arc<OrderCache>,
    touched: Vec<Uuid>,
}

impl TxCache {
    pub(crate) fn new(cache: &Arc<OrderCache>) -> TxCache {
        TxCache { cache: cache.clone(), touched: Vec::new() }
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
