//! Swarm state as a fold over events. Replaying a log through
//! [`SwarmState::apply`] rebuilds exactly the state the engine had.

use super::rows::{MergeRecord, Rows, Stamp, Touched, mark};
use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod agents;
pub(super) mod fit;
mod inbox;
mod incidents;
pub(super) mod mail;
mod merges;
mod review;
mod spend;
mod tasks;
mod team_plan;
mod teams;
pub use team_plan::TeamPlan;
pub use teams::{TeamFacts, TeamFigures};
mod verdicts;

/// Where an agent of the pool stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentPhase {
    Idle,
    Working,
    /// Working, but stopped at a pause point.
    Waiting,
    /// Out of the pool for good (budget spent, killed by the operator).
    Retired,
}

impl AgentPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentPhase::Idle => "idle",
            AgentPhase::Working => "working",
            AgentPhase::Waiting => "waiting",
            AgentPhase::Retired => "retired",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentState {
    pub id: AgentId,
    pub model: String,
    pub runtime: String,
    pub phase: AgentPhase,
    /// Held by the operator: a working agent is frozen, an idle one gets no work.
    pub held: bool,
    pub task: Option<TaskId>,
    pub session: Option<SessionId>,
    pub sessions: u32,
    pub usage: Usage,
    pub cost: Money,
    pub tasks_merged: u32,
    pub tasks_failed: u32,
    pub rework: u32,
    pub alerts: u32,
    pub last_alert: Option<(Check, Millis)>,
    /// The last alert's task and detail.
    #[serde(default)]
    pub last_alert_about: Option<(Option<TaskId>, String)>,
    /// The tasks it was given, each with its latest attempt, oldest first.
    #[serde(default)]
    pub given: Vec<(TaskId, u32)>,
    /// Why it left the pool, once retired.
    #[serde(default)]
    pub retired_because: Option<String>,
    /// API refusals seen (rate limits, overload, server errors, cut streams).
    pub api_troubles: u32,
    /// Tokens in the context of the agent's last call.
    pub context_tokens: u64,
    /// What the agent's CLI itself reported its runs cost.
    pub reported_cost: Money,
    /// The highest resident memory of its processes, KiB.
    pub peak_rss_kib: u64,
    pub handoffs: u32,
    /// Live only (not from the log): when the agent last printed anything.
    pub last_output_at: Millis,
    /// Live only: how many times in a row the last line repeated.
    pub repeats: u32,
    /// Live only: the last output line.
    pub last_line: String,
    /// Live only: output counted for the output-flood check.
    pub output: super::flood::OutputWindow,
    /// Live only: malformed protocol lines seen.
    pub malformed: u32,
    /// Live only: bytes dropped past the line cap of overlong lines.
    pub dropped_bytes: u64,
}

impl AgentState {
    fn new(id: AgentId, model: String, runtime: String, at: Millis) -> Self {
        Self {
            id,
            model,
            runtime,
            phase: AgentPhase::Idle,
            held: false,
            task: None,
            session: None,
            sessions: 0,
            usage: Usage::default(),
            cost: Money::ZERO,
            tasks_merged: 0,
            tasks_failed: 0,
            rework: 0,
            alerts: 0,
            last_alert: None,
            last_alert_about: None,
            retired_because: None,
            given: Vec::new(),
            api_troubles: 0,
            context_tokens: 0,
            reported_cost: Money::ZERO,
            peak_rss_kib: 0,
            handoffs: 0,
            last_output_at: at,
            repeats: 0,
            last_line: String::new(),
            output: Default::default(),
            malformed: 0,
            dropped_bytes: 0,
        }
    }

    /// Has a live session (working or waiting at a pause point).
    pub fn is_busy(&self) -> bool {
        matches!(self.phase, AgentPhase::Working | AgentPhase::Waiting)
    }
}

/// A convoy's progress: its tasks by status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConvoyProgress {
    pub convoy: ConvoyId,
    pub total: u32,
    pub by_status: BTreeMap<TaskStatus, u32>,
    pub cost: Money,
}

impl ConvoyProgress {
    pub fn count(&self, s: TaskStatus) -> u32 {
        self.by_status.get(&s).copied().unwrap_or(0)
    }

    /// A convoy that cannot finish on its own: it has a failed or blocked member.
    pub fn is_stranded(&self) -> bool {
        self.count(TaskStatus::Failed) + self.count(TaskStatus::Blocked) > 0
            && self.count(TaskStatus::Merged) < self.total
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SwarmState {
    pub target: String,
    pub seed: u64,
    pub started_at: Millis,
    /// Time of the last event applied.
    pub now: Millis,
    pub events: u64,
    pub frozen: bool,
    pub held_convoys: BTreeSet<ConvoyId>,
    pub tasks: BTreeMap<TaskId, Task>,
    /// Task ids in the order they were added.
    pub task_order: Vec<TaskId>,
    /// Convoys in the order they first appeared.
    pub convoys: Vec<ConvoyId>,
    pub agents: BTreeMap<AgentId, AgentState>,
    pub concerns: Vec<Concern>,
    pub pauses: Vec<PausePoint>,
    pub spend_total: Money,
    /// Spend of the current day and the day's index since the epoch.
    pub spend_day: Money,
    pub day: i64,
    pub spend_by_model: BTreeMap<String, Money>,
    /// Spend per minute, oldest first: (minute since epoch, spend).
    pub spend_by_minute: Vec<(i64, Money)>,
    pub usage_total: Usage,
    /// What shiftboss's own model calls spent (the `ai` tier), within the
    /// totals above.
    #[serde(default)]
    pub spend_own: Money,
    #[serde(default)]
    pub usage_own: Usage,
    pub merge_seq: u64,
    pub merges: u32,
    pub conflicts: u32,
    /// Commits the agents made on their branches (`commit_made`).
    pub commits: u64,
    /// Operator moves in the merge queue so far (orders later moves first).
    pub queue_moves: i64,
    /// The day's soft budget limit was reached: no new work starts.
    pub day_soft_reached: bool,
    pub day_hard_reached: bool,
    /// A write failed for want of space at this path: no new work starts.
    pub disk_full: Option<String>,
    /// The night shift under way, if any.
    #[serde(default)]
    pub night: Option<super::review::Night>,
    /// Tokens per model (the `usage_by_model` table).
    pub usage_by_model: BTreeMap<String, Usage>,
    /// Every run of the gates on a merged result, in log order (shared:
    /// snapshots clone the state).
    #[serde(with = "super::shared_vec")]
    pub batch_runs: Vec<Arc<BatchRun>>,
    /// Every merge attempt's result, in log order (the `merges` table).
    #[serde(with = "super::shared_vec")]
    pub merge_log: Vec<Arc<MergeRecord>>,
    /// Row bookkeeping for the SQL tables.
    pub rows: Rows,
    /// Entities changed since the last [`SwarmState::take_touched`]; kept
    /// only once [`SwarmState::track_touched`] asked for it (the store).
    #[serde(skip)]
    touched: Option<Touched>,
    /// T2 triage: what it weighs about tasks, and its verdicts.
    #[serde(default)]
    pub triage: super::triage::TriageFacts,
    /// Mail between the operator and agents.
    #[serde(default)]
    pub mailroom: mail::Mailroom,
    /// What capability routing weighs (agents' records by kind, reworks).
    #[serde(default)]
    pub fit: fit::FitFacts,
    /// Teams whose phase has come (`team_started`), in that order.
    #[serde(default)]
    pub teams: Vec<teams::TeamFacts>,
    /// Incident records, in the order they were opened.
    #[serde(default)]
    pub incidents: Vec<super::Incident>,
}

/// Minutes kept for the burn sparkline and rate.
const MINUTES_KEPT: usize = 24 * 60;

pub fn day_of(at: Millis) -> i64 {
    at.div_euclid(24 * HOUR)
}

impl SwarmState {
    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        self.tasks.get(id)
    }

    pub fn agent(&self, id: &AgentId) -> Option<&AgentState> {
        self.agents.get(id)
    }

    pub fn concern(&self, id: &ConcernId) -> Option<&Concern> {
        let (i, _) = self.rows.concerns.get(id)?;
        self.concerns.get(*i)
    }

    pub fn pause(&self, id: &PauseId) -> Option<&PausePoint> {
        let (i, _) = self.rows.pauses.get(id)?;
        self.pauses.get(*i)
    }

    /// The check behind a watchdog concern raised now: the latest alert on
    /// its task (by its agent, if it names one).
    fn check_behind(
        &self,
        source: &ConcernSource,
        agent: Option<&AgentId>,
        task: Option<&TaskId>,
    ) -> Option<Check> {
        if *source != ConcernSource::Watchdog {
            return None;
        }
        let t = self.tasks.get(task?)?;
        match (&t.last_alert, agent) {
            (Some((check, _)), None) => Some(*check),
            (Some((check, by)), Some(a)) if by.as_ref() == Some(a) => Some(*check),
            (_, Some(a)) => {
                let a = self.agents.get(a)?;
                match (&a.last_alert, &a.last_alert_about) {
                    (Some((check, _)), Some((on, _))) if on.as_ref() == task => Some(*check),
                    _ => None,
                }
            }
            (None, None) => None,
        }
    }

    /// Start recording which entities each event changes.
    pub fn track_touched(&mut self) {
        self.touched.get_or_insert_with(Touched::default);
    }

    /// The entities changed since the last call (nothing unless tracked).
    pub fn take_touched(&mut self) -> Touched {
        self.touched
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// A task to change at `at`: stamped and marked touched.
    fn task_mut(&mut self, id: Option<&TaskId>, at: Millis) -> Option<&mut Task> {
        let id = id?;
        let t = self.tasks.get_mut(id)?;
        if let Some(s) = self.rows.tasks.get_mut(id) {
            s.updated_at = at;
        }
        if let Some(touched) = &mut self.touched {
            mark(&mut touched.tasks, id);
        }
        Some(t)
    }

    /// An agent to change at `at`: stamped and marked touched.
    fn agent_mut(&mut self, id: Option<&AgentId>, at: Millis) -> Option<&mut AgentState> {
        let id = id?;
        let a = self.agents.get_mut(id)?;
        if let Some(s) = self.rows.agents.get_mut(id) {
            s.updated_at = at;
        }
        if let Some(touched) = &mut self.touched {
            mark(&mut touched.agents, id);
        }
        Some(a)
    }

    fn concern_mut(&mut self, id: &ConcernId) -> Option<&mut Concern> {
        let (i, _) = self.rows.concerns.get(id)?;
        if let Some(touched) = &mut self.touched {
            mark(&mut touched.concerns, id);
        }
        self.concerns.get_mut(*i)
    }

    fn pause_mut(&mut self, id: &PauseId) -> Option<&mut PausePoint> {
        let (i, _) = self.rows.pauses.get(id)?;
        if let Some(touched) = &mut self.touched {
            mark(&mut touched.pauses, id);
        }
        self.pauses.get_mut(*i)
    }

    pub fn next_concern_id(&self) -> ConcernId {
        ConcernId(format!("C-{:04}", self.concerns.len() + 1))
    }

    pub fn next_pause_id(&self) -> PauseId {
        PauseId(format!("P-{:04}", self.pauses.len() + 1))
    }

    pub fn open_concerns(&self) -> impl Iterator<Item = &Concern> {
        self.concerns.iter().filter(|c| c.disposition.is_open())
    }

    pub fn waiting_pauses(&self) -> impl Iterator<Item = &PausePoint> {
        self.pauses
            .iter()
            .filter(|p| p.state == PauseState::Waiting)
    }

    pub fn count_status(&self, s: TaskStatus) -> usize {
        self.tasks.values().filter(|t| t.status == s).count()
    }

    pub fn busy_agents(&self) -> usize {
        self.agents.values().filter(|a| a.is_busy()).count()
    }

    /// Spend per hour over the last `window` milliseconds ending at `now`.
    pub fn burn_per_hour(&self, now: Millis, window: Millis) -> Money {
        let from = (now - window).div_euclid(MINUTE);
        let spent: Money = self
            .spend_by_minute
            .iter()
            .rev()
            .take_while(|(m, _)| *m > from)
            .map(|(_, s)| *s)
            .sum();
        let hours = window as f64 / HOUR as f64;
        Money((spent.0 as f64 / hours) as i64)
    }

    pub fn convoy_progress(&self) -> Vec<ConvoyProgress> {
        let mut out: Vec<ConvoyProgress> = self
            .convoys
            .iter()
            .map(|c| ConvoyProgress {
                convoy: c.clone(),
                ..Default::default()
            })
            .collect();
        for id in &self.task_order {
            let t = &self.tasks[id];
            if let Some(p) = out.iter_mut().find(|p| p.convoy == t.spec.convoy) {
                p.total += 1;
                *p.by_status.entry(t.status).or_default() += 1;
                p.cost += t.cost;
            }
        }
        out
    }

    /// Fold one event into the state.
    pub fn apply(&mut self, ev: &Event) {
        self.now = self.now.max(ev.at);
        self.events += 1;
        // A new day starts a new day's budget, whatever the event.
        let today = day_of(ev.at);
        if today > self.day && self.started_at != 0 {
            self.day = today;
            self.spend_day = Money::ZERO;
            self.day_soft_reached = false;
            self.day_hard_reached = false;
        }
        // The queue's facts about the task (not in the tables: no stamp).
        if let Some(t) = ev.task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
            t.merge_facts.apply(ev);
        }
        self.triage.apply(ev);
        self.fit_apply(ev);
        match &ev.kind {
            EventKind::SwarmStarted { target, seed } => {
                self.target = target.clone();
                self.seed = *seed;
                self.started_at = ev.at;
                self.day = day_of(ev.at);
            }
            EventKind::SwarmResumed { .. } => {}
            EventKind::AgentRegistered { .. } => self.agent_registered(ev),
            EventKind::TaskAdded { .. } => self.task_added(ev),
            EventKind::TaskAssigned { .. } => self.task_assigned(ev),
            EventKind::UsageRecorded { .. } => {
                self.usage_recorded(ev);
                self.night_spend(ev);
            }
            EventKind::CommitMade { .. } => self.commit_made(ev),
            EventKind::Progress { .. }
            | EventKind::AgentPrompted { .. }
            | EventKind::AgentSpawned { .. } => {}
            EventKind::CostReported { .. } => self.cost_reported(ev),
            EventKind::ProcessStats { .. } => self.process_stats(ev),
            EventKind::TaskDone => self.task_done(ev),
            EventKind::GateFinished { .. } => self.gate_finished(ev),
            EventKind::BatchTested { .. } => self.batch_tested(ev),
            EventKind::QueueMoved { .. } => self.queue_moved(ev),
            EventKind::TaskReimagined { .. } => self.task_reimagined(ev),
            EventKind::ConflictPredicted { .. } => self.conflict_predicted(ev),
            EventKind::MergeQueued { .. } => self.merge_queued(ev),
            EventKind::MergeFinished { .. } => self.merge_finished(ev),
            EventKind::TaskRequeued { .. } => self.task_requeued(ev),
            EventKind::TaskDeferred { .. } => self.task_deferred(ev),
            EventKind::Handoff { .. } => self.handoff(ev),
            EventKind::ApiTrouble { .. } => self.api_trouble(ev),
            EventKind::TaskReworked { .. } => self.task_reworked(ev),
            EventKind::TaskFailed { .. } => self.task_failed(ev),
            EventKind::TaskBlocked { .. } => self.task_blocked(ev),
            EventKind::TaskUnblocked => self.task_unblocked(ev),
            EventKind::SessionEnded { .. } => self.session_ended(ev),
            EventKind::WatchdogAlert { .. } => self.watchdog_alert(ev),
            EventKind::BudgetReached { .. } => self.budget_reached(ev),
            EventKind::ConcernRaised { .. } => self.concern_raised(ev),
            EventKind::ConcernDisposed { .. } => self.concern_disposed(ev),
            EventKind::PauseRequested { .. } => self.pause_requested(ev),
            EventKind::PauseDecided { .. } => self.pause_decided(ev),
            EventKind::ConcernReraised { .. } => self.concern_reraised(ev),
            EventKind::PauseReraised { .. } => self.pause_reraised(ev),
            EventKind::PauseTimedOut { .. } => self.pause_timed_out(ev),
            EventKind::AgentHeld { .. } => self.agent_held(ev),
            EventKind::ConvoyHeld { held } => {
                if let Some(c) = &ev.convoy {
                    if *held {
                        self.held_convoys.insert(c.clone());
                    } else {
                        self.held_convoys.remove(c);
                    }
                }
            }
            EventKind::AgentRetired { .. } => self.agent_retired(ev),
            EventKind::SwarmFrozen { frozen } => self.frozen = *frozen,
            // The concern raised beside an executor failure carries it to
            // the inbox.
            EventKind::SpeedChanged { .. }
            | EventKind::UsageMismatch { .. }
            | EventKind::ExecutorFailed { .. }
            | EventKind::TriageRefused { .. } => {}
            EventKind::TriageVerdict { .. } => self.triage_verdict(ev),
            EventKind::BudgetRaised { .. } => self.budget_raised(ev),
            EventKind::IncidentOpened { .. } | EventKind::IncidentFollowUp { .. } => {
                self.incident_event(ev)
            }
            EventKind::DiskFull { path, .. } => self.disk_full = Some(path.clone()),
            EventKind::DiskSpaceReturned { .. } => self.disk_full = None,
            EventKind::AttemptReturned { .. } => self.attempt_returned(ev),
            EventKind::MailSent { .. } => self.mail_sent(ev),
            EventKind::MailDelivered { .. } => self.mail_delivered(ev),
            EventKind::MailRefused { .. } => self.mail_refused(ev),
            // The model and the reason are the log's; routing's facts
            // come from the task's own events.
            EventKind::TaskRouted { .. } | EventKind::IssueCommented { .. } => {}
            EventKind::TaskTriaged { .. } => self.task_triaged(ev),
            EventKind::MergeJudged { .. } => self.merge_judged(ev),
            // The engine's settings and the config file hold the value.
            EventKind::WatchdogTuned { .. } => {}
            EventKind::NightStarted { .. }
            | EventKind::NightClosed { .. }
            | EventKind::NightEnded => self.night_event(ev),
            EventKind::TeamStarted { .. } => self.team_started(ev),
        }
    }
}
