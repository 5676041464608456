//! The watchdog tiers. T1 is mechanical and lives here as pure checks over
//! the swarm state; the engine acts on what they find (stop, requeue, block)
//! and raises T3 concerns for the human. T2 triage (`triage.rs`) gives each
//! concern routed to it a verdict: resolved, or escalated with a
//! recommendation.

pub mod deadlines;
pub use crate::domain::flood;

pub use deadlines::{Deadlines, next_deadline};
pub use flood::{FloodLimits, OutputWindow};

use crate::domain::{AgentId, AgentPhase, Check, Millis, SessionId, SwarmState, TaskId};
pub mod llm;
pub mod triage;

#[derive(Clone, Debug, PartialEq)]
pub struct WatchdogSettings {
    /// How often T1 checks run.
    pub tick: Millis,
    /// No output for longer than this: stalled.
    pub stall_after: Millis,
    /// A session running longer than this: over time.
    pub task_time_bound: Millis,
    /// The same line this many times in a row: looping.
    pub loop_repeats: u32,
    /// Share of the context window at which an agent hands off (0 = never).
    pub handoff_at: f64,
    /// Lines or bytes per window above which an agent floods.
    pub flood: FloodLimits,
    /// A concern routed to triage gets its verdict at the latest this long
    /// after it was raised (0 = no T2 triage).
    pub triage_after: Millis,
}

/// Something a T1 check saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub agent: AgentId,
    pub task: TaskId,
    pub session: SessionId,
    pub check: Check,
    pub detail: String,
}

fn minutes(ms: Millis) -> String {
    format!("{} min", ms / 60_000)
}

/// Run the T1 checks over live, unfrozen sessions `(session, agent, task,
/// started_at)`. An agent waiting at a pause point or held by the operator is
/// not stalled: it waits by design.
pub fn t1_checks<'a>(
    state: &SwarmState,
    cfg: &WatchdogSettings,
    now: Millis,
    sessions: impl Iterator<Item = (&'a SessionId, &'a AgentId, &'a TaskId, Millis)>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for (session, agent, task, started) in sessions {
        let Some(a) = state.agents.get(agent) else {
            continue;
        };
        if a.phase != AgentPhase::Working || a.held {
            continue;
        }
        let found = |check, detail| Alert {
            agent: agent.clone(),
            task: task.clone(),
            session: session.clone(),
            check,
            detail,
        };
        if cfg.task_time_bound > 0 && now - started > cfg.task_time_bound {
            out.push(found(
                Check::OverTime,
                format!(
                    "running {} on one task, over its bound of {}",
                    minutes(now - started),
                    minutes(cfg.task_time_bound)
                ),
            ));
        } else if let Some(detail) = &a.output.flooded {
            out.push(found(Check::OutputFlood, detail.clone()));
        } else if cfg.loop_repeats > 0 && a.repeats >= cfg.loop_repeats {
            out.push(found(
                Check::Looping,
                format!(
                    "printed the same line {} times in a row: {}",
                    a.repeats,
                    a.last_line.chars().take(120).collect::<String>()
                ),
            ));
        } else if cfg.stall_after > 0 && now - a.last_output_at > cfg.stall_after {
            out.push(found(
                Check::Stalled,
                format!(
                    "no output for {} (threshold {})",
                    minutes(now - a.last_output_at),
                    minutes(cfg.stall_after)
                ),
            ));
        }
    }
    out
}
