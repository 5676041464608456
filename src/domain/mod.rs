//! The vocabulary of DESIGN.md as types. No I/O lives here.

mod concern;
mod event;
pub mod flood;
mod inbox_fold;
mod incident;
mod kind;
mod merge;
mod money;
pub mod protocol;
mod queue_facts;
mod resume;
pub mod review;
mod rows;
mod shared_vec;
pub mod sim_plan;
mod state;
pub mod triage;

pub use concern::{
    Concern, ConcernSource, Disposition, Impact, PauseKind, PausePoint, PauseState, Routing,
};
pub use event::{Actor, Event, EventKind};
pub use inbox_fold::{Fold, FoldKey, Subject, fold_concerns, must_reach_human, swarm_readiness};
pub use incident::{Incident, IncidentSource};
pub use kind::{KINDS, kind_of};
pub use merge::{
    GateFinding, LineAtRisk, MergeOutcome, ModelSpend, Prediction, Removal, ResolveTier, Scope,
    Side, glob_set, scopes_overlap, shared_glob_set,
};
pub use money::{Money, Price, Usage};
pub use queue_facts::{BatchRun, MergeFacts};
pub use resume::{REQUEUED_AFTER_TROUBLE, ResumeFacts, Streak};
pub use rows::{MergeRecord, Rows, Stamp, Touched};
pub use state::fit::{FitFacts, KindRecord};
pub use state::mail::{MAIL_TEXT_MAX, Mail, Mailroom, RefusedMail};
pub use state::{
    AgentPhase, AgentState, ConvoyProgress, SwarmState, TeamFacts, TeamFigures, TeamPlan,
};

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the swarm's epoch (the Unix epoch for real time; the
/// scenario's start for virtual time, which is anchored to a fixed date).
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }
    };
}

id_type!(
    /// A stable agent identity such as `builder-07`.
    AgentId
);
id_type!(
    /// A task id, unique in the swarm (`auth-3`, `T-0042`).
    TaskId
);
id_type!(
    /// A convoy name.
    ConvoyId
);
id_type!(
    /// One run of an agent on one task (`builder-07#12`).
    SessionId
);
id_type!(
    /// A concern id (`C-0001`).
    ConcernId
);
id_type!(
    /// A pause point id (`P-0001`).
    PauseId
);
id_type!(
    /// An incident record's id (`I-0001`).
    IncidentId
);

impl AgentId {
    /// The agent name for pool slot `n` (1-based): `builder-07`.
    pub fn builder(n: usize) -> Self {
        Self(format!("builder-{n:02}"))
    }
}

/// The status words of a task, the same in every view.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    InProgress,
    Gating,
    Queued,
    Merged,
    Failed,
    Blocked,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 7] = [
        TaskStatus::Pending,
        TaskStatus::InProgress,
        TaskStatus::Gating,
        TaskStatus::Queued,
        TaskStatus::Merged,
        TaskStatus::Failed,
        TaskStatus::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Merged and failed tasks take no further part in scheduling.
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskStatus::Merged | TaskStatus::Failed)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operator or a backlog file says about a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub id: TaskId,
    pub title: String,
    #[serde(default)]
    pub spec: String,
    pub convoy: ConvoyId,
    /// Higher runs first.
    #[serde(default)]
    pub priority: i32,
    /// Owned file scope, as globs relative to the repository root.
    #[serde(default)]
    pub scope: Vec<String>,
    /// Acceptance checks: shell commands run by the gate in the worktree.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Tasks that must be merged before this one starts.
    #[serde(default)]
    pub after: Vec<TaskId>,
    /// The model tier asked for (`fast`, `standard`, `deep`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// A scripted behaviour for the simulated agent (`normal`, `stall`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behaviour: Option<String>,
    /// Work for the night shift: while a night shift runs, only such tasks
    /// start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub night: bool,
    /// The issue the task was imported from, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<Box<IssueRef>>,
}

/// A GitHub issue a task came from: the API it was read through, the
/// repository (`owner/name`) and its number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    pub api: String,
    pub repo: String,
    pub number: u64,
}

/// A task as the engine knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub spec: TaskSpec,
    pub status: TaskStatus,
    pub agent: Option<AgentId>,
    pub session: Option<SessionId>,
    /// The branch holding the task's work, kept across attempts.
    pub branch: Option<String>,
    pub attempts: u32,
    pub gate_failures: u32,
    pub cost: Money,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub merged_commit: Option<String>,
    /// Why the task is failed or blocked.
    pub reason: Option<String>,
    /// Position in the merge queue (arrival order) while queued.
    pub queued_seq: Option<u64>,
    /// A pause point the task waits on, if any.
    pub waiting_on: Option<PauseId>,
    /// Not to start again before this time (backoff after API trouble).
    #[serde(default)]
    pub not_before: Option<Millis>,
    /// Times the merge queue sent it back (each costs a little queue priority).
    #[serde(default)]
    pub merge_retries: u32,
    /// The operator's move in the queue: negative to the front, positive to
    /// the back, 0 where the order puts it.
    #[serde(default)]
    pub queue_key: i64,
    /// The last merge attempt's tier and outcome word.
    #[serde(default)]
    pub tier: Option<ResolveTier>,
    #[serde(default)]
    pub outcome: Option<String>,
    /// Conflicted files of the last merge attempt.
    #[serde(default)]
    pub conflict_files: Vec<String>,
    /// Lines a refused resolution would have dropped.
    #[serde(default)]
    pub lines_at_risk: Vec<LineAtRisk>,
    /// What the last gate rejection found (structured context for rework).
    #[serde(default)]
    pub findings: Vec<GateFinding>,
    /// Files the task's branch changed, as far as known.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Overlaps seen before it started.
    #[serde(default)]
    pub prediction: Option<Prediction>,
    /// Times it went back to be redone on the current target.
    #[serde(default)]
    pub reimagined: u32,
    /// Why the task came back to an agent, told in its next prompt.
    #[serde(default)]
    pub returned: Option<String>,
    /// The last watchdog alert on it, and whose.
    #[serde(default)]
    pub last_alert: Option<(Check, Option<AgentId>)>,
    /// Its way through the gates and the queue (the queue pane's facts).
    #[serde(default)]
    pub merge_facts: MergeFacts,
    /// The agent a reassigned task should not go back to, while another
    /// is free.
    #[serde(default)]
    pub avoid: Option<AgentId>,
    /// Dropped for good on the morning review.
    #[serde(default)]
    pub archived: bool,
    /// The operator's judgement of its merge: good or bad (calibration).
    #[serde(default)]
    pub judged: Option<bool>,
    /// The lead whose `::task` line created it (the `task_added` event's agent).
    #[serde(default)]
    pub created_by: Option<AgentId>,
    /// The task its lead was working when it created this one.
    #[serde(default)]
    pub epic: Option<TaskId>,
    /// Budget the operator gave it beyond the configured task budget.
    #[serde(default)]
    pub extra_budget: Money,
    /// Where it lands when queued: its team's integration branch (none:
    /// the target), as its last `merge_queued` said.
    #[serde(default)]
    pub onto: Option<String>,
}

impl Task {
    pub fn new(spec: TaskSpec) -> Self {
        Self {
            spec,
            status: TaskStatus::Pending,
            agent: None,
            session: None,
            branch: None,
            attempts: 0,
            gate_failures: 0,
            cost: Money::ZERO,
            started_at: None,
            finished_at: None,
            merged_commit: None,
            reason: None,
            queued_seq: None,
            waiting_on: None,
            not_before: None,
            merge_retries: 0,
            queue_key: 0,
            tier: None,
            outcome: None,
            conflict_files: Vec::new(),
            lines_at_risk: Vec::new(),
            findings: Vec::new(),
            changed: Vec::new(),
            prediction: None,
            reimagined: 0,
            returned: None,
            last_alert: None,
            merge_facts: MergeFacts::default(),
            avoid: None,
            archived: false,
            judged: None,
            created_by: None,
            epic: None,
            extra_budget: Money::ZERO,
            onto: None,
        }
    }

    pub fn id(&self) -> &TaskId {
        &self.spec.id
    }

    /// What it may spend: the configured task budget (zero: no budget)
    /// and what the operator gave it beyond that.
    pub fn budget(&self, configured: Money) -> Money {
        if configured > Money::ZERO {
            configured + self.extra_budget
        } else {
            Money::ZERO
        }
    }

    /// Blocked because it spent its budget (work kept on its branch).
    pub fn stopped_at_budget(&self) -> bool {
        self.status == TaskStatus::Blocked
            && self
                .reason
                .as_deref()
                .is_some_and(|r| r.starts_with("spent ") && r.contains(" budget; work kept"))
    }
}

/// The T1 mechanical checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Check {
    /// The agent's process is gone without saying it was done.
    ProcessGone,
    /// No output for longer than the stall threshold.
    Stalled,
    /// The same output over and over.
    Looping,
    /// More output lines or bytes per window than the flood limits allow.
    OutputFlood,
    /// The task ran past its time bound.
    OverTime,
    /// A budget's hard limit was passed.
    OverBudget,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Which budget a limit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BudgetScope {
    Agent,
    Task,
    Day,
}

impl BudgetScope {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod word_tests {
    use super::*;

    /// The status words (strum) are the words the log stores (serde).
    fn same<T: Serialize>(v: T, word: &str) {
        assert_eq!(serde_json::to_value(&v).unwrap(), serde_json::json!(word));
    }

    #[test]
    fn each_word_is_the_one_the_log_stores() {
        for s in TaskStatus::ALL {
            same(s, s.as_str());
        }
        assert_eq!(TaskStatus::InProgress.as_str(), "in_progress");
        for i in [Impact::Low, Impact::Medium, Impact::High, Impact::Critical] {
            same(i, i.as_str());
            assert_eq!(Impact::parse(i.as_str()), Some(i));
        }
        assert_eq!(Impact::parse("Critical"), None);
        for r in [Routing::Human, Routing::Triage, Routing::Log] {
            same(r, r.as_str());
        }
        for k in [
            PauseKind::AgentRequest,
            PauseKind::Merge,
            PauseKind::Spend,
            PauseKind::Swarm,
        ] {
            same(k.clone(), k.as_str());
        }
        assert_eq!(PauseKind::AgentRequest.as_str(), "agent_request");
        for p in [
            PauseState::Waiting,
            PauseState::Approved,
            PauseState::Rejected,
        ] {
            same(p, p.as_str());
        }
        for c in [
            Check::ProcessGone,
            Check::Stalled,
            Check::Looping,
            Check::OutputFlood,
            Check::OverTime,
            Check::OverBudget,
        ] {
            same(c, c.as_str());
        }
        for b in [BudgetScope::Agent, BudgetScope::Task, BudgetScope::Day] {
            same(b, b.as_str());
        }
        for c in [
            ConcernSource::Agent,
            ConcernSource::Watchdog,
            ConcernSource::Gate,
            ConcernSource::Budget,
            ConcernSource::Merge,
            ConcernSource::Protocol,
            ConcernSource::Executor,
            ConcernSource::Pause,
        ] {
            same(c.clone(), c.as_str());
        }
        assert_eq!(Disposition::Dismissed("dup".into()).as_str(), "dismissed");
        assert_eq!(Disposition::Acked.as_str(), "acked");
    }
}
