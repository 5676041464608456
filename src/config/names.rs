//! What a task id, a convoy name and an owned-scope glob may be, checked on
//! the way in (task files, scenarios, `task add`): ids and convoy names end
//! up in git branch names, scopes are matched against repository paths.

/// The longest task id or convoy name (a branch holds both, and a path
/// component on most file systems stops at 255 bytes).
pub const MAX_NAME: usize = 64;

/// Why `s` cannot be a task id or convoy name, if it cannot: letters,
/// digits, `-`, `_` and `.`, starting with a letter or digit, at most
/// [`MAX_NAME`] characters, and nothing git refuses in a branch name (`..`,
/// a trailing `.` or `.lock`).
pub fn name_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".into());
    }
    if s.len() > MAX_NAME {
        return Some(format!(
            "it is {} characters long (at most {MAX_NAME})",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!("{c:?} is not a letter, digit, '-', '_' or '.'"));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some("it must start with a letter or digit".into());
    }
    if s.contains("..") || s.ends_with('.') || s.ends_with(".lock") {
        return Some("git refuses it in a branch name ('..', a trailing '.' or '.lock')".into());
    }
    None
}

/// Why `g` cannot be an owned-scope glob, if it cannot: empty, absolute,
/// with a `..` component, with a control character, or not a glob.
pub fn scope_problem(g: &str) -> Option<String> {
    if g.trim().is_empty() {
        return Some("an empty glob".into());
    }
    if g.starts_with('/') || g.starts_with('\\') {
        return Some("an absolute path (scopes are relative to the repository root)".into());
    }
    if g.split(['/', '\\']).any(|part| part == "..") {
        return Some("a '..' component (scopes stay inside the repository)".into());
    }
    if g.chars().any(char::is_control) {
        return Some("a control character".into());
    }
    globset::Glob::new(g)
        .err()
        .map(|e| format!("not a glob ({})", e.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_branch_can_hold() {
        for ok in ["auth-3", "T-0001", "a.b_c", "Auth"] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        let long = "a".repeat(300);
        for bad in [
            "", "-x", ".x", "a..b", "a.", "a.lock", "a b", "a/b", "a\u{0}", &long,
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&long).unwrap().contains("300 characters"));
    }

    #[test]
    fn scopes_stay_inside() {
        assert_eq!(scope_problem("src/auth/**"), None);
        for bad in [
            "",
            "  ",
            "/etc/**",
            "../x/**",
            "src/../../x",
            "src/\u{0}",
            "src/[",
            "\\x",
        ] {
            assert!(scope_problem(bad).is_some(), "{bad:?}");
        }
    }
}
