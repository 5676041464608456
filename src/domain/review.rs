//! What the operator decides in a review: the triage of failed work (the
//! morning review) and judgements of merged work (calibrating the gates).

use super::AgentId;
use serde::{Deserialize, Serialize};

/// What becomes of a failed task, chosen on the morning review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "triage")]
pub enum Triage {
    /// Back to the queue for another agent than the one that failed it
    /// (`avoid`); its branch is kept to start from.
    Reassign { avoid: Option<AgentId> },
    /// The spec rewritten, then back to the queue.
    Respecify { spec: String },
    /// Dropped for good: out of the failed work and of the queue.
    Archive,
}

impl Triage {
    pub fn word(&self) -> &'static str {
        match self {
            Triage::Reassign { .. } => "reassigned",
            Triage::Respecify { .. } => "respecified",
            Triage::Archive => "archived",
        }
    }
}

/// A night shift under way: only night work starts, until its end time or
/// its budget, whichever comes first; then no new work starts until the
/// operator ends the night.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Night {
    pub started_at: super::Millis,
    pub ends_at: super::Millis,
    /// Zero: no budget.
    pub budget: super::Money,
    /// Spent since the night started.
    pub spent: super::Money,
    /// Why no new work starts any more (the end time, the budget).
    pub closed: Option<String>,
}

impl Night {
    /// New work may start: not closed, before the end time, under budget.
    pub fn open_at(&self, now: super::Millis) -> bool {
        self.closed.is_none() && now < self.ends_at && !self.spent_out()
    }

    pub fn spent_out(&self) -> bool {
        self.budget > super::Money::ZERO && self.spent >= self.budget
    }
}
