//! `[sim.operator]`: the simulated operator, a policy that answers the
//! inbox on the virtual clock so a simulated day is a closed loop. Off
//! unless a scenario turns it on.
//!
//! ```toml
//! [sim.operator]
//! enabled = true
//! answer_after = { critical = "5m", high = "10m", medium = "20m", pause = "8m" }
//! decision_time = "30s"
//! reject_when = ["drop the production"]
//! ```

use super::Dur;
use super::error::{Invalid, Seg, i, k};
use crate::domain::{Impact, Millis};
use serde::{Deserialize, Serialize};

/// How long the operator takes to answer, by impact, and for pause points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerAfter {
    pub critical: Dur,
    pub high: Dur,
    pub medium: Dur,
    pub pause: Dur,
}

impl Default for AnswerAfter {
    fn default() -> Self {
        AnswerAfter {
            critical: Dur::mins(5),
            high: Dur::mins(10),
            medium: Dur::mins(20),
            pause: Dur::mins(8),
        }
    }
}

/// The simulated operator's policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimOperator {
    pub enabled: bool,
    pub answer_after: AnswerAfter,
    /// How long one decision takes: the operator does one thing at a time.
    pub decision_time: Dur,
    /// Pause points whose reason contains any of these (case-insensitive)
    /// are rejected; every other pause point is approved.
    pub reject_when: Vec<String>,
}

impl Default for SimOperator {
    fn default() -> Self {
        SimOperator {
            enabled: false,
            answer_after: AnswerAfter::default(),
            decision_time: Dur::secs(30),
            reject_when: Vec::new(),
        }
    }
}

impl SimOperator {
    /// How long a concern of this impact waits for its answer; `None`:
    /// the operator leaves it (low impact is the log's, not the human's).
    pub fn concern_delay(&self, impact: Impact) -> Option<Millis> {
        let a = &self.answer_after;
        match impact {
            Impact::Critical => Some(a.critical.millis()),
            Impact::High => Some(a.high.millis()),
            Impact::Medium => Some(a.medium.millis()),
            Impact::Low => None,
        }
    }

    /// Whether the policy rejects a pause point with this reason.
    pub fn rejects(&self, reason: &str) -> bool {
        let reason = reason.to_lowercase();
        self.reject_when
            .iter()
            .any(|w| reason.contains(&w.to_lowercase()))
    }

    pub(super) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        let at = |parts: &[Seg]| -> Vec<Seg> {
            let mut v: Vec<Seg> = base.to_vec();
            v.extend([k("sim"), k("operator")]);
            v.extend(parts.iter().cloned());
            v
        };
        if self.decision_time.millis() <= 0 {
            return Err(Invalid::new(
                at(&[k("decision_time")]),
                format!(
                    "expected a duration longer than zero (one decision at a time), found \"{}\"",
                    self.decision_time
                ),
            ));
        }
        for (n, w) in self.reject_when.iter().enumerate() {
            if w.trim().is_empty() {
                return Err(Invalid::new(
                    at(&[k("reject_when"), i(n)]),
                    "expected words a pause point's reason contains, found an empty string",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("c.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn off_by_default_and_read_from_sim_operator() {
        assert!(!parse("").unwrap().sim.operator.enabled);
        let c = parse(
            "[sim.operator]\nenabled = true\nanswer_after = { high = \"3m\" }\nreject_when = [\"Shared Database\"]\n",
        )
        .unwrap();
        let op = &c.sim.operator;
        assert!(op.enabled);
        assert_eq!(op.concern_delay(Impact::High), Some(3 * 60_000));
        assert_eq!(op.concern_delay(Impact::Critical), Some(5 * 60_000));
        assert_eq!(op.concern_delay(Impact::Low), None);
        assert!(op.rejects("about to run the data migration on the shared database"));
        assert!(!op.rejects("about to delete the legacy handlers"));
        // What `demo` writes into the project is read back the same.
        assert_eq!(parse(&c.to_toml()).unwrap().sim.operator, *op);
    }

    #[test]
    fn bad_policies_get_one_line_naming_the_key() {
        for (text, want) in [
            (
                "[sim.operator]\ndecision_time = \"0s\"\n",
                "c.toml:2: sim.operator.decision_time: expected a duration longer than zero",
            ),
            (
                "[sim.operator]\nreject_when = [\"\"]\n",
                "c.toml:2: sim.operator.reject_when[0]: expected words",
            ),
            (
                "[sim.operator]\nanswer_after = { low = \"5m\" }\n",
                "c.toml:2: sim.operator.answer_after.low: unknown key",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want), "{e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
