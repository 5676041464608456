//! Scenarios: a simulated day as one file — a `[scenario]` header, any config
//! sections overriding the defaults, and a backlog of `[[convoy]]`s.

use super::backlog::{self, ConvoyDef};
use super::error::{ConfigError, Invalid, Source, k, read_text};
use super::{
    AgentRun, Budgets, Config, Dur, Gates, InboxRules, Merge, PauseRules, PriceEntry, Sim, Swarm,
    Watchdog, default_prices, prices_over_defaults,
};
use crate::domain::{Millis, TaskSpec};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::Path;

/// The virtual clock's default start.
pub const DEFAULT_START: &str = "2026-03-02T09:00:00Z";

/// A simulated day.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// How long the day runs (virtual time).
    pub duration: Millis,
    /// Virtual clock start, milliseconds since the Unix epoch.
    pub start: Millis,
    pub config: Config,
    pub backlog: Vec<TaskSpec>,
}

/// Scenarios compiled into the binary: (name, file in the repository, text).
const BUILTIN: [(&str, &str, &str); 3] = [
    (
        "standard-day",
        "fixtures/scenarios/standard-day.toml",
        include_str!("../../fixtures/scenarios/standard-day.toml"),
    ),
    (
        "small",
        "fixtures/scenarios/small.toml",
        include_str!("../../fixtures/scenarios/small.toml"),
    ),
    (
        "teams-day",
        "fixtures/scenarios/teams-day.toml",
        include_str!("../../fixtures/scenarios/teams-day.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    scenario: Header,
    #[serde(default)]
    swarm: Swarm,
    #[serde(default = "default_prices", deserialize_with = "prices_over_defaults")]
    prices: BTreeMap<String, PriceEntry>,
    #[serde(default)]
    budgets: Budgets,
    #[serde(default)]
    watchdog: Watchdog,
    #[serde(default)]
    gates: Gates,
    #[serde(default)]
    merge: Merge,
    #[serde(default)]
    pause: PauseRules,
    #[serde(default)]
    inbox: InboxRules,
    #[serde(default)]
    mail: super::MailRules,
    #[serde(default)]
    routing: super::Routing,
    #[serde(default)]
    tiers: super::Tiers,
    #[serde(default)]
    agent: AgentRun,
    #[serde(default)]
    sim: Sim,
    #[serde(default)]
    convoy: Vec<ConvoyDef>,
    #[serde(default)]
    teams: Vec<super::teams::Team>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    #[serde(default)]
    description: String,
    duration: Dur,
    #[serde(default, deserialize_with = "start_time")]
    start: Option<Millis>,
}

const START_EXPECTED: &str = "an RFC 3339 time such as \"2026-03-02T09:00:00Z\"";

fn parse_start(s: &str) -> Option<Millis> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A quoted RFC 3339 string, or a bare TOML date-time with an offset.
fn start_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    use serde::de::Error;
    let v = toml::Value::deserialize(d)?;
    let (text, shown) = match &v {
        toml::Value::String(s) => (s.clone(), format!("{s:?}")),
        toml::Value::Datetime(dt) => (dt.to_string(), dt.to_string()),
        other => (String::new(), format!("{} {other}", other.type_str())),
    };
    parse_start(&text)
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected {START_EXPECTED}, found {shown}")))
}

impl Scenario {
    /// The names of the scenarios compiled into the binary.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(name, _, _)| *name).collect()
    }

    /// A scenario shipped in `fixtures/scenarios/`, compiled in.
    pub fn builtin(name: &str) -> Option<Scenario> {
        let (_, path, text) = BUILTIN.iter().find(|(n, _, _)| *n == name)?;
        // The shipped files are checked by the tests; a failure here is a bug
        // in a fixture, not bad input.
        match Scenario::parse(text, Path::new(path)) {
            Ok(s) => Some(s),
            Err(e) => panic!("built-in scenario is broken: {e}"),
        }
    }

    pub fn load(path: &Path) -> Result<Scenario, ConfigError> {
        let text = read_text(path)?;
        Scenario::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ConfigError> {
        let src = Source::new(text, path)?;
        let file: ScenarioFile = src.deserialize()?;
        let h = &file.scenario;
        if h.name.trim().is_empty() {
            return Err(src.invalid(Invalid::new(
                vec![k("scenario"), k("name")],
                "expected a scenario name, found an empty string",
            )));
        }
        if h.duration.0 <= 0 {
            return Err(src.invalid(Invalid::new(
                vec![k("scenario"), k("duration")],
                format!(
                    "expected a duration longer than zero, found \"{}\"",
                    h.duration
                ),
            )));
        }
        let start = match h.start {
            Some(s) => s,
            None => parse_start(DEFAULT_START).unwrap_or_default(),
        };
        let config = Config {
            swarm: file.swarm,
            prices: file.prices,
            budgets: file.budgets,
            watchdog: file.watchdog,
            gates: file.gates,
            merge: file.merge,
            pause: file.pause,
            inbox: file.inbox,
            mail: file.mail,
            routing: file.routing,
            tiers: file.tiers,
            // Simulated agents merge into no GitHub issue.
            intake: Default::default(),
            // Triage acts by its defaults; its model is not asked in a scenario.
            triage: Default::default(),
            agent: file.agent,
            // Scenarios run simulated agents only: no sandbox to configure.
            sandbox: Default::default(),
            sim: file.sim,
            targets: Default::default(),
            review: Default::default(),
            night: Default::default(),
            // A demo's console looks as its command line says.
            ui: Default::default(),
            teams: file.teams,
        };
        config.check(&[]).map_err(|e| src.invalid(e))?;
        let backlog = backlog::build(&src, &file.convoy, &[]).map_err(|e| src.invalid(e))?;
        Ok(Scenario {
            name: file.scenario.name.trim().to_string(),
            description: file.scenario.description.trim().to_string(),
            duration: h.duration.0,
            start,
            config,
            backlog,
        })
    }
}
