//! A beads export (`.beads/issues.jsonl`: one issue a line, `id`, `title`,
//! `description`, `status`, `priority` 0–4 with 0 the most urgent,
//! `issue_type`, `labels`, `dependencies`) read as tasks:
//! - open work only (`closed`, `tombstone` are done or gone; `deferred`,
//!   `pinned` are not work to start);
//! - an `epic` is not a task but a convoy: the issues under it (a
//!   `parent-child` dependency on it, or an id `epic.N`) join the convoy
//!   named after it; other issues take their first label, else `beads`;
//! - `blocks`, `parent-child` (between tasks), `conditional-blocks` and
//!   `waits-for` dependencies on imported or known tasks become `after`;
//!   dependencies on closed issues are met already;
//! - priority 0 runs first (shiftboss's higher-first: 4 − p);
//! - the spec is the description, design, acceptance criteria and notes.
//!
//! A line that is not an issue stops the import with `file:line: key: what
//! was expected`; nothing is imported.

use super::{Intake, slug};
use crate::domain::{ConvoyId, TaskId, TaskSpec};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Deserialize)]
struct Issue {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    design: String,
    #[serde(default)]
    acceptance_criteria: String,
    #[serde(default)]
    notes: String,
    #[serde(default = "open")]
    status: String,
    #[serde(default = "two")]
    priority: i64,
    #[serde(default = "task")]
    issue_type: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    #[serde(default)]
    issue_id: String,
    depends_on_id: String,
    #[serde(rename = "type", default = "blocks")]
    kind: String,
}

fn open() -> String {
    "open".into()
}
fn two() -> i64 {
    2
}
fn task() -> String {
    "task".into()
}
fn blocks() -> String {
    "blocks".into()
}

/// Dependency kinds that hold a task back until the other is done.
const HOLDING: [&str; 4] = ["blocks", "parent-child", "conditional-blocks", "waits-for"];
/// Statuses that are not open work.
const NOT_WORK: [&str; 4] = ["closed", "tombstone", "deferred", "pinned"];

/// The tasks of a beads export; `known` tasks may be depended on.
pub fn parse(text: &str, path: &Path, known: &[TaskId]) -> Result<Intake, String> {
    let issues = read_issues(text, path)?;
    let epics: BTreeMap<&str, &Issue> = issues
        .iter()
        .filter(|(_, i)| i.issue_type == "epic")
        .map(|(_, i)| (i.id.as_str(), i))
        .collect();
    let work: Vec<&(usize, Issue)> = issues
        .iter()
        .filter(|(_, i)| i.issue_type != "epic" && !NOT_WORK.contains(&i.status.as_str()))
        .collect();
    let ids: BTreeSet<&str> = work.iter().map(|(_, i)| i.id.as_str()).collect();
    let skipped = issues.len() - work.len() - epics.len();
    let mut tasks = Vec::new();
    for (line, i) in work {
        let epic = epic_of(i, &epics);
        let convoy = match epic {
            Some(e) => slug(e),
            None => i.labels.first().map_or("beads".into(), |l| slug(l)),
        };
        let mut after = Vec::new();
        for d in &i.dependencies {
            let on = d.depends_on_id.as_str();
            if !HOLDING.contains(&d.kind.as_str()) || Some(on) == epic {
                continue;
            }
            if ids.contains(on) || known.iter().any(|k| k.as_str() == on) {
                after.push(TaskId::new(on));
            } else if !issues.iter().any(|(_, x)| x.id == on) {
                return Err(at(
                    path,
                    *line,
                    "dependencies",
                    format!("`{on}` is neither in the file nor a known task"),
                ));
            }
            // Otherwise it is closed (or deferred): met, or not ours to wait on.
        }
        tasks.push(TaskSpec {
            id: TaskId::new(&i.id),
            title: i.title.trim().to_string(),
            spec: spec_of(i),
            convoy: ConvoyId::new(convoy),
            priority: (4 - i.priority) as i32,
            scope: Vec::new(),
            checks: Vec::new(),
            after,
            tier: None,
            behaviour: None,
            issue: None,
            night: false,
        });
    }
    Ok(Intake { tasks, skipped })
}

/// `file:line: key: what was expected`.
fn at(path: &Path, line: usize, key: &str, what: String) -> String {
    format!("{}:{line}: {key}: {what}", path.display())
}

/// Every issue of the export with its line number, each checked: a task
/// id it can be, a priority 0–4, a title.
fn read_issues(text: &str, path: &Path) -> Result<Vec<(usize, Issue)>, String> {
    let mut issues: Vec<(usize, Issue)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let at = |key: &str, what: String| at(path, line, key, what);
        let value: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| at("line", format!("expected one JSON object, {e}")))?;
        let issue: Issue = serde_json::from_value(value).map_err(|e| {
            let e = e.to_string();
            let key = e
                .split('`')
                .nth(1)
                .filter(|_| e.starts_with("missing field"))
                .unwrap_or("issue");
            at(key, format!("expected a beads issue ({e})"))
        })?;
        if let Some(p) = slug_problem(&issue.id) {
            return Err(at("id", p));
        }
        if !(0..=4).contains(&issue.priority) {
            return Err(at(
                "priority",
                format!("expected 0 to 4, found {}", issue.priority),
            ));
        }
        if issue.title.trim().is_empty() {
            return Err(at("title", "expected a title, found an empty one".into()));
        }
        issues.push((line, issue));
    }
    Ok(issues)
}

/// The epic an issue is under: a `parent-child` dependency on it, or an
/// id `epic.N`.
fn epic_of<'a>(i: &'a Issue, epics: &BTreeMap<&str, &Issue>) -> Option<&'a str> {
    i.dependencies
        .iter()
        .filter(|d| d.kind == "parent-child" && (d.issue_id.is_empty() || d.issue_id == i.id))
        .map(|d| d.depends_on_id.as_str())
        .chain(i.id.rsplit_once('.').map(|(parent, _)| parent))
        .find(|p| epics.contains_key(p))
}

/// The spec: the description, design, acceptance criteria and notes, and
/// the issue it came from.
fn spec_of(i: &Issue) -> String {
    [
        ("", &i.description),
        ("Design", &i.design),
        ("Acceptance criteria", &i.acceptance_criteria),
        ("Notes", &i.notes),
    ]
    .iter()
    .filter(|(_, t)| !t.trim().is_empty())
    .map(|(h, t)| match h.is_empty() {
        true => t.trim().to_string(),
        false => format!("{h}:\n{}", t.trim()),
    })
    .chain([format!("(beads issue {})", i.id)])
    .collect::<Vec<_>>()
    .join("\n\n")
}

fn slug_problem(id: &str) -> Option<String> {
    crate::config::names::name_problem(id).map(|p| format!("`{id}` cannot be a task id: {p}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = r#"{"id":"bd-e1","title":"Checkout rework","issue_type":"epic","status":"open","priority":1}
{"id":"bd-e1.1","title":"Cart totals","description":"Totals in cents","status":"open","priority":0,"issue_type":"task","labels":["backend"]}
{"id":"bd-e1.2","title":"Pay button","status":"in_progress","priority":2,"issue_type":"feature","dependencies":[{"issue_id":"bd-e1.2","depends_on_id":"bd-e1.1","type":"blocks"},{"issue_id":"bd-e1.2","depends_on_id":"bd-e1","type":"parent-child"}]}
{"id":"bd-7","title":"Old bug","status":"closed","priority":1,"issue_type":"bug"}
{"id":"bd-8","title":"Log rotation","status":"open","labels":["ops","infra"],"dependencies":[{"issue_id":"bd-8","depends_on_id":"bd-7","type":"blocks"},{"issue_id":"bd-8","depends_on_id":"bd-e1.1","type":"related"}],"acceptance_criteria":"Rotates daily"}
"#;

    #[test]
    fn an_export_becomes_tasks_with_convoys_from_epics_and_labels_and_dependencies_kept() {
        let got = parse(EXPORT, Path::new("issues.jsonl"), &[]).unwrap();
        let ids: Vec<&str> = got.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["bd-e1.1", "bd-e1.2", "bd-8"]);
        assert_eq!(got.skipped, 1, "the closed bug");
        let t = |id: &str| got.tasks.iter().find(|t| t.id.as_str() == id).unwrap();
        assert_eq!(t("bd-e1.1").convoy.as_str(), "bd-e1");
        assert_eq!(
            t("bd-e1.2").convoy.as_str(),
            "bd-e1",
            "parent-child names the epic"
        );
        assert_eq!(t("bd-8").convoy.as_str(), "ops");
        assert_eq!(t("bd-e1.1").priority, 4, "P0 runs first");
        assert_eq!(t("bd-e1.2").after, [TaskId::new("bd-e1.1")]);
        assert!(
            t("bd-8").after.is_empty(),
            "closed blocker met, related ignored"
        );
        assert!(
            t("bd-8")
                .spec
                .contains("Acceptance criteria:\nRotates daily")
        );
        assert!(t("bd-e1.1").spec.starts_with("Totals in cents"));
    }

    #[test]
    fn a_bad_line_is_named_with_its_key() {
        let cases = [
            (
                "{\"id\":\"bd-1\",\"title\":\"ok\"}\nnot json\n",
                "x.jsonl:2: line: expected one JSON object",
            ),
            (
                "{\"id\":\"bd-1\"}\n",
                "x.jsonl:1: title: expected a beads issue (missing field `title`",
            ),
            (
                "{\"id\":\"bd-1\",\"title\":\"t\",\"priority\":9}\n",
                "x.jsonl:1: priority: expected 0 to 4, found 9",
            ),
            (
                "{\"id\":\"bd 1\",\"title\":\"t\"}\n",
                "x.jsonl:1: id: `bd 1` cannot be a task id",
            ),
            (
                "{\"id\":\"bd-1\",\"title\":\"t\",\"dependencies\":[{\"depends_on_id\":\"bd-9\",\"type\":\"blocks\"}]}\n",
                "x.jsonl:1: dependencies: `bd-9` is neither in the file nor a known task",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text, Path::new("x.jsonl"), &[]).err().unwrap();
            assert!(e.starts_with(want), "{e}\nwanted {want}");
            assert_eq!(e.lines().count(), 1);
        }
    }
}
