//! T2 triage on the virtual clock: a verdict for every concern routed to
//! triage, from the heuristics of `watchdog::triage`.

use super::*;
use crate::domain::triage::Verdict;
use crate::domain::{Disposition, Routing};

fn triage_settings() -> Settings {
    let mut s = settings(1);
    s.watchdog.triage_after = 30 * MINUTE;
    // Room for three stalls in a row before the task fails.
    s.max_attempts = 5;
    s
}

/// (concern, verdict, recommendation, reasons) of every verdict so far.
fn verdicts(h: &Harness) -> Vec<(String, Verdict, String, Vec<String>)> {
    h.log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TriageVerdict {
                concern,
                verdict,
                recommendation,
                reasons,
                ..
            } => Some((
                concern.to_string(),
                verdict.clone(),
                recommendation.clone(),
                reasons.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn stall(h: &mut Harness) {
    let stall = h.e.settings().watchdog.stall_after;
    let step = h.at(stall + MINUTE, Input::Tick);
    assert!(
        step.events
            .iter()
            .any(|e| e.kind.name() == "watchdog_alert"),
        "stalled"
    );
}

#[test]
fn a_stall_followed_by_work_is_resolved_and_nothing_reaches_the_operator() {
    let (mut h, _) = Harness::new(triage_settings(), &[task("t1", "a", 0, &[])]);
    stall(&mut h);
    let c = h.e.state().concerns.last().unwrap().clone();
    assert_eq!(c.routing, Routing::Triage);
    // The next tick, nothing new about the task: wait and see.
    h.at(SECOND, Input::Tick);
    assert!(verdicts(&h).is_empty());
    h.line(MINUTE, "t1", "::progress 40::half way");
    h.at(SECOND, Input::Tick);
    let v = verdicts(&h);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].1, Verdict::Resolve);
    assert!(
        v[0].3[0].starts_with("restarted and working again"),
        "{v:?}"
    );
    let c = h.e.state().concern(&c.id).unwrap();
    assert_eq!(c.disposition, Disposition::Resolved);
    assert_eq!(c.routing, Routing::Triage, "never the operator's");
}

#[test]
fn a_third_stall_in_a_row_goes_to_the_operator_with_a_recommendation() {
    let (mut h, _) = Harness::new(triage_settings(), &[task("t1", "a", 0, &[])]);
    stall(&mut h);
    stall(&mut h);
    assert!(verdicts(&h).is_empty(), "two stalls: still watching");
    stall(&mut h);
    h.at(SECOND, Input::Tick);
    let v = verdicts(&h);
    assert_eq!(v.len(), 3, "each of the three concerns: {v:?}");
    for (_, verdict, rec, reasons) in &v {
        assert_eq!(*verdict, Verdict::Escalate);
        assert!(rec.starts_with("respecify t1"), "{rec}");
        assert_eq!(reasons, &vec!["stalled 3 times in a row on t1".to_string()]);
    }
    let human =
        h.e.state()
            .concerns
            .iter()
            .filter(|c| c.routing == Routing::Human && c.disposition == Disposition::Open)
            .count();
    assert_eq!(human, 3, "escalated: the operator's now");
    // A verdict is given once.
    h.at(10 * MINUTE, Input::Tick);
    assert_eq!(verdicts(&h).len(), 3);
}

#[test]
fn a_concern_with_no_known_pattern_is_escalated_when_its_time_is_up() {
    let (mut h, _) = Harness::new(triage_settings(), &[task("t1", "a", 0, &[])]);
    h.line(
        SECOND,
        "t1",
        "::concern impact=medium confidence=0.9::the cache key looks wrong",
    );
    let c = h.e.state().concerns.last().unwrap().clone();
    assert_eq!(c.routing, Routing::Triage);
    for _ in 0..5 {
        h.line(5 * MINUTE, "t1", "::progress 10::working");
        h.at(SECOND, Input::Tick);
    }
    assert!(verdicts(&h).is_empty(), "25 minutes: not yet");
    h.line(5 * MINUTE, "t1", "::progress 20::working");
    h.at(SECOND, Input::Tick);
    let v = verdicts(&h);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1, Verdict::Escalate);
    assert_eq!(v[0].3, ["no known pattern in 30m"]);
    assert_eq!(h.e.state().concern(&c.id).unwrap().routing, Routing::Human);
}

#[test]
fn without_triage_concerns_wait_as_they_were_routed() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    stall(&mut h);
    h.at(HOUR, Input::Tick);
    assert!(verdicts(&h).is_empty());
}

#[test]
fn work_after_a_concern_is_not_called_fine_when_another_alert_came_since() {
    let (mut h, _) = Harness::new(triage_settings(), &[task("t1", "a", 0, &[])]);
    stall(&mut h);
    let first = h.e.state().concerns.last().unwrap().id.to_string();
    // The restarted session loops (plain lines are not work): another alert.
    for _ in 0..25 {
        h.line(10 * SECOND, "t1", "retrying the same fix");
    }
    let step = h.at(SECOND, Input::Tick);
    assert!(
        step.events.iter().any(|e| matches!(&e.kind,
            EventKind::WatchdogAlert { check, .. } if check.as_str() == "looping")),
        "looped"
    );
    h.line(MINUTE, "t1", "::progress 40::half way");
    h.at(SECOND, Input::Tick);
    assert!(
        !verdicts(&h)
            .iter()
            .any(|(c, v, _, _)| *c == first && *v == Verdict::Resolve),
        "an alert came after it: not 'restarted and working' ({:?})",
        verdicts(&h)
    );
}
