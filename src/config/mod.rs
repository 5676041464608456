//! The TOML config with defaults and precise errors; backlog (task) files;
//! scenarios.
//!
//! * [`Config`] — `.shiftboss/config.toml`: every section and key optional,
//!   unknown keys rejected, values range-checked.
//! * [`parse_backlog`] — a task file (`shiftboss task import FILE`).
//! * [`Scenario`] — a simulated day: a header, config sections and a backlog.
//!
//! Any problem is a [`ConfigError`], whose `Display` is one line naming the
//! file, the line and the key, and what was expected.

mod backlog;
mod convert;
mod error;
mod inbox;
mod merge;
pub mod names;
mod sandbox;
mod scenario;
mod template;

pub use backlog::{Tier, parse_backlog};
pub use error::{ConfigError, USER_FILE_MAX, read_bounded, read_text};
#[allow(unused_imports)]
pub(crate) use error::{Source, k as error_key};
pub use inbox::{InboxRules, ReraiseAfter};
pub use merge::{AiTier, DEFAULT_PROTECTED, Merge, OnOverlap};
pub use sandbox::{Network, Sandbox, SandboxMode};
pub use scenario::{DEFAULT_START, Scenario};

use crate::domain::{AgentId, Millis, Money, Price};
use error::{Invalid, Seg, i, k};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// A duration written the human way in TOML (`"30s"`, `"10m"`, `"2h"`),
/// held as milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dur(pub Millis);

impl Dur {
    pub const fn secs(s: i64) -> Dur {
        Dur(s * 1_000)
    }
    pub const fn mins(m: i64) -> Dur {
        Dur(m * 60_000)
    }
    pub const fn hours(h: i64) -> Dur {
        Dur(h * 3_600_000)
    }
    pub fn millis(self) -> Millis {
        self.0
    }
    pub fn as_std(self) -> Duration {
        Duration::from_millis(self.0.max(0) as u64)
    }
    /// Parse `"10m"`, `"90s"`, `"1h 30m"`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Dur> {
        let d = humantime::parse_duration(s.trim()).ok()?;
        i64::try_from(d.as_millis()).ok().map(Dur)
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.as_std()))
    }
}

const DURATION_EXPECTED: &str = "a duration such as \"10m\" or \"90s\"";

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_EXPECTED)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Dur, E> {
                Dur::parse(s).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_str(V)
    }
}

/// Which kind of agent process the swarm runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// The built-in simulated agent.
    #[default]
    Sim,
    Claude,
    Codex,
    /// Any command speaking the agent line protocol.
    Command,
}

impl Runtime {
    pub const ALL: [Runtime; 4] = [
        Runtime::Sim,
        Runtime::Claude,
        Runtime::Codex,
        Runtime::Command,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Sim => "sim",
            Runtime::Claude => "claude",
            Runtime::Codex => "codex",
            Runtime::Command => "command",
        }
    }
}

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
}

impl Behaviour {
    pub const ALL: [Behaviour; 9] = [
        Behaviour::Normal,
        Behaviour::Stall,
        Behaviour::Zombie,
        Behaviour::Runaway,
        Behaviour::Concern,
        Behaviour::Pause,
        Behaviour::Conflict,
        Behaviour::GateFail,
        Behaviour::Crash,
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

/// The whole config. Every section and key is optional; see
/// [`Config::template`] for each setting's meaning and default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub swarm: Swarm,
    /// Dollars per million tokens, by model. A file's entries are added to
    /// (or replace) the shipped ones.
    #[serde(deserialize_with = "prices_over_defaults")]
    pub prices: BTreeMap<String, PriceEntry>,
    pub budgets: Budgets,
    pub watchdog: Watchdog,
    pub gates: Gates,
    pub merge: Merge,
    pub pause: PauseRules,
    pub inbox: InboxRules,
    pub agent: AgentRun,
    pub sandbox: Sandbox,
    pub sim: Sim,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Swarm {
    /// Size of the agent pool: `builder-01` … (1..=1000).
    pub agents: usize,
    /// Concurrency cap: sessions at once (1..=1000).
    pub max_live: usize,
    /// The target branch; only the merge queue moves it.
    pub target: String,
    pub runtime: Runtime,
    /// Assigned to agents in turn; each has a price.
    pub models: Vec<String>,
    pub seed: u64,
}

impl Default for Swarm {
    fn default() -> Self {
        Self {
            agents: 12,
            max_live: 12,
            target: "main".into(),
            runtime: Runtime::Sim,
            models: vec!["claude-sonnet-4-5".into()],
            seed: 1,
        }
    }
}

impl Swarm {
    /// The model of pool slot `n` (1-based): the models in turn.
    pub fn model_for(&self, n: usize) -> &str {
        if self.models.is_empty() {
            return "";
        }
        &self.models[n.saturating_sub(1) % self.models.len()]
    }

    /// `builder-01` … `builder-NN`.
    pub fn agent_ids(&self) -> Vec<AgentId> {
        (1..=self.agents).map(AgentId::builder).collect()
    }
}

/// One row of the price table, in dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_read: f64,
    #[serde(default)]
    pub cache_write: f64,
    /// The model's context window, in tokens.
    #[serde(default = "default_context")]
    pub context: u64,
    /// The most output tokens one call returns; a usage report above it is
    /// refused.
    #[serde(default = "default_max_output")]
    pub max_output: u64,
}

fn default_context() -> u64 {
    200_000
}

fn default_max_output() -> u64 {
    128_000
}

impl PriceEntry {
    pub fn price(&self) -> Price {
        Price::per_million(self.input, self.output, self.cache_read, self.cache_write)
    }
}

/// The shipped price table.
pub fn default_prices() -> BTreeMap<String, PriceEntry> {
    let e = |input, output, cache_read, cache_write, context| PriceEntry {
        input,
        output,
        cache_read,
        cache_write,
        context,
        max_output: default_max_output(),
    };
    BTreeMap::from([
        (
            "claude-sonnet-4-5".to_string(),
            e(3.0, 15.0, 0.30, 3.75, 200_000),
        ),
        (
            "claude-haiku-4-5".to_string(),
            e(1.0, 5.0, 0.10, 1.25, 200_000),
        ),
        (
            "claude-opus-4-1".to_string(),
            e(15.0, 75.0, 1.50, 18.75, 200_000),
        ),
        (
            "gpt-5-codex".to_string(),
            e(1.25, 10.0, 0.125, 0.0, 400_000),
        ),
    ])
}

fn prices_over_defaults<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, PriceEntry>, D::Error> {
    let given = BTreeMap::<String, PriceEntry>::deserialize(d)?;
    let mut prices = default_prices();
    prices.extend(given);
    Ok(prices)
}

/// Hard limits in dollars; 0 means no limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budgets {
    /// Per agent per day; over it the agent is stopped.
    pub agent: f64,
    /// Per task; over it the task is stopped and blocked.
    pub task: f64,
    /// The whole swarm per day.
    pub day: f64,
    /// Share of `day` at which no new work starts (0..=1).
    pub day_soft: f64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            agent: 40.0,
            task: 15.0,
            day: 500.0,
            day_soft: 0.9,
        }
    }
}

fn limit(dollars: f64) -> Option<Money> {
    (dollars > 0.0).then(|| Money::from_dollars(dollars))
}

impl Budgets {
    pub fn agent_limit(&self) -> Option<Money> {
        limit(self.agent)
    }
    pub fn task_limit(&self) -> Option<Money> {
        limit(self.task)
    }
    pub fn day_limit(&self) -> Option<Money> {
        limit(self.day)
    }
    /// The spend at which no new work starts (`day × day_soft`), if the day
    /// has a limit.
    pub fn day_soft_limit(&self) -> Option<Money> {
        limit(self.day * self.day_soft)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Watchdog {
    /// How often T1 checks run.
    pub tick: Dur,
    /// No output for longer => stalled.
    pub stall_after: Dur,
    /// A task running longer => over time.
    pub task_time_bound: Dur,
    /// The same output line this many times in a row => looping.
    pub loop_repeats: u32,
    /// Share of its model's context window at which an agent hands off to a
    /// fresh session (0 = never).
    pub handoff_at: f64,
    /// The window the output-flood check counts over.
    pub flood_window: Dur,
    /// More output lines than this in one window => output flood (0 = no limit).
    pub flood_lines: u64,
    /// More output bytes than this in one window => output flood (0 = no limit).
    pub flood_bytes: u64,
}

impl Default for Watchdog {
    fn default() -> Self {
        let flood = crate::watchdog::FloodLimits::default();
        Self {
            tick: Dur::secs(30),
            stall_after: Dur::mins(10),
            task_time_bound: Dur::hours(2),
            loop_repeats: 20,
            handoff_at: 0.8,
            flood_window: Dur(flood.window),
            flood_lines: flood.lines,
            flood_bytes: flood.bytes,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gates {
    /// Shell commands run in the agent's worktree; each must exit 0.
    pub commands: Vec<String>,
    pub timeout: Dur,
    /// After this many gate rejections the task fails with a concern.
    pub max_rejections: u32,
    /// Every changed path must lie inside the task's owned scope.
    pub scope: bool,
    /// Globs of paths no agent may change.
    pub protected: Vec<String>,
    /// Keys in the repository's `.git/config` that make git run a program
    /// (`core.fsmonitor`, `filter.*.smudge`, …) and that the operator set on
    /// purpose: `doctor` does not warn about them.
    pub allowed_git_config: Vec<String>,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            commands: Vec::new(),
            timeout: Dur::mins(10),
            max_rejections: 3,
            scope: true,
            protected: merge::default_protected(),
            allowed_git_config: Vec::new(),
        }
    }
}

/// The `[agent]` section: how real agent processes run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentRun {
    /// With `runtime = "command"`: the program and its arguments, run in the
    /// agent's worktree.
    pub command: Vec<String>,
    /// How long a stopped agent has to exit after SIGTERM before SIGKILL.
    pub stop_grace: Dur,
    /// Extra environment variables agents may see (names only; the values
    /// come from shiftboss's own environment and never reach the log).
    pub pass_env: Vec<String>,
    /// With `runtime = "claude"`: the Claude Code binary.
    pub claude: String,
    /// Tools Claude Code may use without asking.
    pub allowed_tools: Vec<String>,
    /// Claude Code's permission mode (running as root, it refuses to skip
    /// permissions, so they are granted explicitly).
    pub permission_mode: String,
    /// With `runtime = "codex"`: the Codex binary.
    pub codex: String,
    /// Codex's Responses API endpoint (empty: OpenAI's own).
    pub codex_base_url: String,
    /// Codex's sandbox for the commands it runs.
    pub codex_sandbox: String,
    /// Models that run in another runtime than `swarm.runtime`, e.g.
    /// `{ "gpt-5-codex" = "codex" }` (a name or a prefix of one).
    pub by_model: BTreeMap<String, Runtime>,
    /// API refusals (rate limit, overload, …) of one task in a row after
    /// which it fails with a concern.
    pub api_refusals: u32,
    /// Or, whichever comes first: how long a task may be refused in a row.
    pub api_refusal_time: Dur,
}

impl Default for AgentRun {
    fn default() -> Self {
        Self {
            command: Vec::new(),
            stop_grace: Dur::secs(10),
            pass_env: Vec::new(),
            claude: "claude".into(),
            allowed_tools: vec!["Bash".into(), "Edit".into(), "Read".into()],
            permission_mode: "acceptEdits".into(),
            codex: "codex".into(),
            codex_base_url: String::new(),
            codex_sandbox: "workspace-write".into(),
            by_model: BTreeMap::new(),
            api_refusals: 6,
            api_refusal_time: Dur::mins(30),
        }
    }
}

/// The `[pause]` section: when work stops for the operator.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PauseRules {
    /// A pause point before every merge into the target.
    pub before_merge: bool,
    /// A pause point before merges into targets matching these globs
    /// (protected branches such as `release/*`).
    pub before_merge_into: Vec<String>,
    /// Dollars; a task passing it stops at a pause point (0 = off).
    pub task_spend: f64,
}

impl PauseRules {
    pub fn task_spend_limit(&self) -> Option<Money> {
        limit(self.task_spend)
    }
}

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
        }
    }

    /// The probability that an attempt shows any fault.
    pub fn fault_rate(&self) -> f64 {
        Behaviour::FAULTS.iter().map(|&b| self.rate(b)).sum()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            swarm: Swarm::default(),
            prices: default_prices(),
            budgets: Budgets::default(),
            watchdog: Watchdog::default(),
            gates: Gates::default(),
            merge: Merge::default(),
            pause: PauseRules::default(),
            inbox: InboxRules::default(),
            agent: AgentRun::default(),
            sandbox: Sandbox::default(),
            sim: Sim::default(),
        }
    }
}

impl Config {
    /// Read and check `.shiftboss/config.toml` (or any config file).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = error::read_text(path)?;
        Config::parse(&text, path)
    }

    /// Like [`Config::load`], but a missing file means the defaults.
    pub fn load_or_default(path: &Path) -> Result<Config, ConfigError> {
        if path.exists() {
            Config::load(path)
        } else {
            Ok(Config::default())
        }
    }

    /// Parse and check config text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let src = Source::new(text, path)?;
        let config: Config = src.deserialize()?;
        config.check(&[]).map_err(|e| src.invalid(e))?;
        Ok(config)
    }

    /// The file `shiftboss init` writes: every setting at its default, each
    /// explained by a comment.
    pub fn template() -> String {
        template::TEMPLATE.to_string()
    }

    /// The template for a real swarm: `runtime` set to the agent CLI found
    /// (`claude` or `codex`), else to `command` with an example command,
    /// commented out, for the user to fill in.
    pub fn template_for(agent_cli: Option<Runtime>) -> String {
        template::for_runtime(agent_cli)
    }

    /// Plain TOML that parses back to the same config.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot write this config: {e}\n"))
    }

    /// The price of a model, if the table has it.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.get(model).map(PriceEntry::price)
    }

    /// Check ranges and cross-references. `base` is where the config sections
    /// sit in the file (the root for both config files and scenarios).
    pub(crate) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        let p = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        let s = &self.swarm;
        if !(1..=1000).contains(&s.agents) {
            return Err(Invalid::new(
                p(&[k("swarm"), k("agents")]),
                format!("expected 1 to 1000 agents, found {}", s.agents),
            ));
        }
        if !(1..=1000).contains(&s.max_live) {
            return Err(Invalid::new(
                p(&[k("swarm"), k("max_live")]),
                format!("expected 1 to 1000 sessions at once, found {}", s.max_live),
            ));
        }
        if s.target.trim().is_empty() {
            return Err(Invalid::new(
                p(&[k("swarm"), k("target")]),
                "expected a branch name, found an empty string",
            ));
        }
        if s.models.is_empty() {
            return Err(Invalid::new(
                p(&[k("swarm"), k("models")]),
                "expected at least one model",
            ));
        }
        for (n, model) in s.models.iter().enumerate() {
            if !self.prices.contains_key(model) {
                let known: Vec<&str> = self.prices.keys().map(String::as_str).collect();
                return Err(Invalid::new(
                    p(&[k("swarm"), k("models")]),
                    format!(
                        "no price for model \"{model}\" (priced: {}); add a [prices.\"{model}\"] table",
                        known.join(", ")
                    ),
                )
                .at(p(&[k("swarm"), k("models"), i(n)])));
            }
        }
        for (model, e) in &self.prices {
            if model.trim().is_empty() {
                return Err(Invalid::new(
                    p(&[k("prices")]),
                    "expected a model name, found an empty key",
                ));
            }
            for (key, v) in [
                ("input", e.input),
                ("output", e.output),
                ("cache_read", e.cache_read),
                ("cache_write", e.cache_write),
            ] {
                if !(v.is_finite() && (0.0..=1_000_000.0).contains(&v)) {
                    return Err(Invalid::new(
                        p(&[k("prices"), k(model), k(key)]),
                        format!("expected dollars per million tokens (0 or more), found {v}"),
                    ));
                }
            }
        }
        let b = &self.budgets;
        for (key, v) in [("agent", b.agent), ("task", b.task), ("day", b.day)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Invalid::new(
                    p(&[k("budgets"), k(key)]),
                    format!("expected dollars, 0 or more (0 = no limit), found {v}"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&b.day_soft) {
            return Err(Invalid::new(
                p(&[k("budgets"), k("day_soft")]),
                format!(
                    "expected a share of the day budget from 0 to 1, found {}",
                    b.day_soft
                ),
            ));
        }
        let w = &self.watchdog;
        for (key, d) in [
            ("tick", w.tick),
            ("stall_after", w.stall_after),
            ("task_time_bound", w.task_time_bound),
            ("flood_window", w.flood_window),
        ] {
            if d.0 <= 0 {
                return Err(Invalid::new(
                    p(&[k("watchdog"), k(key)]),
                    format!("expected a duration longer than zero, found \"{d}\""),
                ));
            }
        }
        if !(0.0..=1.0).contains(&w.handoff_at) {
            return Err(Invalid::new(
                p(&[k("watchdog"), k("handoff_at")]),
                format!("expected a share from 0 to 1, found {}", w.handoff_at),
            ));
        }
        if w.loop_repeats < 2 {
            return Err(Invalid::new(
                p(&[k("watchdog"), k("loop_repeats")]),
                format!("expected 2 or more repeats, found {}", w.loop_repeats),
            ));
        }
        let uses_command = self.swarm.runtime == Runtime::Command
            || self.agent.by_model.values().any(|r| *r == Runtime::Command);
        if uses_command && self.agent.command.is_empty() {
            return Err(Invalid::new(
                p(&[k("agent"), k("command")]),
                "runtime = \"command\" needs the program to run, e.g. command = [\"./agent.sh\"]",
            )
            .at(p(&[k("swarm"), k("runtime")])));
        }
        if !["read-only", "workspace-write", "danger-full-access"]
            .contains(&self.agent.codex_sandbox.as_str())
        {
            return Err(Invalid::new(
                p(&[k("agent"), k("codex_sandbox")]),
                format!(
                    "expected read-only, workspace-write or danger-full-access, found {:?}",
                    self.agent.codex_sandbox
                ),
            ));
        }
        if self.agent.api_refusals == 0 {
            return Err(Invalid::new(
                p(&[k("agent"), k("api_refusals")]),
                "expected 1 or more refusals, found 0",
            ));
        }
        if self.agent.api_refusal_time.0 <= 0 {
            return Err(Invalid::new(
                p(&[k("agent"), k("api_refusal_time")]),
                format!(
                    "expected a duration longer than zero, found \"{}\"",
                    self.agent.api_refusal_time
                ),
            ));
        }
        for (n, v) in self.agent.pass_env.iter().enumerate() {
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Invalid::new(
                    p(&[k("agent"), k("pass_env")]),
                    format!("expected an environment variable name, found {v:?}"),
                )
                .at(p(&[k("agent"), k("pass_env"), i(n)])));
            }
        }
        let g = &self.gates;
        for (n, c) in g.commands.iter().enumerate() {
            if c.trim().is_empty() {
                return Err(Invalid::new(
                    p(&[k("gates"), k("commands")]),
                    "expected a shell command, found an empty string",
                )
                .at(p(&[k("gates"), k("commands"), i(n)])));
            }
        }
        if g.timeout.0 <= 0 {
            return Err(Invalid::new(
                p(&[k("gates"), k("timeout")]),
                format!(
                    "expected a duration longer than zero, found \"{}\"",
                    g.timeout
                ),
            ));
        }
        merge::check_globs(&g.protected, &p(&[k("gates"), k("protected")]))?;
        merge::check_globs(
            &self.pause.before_merge_into,
            &p(&[k("pause"), k("before_merge_into")]),
        )?;
        self.merge.check(base)?;
        self.sandbox.check(base)?;
        self.inbox.check(base)?;
        if g.max_rejections < 1 {
            return Err(Invalid::new(
                p(&[k("gates"), k("max_rejections")]),
                "expected 1 or more rejections, found 0",
            ));
        }
        if !(self.pause.task_spend.is_finite() && self.pause.task_spend >= 0.0) {
            return Err(Invalid::new(
                p(&[k("pause"), k("task_spend")]),
                format!(
                    "expected dollars, 0 or more (0 = off), found {}",
                    self.pause.task_spend
                ),
            ));
        }
        let sim = &self.sim;
        for (key, [lo, hi]) in [("task_minutes", sim.task_minutes), ("commits", sim.commits)] {
            if lo < 1 || lo > hi {
                return Err(Invalid::new(
                    p(&[k("sim"), k(key)]),
                    format!("expected [min, max] with 1 <= min <= max, found [{lo}, {hi}]"),
                ));
            }
        }
        if sim.conflict_file.trim().is_empty() {
            return Err(Invalid::new(
                p(&[k("sim"), k("conflict_file")]),
                "expected a file path, found an empty string",
            ));
        }
        let f = &sim.conflict_file;
        if f.starts_with('/')
            || f.chars().any(char::is_control)
            || f.split('/').any(|c| c.is_empty() || c == "..")
        {
            return Err(Invalid::new(
                p(&[k("sim"), k("conflict_file")]),
                format!("expected a relative path inside the repository, found {f:?}"),
            ));
        }
        for b in Behaviour::FAULTS {
            let v = sim.rate(b);
            if !(0.0..=1.0).contains(&v) {
                return Err(Invalid::new(
                    p(&[k("sim"), k(b.as_str())]),
                    format!("expected a probability from 0 to 1, found {v}"),
                ));
            }
        }
        let sum = sim.fault_rate();
        if sum > 1.0 + 1e-9 {
            // Point at the last rate the file sets: the one that tipped it over.
            let last = Behaviour::FAULTS
                .iter()
                .rev()
                .find(|b| sim.rate(**b) > 0.0)
                .map(|b| b.as_str())
                .unwrap_or("stall");
            return Err(Invalid::new(
                p(&[k("sim")]),
                format!(
                    "the fault rates (stall, zombie, runaway, concern, pause, conflict, gate_fail, crash) add up to {sum:.3}; expected at most 1"
                ),
            )
            .at(p(&[k("sim"), k(last)])));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
