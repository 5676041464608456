//! T2 triage's act verdicts on the virtual clock: a task moved to a bigger
//! model or another agent after a third stall in a row, a budget raised
//! within the policy for a task stopped near its end, a task restarted
//! fresh when the gates reject the same thing again; each once, then the
//! operator's.

use super::*;
use crate::domain::triage::{Action, Verdict};
use crate::domain::{Disposition, GateFinding, Routing};

pub(super) const HAIKU: &str = "claude-haiku-4-5";
pub(super) const SONNET: &str = "claude-sonnet-4-5";

pub(super) fn act_settings(agents: usize) -> Settings {
    let mut s = settings(agents);
    s.watchdog.triage_after = 30 * MINUTE;
    s.max_attempts = 5;
    s
}

/// (concern, verdict, action, reasons) of every verdict so far.
fn verdicts(h: &Harness) -> Vec<(String, Verdict, Option<Action>, Vec<String>)> {
    h.log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TriageVerdict {
                concern,
                verdict,
                action,
                reasons,
                ..
            } => Some((
                concern.to_string(),
                verdict.clone(),
                action.clone(),
                reasons.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// The actions done (an escalation's action is only proposed).
pub(super) fn acts(h: &Harness) -> Vec<Action> {
    verdicts(h)
        .into_iter()
        .filter(|v| v.1 == Verdict::Act)
        .filter_map(|v| v.2)
        .collect()
}

pub(super) fn stall(h: &mut Harness) -> Step {
    let stall = h.e.settings().watchdog.stall_after;
    let step = h.at(stall + MINUTE, Input::Tick);
    assert!(
        step.events
            .iter()
            .any(|e| e.kind.name() == "watchdog_alert"),
        "stalled"
    );
    step
}

/// Who started a session of `task` in this step, on which model.
pub(super) fn started(step: &Step, task: &str) -> Option<(String, String)> {
    step.effects.iter().find_map(|e| match e {
        Effect::Start {
            agent,
            task: t,
            model,
            ..
        } if t.as_str() == task => Some((agent.to_string(), model.clone())),
        _ => None,
    })
}

#[test]
fn a_third_stall_in_a_row_moves_the_task_to_a_bigger_model_then_to_another_agent() {
    let mut s = act_settings(3);
    s.models = vec![HAIKU.into(), SONNET.into(), HAIKU.into()];
    s.triage.ladder = vec![HAIKU.into(), SONNET.into()];
    let (mut h, first) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    assert_eq!(started(&first, "t1").unwrap().1, HAIKU);
    stall(&mut h);
    stall(&mut h);
    assert!(acts(&h).is_empty(), "two stalls: still watching");
    stall(&mut h);
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(
        acts(&h),
        [Action::BiggerModel {
            to: AgentId::new("builder-02"),
            model: SONNET.into()
        }]
    );
    let v = verdicts(&h);
    let acted = v.iter().find(|v| v.1 == Verdict::Act).unwrap();
    assert_eq!(acted.3, ["stalled 3 times in a row on t1"]);
    assert_eq!(
        started(&step, "t1"),
        Some(("builder-02".into(), SONNET.into())),
        "the stalled session stopped, the task on the bigger model"
    );
    assert!(
        kinds(&step).contains(&"task_requeued"),
        "{:?}",
        kinds(&step)
    );
    // The acted concern and the other one of the same trouble are settled;
    // nothing reached the operator for this trouble.
    for (id, verdict, _, _) in v.iter().filter(|v| v.1 != Verdict::Escalate) {
        let c = h.e.state().concern(&ConcernId::new(id)).unwrap();
        assert_eq!(c.disposition, Disposition::Resolved, "{id} {verdict:?}");
    }
    // The bigger model stalls too: the next rung has no one free, so
    // another agent (builder-03) gets it; then the operator decides.
    stall(&mut h);
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(
        acts(&h).last(),
        Some(&Action::Reassign {
            to: AgentId::new("builder-03")
        })
    );
    assert_eq!(started(&step, "t1").unwrap().0, "builder-03");
    stall(&mut h);
    h.at(SECOND, Input::Tick);
    assert_eq!(acts(&h).len(), 2, "each action once per task");
    let last = verdicts(&h).last().unwrap().clone();
    assert_eq!(last.1, Verdict::Escalate);
    assert_eq!(
        h.e.state()
            .concern(&ConcernId::new(&last.0))
            .unwrap()
            .routing,
        Routing::Human
    );
}

#[test]
fn with_one_agent_and_no_ladder_a_third_stall_is_escalated() {
    let (mut h, _) = Harness::new(act_settings(1), &[task("t1", "a", 0, &[])]);
    for _ in 0..3 {
        stall(&mut h);
    }
    h.at(SECOND, Input::Tick);
    assert!(acts(&h).is_empty());
    assert!(
        verdicts(&h).iter().all(|v| v.1 == Verdict::Escalate),
        "{:?}",
        verdicts(&h)
    );
}

#[test]
fn acting_off_recommends_instead() {
    let mut s = act_settings(2);
    s.triage.act = false;
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    for _ in 0..3 {
        stall(&mut h);
    }
    h.at(SECOND, Input::Tick);
    assert!(acts(&h).is_empty());
}

fn budget_settings(day: f64) -> Settings {
    let mut s = act_settings(1);
    s.budget_task = Money::from_dollars(0.10);
    s.budget_day = Money::from_dollars(day);
    s.day_soft = 1.0;
    s.watchdog.handoff_at = 0.0;
    s
}

#[test]
fn a_budget_stop_near_the_end_gets_a_raise_within_the_policy_once() {
    let (mut h, _) = Harness::new(budget_settings(100.0), &[task("t1", "a", 0, &[])]);
    h.line(MINUTE, "t1", "::progress 95::nearly there");
    h.line(MINUTE, "t1", "::usage input=40000::"); // $0.12
    assert_eq!(h.status("t1"), TaskStatus::Blocked);
    let c = h.e.state().concerns.last().unwrap().clone();
    assert_eq!(c.routing, Routing::Triage);
    let step = h.at(SECOND, Input::Tick);
    // Half the task budget on top of what it spent.
    assert_eq!(
        acts(&h),
        [Action::RaiseBudget {
            limit: Money::from_dollars(0.17)
        }]
    );
    assert_eq!(verdicts(&h)[0].3, ["a budget stopped t1 at 95 % progress"]);
    assert!(kinds(&step).contains(&"task_unblocked"));
    assert_eq!(started(&step, "t1").map(|s| s.0), Some("builder-01".into()));
    assert_eq!(
        h.e.state().concern(&c.id).unwrap().disposition,
        Disposition::Resolved
    );
    // Within the raise, work goes on; past it, stopped again and the
    // operator's: a budget is raised once.
    h.line(MINUTE, "t1", "::usage input=10000::"); // $0.03 → $0.15
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
    h.line(MINUTE, "t1", "::usage input=10000::"); // $0.18
    assert_eq!(h.status("t1"), TaskStatus::Blocked);
    h.at(SECOND, Input::Tick);
    assert_eq!(acts(&h).len(), 1);
    assert_eq!(verdicts(&h).last().unwrap().1, Verdict::Escalate);
}

#[test]
fn triage_raises_on_top_of_the_operators_raise_counting_it_once() {
    let (mut h, _) = Harness::new(budget_settings(100.0), &[task("t1", "a", 0, &[])]);
    // The operator gives $0.05 more: t1 may spend $0.15.
    h.at(
        SECOND,
        Input::Operator(crate::engine::Command::RaiseBudget(
            TaskId::new("t1"),
            Money::from_dollars(0.05),
        )),
    );
    h.line(MINUTE, "t1", "::progress 95::nearly there");
    h.line(MINUTE, "t1", "::usage input=40000::"); // $0.12
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
    h.line(MINUTE, "t1", "::usage input=10000::"); // $0.15
    assert_eq!(h.status("t1"), TaskStatus::Blocked);
    // Triage's raise: half the task budget ($0.05) on top of the $0.15
    // spent, the operator's $0.05 counted once: stopped again at $0.20.
    h.at(SECOND, Input::Tick);
    assert_eq!(acts(&h).len(), 1);
    h.line(MINUTE, "t1", "::usage input=10000::"); // $0.18
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
    h.line(MINUTE, "t1", "::usage input=10000::"); // $0.21
    assert_eq!(h.status("t1"), TaskStatus::Blocked);
}

#[test]
fn a_raise_never_passes_the_days_budget() {
    let (mut h, _) = Harness::new(budget_settings(0.13), &[task("t1", "a", 0, &[])]);
    h.line(MINUTE, "t1", "::progress 92::");
    h.line(MINUTE, "t1", "::usage input=40000::"); // $0.12 of the day's $0.13
    h.at(SECOND, Input::Tick);
    assert_eq!(
        acts(&h),
        [Action::RaiseBudget {
            limit: Money::from_dollars(0.13)
        }]
    );
}

#[test]
fn a_budget_stop_far_from_the_end_is_the_operators() {
    let (mut h, _) = Harness::new(budget_settings(100.0), &[task("t1", "a", 0, &[])]);
    h.line(MINUTE, "t1", "::progress 40::");
    h.line(MINUTE, "t1", "::usage input=40000::");
    h.at(31 * MINUTE, Input::Tick);
    assert!(acts(&h).is_empty());
    assert_eq!(verdicts(&h)[0].1, Verdict::Escalate);
}

fn reject(h: &mut Harness, task: &str) -> Step {
    h.line(MINUTE, task, "::done::ok");
    h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new(task),
            passed: false,
            gate: "cargo build".into(),
            output: "error[E0425]: cannot find value `x`".into(),
            findings: vec![GateFinding {
                gate: "cargo build".into(),
                file: "src/a/lib.rs".into(),
                line: Some(3),
                expected: "it compiles".into(),
                found: "error[E0425]: cannot find value `x`".into(),
            }],
            changed: Vec::new(),
        },
    )
}

#[test]
fn the_same_compile_error_twice_restarts_the_task_fresh_once() {
    let mut s = act_settings(1);
    s.max_rejections = 5;
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    reject(&mut h, "t1");
    assert!(
        h.e.state().concerns.is_empty(),
        "a first rejection is the agent's"
    );
    reject(&mut h, "t1");
    let c = h.e.state().concerns.last().unwrap().clone();
    assert_eq!(c.routing, Routing::Triage);
    assert!(
        c.summary.contains("the same thing 2 times"),
        "{}",
        c.summary
    );
    assert!(
        h.e.state().tasks[&TaskId::new("t1")].returned.is_some(),
        "rework carries the rejection"
    );
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(acts(&h), [Action::RestartFresh]);
    assert!(
        kinds(&step).contains(&"session_ended"),
        "{:?}",
        kinds(&step)
    );
    assert!(kinds(&step).contains(&"task_requeued"));
    assert!(started(&step, "t1").is_some(), "a new session");
    assert_eq!(
        h.e.state().tasks[&TaskId::new("t1")].returned,
        None,
        "nothing carried over"
    );
    // Rejected the same way again: the spec or the gate; the operator's.
    reject(&mut h, "t1");
    h.at(SECOND, Input::Tick);
    assert_eq!(acts(&h).len(), 1);
    let last = verdicts(&h).last().unwrap().clone();
    assert_eq!(last.1, Verdict::Escalate);
    assert_eq!(
        last.3,
        [
            "rejected 3 times in a row for: cargo build: src/a/lib.rs error[E0425]: cannot find value `x`"
        ]
    );
}

#[test]
fn a_process_gone_twice_in_a_row_goes_to_triage() {
    let (mut h, _) = Harness::new(act_settings(1), &[task("t1", "a", 0, &[])]);
    for n in 1..=2 {
        let session = h.session_of("t1");
        h.at(
            MINUTE,
            Input::AgentExited {
                session,
                exit_code: Some(1),
            },
        );
        let triage =
            h.e.state()
                .concerns
                .iter()
                .filter(|c| c.routing == Routing::Triage)
                .count();
        assert_eq!(triage, n - 1, "after {n} exits");
    }
    let c = h.e.state().concerns.last().unwrap();
    assert!(c.summary.contains("ended early 2 times"), "{}", c.summary);
}

#[test]
fn the_operator_accepts_what_triage_proposed_with_one_command() {
    let mut s = act_settings(2);
    s.triage.act = false;
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    for _ in 0..3 {
        stall(&mut h);
    }
    h.at(SECOND, Input::Tick);
    assert!(acts(&h).is_empty(), "acting is off: proposed only");
    let (id, _, proposed, _) = verdicts(&h)
        .into_iter()
        .find(|v| v.2.is_some())
        .expect("a proposal");
    let builder_02 = Action::Reassign {
        to: AgentId::new("builder-02"),
    };
    assert_eq!(proposed, Some(builder_02.clone()));
    let id = ConcernId::new(&id);
    assert_eq!(h.e.state().concern(&id).unwrap().routing, Routing::Human);
    let step = h.at(SECOND, Input::Operator(Command::AcceptTriage(id.clone())));
    let accepted = step
        .events
        .iter()
        .find(|e| e.kind.name() == "triage_verdict")
        .expect("the operator's act verdict");
    assert_eq!(accepted.actor, Actor::Operator);
    assert_eq!(started(&step, "t1").unwrap().0, "builder-02");
    let c = h.e.state().concern(&id).unwrap();
    assert_eq!(c.disposition, Disposition::Resolved);
    assert_eq!(c.disposed_by, Some(Actor::Operator));
    // Once done, nothing is left to accept.
    assert!(h.e.check_command(&Command::AcceptTriage(id)).is_err());
}
