//! The store's fold of the log: the [`SwarmState`], the facts a resume
//! needs beside it ([`ResumeFacts`]) and the log digest as a running value,
//! all as of one seq. Made by streaming the log's rows (never holding the
//! log in memory), from the first row ([`Store::replay_fold`], the
//! definition of truth) or from the newest good checkpoint
//! ([`Store::load`]).

use super::{Store, StoreError, checkpoint, digest};
use crate::domain::{Event, ResumeFacts, SwarmState};
use sha2::{Digest, Sha256};

/// The log folded up to [`Fold::seq`].
#[derive(Clone, Debug)]
pub struct Fold {
    pub state: SwarmState,
    pub facts: ResumeFacts,
    /// SHA-256 of the rows folded so far (`digest.rs`).
    pub(super) hasher: Sha256,
}

impl Default for Fold {
    fn default() -> Fold {
        Fold {
            state: SwarmState::default(),
            facts: ResumeFacts::default(),
            hasher: Sha256::new(),
        }
    }
}

impl Fold {
    /// The seq of the last event folded (the log's seqs run 1, 2, …).
    pub fn seq(&self) -> u64 {
        self.state.events
    }

    /// The digest of the log up to [`Fold::seq`] (`Store::digest`'s value).
    pub fn digest(&self) -> String {
        digest::finish(&self.hasher)
    }

    pub(super) fn apply(&mut self, ev: &Event) {
        self.state.apply(ev);
        self.facts.apply(ev);
    }
}

/// A fold and how it was made.
#[derive(Debug)]
pub struct Loaded {
    pub fold: Fold,
    /// The seq of the checkpoint it started from (`None`: the first event).
    pub checkpoint: Option<u64>,
    /// Why checkpoints were passed over (each also logged as a warning).
    pub warnings: Vec<String>,
}

impl Store {
    /// The whole log folded from its first event, row by row: the
    /// definition of truth every checkpoint is a cache of.
    pub fn replay_fold(&self) -> Result<Fold, StoreError> {
        let mut fold = Fold::default();
        self.fold_tail(&mut fold)?;
        Ok(fold)
    }

    /// The swarm state rebuilt from the whole log.
    pub fn replay(&self) -> Result<SwarmState, StoreError> {
        Ok(self.replay_fold()?.state)
    }

    /// The log folded from its newest good checkpoint and the events after
    /// it; from the first event when there is none (a checkpoint that is
    /// missing where one was due, of another format, corrupt or not of this
    /// log is passed over with a warning).
    pub fn load(&self) -> Result<Loaded, StoreError> {
        let (found, mut warnings) = checkpoint::newest_good(self, true)?;
        let checkpoint = found.as_ref().map(Fold::seq);
        let mut fold = found.unwrap_or_default();
        if checkpoint.is_none() {
            let last = self.last_seq()?;
            if last >= self.checkpoint_every && warnings.is_empty() {
                warnings.push(format!(
                    "{}: no checkpoint of the fold; replaying all {last} events",
                    self.path.display()
                ));
            }
        }
        for w in &warnings {
            tracing::warn!("{w}");
        }
        self.fold_tail(&mut fold)?;
        Ok(Loaded {
            fold,
            checkpoint,
            warnings,
        })
    }

    /// [`Store::load`] for the writer: the store keeps the fold for its
    /// appends (the log is read once) and hands back a copy.
    pub fn resume(&mut self) -> Result<Loaded, StoreError> {
        let loaded = self.load()?;
        let mut mine = loaded.fold.clone();
        mine.state.track_touched();
        self.checkpoint_seq = loaded.checkpoint.unwrap_or(0);
        self.fold = Some(mine);
        Ok(loaded)
    }

    /// Fold the rows after `fold`'s seq into it, hashing each.
    pub(super) fn fold_tail(&self, fold: &mut Fold) -> Result<(), StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM events WHERE seq > ?1 ORDER BY seq",
                digest::COLUMNS
            ))
            .map_err(&err)?;
        let mut rows = stmt.query([fold.seq() as i64]).map_err(&err)?;
        let mut json = String::new();
        while let Some(row) = rows.next().map_err(&err)? {
            let seq: i64 = row.get(0).map_err(&err)?;
            if seq as u64 != fold.seq() + 1 {
                return Err(StoreError::Corrupt {
                    path: self.path.clone(),
                    seq,
                    detail: format!("the event before it is seq {}", fold.seq()),
                });
            }
            digest::hash_sql_row(&mut fold.hasher, row).map_err(&err)?;
            let ev = self.decode_event(row, &mut json)?;
            fold.apply(&ev);
        }
        Ok(())
    }
}
