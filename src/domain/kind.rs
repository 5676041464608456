//! What kind of work a task is, inferred from its title and scope: what
//! agents' CVs count by, and what routing and model tiers go by.

use super::TaskSpec;

/// Every kind word, in the order they are tried (then `orchestration` and
/// `review`, which a task is by role, never by its words).
pub const KINDS: [&str; 9] = [
    "docs",
    "tests",
    "bugfix",
    "migration",
    "refactor",
    "ops",
    "implementation",
    "orchestration",
    "review",
];

/// What kind of work a task is, from its title and scope (first match):
/// `docs`, `tests`, `bugfix`, `migration`, `refactor`, `ops`, else
/// `implementation`.
pub fn kind_of(spec: &TaskSpec) -> &'static str {
    let title = spec.title.to_lowercase();
    let scope = spec.scope.join(" ").to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| title.contains(w));
    let owns = |parts: &[&str]| parts.iter().any(|p| scope.contains(p));
    if has(&["doc", "readme", "guide"]) || (owns(&["docs/", ".md"]) && !owns(&["src/"])) {
        "docs"
    } else if has(&["test", "coverage"]) || (owns(&["tests/"]) && !owns(&["src/"])) {
        "tests"
    } else if has(&["fix", "bug", "crash", "regression"]) {
        "bugfix"
    } else if has(&["migrat", "schema"]) || owns(&["migrations/"]) {
        "migration"
    } else if has(&["refactor", "clean up", "cleanup", "rename", "split"]) {
        "refactor"
    } else if has(&["deploy", "ci ", "pipeline", "infra", "docker"])
        || owns(&["deploy/", ".github/"])
    {
        "ops"
    } else {
        "implementation"
    }
}
