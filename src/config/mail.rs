//! The `[mail]` section: which agents may write to each other across teams.
//! Within a team, and between an agent and its lead, mail needs no entry;
//! the operator writes to anyone.
//!
//! ```toml
//! [mail]
//! allow = [["builder-01", "builder-02"]]
//! ```

use super::error::{Invalid, Seg, i, k};
use crate::domain::AgentId;
use crate::engine::MailSettings;
use serde::{Deserialize, Serialize};

/// The `[mail]` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailRules {
    /// Pairs of agents that may write to each other (either way) though
    /// they are not in one team.
    pub allow: Vec<[String; 2]>,
}

impl MailRules {
    pub(super) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        let at = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        for (n, [a, b]) in self.allow.iter().enumerate() {
            let bad = [a, b]
                .into_iter()
                .find(|name| super::names::name_problem(name).is_some());
            let message = match bad {
                Some(name) => format!("expected two agent names, found {name:?}"),
                None if a == b => format!("expected two different agents, found {a:?} twice"),
                None => continue,
            };
            return Err(Invalid::new(at(&[k("mail"), k("allow"), i(n)]), message));
        }
        Ok(())
    }

    /// The rules in engine terms (teams come from their own section).
    pub fn settings(&self) -> MailSettings {
        MailSettings {
            allow: self
                .allow
                .iter()
                .map(|[a, b]| (AgentId::new(a.as_str()), AgentId::new(b.as_str())))
                .collect(),
            roster: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use crate::domain::AgentId;
    use std::path::Path;

    #[test]
    fn allowed_pairs_reach_the_engine() {
        let c = Config::parse(
            "[mail]\nallow = [[\"builder-01\", \"builder-02\"]]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let s = c.engine_settings().mail;
        assert_eq!(s.allow, vec![(AgentId::builder(1), AgentId::builder(2))]);
    }

    #[test]
    fn a_bad_pair_is_one_line_naming_its_key() {
        for (text, says) in [
            (
                "[mail]\nallow = [[\"builder-01\", \"builder-01\"]]\n",
                "two different agents",
            ),
            (
                "[mail]\nallow = [[\"builder-01\", \"no way\"]]\n",
                "two agent names",
            ),
            ("[mail]\nallow = [[\"builder-01\"]]\n", "mail.allow"),
        ] {
            let e = Config::parse(text, Path::new("c.toml"))
                .expect_err("refused")
                .to_string();
            assert!(e.starts_with("c.toml:2: mail.allow"), "{e}");
            assert!(e.contains(says), "{e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
