//! Checkpoints of the fold, so opening a long log folds only its tail.
//!
//! A checkpoint is a row of the `checkpoints` table: the store's [`Fold`]
//! (the state, the resume facts) as JSON, the seq of the last event it
//! covers, the log digest's SHA-256 state after that event, a hash of the
//! last rows it covers ([`TAIL_ROWS`] of them, up to its seq) and a hash of
//! the payload. The writer makes one every [`EVERY`] events (or
//! `SHIFTBOSS_CHECKPOINT_EVERY`), and after [`EVERY_WALL`] if anything was
//! appended meanwhile, in a transaction of its own after an append; the two
//! newest are kept.
//!
//! A checkpoint is a cache, never the truth: one of another [`FORMAT`], one
//! whose rows hash differently from the log's, one whose payload does not
//! hash to what was written or does not decode is passed over with a
//! warning, and the fold is made from an older one or from the first event.
//! Bump [`FORMAT`] whenever what [`SwarmState::apply`] keeps changes.
//!
//! [`SwarmState::apply`]: crate::domain::SwarmState::apply

use super::fold::Fold;
use super::{Store, StoreError, digest};
use crate::domain::{ResumeFacts, SwarmState};
use rusqlite::{Connection, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The layout of the payload this code writes and reads. 2: the fold also
/// keeps T2 triage's facts, shiftboss's own spend and usage, and the
/// inbox's re-raises on concerns and pause points.
pub const FORMAT: u32 = 2;
/// Events between checkpoints.
pub const EVERY: u64 = 25_000;
/// Wall time after which a checkpoint is written if events came meanwhile.
pub const EVERY_WALL: Duration = Duration::from_secs(10 * 60);
/// Rows at the end of a checkpoint compared with the log's.
pub const TAIL_ROWS: u64 = 64;
/// Checkpoints kept.
const KEEP: i64 = 2;

#[derive(Serialize)]
struct PayloadOut<'a> {
    state: &'a SwarmState,
    facts: &'a ResumeFacts,
}

#[derive(Deserialize)]
struct PayloadIn {
    state: SwarmState,
    facts: ResumeFacts,
}

/// The interval from `SHIFTBOSS_CHECKPOINT_EVERY`, else [`EVERY`].
pub(super) fn every_from_env() -> u64 {
    std::env::var("SHIFTBOSS_CHECKPOINT_EVERY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(EVERY)
}

/// The hash of the rows `seq - TAIL_ROWS < s <= seq`.
fn tail_sha(conn: &Connection, seq: u64) -> rusqlite::Result<Vec<u8>> {
    let mut h = Sha256::new();
    digest::hash_range(conn, &mut h, seq.saturating_sub(TAIL_ROWS), seq)?;
    Ok(h.finalize().to_vec())
}

/// Checkpoint writes this process made, for the failpoint.
static WRITES: AtomicU32 = AtomicU32::new(0);

/// `SHIFTBOSS_FAILPOINT=checkpoint-mid-write[@N]`: the process exits in the
/// middle of its Nth checkpoint write (the first without `@N`), between
/// writing the new checkpoint and removing the old ones, before the commit.
fn failpoint_mid_write(write: u32) {
    let Ok(v) = std::env::var("SHIFTBOSS_FAILPOINT") else {
        return;
    };
    let Some(rest) = v.strip_prefix("checkpoint-mid-write") else {
        return;
    };
    let nth = rest
        .strip_prefix('@')
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(1);
    if write == nth {
        eprintln!(
            "shiftboss: failpoint checkpoint-mid-write: exiting during checkpoint write {write}"
        );
        std::process::exit(86);
    }
}

impl Store {
    /// Write a checkpoint of the writer's fold at its seq; `None` when the
    /// store holds no fold (nothing appended or resumed yet) or it is empty.
    pub fn write_checkpoint(&mut self) -> Result<Option<u64>, StoreError> {
        let Store {
            conn, path, fold, ..
        } = self;
        let Some(fold) = fold.as_ref() else {
            return Ok(None);
        };
        let seq = fold.seq();
        if seq == 0 {
            return Ok(None);
        }
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let payload = serde_json::to_vec(&PayloadOut {
            state: &fold.state,
            facts: &fold.facts,
        })
        .expect("the fold serializes to JSON");
        let payload_sha = Sha256::digest(&payload).to_vec();
        let tail = tail_sha(conn, seq).map_err(err)?;
        let written_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO checkpoints
                (seq, format, tail_sha, digest_state, payload_sha, payload, written_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                seq as i64,
                FORMAT,
                tail,
                digest::save(&fold.hasher),
                payload_sha,
                payload,
                written_at
            ],
        )
        .map_err(err)?;
        failpoint_mid_write(WRITES.fetch_add(1, Ordering::SeqCst) + 1);
        tx.execute(
            "DELETE FROM checkpoints WHERE seq NOT IN
                (SELECT seq FROM checkpoints ORDER BY seq DESC LIMIT ?1)",
            [KEEP],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        self.checkpoint_seq = seq;
        self.checkpoint_wall = Instant::now();
        tracing::debug!(seq, "checkpoint written");
        Ok(Some(seq))
    }

    /// After an append: a checkpoint if one is due. A failure is a warning
    /// (the checkpoint is a cache), never the append's.
    pub(super) fn checkpoint_if_due(&mut self) {
        let Some(seq) = self.fold.as_ref().map(Fold::seq) else {
            return;
        };
        let since = seq.saturating_sub(self.checkpoint_seq);
        let due = since >= self.checkpoint_every
            || (since > 0 && self.checkpoint_wall.elapsed() >= EVERY_WALL);
        if due && let Err(e) = self.write_checkpoint() {
            tracing::warn!("checkpoint not written: {e}");
        }
    }

    /// The seqs of the checkpoints in the log, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<u64>, StoreError> {
        let err = self.sql_err();
        let mut st = self
            .conn
            .prepare_cached("SELECT seq FROM checkpoints ORDER BY seq")
            .map_err(&err)?;
        let rows = st.query_map([], |r| r.get::<_, i64>(0)).map_err(&err)?;
        rows.map(|r| r.map(|s| s as u64))
            .collect::<Result<_, _>>()
            .map_err(&err)
    }
}

/// The newest checkpoint that checks out against the log, with why newer
/// ones were passed over. Without `decode` the fold's state is left empty
/// (only its seq, facts-less, and digest state are wanted).
pub(super) fn newest_good(
    store: &Store,
    decode: bool,
) -> Result<(Option<Fold>, Vec<String>), StoreError> {
    let err = store.sql_err();
    let last = store.last_seq()?;
    let mut st = store
        .conn
        .prepare_cached(
            "SELECT seq, format, tail_sha, digest_state, payload_sha, payload
             FROM checkpoints ORDER BY seq DESC",
        )
        .map_err(&err)?;
    let mut rows = st.query([]).map_err(&err)?;
    let mut warnings = Vec::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let seq = row.get::<_, i64>(0).map_err(&err)? as u64;
        let why = match check(store, row, seq, last, decode) {
            Ok(fold) => return Ok((Some(fold), warnings)),
            Err(why) => why,
        };
        warnings.push(format!(
            "{}: checkpoint at event {seq} ignored: {why}; folding the log from {}",
            store.path.display(),
            "an older checkpoint or its first event"
        ));
    }
    Ok((None, warnings))
}

fn check(
    store: &Store,
    row: &rusqlite::Row<'_>,
    seq: u64,
    last: u64,
    decode: bool,
) -> Result<Fold, String> {
    let bytes = |i: usize| -> Result<&[u8], String> {
        row.get_ref(i)
            .map_err(|e| e.to_string())?
            .as_bytes()
            .map_err(|e| format!("column {i}: {e}"))
    };
    let format: i64 = row.get(1).map_err(|e| e.to_string())?;
    if format != FORMAT as i64 {
        return Err(format!(
            "written in format {format}, this shiftboss reads {FORMAT}"
        ));
    }
    if seq > last {
        return Err(format!("the log ends at event {last}"));
    }
    let tail = tail_sha(&store.conn, seq).map_err(|e| e.to_string())?;
    if bytes(2)? != tail.as_slice() {
        return Err("the log's events up to it are not the ones it was made from".into());
    }
    let hasher = digest::restore(bytes(3)?).ok_or("its digest state is corrupt")?;
    let payload = bytes(5)?;
    if bytes(4)? != Sha256::digest(payload).as_slice() {
        return Err("corrupt: its payload does not match its checksum".into());
    }
    if !decode {
        let mut fold = Fold {
            hasher,
            ..Fold::default()
        };
        fold.state.events = seq;
        return Ok(fold);
    }
    let p: PayloadIn =
        serde_json::from_slice(payload).map_err(|e| format!("its payload does not decode: {e}"))?;
    if p.state.events != seq {
        return Err(format!("its state holds {} events", p.state.events));
    }
    Ok(Fold {
        state: p.state,
        facts: p.facts,
        hasher,
    })
}
