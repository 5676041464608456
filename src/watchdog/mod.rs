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

/// Set one T1 threshold by its `[watchdog]` key from the text the config
/// would hold: `stall_after` and `task_time_bound` take a length (`15m`),
/// `loop_repeats` a count of 2 or more, `flood_lines` a count (0 = no limit).
pub fn tune(w: &mut WatchdogSettings, key: &str, value: &str) -> Result<(), String> {
    let v = value.trim();
    let length = || -> Result<Millis, String> {
        humantime::parse_duration(v)
            .ok()
            .and_then(|d| Millis::try_from(d.as_millis()).ok())
            .filter(|ms| *ms > 0)
            .ok_or_else(|| format!("{key}: `{v}`: expected a length such as 15m"))
    };
    let count = || -> Result<u64, String> {
        v.parse::<u64>()
            .map_err(|_| format!("{key}: `{v}`: expected a whole number"))
    };
    match key {
        "stall_after" => w.stall_after = length()?,
        "task_time_bound" => w.task_time_bound = length()?,
        "loop_repeats" => {
            let n = count()?;
            if n < 2 {
                return Err(format!("{key}: `{v}`: expected 2 or more"));
            }
            w.loop_repeats = u32::try_from(n).map_err(|_| format!("{key}: `{v}`: too large"))?;
        }
        "flood_lines" => w.flood.lines = count()?,
        other => return Err(format!("{other}: not a watchdog threshold")),
    }
    Ok(())
}

/// A threshold's value as the config writes it.
pub fn threshold_text(w: &WatchdogSettings, key: &str) -> Option<String> {
    let length = |ms: Millis| {
        humantime::format_duration(std::time::Duration::from_millis(ms.max(0) as u64)).to_string()
    };
    Some(match key {
        "stall_after" => length(w.stall_after),
        "task_time_bound" => length(w.task_time_bound),
        "loop_repeats" => w.loop_repeats.to_string(),
        "flood_lines" => w.flood.lines.to_string(),
        _ => return None,
    })
}
