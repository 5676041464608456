//! The engine: a deterministic state machine. Inputs go in with the time they
//! happen; events (to log and fold into state) and effects (for the executor)
//! come out. No I/O happens here.

mod clock;
mod host;
mod operator;
mod queue;
mod scheduler;
mod settings;
mod spend;
mod task_index;
mod trouble;
mod usage_check;
mod watch;

pub use clock::{Clock, RealClock, VirtualClock};
pub use operator::{Command, QueueEnd, check as check_command};
pub use settings::{AiSettings, MergeSettings, Settings};

use crate::domain::*;
use crate::runtime::protocol::{self, Signal};
use crate::watchdog;
use std::collections::{BTreeMap, BTreeSet};

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
    /// Gates finished on a task's branch.
    GatesFinished {
        task: TaskId,
        passed: bool,
        gate: String,
        output: String,
        findings: Vec<Finding>,
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
        model: String,
        attempt: u32,
        /// A handoff: what the previous session did, for the new one's prompt.
        handoff: Option<String>,
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
    },
    /// Land a batch of queue entries on the target (merge, gate the merged
    /// result, bisect a failure, move the target only to a tree that passed).
    Land {
        entries: Vec<LandEntry>,
        checks: Vec<String>,
        append_only: Vec<String>,
        ai: Option<AiSettings>,
    },
}

/// One entry of a batch to land.
#[derive(Clone, Debug, PartialEq)]
pub struct LandEntry {
    pub task: TaskId,
    pub branch: String,
    pub message: String,
    /// Title and spec, for the `ai` tier.
    pub context: String,
}

/// One gate run on a merged result.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRun {
    pub tasks: Vec<TaskId>,
    pub base: String,
    pub passed: bool,
    pub gate: String,
    pub output: String,
}

/// Ended sessions remembered for late usage.
const ENDED_KEPT: usize = 512;

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

/// Live facts not kept in the log: they describe processes of this run and
/// are rebuilt by reconciliation after a restart.
#[derive(Clone, Debug, Default)]
struct Live {
    /// Sessions started by this process: session → (agent, task, start time).
    sessions: BTreeMap<SessionId, (AgentId, TaskId, Millis)>,
    /// Tasks whose gates are running.
    gating: BTreeSet<TaskId>,
    /// The entries of the batch landing now.
    landing: Vec<TaskId>,
    /// While the operator's checkout holds landings: when to look again.
    recheck_at: Millis,
    /// Owned scopes compiled for conflict prediction (specs never change).
    scopes: BTreeMap<TaskId, Scope>,
    /// Sessions frozen by the operator (one by one or the whole swarm).
    frozen: BTreeSet<SessionId>,
    /// When each live session next needs a watchdog check (`watch.rs`).
    deadlines: watchdog::Deadlines,
    /// Queued tasks, and whether orphans may exist (`task_index.rs`).
    tasks: task_index::TaskIndex,
    /// Malformed protocol lines seen, per agent.
    malformed: BTreeMap<AgentId, u32>,
    /// Lines from sessions no longer live (late output after a stop).
    stale_lines: u64,
    /// Cost computed per live session, to compare with what a CLI reports.
    session_cost: BTreeMap<SessionId, Money>,
    /// Sessions whose API refused or broke off: their end is not the task's
    /// fault. With what the API answered last.
    api_trouble: BTreeMap<SessionId, String>,
    /// API troubles in a row per task, for the backoff and its limit.
    trouble_streak: BTreeMap<TaskId, trouble::Streak>,
    /// Sessions started by a handoff that have not yet made progress.
    fresh_handoffs: BTreeSet<SessionId>,
    /// The last progress note per task, for handoff summaries.
    last_progress: BTreeMap<TaskId, String>,
    /// Sessions that ended lately, for usage their process reports after.
    ended: BTreeMap<SessionId, (AgentId, TaskId)>,
    ended_order: std::collections::VecDeque<SessionId>,
    /// Their computed cost, including late usage.
    ended_cost: BTreeMap<SessionId, Money>,
}

pub struct Engine {
    state: SwarmState,
    settings: Settings,
    live: Live,
    now: Millis,
}

/// Who an event is about; convoy and model are filled in from state.
#[derive(Clone, Debug)]
pub(crate) struct Attr {
    pub actor: Actor,
    pub agent: Option<AgentId>,
    pub task: Option<TaskId>,
    pub session: Option<SessionId>,
}

impl Attr {
    pub fn engine() -> Attr {
        Attr {
            actor: Actor::Engine,
            agent: None,
            task: None,
            session: None,
        }
    }
    pub fn by(actor: Actor) -> Attr {
        Attr {
            actor,
            ..Attr::engine()
        }
    }
    pub fn agent(mut self, a: &AgentId) -> Attr {
        self.agent = Some(a.clone());
        self
    }
    pub fn task(mut self, t: &TaskId) -> Attr {
        self.task = Some(t.clone());
        self
    }
    pub fn session(mut self, s: &SessionId) -> Attr {
        self.session = Some(s.clone());
        self
    }
}

impl Engine {
    /// An engine with an empty log.
    pub fn new(settings: Settings) -> Engine {
        Engine {
            state: SwarmState::default(),
            settings,
            live: Live::default(),
            now: 0,
        }
    }

    /// An engine whose state is the fold of an existing log.
    pub fn from_events<'a>(
        settings: Settings,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Engine {
        let mut e = Engine::new(settings);
        for ev in events {
            e.state.apply(ev);
            trouble::Streak::replay(&mut e.live.trouble_streak, ev);
        }
        e.live.tasks = task_index::TaskIndex::of(&e.state);
        e.now = e.state.now;
        e
    }

    pub fn state(&self) -> &SwarmState {
        &self.state
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    /// True when the log holds a started swarm.
    pub fn is_started(&self) -> bool {
        self.state.events > 0
    }

    /// Start a new swarm: register the pool and the backlog.
    pub fn bootstrap(&mut self, now: Millis, backlog: &[TaskSpec]) -> Step {
        self.now = now;
        let mut out = Step::default();
        self.emit(
            &mut out,
            Attr::engine(),
            EventKind::SwarmStarted {
                target: self.settings.target.clone(),
                seed: self.settings.seed,
            },
        );
        self.register_agents(&mut out);
        for spec in backlog {
            self.emit(
                &mut out,
                Attr::by(Actor::Operator).task(&spec.id),
                EventKind::TaskAdded { spec: spec.clone() },
            );
        }
        self.after_input(&mut out);
        out
    }

    fn register_agents(&mut self, out: &mut Step) {
        for n in 1..=self.settings.agents {
            let id = AgentId::builder(n);
            if self.state.agents.contains_key(&id) {
                continue;
            }
            let model = self.settings.models[(n - 1) % self.settings.models.len()].clone();
            let runtime = self.settings.runtime.clone();
            self.emit(
                out,
                Attr::engine().agent(&id),
                EventKind::AgentRegistered { model, runtime },
            );
        }
    }

    /// After a restart on an existing log: sessions the log shows as running
    /// but that are not `alive` are lost; their tasks go back to the queue and
    /// resume from their branches. Gates and merges in flight are re-run.
    pub fn reconcile(&mut self, now: Millis, alive: &[SessionId]) -> Step {
        self.now = now.max(self.state.now);
        trouble::Streak::resume(&mut self.live.trouble_streak, self.now);
        let mut out = Step::default();
        let lost: Vec<(AgentId, SessionId, Option<TaskId>)> = self
            .state
            .agents
            .values()
            .filter_map(|a| {
                let s = a.session.clone()?;
                (!alive.contains(&s)).then(|| (a.id.clone(), s, a.task.clone()))
            })
            .collect();
        self.emit(
            &mut out,
            Attr::engine(),
            EventKind::SwarmResumed {
                lost_sessions: lost.len() as u32,
            },
        );
        self.register_agents(&mut out);
        for (agent, session, task) in lost {
            let attr = Attr::engine().agent(&agent).session(&session);
            let attr = match &task {
                Some(t) => attr.task(t),
                None => attr,
            };
            self.emit(
                &mut out,
                attr.clone(),
                EventKind::WatchdogAlert {
                    check: Check::ProcessGone,
                    detail: "session not running after shiftboss restarted".into(),
                },
            );
            self.emit(
                &mut out,
                attr.clone(),
                EventKind::SessionEnded {
                    exit_code: None,
                    reason: "lost when shiftboss stopped".into(),
                },
            );
            if let Some(t) = task
                && self.state.tasks[&t].status == TaskStatus::InProgress
            {
                self.emit(
                    &mut out,
                    attr,
                    EventKind::TaskRequeued {
                        reason: "session lost when shiftboss stopped; resumes from its branch"
                            .into(),
                    },
                );
            }
        }
        // Work that was between steps when the process died runs again.
        let gating: Vec<TaskId> = self
            .state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Gating)
            .map(|t| t.spec.id.clone())
            .collect();
        for t in gating {
            self.start_gates(&mut out, &t);
        }
        if self.state.frozen {
            // Nothing is running any more; the swarm stays frozen until thawed.
        }
        self.after_input(&mut out);
        out
    }

    /// Fold an event read from a log another process writes (a read-only
    /// view); nothing is decided.
    pub fn fold(&mut self, ev: &Event) {
        self.apply(ev);
        self.now = self.now.max(self.state.now);
    }

    /// Take in a task another process added to the log (`shiftboss task add`
    /// while the swarm runs). Returns whether it was new.
    pub fn absorb_task(&mut self, ev: &Event) -> bool {
        match &ev.kind {
            EventKind::TaskAdded { spec } if !self.state.tasks.contains_key(&spec.id) => {
                self.apply(ev);
                true
            }
            _ => false,
        }
    }

    /// Feed one input at time `now`.
    pub fn step(&mut self, now: Millis, input: Input) -> Step {
        self.now = now.max(self.now);
        let mut out = Step::default();
        match input {
            Input::Tick => self.on_tick(&mut out),
            Input::Operator(cmd) => self.on_command(&mut out, cmd),
            Input::AgentLine { session, line } => self.on_line(&mut out, session, line),
            Input::AgentSignal { session, signal } => self.on_signal(&mut out, session, signal),
            Input::AgentExited { session, exit_code } => {
                self.on_exit(&mut out, session, exit_code, None)
            }
            Input::Prompted { session, prompt } => {
                if let Some(attr) = self.session_attr(&session) {
                    self.emit(
                        &mut out,
                        Attr {
                            actor: Actor::Engine,
                            ..attr
                        },
                        EventKind::AgentPrompted { prompt },
                    );
                }
            }
            Input::Spawned {
                session,
                pid,
                start_time,
            } => {
                if let Some(attr) = self.session_attr(&session) {
                    self.emit(
                        &mut out,
                        Attr {
                            actor: Actor::Engine,
                            ..attr
                        },
                        EventKind::AgentSpawned { pid, start_time },
                    );
                }
            }
            Input::StartFailed { session, error } => {
                self.on_exit(&mut out, session, None, Some(error))
            }
            Input::DiskFull { path, free_mb } => self.on_disk_full(&mut out, path, free_mb),
            Input::DiskSpace { free_mb } => self.on_disk_space(&mut out, free_mb),
            Input::RepoConfigChanged {
                session,
                changes,
                restored,
            } => self.on_repo_config_changed(&mut out, session, changes, restored),
            Input::GatesFinished {
                task,
                passed,
                gate,
                output,
                findings,
                changed,
            } => self.on_gates(&mut out, task, passed, gate, output, findings, changed),
            Input::Landed {
                runs,
                results,
                error,
                held,
                ai_unreachable,
            } => {
                self.on_ai_unreachable(&mut out, ai_unreachable);
                self.on_landed(&mut out, runs, results, error, held)
            }
        }
        self.after_input(&mut out);
        out
    }

    /// Rules that run after every input: budgets, the scheduler, the queue.
    fn after_input(&mut self, out: &mut Step) {
        self.check_day_budget(out);
        self.schedule(out);
        self.advance_queue(out);
    }

    /// Whether anything can still happen without the operator: a working
    /// agent, gates or a merge in flight, or work the scheduler could start.
    pub fn can_progress(&self) -> bool {
        if !self.live.gating.is_empty() || !self.live.landing.is_empty() {
            return true;
        }
        if self.state.frozen {
            return false;
        }
        // A full disk is weather: the run waits for space to return.
        if self.state.disk_full.is_some() {
            return true;
        }
        let working = self.state.agents.values().any(|a| {
            a.phase == AgentPhase::Working
                && !a.held
                && a.session.as_ref().is_some_and(|s| {
                    self.live.sessions.contains_key(s) && !self.live.frozen.contains(s)
                })
        });
        // A task waiting out a backoff will be startable.
        let deferred = self.state.tasks.values().any(|t| {
            t.status == TaskStatus::Pending && t.not_before.is_some_and(|nb| nb > self.now)
        });
        working || deferred || self.has_startable_work() || self.queue_ready()
    }

    /// Live sessions: (session, agent, task).
    pub fn sessions(&self) -> impl Iterator<Item = (&SessionId, &AgentId, &TaskId)> {
        self.live.sessions.iter().map(|(s, (a, t, _))| (s, a, t))
    }

    pub fn is_live(&self, s: &SessionId) -> bool {
        self.live.sessions.contains_key(s)
    }

    pub fn is_session_frozen(&self, s: &SessionId) -> bool {
        self.live.frozen.contains(s)
    }

    /// Append an event: fill in attribution, fold it into state, record it.
    pub(crate) fn emit(&mut self, out: &mut Step, attr: Attr, kind: EventKind) {
        let convoy = attr
            .task
            .as_ref()
            .and_then(|t| self.state.tasks.get(t))
            .map(|t| t.spec.convoy.clone())
            .or_else(|| match &kind {
                EventKind::TaskAdded { spec } => Some(spec.convoy.clone()),
                _ => None,
            });
        let model = match &kind {
            EventKind::AgentRegistered { model, .. } => Some(model.clone()),
            _ => attr
                .agent
                .as_ref()
                .and_then(|a| self.state.agents.get(a))
                .map(|a| a.model.clone()),
        };
        let ev = Event {
            at: self.now,
            actor: attr.actor,
            agent: attr.agent,
            task: attr.task,
            convoy,
            model,
            session: attr.session,
            kind,
        };
        self.apply(&ev);
        out.events.push(ev);
    }

    /// Fold an event into state, keeping the task index.
    fn apply(&mut self, ev: &Event) {
        let before = task_index::TaskIndex::before(&self.state, ev);
        self.state.apply(ev);
        self.live.tasks.folded(&self.state, ev, before);
    }

    /// Emit an event whose convoy is given rather than derived from a task.
    pub(crate) fn emit_convoy(
        &mut self,
        out: &mut Step,
        actor: Actor,
        convoy: &ConvoyId,
        kind: EventKind,
    ) {
        let ev = Event {
            at: self.now,
            actor,
            agent: None,
            task: None,
            convoy: Some(convoy.clone()),
            model: None,
            session: None,
            kind,
        };
        self.apply(&ev);
        out.events.push(ev);
    }

    pub(crate) fn raise(
        &mut self,
        out: &mut Step,
        attr: Attr,
        source: ConcernSource,
        impact: Impact,
        confidence: f64,
        summary: String,
    ) {
        let id = self.state.next_concern_id();
        let routing = Routing::for_concern(confidence, impact);
        self.emit(
            out,
            attr,
            EventKind::ConcernRaised {
                id,
                source,
                summary,
                confidence,
                impact,
                routing,
            },
        );
    }

    /// Attribution for a live session, or `None` if it is not live.
    fn session_attr(&self, session: &SessionId) -> Option<Attr> {
        let (agent, task, _) = self.live.sessions.get(session)?;
        Some(
            Attr::by(Actor::Agent)
                .agent(agent)
                .task(task)
                .session(session),
        )
    }

    fn on_line(&mut self, out: &mut Step, session: SessionId, line: String) {
        let Some(attr) = self.session_attr(&session) else {
            self.live.stale_lines += 1;
            return;
        };
        let agent = attr.agent.clone().expect("session has an agent");
        let parsed = protocol::parse(&line);
        if let Some(a) = self.state.agents.get_mut(&agent) {
            a.last_output_at = self.now;
            let flood = &self.settings.watchdog.flood;
            a.output.count(flood, self.now, 1, line.len() as u64 + 1);
            // Loop detection looks at what the agent says, not its protocol lines.
            if parsed.is_none() {
                if a.last_line == line {
                    a.repeats += 1;
                } else {
                    a.repeats = 1;
                    a.last_line.clone_from(&line);
                }
            }
        }
        self.check_if_tripped(&session, &agent);
        match parsed {
            None => {}
            Some(Ok(Signal::Usage { model, usage })) => {
                // An agent's own claim: refused when one call could not do it.
                let m = model.clone().unwrap_or_else(|| {
                    let a = self.state.agents.get(&agent);
                    a.map(|a| a.model.clone()).unwrap_or_default()
                });
                match usage_check::impossible_call(&self.settings, &m, &usage) {
                    Some(why) => self.refuse_usage(out, attr, &m, why),
                    None => self.on_signal(out, session, Signal::Usage { model, usage }),
                }
            }
            Some(Ok(signal)) => self.on_signal(out, session, signal),
            Some(Err(e)) => {
                let n = self.live.malformed.entry(agent.clone()).or_default();
                *n += 1;
                if let Some(a) = self.state.agents.get_mut(&agent) {
                    a.malformed = *n;
                }
                // One concern per agent for its first malformed line; the
                // count keeps growing on the agent's record.
                if *n == 1 {
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Protocol,
                        Impact::Low,
                        1.0,
                        format!("malformed protocol line: {} ({})", e.message, e.line),
                    );
                }
            }
        }
    }

    fn on_signal(&mut self, out: &mut Step, session: SessionId, signal: Signal) {
        let Some(attr) = self.session_attr(&session) else {
            // A session that said it was done may still report the tokens
            // and cost of its last call: they are counted, never dropped.
            if let Some((agent, task)) = self.live.ended.get(&session).cloned() {
                let attr = Attr::by(Actor::Agent)
                    .agent(&agent)
                    .task(&task)
                    .session(&session);
                match signal {
                    Signal::Usage { model, usage } => self.on_usage(out, attr, model, usage),
                    Signal::Resources { .. }
                    | Signal::CostReported { .. }
                    | Signal::UsageMismatch { .. } => {
                        self.on_accounting(out, attr, &session, signal)
                    }
                    _ => self.live.stale_lines += 1,
                }
                return;
            }
            self.live.stale_lines += 1;
            return;
        };
        let agent = attr.agent.clone().expect("session has an agent");
        let task = attr.task.clone().expect("session has a task");
        if let Some(a) = self.state.agents.get_mut(&agent) {
            a.last_output_at = self.now;
        }
        match signal {
            Signal::Progress { percent, note } => {
                self.live.fresh_handoffs.remove(&session);
                self.live.last_progress.insert(task.clone(), note.clone());
                self.emit(out, attr, EventKind::Progress { percent, note })
            }
            Signal::Concern {
                impact,
                confidence,
                summary,
            } => self.raise(out, attr, ConcernSource::Agent, impact, confidence, summary),
            Signal::PauseRequest { reason } => {
                let id = self.state.next_pause_id();
                self.emit(
                    out,
                    attr,
                    EventKind::PauseRequested {
                        id,
                        pause: PauseKind::AgentRequest,
                        reason,
                    },
                );
            }
            Signal::Usage { model, usage } => {
                // The API served a call: refusals are no longer in a row.
                self.live.trouble_streak.remove(&task);
                self.on_usage(out, attr, model, usage)
            }
            Signal::ApiTrouble { trouble, detail } => {
                self.emit(
                    out,
                    attr,
                    EventKind::ApiTrouble {
                        trouble: trouble.to_string(),
                        detail: detail.clone(),
                    },
                );
                self.live.api_trouble.insert(session, detail);
            }
            Signal::OutputDropped { bytes } => {
                if let Some(a) = self.state.agents.get_mut(&agent) {
                    a.dropped_bytes = a.dropped_bytes.saturating_add(bytes);
                    let flood = &self.settings.watchdog.flood;
                    a.output.count(flood, self.now, 0, bytes);
                }
                self.check_if_tripped(&session, &agent);
            }
            Signal::Resources { .. }
            | Signal::CostReported { .. }
            | Signal::UsageMismatch { .. } => self.on_accounting(out, attr, &session, signal),
            Signal::Commit {
                commit,
                files,
                paths,
            } => {
                self.live.fresh_handoffs.remove(&session);
                self.emit(
                    out,
                    attr,
                    EventKind::CommitMade {
                        commit,
                        files,
                        paths,
                    },
                )
            }
            Signal::Done { .. } => {
                self.live.trouble_streak.remove(&task);
                self.emit(out, attr.clone(), EventKind::TaskDone);
                self.end_session(out, &session, Some(0), "task done".into());
                self.start_gates(out, &task);
            }
            Signal::Failed { reason, exit_code } => {
                let trouble = self.live.api_trouble.remove(&session);
                self.end_session(out, &session, exit_code, format!("agent gave up: {reason}"));
                if let Some(answer) = trouble {
                    self.defer_after_trouble(out, &task, &agent, answer);
                } else {
                    self.retry_or_fail(out, &task, &agent, format!("agent gave up: {reason}"));
                }
            }
        }
    }

    /// What a session's process used and what its CLI says it cost: recorded
    /// whether the session is live or just ended.
    fn on_accounting(&mut self, out: &mut Step, attr: Attr, session: &SessionId, signal: Signal) {
        match signal {
            Signal::Resources {
                peak_rss_kib,
                wall_ms,
            } => self.emit(
                out,
                Attr {
                    actor: Actor::Engine,
                    ..attr
                },
                EventKind::ProcessStats {
                    peak_rss_kib,
                    wall_ms,
                },
            ),
            Signal::CostReported { usd } => {
                let computed = self
                    .live
                    .session_cost
                    .get(session)
                    .or_else(|| self.live.ended_cost.get(session))
                    .copied()
                    .unwrap_or_default();
                self.emit(
                    out,
                    attr,
                    EventKind::CostReported {
                        reported: Money::from_dollars(usd),
                        computed,
                    },
                );
            }
            Signal::UsageMismatch { counted, reported } => {
                self.emit(out, attr, EventKind::UsageMismatch { counted, reported })
            }
            _ => {}
        }
    }

    fn on_exit(
        &mut self,
        out: &mut Step,
        session: SessionId,
        code: Option<i32>,
        error: Option<String>,
    ) {
        let Some(attr) = self.session_attr(&session) else {
            return;
        };
        let agent = attr.agent.clone().expect("session has an agent");
        let task = attr.task.clone().expect("session has a task");
        if let Some(answer) = self.live.api_trouble.remove(&session) {
            self.end_session(out, &session, code, "ended after API trouble".into());
            self.defer_after_trouble(out, &task, &agent, answer);
            return;
        }
        let detail = match (&error, code) {
            (Some(e), _) => format!("could not start: {e}"),
            (None, Some(c)) => format!("process exited with code {c} before it was done"),
            (None, None) => "process killed by a signal before it was done".into(),
        };
        if self.state.disk_full.is_some() {
            self.end_session(out, &session, code, detail.clone());
            self.set_back_for_weather(out, &task, Some(&agent), detail);
            return;
        }
        self.emit(
            out,
            attr.clone(),
            EventKind::WatchdogAlert {
                check: Check::ProcessGone,
                detail: detail.clone(),
            },
        );
        self.end_session(out, &session, code, detail.clone());
        self.retry_or_fail(out, &task, &agent, detail);
        if error.is_some() && self.state.tasks[&task].status == TaskStatus::Pending {
            // What stopped the start (a lock, a worktree in use) needs time
            // to clear: the next try waits, longer each time.
            let attempts = self.state.tasks[&task].attempts.max(1);
            let delay = ((5 * SECOND) << (attempts - 1).min(6)).min(5 * MINUTE);
            let until = self.now + delay;
            self.emit(
                out,
                Attr::engine().agent(&agent).task(&task),
                EventKind::TaskDeferred { until },
            );
        }
    }

    /// End a live session in the log and forget it.
    pub(crate) fn end_session(
        &mut self,
        out: &mut Step,
        session: &SessionId,
        code: Option<i32>,
        reason: String,
    ) {
        let Some((agent, task, _)) = self.live.sessions.remove(session) else {
            return;
        };
        self.live.frozen.remove(session);
        self.live.fresh_handoffs.remove(session);
        let cost = self.live.session_cost.remove(session).unwrap_or_default();
        self.live
            .ended
            .insert(session.clone(), (agent.clone(), task.clone()));
        self.live.ended_cost.insert(session.clone(), cost);
        self.live.ended_order.push_back(session.clone());
        if self.live.ended_order.len() > ENDED_KEPT
            && let Some(old) = self.live.ended_order.pop_front()
        {
            self.live.ended.remove(&old);
            self.live.ended_cost.remove(&old);
        }
        self.emit(
            out,
            Attr::engine().agent(&agent).task(&task).session(session),
            EventKind::SessionEnded {
                exit_code: code,
                reason,
            },
        );
    }

    /// Stop a live session: the executor stops the process (its work is
    /// committed on its branch first) and the log records why.
    pub(crate) fn stop_session(&mut self, out: &mut Step, session: &SessionId, reason: String) {
        if !self.live.sessions.contains_key(session) {
            return;
        }
        out.effects.push(Effect::Stop {
            session: session.clone(),
            reason: reason.clone(),
        });
        self.end_session(out, session, None, reason);
    }

    /// After a failed attempt: back to the queue, or failed after too many.
    pub(crate) fn retry_or_fail(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: &AgentId,
        reason: String,
    ) {
        let attempts = self.state.tasks[task].attempts;
        let attr = Attr::engine().agent(agent).task(task);
        if attempts >= self.settings.max_attempts {
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskFailed {
                    reason: format!(
                        "{reason} (attempt {attempts} of {})",
                        self.settings.max_attempts
                    ),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Watchdog,
                Impact::High,
                0.9,
                format!("{task} failed after {attempts} attempts: {reason}"),
            );
            self.block_dependents(out, task);
        } else {
            self.emit(
                out,
                attr,
                EventKind::TaskRequeued {
                    reason: format!("{reason}; resumes from its branch"),
                },
            );
        }
    }

    /// Hand a session near the end of its context window over to a fresh
    /// session of the same agent on the same worktree and branch.
    pub(crate) fn handoff(
        &mut self,
        out: &mut Step,
        session: &SessionId,
        agent: &AgentId,
        task: &TaskId,
        share: f64,
    ) {
        if self.live.fresh_handoffs.contains(session) {
            self.handoff_refused(out, session, agent, task, share);
            return;
        }
        let t = &self.state.tasks[task];
        let note = self
            .live
            .last_progress
            .get(task)
            .cloned()
            .unwrap_or_else(|| "none reported".into());
        let summary = format!(
            "You continue {task} ({title}) after a previous session ({session}) used {pct:.0}% of its context window. \
             Its work so far is committed on branch {branch}: read the branch's log and its diff against the target before going on. \
             The last progress it reported: {note}.",
            title = t.spec.title,
            pct = share * 100.0,
            branch = t.branch.clone().unwrap_or_default(),
        );
        self.emit(
            out,
            Attr::engine().agent(agent).task(task).session(session),
            EventKind::Handoff {
                share,
                summary: summary.clone(),
            },
        );
        self.stop_session(
            out,
            session,
            format!("handed off at {:.0}% of its context window", share * 100.0),
        );
        self.assign(out, task, agent, Some(summary));
        if let Some(Effect::Start { session, .. }) = out.effects.last() {
            self.live.fresh_handoffs.insert(session.clone());
        }
    }

    /// Block every task that (transitively) waits on a failed or blocked one.
    pub(crate) fn block_dependents(&mut self, out: &mut Step, failed: &TaskId) {
        let mut frontier = vec![failed.clone()];
        while let Some(f) = frontier.pop() {
            let dependents: Vec<TaskId> = self
                .state
                .task_order
                .iter()
                .filter(|id| {
                    let t = &self.state.tasks[*id];
                    t.status == TaskStatus::Pending && t.spec.after.contains(&f)
                })
                .cloned()
                .collect();
            for d in dependents {
                self.emit(
                    out,
                    Attr::engine().task(&d),
                    EventKind::TaskBlocked {
                        reason: format!("waits on {f}, which cannot finish"),
                    },
                );
                frontier.push(d);
            }
        }
    }

    /// A pending task whose dependency failed or is blocked cannot start:
    /// it is blocked too (a task added after its dependency failed).
    fn block_orphans(&mut self, out: &mut Step) {
        // Only a changed status or a new task can make an orphan.
        if std::mem::replace(&mut self.live.tasks.orphans_checked, true) {
            return;
        }
        let orphans: Vec<(TaskId, TaskId)> = self
            .state
            .task_order
            .iter()
            .filter_map(|id| {
                let t = &self.state.tasks[id];
                if t.status != TaskStatus::Pending {
                    return None;
                }
                t.spec
                    .after
                    .iter()
                    .find(|d| {
                        self.state.tasks.get(*d).is_some_and(|d| {
                            matches!(d.status, TaskStatus::Failed | TaskStatus::Blocked)
                        })
                    })
                    .map(|d| (id.clone(), d.clone()))
            })
            .collect();
        for (t, d) in orphans {
            self.emit(
                out,
                Attr::engine().task(&t),
                EventKind::TaskBlocked {
                    reason: format!("waits on {d}, which cannot finish"),
                },
            );
        }
    }

    fn on_tick(&mut self, out: &mut Step) {
        self.block_orphans(out);
        if self.state.frozen {
            return;
        }
        let due = self.live.deadlines.take_due(self.now);
        let findings = watchdog::t1_checks(
            &self.state,
            &self.settings.watchdog,
            self.now,
            due.iter()
                .filter(|s| !self.live.frozen.contains(*s))
                .filter_map(|s| self.live.sessions.get_key_value(s))
                .map(|(s, (a, t, at))| (s, a, t, *at)),
        );
        for f in findings {
            let attr = Attr::engine()
                .agent(&f.agent)
                .task(&f.task)
                .session(&f.session);
            self.emit(
                out,
                attr.clone(),
                EventKind::WatchdogAlert {
                    check: f.check,
                    detail: f.detail.clone(),
                },
            );
            match f.check {
                Check::OverTime => {
                    self.stop_session(out, &f.session, f.detail.clone());
                    self.emit(
                        out,
                        Attr::engine().task(&f.task),
                        EventKind::TaskBlocked {
                            reason: format!("{}; work kept on its branch", f.detail),
                        },
                    );
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Watchdog,
                        Impact::High,
                        0.6,
                        format!("{} stopped on {}: {}", f.agent, f.task, f.detail),
                    );
                    self.block_dependents(out, &f.task);
                }
                _ => {
                    self.stop_session(out, &f.session, f.detail.clone());
                    self.retry_or_fail(out, &f.task, &f.agent, f.detail.clone());
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Watchdog,
                        Impact::Medium,
                        0.8,
                        format!("{} restarted on {}: {}", f.agent, f.task, f.detail),
                    );
                }
            }
        }
        self.reschedule_checks(due);
    }
}

#[cfg(test)]
mod landing_tests;
#[cfg(test)]
mod tests;
