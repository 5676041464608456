//! What the simulated agent does, as types: the behaviours a scenario
//! plants, the rates and settings that choose them, and the plan (a script of
//! lines, edits, commits and an exit) that the simulator makes and the
//! executor plays. The plan's maker is `runtime::sim`.

use super::{MINUTE, Millis};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// A scripted behaviour of the simulated agent (`TaskSpec::behaviour`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    Normal,
    /// Stops producing output.
    Stall,
    /// The process lives on, doing nothing useful.
    Zombie,
    /// Burns tokens far past the budget.
    Runaway,
    /// Raises a concern.
    Concern,
    /// Asks for a pause point.
    Pause,
    /// Edits the shared conflict file, so its merge conflicts.
    Conflict,
    /// Plants the `SIM-BUG` marker, so the gate fails.
    GateFail,
    /// The process dies without saying it was done.
    Crash,
    /// A team's lead: breaks its epic into coder tasks (`::task` lines) on
    /// its first attempt, integrates on the next.
    Lead,
}

impl Behaviour {
    pub const ALL: [Behaviour; 10] = [
        Behaviour::Normal,
        Behaviour::Stall,
        Behaviour::Zombie,
        Behaviour::Runaway,
        Behaviour::Concern,
        Behaviour::Pause,
        Behaviour::Conflict,
        Behaviour::GateFail,
        Behaviour::Crash,
        Behaviour::Lead,
    ];

    /// The faults, in the order of the `[sim]` rates.
    pub const FAULTS: [Behaviour; 8] = [
        Behaviour::Stall,
        Behaviour::Zombie,
        Behaviour::Runaway,
        Behaviour::Concern,
        Behaviour::Pause,
        Behaviour::Conflict,
        Behaviour::GateFail,
        Behaviour::Crash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Normal => "normal",
            Behaviour::Stall => "stall",
            Behaviour::Zombie => "zombie",
            Behaviour::Runaway => "runaway",
            Behaviour::Concern => "concern",
            Behaviour::Pause => "pause",
            Behaviour::Conflict => "conflict",
            Behaviour::GateFail => "gate_fail",
            Behaviour::Crash => "crash",
            Behaviour::Lead => "lead",
        }
    }

    pub fn parse(s: &str) -> Option<Behaviour> {
        Behaviour::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Probability per task attempt of each fault.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rates {
    pub stall: f64,
    pub zombie: f64,
    pub runaway: f64,
    pub concern: f64,
    pub pause: f64,
    pub conflict: f64,
    pub gate_fail: f64,
    pub crash: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimSettings {
    /// How long normal work takes, in virtual minutes (min, max).
    pub task_minutes: (u32, u32),
    /// Commits per task (min, max).
    pub commits: (u32, u32),
    pub tokens_per_minute: u64,
    /// Virtual time a gate run takes.
    pub gate_time: Millis,
    /// The file a conflicting edit touches.
    pub conflict_file: String,
    pub rates: Rates,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            task_minutes: (20, 90),
            commits: (2, 5),
            tokens_per_minute: 12_000,
            gate_time: 2 * MINUTE,
            conflict_file: "registry.rs".into(),
            rates: Rates::default(),
        }
    }
}

/// A file change a simulated agent makes in its worktree.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Append text to a file, creating it (and its folders) if needed.
    Append { path: String, text: String },
    /// Replace the first line that starts with `prefix`, or append the line.
    ReplaceLine {
        path: String,
        prefix: String,
        line: String,
    },
    /// Drop every line containing `marker` from a file, if it exists.
    RemoveLines { path: String, marker: String },
}

impl Edit {
    /// The file it changes.
    pub fn path(&self) -> &str {
        match self {
            Edit::Append { path, .. }
            | Edit::ReplaceLine { path, .. }
            | Edit::RemoveLines { path, .. } => path,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Print a line (ordinary output or a protocol line).
    Line(String),
    /// Edit files and commit them on the branch.
    Commit { edits: Vec<Edit>, message: String },
    /// Stop until the operator decides the pause point just requested.
    AwaitDecision,
    /// Print the same line forever, at this interval.
    Repeat { line: String, every: Millis },
    /// The process dies with this code.
    Exit(i32),
}

/// A script: each action runs `delay` after the one before it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub behaviour: Option<Behaviour>,
    pub steps: VecDeque<(Millis, Action)>,
}
