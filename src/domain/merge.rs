//! The merge queue's vocabulary: gate findings, resolution tiers, lines at
//! risk, and how a merge attempt ended.

use super::{TaskId, Usage};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A set of repository-relative globs; `*` stops at `/`, `**` crosses it.
/// Globs that do not parse match nothing (config files are checked first).
pub fn glob_set(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = GlobBuilder::new(g).literal_separator(true).build() {
            b.add(glob);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Lists compiled by [`shared_glob_set`] before the memory starts over.
const SHARED_SETS: usize = 256;

/// [`glob_set`] of `globs`, compiled once for the lists used again and
/// again (the protected paths and append-only files at every gate run and
/// landing, a task's scope at each of its gate runs): the last
/// [`SHARED_SETS`] lists are kept.
pub fn shared_glob_set(globs: &[String]) -> Arc<GlobSet> {
    static SETS: Mutex<Option<HashMap<Vec<String>, Arc<GlobSet>>>> = Mutex::new(None);
    let mut sets = SETS.lock().unwrap_or_else(|p| p.into_inner());
    let sets = sets.get_or_insert_with(HashMap::new);
    if let Some(set) = sets.get(globs) {
        return Arc::clone(set);
    }
    if sets.len() >= SHARED_SETS {
        sets.clear();
    }
    let set = Arc::new(glob_set(globs));
    sets.insert(globs.to_vec(), Arc::clone(&set));
    set
}

/// A task's owned scope, its globs compiled once.
#[derive(Clone, Debug)]
pub struct Scope {
    globs: Vec<String>,
    set: GlobSet,
}

impl Scope {
    pub fn new(globs: &[String]) -> Scope {
        Scope {
            globs: globs.to_vec(),
            set: glob_set(globs),
        }
    }

    pub fn matches(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// Whether two scopes may own a common path: a glob of one names a file
    /// the other's globs match, or their fixed folder parts nest.
    pub fn overlaps(&self, other: &Scope) -> bool {
        fn fixed(g: &str) -> &str {
            let end = g.find(['*', '?', '[', '{']).unwrap_or(g.len());
            &g[..end]
        }
        let nested = |x: &str, y: &str| {
            x.starts_with(y) && (y.is_empty() || y.ends_with('/') || x.len() == y.len())
        };
        self.globs.iter().any(|ga| {
            other.globs.iter().any(|gb| {
                let (fa, fb) = (fixed(ga), fixed(gb));
                (fa.len() == ga.len() && other.matches(ga))
                    || (fb.len() == gb.len() && self.matches(gb))
                    || (fa.len() < ga.len()
                        && fb.len() < gb.len()
                        && (nested(fa, fb) || nested(fb, fa)))
            })
        })
    }
}

/// [`Scope::overlaps`] for globs not compiled yet.
pub fn scopes_overlap(a: &[String], b: &[String]) -> bool {
    Scope::new(a).overlaps(&Scope::new(b))
}

/// One thing a gate found, as structured context for the agent that redoes
/// the work: which gate, where, what was expected and what was there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateFinding {
    /// `scope`, `protected`, or the gate command that failed.
    pub gate: String,
    /// The path concerned ("" when the finding is about the whole tree).
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for GateFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.gate)?;
        if !self.file.is_empty() {
            write!(f, " {}", self.file)?;
            if let Some(l) = self.line {
                write!(f, ":{l}")?;
            }
        }
        write!(f, ": expected {}; found {}", self.expected, self.found)
    }
}

/// How a conflict was (or was not) resolved, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolveTier {
    /// Merged without conflict.
    Clean,
    /// Rebased onto the target, append-only files merged as a union.
    Auto,
    /// A model resolved the conflicted hunks; the result was gated.
    Ai,
    /// The task goes back to an agent to redo the change on the current target.
    Reimagine,
}

impl ResolveTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveTier::Clean => "clean",
            ResolveTier::Auto => "auto",
            ResolveTier::Ai => "ai",
            ResolveTier::Reimagine => "reimagine",
        }
    }
}

impl fmt::Display for ResolveTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one of shiftboss's own model calls cost (the merge queue's `ai`
/// tier): the model that answered and the tokens it counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelSpend {
    pub model: String,
    pub usage: Usage,
}

/// Whose line would be lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Added by the task's agent on its branch.
    Agent,
    /// Added on the target since the branch left it.
    Target,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Agent => "agent",
            Side::Target => "target",
        }
    }
}

/// A line one side added that a resolution would drop without explanation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineAtRisk {
    pub file: String,
    pub side: Side,
    pub line: String,
}

/// A line the `ai` tier left out on purpose, and the model's reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub file: String,
    pub line: String,
    pub why: String,
}

impl fmt::Display for Removal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} -- {}", self.file, self.line, self.why)
    }
}

/// How a merge attempt ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum MergeOutcome {
    /// The target moved to a tree containing the task's merge `commit`,
    /// after the merged result passed the gates.
    Merged {
        commit: String,
        tier: String,
        /// Lines the `ai` tier removed, each with its reason (also in the
        /// merge commit's message).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removals: Vec<Removal>,
    },
    /// The branch has no change of its own against the target (`commit`,
    /// the target's tip it is already part of): nothing merged.
    Unchanged { commit: String },
    /// No tier up to `ai` could merge it: these files conflict (`why`: what
    /// the last tier tried said).
    Conflicted {
        files: Vec<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        why: String,
    },
    /// A resolution would have dropped lines; nothing was merged.
    Refused {
        tier: ResolveTier,
        files: Vec<String>,
        lines_at_risk: Vec<LineAtRisk>,
    },
    /// The merged result failed a gate (this entry alone, after bisection);
    /// the target stayed where it was.
    Rejected {
        gate: String,
        output: String,
        #[serde(default)]
        findings: Vec<GateFinding>,
    },
}

impl MergeOutcome {
    pub fn word(&self) -> &'static str {
        match self {
            MergeOutcome::Merged { .. } => "merged",
            MergeOutcome::Unchanged { .. } => "unchanged",
            MergeOutcome::Conflicted { .. } => "conflicted",
            MergeOutcome::Refused { .. } => "refused",
            MergeOutcome::Rejected { .. } => "rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_shared_glob_set_is_compiled_once_per_list_and_matches_as_compiled() {
        let protected = s(&["CLAUDE.md", ".claude/**", "src/*.rs"]);
        let first = shared_glob_set(&protected);
        let again = shared_glob_set(&protected.clone());
        assert!(Arc::ptr_eq(&first, &again), "the same list, one set");
        let other = shared_glob_set(&s(&["docs/**"]));
        assert!(!Arc::ptr_eq(&first, &other));
        let fresh = glob_set(&protected);
        for path in [
            "CLAUDE.md",
            ".claude/x.json",
            "src/a.rs",
            "src/a/b.rs",
            "docs/x.md",
        ] {
            assert_eq!(first.is_match(path), fresh.is_match(path), "{path}");
        }
        assert!(other.is_match("docs/x.md") && !other.is_match("CLAUDE.md"));
    }

    #[test]
    fn scope_overlap() {
        assert!(scopes_overlap(
            &s(&["src/auth/**"]),
            &s(&["src/auth/session.rs"])
        ));
        assert!(scopes_overlap(
            &s(&["src/auth/**"]),
            &s(&["src/auth/mfa/**"])
        ));
        assert!(!scopes_overlap(
            &s(&["src/auth/**"]),
            &s(&["src/billing/**"])
        ));
        assert!(!scopes_overlap(
            &s(&["src/auth/a.rs"]),
            &s(&["src/auth/b.rs"])
        ));
        assert!(!scopes_overlap(
            &s(&["src/au*/**"]),
            &s(&["src/billing/x.rs"])
        ));
        assert!(scopes_overlap(&s(&["src/a.rs"]), &s(&["src/a.rs"])));
    }
}

/// What the scheduler saw before starting a task: in-flight tasks whose
/// scope overlaps its own, and files they changed that lie in its scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    pub with: Vec<TaskId>,
    pub files: Vec<String>,
    pub delayed: bool,
}
