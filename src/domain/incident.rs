//! Incident records: a T3 item (a concern that reached the operator) or a
//! task that failed for good, kept as a record the team follows up on. The
//! record holds what the log cannot say by itself: who decided, and what
//! the team will change; the rest of the write-up comes from the events.

use super::{ConcernId, IncidentId, Millis, TaskId};
use serde::{Deserialize, Serialize};

/// What an incident record is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentSource {
    Task(TaskId),
    Concern(ConcernId),
}

impl IncidentSource {
    pub fn id(&self) -> &str {
        match self {
            IncidentSource::Task(t) => t.as_str(),
            IncidentSource::Concern(c) => c.as_str(),
        }
    }
}

/// One incident record, as the log folds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub source: IncidentSource,
    pub title: String,
    pub decided_by: String,
    pub opened_at: Millis,
    /// What the team will change (empty until written).
    pub follow_up: String,
    pub follow_up_at: Option<Millis>,
}
