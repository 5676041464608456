//! What the engine needs to know of the configuration, in engine units.

use super::InboxSettings;
use crate::domain::{HOUR, MINUTE, Millis, Money, Price, SECOND};
use crate::watchdog::WatchdogSettings;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Pool size: `builder-01` … `builder-NN`.
    pub agents: usize,
    /// Sessions at once.
    pub max_live: usize,
    pub target: String,
    pub runtime: String,
    /// Models handed to agents in turn.
    pub models: Vec<String>,
    pub seed: u64,
    pub prices: BTreeMap<String, Price>,
    /// Context windows in tokens, by model.
    pub context_windows: BTreeMap<String, u64>,
    /// The most output tokens one call can return, by model.
    pub output_limits: BTreeMap<String, u64>,
    /// Hard limits; zero means none.
    pub budget_agent: Money,
    pub budget_task: Money,
    pub budget_day: Money,
    /// Share of the day's budget at which no new work starts.
    pub day_soft: f64,
    pub watchdog: WatchdogSettings,
    /// Gate commands run on every task's branch (before the task's own checks).
    pub gates: Vec<String>,
    /// Gate rejections before a task fails with a concern.
    pub max_rejections: u32,
    /// Attempts (sessions) before a task fails with a concern.
    pub max_attempts: u32,
    /// A pause point before every merge (the config's `before_merge`, or a
    /// target matching `before_merge_into`).
    pub pause_before_merge: bool,
    /// Gate: every changed path inside the task's owned scope.
    pub scope_check: bool,
    /// Gate: globs of paths no agent may change.
    pub protected: Vec<String>,
    pub merge: MergeSettings,
    /// A task passing this spend stops at a pause point; zero means off.
    pub pause_task_spend: Money,
    /// API refusals in a row after which a task fails (0: no limit).
    pub api_max_refusals: u32,
    /// Time from a task's first refusal in a row after which the next
    /// refusal fails it (0: no limit).
    pub api_refusal_time: Millis,
    /// When unanswered concerns and pause points are raised again.
    pub inbox: InboxSettings,
    /// Who may write to whom (`[mail]`, and the teams).
    pub mail: super::MailSettings,
    /// Capability routing and model tiers (`[routing]`, `[tiers]`): off by default.
    pub routing: super::RoutingSettings,
    /// A merged task imported from a GitHub issue says so on the issue.
    pub comment_on_merge: bool,
    /// Leads over coders, owning convoys, in phases (empty: a pool of peers).
    pub teams: Vec<super::TeamSettings>,
    /// What T2 triage may do on its own (`[triage]`).
    pub triage: crate::watchdog::triage::TriagePolicy,
}

/// How the merge queue lands work.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeSettings {
    /// Entries tested together on the target.
    pub batch: usize,
    /// Batches gated at once as a merge train (1: one at a time).
    pub train: usize,
    /// Globs of files merged as a union of both sides' lines.
    pub append_only: Vec<String>,
    /// Keep a task pending while work in flight overlaps its scope.
    pub delay_on_overlap: bool,
    /// The `ai` tier, when configured.
    pub ai: Option<crate::merge::ai::AiSettings>,
}

impl Default for MergeSettings {
    fn default() -> Self {
        MergeSettings {
            batch: 8,
            train: 1,
            append_only: Vec::new(),
            delay_on_overlap: false,
            ai: None,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let mut prices = BTreeMap::new();
        prices.insert(
            "claude-sonnet-4-5".to_string(),
            Price::per_million(3.0, 15.0, 0.30, 3.75),
        );
        let context_windows = BTreeMap::from([("claude-sonnet-4-5".to_string(), 200_000)]);
        let output_limits = BTreeMap::from([("claude-sonnet-4-5".to_string(), 64_000)]);
        Settings {
            context_windows,
            output_limits,
            agents: 12,
            max_live: 12,
            target: "main".into(),
            runtime: "sim".into(),
            models: vec!["claude-sonnet-4-5".into()],
            seed: 1,
            prices,
            budget_agent: Money::from_dollars(40.0),
            budget_task: Money::from_dollars(15.0),
            budget_day: Money::from_dollars(500.0),
            day_soft: 0.9,
            watchdog: WatchdogSettings {
                tick: 30 * SECOND,
                stall_after: 10 * MINUTE,
                task_time_bound: 2 * HOUR,
                loop_repeats: 20,
                handoff_at: 0.8,
                flood: crate::watchdog::FloodLimits::default(),
                triage_after: 0,
            },
            gates: Vec::new(),
            max_rejections: 3,
            max_attempts: 3,
            pause_before_merge: false,
            scope_check: true,
            protected: Vec::new(),
            merge: MergeSettings::default(),
            pause_task_spend: Money::ZERO,
            api_max_refusals: 6,
            api_refusal_time: 30 * MINUTE,
            inbox: InboxSettings::default(),
            mail: super::MailSettings::default(),
            routing: super::RoutingSettings::default(),
            comment_on_merge: false,
            teams: Vec::new(),
            triage: Default::default(),
        }
    }
}

impl Settings {
    /// The price of a model: its own entry, or, for a dated id the table
    /// does not list (`claude-sonnet-4-5-20250929`, what the API answers a
    /// request for `claude-sonnet-4-5` with), the entry of its model.
    /// Unknown models cost nothing and are reported by `shiftboss doctor`.
    pub fn price(&self, model: &str) -> Price {
        lookup(&self.prices, model).copied().unwrap_or_default()
    }

    /// A model's context window (dated ids find their model's); 200k if unknown.
    pub fn context_window(&self, model: &str) -> u64 {
        lookup(&self.context_windows, model)
            .copied()
            .unwrap_or(200_000)
    }

    /// The most output tokens one call of a model returns (dated ids find
    /// their model's); 128k if unknown.
    pub fn output_limit(&self, model: &str) -> u64 {
        lookup(&self.output_limits, model)
            .copied()
            .unwrap_or(128_000)
    }

    pub fn tick(&self) -> Millis {
        self.watchdog.tick
    }
}

/// `model`'s entry, or its model's: a date (`-20250929`, `-2025-08-07`) or
/// a `-latest` stripped, and that model's `-latest` alias (a table may list
/// the alias a request named where the API answers with a dated id).
fn lookup<'a, T>(table: &'a BTreeMap<String, T>, model: &str) -> Option<&'a T> {
    table.get(model).or_else(|| {
        let base = undated(model)?;
        table
            .get(base)
            .or_else(|| table.get(&format!("{base}-latest")))
    })
}

/// `claude-sonnet-4-5` for `claude-sonnet-4-5-20250929` or
/// `claude-sonnet-4-5-latest`, `gpt-5` for `gpt-5-2025-08-07`; `None` for a
/// name without a date or alias.
pub fn undated(model: &str) -> Option<&str> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let name = if let Some(name) = model.strip_suffix("-latest") {
        name
    } else {
        let (name, date) = model.rsplit_once('-')?;
        if digits(date, 8) {
            name
        } else {
            // OpenAI's shape: -YYYY-MM-DD.
            let (name, day) = (name, date);
            let (name, month) = name.rsplit_once('-')?;
            let (name, year) = name.rsplit_once('-')?;
            if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
                return None;
            }
            name
        }
    };
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_model_names_find_their_price() {
        let s = Settings::default();
        assert_eq!(
            s.price("claude-sonnet-4-5-20250929"),
            s.price("claude-sonnet-4-5")
        );
        assert_ne!(s.price("claude-sonnet-4-5"), Price::default());
        assert_eq!(s.price("some-other-model"), Price::default());
        // Only a date is stripped: another model that merely starts with a
        // priced name is not that model.
        assert_eq!(s.price("claude-sonnet-4-5-mini"), Price::default());
        assert_eq!(s.price("claude-sonnet-4-5-2025"), Price::default());
        assert_eq!(s.context_window("claude-sonnet-4-5-20250929"), 200_000);
        let mut t = Settings::default();
        t.prices.insert(
            "claude-sonnet-4-5-20250929".into(),
            Price::per_million(1.0, 1.0, 1.0, 1.0),
        );
        assert_eq!(
            t.price("claude-sonnet-4-5-20250929"),
            Price::per_million(1.0, 1.0, 1.0, 1.0),
            "a dated id the table lists is its own entry"
        );
    }

    #[test]
    fn other_dated_shapes_and_latest_aliases_find_their_model() {
        let mut s = Settings::default();
        let gpt = Price::per_million(1.25, 10.0, 0.125, 0.0);
        s.prices.insert("gpt-5".into(), gpt);
        s.output_limits.insert("gpt-5".into(), 128_000);
        s.context_windows.insert("gpt-5".into(), 400_000);
        // OpenAI dates its ids with dashes.
        assert_eq!(s.price("gpt-5-2025-08-07"), gpt);
        assert_eq!(s.context_window("gpt-5-2025-08-07"), 400_000);
        assert_eq!(s.price("gpt-5-2025-08"), Price::default());
        assert_eq!(s.price("gpt-5-25-08-07"), Price::default());
        // A `-latest` alias is its model, and a table that lists the alias
        // prices the dated id the API answers it with.
        let sonnet = s.price("claude-sonnet-4-5");
        assert_eq!(s.price("claude-sonnet-4-5-latest"), sonnet);
        let mut t = Settings::default();
        let haiku = Price::per_million(0.8, 4.0, 0.08, 1.0);
        t.prices.insert("claude-3-5-haiku-latest".into(), haiku);
        assert_eq!(t.price("claude-3-5-haiku-20241022"), haiku);
        // Output limits resolve the same way, never by a mere prefix.
        assert_eq!(s.output_limit("claude-sonnet-4-5-20250929"), 64_000);
        assert_eq!(s.output_limit("claude-sonnet-4-5-mini"), 128_000);
    }
}
