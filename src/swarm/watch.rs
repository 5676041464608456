//! A read-only view of a swarm's log, for a `--readonly` console beside a
//! running owner (or none): it folds the log, opened read-only, and follows
//! what the owner appends. It never takes the owner lock, never starts a
//! scheduler or an agent, and writes nothing.

use super::snapshot::Observed;
use super::{Paths, Snapshot, SwarmError};
use crate::engine::{Engine, Settings};
use crate::store::Store;

pub struct Watcher {
    store: Store,
    engine: Engine,
    observed: Observed,
    /// Events folded so far (the log's seqs run 1, 2, … without gaps).
    seen: u64,
    real_time: bool,
}

impl Watcher {
    /// Fold the log in `paths` (from its newest good checkpoint and the
    /// events after it); `real_time` says whether its agents are real.
    pub fn open(paths: &Paths, settings: Settings, real_time: bool) -> Result<Watcher, SwarmError> {
        let store = Store::open_readonly(&paths.db)?;
        let loaded = store.load()?;
        super::resume::tell(&loaded);
        let seen = loaded.fold.seq();
        let observed = super::resume::observed(&store, seen)?;
        let engine = Engine::from_fold(settings, loaded.fold.state, loaded.fold.facts);
        super::resume::settle(&store);
        Ok(Watcher {
            seen,
            store,
            engine,
            observed,
            real_time,
        })
    }

    /// Fold what was written since the last look; whether there was any.
    pub fn poll(&mut self) -> Result<bool, SwarmError> {
        self.store.follow_writers()?;
        let new = self.store.events_after(self.seen)?;
        if new.is_empty() {
            return Ok(false);
        }
        self.seen += new.len() as u64;
        for ev in &new {
            self.engine.fold(ev);
        }
        self.observed.events(&new);
        Ok(true)
    }

    pub fn events(&self) -> u64 {
        self.seen
    }

    pub fn snapshot(&self) -> Snapshot {
        self.observed.snapshot(
            &self.engine,
            self.engine.state().now,
            "following the log".into(),
            self.real_time,
        )
    }
}
