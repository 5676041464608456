//! The engine's interface: what goes in ([`Input`]), and what comes out of
//! one step ([`Step`]: events for the log, [`Effect`]s for the executor).

use super::{Command, Signal};
use crate::domain::*;
use crate::merge::LandEntry;
use crate::merge::ai::AiSettings;

/// Something that happened outside the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A clock tick: time-based rules run (watchdog, scheduling).
    Tick,
    /// The operator did something.
    Operator(Command),
    /// A line of an agent's output (protocol lines included).
    AgentLine { session: SessionId, line: String },
    /// A runtime-level signal (a commit made on the agent's branch, usage
    /// parsed from a CLI's structured output).
    AgentSignal { session: SessionId, signal: Signal },
    /// The agent's process ended.
    AgentExited {
        session: SessionId,
        exit_code: Option<i32>,
    },
    /// The executor built the prompt a session was started with.
    Prompted { session: SessionId, prompt: String },
    /// The executor started a session's process: its group's pid and its
    /// start time (/proc/<pid>/stat field 22), so a restart can find it.
    Spawned {
        session: SessionId,
        pid: u32,
        start_time: u64,
    },
    /// The executor could not start a session (worktree, spawn).
    StartFailed { session: SessionId, error: String },
    /// A host without processes (the simulator) took a session: it has
    /// started as far as anyone can know, as `Spawned` says for a process.
    Started { session: SessionId },
    /// The executor could not carry out a step of an effect (`action`:
    /// `worktree`, `launch`, `commit`, `gate checkout`, ...): logged, and
    /// a concern for the operator.
    ExecutorFailed {
        action: &'static str,
        session: Option<SessionId>,
        agent: Option<AgentId>,
        task: Option<TaskId>,
        error: String,
    },
    /// Gates finished on a task's branch.
    GatesFinished {
        task: TaskId,
        passed: bool,
        gate: String,
        output: String,
        findings: Vec<GateFinding>,
        /// The files the branch changed against the target.
        changed: Vec<String>,
    },
    /// A batch of queue entries landed (or not): every gate run on a merged
    /// result, each entry's outcome, and an error that stopped the rest.
    Landed {
        runs: Vec<BatchRun>,
        results: Vec<(TaskId, MergeOutcome)>,
        error: Option<String>,
        /// The operator's checkout is on the target with changes to these
        /// files: entries without a result were held, still queued.
        held: Vec<String>,
        /// The `ai` tier's endpoint, when it could not be reached.
        ai_unreachable: Option<String>,
        /// What the `ai` tier's calls cost, by the entry they were made for.
        spent: Vec<(TaskId, ModelSpend)>,
    },
    /// A write failed for want of space (the log, a worktree, a merge, an
    /// agent's own): no new work starts until space returns.
    DiskFull { path: String, free_mb: u64 },
    /// Free space is back after a `DiskFull`.
    DiskSpace { free_mb: u64 },
    /// The repository's shared git config changed during a session; the
    /// runner put the recorded content back (`restored`) or could not.
    RepoConfigChanged {
        session: SessionId,
        changes: Vec<String>,
        restored: bool,
    },
    /// A task's merge was said on its GitHub issue (`url`: the comment).
    IssueCommented { task: TaskId, url: String },
    /// Triage's model answered about a concern: a verdict, or why its
    /// answer was refused (malformed, an error, no answer in time); what
    /// the call cost, when an answer came.
    TriageAnswered {
        concern: ConcernId,
        answer: Result<crate::domain::triage::ModelVerdict, String>,
        spent: Option<ModelSpend>,
    },
}

/// Work the executor performs and answers with new inputs.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Prepare the agent's worktree on `branch` and start its session.
    Start {
        agent: AgentId,
        session: SessionId,
        task: TaskId,
        branch: String,
        /// The task's earlier branch to continue from, if another agent had it.
        resume_from: Option<String>,
        /// Where a new branch starts when there is none to continue: the
        /// team's integration branch (made from the target's tip if it does
        /// not exist yet) for a coder's task and its lead's integration;
        /// none: the target.
        base: Option<String>,
        model: String,
        attempt: u32,
        /// A handoff: what the previous session did, for the new one's prompt.
        handoff: Option<String>,
        /// Mail delivered into this session, oldest first.
        mail: Vec<Mail>,
    },
    /// Stop a session (graceful; its work is committed on its branch first).
    Stop { session: SessionId, reason: String },
    /// Freeze a session where it stands (SIGSTOP for processes).
    Freeze { session: SessionId },
    /// Resume a frozen session.
    Thaw { session: SessionId },
    /// Tell a waiting agent the operator's decision on its pause point.
    Decide { session: SessionId, approved: bool },
    /// Run the gates on a task's branch: commands, then the path rules.
    RunGates {
        task: TaskId,
        agent: AgentId,
        branch: String,
        checks: Vec<String>,
        /// Owned scope to check changed paths against (empty: no check).
        scope: Vec<String>,
        protected: Vec<String>,
        /// What the branch's changes are measured against: the team's
        /// integration branch it started from (a coder's task, its lead's
        /// integration); none: the target.
        base: Option<String>,
    },
    /// Land a batch of queue entries on the target, or on a team's
    /// integration branch (`onto`; a batch never mixes the two): merge,
    /// gate the merged result, bisect a failure, move the branch only to a
    /// tree that passed.
    Land {
        entries: Vec<LandEntry>,
        onto: Option<String>,
        checks: Vec<String>,
        append_only: Vec<String>,
        ai: Option<AiSettings>,
        /// The entries in batches gated at once (`Train::ONE`: one batch).
        train: crate::merge::Train,
    },
    /// Say on a task's GitHub issue that it merged (a failure comes back
    /// as `ExecutorFailed`, action `issue comment`).
    CommentIssue {
        task: TaskId,
        issue: Box<IssueRef>,
        body: String,
    },
    /// Ask triage's model for a verdict on a concern: what the engine knows
    /// (`context`), and the output tail of `session` the executor adds.
    AskTriage {
        concern: ConcernId,
        session: Option<SessionId>,
        context: String,
        llm: AiSettings,
    },
}

/// What one engine step produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Step {
    pub events: Vec<Event>,
    pub effects: Vec<Effect>,
}

impl Step {
    pub fn extend(&mut self, other: Step) {
        self.events.extend(other.events);
        self.effects.extend(other.effects);
    }
}
