//! What a step would otherwise find by scanning every task, kept as events
//! are folded: the pending tasks (what the scheduler may start) in the
//! backlog's order, the tasks in the merge queue, and whether a pending
//! task may have lost its way to finish (an orphan: a dependency failed or
//! blocked).
//!
//! Every change of a task's status comes with an event about that task, so
//! the engine notes each event's task before and after the fold
//! ([`TaskIndex::folded`]). A tick then looks for orphans only after a
//! task's status changed or a task was added, the scheduler looks only at
//! pending tasks, and the queue asks only its own entries whether one is
//! ready.

use crate::domain::{Event, EventKind, SwarmState, TaskId, TaskStatus};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct TaskIndex {
    /// Tasks whose status is `pending`, by their place in the backlog
    /// (`task_order`).
    pub pending: BTreeMap<usize, TaskId>,
    /// Each task's place in the backlog.
    place: HashMap<TaskId, usize>,
    /// Tasks whose status is `queued`.
    pub queued: BTreeSet<TaskId>,
    /// No status changed and no task was added since orphans were looked for.
    pub orphans_checked: bool,
}

impl TaskIndex {
    /// The index of a state folded from scratch.
    pub fn of(state: &SwarmState) -> TaskIndex {
        let with = |status: TaskStatus| {
            state
                .task_order
                .iter()
                .enumerate()
                .filter(move |(_, id)| state.tasks[*id].status == status)
        };
        TaskIndex {
            pending: with(TaskStatus::Pending)
                .map(|(i, id)| (i, id.clone()))
                .collect(),
            place: state
                .task_order
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect(),
            queued: with(TaskStatus::Queued).map(|(_, id)| id.clone()).collect(),
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
        if before.is_none() && state.tasks.contains_key(task) {
            // A new task takes the backlog's last place.
            self.place.insert(task.clone(), state.task_order.len() - 1);
        }
        let after = state.tasks.get(task).map(|t| t.status);
        if after == before {
            return;
        }
        self.orphans_checked = false;
        for (status, add) in [(before, false), (after, true)] {
            match status {
                Some(TaskStatus::Queued) if add => {
                    self.queued.insert(task.clone());
                }
                Some(TaskStatus::Queued) => {
                    self.queued.remove(task);
                }
                Some(TaskStatus::Pending) => {
                    if let Some(&at) = self.place.get(task) {
                        if add {
                            self.pending.insert(at, task.clone());
                        } else {
                            self.pending.remove(&at);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
