//! Domain events: the only way swarm state changes. Every event carries its
//! attribution (time, agent, task, convoy, model, session, actor).

use super::*;

/// Who caused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The engine's own rules (scheduler, watchdog, budgets, merge queue).
    Engine,
    /// An agent, through its runtime.
    Agent,
    /// The human at the console or the CLI.
    Operator,
    /// shiftboss's own model calls (the merge queue's `ai` tier), metered
    /// like an agent's.
    Shiftboss,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Engine => "engine",
            Actor::Agent => "agent",
            Actor::Operator => "operator",
            Actor::Shiftboss => "shiftboss",
        }
    }

    pub fn parse(s: &str) -> Option<Actor> {
        match s {
            "engine" => Some(Actor::Engine),
            "agent" => Some(Actor::Agent),
            "operator" => Some(Actor::Operator),
            "shiftboss" => Some(Actor::Shiftboss),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Millis,
    pub actor: Actor,
    pub agent: Option<AgentId>,
    pub task: Option<TaskId>,
    pub convoy: Option<ConvoyId>,
    pub model: Option<String>,
    pub session: Option<SessionId>,
    pub kind: EventKind,
}

/// What happened. The serde tag is the `kind` column of the `events` table;
/// the rest of the variant is its `data` JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EventKind {
    /// The swarm was created (first event of every log).
    SwarmStarted { target: String, seed: u64 },
    /// The process started on an existing log and reconciled it.
    SwarmResumed { lost_sessions: u32 },
    /// An agent joined the pool.
    AgentRegistered { model: String, runtime: String },
    /// A task entered the backlog.
    TaskAdded { spec: TaskSpec },
    /// The scheduler handed a task to an agent; its work lives on `branch`.
    TaskAssigned {
        branch: String,
        attempt: u32,
        resume: bool,
    },
    /// The session's process started: its process group (the leader's pid)
    /// and the leader's start time, so a restarted shiftboss kills exactly it.
    AgentSpawned { pid: u32, start_time: u64 },
    /// What the agent was told: its prompt, recorded with the task.
    AgentPrompted { prompt: String },
    /// Token usage reported by the agent (or, with the `shiftboss` actor and
    /// no agent, a call of shiftboss's own), with its cost from the price table.
    UsageRecorded { usage: Usage, cost: Money },
    /// The agent's CLI reported what its run cost; `computed` is shiftboss's
    /// figure from the price table for the same session.
    CostReported { reported: Money, computed: Money },
    /// A warning: the agent's CLI reported totals for its run (`reported`)
    /// that differ from the usage counted from its output, message by
    /// message (`counted`). Only the counted usage is recorded and priced.
    UsageMismatch { counted: Usage, reported: Usage },
    /// What the agent's process used: peak resident memory (from /proc) and
    /// wall time.
    ProcessStats { peak_rss_kib: u64, wall_ms: u64 },
    /// The agent committed on its branch.
    CommitMade {
        commit: String,
        files: u32,
        /// The paths the commit touched, when known.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        paths: Vec<String>,
    },
    /// The agent reported progress (0–100).
    Progress { percent: u8, note: String },
    /// The agent said it is done; the gates run next.
    TaskDone,
    /// Gates finished on the task's branch.
    GateFinished {
        passed: bool,
        gate: String,
        output: String,
        /// Structured findings (scope, protected paths, the failing command).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        findings: Vec<GateFinding>,
        /// The files the branch changed against the target.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changed: Vec<String>,
    },
    /// The task joined the merge queue; `onto`: the team's integration
    /// branch it lands on (none: the target).
    MergeQueued {
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        onto: Option<String>,
    },
    /// The merge queue took the task's branch.
    MergeFinished { outcome: MergeOutcome },
    /// The merged result of a batch of queue entries (in queue order) was
    /// gated on top of `base`; the target moves only when it passed.
    BatchTested {
        tasks: Vec<TaskId>,
        base: String,
        passed: bool,
        gate: String,
        output: String,
    },
    /// The operator moved a queue entry to the front or the back.
    QueueMoved { front: bool },
    /// The task goes back to an agent to redo its change on top of the
    /// current target (`target`), after its branch conflicted in `files`.
    /// The old branch is kept.
    TaskReimagined { files: Vec<String>, target: String },
    /// Before the task started, in-flight tasks overlapped its scope.
    ConflictPredicted { prediction: Prediction },
    /// The task goes back to `pending` (work kept on its branch).
    TaskRequeued { reason: String },
    /// The task may not start again before `until` (backoff after API trouble).
    TaskDeferred { until: Millis },
    /// An agent near the end of its context window handed its work to a
    /// fresh session on the same worktree and branch (`session` is the old one).
    Handoff { share: f64, summary: String },
    /// The agent's API said no: rate limit, overload, a server error, or a
    /// stream cut mid-message.
    ApiTrouble { trouble: String, detail: String },
    /// The task goes back to its agent for rework after a gate rejection.
    TaskReworked { reason: String },
    /// The task failed for good.
    TaskFailed { reason: String },
    /// The task cannot proceed (a dependency failed, a budget, a rejection).
    TaskBlocked { reason: String },
    /// The task may be scheduled again (operator retry, dependency recovered).
    TaskUnblocked,
    /// An agent's session ended.
    SessionEnded {
        exit_code: Option<i32>,
        reason: String,
    },
    /// A T1 check fired.
    WatchdogAlert { check: Check, detail: String },
    /// A budget's limit was reached.
    BudgetReached {
        scope: BudgetScope,
        spent: Money,
        limit: Money,
        hard: bool,
    },
    /// A concern was raised.
    ConcernRaised {
        id: ConcernId,
        source: ConcernSource,
        summary: String,
        confidence: f64,
        impact: Impact,
        routing: Routing,
    },
    /// A concern was acknowledged, resolved or dismissed.
    ConcernDisposed {
        id: ConcernId,
        disposition: Disposition,
    },
    /// Work stopped at a pause point.
    PauseRequested {
        id: PauseId,
        pause: PauseKind,
        reason: String,
    },
    /// The operator decided a pause point (or the engine rejected it when
    /// its timeout passed and the config says so; never an approval).
    PauseDecided { id: PauseId, approved: bool },
    /// An open concern, unanswered past its impact's re-raise time, is
    /// raised again (`round` counts from 1; `waited` since it was raised).
    ConcernReraised {
        id: ConcernId,
        round: u32,
        waited: Millis,
    },
    /// A pause point, undecided past the re-raise time, is raised again.
    PauseReraised {
        id: PauseId,
        round: u32,
        waited: Millis,
    },
    /// A pause point waited past its timeout: escalated with a critical
    /// concern, and rejected when the config allows it for its kind.
    PauseTimedOut {
        id: PauseId,
        waited: Millis,
        rejected: bool,
    },
    /// An agent was held (`paused`) or released by the operator.
    AgentHeld { held: bool },
    /// A convoy was held by the operator (no new task of it starts) or released.
    ConvoyHeld { held: bool },
    /// The agent pool member was retired (budget spent, killed by the operator).
    AgentRetired { reason: String },
    /// Emergency stop: every agent frozen at once, or thawed.
    SwarmFrozen { frozen: bool },
    /// Operator changed the virtual clock's speed.
    SpeedChanged { speed: String },
    /// A write failed for want of space: no new work starts until space returns.
    DiskFull { path: String, free_mb: u64 },
    /// Space returned after a `disk_full`: work goes on.
    DiskSpaceReturned { path: String, free_mb: u64 },
    /// A task's last attempt ended through no fault of its own (a full disk):
    /// it does not count.
    AttemptReturned { reason: String },
    /// The executor could not carry out an effect: `action` says which step
    /// (`worktree`, `prompt`, `sandbox`, `launch`, `commit`, `gate checkout`,
    /// `decision`, ...), `error` what went wrong. A concern follows.
    ExecutorFailed { action: String, error: String },
    /// T2 triage's verdict on a concern routed to it, with its reasons: a
    /// `resolve` or an `act` is followed by the concern's disposal; an `escalate` routes
    /// the concern to the operator with the recommendation.
    TriageVerdict {
        concern: super::ConcernId,
        verdict: super::triage::Verdict,
        /// What an `act` verdict does (the engine does it in the same step).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<super::triage::Action>,
        recommendation: String,
        reasons: Vec<String>,
    },
    /// The operator's triage of a failed task on the morning review.
    TaskTriaged { triage: super::review::Triage },
    /// The operator's judgement of a merged task (calibrating the gates):
    /// `good` false means the gates let through work that should not have
    /// merged.
    MergeJudged { good: bool },
    /// The operator changed a `[watchdog]` threshold from the evening
    /// review (`key` as the config names it, `value` as it writes it); the
    /// config file holds it too.
    WatchdogTuned { key: String, value: String },
    /// The operator started the night shift: only night work starts until
    /// `ends_at` or until it spent `budget` (zero: no budget).
    NightStarted {
        ends_at: super::Millis,
        budget: super::Money,
    },
    /// The night shift reached its end time or its budget: no new work
    /// starts until the operator ends the night.
    NightClosed { reason: String },
    /// The operator ended the night: the day's scheduling again.
    NightEnded,
    /// A team's phase came (`[[teams]]`): its lead (none: the operator)
    /// and coders take its convoys' tasks from now on.
    TeamStarted {
        team: String,
        phase: u32,
        lead: Option<super::AgentId>,
        coders: Vec<super::AgentId>,
        convoys: Vec<super::ConvoyId>,
        /// The team's integration branch (with an agent lead): its coders'
        /// work lands there, the lead's integration starts from it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
    },
    /// The operator gave the task more budget: `by` on top of what it had,
    /// `limit` what it may spend now.
    BudgetRaised { by: Money, limit: Money },
    /// The operator made an incident record of a T3 item or a task failed
    /// for good; `decided_by` says who made the decision it records.
    IncidentOpened {
        id: super::IncidentId,
        source: super::IncidentSource,
        title: String,
        decided_by: String,
    },
    /// An incident's follow-up, written or changed by the operator.
    IncidentFollowUp { id: super::IncidentId, text: String },
    /// Triage's model answered a concern with something that is not a
    /// verdict, or not at all (an error, a timeout): refused, and the
    /// heuristics decide.
    TriageRefused {
        concern: super::ConcernId,
        why: String,
    },
    /// Mail sent by the event's agent (none: the operator), one copy per
    /// recipient with ids `id`, `id + 1`, …: the agents in `to`, then the
    /// operator when `to_operator`. `addressed` is how the sender named them.
    MailSent {
        id: u64,
        to: Vec<AgentId>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        to_operator: bool,
        addressed: String,
        text: String,
    },
    /// Mail went into a new session of the event's agent (its prompt and
    /// its mailbox file).
    MailDelivered { ids: Vec<u64> },
    /// Mail that was not sent: no such recipient, or agents of different
    /// teams that `[mail] allow` does not pair.
    MailRefused { addressed: String, reason: String },
    /// Where routing sent a task about to start, and why: the agent (the
    /// event's) chosen for its record on the task's kind (`task_kind`, or to explore),
    /// and the model of the tier the task runs on.
    TaskRouted {
        task_kind: String,
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<String>,
        why: String,
    },
    /// The task's merge was said on the GitHub issue it came from.
    IssueCommented {
        repo: String,
        number: u64,
        url: String,
    },
}

impl EventKind {
    /// The `kind` column value.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::SwarmStarted { .. } => "swarm_started",
            EventKind::SwarmResumed { .. } => "swarm_resumed",
            EventKind::AgentRegistered { .. } => "agent_registered",
            EventKind::TaskAdded { .. } => "task_added",
            EventKind::TaskAssigned { .. } => "task_assigned",
            EventKind::AgentPrompted { .. } => "agent_prompted",
            EventKind::AgentSpawned { .. } => "agent_spawned",
            EventKind::UsageRecorded { .. } => "usage_recorded",
            EventKind::CostReported { .. } => "cost_reported",
            EventKind::UsageMismatch { .. } => "usage_mismatch",
            EventKind::ProcessStats { .. } => "process_stats",
            EventKind::CommitMade { .. } => "commit_made",
            EventKind::Progress { .. } => "progress",
            EventKind::TaskDone => "task_done",
            EventKind::GateFinished { .. } => "gate_finished",
            EventKind::MergeQueued { .. } => "merge_queued",
            EventKind::MergeFinished { .. } => "merge_finished",
            EventKind::BatchTested { .. } => "batch_tested",
            EventKind::QueueMoved { .. } => "queue_moved",
            EventKind::TaskReimagined { .. } => "task_reimagined",
            EventKind::ConflictPredicted { .. } => "conflict_predicted",
            EventKind::TaskRequeued { .. } => "task_requeued",
            EventKind::TaskDeferred { .. } => "task_deferred",
            EventKind::Handoff { .. } => "handoff",
            EventKind::ApiTrouble { .. } => "api_trouble",
            EventKind::TaskReworked { .. } => "task_reworked",
            EventKind::TaskFailed { .. } => "task_failed",
            EventKind::TaskBlocked { .. } => "task_blocked",
            EventKind::TaskUnblocked => "task_unblocked",
            EventKind::SessionEnded { .. } => "session_ended",
            EventKind::WatchdogAlert { .. } => "watchdog_alert",
            EventKind::BudgetReached { .. } => "budget_reached",
            EventKind::ConcernRaised { .. } => "concern_raised",
            EventKind::ConcernDisposed { .. } => "concern_disposed",
            EventKind::PauseRequested { .. } => "pause_requested",
            EventKind::PauseDecided { .. } => "pause_decided",
            EventKind::ConcernReraised { .. } => "concern_reraised",
            EventKind::PauseReraised { .. } => "pause_reraised",
            EventKind::PauseTimedOut { .. } => "pause_timed_out",
            EventKind::AgentHeld { .. } => "agent_held",
            EventKind::ConvoyHeld { .. } => "convoy_held",
            EventKind::TeamStarted { .. } => "team_started",
            EventKind::AgentRetired { .. } => "agent_retired",
            EventKind::SwarmFrozen { .. } => "swarm_frozen",
            EventKind::SpeedChanged { .. } => "speed_changed",
            EventKind::DiskFull { .. } => "disk_full",
            EventKind::DiskSpaceReturned { .. } => "disk_space_returned",
            EventKind::AttemptReturned { .. } => "attempt_returned",
            EventKind::ExecutorFailed { .. } => "executor_failed",
            EventKind::TriageVerdict { .. } => "triage_verdict",
            EventKind::TaskTriaged { .. } => "task_triaged",
            EventKind::MergeJudged { .. } => "merge_judged",
            EventKind::WatchdogTuned { .. } => "watchdog_tuned",
            EventKind::NightStarted { .. } => "night_started",
            EventKind::NightClosed { .. } => "night_closed",
            EventKind::NightEnded => "night_ended",
            EventKind::BudgetRaised { .. } => "budget_raised",
            EventKind::IncidentOpened { .. } => "incident_opened",
            EventKind::IncidentFollowUp { .. } => "incident_follow_up",
            EventKind::TriageRefused { .. } => "triage_refused",
            EventKind::MailSent { .. } => "mail_sent",
            EventKind::MailDelivered { .. } => "mail_delivered",
            EventKind::MailRefused { .. } => "mail_refused",
            EventKind::TaskRouted { .. } => "task_routed",
            EventKind::IssueCommented { .. } => "issue_commented",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_name_matches_serde_tag() {
        let kinds = [
            EventKind::TaskDone,
            EventKind::SwarmFrozen { frozen: true },
            EventKind::ExecutorFailed {
                action: "worktree".into(),
                error: "a file is in the way".into(),
            },
            EventKind::UsageRecorded {
                usage: Usage::default(),
                cost: Money::ZERO,
            },
            EventKind::UsageMismatch {
                counted: Usage::default(),
                reported: Usage {
                    output: 1,
                    ..Usage::default()
                },
            },
        ];
        for k in kinds {
            let v = serde_json::to_value(&k).unwrap();
            assert_eq!(v["kind"], k.name());
        }
    }
}
