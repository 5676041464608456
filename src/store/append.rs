//! Writing the log: a batch of events in one transaction, folded into the
//! store's state, the tables written from the fold in the same transaction.

use super::{Fold, Store, StoreError, digest, projections};
use crate::domain::{Event, EventKind};
use rusqlite::{TransactionBehavior, params};

impl Store {
    /// Append a batch in one transaction, updating the projections in the
    /// same transaction. Returns the seq of the last row (0 if the batch is
    /// empty). On any error nothing of the batch is kept.
    pub fn append(&mut self, events: &[Event]) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let mut fold = match self.fold.take() {
            Some(f) => f,
            None => {
                self.resume()?;
                self.fold.take().expect("resume keeps the fold")
            }
        };
        let mut folded = false;
        let res = self.append_folding(events, &mut fold, &mut folded);
        if res.is_ok() || !folded {
            // A failure after folding leaves the fold holding events the log
            // does not: it is dropped, and made again from the log at the
            // next append. (A full disk fails before: on the event rows.)
            self.fold = Some(fold);
        }
        if res.is_ok() {
            self.checkpoint_if_due();
        }
        res
    }

    fn append_folding(
        &mut self,
        events: &[Event],
        fold: &mut Fold,
        folded: &mut bool,
    ) -> Result<u64, StoreError> {
        let Store {
            conn, path, buf, ..
        } = self;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        let mut last = 0;
        // The running digest goes on with these rows once they commit.
        let mut hasher = fold.hasher.clone();
        for (index, ev) in events.iter().enumerate() {
            last = insert(&tx, path, buf, index, ev, &mut hasher)?;
        }
        // The fold's count of events is the seq of the last one it holds.
        let first = last - events.len() as i64 + 1;
        if fold.seq() + 1 != first as u64 {
            return Err(StoreError::Corrupt {
                path: path.clone(),
                seq: first,
                detail: format!(
                    "the log holds {} events before it, the fold {}",
                    first - 1,
                    fold.seq()
                ),
            });
        }
        *folded = true;
        for ev in events {
            fold.apply(ev);
        }
        let touched = fold.state.take_touched();
        projections::write(&tx, &fold.state, &touched).map_err(|e| StoreError::Project {
            path: path.clone(),
            what: e.what,
            source: e.source,
        })?;
        tx.commit().map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        fold.hasher = hasher;
        Ok(last as u64)
    }

    /// Cap the database at its current size (SQLite then answers a write
    /// that needs a new page with "database or disk is full", as on a full
    /// disk), or lift the cap.
    #[cfg(test)]
    pub(crate) fn cap_size(&self, capped: bool) {
        let pages: i64 = self
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        let max = if capped { pages } else { 1 << 30 };
        let _: i64 = self
            .conn
            .query_row(&format!("PRAGMA max_page_count = {max}"), [], |r| r.get(0))
            .unwrap();
    }
}

/// What the log could store but not read back.
fn validate(ev: &Event) -> Result<(), String> {
    if let EventKind::ConcernRaised { confidence, .. } = &ev.kind
        && !confidence.is_finite()
    {
        // serde_json writes NaN and infinities as `null`, which then fails
        // to decode: the log would not replay.
        return Err(format!("confidence {confidence} is not a finite number"));
    }
    Ok(())
}

/// The `data` column: the event kind's JSON without its `kind` tag (which
/// has its own column). Serde writes an internally tagged enum's tag first,
/// so the tag is cut off the front of the JSON text in place.
fn encode_data<'b>(buf: &'b mut Vec<u8>, kind: &EventKind) -> &'b str {
    buf.clear();
    serde_json::to_writer(&mut *buf, kind).expect("event kinds serialize to JSON");
    let name = kind.name();
    // `{"kind":"<name>"` is 10 bytes plus the name.
    let tag_len = 10 + name.len();
    let tagged = buf.len() > tag_len
        && buf.starts_with(b"{\"kind\":\"")
        && &buf[9..9 + name.len()] == name.as_bytes()
        && buf[9 + name.len()] == b'"';
    if tagged && buf[tag_len] == b'}' {
        return "{}";
    }
    if tagged && buf[tag_len] == b',' {
        buf[tag_len] = b'{';
        return std::str::from_utf8(&buf[tag_len..]).expect("serde_json writes UTF-8");
    }
    // Not reached with serde's layout; kept correct regardless.
    let mut v = serde_json::to_value(kind).expect("event kinds serialize to JSON");
    if let Some(o) = v.as_object_mut() {
        o.remove("kind");
    }
    buf.clear();
    serde_json::to_writer(&mut *buf, &v).expect("JSON values serialize");
    std::str::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// One event's row, hashed into the running digest `hasher`; its seq.
fn insert(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    buf: &mut Vec<u8>,
    index: usize,
    ev: &Event,
    hasher: &mut sha2::Sha256,
) -> Result<i64, StoreError> {
    let kind = ev.kind.name();
    if let Err(reason) = validate(ev) {
        // The caller's `tx` drops on this error and rolls back.
        return Err(StoreError::Invalid {
            path: path.to_path_buf(),
            index,
            kind,
            reason,
        });
    }
    let data = encode_data(buf, &ev.kind);
    let append_err = |source| StoreError::Append {
        path: path.to_path_buf(),
        index,
        kind,
        source,
    };
    let seq = tx
        .prepare_cached(
            "INSERT INTO events (at, actor, agent, task, convoy, model, session, kind, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut st| {
            st.insert(params![
                ev.at,
                ev.actor.as_str(),
                ev.agent.as_ref().map(|a| a.as_str()),
                ev.task.as_ref().map(|t| t.as_str()),
                ev.convoy.as_ref().map(|c| c.as_str()),
                ev.model.as_deref(),
                ev.session.as_ref().map(|s| s.as_str()),
                kind,
                data,
            ])
        })
        .map_err(append_err)?;
    digest::hash_row(
        hasher,
        seq,
        ev.at,
        [
            Some(ev.actor.as_str().as_bytes()),
            ev.agent.as_ref().map(|a| a.as_str().as_bytes()),
            ev.task.as_ref().map(|t| t.as_str().as_bytes()),
            ev.convoy.as_ref().map(|c| c.as_str().as_bytes()),
            ev.model.as_deref().map(str::as_bytes),
            ev.session.as_ref().map(|s| s.as_str().as_bytes()),
            Some(kind.as_bytes()),
            Some(data.as_bytes()),
        ],
    );
    Ok(seq)
}
