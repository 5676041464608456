//! What a swarm opened again needs from its log beside [`SwarmState`]: the
//! process groups the log says were started (killed before anything
//! restarts) and each task's API refusals in a row (so the count goes on
//! across restarts). Folded event by event like the state, and kept with it
//! in the store's checkpoints.
//!
//! [`SwarmState`]: super::SwarmState

use super::{Event, EventKind, Millis, TaskId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A requeue after API trouble gives this reason, followed by the answer.
pub const REQUEUED_AFTER_TROUBLE: &str = "API trouble (";

/// API refusals of one task in a row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Streak {
    pub refusals: u32,
    /// When the first refusal of the row came.
    pub since: Millis,
}

impl Streak {
    /// Follow the log's refusals in a row, so a swarm opened again on the
    /// same log goes on counting where the last one stopped instead of
    /// retrying forever across restarts.
    pub fn replay(streaks: &mut BTreeMap<TaskId, Streak>, ev: &Event) {
        if let EventKind::SwarmResumed { .. } = ev.kind {
            Streak::resume(streaks, ev.at);
        }
        let Some(task) = &ev.task else { return };
        match &ev.kind {
            EventKind::TaskRequeued { reason } if reason.starts_with(REQUEUED_AFTER_TROUBLE) => {
                streaks
                    .entry(task.clone())
                    .or_insert(Streak {
                        refusals: 0,
                        since: ev.at,
                    })
                    .refusals += 1;
            }
            EventKind::UsageRecorded { .. }
            | EventKind::TaskDone
            | EventKind::TaskFailed { .. } => {
                streaks.remove(task);
            }
            _ => {}
        }
    }

    /// A swarm opened again at `now`: the count goes on, the time bound
    /// starts over (time while shiftboss was stopped was not time refused).
    pub fn resume(streaks: &mut BTreeMap<TaskId, Streak>, now: Millis) {
        for s in streaks.values_mut() {
            s.since = now;
        }
    }
}

/// The log's facts for a resume that the state does not keep.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeFacts {
    /// Every process group the log says was started: (pid, start time).
    pub spawned: Vec<(u32, u64)>,
    /// API refusals in a row, per task.
    pub streaks: BTreeMap<TaskId, Streak>,
}

impl ResumeFacts {
    pub fn apply(&mut self, ev: &Event) {
        if let EventKind::AgentSpawned { pid, start_time } = ev.kind {
            self.spawned.push((pid, start_time));
        }
        Streak::replay(&mut self.streaks, ev);
    }
}
