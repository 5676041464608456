//! Reading the end of the log without folding it: the recent events a
//! console shows beside the fold.

use super::{Store, StoreError, digest};
use crate::domain::Event;

impl Store {
    /// Give back the page cache a load filled (the checkpoint's payload,
    /// the tail), for a reader that now only follows the log's end.
    pub fn release_memory(&self) {
        let _ = self.conn.execute_batch("PRAGMA shrink_memory");
    }

    /// The last `n` events whose kind is not `skip`, oldest first.
    pub fn recent_events(&self, n: usize, skip: &str) -> Result<Vec<Event>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM events WHERE kind != ?1 ORDER BY seq DESC LIMIT ?2",
                digest::COLUMNS
            ))
            .map_err(&err)?;
        let mut rows = stmt
            .query(rusqlite::params![skip, n as i64])
            .map_err(&err)?;
        let mut out = Vec::new();
        let mut json = String::new();
        while let Some(row) = rows.next().map_err(&err)? {
            out.push(self.decode_event(row, &mut json)?);
        }
        out.reverse();
        Ok(out)
    }

    /// Each task's last event of `kind`, in seq order.
    pub fn last_of_kind_per_task(&self, kind: &str) -> Result<Vec<Event>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM events WHERE seq IN
                    (SELECT MAX(seq) FROM events WHERE kind = ?1 AND task IS NOT NULL GROUP BY task)
                 ORDER BY seq",
                digest::COLUMNS
            ))
            .map_err(&err)?;
        let mut rows = stmt.query([kind]).map_err(&err)?;
        let mut out = Vec::new();
        let mut json = String::new();
        while let Some(row) = rows.next().map_err(&err)? {
            out.push(self.decode_event(row, &mut json)?);
        }
        Ok(out)
    }
}
