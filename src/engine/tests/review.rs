//! The review screens' commands: failed work triaged (reassign, respecify,
//! archive) and merged work judged, each one operator event that the fold
//! replays.

use super::*;

/// One task failed by `builder-01` (one attempt allowed), three agents.
fn failed_on_first_agent() -> Harness {
    let s = Settings {
        max_attempts: 1,
        ..settings(3)
    };
    let (mut h, step) = Harness::new(s, &[task("a", "x", 0, &[])]);
    assert!(matches!(
        step.effects.as_slice(),
        [Effect::Start { agent, .. }] if agent.as_str() == "builder-01"
    ));
    let session = h.session_of("a");
    h.at(
        MINUTE,
        Input::AgentExited {
            session,
            exit_code: Some(1),
        },
    );
    assert_eq!(h.status("a"), TaskStatus::Failed);
    h
}

fn started_on(step: &Step) -> Vec<String> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start { agent, .. } => Some(agent.as_str().to_string()),
            _ => None,
        })
        .collect()
}

fn replayed(h: &Harness) -> SwarmState {
    let mut s = SwarmState::default();
    for ev in &h.log {
        s.apply(ev);
    }
    s
}

#[test]
fn a_reassigned_task_goes_to_another_agent_and_the_fold_replays_it() {
    let mut h = failed_on_first_agent();
    let step = h.at(
        MINUTE,
        Input::Operator(Command::ReassignTask(TaskId::new("a"))),
    );
    let triaged = step
        .events
        .iter()
        .find(|e| e.kind.name() == "task_triaged")
        .expect("a task_triaged event");
    assert_eq!(triaged.actor, Actor::Operator);
    assert_eq!(triaged.task, Some(TaskId::new("a")));
    // builder-01 is idle and first in the pool; the task goes elsewhere.
    assert_eq!(started_on(&step), vec!["builder-02"]);
    assert_eq!(h.status("a"), TaskStatus::InProgress);
    let replay = replayed(&h);
    assert_eq!(replay.tasks, h.e.state().tasks);
    assert_eq!(
        replay.tasks[&TaskId::new("a")].avoid,
        Some(AgentId::builder(1))
    );
}

#[test]
fn a_respecified_task_runs_again_with_its_new_spec() {
    let mut h = failed_on_first_agent();
    let refused = h.at(
        SECOND,
        Input::Operator(Command::RespecifyTask(TaskId::new("a"), "  ".into())),
    );
    assert!(refused.events.is_empty(), "an empty spec is refused");
    assert!(
        h.e.check_command(&Command::RespecifyTask(TaskId::new("a"), " ".into()))
            .is_err()
    );
    let step = h.at(
        SECOND,
        Input::Operator(Command::RespecifyTask(
            TaskId::new("a"),
            "only touch src/x/lib.rs".into(),
        )),
    );
    assert_eq!(kinds(&step)[0], "task_triaged");
    assert_eq!(starts(&step), vec!["a"]);
    let t = &h.e.state().tasks[&TaskId::new("a")];
    assert_eq!(t.spec.spec, "only touch src/x/lib.rs");
    assert!(t.returned.as_deref().unwrap().contains("rewrote the spec"));
    assert_eq!(replayed(&h).tasks, h.e.state().tasks);
}

#[test]
fn an_archived_task_leaves_the_failed_work_and_takes_no_more_triage() {
    let mut h = failed_on_first_agent();
    assert_eq!(
        crate::review::screen::failed_work(h.e.state()).len(),
        1,
        "the failed task waits for triage"
    );
    let step = h.at(
        SECOND,
        Input::Operator(Command::ArchiveTask(TaskId::new("a"))),
    );
    assert_eq!(kinds(&step), vec!["task_triaged"]);
    assert!(starts(&step).is_empty());
    assert_eq!(h.status("a"), TaskStatus::Failed);
    assert!(crate::review::screen::failed_work(h.e.state()).is_empty());
    for cmd in [
        Command::ReassignTask(TaskId::new("a")),
        Command::ArchiveTask(TaskId::new("a")),
        Command::JudgeMerge(TaskId::new("a"), true),
    ] {
        assert!(h.e.check_command(&cmd).is_err(), "{cmd:?}");
    }
    assert_eq!(replayed(&h).tasks, h.e.state().tasks);
}

#[test]
fn work_that_is_not_failed_is_not_triaged() {
    let (mut h, _) = Harness::new(settings(1), &[task("a", "x", 0, &[])]);
    for cmd in [
        Command::ReassignTask(TaskId::new("a")),
        Command::RespecifyTask(TaskId::new("a"), "new".into()),
        Command::ArchiveTask(TaskId::new("a")),
        Command::ReassignTask(TaskId::new("nope")),
    ] {
        assert!(h.e.check_command(&cmd).is_err(), "{cmd:?}");
        let step = h.at(SECOND, Input::Operator(cmd));
        assert!(step.events.is_empty());
    }
}

fn night_task(id: &str) -> TaskSpec {
    TaskSpec {
        night: true,
        ..task(id, "night", 0, &[])
    }
}

#[test]
fn a_night_shift_runs_only_night_work_and_stops_new_work_at_its_end_time() {
    let (mut h, _) = Harness::new(settings(2), &[]);
    h.at(
        SECOND,
        Input::Operator(Command::StartNight {
            ends_at: T0 + 8 * HOUR,
            budget: Money::ZERO,
        }),
    );
    let step = h.at(
        SECOND,
        Input::Operator(Command::AddTask(task("day-work", "x", 9, &[]))),
    );
    assert!(starts(&step).is_empty(), "day work waits for the morning");
    let step = h.at(SECOND, Input::Operator(Command::AddTask(night_task("n1"))));
    assert_eq!(starts(&step), vec!["n1"]);
    h.finish("n1");
    // The end time passes: the tick closes the night once.
    h.now = T0 + 8 * HOUR;
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(
        step.events
            .iter()
            .filter(|e| e.kind.name() == "night_closed")
            .count(),
        1
    );
    let step = h.at(SECOND, Input::Operator(Command::AddTask(night_task("n2"))));
    assert!(starts(&step).is_empty(), "no new work after the end time");
    let step = h.at(MINUTE, Input::Tick);
    assert!(kinds(&step).iter().all(|k| *k != "night_closed"), "once");
    assert!(starts(&step).is_empty());
    // The operator ends the night: the day's work starts, best first.
    let step = h.at(MINUTE, Input::Operator(Command::EndNight));
    assert_eq!(starts(&step), vec!["day-work", "n2"]);
    let replay = replayed(&h);
    assert_eq!(replay.night, None);
    assert_eq!(replay.tasks, h.e.state().tasks);
}

#[test]
fn a_spent_night_budget_stops_new_work_before_the_end_time() {
    let (mut h, _) = Harness::new(settings(1), &[]);
    h.at(
        SECOND,
        Input::Operator(Command::StartNight {
            ends_at: T0 + 8 * HOUR,
            budget: Money::from_dollars(0.5),
        }),
    );
    h.at(SECOND, Input::Operator(Command::AddTask(night_task("n1"))));
    h.at(SECOND, Input::Operator(Command::AddTask(night_task("n2"))));
    h.line(MINUTE, "n1", "::usage input=200000::"); // $0.60
    let spent = h.e.state().night.as_ref().unwrap().spent;
    assert_eq!(spent, Money::from_dollars(0.6));
    let step = h.finish("n1");
    assert!(starts(&step).is_empty(), "the budget is spent: n2 waits");
    h.at(SECOND, Input::Tick);
    let closed: Vec<&Event> = h
        .log
        .iter()
        .filter(|e| e.kind.name() == "night_closed")
        .collect();
    assert_eq!(closed.len(), 1);
    assert!(
        matches!(&closed[0].kind, EventKind::NightClosed { reason } if reason.contains("budget"))
    );
    assert_eq!(h.status("n2"), TaskStatus::Pending);
    assert!(
        h.e.check_command(&Command::StartNight {
            ends_at: T0 + 9 * HOUR,
            budget: Money::ZERO
        })
        .is_err(),
        "one night at a time"
    );
}

#[test]
fn a_lowered_stall_threshold_takes_effect_at_once() {
    let alerted = |tune: bool| {
        let (mut h, _) = Harness::new(settings(1), &[task("a", "x", 0, &[])]);
        if tune {
            let step = h.at(
                SECOND,
                Input::Operator(Command::TuneWatchdog("stall_after".into(), "2m".into())),
            );
            assert_eq!(kinds(&step), vec!["watchdog_tuned"]);
        }
        // Three silent minutes: past 2m, well inside the default 10m.
        let mut stalled = false;
        for _ in 0..6 {
            let step = h.at(30 * SECOND, Input::Tick);
            stalled |= step.events.iter().any(|e| {
                matches!(
                    e.kind,
                    EventKind::WatchdogAlert {
                        check: Check::Stalled,
                        ..
                    }
                )
            });
        }
        stalled
    };
    assert!(!alerted(false));
    assert!(alerted(true));
    let (h, _) = Harness::new(settings(1), &[]);
    for bad in [
        ("stall_after", "soon"),
        ("loop_repeats", "1"),
        ("tick", "5s"),
    ] {
        let cmd = Command::TuneWatchdog(bad.0.into(), bad.1.into());
        assert!(h.e.check_command(&cmd).is_err(), "{bad:?}");
    }
}

#[test]
fn a_reassigned_task_no_free_agent_may_take_is_not_work_that_can_start() {
    // Two agents: the task failed on builder-01, builder-02 is held.
    let s = Settings {
        max_attempts: 1,
        ..settings(2)
    };
    let (mut h, _) = Harness::new(s, &[task("a", "x", 0, &[])]);
    let session = h.session_of("a");
    h.at(
        MINUTE,
        Input::AgentExited {
            session,
            exit_code: Some(1),
        },
    );
    assert_eq!(h.status("a"), TaskStatus::Failed);
    h.at(
        SECOND,
        Input::Operator(Command::HoldAgent(AgentId::new("builder-02"))),
    );
    let step = h.at(
        MINUTE,
        Input::Operator(Command::ReassignTask(TaskId::new("a"))),
    );
    // It waits for another agent than builder-01, and none is free: the
    // day cannot go on by itself (a headless run ends instead of waiting).
    assert!(started_on(&step).is_empty());
    assert_eq!(h.status("a"), TaskStatus::Pending);
    assert!(!h.e.can_progress());
    // Released, builder-02 takes it.
    let step = h.at(
        SECOND,
        Input::Operator(Command::ReleaseAgent(AgentId::new("builder-02"))),
    );
    assert_eq!(started_on(&step), ["builder-02"]);
}
