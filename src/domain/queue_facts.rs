//! What the merge-queue pane and the task page show about a task's way
//! through the gates and the queue, kept by the fold ([`SwarmState::apply`])
//! so that none of it drops out of a window of recent events on a long day.
//!
//! [`SwarmState::apply`]: super::SwarmState::apply

use super::{Event, EventKind, MergeOutcome, Millis, TaskId};
use serde::{Deserialize, Serialize};

/// One task's way through the gate and the queue, in its current attempt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeFacts {
    pub queued_at: Option<Millis>,
    pub done_at: Option<Millis>,
    /// The last gate run: passed, gate name.
    pub last_gate: Option<(bool, String)>,
    /// The files of the last conflicted merge, and when.
    pub conflict: Option<(Vec<String>, Millis)>,
    /// The tier and time of the merge.
    pub merged: Option<(String, Millis)>,
    pub failed_at: Option<Millis>,
    pub blocked_at: Option<Millis>,
    /// The last rejection of its merged result: when, the gate, its output.
    pub rejected: Option<(Millis, String, String)>,
}

impl MergeFacts {
    /// Fold one event about the task.
    pub(super) fn apply(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::TaskDone => self.done_at = Some(ev.at),
            EventKind::GateFinished { passed, gate, .. } => {
                self.last_gate = Some((*passed, gate.clone()))
            }
            EventKind::MergeQueued { .. } => self.queued_at = Some(ev.at),
            EventKind::MergeFinished { outcome } => match outcome {
                MergeOutcome::Merged { tier, .. } => self.merged = Some((tier.clone(), ev.at)),
                MergeOutcome::Conflicted { files, .. } | MergeOutcome::Refused { files, .. } => {
                    self.conflict = Some((files.clone(), ev.at))
                }
                MergeOutcome::Rejected { gate, output, .. } => {
                    self.failed_at = Some(ev.at);
                    self.rejected = Some((ev.at, gate.clone(), output.clone()));
                }
                MergeOutcome::Unchanged { .. } => self.failed_at = Some(ev.at),
            },
            EventKind::TaskFailed { .. } => self.failed_at = Some(ev.at),
            EventKind::TaskBlocked { .. } => self.blocked_at = Some(ev.at),
            // A new attempt starts a new way through the gate.
            EventKind::TaskAssigned { .. } => {
                self.done_at = None;
                self.queued_at = None;
            }
            _ => {}
        }
    }
}

/// One run of the gates on a merged result: what the merge queue reports
/// and what the fold keeps of each `batch_tested`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRun {
    /// When it ran: the landing's time, and in the state the time of its
    /// `batch_tested`.
    pub at: Millis,
    /// The entries in the merged result, in queue order.
    pub tasks: Vec<TaskId>,
    /// The target tip they were merged onto.
    pub base: String,
    pub passed: bool,
    pub gate: String,
    pub output: String,
}
