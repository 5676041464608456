//! `[sim]`: the simulated runtime's ranges and fault rates.

use super::Behaviour;
use super::operator::SimOperator;
use serde::{Deserialize, Deserializer, Serialize};

/// The simulated runtime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sim {
    /// How long a task's normal work takes, virtual minutes `[min, max]`.
    #[serde(deserialize_with = "min_max")]
    pub task_minutes: [u32; 2],
    /// Commits per task `[min, max]`.
    #[serde(deserialize_with = "min_max")]
    pub commits: [u32; 2],
    pub tokens_per_minute: u64,
    /// Virtual minutes a gate run takes.
    pub gate_minutes: u32,
    /// The file a conflicting edit touches.
    pub conflict_file: String,
    // Probability that a task attempt shows the fault (each 0..=1, sum <= 1).
    pub stall: f64,
    pub zombie: f64,
    pub runaway: f64,
    pub concern: f64,
    pub pause: f64,
    pub conflict: f64,
    pub gate_fail: f64,
    pub crash: f64,
    /// The simulated operator (off unless the scenario turns it on).
    pub operator: SimOperator,
}

/// `[min, max]`: exactly two non-negative integers (serde's arrays would
/// silently drop a third).
fn min_max<'de, D: Deserializer<'de>>(d: D) -> Result<[u32; 2], D::Error> {
    let v = Vec::<u32>::deserialize(d)?;
    match v[..] {
        [lo, hi] => Ok([lo, hi]),
        _ => Err(serde::de::Error::custom(format!(
            "expected [min, max], found {} values",
            v.len()
        ))),
    }
}

impl Default for Sim {
    fn default() -> Self {
        Self {
            task_minutes: [20, 90],
            commits: [2, 5],
            tokens_per_minute: 12_000,
            gate_minutes: 2,
            conflict_file: "registry.rs".into(),
            stall: 0.0,
            zombie: 0.0,
            runaway: 0.0,
            concern: 0.0,
            pause: 0.0,
            conflict: 0.0,
            gate_fail: 0.0,
            crash: 0.0,
            operator: SimOperator::default(),
        }
    }
}

impl Sim {
    /// The rate of a fault (`Normal` gets what is left).
    pub fn rate(&self, b: Behaviour) -> f64 {
        match b {
            Behaviour::Normal => (1.0 - self.fault_rate()).max(0.0),
            Behaviour::Stall => self.stall,
            Behaviour::Zombie => self.zombie,
            Behaviour::Runaway => self.runaway,
            Behaviour::Concern => self.concern,
            Behaviour::Pause => self.pause,
            Behaviour::Conflict => self.conflict,
            Behaviour::GateFail => self.gate_fail,
            Behaviour::Crash => self.crash,
            // Only a task asks for it; never drawn.
            Behaviour::Lead => 0.0,
        }
    }

    /// The probability that an attempt shows any fault.
    pub fn fault_rate(&self) -> f64 {
        Behaviour::FAULTS.iter().map(|&b| self.rate(b)).sum()
    }
}
