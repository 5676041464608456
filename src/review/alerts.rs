//! T1 alerts of a period by check, each real (its task then failed or was
//! reworked), noise (its task went on to merge) or open
//! (`docs/metrics.md`, tuning the watchdog).

use super::Period;
use crate::domain::{Check, Event, EventKind, MergeOutcome, Millis, TaskId};
use serde::Serialize;
use std::collections::HashMap;

/// The checks whose alerts are counted, in the order shown.
pub const CHECKS: [Check; 5] = [
    Check::Stalled,
    Check::Looping,
    Check::OverTime,
    Check::OutputFlood,
    Check::ProcessGone,
];

/// The `[watchdog]` setting that tunes a check, if any.
pub fn threshold_key(c: Check) -> Option<&'static str> {
    match c {
        Check::Stalled => Some("stall_after"),
        Check::Looping => Some("loop_repeats"),
        Check::OverTime => Some("task_time_bound"),
        Check::OutputFlood => Some("flood_lines"),
        Check::ProcessGone | Check::OverBudget => None,
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CheckTally {
    pub check: &'static str,
    pub alerts: u64,
    pub real: u64,
    pub noise: u64,
    pub open: u64,
}

/// What became of an alert's task.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Open,
    Real,
    Noise,
}

/// Folds the log (in order) into the alerts of one period.
pub struct Alerts {
    period: Period,
    /// Alerts in the period: check, task, what became of it.
    seen: Vec<(Check, TaskId, Fate)>,
    /// The alerts still open, by task.
    open: HashMap<TaskId, Vec<usize>>,
}

impl Alerts {
    pub fn new(period: Period) -> Alerts {
        Alerts {
            period,
            seen: Vec::new(),
            open: HashMap::new(),
        }
    }

    fn settle(&mut self, task: &TaskId, fate: Fate) {
        for i in self.open.remove(task).unwrap_or_default() {
            self.seen[i].2 = fate;
        }
    }

    pub fn fold(&mut self, ev: &Event) {
        let at: Millis = ev.at;
        if at >= self.period.until {
            return;
        }
        let Some(task) = &ev.task else {
            return;
        };
        match &ev.kind {
            EventKind::WatchdogAlert { check, .. }
                if at >= self.period.since && CHECKS.contains(check) =>
            {
                self.open
                    .entry(task.clone())
                    .or_default()
                    .push(self.seen.len());
                self.seen.push((*check, task.clone(), Fate::Open));
            }
            EventKind::TaskFailed { .. }
            | EventKind::TaskReworked { .. }
            | EventKind::TaskReimagined { .. } => self.settle(task, Fate::Real),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged { .. },
            } => self.settle(task, Fate::Noise),
            _ => {}
        }
    }

    /// One row per check of [`CHECKS`].
    pub fn finish(self) -> Vec<CheckTally> {
        CHECKS
            .iter()
            .map(|c| {
                let mine = self.seen.iter().filter(|(k, _, _)| k == c);
                let mut t = CheckTally {
                    check: c.as_str(),
                    ..CheckTally::default()
                };
                for (_, _, fate) in mine {
                    t.alerts += 1;
                    match fate {
                        Fate::Real => t.real += 1,
                        Fate::Noise => t.noise += 1,
                        Fate::Open => t.open += 1,
                    }
                }
                t
            })
            .collect()
    }
}
