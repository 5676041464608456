//! The summary printed at the end of a headless run (and by `status`).

use super::{Swarm, SwarmError};
use crate::domain::{Impact, Millis, SwarmState, TaskStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub state_dir: String,
    pub target: String,
    pub seed: u64,
    pub agents: usize,
    pub tasks_total: usize,
    /// Tasks by status word, every status present (zero included).
    pub tasks: BTreeMap<String, usize>,
    pub merges: u32,
    pub conflicts: u32,
    pub commits: u64,
    pub cost_usd: f64,
    pub tokens: u64,
    pub concerns_open: usize,
    pub concerns_open_by_impact: BTreeMap<String, usize>,
    pub pause_points_waiting: usize,
    pub events: u64,
    /// Virtual time covered by the swarm so far, `HH:MM`.
    pub virtual_time: String,
    pub virtual_ms: Millis,
    pub wall_ms: u128,
    pub resumed: bool,
    pub log_digest: String,
    pub errors: Vec<String>,
}

/// `HH:MM` between two instants.
pub fn clock_span(from: Millis, to: Millis) -> String {
    let mins = (to - from).max(0) / 60_000;
    format!("{:02}:{:02}", mins / 60, mins % 60)
}

impl Summary {
    pub(crate) fn gather(swarm: &Swarm) -> Result<Summary, SwarmError> {
        let s = swarm.engine().state();
        let mut out = Summary::from_state(s, swarm.now());
        out.state_dir = swarm.paths().root.display().to_string();
        out.commits = swarm.commits();
        out.events = swarm.store().event_count()?;
        out.log_digest = swarm.store().digest()?;
        out.wall_ms = swarm.wall_elapsed().as_millis();
        out.resumed = swarm.was_resumed();
        out.errors = swarm.errors().to_vec();
        Ok(out)
    }

    /// What the state alone tells (used by `shiftboss status`).
    pub fn from_state(s: &SwarmState, now: Millis) -> Summary {
        let tasks = TaskStatus::ALL
            .iter()
            .map(|st| (st.as_str().to_string(), s.count_status(*st)))
            .collect();
        let mut by_impact: BTreeMap<String, usize> =
            [Impact::Low, Impact::Medium, Impact::High, Impact::Critical]
                .iter()
                .map(|i| (i.as_str().to_string(), 0))
                .collect();
        for c in s.open_concerns() {
            *by_impact.entry(c.impact.as_str().to_string()).or_default() += 1;
        }
        Summary {
            state_dir: String::new(),
            target: s.target.clone(),
            seed: s.seed,
            agents: s.agents.len(),
            tasks_total: s.tasks.len(),
            tasks,
            merges: s.merges,
            conflicts: s.conflicts,
            commits: 0,
            cost_usd: (s.spend_total.dollars() * 100.0).round() / 100.0,
            tokens: s.usage_total.total(),
            concerns_open: s.open_concerns().count(),
            concerns_open_by_impact: by_impact,
            pause_points_waiting: s.waiting_pauses().count(),
            events: s.events,
            virtual_time: clock_span(s.started_at, now),
            virtual_ms: now - s.started_at,
            wall_ms: 0,
            resumed: false,
            log_digest: String::new(),
            errors: Vec::new(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "swarm      {}", self.state_dir)?;
        writeln!(
            f,
            "time       {} virtual in {:.1} s wall{}",
            self.virtual_time,
            self.wall_ms as f64 / 1000.0,
            if self.resumed { " (resumed)" } else { "" }
        )?;
        let statuses: Vec<String> = crate::domain::TaskStatus::ALL
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    self.tasks.get(s.as_str()).copied().unwrap_or(0),
                    s.as_str()
                )
            })
            .collect();
        writeln!(
            f,
            "tasks      {} · {}",
            self.tasks_total,
            statuses.join(" · ")
        )?;
        writeln!(
            f,
            "merges     {} onto {} · {} conflicted · {} agent commits",
            self.merges, self.target, self.conflicts, self.commits
        )?;
        writeln!(
            f,
            "cost       ${:.2} · {} tokens",
            self.cost_usd, self.tokens
        )?;
        let by: Vec<String> = ["critical", "high", "medium", "low"]
            .iter()
            .map(|i| {
                format!(
                    "{} {i}",
                    self.concerns_open_by_impact.get(*i).copied().unwrap_or(0)
                )
            })
            .collect();
        writeln!(
            f,
            "concerns   {} open · {}",
            self.concerns_open,
            by.join(" · ")
        )?;
        writeln!(
            f,
            "pauses     {} waiting for the operator",
            self.pause_points_waiting
        )?;
        writeln!(
            f,
            "events     {} · log digest {}",
            self.events, self.log_digest
        )?;
        for e in &self.errors {
            writeln!(f, "error      {e}")?;
        }
        Ok(())
    }
}
