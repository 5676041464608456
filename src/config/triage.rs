//! The `[triage]` section: what T2 triage may do on its own, and the model
//! it may ask. Triage's verdicts come at the latest `[watchdog]
//! triage_after` after a concern is raised.
//!
//! ```toml
//! [triage]
//! act = true                       # act verdicts; false: recommend only
//! model_ladder = ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"]
//! raise_budget_share = 0.5         # a raise: at most this share of the task budget
//! raise_budget_max_usd = 0         # and at most this much (0: no limit beside the share)
//!
//! [triage.llm]                     # off unless provider is set
//! provider = "anthropic"           # or "openai" (any OpenAI-compatible endpoint)
//! model = "claude-haiku-4-5"
//! api_key_env = "ANTHROPIC_API_KEY"
//! timeout = "30s"
//! ```

use super::error::{Invalid, Seg, i, k};
use super::{AiTier, Config, Dur};
use crate::domain::Money;
use crate::watchdog::triage::TriagePolicy;
use serde::{Deserialize, Serialize};

/// The `[triage]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Triage {
    pub act: bool,
    /// Models from smallest to biggest; each needs a price.
    pub model_ladder: Vec<String>,
    pub raise_budget_share: f64,
    pub raise_budget_max_usd: f64,
    pub llm: AiTier,
}

impl Default for Triage {
    fn default() -> Self {
        Triage {
            act: true,
            model_ladder: Vec::new(),
            raise_budget_share: 0.5,
            raise_budget_max_usd: 0.0,
            llm: AiTier {
                timeout: Dur::secs(30),
                ..AiTier::default()
            },
        }
    }
}

impl Triage {
    pub(super) fn check(&self, c: &Config, base: &[Seg]) -> Result<(), Invalid> {
        let at = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        for (n, model) in self.model_ladder.iter().enumerate() {
            if !c.prices.contains_key(model) {
                return Err(Invalid::new(
                    at(&[k("triage"), k("model_ladder")]),
                    format!(
                        "expected a priced model, found {model:?}; add a [prices.\"{model}\"] table"
                    ),
                )
                .at(at(&[k("triage"), k("model_ladder"), i(n)])));
            }
        }
        let share = self.raise_budget_share;
        if !(0.0..=10.0).contains(&share) {
            return Err(Invalid::new(
                at(&[k("triage"), k("raise_budget_share")]),
                format!("expected a share from 0 to 10 of the task budget, found {share}"),
            ));
        }
        let max = self.raise_budget_max_usd;
        if !(0.0..=1_000_000.0).contains(&max) {
            return Err(Invalid::new(
                at(&[k("triage"), k("raise_budget_max_usd")]),
                format!("expected dollars from 0 to 1000000, found {max}"),
            ));
        }
        self.llm.check(&at(&[k("triage"), k("llm")]))
    }

    /// The policy as the engine uses it (budgets filled in by the engine).
    pub fn policy(&self) -> TriagePolicy {
        TriagePolicy {
            act: self.act,
            ladder: self.model_ladder.clone(),
            raise_share: self.raise_budget_share,
            raise_max: Money::from_dollars(self.raise_budget_max_usd),
            llm: self.llm.enabled().then(|| crate::merge::ai::AiSettings {
                max_tokens: 1024,
                ..self.llm.settings()
            }),
            ..TriagePolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use crate::domain::Money;
    use std::path::Path;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("c.toml"))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_section_reaches_the_engine() {
        let c = Config::parse(
            "[triage]\nact = false\nmodel_ladder = [\"claude-haiku-4-5\", \"claude-sonnet-4-5\"]\nraise_budget_share = 0.25\nraise_budget_max_usd = 3\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let p = c.engine_settings().triage;
        assert!(!p.act);
        assert_eq!(p.ladder, ["claude-haiku-4-5", "claude-sonnet-4-5"]);
        assert_eq!(p.raise_share, 0.25);
        assert_eq!(p.raise_max, Money::from_dollars(3.0));
        let d = Config::default().engine_settings().triage;
        assert!(d.act && d.ladder.is_empty());
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = err("[triage]\nmodel_ladder = [\"claude-haiku-4-5\", \"gpt-9\"]\n");
        assert!(
            e.starts_with(
                "c.toml:2: triage.model_ladder: expected a priced model, found \"gpt-9\""
            ),
            "{e}"
        );
        let e = err("[triage]\nraise_budget_share = -1\n");
        assert!(
            e.contains("triage.raise_budget_share: expected a share"),
            "{e}"
        );
        let e = err("[triage.llm]\nprovider = \"gemini\"\n");
        assert!(e.contains("triage.llm.provider: expected"), "{e}");
        let e = err("[triage.llm]\nprovider = \"openai\"\n");
        assert!(e.contains("triage.llm.model: expected a model"), "{e}");
    }
}
