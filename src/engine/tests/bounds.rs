//! Output and usage that must not sink the swarm: floods, impossible usage.

use super::*;

#[test]
fn an_impossible_usage_line_is_refused_and_the_budgets_untouched() {
    let s = Settings {
        budget_day: Money::from_dollars(500.0),
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    let agent = AgentId::builder(1);
    for line in [
        "::usage input=999999999999 output=0::",
        "::usage output=999999999999::",
        "::usage input=100 output=64001::",
    ] {
        let step = h.line(SECOND, "t1", line);
        assert!(!kinds(&step).contains(&"usage_recorded"), "{line}");
        let concern = step
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::ConcernRaised { summary, .. } => Some(summary.clone()),
                _ => None,
            })
            .expect("a concern");
        assert!(concern.contains("usage report refused"), "{concern}");
    }
    let st = h.e.state();
    assert_eq!(st.spend_day, Money::ZERO);
    assert_eq!(st.agents[&agent].cost, Money::ZERO);
    assert_eq!(st.agents[&agent].malformed, 3);
    assert!(!st.day_hard_reached);
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
    // A true report after them counts.
    let step = h.line(SECOND, "t1", "::usage input=1000 output=100::");
    assert!(kinds(&step).contains(&"usage_recorded"));
}

#[test]
fn malformed_lines_are_counted_on_the_agent() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    for _ in 0..4 {
        h.line(SECOND, "t1", "::progress lots::");
    }
    assert_eq!(h.e.state().agents[&AgentId::builder(1)].malformed, 4);
}

fn alert(step: &Step) -> Option<(Check, String)> {
    step.events.iter().find_map(|e| match &e.kind {
        EventKind::WatchdogAlert { check, detail } => Some((*check, detail.clone())),
        _ => None,
    })
}

#[test]
fn an_output_flood_is_a_t1_alert_and_the_agent_is_stopped() {
    let mut s = settings(1);
    s.watchdog.flood = crate::watchdog::FloodLimits {
        window: 10 * SECOND,
        lines: 1_000,
        bytes: 1 << 20,
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    for i in 0..1_001 {
        h.line(0, "t1", &format!("line {i}"));
    }
    let step = h.at(SECOND, Input::Tick);
    let (check, detail) = alert(&step).expect("an alert");
    assert_eq!(check, Check::OutputFlood);
    assert!(detail.contains("lines"), "{detail}");
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Stop { .. }))
    );
}

#[test]
fn dropped_bytes_of_an_endless_line_flood_too() {
    let mut s = settings(1);
    s.watchdog.flood.bytes = 4 << 20;
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    h.line(0, "t1", &"a".repeat(1 << 20));
    let session = h.session_of("t1");
    for _ in 0..4 {
        h.at(
            0,
            Input::AgentSignal {
                session: session.clone(),
                signal: Signal::OutputDropped { bytes: 1 << 20 },
            },
        );
    }
    assert_eq!(
        h.e.state().agents[&AgentId::builder(1)].dropped_bytes,
        4 << 20
    );
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(alert(&step).expect("an alert").0, Check::OutputFlood);
}

#[test]
fn steady_output_under_the_limits_is_no_flood() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    for i in 0..2_000 {
        h.line(100, "t1", &format!("compiling crate {i}"));
    }
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(alert(&step), None);
}
