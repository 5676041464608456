//! The engine's reaction to a full disk (the runner's `DiskFull` and
//! `DiskSpace` inputs), to a changed repository config and to a step the
//! executor could not do.

use super::*;

fn count(h: &Harness, kind: &str) -> usize {
    h.log.iter().filter(|e| e.kind.name() == kind).count()
}

#[test]
fn a_full_disk_stops_new_work_with_one_concern_and_burns_no_attempt() {
    let s = Settings {
        max_attempts: 2,
        ..settings(1)
    };
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[]), task("t2", "a", 0, &[])]);
    let full = || Input::DiskFull {
        path: "/repo".into(),
        free_mb: 0,
    };
    h.at(SECOND, full());
    h.at(SECOND, full());
    assert_eq!(count(&h, "disk_full"), 1, "one event however often");
    let concerns: Vec<_> =
        h.e.state()
            .concerns
            .iter()
            .filter(|c| c.summary.starts_with("disk full: 0 MB free on /repo"))
            .collect();
    assert_eq!(concerns.len(), 1);
    assert!(
        h.e.can_progress(),
        "the run waits for space, it does not end"
    );

    // The running session dies of it, twice: more than max_attempts, yet
    // nothing fails and nothing new starts.
    for _ in 0..3 {
        let session = h.session_of("t1");
        let step = h.at(
            MINUTE,
            Input::AgentExited {
                session,
                exit_code: Some(4),
            },
        );
        assert_eq!(starts(&step), Vec::<String>::new());
        assert_eq!(h.status("t1"), TaskStatus::Pending);
        assert_eq!(h.e.state().tasks[&TaskId::new("t1")].attempts, 0);
        // Space comes back, t1 starts again as attempt 1; the disk fills again.
        let step = h.at(MINUTE, Input::DiskSpace { free_mb: 30 });
        assert_eq!(starts(&step), vec!["t1"]);
        let attempt = step.events.iter().find_map(|e| match &e.kind {
            EventKind::TaskAssigned { attempt, .. } => Some(*attempt),
            _ => None,
        });
        assert_eq!(attempt, Some(1));
        h.at(SECOND, full());
    }
    assert_eq!(count(&h, "task_failed"), 0);
    assert_eq!(count(&h, "attempt_returned"), 3);
    // Each disk-full concern was resolved when space returned.
    let open =
        h.e.state()
            .concerns
            .iter()
            .filter(|c| {
                c.summary.starts_with(crate::engine::host::DISK_FULL)
                    && c.disposition == Disposition::Open
            })
            .count();
    assert_eq!(open, 1, "only the latest, still full");
}

#[test]
fn gates_and_merges_that_fail_on_a_full_disk_wait_for_space() {
    let (mut h, _) = Harness::new(
        settings(2),
        &[task("t1", "a", 0, &[]), task("t2", "b", 0, &[])],
    );
    h.line(MINUTE, "t1", "::done::ok");
    h.at(
        SECOND,
        Input::DiskFull {
            path: "/repo".into(),
            free_mb: 0,
        },
    );
    h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new("t1"),
            passed: false,
            gate: "cargo test".into(),
            output: "No space left on device".into(),
            findings: Vec::new(),
            changed: Vec::new(),
        },
    );
    let t1 = &h.e.state().tasks[&TaskId::new("t1")];
    assert_eq!(t1.status, TaskStatus::Gating, "not a rejection");
    assert_eq!(t1.gate_failures, 0);
    assert_eq!(count(&h, "task_reworked"), 0);

    // Space returns: t1's gates run again.
    let step = h.at(SECOND, Input::DiskSpace { free_mb: 30 });
    let regated: Vec<&str> = step
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::RunGates { task, .. } => Some(task.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(regated, ["t1"]);

    // t2 reaches the queue while the disk is full: it does not land yet.
    let step = h.line(MINUTE, "t2", "::done::ok");
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::RunGates { .. }))
    );
    h.at(
        SECOND,
        Input::DiskFull {
            path: "/repo".into(),
            free_mb: 0,
        },
    );
    let step = h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new("t2"),
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
    assert_eq!(h.status("t2"), TaskStatus::Queued);
    let step = h.at(MINUTE, Input::DiskSpace { free_mb: 30 });
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Land { .. }))
    );
    // A merge that fails on the disk leaves the entry queued, not blocked.
    h.at(
        SECOND,
        Input::DiskFull {
            path: "/repo".into(),
            free_mb: 0,
        },
    );
    h.at(
        SECOND,
        Input::Landed {
            runs: Vec::new(),
            results: Vec::new(),
            error: Some("write: No space left on device (os error 28)".into()),
            held: Vec::new(),
            ai_unreachable: None,
            spent: Vec::new(),
        },
    );
    assert_eq!(h.status("t2"), TaskStatus::Queued);
    assert_eq!(count(&h, "task_blocked"), 0);
}

#[test]
fn a_changed_repository_config_is_a_critical_concern() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    let session = h.session_of("t1");
    h.at(
        MINUTE,
        Input::RepoConfigChanged {
            session,
            changes: vec!["core.fsmonitor = /tmp/x added".into()],
            restored: true,
        },
    );
    let c = h.e.state().concerns.last().unwrap();
    assert_eq!(c.impact, Impact::Critical);
    assert_eq!(c.task.as_ref().map(|t| t.as_str()), Some("t1"));
    assert!(
        c.summary.contains("core.fsmonitor = /tmp/x added"),
        "{}",
        c.summary
    );
    assert!(c.summary.contains("put back"), "{}", c.summary);
}

#[test]
fn an_executor_failure_is_an_event_and_a_concern_attributed_to_its_session() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    let session = h.session_of("t1");
    let step = h.at(
        SECOND,
        Input::ExecutorFailed {
            action: "commit",
            session: Some(session.clone()),
            agent: None,
            task: None,
            error: "index.lock exists".into(),
        },
    );
    let failed = step
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::ExecutorFailed { action, .. } if action == "commit"))
        .expect("an executor_failed event");
    assert_eq!(failed.session.as_ref(), Some(&session));
    assert_eq!(failed.task, Some(TaskId::new("t1")));
    assert_eq!(failed.actor, Actor::Engine);
    let c =
        h.e.state()
            .open_concerns()
            .last()
            .expect("a concern")
            .clone();
    assert_eq!(c.source, ConcernSource::Executor);
    assert_eq!(c.task, Some(TaskId::new("t1")));
    assert!(
        c.summary
            .starts_with("executor: commit failed for builder-01 on t1: index.lock"),
        "{}",
        c.summary
    );
    // The session goes on: a failed step is not a failed session.
    assert!(h.e.is_live(&session));
    // The same step failing again while the concern is open: logged, one
    // concern. Another step is another concern.
    let again = |action| Input::ExecutorFailed {
        action,
        session: Some(session.clone()),
        agent: None,
        task: None,
        error: "index.lock exists still".into(),
    };
    let concerns = h.e.state().concerns.len();
    h.at(SECOND, again("commit"));
    assert_eq!(count(&h, "executor_failed"), 2);
    assert_eq!(h.e.state().concerns.len(), concerns);
    h.at(SECOND, again("decision"));
    assert_eq!(h.e.state().concerns.len(), concerns + 1);
}

#[test]
fn an_executor_failure_while_the_disk_is_full_adds_no_concern() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    h.at(
        SECOND,
        Input::DiskFull {
            path: "/repo".into(),
            free_mb: 0,
        },
    );
    let before = h.e.state().concerns.len();
    h.at(
        SECOND,
        Input::ExecutorFailed {
            action: "worktree",
            session: None,
            agent: Some(AgentId::builder(1)),
            task: Some(TaskId::new("t1")),
            error: "No space left on device".into(),
        },
    );
    assert_eq!(count(&h, "executor_failed"), 1);
    assert_eq!(
        h.e.state().concerns.len(),
        before,
        "the disk's own concern says it"
    );
}
