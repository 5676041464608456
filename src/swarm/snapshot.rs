//! Owned snapshots of the swarm for the console: the runner hands one over
//! when something changed; the console renders it and never holds a lock.

use crate::domain::{AgentId, Event, EventKind, Millis, Money, SessionId, SwarmState, TaskId};
use crate::engine::Engine;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Lines of output kept per agent for the console.
pub const TAIL_LINES: usize = 60;
/// Recent events kept for drill-downs.
pub const RECENT_EVENTS: usize = 2000;

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub state: SwarmState,
    pub now: Millis,
    /// `max` or a factor such as `60x`.
    pub speed: String,
    /// Real agents run: the clock is the wall clock and its speed is fixed.
    pub real_time: bool,
    /// Queued tasks in the order they will merge.
    pub merge_queue: Vec<TaskId>,
    pub frozen_sessions: BTreeSet<SessionId>,
    /// The last lines each agent printed.
    pub tails: BTreeMap<AgentId, VecDeque<String>>,
    /// The last gate output of each task.
    pub gate_output: BTreeMap<TaskId, String>,
    /// The most recent events, oldest first.
    pub recent: VecDeque<Event>,
    pub events_total: u64,
    /// Budget hard limits (zero: none).
    pub budget_agent: Money,
    pub budget_task: Money,
    pub day_limit: Money,
    /// Each agent's context window, in tokens (from its model).
    pub context_windows: BTreeMap<AgentId, u64>,
    /// Share of the window at which agents hand off (0: never).
    pub handoff_at: f64,
    /// Real agents run unconfined (`[sandbox] mode = "off"`).
    pub sandbox_off: bool,
    /// The configured teams, started or not (`[[teams]]`).
    #[serde(default)]
    pub teams: Vec<crate::domain::TeamPlan>,
}

/// What the runner keeps beside the engine for the console.
#[derive(Default)]
pub(crate) struct Observed {
    pub tails: BTreeMap<AgentId, VecDeque<String>>,
    pub gate_output: BTreeMap<TaskId, String>,
    pub recent: VecDeque<Event>,
    pub events_total: u64,
}

impl Observed {
    pub fn line(&mut self, agent: &AgentId, line: &str) {
        // Usage lines are the burn pane's and the agent page's token figures,
        // not output worth reading.
        if line.starts_with("::usage") {
            return;
        }
        let tail = self.tails.entry(agent.clone()).or_default();
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line.chars().take(400).collect());
    }

    pub fn events(&mut self, events: &[Event]) {
        self.events_total += events.len() as u64;
        for ev in events {
            if let (EventKind::GateFinished { output, .. }, Some(t)) = (&ev.kind, &ev.task) {
                self.gate_output.insert(t.clone(), output.clone());
            }
            if matches!(ev.kind, EventKind::UsageRecorded { .. }) {
                // Usage is the bulk of the log and shown as burn, not as history.
                continue;
            }
            if self.recent.len() == RECENT_EVENTS {
                self.recent.pop_front();
            }
            self.recent.push_back(ev.clone());
        }
    }

    pub fn snapshot(
        &self,
        engine: &Engine,
        now: Millis,
        speed: String,
        real_time: bool,
    ) -> Snapshot {
        Snapshot {
            state: engine.state().clone(),
            now,
            speed,
            real_time,
            merge_queue: engine
                .merge_queue()
                .iter()
                .map(|t| t.spec.id.clone())
                .collect(),
            frozen_sessions: engine
                .sessions()
                .filter(|(s, _, _)| engine.is_session_frozen(s))
                .map(|(s, _, _)| s.clone())
                .collect(),
            tails: self.tails.clone(),
            gate_output: self.gate_output.clone(),
            recent: self.recent.clone(),
            events_total: self.events_total,
            budget_agent: engine.settings().budget_agent,
            budget_task: engine.settings().budget_task,
            day_limit: engine.settings().budget_day,
            context_windows: engine
                .state()
                .agents
                .values()
                .map(|a| (a.id.clone(), engine.settings().context_window(&a.model)))
                .collect(),
            handoff_at: engine.settings().watchdog.handoff_at,
            sandbox_off: false,
            teams: team_plans(engine),
        }
    }
}

/// The configured teams as the console and the summary are told them.
pub(crate) fn team_plans(engine: &Engine) -> Vec<crate::domain::TeamPlan> {
    engine
        .settings()
        .teams
        .iter()
        .map(|t| crate::domain::TeamPlan {
            name: t.name.clone(),
            phase: t.phase,
            parallel: t.parallel,
            lead: t.lead.clone(),
            coders: t.coders.clone(),
            convoys: t.convoys.clone(),
        })
        .collect()
}
