//! Work from where it lives: a beads export (`beads.rs`) and GitHub issues
//! (`github.rs`) read as tasks for `shiftboss task import`.

pub mod beads;
pub mod github;

use crate::domain::TaskSpec;

/// What an import found.
#[derive(Debug)]
pub struct Intake {
    pub tasks: Vec<TaskSpec>,
    /// Issues that are not open work (closed, deferred, pull requests).
    pub skipped: usize,
}

/// A label or epic id as a convoy name: letters, digits, `-` and `_` kept,
/// anything else (`.` too) a `-`, at most 60 characters.
pub fn slug(s: &str) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '-',
        })
        .collect();
    out = out.trim_matches('-').to_string();
    out.truncate(60);
    if out.is_empty() {
        "imported".into()
    } else {
        out
    }
}
