//! T2 triage's heuristics, pure over the state: for a concern routed to
//! triage, a verdict now, or none yet (wait and see). In order:
//! 1. the same check fired three times in a row on its task → escalate:
//!    respecify it, or give it to another agent or a bigger model;
//! 2. a budget stopped a task at 90 % progress or more → escalate: raise its
//!    budget to let it finish;
//! 3. the gate rejected exactly the same thing twice or more → escalate: the
//!    spec or the gate may be wrong;
//! 4. a watchdog concern whose task worked again after it (progress, a
//!    commit, usage) with no alert since → resolve: restarted and working;
//! 5. still open `triage_after` after it was raised → escalate: no clear
//!    cause, the operator decides.

use crate::domain::triage::Verdict;
use crate::domain::{Concern, ConcernSource, Millis, SwarmState};

/// A verdict, its recommendation and its reasons.
pub struct Judgement {
    pub verdict: Verdict,
    pub recommendation: String,
    pub reasons: Vec<String>,
}

fn escalate(recommendation: String, reasons: Vec<String>) -> Option<Judgement> {
    Some(Judgement {
        verdict: Verdict::Escalate,
        recommendation,
        reasons,
    })
}

fn minutes(ms: Millis) -> String {
    format!("{}m", ms / 60_000)
}

pub fn judge(
    state: &SwarmState,
    c: &Concern,
    now: Millis,
    triage_after: Millis,
) -> Option<Judgement> {
    let trouble = c.task.as_ref().and_then(|t| state.triage.tasks.get(t));
    let task = c
        .task
        .as_ref()
        .map_or("its task".to_string(), |t| t.to_string());
    if let Some(t) = trouble {
        if let Some((check, n)) = t.alerts_in_row
            && n >= 3
        {
            return escalate(
                format!("respecify {task}, or give it to another agent or a bigger model"),
                vec![format!("{} {} times in a row on {task}", check.as_str(), n)],
            );
        }
        if c.source == ConcernSource::Budget && t.progress >= 90 {
            return escalate(
                format!("raise {task}'s budget: it stopped at {} %", t.progress),
                vec![format!(
                    "a budget stopped {task} at {} % progress",
                    t.progress
                )],
            );
        }
        if let Some((what, n)) = &t.same_rejection
            && *n >= 2
        {
            return escalate(
                format!(
                    "check {task}'s spec against the gate: the same rejection came back {n} times"
                ),
                vec![format!("rejected {n} times in a row for: {what}")],
            );
        }
        if c.source == ConcernSource::Watchdog
            && t.last_work.is_some_and(|w| w > c.raised_at)
            && t.last_alert.is_none_or(|a| a <= c.raised_at)
        {
            let after = t.last_work.unwrap_or(c.raised_at) - c.raised_at;
            return Some(Judgement {
                verdict: Verdict::Resolve,
                recommendation: String::new(),
                reasons: vec![format!(
                    "restarted and working again: work seen {} after the alert, no alert since",
                    minutes(after)
                )],
            });
        }
    }
    if now >= c.raised_at + triage_after {
        return escalate(
            "no clear cause: look at the task and decide".into(),
            vec![format!("no known pattern in {}", minutes(triage_after))],
        );
    }
    None
}
