//! After trouble: a log replayed and a restart reconciled, API refusals
//! backed off, a handoff near the end of the context window, retries, and
//! starts that fail. Virtual time.

use super::*;

#[test]
fn replaying_the_log_rebuilds_the_same_state() {
    let (mut h, _) = Harness::new(
        settings(2),
        &[task("t1", "a", 0, &[]), task("t2", "b", 3, &["t1"])],
    );
    h.line(MINUTE, "t1", "::usage input=1000 output=200::");
    h.line(MINUTE, "t1", "::concern impact=medium confidence=0.4::hmm");
    h.finish("t1");
    h.line(MINUTE, "t2", "::pause::drop it?");
    let replayed = Engine::from_events(settings(2), &h.log);
    let (a, b) = (h.e.state(), replayed.state());
    assert_eq!(a.tasks, b.tasks);
    assert_eq!(a.concerns, b.concerns);
    assert_eq!(a.pauses, b.pauses);
    assert_eq!(a.spend_total, b.spend_total);
    assert_eq!(a.events, b.events);
    for (id, x) in &a.agents {
        let y = &b.agents[id];
        assert_eq!(
            (x.phase, &x.task, x.cost, x.tasks_merged),
            (y.phase, &y.task, y.cost, y.tasks_merged)
        );
    }
}

#[test]
fn after_a_restart_lost_sessions_go_back_to_the_queue_and_resume() {
    let (mut h, _) = Harness::new(
        settings(2),
        &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])],
    );
    h.line(MINUTE, "t1", "::usage input=1000::");
    let mut e = Engine::from_events(settings(2), &h.log);
    let step = e.reconcile(h.now + MINUTE, &[]);
    assert!(matches!(
        &step.events[0].kind,
        EventKind::SwarmResumed { lost_sessions: 2 }
    ));
    let restarted = starts(&step);
    assert_eq!(restarted.len(), 2);
    assert!(step.effects.iter().all(|e| match e {
        Effect::Start { attempt, .. } => *attempt == 2,
        _ => true,
    }));
}

#[test]
fn a_thousand_agents_are_scheduled() {
    let backlog: Vec<TaskSpec> = (0..1200)
        .map(|i| task(&format!("t{i}"), "big", 0, &[]))
        .collect();
    let (h, step) = Harness::new(settings(1000), &backlog);
    assert_eq!(starts(&step).len(), 1000);
    assert_eq!(h.e.state().busy_agents(), 1000);
    assert_eq!(h.e.state().count_status(TaskStatus::Pending), 200);
}

#[test]
fn api_trouble_backs_off_spread_out_and_becomes_a_concern_when_it_persists() {
    use crate::domain::protocol::Signal;
    let backlog: Vec<TaskSpec> = (1..=3)
        .map(|i| task(&format!("t{i}"), "a", 0, &[]))
        .collect();
    let (mut h, _) = Harness::new(settings(3), &backlog);
    // All three agents are refused at the same moment.
    for t in ["t1", "t2", "t3"] {
        let s = h.session_of(t);
        h.at(
            0,
            Input::AgentSignal {
                session: s.clone(),
                signal: Signal::ApiTrouble {
                    trouble: "rate_limit",
                    detail: "429".into(),
                },
            },
        );
        h.at(
            0,
            Input::AgentSignal {
                session: s,
                signal: Signal::Failed {
                    reason: "API Error: 429".into(),
                    exit_code: Some(1),
                },
            },
        );
    }
    let until: Vec<Millis> = ["t1", "t2", "t3"]
        .iter()
        .map(|t| {
            h.e.state().tasks[&TaskId::new(*t)]
                .not_before
                .expect("deferred")
        })
        .collect();
    assert!(until.iter().all(|u| *u >= h.now + 30 * SECOND), "{until:?}");
    let mut distinct = until.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "no herd: {until:?}");
    assert_eq!(h.e.state().agents[&AgentId::builder(1)].api_troubles, 1);
    // Nothing restarts before its time; each restarts after it.
    let step = h.at(20 * SECOND, Input::Tick);
    assert!(starts(&step).is_empty());
    assert!(h.e.can_progress(), "a backoff is not the end of the run");
    let step = h.at(*until.iter().max().unwrap() - h.now, Input::Tick);
    assert_eq!(starts(&step).len(), 3);
    assert!(
        h.e.state().concerns.is_empty(),
        "a first refusal is not a concern"
    );
    // The same task refused twice more: now the human hears of it.
    for _ in 0..2 {
        let s = h.session_of("t1");
        h.at(
            0,
            Input::AgentSignal {
                session: s.clone(),
                signal: Signal::ApiTrouble {
                    trouble: "overloaded",
                    detail: "529".into(),
                },
            },
        );
        h.at(
            0,
            Input::AgentExited {
                session: s,
                exit_code: Some(1),
            },
        );
        let nb = h.e.state().tasks[&TaskId::new("t1")].not_before.unwrap();
        h.at(nb - h.now, Input::Tick);
    }
    assert_eq!(h.e.state().concerns.len(), 1);
    assert!(h.e.state().concerns[0].summary.contains("3 times in a row"));
    assert_eq!(
        h.status("t1"),
        TaskStatus::InProgress,
        "three refusals in a row are below the limit"
    );
}

#[test]
fn near_the_end_of_its_context_an_agent_hands_off_to_a_fresh_session() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    let old = h.session_of("t1");
    h.line(MINUTE, "t1", "::progress 60::expiry wired, tests next");
    // 10k + 150k of a 200k window: 80 %.
    let step = h.line(
        MINUTE,
        "t1",
        "::usage input=10000 cache_read=150000 output=500::",
    );
    assert_eq!(
        kinds(&step),
        vec![
            "usage_recorded",
            "handoff",
            "session_ended",
            "task_assigned"
        ]
    );
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Stop { session, .. } if *session == old))
    );
    let (new, handoff, attempt) = step
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Start {
                session,
                handoff,
                attempt,
                ..
            } => Some((session.clone(), handoff.clone(), *attempt)),
            _ => None,
        })
        .expect("a fresh session");
    assert_ne!(new, old);
    assert_eq!(attempt, 1, "a handoff is not a new attempt");
    let summary = handoff.expect("the new session is told what happened");
    assert!(summary.contains("expiry wired, tests next"), "{summary}");
    assert!(summary.contains("shiftboss/builder-01/t1"), "{summary}");
    let a = &h.e.state().agents[&AgentId::builder(1)];
    assert_eq!(a.handoffs, 1);
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
    // Below the threshold nothing happens.
    let step = h.line(MINUTE, "t1", "::usage input=10000 cache_read=100000::");
    assert_eq!(kinds(&step), vec!["usage_recorded"]);
}

#[test]
fn time_waiting_at_a_pause_point_does_not_count_against_the_time_bound() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    let bound = h.e.settings().watchdog.task_time_bound;
    h.line(MINUTE, "t1", "::pause::about to migrate");
    let p = h.e.state().waiting_pauses().next().unwrap().id.clone();
    // The operator answers much later than the bound.
    h.at(bound + HOUR, Input::Operator(Command::ApprovePause(p)));
    let step = h.line(MINUTE, "t1", "back at work");
    assert!(step.events.is_empty());
    let step = h.at(SECOND, Input::Tick);
    assert!(
        !kinds(&step).contains(&"watchdog_alert"),
        "{:?}",
        kinds(&step)
    );
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
}

#[test]
fn retry_frees_only_what_waited_on_it_and_late_tasks_on_failed_work_are_blocked() {
    let s = Settings {
        max_attempts: 1,
        ..settings(2)
    };
    let backlog = [
        task("a", "x", 0, &[]),
        task("b", "x", 0, &[]),
        task("a2", "x", 0, &["a"]),
        task("a3", "x", 0, &["a2"]),
        task("b2", "x", 0, &["b"]),
    ];
    let (mut h, _) = Harness::new(s, &backlog);
    for t in ["a", "b"] {
        let session = h.session_of(t);
        h.at(
            MINUTE,
            Input::AgentExited {
                session,
                exit_code: Some(1),
            },
        );
    }
    for t in ["a2", "a3", "b2"] {
        assert_eq!(h.status(t), TaskStatus::Blocked);
    }
    h.at(
        MINUTE,
        Input::Operator(Command::RetryTask(TaskId::new("a"))),
    );
    assert_eq!(h.status("a2"), TaskStatus::Pending);
    assert_eq!(h.status("a3"), TaskStatus::Pending);
    assert_eq!(h.status("b2"), TaskStatus::Blocked, "b is still failed");
    // A task added later on top of failed work is blocked at the next tick.
    h.at(
        MINUTE,
        Input::Operator(Command::AddTask(task("b3", "x", 0, &["b"]))),
    );
    h.at(MINUTE, Input::Tick);
    assert_eq!(h.status("b3"), TaskStatus::Blocked);
}

#[test]
fn an_unanswered_spend_pause_holds_the_task_across_a_restart() {
    let s = Settings {
        pause_task_spend: Money::from_dollars(0.10),
        budget_task: Money::ZERO,
        budget_agent: Money::ZERO,
        budget_day: Money::ZERO,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s.clone(), &[task("t1", "a", 0, &[])]);
    let step = h.line(MINUTE, "t1", "::usage input=50000::"); // $0.15
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Freeze { .. }))
    );
    // shiftboss restarts: the session is lost, the task resumes in a new one.
    let mut e = Engine::from_events(s, &h.log);
    let step = e.reconcile(h.now + MINUTE, &[]);
    let new = step
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Start { session, .. } => Some(session.clone()),
            _ => None,
        })
        .expect("restarted");
    let step = e.step(
        h.now + 2 * MINUTE,
        Input::AgentLine {
            session: new.clone(),
            line: "::usage input=10::".into(),
        },
    );
    assert!(
        step.effects
            .iter()
            .any(|x| matches!(x, Effect::Freeze { session } if *session == new)),
        "the new session waits for the same answer"
    );
    let p = e.state().waiting_pauses().next().unwrap().id.clone();
    let step = e.step(
        h.now + 3 * MINUTE,
        Input::Operator(Command::ApprovePause(p)),
    );
    assert!(
        step.effects
            .iter()
            .any(|x| matches!(x, Effect::Thaw { session } if *session == new))
    );
}

/// A session that cannot start (a stale lock, a worktree in use) is tried
/// again after a delay that grows, never again in the same millisecond.
#[test]
fn failed_starts_back_off_with_a_growing_delay() {
    let mut s = settings(1);
    s.max_attempts = 5;
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    let mut delays = Vec::new();
    for _ in 0..3 {
        let session = h.session_of("t1");
        let step = h.at(
            0,
            Input::StartFailed {
                session,
                error: "failed to lock refs/heads/shiftboss/builder-01/t1".into(),
            },
        );
        assert!(starts(&step).is_empty(), "restarted in the same instant");
        assert_eq!(h.status("t1"), TaskStatus::Pending);
        let until = h.e.state().tasks[&TaskId::new("t1")]
            .not_before
            .expect("a start failure defers the task");
        assert!(until > h.now);
        assert!(starts(&h.at(until - h.now - 1, Input::Tick)).is_empty());
        assert_eq!(starts(&h.at(1, Input::Tick)), vec!["t1".to_string()]);
        delays.push(until);
    }
    let gaps: Vec<Millis> = delays.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[1] > gaps[0], "the delay grows: {gaps:?}");
}

#[test]
fn an_engine_made_from_a_checkpointed_fold_lands_its_queue_like_one_made_from_the_log() {
    let (mut h, _) = Harness::new(
        settings(2),
        &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])],
    );
    // t1 passed its gates and waits in the queue (no landing yet).
    h.line(MINUTE, "t1", "::done::ok");
    h.gates_pass("t1");
    let s = h.e.settings().clone();
    let mut facts = crate::domain::ResumeFacts::default();
    for ev in &h.log {
        facts.apply(ev);
    }
    let mut from_log = Engine::from_events(s.clone(), h.log.iter());
    let mut from_fold = Engine::from_fold(s, h.e.state().clone(), facts);
    let at = h.now + MINUTE;
    let a = from_log.step(at, Input::Tick);
    let b = from_fold.step(at, Input::Tick);
    assert_eq!(a, b, "the same step from either engine");
    assert!(
        a.effects.iter().any(|e| matches!(e, Effect::Land { .. })),
        "the queued task lands: {:?}",
        a.effects
    );
}

#[test]
fn a_killed_session_leaves_its_agent_in_the_pool_and_retiring_takes_it_out() {
    let (mut h, _) = Harness::new(
        settings(1),
        &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])],
    );
    let a = AgentId::builder(1);
    let step = h.at(SECOND, Input::Operator(Command::KillAgent(a.clone())));
    assert!(step.events.iter().any(|e| e.kind.name() == "task_requeued"));
    assert!(
        !step.events.iter().any(|e| e.kind.name() == "agent_retired"),
        "a kill stops the session, not the agent"
    );
    // Back in the pool: it takes work again.
    let mut started = starts(&step);
    if started.is_empty() {
        started = starts(&h.at(SECOND, Input::Tick));
    }
    assert!(!started.is_empty(), "the killed agent took new work");
    assert_ne!(h.e.state().agents[&a].phase, AgentPhase::Retired);

    let step = h.at(SECOND, Input::Operator(Command::RetireAgent(a.clone())));
    assert!(step.events.iter().any(|e| matches!(&e.kind,
        EventKind::AgentRetired { reason } if reason == "retired by the operator")));
    assert_eq!(h.e.state().agents[&a].phase, AgentPhase::Retired);
    assert!(
        starts(&h.at(MINUTE, Input::Tick)).is_empty(),
        "out of the pool"
    );
    let refused = crate::engine::check_command(h.e.state(), &Command::KillAgent(a.clone()));
    assert_eq!(refused, Err("builder-01 is retired".to_string()));
}
