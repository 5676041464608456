//! Reading a log without writing: a log no writer holds is opened
//! immutable (a plain read-only open of a WAL database would still leave
//! `-wal` and `-shm` files behind), and reopened shared once a writer
//! appears.

use super::{BUSY_TIMEOUT, CACHE_KIB, Store, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// The write-ahead file SQLite keeps beside `db` while a writer has it open.
pub(super) fn wal_file(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// A read-only connection; `frozen`: immutable (no locks, no files made).
pub(super) fn readonly_conn(path: &Path, frozen: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if frozen {
        use std::os::unix::ffi::OsStrExt;
        let mut uri = String::from("file:");
        for &b in path.as_os_str().as_bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                uri.push(b as char);
            } else {
                uri.push_str(&format!("%{b:02X}"));
            }
        }
        uri.push_str("?immutable=1");
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?
    } else {
        Connection::open_with_flags(path, flags)?
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Store {
    /// A read-only view opened while no writer held the log reads the file
    /// as it was; once a writer appears (its `-wal` file exists), reopen
    /// shared to see what it appends. Call before each look.
    pub fn follow_writers(&mut self) -> Result<(), StoreError> {
        if self.frozen && wal_file(&self.path).exists() {
            self.conn = readonly_conn(&self.path, false).map_err(|source| StoreError::Open {
                path: self.path.clone(),
                source,
            })?;
            self.frozen = false;
        }
        Ok(())
    }
}
