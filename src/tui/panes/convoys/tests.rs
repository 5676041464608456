use super::super::testkit::{Kit, draw, draws_in_tiny_areas, lines};
use super::*;
use crate::domain::{EventKind, MINUTE};

/// Three convoys: `auth` half merged, `billing` with a failed member,
/// `docs` untouched.
fn kit() -> Kit {
    let mut k = Kit::new();
    k.agent("builder-01", "sonnet");
    for i in 1..=4 {
        k.task(&format!("auth-{i}"), "auth");
    }
    for i in 1..=3 {
        k.task(&format!("billing-{i}"), "billing");
    }
    k.task("docs-1", "docs");
    k.at(9 * HOUR).assign("builder-01", "auth-1");
    k.spend("builder-01", "auth-1", 2.5);
    k.at(10 * HOUR).merged("auth-1");
    k.assign("builder-01", "auth-2").merged("auth-2");
    k.assign("builder-01", "auth-3");
    k.assign("builder-01", "billing-1").failed("billing-1");
    k
}

#[test]
fn a_stranded_convoy_comes_first_with_its_failures() {
    let k = kit();
    let buf = draw(&ConvoysPane, &k.snap, &PaneState::default(), 90, 8);
    let l = lines(&buf);
    assert!(l[0].contains("3 convoys · 1 stranded"), "{}", l[0]);
    assert!(l[1].contains("✗ billing"), "{}", l[1]);
    assert!(l[1].contains("0/3 1 failed"), "{}", l[1]);
    assert!(l[1].contains("stranded"), "{}", l[1]);
    assert!(l[2].contains("auth"), "{}", l[2]);
    assert!(l[3].contains("docs"), "{}", l[3]);
    assert_eq!(
        ConvoysPane.targets(&k.snap, &PaneState::default()),
        vec![
            Target::Convoy("billing".into()),
            Target::Convoy("auth".into()),
            Target::Convoy("docs".into())
        ]
    );
}

#[test]
fn the_finish_comes_from_the_merge_rate_so_far() {
    let k = kit();
    // auth: first start 09:00, 2 of 4 merged by 10:00 → 30 min a task,
    // 2 left → 11:00.
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 90, 8));
    assert!(l[2].contains("2/4"), "{}", l[2]);
    assert!(l[2].contains("$2.50"), "{}", l[2]);
    assert!(l[2].contains(" $2.50 eta 11:00 "), "{}", l[2]);
    assert!(l[3].contains("eta —"), "no merge yet: {}", l[3]);
}

#[test]
fn the_bar_is_proportional_and_shows_every_failure() {
    let k = kit();
    let auth = k.snap.state.convoy_progress()[0].clone();
    let cells = bar_cells(&auth, 8);
    assert_eq!(cells[0], (TaskStatus::Merged, 4));
    assert_eq!(cells[3], (TaskStatus::InProgress, 2));
    assert_eq!(cells[6], (TaskStatus::Pending, 2));
    let mut big = ConvoyProgress {
        total: 100,
        ..Default::default()
    };
    big.by_status.insert(TaskStatus::Merged, 99);
    big.by_status.insert(TaskStatus::Failed, 1);
    let cells = bar_cells(&big, 10);
    assert_eq!(cells[4], (TaskStatus::Failed, 1));
    assert_eq!(cells.iter().map(|(_, n)| n).sum::<usize>(), 10);
}

#[test]
fn a_held_convoy_shows_as_paused() {
    let mut k = kit();
    k.at(10 * HOUR + MINUTE);
    let mut ev = crate::domain::Event {
        at: 10 * HOUR + MINUTE,
        actor: crate::domain::Actor::Operator,
        agent: None,
        task: None,
        convoy: Some("auth".into()),
        model: None,
        session: None,
        kind: EventKind::ConvoyHeld { held: true },
    };
    k.snap.state.apply(&ev);
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 90, 8));
    assert!(l[0].contains("1 held"), "{}", l[0]);
    assert!(l[2].contains("‖ auth"), "{}", l[2]);
    assert!(l[2].contains(" $2.50 held "), "{}", l[2]);
    ev.kind = EventKind::ConvoyHeld { held: false };
    k.snap.state.apply(&ev);
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 90, 8));
    assert!(!l[2].contains('‖'), "{}", l[2]);
}

#[test]
fn narrow_panes_keep_name_count_and_failures() {
    let k = kit();
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 30, 5));
    assert!(l[1].starts_with("┃✗ billing "), "{}", l[1]);
    assert!(l[1].ends_with(" 0/3 1 failed┃"), "{}", l[1]);
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 22, 5));
    assert_eq!(
        l[1], "┃✗ billing 0/3 1 fai…┃",
        "no room for the bar; the cut ends in an ellipsis"
    );
}

#[test]
fn likely_conflicts_are_counted_modestly() {
    let mut k = kit();
    let predicted = |with: &str, files: &[&str]| EventKind::ConflictPredicted {
        prediction: crate::domain::Prediction {
            with: vec![with.into()],
            files: files.iter().map(|f| f.to_string()).collect(),
            delayed: false,
        },
    };
    k.ev(
        None,
        Some("auth-4"),
        predicted("auth-3", &["src/auth/a.rs"]),
    );
    // No files in its scope yet: not counted; merged: not counted.
    k.ev(None, Some("docs-1"), predicted("auth-3", &[]));
    k.ev(
        None,
        Some("auth-1"),
        predicted("auth-3", &["src/auth/b.rs"]),
    );
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 100, 8));
    assert!(
        l[2].contains("auth") && l[2].contains("~1 may conflict"),
        "{}",
        l[2]
    );
    assert!(!l[3].contains("may conflict"), "{}", l[3]);
    // Narrow panes drop it before the bar.
    let l = lines(&draw(&ConvoysPane, &k.snap, &PaneState::default(), 30, 5));
    assert!(!l[2].contains("may conflict"), "{}", l[2]);
    assert!(l[1].ends_with(" 0/3 1 failed┃"), "{}", l[1]);
}

#[test]
fn tiny_areas_do_not_panic() {
    draws_in_tiny_areas(&ConvoysPane, &kit().snap);
    draws_in_tiny_areas(&ConvoysPane, &crate::swarm::Snapshot::default());
}
