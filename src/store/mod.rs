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

mod check;
mod checkpoint;
mod digest;
mod fold;
pub use checkpoint::FORMAT as CHECKPOINT_FORMAT;
pub use fold::{Fold, Loaded};
mod projections;
mod readonly;
mod recent;
use readonly::{readonly_conn, wal_file};
mod schema;

#[cfg(test)]
mod tests;

pub use schema::SCHEMA_VERSION;

use crate::domain::{
    Actor, AgentId, AgentPhase, ConvoyId, Event, EventKind, Millis, Money, PauseId, SessionId,
    TaskId, TaskStatus, Usage,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
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

/// One row of the `tasks` projection.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    pub id: TaskId,
    pub title: String,
    pub convoy: ConvoyId,
    pub status: TaskStatus,
    pub priority: i32,
    pub agent: Option<AgentId>,
    pub session: Option<SessionId>,
    pub branch: Option<String>,
    pub attempts: u32,
    pub gate_failures: u32,
    pub cost: Money,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub merged_commit: Option<String>,
    pub reason: Option<String>,
    pub queued_seq: Option<u64>,
    pub waiting_on: Option<PauseId>,
    /// Seq of the `task_added` event that first added the task.
    pub added_seq: u64,
    /// Time of the last event that changed this row.
    pub updated_at: Millis,
}

/// One row of the `agents` projection.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRow {
    pub id: AgentId,
    pub model: String,
    pub runtime: String,
    pub phase: AgentPhase,
    pub held: bool,
    pub task: Option<TaskId>,
    pub session: Option<SessionId>,
    pub sessions: u32,
    pub cost: Money,
    pub usage: Usage,
    pub tasks_merged: u32,
    pub tasks_failed: u32,
    pub rework: u32,
    pub alerts: u32,
    pub last_alert: Option<String>,
    pub last_alert_at: Option<Millis>,
    /// Seq of the `agent_registered` event that last (re)registered it.
    pub registered_seq: u64,
    pub updated_at: Millis,
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
        if found < SCHEMA_VERSION {
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
            let kind = ev.kind.name();
            if let Err(reason) = validate(ev) {
                // `tx` drops here and rolls back.
                return Err(StoreError::Invalid {
                    path: path.clone(),
                    index,
                    kind,
                    reason,
                });
            }
            let data = encode_data(buf, &ev.kind);
            let append_err = |source| StoreError::Append {
                path: path.clone(),
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
                &mut hasher,
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
            last = seq;
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

    /// Every event in seq order.
    pub fn load_events(&self) -> Result<Vec<Event>, StoreError> {
        self.events_after(0)
    }

    /// The events with seq greater than `seq`, in seq order (for following a
    /// running swarm's log).
    pub fn events_after(&self, seq: u64) -> Result<Vec<Event>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, at, actor, agent, task, convoy, model, session, kind, data
                 FROM events WHERE seq > ?1 ORDER BY seq",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([seq]).map_err(&err)?;
        let mut out = Vec::new();
        let mut json = String::new();
        while let Some(row) = rows.next().map_err(&err)? {
            out.push(self.decode_event(row, &mut json)?);
        }
        Ok(out)
    }

    /// Tasks added with seq greater than `seq` (by `shiftboss task add`
    /// while a swarm runs), with the highest seq seen.
    pub fn tasks_added_after(&self, seq: u64) -> Result<(Vec<Event>, u64), StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, at, actor, agent, task, convoy, model, session, kind, data
                 FROM events WHERE seq > ?1 AND kind = 'task_added' ORDER BY seq",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([seq]).map_err(&err)?;
        let mut out = Vec::new();
        let mut json = String::new();
        let mut last = seq;
        while let Some(row) = rows.next().map_err(&err)? {
            last = last.max(row.get::<_, i64>(0).map_err(self.sql_err())? as u64);
            out.push(self.decode_event(row, &mut json)?);
        }
        Ok((out, last))
    }

    fn decode_event(&self, row: &Row<'_>, json: &mut String) -> Result<Event, StoreError> {
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

    /// The seq of the last event, 0 for an empty log.
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
            .map_err(self.sql_err())
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

    /// The `tasks` projection in the order tasks were added.
    pub fn task_rows(&self) -> Result<Vec<TaskRow>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, title, convoy, status, priority, agent, session, branch, attempts,
                    gate_failures, cost_pico, started_at, finished_at, merged_commit, reason,
                    queued_seq, waiting_on, added_seq, updated_at
                 FROM tasks ORDER BY added_seq",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                let status: String = r.get(3)?;
                Ok(TaskRow {
                    id: TaskId(r.get(0)?),
                    title: r.get(1)?,
                    convoy: ConvoyId(r.get(2)?),
                    status: parse_status(&status).ok_or_else(|| bad_word(3, &status))?,
                    priority: r.get(4)?,
                    agent: r.get::<_, Option<String>>(5)?.map(AgentId),
                    session: r.get::<_, Option<String>>(6)?.map(SessionId),
                    branch: r.get(7)?,
                    attempts: r.get(8)?,
                    gate_failures: r.get(9)?,
                    cost: Money(r.get(10)?),
                    started_at: r.get(11)?,
                    finished_at: r.get(12)?,
                    merged_commit: r.get(13)?,
                    reason: r.get(14)?,
                    queued_seq: r.get(15)?,
                    waiting_on: r.get::<_, Option<String>>(16)?.map(PauseId),
                    added_seq: r.get(17)?,
                    updated_at: r.get(18)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// The `agents` projection in id order.
    pub fn agent_rows(&self) -> Result<Vec<AgentRow>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, model, runtime, phase, held, task, session, sessions, cost_pico,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                    tasks_merged, tasks_failed, rework, alerts, last_alert, last_alert_at,
                    registered_seq, updated_at
                 FROM agents ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                let phase: String = r.get(3)?;
                Ok(AgentRow {
                    id: AgentId(r.get(0)?),
                    model: r.get(1)?,
                    runtime: r.get(2)?,
                    phase: parse_phase(&phase).ok_or_else(|| bad_word(3, &phase))?,
                    held: r.get(4)?,
                    task: r.get::<_, Option<String>>(5)?.map(TaskId),
                    session: r.get::<_, Option<String>>(6)?.map(SessionId),
                    sessions: r.get(7)?,
                    cost: Money(r.get(8)?),
                    usage: Usage {
                        input: r.get(9)?,
                        output: r.get(10)?,
                        cache_read: r.get(11)?,
                        cache_write: r.get(12)?,
                    },
                    tasks_merged: r.get(13)?,
                    tasks_failed: r.get(14)?,
                    rework: r.get(15)?,
                    alerts: r.get(16)?,
                    last_alert: r.get(17)?,
                    last_alert_at: r.get(18)?,
                    registered_seq: r.get(19)?,
                    updated_at: r.get(20)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Task counts for every status word, in [`TaskStatus::ALL`] order
    /// (zeros included).
    pub fn counts_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, COUNT(*) FROM tasks GROUP BY status")
            .map_err(&err)?;
        let found = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        let mut out: Vec<(String, u64)> = TaskStatus::ALL
            .iter()
            .map(|s| {
                let n = found
                    .iter()
                    .find(|(w, _)| w == s.as_str())
                    .map_or(0, |(_, n)| *n);
                (s.as_str().to_string(), n)
            })
            .collect();
        // A word this code does not know (a newer writer): show it, don't hide it.
        out.extend(found.into_iter().filter(|(w, _)| parse_status(w).is_none()));
        Ok(out)
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

fn parse_status(s: &str) -> Option<TaskStatus> {
    TaskStatus::ALL.into_iter().find(|x| x.as_str() == s)
}

fn parse_phase(s: &str) -> Option<AgentPhase> {
    [
        AgentPhase::Idle,
        AgentPhase::Working,
        AgentPhase::Waiting,
        AgentPhase::Retired,
    ]
    .into_iter()
    .find(|x| x.as_str() == s)
}

fn bad_word(col: usize, word: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("unknown word {word:?}").into(),
    )
}
