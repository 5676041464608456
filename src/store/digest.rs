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

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};

pub(super) fn digest(conn: &Connection) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, actor, agent, task, convoy, model, session, kind, data
         FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut hasher = Sha256::new();
    while let Some(row) = rows.next()? {
        for i in 0..2 {
            let n: i64 = row.get(i)?;
            hasher.update(n.to_be_bytes());
        }
        for i in 2..10 {
            match row.get_ref(i)? {
                ValueRef::Null => hasher.update([0u8]),
                v => {
                    let bytes = v.as_bytes().map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e))
                    })?;
                    hasher.update([1u8]);
                    hasher.update((bytes.len() as u64).to_be_bytes());
                    hasher.update(bytes);
                }
            }
        }
    }
    Ok(hex::encode(hasher.finalize()))
}
