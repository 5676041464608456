//! What a step would otherwise find by scanning every task, kept as events
//! are folded: the tasks in the merge queue, and whether a pending task may
//! have lost its way to finish (an orphan: a dependency failed or blocked).
//!
//! Every change of a task's status comes with an event about that task, so
//! the engine notes each event's task before and after the fold
//! ([`TaskIndex::folded`]). A tick then looks for orphans only after a
//! task's status changed or a task was added, and the queue asks only its
//! own entries whether one is ready.

use crate::domain::{Event, EventKind, SwarmState, TaskId, TaskStatus};
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default)]
pub(super) struct TaskIndex {
    /// Tasks whose status is `queued`.
    pub queued: BTreeSet<TaskId>,
    /// No status changed and no task was added since orphans were looked for.
    pub orphans_checked: bool,
}

impl TaskIndex {
    /// The index of a state folded from scratch.
    pub fn of(state: &SwarmState) -> TaskIndex {
        TaskIndex {
            queued: state
                .tasks
                .values()
                .filter(|t| t.status == TaskStatus::Queued)
                .map(|t| t.spec.id.clone())
                .collect(),
            orphans_checked: false,
        }
    }

    /// The status of `ev`'s task before it is folded.
    pub fn before(state: &SwarmState, ev: &Event) -> Option<TaskStatus> {
        let task = ev.task.as_ref()?;
        state.tasks.get(task).map(|t| t.status)
    }

    /// `ev` was folded into `state`; its task had status `before`.
    pub fn folded(&mut self, state: &SwarmState, ev: &Event, before: Option<TaskStatus>) {
        if matches!(ev.kind, EventKind::TaskAdded { .. }) {
            self.orphans_checked = false;
        }
        let Some(task) = &ev.task else {
            return;
        };
        let after = state.tasks.get(task).map(|t| t.status);
        if after == before {
            return;
        }
        self.orphans_checked = false;
        if after == Some(TaskStatus::Queued) {
            self.queued.insert(task.clone());
        } else if before == Some(TaskStatus::Queued) {
            self.queued.remove(task);
        }
    }
}
