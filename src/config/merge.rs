//! The `[merge]` section (batches, append-only files, overlaps, the `ai`
//! tier) and the path rules of `[gates]` (scope, protected paths).

use super::Dur;
use super::error::{Invalid, Seg, i, k};
use crate::merge::ai::{AiSettings, Provider};
use serde::{Deserialize, Serialize};

/// Paths no agent may change unless the config says otherwise: the
/// conventions agents read, agent tool settings, shiftboss's own files, CI.
pub const DEFAULT_PROTECTED: [&str; 11] = [
    "CLAUDE.md",
    "AGENTS.md",
    ".claude/**",
    ".shiftboss/**",
    ".github/workflows/**",
    ".gitlab-ci.yml",
    ".circleci/**",
    ".buildkite/**",
    "Jenkinsfile",
    "azure-pipelines.yml",
    ".ci/**",
];

/// Files merged as a union of both sides' lines (changelogs, lists).
pub const DEFAULT_APPEND_ONLY: [&str; 2] = ["CHANGELOG.md", "CHANGES.md"];

/// The most batches a merge train gates at once (each a gate run of its own).
pub const MAX_TRAIN: usize = 16;

/// What to do when a task about to start overlaps work in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnOverlap {
    /// Start it anyway; the overlap is shown on the board.
    #[default]
    Run,
    /// Keep it pending until the overlapping work has merged.
    Delay,
}

/// The `[merge]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Merge {
    /// Queue entries tested together on the target (1 = one at a time).
    pub batch: usize,
    /// Batches gated at once as a merge train, each on the one before it
    /// (1 = one batch at a time).
    pub train: usize,
    /// Globs of files merged as a union of both sides' lines.
    pub append_only: Vec<String>,
    /// A task whose scope overlaps work in flight: `run` or `delay`.
    pub on_overlap: OnOverlap,
    /// The `ai` tier; off unless `provider` is set.
    pub ai: AiTier,
}

impl Default for Merge {
    fn default() -> Self {
        Merge {
            batch: 8,
            train: 1,
            append_only: DEFAULT_APPEND_ONLY.iter().map(|s| s.to_string()).collect(),
            on_overlap: OnOverlap::Run,
            ai: AiTier::default(),
        }
    }
}

/// `[merge.ai]`: the model that resolves conflicted hunks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiTier {
    /// "" (off), "anthropic" or "openai" (any OpenAI-compatible endpoint).
    pub provider: String,
    /// The API's base URL; "" for the provider's own.
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the API key (its value never
    /// reaches the log).
    pub api_key_env: String,
    pub timeout: Dur,
}

impl Default for AiTier {
    fn default() -> Self {
        AiTier {
            provider: String::new(),
            base_url: String::new(),
            model: String::new(),
            api_key_env: String::new(),
            timeout: Dur::mins(2),
        }
    }
}

impl AiTier {
    pub fn enabled(&self) -> bool {
        !self.provider.is_empty()
    }

    /// The provider named (checked when the file was read; `anthropic` if not).
    pub fn provider(&self) -> Provider {
        self.provider.parse().unwrap_or(Provider::Anthropic)
    }

    /// The base URL, or the provider's own.
    pub fn url(&self) -> String {
        if !self.base_url.is_empty() {
            return self.base_url.trim_end_matches('/').to_string();
        }
        self.provider().default_base_url().to_string()
    }

    /// The key variable, or the provider's usual one.
    pub fn key_env(&self) -> String {
        if !self.api_key_env.is_empty() {
            return self.api_key_env.clone();
        }
        self.provider().default_key_env().to_string()
    }

    /// The tier's settings as the merge queue uses them.
    pub fn settings(&self) -> AiSettings {
        AiSettings {
            base_url: self.url(),
            key_env: self.key_env(),
            timeout: std::time::Duration::from_millis(self.timeout.millis().max(1) as u64),
            ..AiSettings::new(self.provider(), self.model.clone())
        }
    }
}

pub(super) fn default_protected() -> Vec<String> {
    DEFAULT_PROTECTED.iter().map(|s| s.to_string()).collect()
}

/// Every entry a glob relative to the repository root.
pub(super) fn check_globs(globs: &[String], key: &[Seg]) -> Result<(), Invalid> {
    for (n, g) in globs.iter().enumerate() {
        let at = [key, &[i(n)]].concat();
        if g.trim().is_empty() {
            return Err(
                Invalid::new(key.to_vec(), "expected a glob, found an empty string").at(at),
            );
        }
        if g.starts_with(['/', '\\'])
            || g.split(['/', '\\']).any(|part| part == "..")
            || g.chars().any(char::is_control)
        {
            return Err(Invalid::new(
                key.to_vec(),
                format!("expected a glob relative to the repository root (like \"src/auth/**\"), found {g:?}"),
            )
            .at(at));
        }
        if let Err(e) = globset::Glob::new(g) {
            return Err(
                Invalid::new(key.to_vec(), format!("invalid glob {g:?}: {}", e.kind())).at(at),
            );
        }
    }
    Ok(())
}

impl Merge {
    pub(super) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        let p = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        if !(1..=64).contains(&self.batch) {
            return Err(Invalid::new(
                p(&[k("merge"), k("batch")]),
                format!("expected 1 to 64 entries per batch, found {}", self.batch),
            ));
        }
        if !(1..=MAX_TRAIN).contains(&self.train) {
            return Err(Invalid::new(
                p(&[k("merge"), k("train")]),
                format!(
                    "expected 1 to {MAX_TRAIN} batches gated at once, found {}",
                    self.train
                ),
            ));
        }
        check_globs(&self.append_only, &p(&[k("merge"), k("append_only")]))?;
        self.ai.check(&p(&[k("merge"), k("ai")]))
    }
}

impl AiTier {
    /// The table's keys checked; `table` is where it sits (`[merge.ai]`,
    /// `[triage.llm]`).
    pub(super) fn check(&self, table: &[Seg]) -> Result<(), Invalid> {
        let p = |parts: &[Seg]| -> Vec<Seg> { table.iter().chain(parts).cloned().collect() };
        let ai = self;
        if !["", "anthropic", "openai"].contains(&ai.provider.as_str()) {
            return Err(Invalid::new(
                p(&[k("provider")]),
                format!(
                    "expected \"anthropic\", \"openai\" or \"\" (off), found {:?}",
                    ai.provider
                ),
            ));
        }
        if ai.enabled() && ai.model.trim().is_empty() {
            return Err(Invalid::new(
                p(&[k("model")]),
                "expected a model when a provider is set, e.g. model = \"claude-sonnet-4-5\"",
            )
            .at(p(&[k("provider")])));
        }
        let url_ok = ai.base_url.is_empty()
            || ai.base_url.starts_with("http://")
            || ai.base_url.starts_with("https://");
        if !url_ok {
            return Err(Invalid::new(
                p(&[k("base_url")]),
                format!(
                    "expected an http:// or https:// URL, found {:?}",
                    ai.base_url
                ),
            ));
        }
        if !ai
            .api_key_env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Invalid::new(
                p(&[k("api_key_env")]),
                format!(
                    "expected an environment variable name, found {:?}",
                    ai.api_key_env
                ),
            ));
        }
        if ai.timeout.0 <= 0 {
            return Err(Invalid::new(
                p(&[k("timeout")]),
                format!(
                    "expected a duration longer than zero, found \"{}\"",
                    ai.timeout
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ai_section_becomes_the_merge_queues_settings_once() {
        let ai = AiTier {
            provider: "openai".into(),
            model: "gpt-5".into(),
            ..AiTier::default()
        };
        let s = ai.settings();
        assert_eq!(s.provider, Provider::OpenAi);
        assert_eq!(s.base_url, "https://api.openai.com/v1");
        assert_eq!(s.key_env, "OPENAI_API_KEY");
        assert_eq!(s.model, "gpt-5");
        assert_eq!(s.timeout, std::time::Duration::from_secs(120));
        let own = AiTier {
            provider: "anthropic".into(),
            base_url: "http://127.0.0.1:9/".into(),
            api_key_env: "MY_KEY".into(),
            ..ai
        };
        let s = own.settings();
        assert_eq!(
            (s.provider, s.base_url.as_str(), s.key_env.as_str()),
            (Provider::Anthropic, "http://127.0.0.1:9", "MY_KEY")
        );
    }

    #[test]
    fn a_train_is_one_to_sixteen_batches_at_once_and_reaches_the_engine() {
        let parse = |text: &str| {
            super::super::Config::parse(text, std::path::Path::new(".shiftboss/config.toml"))
        };
        let c = parse("[merge]\nbatch = 4\ntrain = 3\n").unwrap();
        let m = c.engine_settings().merge;
        assert_eq!((m.batch, m.train), (4, 3));
        assert_eq!(parse("").unwrap().engine_settings().merge.train, 1);
        for (n, found) in [("0", "0"), ("17", "17")] {
            let e = parse(&format!("[merge]\ntrain = {n}\n")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    ".shiftboss/config.toml:2: merge.train: expected 1 to 16 batches gated at once, found {found}"
                )
            );
        }
    }
}
