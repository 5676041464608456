//! Operator load, as the run summary reports it: how often the human had to
//! decide, how many keys each decision took, how long concerns and pause
//! points waited, and whether every unsure high-impact concern reached the
//! human and stood on a row of its own on screen. Measured from the log by
//! `tui::load` (it needs the console's key table and layout).

use super::summary::elapsed;
use crate::domain::Millis;
use serde::Serialize;
use std::fmt;

/// The goals for a standard day: at most this many decisions in
/// the worst hour, at most this many keys each, every unsure high-impact
/// concern on screen.
pub const GOAL_WORST_HOUR: usize = 12;
pub const GOAL_KEYS: usize = 3;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OperatorLoad {
    /// Decisions the operator took (a folded row answered at once is one).
    pub decisions: usize,
    /// Decisions in the busiest hour of the run (hours from its start).
    pub decisions_worst_hour: usize,
    /// Decisions per hour over the whole run.
    pub decisions_per_hour_mean: f64,
    pub keys_mean: f64,
    pub keys_max: usize,
    /// How long concerns routed to the human waited for an answer (or, not
    /// answered, until the end of the run).
    pub concern_wait: Waits,
    /// How long pause points waited for a decision (the same way).
    pub pause_wait: Waits,
    /// Concerns of high or critical impact raised with confidence below 0.5.
    pub unsure_high: usize,
    /// Of those, how many were the human's (routed or escalated to it).
    pub reached_human: usize,
    /// Of those, how many stood on a row of their own among the inbox's
    /// visible rows when they reached the human, on an 80×24 console.
    pub surfaced_80x24: usize,
    /// The same on a 160×48 console.
    pub surfaced_160x48: usize,
    /// The lower of the two as a share of `unsure_high` (100 when none).
    pub surfaced_pct: f64,
}

/// Waits in milliseconds: how many, the median, the 90th percentile and
/// the longest (nearest rank).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Waits {
    pub count: usize,
    pub p50_ms: Millis,
    pub p90_ms: Millis,
    pub max_ms: Millis,
}

impl Waits {
    pub fn of(mut waits: Vec<Millis>) -> Waits {
        waits.sort_unstable();
        let rank = |p: usize| -> Millis {
            if waits.is_empty() {
                return 0;
            }
            let k = (p * waits.len()).div_ceil(100).max(1);
            waits[k - 1]
        };
        Waits {
            count: waits.len(),
            p50_ms: rank(50),
            p90_ms: rank(90),
            max_ms: waits.last().copied().unwrap_or(0),
        }
    }
}

impl OperatorLoad {
    /// Whether the run met the goals.
    pub fn goal_met(&self) -> bool {
        self.decisions_worst_hour <= GOAL_WORST_HOUR
            && self.keys_max <= GOAL_KEYS
            && self.reached_human == self.unsure_high
            && self.surfaced_pct >= 100.0
    }
}

impl fmt::Display for Waits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} · p50 {} · p90 {} · max {}",
            self.count,
            elapsed(self.p50_ms),
            elapsed(self.p90_ms),
            elapsed(self.max_ms)
        )
    }
}

impl fmt::Display for OperatorLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "operator   {} decisions · worst hour {} · {:.1} an hour · keys {:.1} mean, {} max",
            self.decisions,
            self.decisions_worst_hour,
            self.decisions_per_hour_mean,
            self.keys_mean,
            self.keys_max
        )?;
        writeln!(f, "waited     concerns {}", self.concern_wait)?;
        writeln!(f, "waited     pauses {}", self.pause_wait)?;
        writeln!(
            f,
            "surfaced   {} unsure high-impact · {} reached the human · on screen {} at 80×24, {} at 160×48 ({:.0} %){}",
            self.unsure_high,
            self.reached_human,
            self.surfaced_80x24,
            self.surfaced_160x48,
            self.surfaced_pct,
            if self.goal_met() {
                ""
            } else {
                " · goal missed"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let w = Waits::of((1..=10).rev().collect());
        assert_eq!((w.count, w.p50_ms, w.p90_ms, w.max_ms), (10, 5, 9, 10));
        assert_eq!(Waits::of(vec![]), Waits::default());
        let one = Waits::of(vec![7]);
        assert_eq!((one.p50_ms, one.p90_ms, one.max_ms), (7, 7, 7));
    }
}
