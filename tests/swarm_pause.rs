//! A swarm-wide pause and the inbox's re-raises through the runner, on a
//! real repository and a real event log: the simulated small day, its
//! pause points left undecided.

#[allow(dead_code)]
mod support;

use shiftboss::config::Scenario;
use shiftboss::domain::{
    AgentPhase, EventKind, HOUR, MINUTE, PauseId, PauseKind, PauseState, swarm_readiness,
};
use shiftboss::engine::Command;
use shiftboss::store::Store;
use shiftboss::swarm::{RunOptions, Speed, Swarm};

fn open(root: &std::path::Path, scenario: &Scenario) -> Swarm {
    support::sim::open(root, scenario, &[("README.md", "demo\n")])
}

fn until(swarm: &Swarm, at: i64) -> RunOptions {
    RunOptions {
        until: Some(swarm.engine().state().started_at + at),
        stop_when_idle: false,
        speed: Speed::Max,
        approve_all: false,
        progress: false,
    }
}

#[test]
fn a_swarm_wide_pause_drains_the_swarm_escalates_and_never_decides_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();
    let answer = swarm
        .command(Command::PauseSwarm("before the release merge".into()))
        .unwrap();
    assert_eq!(answer, Ok(()));
    let id = swarm
        .engine()
        .state()
        .waiting_pauses()
        .find(|p| p.kind == PauseKind::Swarm)
        .map(|p| p.id.clone())
        .expect("a swarm-wide pause point");
    // Three hours on: work in hand finishes, nothing new starts; the pause
    // point is raised again and escalated at its timeout (2h by default).
    swarm.run(&until(&swarm, 4 * HOUR)).unwrap();

    let db = tmp.path().join(".shiftboss/state.db");
    let store = Store::open_readonly(&db).unwrap();
    let events = store.load_events().unwrap();
    let raised = events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::PauseRequested { id: p, .. } if *p == id))
        .expect("the pause point is in the log");
    let after = &events[raised..];
    assert!(
        !after
            .iter()
            .any(|e| matches!(e.kind, EventKind::TaskAssigned { .. })),
        "no new work while the swarm is paused"
    );
    let reraised = after
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::PauseReraised { id: p, .. } if *p == id))
        .count();
    assert!(reraised >= 1, "raised again while it waited");
    let timed_out: Vec<_> = after
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::PauseTimedOut { id: p, .. } if *p == id))
        .collect();
    assert_eq!(timed_out.len(), 1);
    assert!(matches!(
        timed_out[0].kind,
        EventKind::PauseTimedOut {
            rejected: false,
            waited,
            ..
        } if (2 * HOUR..2 * HOUR + 5 * MINUTE).contains(&waited)
    ));
    assert!(
        after.iter().any(|e| matches!(
            &e.kind,
            EventKind::ConcernRaised { summary, .. } if summary.starts_with(&format!("{id} (swarm) undecided for 2h"))
        )),
        "escalated with a concern naming it"
    );
    assert!(
        !after
            .iter()
            .any(|e| matches!(&e.kind, EventKind::PauseDecided { id: p, .. } if *p == id)),
        "never decided by the engine"
    );
    // The log's fold agrees: still waiting, overdue; the agents not at a
    // pause point of their own are ready.
    let state = store.replay().unwrap();
    let p = state.pause(&id).unwrap();
    assert_eq!((p.state, p.timed_out), (PauseState::Waiting, true));
    assert!(p.overdue_since.is_some());
    let waiting_own = state
        .agents
        .values()
        .filter(|a| a.phase == AgentPhase::Waiting)
        .count();
    assert_eq!(swarm_readiness(&state), (4 - waiting_own, 4));

    // Approved: work starts again.
    let answer = swarm.command(Command::ApprovePause(PauseId::new(id.as_str())));
    assert_eq!(answer.unwrap(), Ok(()));
    swarm.run(&until(&swarm, 5 * HOUR)).unwrap();
    let events = Store::open_readonly(&db).unwrap().load_events().unwrap();
    assert!(
        events[raised..]
            .iter()
            .any(|e| matches!(e.kind, EventKind::TaskAssigned { .. })),
        "work resumes after the approval"
    );
}
