//! Opening a swarm's log: the fold from the store's newest good checkpoint
//! and the events after it (the log is read once, by the store, which keeps
//! its fold for appends), what a `--readonly` console shows of the recent
//! past, and the warnings on stderr when a checkpoint was passed over.

use super::SwarmError;
use super::snapshot::{Observed, RECENT_EVENTS};
use crate::domain::{EventKind, ResumeFacts};
use crate::engine::{Engine, Settings};
use crate::store::{Loaded, Store};

/// After a load: the memory it used for a while (the checkpoint's payload
/// as read, the page cache) goes back to the system, not only to the
/// allocator, so a console on a long log stays small.
pub(crate) fn settle(store: &Store) {
    store.release_memory();
    crate::sys::trim_heap();
}

/// Say on stderr why checkpoints were passed over (also in the log file).
pub(crate) fn tell(loaded: &Loaded) {
    for w in &loaded.warnings {
        eprintln!("shiftboss: warning: {w}");
    }
}

/// The owner's engine from the log, and the resume facts beside it.
pub(super) fn engine(
    store: &mut Store,
    settings: Settings,
) -> Result<(Engine, ResumeFacts), SwarmError> {
    let loaded = store.resume()?;
    tell(&loaded);
    let facts = loaded.fold.facts;
    let engine = Engine::from_fold(settings, loaded.fold.state, facts.clone());
    settle(store);
    Ok((engine, facts))
}

/// What the console keeps of the log's recent past: the last events (as
/// [`Observed::events`] would have kept them from the whole log) and each
/// task's last gate output, read from the end of the log.
pub(super) fn observed(store: &Store, total: u64) -> Result<Observed, SwarmError> {
    let mut observed = Observed {
        events_total: total,
        ..Observed::default()
    };
    for ev in store.recent_events(RECENT_EVENTS, "usage_recorded")? {
        observed.recent.push_back(ev);
    }
    for ev in store.last_of_kind_per_task("gate_finished")? {
        if let (EventKind::GateFinished { output, .. }, Some(t)) = (&ev.kind, &ev.task) {
            observed.gate_output.insert(t.clone(), output.clone());
        }
    }
    Ok(observed)
}
