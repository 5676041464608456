//! Engine tests of the merge train (`[merge] train`): how many entries a
//! landing takes and the shape it asks the executor for, and what its
//! report does. Virtual time, no I/O.

use super::landing_tests::{H, merged};
use super::*;
use crate::merge::Train;

/// The `Land` effect of a step: its tasks and its train.
fn land(step: &Step) -> Option<(Vec<&str>, Train)> {
    step.effects.iter().find_map(|e| match e {
        Effect::Land { entries, train, .. } => {
            Some((entries.iter().map(|e| e.task.as_str()).collect(), *train))
        }
        _ => None,
    })
}

fn status(h: &H, task: &str) -> TaskStatus {
    h.e.state().tasks[&TaskId::new(task)].status
}

fn landed(h: &mut H, results: Vec<(&str, MergeOutcome)>) -> Step {
    h.at(Input::Landed {
        runs: Vec::new(),
        results: results
            .into_iter()
            .map(|(t, o)| (TaskId::new(t), o))
            .collect(),
        error: None,
        held: Vec::new(),
        ai_unreachable: None,
        spent: Vec::new(),
    })
}

fn merge(batch: usize, train: usize) -> MergeSettings {
    MergeSettings {
        batch,
        train,
        ..MergeSettings::default()
    }
}

const TASKS: [&str; 6] = ["t1", "t2", "t3", "t4", "t5", "t6"];

#[test]
fn without_a_train_a_landing_takes_one_batch() {
    let (mut h, _) = H::queued_with(&TASKS, merge(2, 1));
    // t1 went alone while the others queued behind it.
    let step = landed(&mut h, vec![("t1", merged("c1"))]);
    assert_eq!(land(&step), Some((vec!["t2", "t3"], Train::ONE)));
}

#[test]
fn a_train_takes_a_batch_per_car_and_its_report_is_taken_entry_by_entry() {
    let (mut h, first) = H::queued_with(&TASKS, merge(2, 2));
    let cars = Train { batch: 2, cars: 2 };
    // t1 went alone; the others queued behind it while it was out.
    assert_eq!(land(&first), None);
    let step = landed(&mut h, vec![("t1", merged("c1"))]);
    assert_eq!(land(&step), Some((vec!["t2", "t3", "t4", "t5"], cars)));
    // Nothing more lands while the train is out.
    assert_eq!(land(&h.at(Input::Tick)), None);
    let rejected = MergeOutcome::Rejected {
        gate: "make test".into(),
        output: "FAIL".into(),
        findings: Vec::new(),
    };
    let step = landed(
        &mut h,
        vec![
            ("t2", merged("c2")),
            ("t3", rejected),
            ("t4", merged("c4")),
            ("t5", merged("c5")),
        ],
    );
    for t in ["t1", "t2", "t4", "t5"] {
        assert_eq!(status(&h, t), TaskStatus::Merged, "{t}");
    }
    assert_ne!(status(&h, "t3"), TaskStatus::Merged);
    assert_eq!(h.e.state().merges, 4);
    // What is left goes as one car.
    assert_eq!(land(&step), Some((vec!["t6"], cars)));
}
