//! The engine: a deterministic state machine. Inputs go in with the time they
//! happen; events (to log and fold into state) and effects (for the executor)
//! come out. No I/O happens here.

pub mod accept;
mod budget;
mod clock;
mod host;
mod incident;
mod io;
mod issue;
mod lead;
mod mail;
mod operator;
mod outcome;
mod queue;
mod reraise;
mod review_ops;
mod routing;
mod scheduler;
mod session;
mod settings;
mod spend;
mod start;
mod task_index;
mod teams;
mod tick;
mod triage;
mod triage_llm;
mod trouble;
mod usage_check;
mod watch;

pub use clock::{Clock, RealClock, VirtualClock};
pub use io::{Effect, Input, Step};
pub use issue::COMMENT as ISSUE_COMMENT;
pub use mail::{MailSettings, MailTeam, Recipients, Roster, resolve as resolve_mail};
pub use operator::{Command, QueueEnd, check as check_command};
pub use reraise::InboxSettings;
pub use routing::{RoutingSettings, TIERS, TierSettings, default_tier};
pub use settings::{MergeSettings, Settings};
pub use teams::TeamSettings;

use crate::domain::protocol::{self, Signal};
use crate::domain::*;
use std::collections::{BTreeMap, BTreeSet};

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
    deadlines: crate::watchdog::Deadlines,
    /// Pending and queued tasks, and whether orphans may exist (`task_index.rs`).
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
    trouble_streak: BTreeMap<TaskId, Streak>,
    /// Sessions started by a handoff that have not yet made progress.
    fresh_handoffs: BTreeSet<SessionId>,
    /// The last progress note per task, for handoff summaries.
    last_progress: BTreeMap<TaskId, String>,
    /// Sessions that ended lately, for usage their process reports after.
    ended: BTreeMap<SessionId, (AgentId, TaskId)>,
    ended_order: std::collections::VecDeque<SessionId>,
    /// Their computed cost, including late usage.
    ended_cost: BTreeMap<SessionId, Money>,
    /// Sessions running on a model other than their agent's (a tier's).
    session_models: BTreeMap<SessionId, String>,
    /// Merged tasks whose issue comment is on its way.
    commenting: BTreeSet<TaskId>,
    /// Mail handed to sessions not started yet: delivered once they have.
    mail_pending: BTreeMap<SessionId, Vec<u64>>,
    /// Concerns triage's model was asked about: answered yet or not.
    triage_asked: BTreeMap<ConcernId, bool>,
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
    /// The model that served a call, when not the agent's own.
    pub model: Option<String>,
}

impl Attr {
    pub fn engine() -> Attr {
        Attr {
            actor: Actor::Engine,
            agent: None,
            task: None,
            session: None,
            model: None,
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
    pub fn model(mut self, m: &str) -> Attr {
        self.model = Some(m.to_string());
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
            Streak::replay(&mut e.live.trouble_streak, ev);
        }
        e.live.tasks = task_index::TaskIndex::of(&e.state);
        e.now = e.state.now;
        e
    }

    /// The engine [`Engine::from_events`] makes, from the fold of those
    /// events (the store's checkpoint and the log after it).
    pub fn from_fold(settings: Settings, state: SwarmState, facts: ResumeFacts) -> Engine {
        let mut e = Engine::new(settings);
        e.state = state;
        e.live.trouble_streak = facts.streaks;
        // What `from_events` builds beside the fold.
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
                self.on_started(&mut out, &session, EventKind::AgentPrompted { prompt })
            }
            Input::Spawned {
                session,
                pid,
                start_time,
            } => {
                self.on_started(
                    &mut out,
                    &session,
                    EventKind::AgentSpawned { pid, start_time },
                );
                self.mail_reached(&mut out, &session);
            }
            Input::Started { session } => self.mail_reached(&mut out, &session),
            Input::StartFailed { session, error } => {
                // Its mail was never read: the next session gets it.
                self.live.mail_pending.remove(&session);
                self.on_exit(&mut out, session, None, Some(error))
            }
            Input::ExecutorFailed {
                action,
                session,
                agent,
                task,
                error,
            } => {
                if action == issue::COMMENT
                    && let Some(t) = &task
                {
                    self.live.commenting.remove(t);
                }
                let attr = self.failure_attr(session, agent, task);
                self.on_executor_failed(&mut out, attr, action, error)
            }
            Input::DiskFull { path, free_mb } => self.on_disk_full(&mut out, path, free_mb),
            Input::DiskSpace { free_mb } => self.on_disk_space(&mut out, free_mb),
            Input::RepoConfigChanged {
                session,
                changes,
                restored,
            } => self.on_repo_config_changed(&mut out, session, changes, restored),
            Input::IssueCommented { task, url } => self.on_issue_commented(&mut out, &task, url),
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
                spent,
            } => {
                self.on_own_usage(&mut out, spent);
                self.on_ai_unreachable(&mut out, ai_unreachable);
                self.on_landed(&mut out, runs, results, error, held)
            }
            Input::TriageAnswered {
                concern,
                answer,
                spent,
            } => self.on_triage_answer(&mut out, concern, answer, spent),
        }
        self.after_input(&mut out);
        out
    }

    /// Rules that run after every input: budgets, the scheduler, the queue.
    fn after_input(&mut self, out: &mut Step) {
        self.check_day_budget(out);
        self.start_teams(out);
        self.schedule(out);
        self.advance_queue(out);
    }

    /// Whether anything can still happen without the operator: a working
    /// agent, gates or a merge in flight, or work the scheduler could start.
    pub fn can_progress(&self) -> bool {
        if !self.live.gating.is_empty()
            || !self.live.landing.is_empty()
            || !self.live.commenting.is_empty()
        {
            return true;
        }
        // Triage's model has yet to answer (its timeout bounds the wait).
        if self.live.triage_asked.values().any(|answered| !answered) {
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

    /// The model `session` of `agent` runs on: its tier's, or the agent's.
    pub(crate) fn model_of(&self, session: &SessionId, agent: &AgentId) -> String {
        match self.live.session_models.get(session) {
            Some(m) => m.clone(),
            None => self
                .state
                .agents
                .get(agent)
                .map(|a| a.model.clone())
                .unwrap_or_default(),
        }
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
                .model
                .or_else(|| {
                    let s = attr.session.as_ref()?;
                    self.live.session_models.get(s).cloned()
                })
                .or_else(|| {
                    attr.agent
                        .as_ref()
                        .and_then(|a| self.state.agents.get(a))
                        .map(|a| a.model.clone())
                }),
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
        // Every engine test checks the index against the state it indexes.
        #[cfg(test)]
        {
            let mut fresh = task_index::TaskIndex::of(&self.state);
            fresh.orphans_checked = self.live.tasks.orphans_checked;
            assert_eq!(self.live.tasks, fresh, "the task index after {ev:?}");
        }
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
}

#[cfg(test)]
mod landing_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod train_tests;
