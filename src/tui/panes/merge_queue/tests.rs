use super::*;
use crate::domain::EventKind;
use crate::tui::detail::tests::{Day, pane_text};

#[test]
fn queue_then_gate_then_conflicts_then_merged() {
    let d = Day::standard();
    let st = PaneState::default();
    let ids: Vec<String> = MergeQueuePane
        .targets(&d.snap, &st)
        .iter()
        .map(|t| t.label())
        .collect();
    assert_eq!(ids, ["auth-4", "auth-3", "auth-2", "auth-1"]);
    let out = pane_text(&MergeQueuePane, &d.snap, &st, 100, 8);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("1 queued · 1 gating · 1 conflicted · 1 merged"),
        "{out}"
    );
    assert!(
        lines[2].contains("auth-4") && lines[2].contains("passed"),
        "{out}"
    );
    assert!(
        lines[3].contains("auth-3") && lines[3].contains("running"),
        "{out}"
    );
    assert!(
        lines[4].contains("auth-2") && lines[4].contains("src/shared/registry.rs"),
        "{out}"
    );
    assert!(
        lines[5].contains("auth-1") && lines[5].contains("clean"),
        "{out}"
    );
}

#[test]
fn a_narrow_pane_still_names_the_conflicted_file() {
    let d = Day::standard();
    let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 70, 8);
    assert!(out.contains("registry.rs"), "{out}");
}

#[test]
fn wait_counts_from_the_queue_event() {
    let d = Day::standard();
    let rows = rows(&d.snap);
    assert_eq!(rows[0].since, Some(64 * crate::domain::SECOND));
    let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 8);
    assert!(out.lines().nth(2).unwrap().contains("36s"), "{out}");
}

#[test]
fn draws_in_tiny_areas() {
    let d = Day::standard();
    for (w, h) in [(20, 5), (2, 2), (0, 0), (20, 3)] {
        let _ = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), w, h);
    }
}

#[test]
fn tiers_marks_lines_at_risk_and_the_last_batch() {
    let d = Day::deep();
    let st = PaneState::default();
    let ids: Vec<String> = MergeQueuePane
        .targets(&d.snap, &st)
        .iter()
        .map(|t| t.label())
        .collect();
    assert_eq!(
        ids,
        ["auth-7", "auth-4", "auth-3", "auth-6", "auth-2", "auth-1"]
    );
    let out = pane_text(&MergeQueuePane, &d.snap, &st, 100, 12);
    let l: Vec<&str> = out.lines().collect();
    assert!(
        l[0].contains("1 conflicted · 1 refused · 1 merged"),
        "{out}"
    );
    assert!(l[1].contains("tier") && l[1].contains("conflicts · at risk"));
    assert!(l[2].starts_with("┃1↑↻  auth-7"), "moved, sent back: {out}");
    assert!(l[2].contains("moved to the front · sent back"), "{out}");
    assert!(l[3].starts_with("┃2    auth-4"), "{out}");
    assert!(l[5].starts_with("┃⊘    auth-6"), "refused: {out}");
    assert!(l[5].contains(" auto "), "{out}");
    assert!(l[5].contains("src/auth/login.rs · 3 at risk"), "{out}");
    assert!(l[6].contains(" reimagine "), "{out}");
    assert!(l[7].contains(" clean "), "{out}");
    assert!(
        l[10].contains("batch ✗ 2 entries failed `cargo test` · bisected → auth-7 rejected"),
        "{out}"
    );
    // Narrow (the 80x24 floor): the count of lines at risk stays.
    let out = pane_text(&MergeQueuePane, &d.snap, &st, 36, 7);
    assert!(
        out.lines()
            .any(|l| l.contains("auth-6") && l.contains("3 at risk")),
        "{out}"
    );
    assert!(out.contains("1↑↻ auth-7"), "{out}");
    // A filter finds rows by tier.
    let st = PaneState {
        filter: "reimagine".into(),
        ..PaneState::default()
    };
    let ids: Vec<Target> = MergeQueuePane.targets(&d.snap, &st);
    assert_eq!(ids, vec![Target::Task("auth-2".into())]);
}

#[test]
fn a_passing_batch_says_so() {
    let mut d = Day::standard();
    d.ev(
        99,
        None,
        None,
        EventKind::BatchTested {
            tasks: vec!["auth-4".into()],
            base: "fedcba9876543210".into(),
            passed: true,
            gate: String::new(),
            output: String::new(),
        },
    );
    let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 10);
    assert!(out.contains("batch ✓ auth-4 passed on fedcba98"), "{out}");
    // No room to spare: the rows come first.
    let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 6);
    assert!(!out.contains("batch"), "{out}");
}

#[test]
fn deep_queue_draws_in_tiny_areas() {
    let d = Day::deep();
    for w in 0..110 {
        for h in [0, 1, 2, 3, 5, 8] {
            let _ = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), w, h);
        }
    }
}

#[test]
fn a_team_entry_says_it_lands_on_its_team_branch() {
    let mut d = Day::standard();
    // auth-4 is queued again, this time onto a team's integration branch.
    d.ev(
        99,
        Some("builder-01"),
        Some("auth-4"),
        EventKind::MergeQueued {
            seq: 9,
            onto: Some("shiftboss/team/core".into()),
        },
    );
    let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 8);
    let row = out.lines().find(|l| l.contains("auth-4")).unwrap();
    assert!(row.contains("→ team/core"), "{out}");
    // Entries bound for the target say nothing of it.
    let merged = out.lines().find(|l| l.contains("auth-1")).unwrap();
    assert!(!merged.contains('→'), "{out}");
    let page =
        crate::tui::detail::tests::page_text(&d.snap, &Target::Task("auth-4".into()), 100, 200);
    assert!(
        page.contains("lands on") && page.contains("→ team/core"),
        "{page}"
    );
    // A filter finds the team's entries.
    let st = PaneState {
        filter: "team/core".into(),
        ..PaneState::default()
    };
    let ids: Vec<Target> = MergeQueuePane.targets(&d.snap, &st);
    assert_eq!(ids, vec![Target::Task("auth-4".into())]);
}
