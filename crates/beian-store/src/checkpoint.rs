//! SQLite's WAL checkpoints, moved off the write path.
//!
//! By default the connection whose commit pushes the WAL past 1,000 pages copies them back into
//! the database file and syncs it, inside that commit. On SQLite every write transaction holds
//! the process's write turn (`cache.rs`), so each such checkpoint stalled every writer queued
//! behind it: an order's creation writes about twenty pages, so one creation in fifty paid a
//! checkpoint while the rest waited. Here a thread of the store checkpoints ten times a second
//! on a connection of its own, `PASSIVE` (it never waits for a writer or a reader, and neither
//! waits for it). A checkpoint that runs beside the writers never quite catches up with them,
//! and SQLite starts the WAL over only once every frame is back in the file, so when the WAL
//! has grown past [`RESTART_PAGES`] the thread catches up the last frames inside the write
//! turn (a few milliseconds), and the next writer starts the WAL over. The service's
//! connections checkpoint themselves only past [`WRITER_CHECKPOINT_PAGES`], a safety net
//! should this thread fail.
//!
//! It must never write anything but checkpoints, and never hold a transaction open.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Mutex;

/// How often the thread checkpoints.
const INTERVAL: Duration = Duration::from_millis(100);

/// The WAL's length, in pages, past which the thread catches up in the write turn so that the
/// WAL starts over (about 16 MB).
const RESTART_PAGES: i64 = 4_000;

/// Checkpoints tried at most in one catch-up.
const CATCH_UP_PASSES: usize = 5;

/// The service's connections' own automatic checkpoint threshold, in pages (`wal_autocheckpoint`;
/// SQLite's default is 1,000): about 400 MB of WAL, reached only if this thread falls behind.
pub(crate) const WRITER_CHECKPOINT_PAGES: &str = "100000";

/// The checkpointing thread of one database file; it stops when this is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already created, in WAL mode), whose
    /// writers take `turn`.
    pub(crate) fn start(path: &Path, turn: Arc<Mutex<()>>) -> std::io::Result<Checkpointer> {
        Self::start_with(path, turn, RESTART_PAGES)
    }

    /// As [`Checkpointer::start`], starting the WAL over past `restart_pages`.
    fn start_with(path: &Path, turn: Arc<Mutex<()>>, restart_pages: i64) -> std::io::Result<Checkpointer> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&path, &turn, restart_pages, &flag))?;
        Ok(Checkpointer { stop })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run(path: &PathBuf, turn: &Mutex<()>, restart_pages: i64, stop: &AtomicBool) {
    let mut conn: Option<Connection> = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(INTERVAL);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if conn.is_none() {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            match Connection::open_with_flags(path, flags) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint connection failed to open; retrying");
                    continue;
                }
            }
        }
        let Some(c) = conn.as_ref() else { continue };
        let caught_up = match checkpoint(c) {
            Ok((pages, _)) if pages >= restart_pages => {
                // This thread is outside any runtime, where a blocking wait is allowed.
                let _turn = turn.blocking_lock();
                catch_up(c)
            }
            other => other.map(|_| ()),
        };
        if let Err(e) = caught_up {
            tracing::warn!(error = %e, "checkpoint failed; reopening its connection");
            conn = None;
        }
    }
}

/// Checkpoints until every frame is in the database file, while no write transaction of this
/// process can add one (a pass beside the writers may report the WAL done, but writers have
/// added frames since, and a writer starts the WAL over only if it begins on a WAL with every
/// frame copied). A frame that a reader begun before the last commit may still need is not
/// copied, so a pass can fall short; readers last microseconds, and none begins on a newer
/// frame meanwhile. A write outside a transaction (rare) may still add one.
fn catch_up(c: &Connection) -> rusqlite::Result<()> {
    for _ in 0..CATCH_UP_PASSES {
        let (pages, done) = checkpoint(c)?;
        if done >= pages {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

/// One `PASSIVE` checkpoint: the pages in the WAL and those of them now in the database file.
fn checkpoint(c: &Connection) -> rusqlite::Result<(i64, i64)> {
    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages written to the WAL reach the database file without any writer checkpointing:
    /// the writer's own threshold is far above what it writes, so only the thread can move them.
    #[test]
    fn the_thread_moves_the_wal_into_the_database_file() {
        let dir = std::env::temp_dir().join(format!("beian-checkpoint-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES).unwrap();
        writer.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        // The table's creation is in the WAL; nothing else writes the file.
        let before = std::fs::metadata(&path).unwrap().len();
        {
            let _checkpointer = Checkpointer::start(&path, Arc::default()).unwrap();
            writer.execute_batch("BEGIN").unwrap();
            for _ in 0..2_000 {
                writer.execute("INSERT INTO t VALUES (randomblob(2000))", []).unwrap();
            }
            writer.execute_batch("COMMIT").unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::fs::metadata(&path).unwrap().len() < before + 4_000_000 {
                assert!(std::time::Instant::now() < deadline, "no checkpoint reached the database file");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        drop(writer);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Under writes that never stop, the WAL starts over again and again instead of growing
    /// with everything written (the writers' own checkpoint threshold is far above it all).
    #[test]
    fn the_wal_starts_over_under_continuous_writes() {
        let dir = std::env::temp_dir().join(format!("beian-checkpoint-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let wal = dir.join("t.db-wal");
        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES).unwrap();
        writer.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        let turn: Arc<Mutex<()>> = Arc::default();
        let _checkpointer = Checkpointer::start_with(&path, turn.clone(), 200).unwrap();
        let mut written: u64 = 0;
        loop {
            {
                let _turn = turn.blocking_lock();
                writer.execute("INSERT INTO t VALUES (randomblob(20000))", []).unwrap();
            }
            written += 20_000;
            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            if written >= 8_000_000 && size > 0 && written >= 4 * size {
                break;
            }
            assert!(written < 60_000_000, "the WAL grew to {size} bytes with {written} written");
            if written.is_multiple_of(1_000_000) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        drop(writer);
        std::fs::remove_dir_all(&dir).ok();
    }
}
