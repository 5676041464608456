//! A long day: the inbox, watchdog and queue facts come from the state, so
//! a first hour followed by 100,000 events about other things shows the
//! same items as the first hour did — nothing drops out with the window.

use super::merge_queue::{self, MergeQueuePane};
use super::testkit::{Kit, draw, lines};
use super::watchdog::WatchdogPane;
use super::{PaneState, inbox};
use crate::domain::*;
/// The runner's window of recent events (`swarm::snapshot::RECENT_EVENTS`).
const RECENT_EVENTS: usize = 2_000;

fn concern(k: &mut Kit, id: &str, agent: &str, task: &str, summary: &str) {
    k.ev(
        Some(agent),
        Some(task),
        EventKind::ConcernRaised {
            id: ConcernId::new(id),
            source: ConcernSource::Watchdog,
            summary: summary.into(),
            confidence: 0.9,
            impact: Impact::High,
            routing: Routing::Human,
        },
    );
}

/// The first hour: alerts, watchdog concerns (two of them about the same
/// check and task, which fold), a retired agent, and an agent to be noisy.
fn first_hour() -> Kit {
    let mut k = Kit::new();
    for (a, t) in [
        ("builder-01", "auth-1"),
        ("builder-02", "auth-2"),
        ("builder-03", "auth-3"),
        ("builder-04", "auth-4"),
        ("builder-05", "auth-5"),
        ("builder-06", "auth-6"),
        ("builder-07", "auth-7"),
    ] {
        k.agent(a, "claude-sonnet-4-5").task(t, "auth").assign(a, t);
    }
    k.at(9 * HOUR + 10 * MINUTE).ev(
        Some("builder-01"),
        Some("auth-1"),
        EventKind::WatchdogAlert {
            check: Check::Stalled,
            detail: "no output for 6m".into(),
        },
    );
    concern(&mut k, "C-0001", "builder-01", "auth-1", "stalled 6m");
    k.at(9 * HOUR + 20 * MINUTE);
    concern(&mut k, "C-0002", "builder-01", "auth-1", "stalled 16m");
    k.ev(
        Some("builder-02"),
        Some("auth-2"),
        EventKind::WatchdogAlert {
            check: Check::Looping,
            detail: "the same line 40 times".into(),
        },
    );
    concern(&mut k, "C-0003", "builder-02", "auth-2", "looping");
    k.at(9 * HOUR + 30 * MINUTE).ev(
        Some("builder-03"),
        None,
        EventKind::AgentRetired {
            reason: "its budget is spent".into(),
        },
    );
    k.at(9 * HOUR + 58 * MINUTE).ev(
        Some("builder-05"),
        Some("auth-5"),
        EventKind::WatchdogAlert {
            check: Check::OverTime,
            detail: "past its time bound of 45m".into(),
        },
    );
    // The queue: auth-6 through the gate and merged in a batch with auth-7,
    // whose merged result was rejected: it fails.
    for t in ["auth-6", "auth-7"] {
        k.ev(None, Some(t), EventKind::TaskDone);
        k.ev(
            None,
            Some(t),
            EventKind::GateFinished {
                passed: true,
                gate: "cargo test".into(),
                output: "ok".into(),
                findings: Vec::new(),
                changed: Vec::new(),
            },
        );
        k.ev(None, Some(t), EventKind::MergeQueued { seq: 1, onto: None });
    }
    k.at(9 * HOUR + 59 * MINUTE).ev(
        None,
        None,
        EventKind::BatchTested {
            tasks: vec!["auth-6".into(), "auth-7".into()],
            base: "fedcba9876543210".into(),
            passed: false,
            gate: "cargo test".into(),
            output: "1 failed".into(),
        },
    );
    k.ev(
        None,
        Some("auth-7"),
        EventKind::MergeFinished {
            outcome: MergeOutcome::Rejected {
                gate: "cargo test".into(),
                output: "1 failed".into(),
                findings: Vec::new(),
            },
        },
    );
    k.failed("auth-7").merged("auth-6");
    k.at(10 * HOUR);
    k
}

/// What the inbox shows: each fold's members, in inbox order.
fn inbox_items(k: &Kit) -> Vec<Vec<String>> {
    inbox::folded(&k.snap)
        .iter()
        .map(|f| f.members.iter().map(|c| c.id.0.clone()).collect())
        .collect()
}

#[test]
fn a_day_of_100k_events_shows_what_its_first_hour_showed() {
    let mut k = first_hour();
    let inbox_before = inbox_items(&k);
    let watchdog_before = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        100,
        12,
    ));
    let pane = PaneState::default();
    let queue_before = lines(&draw(&MergeQueuePane, &k.snap, &pane, 100, 8));
    let rows_before = format!("{:?}", merge_queue::rows(&k.snap));
    let text = queue_before.join("\n");
    assert!(text.contains("auth-6") && text.contains("auth-7"), "{text}");
    assert!(text.contains("auth-7 rejected"), "{text}");
    // The facts are there to lose: two folds, the stalled pair together.
    assert_eq!(inbox_before, [vec!["C-0001", "C-0002"], vec!["C-0003"]]);
    let text = watchdog_before.join("\n");
    assert!(text.contains("past its time bound of 45m"), "{text}");
    assert!(text.contains("its budget is spent"), "{text}");

    // The rest of the day: 100,000 events about another agent's work, at
    // the same instant so that ages on screen stay comparable. The window
    // of recent events is cut as the runner cuts it.
    for i in 0..100_000u32 {
        k.ev(
            Some("builder-04"),
            Some("auth-4"),
            EventKind::Progress {
                percent: (i % 100) as u8,
                note: format!("step {i}"),
            },
        );
        if k.snap.recent.len() > RECENT_EVENTS {
            k.snap.recent.pop_front();
        }
    }
    assert!(k.snap.state.events > 100_000);
    assert!(
        k.snap
            .recent
            .iter()
            .all(|e| e.agent.as_ref().map(|a| a.as_str()) == Some("builder-04")),
        "the window holds only the noise now"
    );

    assert_eq!(inbox_items(&k), inbox_before);
    let watchdog_after = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        100,
        12,
    ));
    assert_eq!(watchdog_after, watchdog_before);
    let queue_after = lines(&draw(&MergeQueuePane, &k.snap, &pane, 100, 8));
    assert_eq!(queue_after, queue_before);
    assert_eq!(format!("{:?}", merge_queue::rows(&k.snap)), rows_before);
    // And the facts are the state's.
    let s = &k.snap.state;
    let c = s.concern(&ConcernId::new("C-0002")).unwrap();
    assert_eq!(c.check, Some(Check::Stalled));
    let a = s.agent(&AgentId::new("builder-03")).unwrap();
    assert_eq!(a.retired_because.as_deref(), Some("its budget is spent"));
    // The agent page's list of tasks given.
    let a = s.agent(&AgentId::new("builder-06")).unwrap();
    assert_eq!(a.given, [(TaskId::new("auth-6"), 1)]);
}
