//! More budget for a task stopped at its budget, given by the operator, on
//! the virtual clock.

use super::super::tests::{Harness, kinds, settings, task};
use super::*;
use crate::domain::{MINUTE, SECOND};
use crate::engine::{Command, Input, Settings};

fn raise(id: &str, dollars: f64) -> Input {
    Input::Operator(Command::RaiseBudget(
        TaskId::new(id),
        Money::from_dollars(dollars),
    ))
}

#[test]
fn a_task_stopped_at_its_budget_gets_more_and_goes_on_to_merge() {
    let s = Settings {
        budget_task: Money::from_dollars(1.0),
        budget_agent: Money::ZERO,
        budget_day: Money::ZERO,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[]), task("t2", "a", 0, &["t1"])]);
    // $0.45 + $0.60 = $1.05: past its dollar.
    let step = h.line(MINUTE, "t1", "::usage input=150000 output=40000::");
    assert!(kinds(&step).contains(&"budget_reached"));
    assert_eq!(h.status("t1"), TaskStatus::Blocked);
    assert_eq!(h.status("t2"), TaskStatus::Blocked, "waits on t1");
    let t1 = TaskId::new("t1");
    assert!(h.e.state().tasks[&t1].stopped_at_budget());
    let concern =
        h.e.state()
            .open_concerns()
            .find(|c| c.task.as_ref() == Some(&t1))
            .map(|c| c.id.clone())
            .expect("a budget concern");

    // Nothing is raised by zero, and a task that merged needs no more.
    let step = h.at(SECOND, raise("t1", 0.0));
    assert!(step.events.is_empty(), "{:?}", kinds(&step));

    // Half its budget more: the operator's decision, the concern answered,
    // the task and the one waiting on it back in the queue, t1 started again.
    let step = h.at(MINUTE, raise("t1", 0.5));
    let raised = &step.events[0];
    assert_eq!(raised.actor, Actor::Operator);
    assert_eq!(raised.task, Some(t1.clone()));
    assert_eq!(
        raised.kind,
        EventKind::BudgetRaised {
            by: Money::from_dollars(0.5),
            limit: Money::from_dollars(1.5),
        }
    );
    let disposed = step.events.iter().find_map(|e| match &e.kind {
        EventKind::ConcernDisposed { id, disposition } => Some((id.clone(), disposition.clone())),
        _ => None,
    });
    assert_eq!(disposed, Some((concern, Disposition::Resolved)));
    assert!(kinds(&step).contains(&"task_unblocked"));
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
    assert_eq!(h.status("t2"), TaskStatus::Pending);
    assert_eq!(
        h.e.state().tasks[&t1].budget(Money::from_dollars(1.0)),
        Money::from_dollars(1.5)
    );

    // $0.30 more ($1.35 in all) is within the new limit: no stop.
    let step = h.line(MINUTE, "t1", "::usage input=100000 output=0::");
    assert!(
        !kinds(&step).contains(&"budget_reached"),
        "{:?}",
        kinds(&step)
    );
    h.finish("t1");
    assert_eq!(h.status("t1"), TaskStatus::Merged);
    let step = h.at(SECOND, raise("t1", 1.0));
    assert!(
        step.events.is_empty(),
        "a merged task's budget is not raised"
    );
    let again = Command::RaiseBudget(t1.clone(), Money::from_dollars(1.0));
    assert!(
        crate::engine::check_command(h.e.state(), &again).is_err_and(|why| why.contains("merged"))
    );

    // The log alone gives the same budget back.
    let mut replayed = SwarmState::default();
    for ev in &h.log {
        replayed.apply(ev);
    }
    assert_eq!(replayed.tasks[&t1].extra_budget, Money::from_dollars(0.5));
}

#[test]
fn a_running_task_can_get_more_before_it_stops() {
    let s = Settings {
        budget_task: Money::from_dollars(1.0),
        budget_agent: Money::ZERO,
        budget_day: Money::ZERO,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
    let step = h.at(MINUTE, raise("t1", 1.0));
    assert_eq!(kinds(&step), vec!["budget_raised"], "nothing to unblock");
    // $1.05 is now within its $2.00.
    let step = h.line(MINUTE, "t1", "::usage input=150000 output=40000::");
    assert!(!kinds(&step).contains(&"budget_reached"));
    assert_eq!(h.status("t1"), TaskStatus::InProgress);
}
