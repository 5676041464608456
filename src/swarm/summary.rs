//! The summary printed at the end of a headless run (and by `status`).

use super::{Swarm, SwarmError};
use crate::domain::{ConcernSource, Impact, Millis, SwarmState, TaskId, TaskStatus};
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
    /// Swarm time covered so far, as a duration (`2h 05m`), never a time of day.
    pub virtual_time: String,
    pub virtual_ms: Millis,
    pub wall_ms: u128,
    pub resumed: bool,
    pub log_digest: String,
    /// What the executor could not do (its concerns), then task hand-offs
    /// refused in this run.
    pub errors: Vec<String>,
    /// Failed tasks with why, in id order.
    pub failed: Vec<TaskReason>,
    /// Blocked tasks with why, in id order.
    pub blocked: Vec<TaskReason>,
    /// The open concerns: impact and text.
    pub concerns: Vec<ConcernLine>,
    /// The pause points waiting: id, kind and reason.
    pub pauses: Vec<PauseLine>,
    /// How much the run asked of the operator (runs with a simulated
    /// operator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_load: Option<super::load::OperatorLoad>,
    /// Per configured team (`[[teams]]`), started or waiting for an
    /// earlier phase (`started`, `waits_for`): throughput, spend,
    /// coordination ratio, escalations; absent without teams.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<crate::domain::TeamFigures>,
}

/// A pause point waiting, as the summary lists it.
#[derive(Clone, Debug, Serialize)]
pub struct PauseLine {
    pub id: String,
    pub kind: String,
    pub reason: String,
}

/// A task that did not get through, and why.
#[derive(Clone, Debug, Serialize)]
pub struct TaskReason {
    pub task: TaskId,
    pub title: String,
    pub reason: String,
}

/// An open concern as the summary lists it.
#[derive(Clone, Debug, Serialize)]
pub struct ConcernLine {
    pub id: String,
    pub impact: String,
    pub task: Option<TaskId>,
    pub summary: String,
}

/// A span of time as a duration (`2h 05m`, `4m 10s`, `12s`), never as a
/// time of day.
pub fn elapsed(ms: Millis) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A count with a unit suffix past a thousand: `950`, `12.3k`, `3.4M`.
pub fn grouped(n: u64) -> String {
    let f = n as f64;
    if n < 1_000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.1}k", f / 1e3)
    } else if n < 1_000_000_000 {
        format!("{:.1}M", f / 1e6)
    } else {
        format!("{:.1}B", f / 1e9)
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
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
        // Teams not started yet too, with what they wait for.
        out.teams = s.team_rows(&super::snapshot::team_plans(swarm.engine()));
        out.state_dir = swarm.paths().root.display().to_string();
        out.commits = swarm.commits();
        out.events = swarm.store().last_seq()?;
        out.log_digest = swarm.store().digest()?;
        out.wall_ms = swarm.wall_elapsed().as_millis();
        out.resumed = swarm.was_resumed();
        out.errors.extend(swarm.errors().iter().cloned());
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
            commits: s.commits,
            cost_usd: (s.spend_total.dollars() * 100.0).round() / 100.0,
            tokens: s.usage_total.total(),
            concerns_open: s.open_concerns().count(),
            concerns_open_by_impact: by_impact,
            pause_points_waiting: s.waiting_pauses().count(),
            events: s.events,
            virtual_time: elapsed(now - s.started_at),
            virtual_ms: now - s.started_at,
            wall_ms: 0,
            resumed: false,
            log_digest: String::new(),
            errors: s
                .concerns
                .iter()
                .filter(|c| c.source == ConcernSource::Executor)
                .map(|c| c.summary.clone())
                .collect(),
            failed: reasons(s, TaskStatus::Failed),
            blocked: reasons(s, TaskStatus::Blocked),
            concerns: s
                .open_concerns()
                .map(|c| ConcernLine {
                    id: c.id.to_string(),
                    impact: c.impact.as_str().to_string(),
                    task: c.task.clone(),
                    summary: c.summary.clone(),
                })
                .collect(),
            pauses: s
                .waiting_pauses()
                .map(|p| PauseLine {
                    id: p.id.to_string(),
                    kind: p.kind.as_str().to_string(),
                    reason: p.reason.clone(),
                })
                .collect(),
            operator_load: None,
            teams: s.team_figures(),
        }
    }

    /// Whether any task failed (a headless run then exits 3).
    pub fn any_failed(&self) -> bool {
        !self.failed.is_empty()
    }
}

fn reasons(s: &SwarmState, status: TaskStatus) -> Vec<TaskReason> {
    let mut out: Vec<TaskReason> = s
        .tasks
        .values()
        .filter(|t| t.status == status)
        .map(|t| TaskReason {
            task: t.spec.id.clone(),
            title: t.spec.title.clone(),
            reason: t.reason.clone().unwrap_or_default(),
        })
        .collect();
    out.sort_by(|a, b| a.task.cmp(&b.task));
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "swarm      {}", self.state_dir)?;
        let wall = if self.wall_ms > 0 {
            format!(" in {} wall", elapsed(self.wall_ms as Millis))
        } else {
            String::new()
        };
        writeln!(
            f,
            "time       {} of swarm time{wall}{}",
            elapsed(self.virtual_ms),
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
            self.cost_usd,
            grouped(self.tokens)
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
        for t in &self.teams {
            if !t.started {
                writeln!(
                    f,
                    "team       {} (phase {}, lead {}) · not started · {} tasks · waits for {}",
                    t.team, t.phase, t.lead, t.tasks, t.waits_for
                )?;
                continue;
            }
            writeln!(
                f,
                "team       {} (phase {}, lead {}) · {}/{} merged · ${:.2} · coordination {:.0}% · {} escalations · {}",
                t.team,
                t.phase,
                t.lead,
                t.merged,
                t.tasks,
                t.spend_usd,
                t.coordination_ratio * 100.0,
                t.escalations,
                t.waits_for
            )?;
        }
        writeln!(
            f,
            "events     {} · log digest {}",
            self.events, self.log_digest
        )?;
        if let Some(load) = &self.operator_load {
            write!(f, "{load}")?;
        }
        self.fmt_lists(f)
    }
}

impl Summary {
    /// The lines that name what needs the operator: failed and blocked
    /// tasks, open concerns, waiting pause points, errors.
    fn fmt_lists(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (word, list) in [("failed", &self.failed), ("blocked", &self.blocked)] {
            for t in list {
                writeln!(
                    f,
                    "{word:<10} {} {}: {}",
                    t.task,
                    t.title,
                    first_line(&t.reason)
                )?;
            }
        }
        for c in &self.concerns {
            let task = c.task.as_ref().map(|t| format!(" {t}")).unwrap_or_default();
            writeln!(
                f,
                "concern    {} {}{task}: {}",
                c.id,
                c.impact,
                first_line(&c.summary)
            )?;
        }
        for p in &self.pauses {
            writeln!(
                f,
                "pause      {} {}: {}",
                p.id,
                p.kind,
                first_line(&p.reason)
            )?;
        }
        for e in &self.errors {
            writeln!(f, "error      {e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_is_a_duration_and_counts_are_grouped() {
        assert_eq!(elapsed(0), "0s");
        assert_eq!(elapsed(59_999), "59s");
        assert_eq!(elapsed(61_000), "1m 01s");
        assert_eq!(elapsed(2 * 3_600_000 + 5 * 60_000 + 7_000), "2h 05m");
        assert_eq!(grouped(950), "950");
        assert_eq!(grouped(12_345), "12.3k");
        assert_eq!(grouped(3_400_000), "3.4M");
        assert_eq!(grouped(7_100_000_000), "7.1B");
    }
}
