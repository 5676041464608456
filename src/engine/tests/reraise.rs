//! Re-raising, pause timeouts and swarm-wide pauses, on the virtual clock.

use super::super::tests::{Harness, settings, starts, task};
use super::*;
use crate::domain::{HOUR, MINUTE, SECOND};
use crate::engine::{Command, Effect, Input, Settings};

/// The `[inbox]` defaults, and a watchdog that stays out of the way.
fn rules(agents: usize, reject: Vec<PauseKind>) -> Settings {
    let mut s = settings(agents);
    s.watchdog.stall_after = 100 * HOUR;
    s.watchdog.task_time_bound = 100 * HOUR;
    s.inbox = InboxSettings {
        reraise_after: [8 * HOUR, 2 * HOUR, 30 * MINUTE, 10 * MINUTE],
        pause_reraise: 30 * MINUTE,
        pause_timeout: 2 * HOUR,
        reject_on_timeout: reject,
    };
    s
}

/// Tick every minute for `minutes`; the events of those ticks.
fn tick_for(h: &mut Harness, minutes: i64) -> Vec<Event> {
    let mut evs = Vec::new();
    for _ in 0..minutes {
        evs.extend(h.at(MINUTE, Input::Tick).events);
    }
    evs
}

fn named<'a>(evs: &'a [Event], kind: &str) -> Vec<&'a Event> {
    evs.iter().filter(|e| e.kind.name() == kind).collect()
}

#[test]
fn unanswered_concerns_are_raised_again_by_impact_and_an_answer_stops_it() {
    let (mut h, _) = Harness::new(rules(1, Vec::new()), &[task("t1", "a", 0, &[])]);
    h.line(
        SECOND,
        "t1",
        "::concern impact=critical confidence=0.3::drops a table",
    );
    h.line(
        SECOND,
        "t1",
        "::concern impact=medium confidence=0.3::a test may be flaky",
    );
    h.line(SECOND, "t1", "::concern impact=low confidence=0.9::naming");
    let crit = ConcernId::new("C-0001");
    // Not before its time: 10 minutes for a critical one.
    let evs = tick_for(&mut h, 9);
    assert!(named(&evs, "concern_reraised").is_empty(), "{evs:?}");
    assert_eq!(h.e.state().concern(&crit).unwrap().overdue_since, None);
    let evs = tick_for(&mut h, 1);
    let re = named(&evs, "concern_reraised");
    assert_eq!(re.len(), 1, "{evs:?}");
    assert!(matches!(
        &re[0].kind,
        EventKind::ConcernReraised { id, round: 1, waited } if *id == crit && *waited >= 10 * MINUTE
    ));
    let overdue = h.e.state().concern(&crit).unwrap().overdue_since;
    assert_eq!(overdue, Some(h.now));
    // Each round after twice as long: 30m, then 70m after it was raised.
    let evs = tick_for(&mut h, 20);
    assert_eq!(named(&evs, "concern_reraised").len(), 1);
    let evs = tick_for(&mut h, 39);
    assert_eq!(named(&evs, "concern_reraised").len(), 0);
    let evs = tick_for(&mut h, 2);
    assert_eq!(named(&evs, "concern_reraised").len(), 1);
    let c = h.e.state().concern(&crit).unwrap();
    assert_eq!(
        (c.reraised, c.overdue_since),
        (3, overdue),
        "overdue since round 1"
    );
    // An answer ends it: acked, it is no longer re-raised.
    h.at(SECOND, Input::Operator(Command::AckConcern(crit.clone())));
    // The medium one falls due at 2h and 6h, the low one at 8h.
    let evs = tick_for(&mut h, 10 * 60);
    let ids: Vec<String> = named(&evs, "concern_reraised")
        .iter()
        .map(|e| match &e.kind {
            EventKind::ConcernReraised { id, .. } => id.to_string(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(ids, ["C-0002", "C-0002", "C-0003"]);
    // The log replays to the same facts.
    let again = Engine::from_events(h.e.settings().clone(), &h.log);
    assert_eq!(again.state().concerns, h.e.state().concerns);
}

#[test]
fn an_undecided_pause_point_is_raised_again_then_escalated_never_approved() {
    let (mut h, _) = Harness::new(rules(1, Vec::new()), &[task("t1", "a", 0, &[])]);
    h.line(SECOND, "t1", "::pause::about to run the migration");
    let id = PauseId::new("P-0001");
    let evs = tick_for(&mut h, 29);
    assert!(named(&evs, "pause_reraised").is_empty());
    let evs = tick_for(&mut h, 1);
    assert_eq!(named(&evs, "pause_reraised").len(), 1, "{evs:?}");
    assert!(h.e.state().pause(&id).unwrap().overdue_since.is_some());
    // 90m: round 2; 2h: the timeout.
    let evs = tick_for(&mut h, 90);
    assert_eq!(named(&evs, "pause_reraised").len(), 1, "{evs:?}");
    let timed = named(&evs, "pause_timed_out");
    assert_eq!(timed.len(), 1, "{evs:?}");
    assert!(matches!(
        timed[0].kind,
        EventKind::PauseTimedOut {
            rejected: false,
            ..
        }
    ));
    // Escalated: a critical concern for the human, about the pause point.
    let raised = named(&evs, "concern_raised");
    assert_eq!(raised.len(), 1);
    let EventKind::ConcernRaised {
        source,
        impact,
        routing,
        summary,
        ..
    } = &raised[0].kind
    else {
        unreachable!()
    };
    assert_eq!(
        (source, *impact, *routing),
        (&ConcernSource::Pause, Impact::Critical, Routing::Human)
    );
    assert!(
        summary.contains("P-0001") && summary.contains("2h00m"),
        "{summary}"
    );
    assert_eq!(raised[0].task, Some(TaskId::new("t1")));
    // Never decided by the engine: it still waits, and times out once.
    assert!(named(&evs, "pause_decided").is_empty());
    let p = h.e.state().pause(&id).unwrap();
    assert_eq!((p.state, p.timed_out), (PauseState::Waiting, true));
    let evs = tick_for(&mut h, 5 * 60);
    assert!(named(&evs, "pause_timed_out").is_empty());
    assert!(named(&evs, "pause_decided").is_empty());
}

#[test]
fn a_timeout_rejects_a_kind_the_config_lists_and_tells_the_agent_no() {
    let (mut h, _) = Harness::new(
        rules(1, vec![PauseKind::AgentRequest]),
        &[task("t1", "a", 0, &[])],
    );
    h.line(SECOND, "t1", "::pause::about to delete the bucket");
    let mut effects = Vec::new();
    let mut evs = Vec::new();
    for _ in 0..121 {
        let step = h.at(MINUTE, Input::Tick);
        evs.extend(step.events);
        effects.extend(step.effects);
    }
    let decided = named(&evs, "pause_decided");
    assert_eq!(decided.len(), 1, "{evs:?}");
    assert_eq!(decided[0].actor, Actor::Engine);
    assert!(matches!(
        decided[0].kind,
        EventKind::PauseDecided {
            approved: false,
            ..
        }
    ));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Decide {
                approved: false,
                ..
            }
        )),
        "{effects:?}"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Decide { approved: true, .. }))
    );
    let p = h.e.state().pause(&PauseId::new("P-0001")).unwrap();
    assert_eq!(p.state, PauseState::Rejected);
}

#[test]
fn a_swarm_wide_pause_drains_the_swarm_with_a_readiness_count() {
    let backlog: Vec<TaskSpec> = (1..=5)
        .map(|n| task(&format!("t{n}"), "a", 0, &[]))
        .collect();
    // Even listed for rejection, a swarm-wide pause is never rejected.
    let (mut h, step) = Harness::new(rules(3, vec![PauseKind::AgentRequest]), &backlog);
    assert_eq!(starts(&step).len(), 3);
    let cmd = Command::PauseSwarm("before the release merge".into());
    assert_eq!(h.e.check_command(&cmd), Ok(()));
    h.at(SECOND, Input::Operator(cmd.clone()));
    let id = PauseId::new("P-0001");
    let p = h.e.state().pause(&id).unwrap();
    assert_eq!(
        (p.kind.clone(), p.state),
        (PauseKind::Swarm, PauseState::Waiting)
    );
    assert!(
        h.e.check_command(&cmd).is_err(),
        "one swarm-wide pause at a time"
    );
    assert_eq!(swarm_readiness(h.e.state()), (0, 3));
    // Agents finish their current task and take no new work.
    let step = h.finish("t1");
    assert!(starts(&step).is_empty(), "{step:?}");
    assert_eq!(swarm_readiness(h.e.state()), (1, 3));
    h.finish("t2");
    h.finish("t3");
    assert_eq!(swarm_readiness(h.e.state()), (3, 3));
    assert!(
        !h.e.can_progress(),
        "all drained: it waits for the operator"
    );
    // The timeout escalates, never decides.
    let evs = tick_for(&mut h, 3 * 60);
    assert_eq!(named(&evs, "pause_timed_out").len(), 1);
    assert!(named(&evs, "pause_decided").is_empty());
    assert!(named(&evs, "task_assigned").is_empty());
    // Approved: work starts again.
    let step = h.at(SECOND, Input::Operator(Command::ApprovePause(id)));
    assert_eq!(starts(&step), vec!["t4", "t5"]);
}
