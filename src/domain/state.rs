//! Swarm state as a fold over events. Replaying a log through
//! [`SwarmState::apply`] rebuilds exactly the state the engine had.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

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

#[derive(Clone, Debug, PartialEq, Serialize)]
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
    #[serde(skip)]
    pub output: crate::watchdog::OutputWindow,
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

#[derive(Clone, Debug, Default, Serialize)]
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
        self.concerns.iter().find(|c| &c.id == id)
    }

    pub fn pause(&self, id: &PauseId) -> Option<&PausePoint> {
        self.pauses.iter().find(|p| &p.id == id)
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
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        match &ev.kind {
            EventKind::SwarmStarted { target, seed } => {
                self.target = target.clone();
                self.seed = *seed;
                self.started_at = ev.at;
                self.day = day_of(ev.at);
            }
            EventKind::SwarmResumed { .. } => {}
            EventKind::AgentRegistered { model, runtime } => {
                if let Some(id) = agent {
                    self.agents.insert(
                        id.clone(),
                        AgentState::new(id, model.clone(), runtime.clone(), ev.at),
                    );
                }
            }
            EventKind::TaskAdded { spec } => {
                if !self.convoys.contains(&spec.convoy) {
                    self.convoys.push(spec.convoy.clone());
                }
                if !self.tasks.contains_key(&spec.id) {
                    self.task_order.push(spec.id.clone());
                }
                self.tasks.insert(spec.id.clone(), Task::new(spec.clone()));
            }
            EventKind::TaskAssigned {
                branch, attempt, ..
            } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::InProgress;
                    t.agent = agent.clone();
                    t.session = ev.session.clone();
                    t.branch = Some(branch.clone());
                    t.attempts = *attempt;
                    t.started_at.get_or_insert(ev.at);
                    t.reason = None;
                    t.not_before = None;
                }
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.phase = AgentPhase::Working;
                    a.task = task.clone();
                    a.session = ev.session.clone();
                    a.sessions += 1;
                    a.last_output_at = ev.at;
                    a.repeats = 0;
                    a.output.reset(ev.at);
                }
            }
            EventKind::UsageRecorded { usage, cost } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.usage += *usage;
                    a.cost += *cost;
                    a.context_tokens = usage.context_tokens();
                }
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.cost += *cost;
                }
                self.usage_total += *usage;
                self.spend_total += *cost;
                self.spend_day += *cost;
                if let Some(m) = &ev.model {
                    *self.spend_by_model.entry(m.clone()).or_default() += *cost;
                }
                let minute = ev.at.div_euclid(MINUTE);
                match self.spend_by_minute.last_mut() {
                    Some((m, s)) if *m == minute => *s += *cost,
                    _ => {
                        self.spend_by_minute.push((minute, *cost));
                        if self.spend_by_minute.len() > MINUTES_KEPT {
                            self.spend_by_minute.remove(0);
                        }
                    }
                }
            }
            EventKind::CommitMade { paths, .. } => {
                self.commits += 1;
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    for p in paths {
                        if !t.changed.contains(p) {
                            t.changed.push(p.clone());
                        }
                    }
                    t.changed.sort();
                }
            }
            EventKind::Progress { .. }
            | EventKind::AgentPrompted { .. }
            | EventKind::AgentSpawned { .. } => {}
            EventKind::CostReported { reported, .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.reported_cost += *reported;
                }
            }
            EventKind::ProcessStats { peak_rss_kib, .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.peak_rss_kib = a.peak_rss_kib.max(*peak_rss_kib);
                }
            }
            EventKind::TaskDone => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Gating;
                }
            }
            EventKind::GateFinished {
                passed,
                findings,
                changed,
                ..
            } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    if !*passed {
                        t.gate_failures += 1;
                    }
                    t.findings = findings.clone();
                    if !changed.is_empty() {
                        t.changed = changed.clone();
                    }
                }
            }
            EventKind::BatchTested { .. } => {}
            EventKind::QueueMoved { front } => {
                self.queue_moves += 1;
                let key = if *front {
                    -self.queue_moves
                } else {
                    self.queue_moves
                };
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.queue_key = key;
                }
            }
            EventKind::TaskReimagined { files, target } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Pending;
                    t.session = None;
                    t.reimagined += 1;
                    t.merge_retries += 1;
                    t.changed.clear();
                    t.conflict_files = files.clone();
                    t.reason = Some(format!(
                        "conflicted in {}; redo on {target}",
                        files.join(", ")
                    ));
                    t.returned = t.reason.clone();
                }
            }
            EventKind::ConflictPredicted { prediction } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.prediction = Some(prediction.clone());
                }
            }
            EventKind::MergeQueued { seq } => {
                self.merge_seq = self.merge_seq.max(*seq);
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Queued;
                    t.queued_seq = Some(*seq);
                }
            }
            EventKind::MergeFinished { outcome } => {
                let mut by = None;
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.queued_seq = None;
                    t.outcome = Some(outcome.word().to_string());
                    match outcome {
                        MergeOutcome::Unchanged { .. } => {}
                        MergeOutcome::Merged { commit, tier, .. } => {
                            t.status = TaskStatus::Merged;
                            t.merged_commit = Some(commit.clone());
                            t.finished_at = Some(ev.at);
                            t.tier = match tier.as_str() {
                                "auto" => Some(Tier::Auto),
                                "ai" => Some(Tier::Ai),
                                _ => Some(Tier::Clean),
                            };
                            t.returned = None;
                            by = t.agent.clone();
                        }
                        MergeOutcome::Conflicted { files, .. } => {
                            t.conflict_files = files.clone();
                            t.tier = Some(Tier::Reimagine);
                        }
                        MergeOutcome::Refused {
                            tier,
                            files,
                            lines_at_risk,
                        } => {
                            t.tier = Some(*tier);
                            t.conflict_files = files.clone();
                            t.lines_at_risk = lines_at_risk.clone();
                            t.merge_retries += 1;
                        }
                        MergeOutcome::Rejected { findings, .. } => {
                            t.findings = findings.clone();
                            t.merge_retries += 1;
                            t.gate_failures += 1;
                        }
                    }
                }
                match outcome {
                    MergeOutcome::Merged { .. } => {
                        self.merges += 1;
                        if let Some(a) = by.and_then(|a| self.agents.get_mut(&a)) {
                            a.tasks_merged += 1;
                        }
                    }
                    MergeOutcome::Conflicted { .. } | MergeOutcome::Refused { .. } => {
                        self.conflicts += 1;
                    }
                    MergeOutcome::Rejected { .. } | MergeOutcome::Unchanged { .. } => {}
                }
            }
            EventKind::TaskRequeued { reason } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Pending;
                    t.session = None;
                    t.reason = Some(reason.clone());
                    t.waiting_on = None;
                }
            }
            EventKind::TaskDeferred { until } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.not_before = Some(*until);
                }
            }
            EventKind::Handoff { .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.handoffs += 1;
                    a.context_tokens = 0;
                }
            }
            EventKind::ApiTrouble { .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.api_troubles += 1;
                }
            }
            EventKind::TaskReworked { reason } => {
                let mut by = None;
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Pending;
                    t.session = None;
                    t.reason = Some(reason.clone());
                    t.returned = Some(reason.clone());
                    by = t.agent.clone();
                }
                if let Some(a) = by.and_then(|a| self.agents.get_mut(&a)) {
                    a.rework += 1;
                }
            }
            EventKind::TaskFailed { reason } => {
                let mut by = None;
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Failed;
                    t.reason = Some(reason.clone());
                    t.finished_at = Some(ev.at);
                    t.session = None;
                    t.queued_seq = None;
                    t.waiting_on = None;
                    by = t.agent.clone();
                }
                if let Some(a) = by.and_then(|a| self.agents.get_mut(&a)) {
                    a.tasks_failed += 1;
                }
            }
            EventKind::TaskBlocked { reason } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Blocked;
                    t.reason = Some(reason.clone());
                    t.session = None;
                    t.queued_seq = None;
                    t.waiting_on = None;
                }
            }
            EventKind::TaskUnblocked => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.status = TaskStatus::Pending;
                    t.reason = None;
                }
            }
            EventKind::SessionEnded { .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a))
                    && ev.session.is_some()
                    && a.session == ev.session
                {
                    if a.phase != AgentPhase::Retired {
                        a.phase = AgentPhase::Idle;
                    }
                    a.task = None;
                    a.session = None;
                }
            }
            EventKind::WatchdogAlert { check, .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.alerts += 1;
                    a.last_alert = Some((*check, ev.at));
                }
            }
            EventKind::BudgetReached { scope, hard, .. } => {
                if *scope == BudgetScope::Day {
                    if *hard {
                        self.day_hard_reached = true;
                    }
                    self.day_soft_reached = true;
                }
            }
            EventKind::ConcernRaised {
                id,
                source,
                summary,
                confidence,
                impact,
                routing,
            } => self.concerns.push(Concern {
                id: id.clone(),
                source: source.clone(),
                summary: summary.clone(),
                confidence: *confidence,
                impact: *impact,
                routing: *routing,
                disposition: Disposition::Open,
                agent,
                task,
                raised_at: ev.at,
            }),
            EventKind::ConcernDisposed { id, disposition } => {
                if let Some(c) = self.concerns.iter_mut().find(|c| &c.id == id) {
                    c.disposition = disposition.clone();
                }
            }
            EventKind::PauseRequested { id, pause, reason } => {
                self.pauses.push(PausePoint {
                    id: id.clone(),
                    kind: pause.clone(),
                    reason: reason.clone(),
                    agent: agent.clone(),
                    task: task.clone(),
                    state: PauseState::Waiting,
                    raised_at: ev.at,
                });
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.waiting_on = Some(id.clone());
                }
                if *pause == PauseKind::AgentRequest
                    && let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a))
                    && a.phase == AgentPhase::Working
                {
                    a.phase = AgentPhase::Waiting;
                }
            }
            EventKind::PauseDecided { id, approved } => {
                let mut who = None;
                if let Some(p) = self.pauses.iter_mut().find(|p| &p.id == id) {
                    p.state = if *approved {
                        PauseState::Approved
                    } else {
                        PauseState::Rejected
                    };
                    who = Some((p.agent.clone(), p.task.clone()));
                }
                if let Some((a, t)) = who {
                    if let Some(t) = t.and_then(|t| self.tasks.get_mut(&t))
                        && t.waiting_on.as_ref() == Some(id)
                    {
                        t.waiting_on = None;
                    }
                    if let Some(a) = a.and_then(|a| self.agents.get_mut(&a))
                        && a.phase == AgentPhase::Waiting
                    {
                        a.phase = AgentPhase::Working;
                    }
                }
            }
            EventKind::AgentHeld { held } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.held = *held;
                }
            }
            EventKind::ConvoyHeld { held } => {
                if let Some(c) = &ev.convoy {
                    if *held {
                        self.held_convoys.insert(c.clone());
                    } else {
                        self.held_convoys.remove(c);
                    }
                }
            }
            EventKind::AgentRetired { .. } => {
                if let Some(a) = agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
                    a.phase = AgentPhase::Retired;
                }
            }
            EventKind::SwarmFrozen { frozen } => self.frozen = *frozen,
            EventKind::SpeedChanged { .. } | EventKind::UsageMismatch { .. } => {}
            EventKind::DiskFull { path, .. } => self.disk_full = Some(path.clone()),
            EventKind::DiskSpaceReturned { .. } => self.disk_full = None,
            EventKind::AttemptReturned { .. } => {
                if let Some(t) = task.as_ref().and_then(|t| self.tasks.get_mut(t)) {
                    t.attempts = t.attempts.saturating_sub(1);
                }
            }
        }
    }
}
