//! Reading the log back: events in seq order, decoded, and the state
//! they fold into.

use super::{Store, StoreError, checkpoint, digest};
use crate::domain::{Actor, AgentId, ConvoyId, Event, EventKind, SessionId, TaskId};
use rusqlite::Row;
use rusqlite::types::ValueRef;

impl Store {
    /// Every event in seq order.
    pub fn load_events(&self) -> Result<Vec<Event>, StoreError> {
        self.events_after(0)
    }

    /// The events with seq greater than `seq`, in seq order (for following a
    /// running swarm's log).
    pub fn events_after(&self, seq: u64) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        self.each_event_after(seq, |_, ev| out.push(ev))?;
        Ok(out)
    }

    /// Each event with seq greater than `seq`, with its seq, in seq order,
    /// streamed from the cursor: a reader that folds the log (the reviews,
    /// incidents, CVs) never holds it in memory.
    pub fn each_event_after(
        &self,
        seq: u64,
        mut f: impl FnMut(u64, Event),
    ) -> Result<(), StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, at, actor, agent, task, convoy, model, session, kind, data
                 FROM events WHERE seq > ?1 ORDER BY seq",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([seq]).map_err(&err)?;
        let mut json = String::new();
        while let Some(row) = rows.next().map_err(&err)? {
            let seq: i64 = row.get(0).map_err(&err)?;
            f(seq as u64, self.decode_event(row, &mut json)?);
        }
        Ok(())
    }

    pub(super) fn decode_event(
        &self,
        row: &Row<'_>,
        json: &mut String,
    ) -> Result<Event, StoreError> {
        let seq: i64 = row.get(0).map_err(self.sql_err())?;
        let corrupt = |detail: String| StoreError::Corrupt {
            path: self.path.clone(),
            seq,
            detail,
        };
        let text = |i: usize| -> Result<Option<String>, StoreError> {
            row.get::<_, Option<String>>(i)
                .map_err(|e| corrupt(e.to_string()))
        };
        let at: i64 = row.get(1).map_err(|e| corrupt(e.to_string()))?;
        let actor_s = text(2)?.unwrap_or_default();
        let actor =
            Actor::parse(&actor_s).ok_or_else(|| corrupt(format!("unknown actor {actor_s:?}")))?;
        let kind = match row.get_ref(8) {
            Ok(ValueRef::Text(k)) => k,
            _ => return Err(corrupt("kind is not text".into())),
        };
        let data = match row.get_ref(9) {
            Ok(ValueRef::Text(d)) => d,
            _ => return Err(corrupt("data is not text".into())),
        };
        decode_kind_json(json, kind, data).map_err(corrupt)?;
        let kind: EventKind = serde_json::from_str(json)
            .map_err(|e| corrupt(format!("data does not decode: {e}")))?;
        Ok(Event {
            at,
            actor,
            agent: text(3)?.map(AgentId),
            task: text(4)?.map(TaskId),
            convoy: text(5)?.map(ConvoyId),
            model: text(6)?,
            session: text(7)?.map(SessionId),
            kind,
        })
    }

    pub fn event_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .map_err(self.sql_err())
    }

    /// The seq of the last event, 0 for an empty log.
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
            .map_err(self.sql_err())
    }

    /// A fingerprint of the row numbered `seq` (SHA-256 of its time, kind
    /// and data), `None` when there is no such row: a cache that says how far
    /// it folded checks with this that the log it folded is still this one.
    pub fn row_mark(&self, seq: u64) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        use sha2::{Digest, Sha256};
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT CAST(at AS TEXT), kind, data FROM events WHERE seq = ?1",
                [seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.sql_err())?;
        Ok(row.map(|(at, kind, data)| {
            let mut h = Sha256::new();
            for part in [at, kind, data] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            h.finalize().iter().map(|b| format!("{b:02x}")).collect()
        }))
    }

    /// SHA-256 (hex) over the log's rows in seq order; equal for equal logs.
    /// The exact encoding is in `docs/event-log.md`. Kept as a running value
    /// (the writer's fold, else the newest good checkpoint's and the rows
    /// after it), never recomputed over the whole log.
    pub fn digest(&self) -> Result<String, StoreError> {
        let last = self.last_seq()?;
        if let Some(fold) = &self.fold
            && fold.seq() == last
        {
            return Ok(fold.digest());
        }
        let (found, _) = checkpoint::newest_good(self, false)?;
        let mut fold = found.unwrap_or_default();
        let from = fold.seq();
        digest::hash_range(&self.conn, &mut fold.hasher, from, u64::MAX).map_err(self.sql_err())?;
        Ok(fold.digest())
    }

    /// [`Store::digest`] recomputed from the log's first row.
    pub fn full_digest(&self) -> Result<String, StoreError> {
        digest::digest(&self.conn).map_err(self.sql_err())
    }
}

/// Put the `kind` tag back in front of `data` to decode an [`EventKind`].
fn decode_kind_json(out: &mut String, kind: &[u8], data: &[u8]) -> Result<(), String> {
    let kind = std::str::from_utf8(kind).map_err(|e| format!("kind is not UTF-8: {e}"))?;
    let data = std::str::from_utf8(data).map_err(|e| format!("data is not UTF-8: {e}"))?;
    if kind.contains(['"', '\\']) || kind.chars().any(char::is_control) {
        return Err(format!("bad kind {kind:?}"));
    }
    let body = data
        .trim_start()
        .strip_prefix('{')
        .ok_or_else(|| format!("data is not a JSON object: {data:?}"))?;
    out.clear();
    out.push_str("{\"kind\":\"");
    out.push_str(kind);
    out.push('"');
    if !body.trim_start().starts_with('}') {
        out.push(',');
    }
    out.push_str(body);
    Ok(())
}
