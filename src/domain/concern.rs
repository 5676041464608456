//! Concerns (impact, routing, what became of them, who raised them) and
//! pause points (why work stopped to wait for the operator, and its state).

use super::{Actor, AgentId, Check, ConcernId, Millis, PauseId, TaskId};
use serde::{Deserialize, Serialize};

/// How bad it would be if a concern is right.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Impact {
    Low,
    Medium,
    High,
    Critical,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// Where a concern goes.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Routing {
    /// The operator's inbox, notified.
    Human,
    /// Watchdog triage (T2) tries first; the inbox shows it quietly.
    Triage,
    /// Kept in the log and the inbox's full view; no alert.
    Log,
}

impl Routing {
    /// The confidence × impact table.
    ///
    /// | impact \ confidence | < 0.5 | 0.5–0.8 | ≥ 0.8 |
    /// |---|---|---|---|
    /// | critical | human | human | human |
    /// | high     | human | human | triage |
    /// | medium   | human | triage | triage |
    /// | low      | log   | log    | log |
    ///
    /// Low confidence with high impact always reaches the human: the less sure
    /// the source, the less a machine should settle it.
    pub fn for_concern(confidence: f64, impact: Impact) -> Routing {
        match impact {
            Impact::Critical => Routing::Human,
            Impact::High if confidence < 0.8 => Routing::Human,
            Impact::High => Routing::Triage,
            Impact::Medium if confidence < 0.5 => Routing::Human,
            Impact::Medium => Routing::Triage,
            Impact::Low => Routing::Log,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What became of a concern. Nothing is ever deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case", tag = "disposition", content = "reason")]
#[strum(serialize_all = "snake_case")]
pub enum Disposition {
    Open,
    Acked,
    Resolved,
    Dismissed(String),
}

impl Disposition {
    pub fn as_str(&self) -> &'static str {
        self.into()
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Disposition::Open | Disposition::Acked)
    }
}

/// Who raised a concern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ConcernSource {
    Agent,
    Watchdog,
    Gate,
    Budget,
    Merge,
    Protocol,
    /// shiftboss's own executor could not do what the engine asked (a
    /// worktree, a launch, a commit, a gate checkout).
    Executor,
    /// A pause point that waited past its timeout.
    Pause,
}

impl ConcernSource {
    pub fn as_str(&self) -> &'static str {
        self.into()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Concern {
    pub id: ConcernId,
    pub source: ConcernSource,
    pub summary: String,
    pub confidence: f64,
    pub impact: Impact,
    pub routing: Routing,
    pub disposition: Disposition,
    pub agent: Option<AgentId>,
    pub task: Option<TaskId>,
    pub raised_at: Millis,
    /// When and by whom it was disposed of (open: none).
    #[serde(default)]
    pub disposed_at: Option<Millis>,
    #[serde(default)]
    pub disposed_by: Option<Actor>,
    /// For a watchdog concern: the check whose alert raised it.
    #[serde(default)]
    pub check: Option<Check>,
    /// Times it was raised again, unanswered, and when it first was (from
    /// then on it is overdue).
    #[serde(default)]
    pub reraised: u32,
    #[serde(default)]
    pub overdue_since: Option<Millis>,
}

/// Why work stopped to wait for the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PauseKind {
    /// The agent asked for it (before a destructive or expensive step).
    AgentRequest,
    /// A merge into the protected target branch.
    Merge,
    /// A task's spend passed the configured threshold.
    Spend,
    /// The operator's checkout is on the target with changes: landings wait
    /// until it is clean or elsewhere (decided by the engine, not the operator).
    Checkout,
    /// Swarm-wide (before a release merge, before a migration): every agent
    /// finishes its current task and takes no new work until it is decided.
    Swarm,
}

impl PauseKind {
    pub fn as_str(&self) -> &'static str {
        self.into()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PauseState {
    Waiting,
    Approved,
    Rejected,
}

impl PauseState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PausePoint {
    pub id: PauseId,
    pub kind: PauseKind,
    pub reason: String,
    pub agent: Option<AgentId>,
    pub task: Option<TaskId>,
    pub state: PauseState,
    pub raised_at: Millis,
    /// When and by whom it was decided (waiting: none).
    #[serde(default)]
    pub decided_at: Option<Millis>,
    #[serde(default)]
    pub decided_by: Option<Actor>,
    /// Times it was raised again, undecided, and when it first was.
    #[serde(default)]
    pub reraised: u32,
    #[serde(default)]
    pub overdue_since: Option<Millis>,
    /// It waited past its timeout and was escalated (or rejected by rule).
    #[serde(default)]
    pub timed_out: bool,
}
