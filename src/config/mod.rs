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
mod check;
mod convert;
pub mod edit;
mod error;
mod inbox;
mod intake;
mod mail;
mod merge;
pub mod names;
pub mod night;
mod operator;
mod sandbox;
mod scenario;
mod sim;
pub mod targets;
pub mod teams;
mod template;
mod tiers;
mod triage;
mod ui;

pub use backlog::{ModelTier, parse_backlog};
pub use error::{ConfigError, USER_FILE_MAX, read_bounded, read_text};
#[allow(unused_imports)]
pub(crate) use error::{Source, k as error_key};
pub use inbox::{InboxRules, ReraiseAfter};
pub use intake::{GithubIntake, Intake};
pub use mail::MailRules;
pub use merge::{AiTier, DEFAULT_PROTECTED, Merge, OnOverlap};
pub use operator::{AnswerAfter, SimOperator};
pub use sandbox::{Network, Sandbox, SandboxMode};
pub use scenario::{DEFAULT_START, Scenario};
pub use sim::Sim;
pub use tiers::{Routing, Tiers};
pub use triage::Triage;
pub use ui::{GlyphsSetting, Ui};

use crate::domain::{AgentId, Millis, Money, Price};
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

pub use crate::domain::sim_plan::Behaviour;

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
    pub mail: MailRules,
    pub routing: Routing,
    pub tiers: Tiers,
    pub intake: Intake,
    pub triage: Triage,
    pub agent: AgentRun,
    pub sandbox: Sandbox,
    pub sim: Sim,
    /// What the review grades the day's metrics against (`docs/metrics.md`).
    pub targets: targets::Targets,
    pub review: targets::ReviewSettings,
    /// The night shift: its budget and end time.
    pub night: night::NightSettings,
    /// How the console looks (`[ui]`).
    pub ui: Ui,
    /// `[[teams]]`: leads over coders, owning convoys, in phases (none: a
    /// pool of peers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<teams::Team>,
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
    /// A concern routed to triage gets a verdict within this time ("0s" = no
    /// T2 triage: such concerns wait for the operator).
    pub triage_after: Dur,
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
            triage_after: Dur::mins(10),
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
            mail: MailRules::default(),
            routing: Routing::default(),
            tiers: Tiers::default(),
            intake: Intake::default(),
            triage: Triage::default(),
            agent: AgentRun::default(),
            sandbox: Sandbox::default(),
            sim: Sim::default(),
            targets: targets::Targets::default(),
            review: targets::ReviewSettings::default(),
            night: night::NightSettings::default(),
            ui: Ui::default(),
            teams: Vec::new(),
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
}

#[cfg(test)]
mod tests;
