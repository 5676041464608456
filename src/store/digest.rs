//! A content digest of the event log, for comparing two logs (a simulation
//! run twice with one seed, a backup against its source).
//!
//! SHA-256 over every row of `events` in `seq` order. Each row contributes
//! its ten columns in this order: `seq`, `at`, `actor`, `agent`, `task`,
//! `convoy`, `model`, `session`, `kind`, `data`. Integers are 8 bytes
//! big-endian (two's complement); a text column is one byte `0` for NULL,
//! or one byte `1`, its UTF-8 length as 8 bytes big-endian, then its bytes.
//! The encoding is unambiguous, so two logs have the same digest exactly when
//! their rows are equal.
//!
//! The digest is also kept as a running value: the SHA-256 state after a
//! row is saved with each checkpoint and carried forward as rows are
//! appended, so nothing rehashes the whole log to tell its digest.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use sha2::digest::common::hazmat::SerializableState;
use sha2::{Digest, Sha256};

/// The columns a row is hashed by, in order.
pub(super) const COLUMNS: &str = "seq, at, actor, agent, task, convoy, model, session, kind, data";

/// Hash one row given its column values (the text columns as bytes).
pub(super) fn hash_row(h: &mut Sha256, seq: i64, at: i64, texts: [Option<&[u8]>; 8]) {
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for t in texts {
        match t {
            None => h.update([0u8]),
            Some(bytes) => {
                h.update([1u8]);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
        }
    }
}

/// Hash a row selected with [`COLUMNS`] (first, in that order).
pub(super) fn hash_sql_row(h: &mut Sha256, row: &Row<'_>) -> rusqlite::Result<()> {
    let seq: i64 = row.get(0)?;
    let at: i64 = row.get(1)?;
    let mut texts: [Option<&[u8]>; 8] = [None; 8];
    for (i, slot) in texts.iter_mut().enumerate() {
        let col = i + 2;
        *slot = match row.get_ref(col)? {
            ValueRef::Null => None,
            v => Some(v.as_bytes().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(col, v.data_type(), Box::new(e))
            })?),
        };
    }
    hash_row(h, seq, at, texts);
    Ok(())
}

/// Hash the rows with `from < seq <= to` into `h`.
pub(super) fn hash_range(
    conn: &Connection,
    h: &mut Sha256,
    from: u64,
    to: u64,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"
    ))?;
    let mut rows = stmt.query([from as i64, to.min(i64::MAX as u64) as i64])?;
    while let Some(row) = rows.next()? {
        hash_sql_row(h, row)?;
    }
    Ok(())
}

/// The whole log's digest, recomputed from its first row.
pub(super) fn digest(conn: &Connection) -> rusqlite::Result<String> {
    let mut hasher = Sha256::new();
    hash_range(conn, &mut hasher, 0, u64::MAX)?;
    Ok(finish(&hasher))
}

/// The hex digest of what `h` has seen so far (`h` goes on unchanged).
pub(super) fn finish(h: &Sha256) -> String {
    hex::encode(h.clone().finalize())
}

/// The hash state as bytes, to be saved with a checkpoint.
pub(super) fn save(h: &Sha256) -> Vec<u8> {
    h.serialize().to_vec()
}

/// A hash state saved by [`save`]; `None` if the bytes are not one.
pub(super) fn restore(bytes: &[u8]) -> Option<Sha256> {
    let state = bytes.try_into().ok()?;
    Sha256::deserialize(state).ok()
}
