//! The `[sandbox]` section: how real agent processes are confined
//! (bubblewrap), and what extra paths they may read or write.

use super::error::{Invalid, Seg, i, k};
use serde::{Deserialize, Serialize};

/// Whether real agents run in the sandbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxMode {
    /// Every real agent runs under bwrap; `up` refuses without it.
    #[default]
    On,
    /// Agents run unconfined (said explicitly; the console's header shows it).
    Off,
}

/// The agents' network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// The host's network (agents reach their APIs).
    #[default]
    On,
    /// No network at all (`--unshare-net`), for agents that need none.
    None,
}

/// The `[sandbox]` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sandbox {
    pub mode: SandboxMode,
    pub network: Network,
    /// Extra paths agents may read (absolute, or relative to the repository).
    pub ro: Vec<String>,
    /// Extra paths agents may write.
    pub rw: Vec<String>,
}

impl Sandbox {
    pub(super) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        for (key, list) in [("ro", &self.ro), ("rw", &self.rw)] {
            let at = |n: usize| -> Vec<Seg> {
                base.iter()
                    .cloned()
                    .chain([k("sandbox"), k(key), i(n)])
                    .collect()
            };
            let whole: Vec<Seg> = base.iter().cloned().chain([k("sandbox"), k(key)]).collect();
            for (n, p) in list.iter().enumerate() {
                if p.trim().is_empty() || p.split('/').any(|part| part == "..") || p == "/" {
                    return Err(Invalid::new(
                        whole.clone(),
                        format!("expected a path (absolute or relative to the repository, no \"..\", not \"/\"), found {p:?}"),
                    )
                    .at(at(n)));
                }
            }
        }
        Ok(())
    }
}
