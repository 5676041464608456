//! `::task id=… scope=… after=… spec=…::title`: a lead breaks its epic into
//! a coder task. `scope` and `after` take comma-separated lists; `spec`
//! names a file in the lead's own folder, written before the line (protocol
//! lines stay single lines); `priority` is optional.

use super::Signal;

/// A task a lead asks for, as its line gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTask {
    pub id: String,
    pub title: String,
    pub scope: Vec<String>,
    pub after: Vec<String>,
    pub priority: i32,
    /// The spec file the line names, relative to the lead's own folder.
    pub spec_file: Option<String>,
    /// Its text as the runner read it (`Err`: why it could not); `None`
    /// while unread.
    pub spec: Option<Result<String, String>>,
}

/// The most bytes of a spec file the runner reads.
pub const SPEC_MAX: u64 = 64 * 1024;

pub(super) fn parse(args: &str, title: String) -> Result<Signal, String> {
    let mut t = NewTask {
        id: String::new(),
        title,
        scope: Vec::new(),
        after: Vec::new(),
        priority: 0,
        spec_file: None,
        spec: None,
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    for (k, v) in super::pairs(args)? {
        match k {
            "id" => t.id = v.to_string(),
            "scope" => t.scope = list(v),
            "after" => t.after = list(v),
            "spec" => t.spec_file = Some(v.to_string()),
            "priority" => {
                t.priority = v
                    .parse()
                    .map_err(|_| format!("task priority expects a whole number, found `{v}`"))?;
            }
            _ => {
                return Err(format!(
                    "task takes id, scope, after, spec and priority; found `{k}=`"
                ));
            }
        }
    }
    if t.id.is_empty() {
        return Err("task needs an id=".into());
    }
    if t.title.is_empty() {
        return Err("task needs a title after `::`".into());
    }
    Ok(Signal::Task(Box::new(t)))
}

/// Why `name` cannot be a spec file in the lead's own folder, if it cannot:
/// a plain relative path without `..`, at most 200 bytes.
pub fn spec_file_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 200 {
        Some("expected a file name of 1 to 200 bytes")
    } else if name.starts_with('/') || name.contains('\\') {
        Some("expected a path relative to the lead's own folder")
    } else if name
        .split('/')
        .any(|p| p == ".." || p == "." || p.is_empty())
    {
        Some("expected a path inside the lead's own folder (no '..', '.' or empty parts)")
    } else if name.chars().any(char::is_control) {
        Some("a control character")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse as parse_line;
    use super::*;

    #[test]
    fn a_task_line_parses_with_lists_and_spec() {
        let Some(Ok(Signal::Task(t))) = parse_line(
            "::task id=auth-2 scope=src/auth/**,tests/auth/** after=auth-1 spec=auth-2.md::Move login",
        ) else {
            panic!("not a task")
        };
        assert_eq!(t.id, "auth-2");
        assert_eq!(t.scope, ["src/auth/**", "tests/auth/**"]);
        assert_eq!(t.after, ["auth-1"]);
        assert_eq!(t.spec_file.as_deref(), Some("auth-2.md"));
        assert_eq!(t.title, "Move login");
        assert_eq!(t.spec, None);
    }

    #[test]
    fn bad_task_lines_are_reported() {
        for bad in [
            "::task scope=a::no id",
            "::task id=a::",
            "::task id=a owner=me::x",
            "::task id=a priority=high::x",
            "::task id=a",
        ] {
            assert!(matches!(parse_line(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn spec_files_stay_in_the_leads_folder() {
        assert_eq!(spec_file_problem("specs/a.md"), None);
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a"] {
            assert!(spec_file_problem(bad).is_some(), "{bad}");
        }
    }
}
