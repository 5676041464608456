//! The event log: SQLite (WAL) under `.shiftboss/state.db`, the source of
//! truth for the swarm, with projections kept in the same transaction as
//! each append. See `docs/event-log.md` for the schema as users see it.
//!
//! - [`Store::append`] writes a batch of events in one transaction, folds
//!   each into the store's [`SwarmState`] (the one fold of the log) and
//!   writes the rows of what the batch touched from that state; an error
//!   anywhere rolls the whole batch back, so the log never holds half a batch.
//! - [`Store::load`] / [`Store::resume`] rebuild [`SwarmState`] at start from
//!   the newest checkpoint and the events after it (`checkpoint.rs`);
//!   [`Store::replay`] folds the whole log, the definition of truth.
//! - [`Store::open_readonly`] serves `shiftboss status` while a swarm runs.
//!
//! Durability: WAL with `synchronous=NORMAL`. A committed batch survives the
//! process dying at any point (`kill -9` included); after an OS crash or power
//! loss the last batches committed before it may be lost, never half of one.

mod append;
mod check;
mod checkpoint;
mod digest;
mod fold;
pub use checkpoint::FORMAT as CHECKPOINT_FORMAT;
pub use fold::{Fold, Loaded};
mod projections;
mod read;
mod readonly;
mod recent;
use readonly::{readonly_conn, wal_file};
mod schema;
mod tables;

#[cfg(test)]
mod tests;

pub use schema::SCHEMA_VERSION;
#[cfg(test)]
use tables::parse_status;
pub use tables::{AgentRow, TaskRow};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer or reader waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite page cache per connection, as `PRAGMA cache_size` (negative:
/// KiB). The default 2 MiB makes appends to a log of a few hundred thousand
/// events re-read index pages from the OS on every batch.
const CACHE_KIB: i64 = -32 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("event log {}: no such file", path.display())]
    Missing { path: PathBuf },
    #[error("event log {}: directory {} does not exist", path.display(), dir.display())]
    NoDirectory { path: PathBuf, dir: PathBuf },
    #[error("event log {}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "event log {}: schema version {found} is newer than this shiftboss knows ({known}); use a newer shiftboss",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error(
        "event log {}: schema version {found} is older than this shiftboss's ({known}) and a read-only open cannot migrate it; open it once for writing (e.g. start the swarm)",
        path.display()
    )]
    OlderSchema {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("event log {}: not a shiftboss event log (schema version 0)", path.display())]
    NotAnEventLog { path: PathBuf },
    #[error("event log {}: migration {version} failed: {source}", path.display())]
    Migration {
        path: PathBuf,
        version: u32,
        source: rusqlite::Error,
    },
    #[error("event log {}: event {index} of the batch ({kind}) is invalid: {reason}; nothing appended", path.display())]
    Invalid {
        path: PathBuf,
        index: usize,
        kind: &'static str,
        reason: String,
    },
    #[error("event log {}: appending event {index} of the batch ({kind}) failed: {source}; nothing appended", path.display())]
    Append {
        path: PathBuf,
        index: usize,
        kind: &'static str,
        source: rusqlite::Error,
    },
    #[error("event log {}: writing the {what} failed: {source}; nothing appended", path.display())]
    Project {
        path: PathBuf,
        what: String,
        source: rusqlite::Error,
    },
    #[error("event log {}: row seq {seq} cannot be read back: {detail}", path.display())]
    Corrupt {
        path: PathBuf,
        seq: i64,
        detail: String,
    },
    #[error("event log {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// The SQLite event log and its projections.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Reused JSON buffer for appends.
    buf: Vec<u8>,
    /// The fold of the whole log, which the tables are written from; made
    /// by [`Store::resume`] or at the first append, dropped (and made again)
    /// when an append fails.
    fold: Option<Fold>,
    /// Events between checkpoints, and the last one's seq and time.
    checkpoint_every: u64,
    checkpoint_seq: u64,
    checkpoint_wall: std::time::Instant,
    /// Read-only, opened immutable while no writer held the log.
    frozen: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open the log for writing, creating it if missing (its directory must
    /// exist), and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            return Err(StoreError::NoDirectory {
                dir: dir.to_path_buf(),
                path,
            });
        }
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(open_err)?;
        debug_assert!(mode.eq_ignore_ascii_case("wal"), "journal_mode {mode}");
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "cache_size", CACHE_KIB)
            .map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn, &path)?;
        Ok(Store {
            conn,
            path,
            buf: Vec::with_capacity(1024),
            fold: None,
            frozen: false,
            checkpoint_every: checkpoint::every_from_env(),
            checkpoint_seq: 0,
            checkpoint_wall: std::time::Instant::now(),
        })
    }

    /// Open an existing log for reading only (`shiftboss status` while a
    /// swarm runs). Fails, naming the path, if it is missing, is not a
    /// shiftboss log, or has a schema other than this code's.
    pub fn open_readonly(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        // No `-wal` beside the log: no writer has it open and all of it is
        // in the file. A plain read-only open would still leave `-wal` and
        // `-shm` files behind; opened immutable, SQLite writes nothing.
        let frozen = !wal_file(&path).exists();
        let conn = readonly_conn(&path, frozen).map_err(open_err)?;
        let found = user_version(&conn).map_err(open_err)?;
        if found == 0 {
            return Err(StoreError::NotAnEventLog { path });
        }
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found < schema::READABLE_FROM {
            return Err(StoreError::OlderSchema {
                path,
                found,
                known: SCHEMA_VERSION,
            });
        }
        Ok(Store {
            conn,
            path,
            buf: Vec::new(),
            fold: None,
            frozen,
            checkpoint_every: checkpoint::every_from_env(),
            checkpoint_seq: 0,
            checkpoint_wall: std::time::Instant::now(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql_err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
            .map_err(self.sql_err())
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut st| st.execute([key, value]))
            .map(|_| ())
            .map_err(self.sql_err())
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Run every migration the database has not seen, each in its own
/// transaction with its `user_version` bump.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as u32 + 1;
        let err = |source| StoreError::Migration {
            path: path.to_path_buf(),
            version,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Another process may have migrated while we waited for the lock.
        if user_version(&tx).map_err(err)? >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}
