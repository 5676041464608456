//! The path gates (owned scope, protected paths) and structured findings
//! read from a failing gate command's output.

use crate::domain::{GateFinding, shared_glob_set};

/// What the scope and protected-path gates find in the files a branch
/// changed: a finding per path outside a non-empty `scope` (when
/// `scope_check`), and one per path matching `protected`.
pub fn check_paths(
    changed: &[String],
    scope: &[String],
    protected: &[String],
    scope_check: bool,
) -> Vec<GateFinding> {
    let mut out = Vec::new();
    let owned = shared_glob_set(scope);
    let guarded = shared_glob_set(protected);
    for path in changed {
        if guarded.is_match(path) {
            out.push(GateFinding {
                gate: "protected".into(),
                file: path.clone(),
                line: None,
                expected: format!("no change to protected paths ({})", protected.join(", ")),
                found: "a change to a protected path".into(),
            });
        } else if scope_check && !scope.is_empty() && !owned.is_match(path) {
            out.push(GateFinding {
                gate: "scope".into(),
                file: path.clone(),
                line: None,
                expected: format!("changes only inside the owned scope ({})", scope.join(", ")),
                found: "a change outside it".into(),
            });
        }
    }
    out
}

/// A finding for a failed gate command: the first `path:line:` its output
/// names (compiler errors, grep -n, test failures), and its last line.
pub fn command_finding(command: &str, exit: Option<i32>, output: &str) -> GateFinding {
    let located = output.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let file = parts.next()?.trim();
        let line = parts.next()?.trim().parse::<u32>().ok()?;
        let looks_like_path = !file.is_empty()
            && !file.contains(char::is_whitespace)
            && (file.contains('/') || file.contains('.'));
        looks_like_path.then(|| (file.trim_start_matches("./").to_string(), line))
    });
    let last = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("$ "))
        .unwrap_or("")
        .to_string();
    let found = match exit {
        Some(c) => format!("exit status {c}"),
        None => "no exit status (killed or timed out)".into(),
    };
    let found = if last.is_empty() {
        found
    } else {
        format!("{found}: {last}")
    };
    GateFinding {
        gate: command.to_string(),
        file: located.as_ref().map(|l| l.0.clone()).unwrap_or_default(),
        line: located.map(|l| l.1),
        expected: "exit status 0".into(),
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn scope_and_protected_paths() {
        let changed = s(&[
            "src/auth/a.rs",
            "src/billing/b.rs",
            "CLAUDE.md",
            ".claude/x.json",
        ]);
        let f = check_paths(
            &changed,
            &s(&["src/auth/**"]),
            &s(&["CLAUDE.md", ".claude/**"]),
            true,
        );
        let got: Vec<(&str, &str)> = f
            .iter()
            .map(|f| (f.gate.as_str(), f.file.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("scope", "src/billing/b.rs"),
                ("protected", "CLAUDE.md"),
                ("protected", ".claude/x.json")
            ]
        );
        // No scope declared, or the check off: only protected paths count.
        assert_eq!(
            check_paths(&changed, &[], &s(&["CLAUDE.md"]), true).len(),
            1
        );
        assert_eq!(
            check_paths(&changed, &s(&["src/auth/**"]), &[], false).len(),
            0
        );
    }

    #[test]
    fn a_star_stays_in_its_folder() {
        let f = check_paths(&s(&["src/a/b.rs"]), &s(&["src/*.rs"]), &[], true);
        assert_eq!(f.len(), 1);
        assert!(check_paths(&s(&["src/b.rs"]), &s(&["src/*.rs"]), &[], true).is_empty());
    }

    #[test]
    fn command_findings_name_file_and_line() {
        let f = command_finding(
            "! grep -rn SIM-BUG src",
            Some(1),
            "src/auth/a.rs:12:// SIM-BUG: off by one\n",
        );
        assert_eq!(f.file, "src/auth/a.rs");
        assert_eq!(f.line, Some(12));
        assert_eq!(f.expected, "exit status 0");
        assert!(
            f.found.starts_with("exit status 1: src/auth/a.rs:12:"),
            "{}",
            f.found
        );
        let f = command_finding("make", None, "no location here\n");
        assert_eq!((f.file.as_str(), f.line), ("", None));
        assert!(f.found.contains("killed or timed out"));
    }
}
