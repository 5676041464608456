//! What the SQL tables keep beside the state's own facts, kept by the same
//! fold: when each row was made (its event's seq) and last changed, the
//! record of every merge attempt, and — for the store, which writes the
//! tables from the state — which entities the events since the last write
//! touched. A new event kind changes [`SwarmState::apply`] only; the rows it
//! touches follow.
//!
//! [`SwarmState::apply`]: super::SwarmState::apply

use super::{AgentId, ConcernId, ConvoyId, MergeOutcome, Millis, PauseId, TaskId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// When a row was made and last changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Seq of the event that made the row (`added_seq`, `registered_seq`,
    /// `raised_seq` in the tables).
    pub seq: u64,
    /// Time of the last event that changed the entity.
    pub updated_at: Millis,
}

/// Row bookkeeping per entity. Concerns and pause points map their id to
/// the first of that id in the state's list (the one the log's later events
/// change) and the seq that raised it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub tasks: BTreeMap<TaskId, Stamp>,
    pub agents: BTreeMap<AgentId, Stamp>,
    pub concerns: BTreeMap<ConcernId, (usize, u64)>,
    pub pauses: BTreeMap<PauseId, (usize, u64)>,
}

/// One merge attempt's result (one `merge_finished` event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    pub seq: u64,
    pub at: Millis,
    pub task: Option<TaskId>,
    /// The event's agent, else the agent the task belonged to.
    pub agent: Option<AgentId>,
    /// The event's convoy, else the task's.
    pub convoy: Option<ConvoyId>,
    pub outcome: MergeOutcome,
}

/// The entities changed since the store last wrote the tables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Touched {
    pub tasks: BTreeSet<TaskId>,
    pub agents: BTreeSet<AgentId>,
    pub concerns: BTreeSet<ConcernId>,
    pub pauses: BTreeSet<PauseId>,
    pub models: BTreeSet<String>,
    /// Indexes into the state's merge records not yet written.
    pub merges: Vec<usize>,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
            && self.agents.is_empty()
            && self.concerns.is_empty()
            && self.pauses.is_empty()
            && self.models.is_empty()
            && self.merges.is_empty()
    }
}

/// Insert without cloning when already present.
pub(super) fn mark<T: Ord + Clone>(set: &mut BTreeSet<T>, id: &T) {
    if !set.contains(id) {
        set.insert(id.clone());
    }
}
