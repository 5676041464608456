//! The `[inbox]` section: nothing waits silently. Unanswered concerns are
//! raised again after a time set by their impact, undecided pause points
//! after theirs; a pause point waiting past `pause_timeout` is escalated
//! with a critical concern, and rejected (never approved) when its kind is
//! listed in `reject_on_timeout`.
//!
//! ```toml
//! [inbox]
//! reraise_after = { critical = "10m", high = "30m", medium = "2h", low = "8h", pause = "30m" }
//! pause_timeout = "2h"
//! reject_on_timeout = ["spend"]
//! ```

use super::Dur;
use super::error::{Invalid, Seg, i, k};
use crate::domain::PauseKind;
use crate::engine::InboxSettings;
use serde::{Deserialize, Serialize};

/// Re-raise times by impact, and for pause points; `"0s"` never re-raises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReraiseAfter {
    pub critical: Dur,
    pub high: Dur,
    pub medium: Dur,
    pub low: Dur,
    pub pause: Dur,
}

impl Default for ReraiseAfter {
    fn default() -> Self {
        ReraiseAfter {
            critical: Dur::mins(10),
            high: Dur::mins(30),
            medium: Dur::hours(2),
            low: Dur::hours(8),
            pause: Dur::mins(30),
        }
    }
}

/// The `[inbox]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboxRules {
    pub reraise_after: ReraiseAfter,
    /// A pause point undecided this long is escalated (`"0s"`: never).
    pub pause_timeout: Dur,
    /// Pause kinds rejected when their timeout passes: `agent_request`,
    /// `merge`, `spend`. A swarm-wide pause and the checkout's are never.
    pub reject_on_timeout: Vec<String>,
}

impl Default for InboxRules {
    fn default() -> Self {
        InboxRules {
            reraise_after: ReraiseAfter::default(),
            pause_timeout: Dur::hours(2),
            reject_on_timeout: Vec::new(),
        }
    }
}

/// The kinds a timeout may reject: each a step a rejection leaves undone
/// and safe (the branch and the work are kept).
const REJECTABLE: [PauseKind; 3] = [PauseKind::AgentRequest, PauseKind::Merge, PauseKind::Spend];

impl InboxRules {
    pub(super) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        let at = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        for (n, word) in self.reject_on_timeout.iter().enumerate() {
            if !REJECTABLE.iter().any(|kind| kind.as_str() == word) {
                return Err(Invalid::new(
                    at(&[k("inbox"), k("reject_on_timeout")]),
                    format!(
                        "expected agent_request, merge or spend (a swarm-wide or checkout pause is never rejected by a timeout), found {word:?}"
                    ),
                )
                .at(at(&[k("inbox"), k("reject_on_timeout"), i(n)])));
            }
        }
        Ok(())
    }

    pub fn settings(&self) -> InboxSettings {
        let r = &self.reraise_after;
        InboxSettings {
            reraise_after: [r.low.0, r.medium.0, r.high.0, r.critical.0],
            pause_reraise: r.pause.0,
            pause_timeout: self.pause_timeout.0,
            reject_on_timeout: REJECTABLE
                .into_iter()
                .filter(|kind| self.reject_on_timeout.iter().any(|w| w == kind.as_str()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use crate::domain::{HOUR, MINUTE, PauseKind};
    use std::path::Path;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("c.toml"))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_section_reaches_the_engine_in_its_units() {
        let c = Config::parse(
            "[inbox]\nreraise_after = { critical = \"5m\", low = \"0s\" }\npause_timeout = \"90m\"\nreject_on_timeout = [\"spend\", \"agent_request\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let s = c.engine_settings().inbox;
        assert_eq!(s.reraise_after, [0, 2 * HOUR, 30 * MINUTE, 5 * MINUTE]);
        assert_eq!(s.pause_reraise, 30 * MINUTE);
        assert_eq!(s.pause_timeout, 90 * MINUTE);
        assert_eq!(
            s.reject_on_timeout,
            [PauseKind::AgentRequest, PauseKind::Spend]
        );
        // Defaults: on.
        let d = Config::default().engine_settings().inbox;
        assert_eq!(d.reraise_after[3], 10 * MINUTE);
        assert_eq!(d.pause_timeout, 2 * HOUR);
        assert!(d.reject_on_timeout.is_empty());
    }

    #[test]
    fn bad_values_get_one_line_naming_file_line_and_key() {
        assert_eq!(
            err("[inbox]\nreject_on_timeout = [\n  \"merge\",\n  \"swarm\",\n]\n"),
            "c.toml:4: inbox.reject_on_timeout: expected agent_request, merge or spend (a swarm-wide or checkout pause is never rejected by a timeout), found \"swarm\""
        );
        let e = err("[inbox]\nreraise_after = { critical = \"soon\" }\n");
        assert!(
            e.starts_with("c.toml:2: inbox.reraise_after.critical: ") && !e.contains('\n'),
            "{e}"
        );
        let e = err("[inbox]\nreraise_after = { urgent = \"1m\" }\n");
        assert!(
            e.starts_with("c.toml:2: inbox.reraise_after.urgent: unknown key"),
            "{e}"
        );
    }
}
