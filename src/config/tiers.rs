//! The `[routing]` and `[tiers]` sections: capability routing (the idle
//! agent whose record fits a task's kind takes it) and model tiers (a task
//! runs on the model of the tier its kind asks for, and moves up a tier
//! when sent back too often). Both off unless configured.
//!
//! ```toml
//! [routing]
//! by_cv = true
//! explore_every = 5
//!
//! [tiers]
//! fast = "claude-haiku-4-5"
//! standard = "claude-sonnet-4-5"
//! deep = "claude-opus-4-1"
//! kinds = { docs = "fast", migration = "deep" }
//! rework_up = 2
//! ```

use super::Config;
use super::error::{Invalid, Seg, k};
use crate::domain::KINDS;
use crate::engine::{RoutingSettings, TIERS, TierSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[routing]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Routing {
    pub by_cv: bool,
    pub explore_every: u32,
}

impl Default for Routing {
    fn default() -> Self {
        Routing {
            by_cv: false,
            explore_every: 5,
        }
    }
}

/// The `[tiers]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tiers {
    pub fast: String,
    pub standard: String,
    pub deep: String,
    /// Kind → tier word; unlisted kinds take the default.
    pub kinds: BTreeMap<String, String>,
    pub rework_up: u32,
}

impl Default for Tiers {
    fn default() -> Self {
        Tiers {
            fast: String::new(),
            standard: String::new(),
            deep: String::new(),
            kinds: BTreeMap::new(),
            rework_up: 2,
        }
    }
}

impl Tiers {
    fn models(&self) -> [&String; 3] {
        [&self.fast, &self.standard, &self.deep]
    }

    /// On once any tier names a model.
    pub fn enabled(&self) -> bool {
        self.models().iter().any(|m| !m.is_empty())
    }

    pub(super) fn check(&self, c: &Config, base: &[Seg]) -> Result<(), Invalid> {
        let at = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        if !self.enabled() {
            return Ok(());
        }
        for (word, model) in TIERS.iter().zip(self.models()) {
            if model.is_empty() {
                return Err(Invalid::new(
                    at(&[k("tiers"), k(word)]),
                    "expected a model for every tier once one is set",
                ));
            }
            if !c.prices.contains_key(model.as_str()) {
                return Err(Invalid::new(
                    at(&[k("tiers"), k(word)]),
                    format!("no price for model \"{model}\"; add a [prices.\"{model}\"] table"),
                ));
            }
        }
        for (kind, tier) in &self.kinds {
            let key = at(&[k("tiers"), k("kinds"), k(kind)]);
            if !KINDS.contains(&kind.as_str()) {
                return Err(Invalid::new(
                    key,
                    format!(
                        "expected a kind of task ({}), found {kind:?}",
                        KINDS.join(", ")
                    ),
                ));
            }
            if !TIERS.contains(&tier.as_str()) {
                return Err(Invalid::new(
                    key,
                    format!("expected fast, standard or deep, found {tier:?}"),
                ));
            }
        }
        Ok(())
    }
}

impl Config {
    /// `[routing]` and `[tiers]` in engine terms.
    pub fn routing_settings(&self) -> RoutingSettings {
        let t = &self.tiers;
        RoutingSettings {
            by_cv: self.routing.by_cv,
            explore_every: self.routing.explore_every,
            tiers: t.enabled().then(|| TierSettings {
                models: [t.fast.clone(), t.standard.clone(), t.deep.clone()],
                kinds: t
                    .kinds
                    .iter()
                    .filter_map(|(kind, w)| {
                        let i = TIERS.iter().position(|x| x == w)?;
                        Some((kind.clone(), i))
                    })
                    .collect(),
                rework_up: t.rework_up,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::path::Path;

    #[test]
    fn tiers_and_routing_reach_the_engine() {
        let c = Config::parse(
            "[routing]\nby_cv = true\nexplore_every = 3\n\
             [tiers]\nfast = \"claude-haiku-4-5\"\nstandard = \"claude-sonnet-4-5\"\ndeep = \"claude-opus-4-1\"\nkinds = { docs = \"deep\" }\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let r = c.engine_settings().routing;
        assert!(r.by_cv);
        assert_eq!(r.explore_every, 3);
        let t = r.tiers.unwrap();
        assert_eq!(t.models[0], "claude-haiku-4-5");
        assert_eq!(t.kinds["docs"], 2);
        assert_eq!(t.rework_up, 2);
        let off = Config::default().engine_settings().routing;
        assert!(!off.by_cv && off.tiers.is_none(), "{off:?}");
    }

    #[test]
    fn a_bad_tier_is_one_line_naming_its_key() {
        for (text, key, says) in [
            (
                "[tiers]\nfast = \"claude-haiku-4-5\"\n",
                "tiers.standard",
                "every tier",
            ),
            (
                "[tiers]\nfast = \"claude-haiku-4-5\"\nstandard = \"nope\"\ndeep = \"claude-opus-4-1\"\n",
                "tiers.standard",
                "no price",
            ),
            (
                "[tiers]\nfast = \"claude-haiku-4-5\"\nstandard = \"claude-sonnet-4-5\"\ndeep = \"claude-opus-4-1\"\nkinds = { poetry = \"fast\" }\n",
                "tiers.kinds.poetry",
                "a kind of task",
            ),
            (
                "[tiers]\nfast = \"claude-haiku-4-5\"\nstandard = \"claude-sonnet-4-5\"\ndeep = \"claude-opus-4-1\"\nkinds = { docs = \"cheap\" }\n",
                "tiers.kinds.docs",
                "fast, standard or deep",
            ),
        ] {
            let e = Config::parse(text, Path::new("c.toml"))
                .expect_err("refused")
                .to_string();
            assert!(e.contains(key) && e.contains(says), "{e}");
            assert!(e.starts_with("c.toml:"), "{e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
