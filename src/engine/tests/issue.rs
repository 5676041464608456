//! A task imported from a GitHub issue: its merge is said on the issue when
//! the config asks, and only then.

use super::*;

fn from_issue() -> TaskSpec {
    let mut t = task("gh-7", "backend", 1, &[]);
    t.issue = Some(Box::new(IssueRef {
        api: "http://127.0.0.1:9".into(),
        repo: "acme/shop".into(),
        number: 7,
    }));
    t
}

fn comments(step: &Step) -> Vec<(TaskId, IssueRef, String)> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::CommentIssue { task, issue, body } => {
                Some((task.clone(), (**issue).clone(), body.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_merge_is_said_on_the_issue_when_the_config_asks() {
    let mut s = settings(1);
    s.comment_on_merge = true;
    let (mut h, _) = Harness::new(s, &[from_issue(), task("t2", "a", 0, &[])]);
    let step = h.finish("gh-7");
    let c = comments(&step);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].1.number, 7);
    assert!(
        c[0].2
            .contains("Merged into `main` as c-gh-7 by shiftboss: task `gh-7` (agent builder-01)"),
        "{}",
        c[0].2
    );
    let step = h.at(
        SECOND,
        Input::IssueCommented {
            task: TaskId::new("gh-7"),
            url: "https://github.example/acme/shop/issues/7#issuecomment-1".into(),
        },
    );
    let ev = step
        .events
        .iter()
        .find(|e| e.kind.name() == "issue_commented")
        .expect("logged");
    assert_eq!(ev.task, Some(TaskId::new("gh-7")));
    // A task from no issue says nothing anywhere.
    assert!(comments(&h.finish("t2")).is_empty());
}

#[test]
fn without_the_config_no_comment_is_made() {
    let (mut h, _) = Harness::new(settings(1), &[from_issue()]);
    assert!(comments(&h.finish("gh-7")).is_empty());
}
