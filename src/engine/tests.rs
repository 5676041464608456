//! Engine tests: pure state machine, virtual time, no I/O.

use super::*;
use crate::domain::{MINUTE, SECOND};

const T0: Millis = 1_772_442_000_000; // a fixed virtual morning

pub(super) fn task(id: &str, convoy: &str, priority: i32, after: &[&str]) -> TaskSpec {
    TaskSpec {
        id: TaskId::new(id),
        title: format!("do {id}"),
        spec: String::new(),
        convoy: ConvoyId::new(convoy),
        priority,
        scope: vec![format!("src/{convoy}/**")],
        checks: vec![],
        after: after.iter().map(|a| TaskId::new(*a)).collect(),
        tier: None,
        behaviour: None,
        issue: None,
        night: false,
    }
}

pub(super) fn settings(agents: usize) -> Settings {
    Settings {
        agents,
        max_live: agents,
        ..Settings::default()
    }
}

pub(super) struct Harness {
    pub e: Engine,
    pub now: Millis,
    pub log: Vec<Event>,
}

impl Harness {
    pub(super) fn new(s: Settings, backlog: &[TaskSpec]) -> (Harness, Step) {
        let mut e = Engine::new(s);
        let step = e.bootstrap(T0, backlog);
        let log = step.events.clone();
        (Harness { e, now: T0, log }, step)
    }

    pub(super) fn at(&mut self, dt: Millis, input: Input) -> Step {
        self.now += dt;
        let step = self.e.step(self.now, input);
        self.log.extend(step.events.iter().cloned());
        step
    }

    pub(super) fn status(&self, id: &str) -> TaskStatus {
        self.e.state().tasks[&TaskId::new(id)].status
    }

    pub(super) fn session_of(&self, task: &str) -> SessionId {
        self.e
            .sessions()
            .find(|(_, _, t)| t.as_str() == task)
            .map(|(s, _, _)| s.clone())
            .unwrap_or_else(|| panic!("no session for {task}"))
    }

    pub(super) fn line(&mut self, dt: Millis, task: &str, line: &str) -> Step {
        let session = self.session_of(task);
        self.at(
            dt,
            Input::AgentLine {
                session,
                line: line.into(),
            },
        )
    }

    /// Take a task from assignment through gates and merge.
    /// The task's branch gates passed, a second later.
    pub(super) fn gates_pass(&mut self, task: &str) -> Step {
        self.at(
            SECOND,
            Input::GatesFinished {
                task: TaskId::new(task),
                passed: true,
                gate: String::new(),
                output: String::new(),
                findings: Vec::new(),
                changed: Vec::new(),
            },
        )
    }

    pub(super) fn finish(&mut self, task: &str) -> Step {
        let mut all = self.line(MINUTE, task, "::done::ok");
        all.extend(self.gates_pass(task));
        all.extend(self.at(
            SECOND,
            Input::Landed {
                runs: Vec::new(),
                results: vec![(
                    TaskId::new(task),
                    MergeOutcome::Merged {
                        commit: format!("c-{task}"),
                        tier: "clean".into(),
                        removals: Vec::new(),
                    },
                )],
                error: None,
                held: Vec::new(),
                ai_unreachable: None,
                spent: Vec::new(),
            },
        ));
        all
    }
}

pub(super) fn starts(step: &Step) -> Vec<String> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start { task, .. } => Some(task.0.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn kinds(step: &Step) -> Vec<&'static str> {
    step.events.iter().map(|e| e.kind.name()).collect()
}

#[test]
fn scheduler_starts_by_priority_under_the_cap_and_waits_for_dependencies() {
    let s = Settings {
        max_live: 2,
        ..settings(3)
    };
    let backlog = [
        task("low", "a", 1, &[]),
        task("high", "a", 9, &[]),
        task("mid", "a", 5, &[]),
        task("after-high", "a", 10, &["high"]),
    ];
    let (mut h, step) = Harness::new(s, &backlog);
    assert_eq!(
        starts(&step),
        vec!["high", "mid"],
        "priority order, cap of 2"
    );
    assert_eq!(h.status("after-high"), TaskStatus::Pending);

    // `high` done: its slot goes to the best ready task, `low`, since
    // `after-high` still waits for `high` to merge.
    let step = h.finish("high");
    assert_eq!(starts(&step), vec!["low"]);
    assert_eq!(h.status("high"), TaskStatus::Merged);
    // Next free slot: `after-high` (priority 10) is ready now.
    let step = h.finish("mid");
    assert_eq!(starts(&step), vec!["after-high"]);
}

#[test]
fn done_runs_gates_then_queues_then_merges_with_attribution() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "auth", 0, &[])]);
    let step = h.line(MINUTE, "t1", "::done::finished");
    assert!(matches!(
        step.effects.as_slice(),
        [Effect::RunGates { task, branch, .. }] if task.as_str() == "t1" && branch == "shiftboss/builder-01/t1"
    ));
    assert_eq!(h.status("t1"), TaskStatus::Gating);
    let step = h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new("t1"),
            passed: true,
            gate: String::new(),
            output: "ok".into(),
            findings: Vec::new(),
            changed: Vec::new(),
        },
    );
    let merge_msg = step
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Land { entries, .. } => entries.first().map(|e| e.message.clone()),
            _ => None,
        })
        .expect("merge effect");
    assert!(merge_msg.contains("Shiftboss-Agent: builder-01"));
    assert!(merge_msg.contains("Shiftboss-Task: t1"));
    let step = h.at(
        SECOND,
        Input::Landed {
            runs: Vec::new(),
            results: vec![(
                TaskId::new("t1"),
                MergeOutcome::Merged {
                    commit: "abc".into(),
                    tier: "clean".into(),
                    removals: Vec::new(),
                },
            )],
            error: None,
            held: Vec::new(),
            ai_unreachable: None,
            spent: Vec::new(),
        },
    );
    let merged = &step.events[0];
    assert_eq!(merged.kind.name(), "merge_finished");
    assert_eq!(merged.agent.as_ref().unwrap().as_str(), "builder-01");
    assert_eq!(merged.convoy.as_ref().unwrap().as_str(), "auth");
    assert_eq!(h.e.state().merges, 1);
}

#[test]
fn usage_is_priced_exactly_and_the_agent_budget_stops_the_agent() {
    let s = Settings {
        budget_agent: Money::from_dollars(1.0),
        budget_task: Money::ZERO,
        budget_day: Money::ZERO,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    // 100k input at $3/M = $0.30.
    let step = h.line(
        MINUTE,
        "t1",
        "::usage input=100000 output=0 cache_read=0 cache_write=0::",
    );
    assert_eq!(
        step.events[0].kind,
        EventKind::UsageRecorded {
            usage: Usage {
                input: 100_000,
                ..Usage::default()
            },
            cost: Money::from_dollars(0.30)
        }
    );
    assert!(step.effects.is_empty());
    // $0.45 + $0.60: over the dollar (one call's worth, within the model's
    // window and output limit).
    let step = h.line(MINUTE, "t1", "::usage input=150000 output=40000::");
    assert!(kinds(&step).contains(&"budget_reached"));
    assert!(kinds(&step).contains(&"agent_retired"));
    assert!(kinds(&step).contains(&"concern_raised"));
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Stop { .. }))
    );
    assert_eq!(
        h.status("t1"),
        TaskStatus::Pending,
        "work goes back to the queue"
    );
    let a = &h.e.state().agents[&AgentId::builder(1)];
    assert_eq!(a.phase, AgentPhase::Retired);
    assert_eq!(a.cost, Money::from_dollars(1.35));
}

#[test]
fn near_the_day_limit_no_new_work_starts() {
    let s = Settings {
        budget_day: Money::from_dollars(1.0),
        day_soft: 0.5,
        budget_agent: Money::ZERO,
        budget_task: Money::ZERO,
        max_live: 1,
        ..settings(2)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])]);
    let step = h.line(MINUTE, "t1", "::usage input=200000::"); // $0.60
    assert!(kinds(&step).contains(&"budget_reached"));
    assert!(h.e.state().day_soft_reached);
    let step = h.finish("t1");
    assert!(starts(&step).is_empty(), "no new work past the soft limit");
    assert_eq!(h.status("t2"), TaskStatus::Pending);
}

#[test]
fn a_silent_agent_is_stalled_but_one_waiting_at_a_pause_point_is_not() {
    let (mut h, _) = Harness::new(
        settings(2),
        &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])],
    );
    h.line(SECOND, "t2", "::pause::about to drop the table");
    let stall = h.e.settings().watchdog.stall_after;
    let step = h.at(stall + MINUTE, Input::Tick);
    let alerts: Vec<_> = step
        .events
        .iter()
        .filter(|e| e.kind.name() == "watchdog_alert")
        .map(|e| e.task.as_ref().unwrap().0.clone())
        .collect();
    assert_eq!(alerts, vec!["t1"]);
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Stop { .. }))
    );
    // It goes straight back out (same agent preferred: its worktree has the branch).
    assert_eq!(starts(&step), vec!["t1"]);
    assert_eq!(h.e.state().tasks[&TaskId::new("t1")].attempts, 2);
}

#[test]
fn the_same_line_over_and_over_is_a_loop() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    for _ in 0..25 {
        h.line(20 * SECOND, "t1", "retrying the same fix");
        h.line(0, "t1", "::usage input=10::");
    }
    let step = h.at(SECOND, Input::Tick);
    let alert = step
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::WatchdogAlert { check, .. } => Some(*check),
            _ => None,
        })
        .expect("an alert");
    assert_eq!(alert, Check::Looping);
}

#[test]
fn over_time_blocks_the_task_and_its_dependents() {
    let (mut h, _) = Harness::new(
        settings(1),
        &[task("t1", "a", 0, &[]), task("t2", "a", 0, &["t1"])],
    );
    let bound = h.e.settings().watchdog.task_time_bound;
    for _ in 0..(bound / (5 * MINUTE) + 2) {
        h.line(5 * MINUTE, "t1", &format!("line {}", h.now));
    }
    let step = h.at(SECOND, Input::Tick);
    assert!(kinds(&step).contains(&"watchdog_alert"));
    assert_eq!(h.status("t1"), TaskStatus::Blocked);
    assert_eq!(h.status("t2"), TaskStatus::Blocked);
}

#[test]
fn a_crash_requeues_until_attempts_run_out_then_fails_and_strands_dependents() {
    let s = Settings {
        max_attempts: 2,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[]), task("t2", "b", 0, &["t1"])]);
    let s1 = h.session_of("t1");
    let step = h.at(
        MINUTE,
        Input::AgentExited {
            session: s1,
            exit_code: Some(137),
        },
    );
    assert_eq!(starts(&step), vec!["t1"], "resumed from its branch");
    let resumed = step.events.iter().find_map(|e| match &e.kind {
        EventKind::TaskAssigned { resume, .. } => Some(*resume),
        _ => None,
    });
    assert_eq!(resumed, Some(true));
    let s2 = h.session_of("t1");
    h.at(
        MINUTE,
        Input::AgentExited {
            session: s2,
            exit_code: Some(1),
        },
    );
    assert_eq!(h.status("t1"), TaskStatus::Failed);
    assert_eq!(h.status("t2"), TaskStatus::Blocked);
    let progress = h.e.state().convoy_progress();
    assert!(
        progress
            .iter()
            .any(|p| p.convoy.as_str() == "b" && p.is_stranded())
    );
    // The operator retries: both come back.
    h.at(
        MINUTE,
        Input::Operator(Command::RetryTask(TaskId::new("t1"))),
    );
    assert_eq!(h.status("t2"), TaskStatus::Pending);
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
}

#[test]
fn pause_points_wait_for_the_operator_and_the_log_names_the_operator() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    h.line(MINUTE, "t1", "::pause::about to run the migration");
    let p =
        h.e.state()
            .waiting_pauses()
            .next()
            .expect("waiting")
            .id
            .clone();
    assert_eq!(
        h.e.state().agents[&AgentId::builder(1)].phase,
        AgentPhase::Waiting
    );
    let step = h.at(MINUTE, Input::Operator(Command::ApprovePause(p.clone())));
    assert_eq!(step.events[0].actor, Actor::Operator);
    assert!(matches!(
        step.effects.as_slice(),
        [Effect::Decide { approved: true, .. }]
    ));
    assert_eq!(
        h.e.state().agents[&AgentId::builder(1)].phase,
        AgentPhase::Working
    );
    assert!(
        h.e.check_command(&Command::ApprovePause(p)).is_err(),
        "decided once"
    );
}

#[test]
fn concerns_route_by_confidence_and_impact_and_are_never_deleted() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    h.line(
        MINUTE,
        "t1",
        "::concern impact=high confidence=0.3::drops a column",
    );
    h.line(MINUTE, "t1", "::concern impact=low confidence=0.9::naming");
    let c = &h.e.state().concerns;
    assert_eq!(c[0].routing, Routing::Human);
    assert_eq!(c[1].routing, Routing::Log);
    let id = c[0].id.clone();
    assert!(
        h.e.check_command(&Command::DismissConcern(id.clone(), " ".into()))
            .is_err(),
        "a dismissal needs a reason"
    );
    h.at(
        SECOND,
        Input::Operator(Command::DismissConcern(
            id.clone(),
            "known, fixed in billing-4".into(),
        )),
    );
    let c = h.e.state().concern(&id).unwrap();
    assert_eq!(
        c.disposition,
        Disposition::Dismissed("known, fixed in billing-4".into())
    );
    assert_eq!(h.e.state().concerns.len(), 2);
}

#[test]
fn a_malformed_protocol_line_is_a_low_concern_not_a_crash() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    let step = h.line(MINUTE, "t1", "::usage input=lots::");
    assert_eq!(kinds(&step), vec!["concern_raised"]);
    assert_eq!(h.e.state().concerns[0].impact, Impact::Low);
    let step = h.line(MINUTE, "t1", "::progress 900::");
    assert!(step.events.is_empty(), "counted, not raised twice");
}

#[test]
fn gate_rejections_send_work_back_then_fail_it() {
    let s = Settings {
        max_rejections: 2,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    for round in 1..=2 {
        h.line(MINUTE, "t1", "::done::");
        let step = h.at(
            SECOND,
            Input::GatesFinished {
                task: TaskId::new("t1"),
                passed: false,
                gate: "cargo test".into(),
                output: "test auth::expiry ... FAILED".into(),
                findings: Vec::new(),
                changed: Vec::new(),
            },
        );
        if round == 1 {
            assert!(kinds(&step).contains(&"task_reworked"));
            assert_eq!(starts(&step), vec!["t1"]);
        } else {
            assert!(kinds(&step).contains(&"task_failed"));
        }
    }
    assert_eq!(h.e.state().agents[&AgentId::builder(1)].rework, 1);
    assert_eq!(h.status("t1"), TaskStatus::Failed);
}

#[test]
fn a_conflict_sends_the_task_back_to_be_redone_on_the_target() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    h.line(MINUTE, "t1", "::done::");
    h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new("t1"),
            passed: true,
            gate: String::new(),
            output: String::new(),
            findings: Vec::new(),
            changed: Vec::new(),
        },
    );
    let step = h.at(
        SECOND,
        Input::Landed {
            runs: Vec::new(),
            results: vec![(
                TaskId::new("t1"),
                MergeOutcome::Conflicted {
                    files: vec!["src/shared/registry.rs".into()],
                    why: String::new(),
                },
            )],
            error: None,
            held: Vec::new(),
            ai_unreachable: None,
            spent: Vec::new(),
        },
    );
    assert!(
        kinds(&step).contains(&"task_reimagined"),
        "{:?}",
        kinds(&step)
    );
    assert_eq!(h.e.state().conflicts, 1);
    // It starts again at once, on a fresh branch from the target's tip; the
    // old branch is kept.
    let start = step.effects.iter().find_map(|e| match e {
        Effect::Start {
            branch,
            resume_from,
            ..
        } => Some((branch.clone(), resume_from.clone())),
        _ => None,
    });
    assert_eq!(
        start,
        Some(("shiftboss/builder-01/t1-r1".to_string(), None)),
        "a reimagined task starts from the target"
    );
    let t = &h.e.state().tasks[&TaskId::new("t1")];
    assert_eq!(t.reimagined, 1);
    assert!(
        t.returned
            .as_deref()
            .unwrap()
            .contains("src/shared/registry.rs")
    );
}

#[test]
fn pause_before_merge_holds_the_queue_entry_until_approved() {
    let s = Settings {
        pause_before_merge: true,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    h.line(MINUTE, "t1", "::done::");
    let step = h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new("t1"),
            passed: true,
            gate: String::new(),
            output: String::new(),
            findings: Vec::new(),
            changed: Vec::new(),
        },
    );
    assert!(
        !step
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Land { .. }))
    );
    let p = h.e.state().waiting_pauses().next().unwrap().id.clone();
    let step = h.at(MINUTE, Input::Operator(Command::ApprovePause(p)));
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Land { .. }))
    );
}

#[test]
fn emergency_stop_freezes_everyone_and_thaw_resumes() {
    let (mut h, _) = Harness::new(
        settings(3),
        &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])],
    );
    let step = h.at(SECOND, Input::Operator(Command::Freeze));
    let frozen = step
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::Freeze { .. }))
        .count();
    assert_eq!(frozen, 2);
    assert!(!h.e.can_progress());
    // Frozen agents are not stalled, however long the freeze.
    let step = h.at(3 * HOUR, Input::Tick);
    assert!(step.events.is_empty());
    let step = h.at(SECOND, Input::Operator(Command::Thaw));
    let thawed = step
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::Thaw { .. }))
        .count();
    assert_eq!(thawed, 2);
    assert!(h.e.can_progress());
}

mod bounds;
mod budget;
mod host;
mod issue;
mod mail;
mod recovery;
mod review;
mod routing;
mod team_branch;
mod teams;
mod ticks;
mod triage;
mod triage_act;
mod triage_llm;
