//! The `[intake.github]` section: what shiftboss does on the GitHub issues
//! tasks were imported from (`task import --github`).
//!
//! ```toml
//! [intake.github]
//! comment_on_merge = true
//! ```

use serde::{Deserialize, Serialize};

/// The `[intake]` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Intake {
    pub github: GithubIntake,
}

/// The `[intake.github]` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubIntake {
    /// A merged task imported from an issue says so on the issue (a
    /// comment through the REST API, with the token in GITHUB_TOKEN).
    pub comment_on_merge: bool,
}
