//! The runner through its library API, on real repositories and logs.

use shiftboss::config::Scenario;
use shiftboss::domain::{Actor, ConvoyId, Event, EventKind, HOUR, TaskId, TaskSpec, TaskStatus};
use shiftboss::store::Store;
use shiftboss::swarm::{Paths, RunOptions, Speed, Swarm};

fn open(root: &std::path::Path, scenario: &Scenario) -> Swarm {
    std::fs::create_dir_all(root).unwrap();
    shiftboss::merge::init_demo_repo(
        root,
        &scenario.config.swarm.target,
        &[
            ("README.md", "demo\n"),
            (
                "src/shared/registry.rs",
                "pub const OWNER: &str = \"nobody\";\n",
            ),
        ],
        scenario.start,
    )
    .unwrap();
    let paths = Paths::new(root);
    std::fs::create_dir_all(&paths.dir).unwrap();
    let c = &scenario.config;
    Swarm::open(
        paths,
        c.engine_settings(),
        c.sim_settings(),
        c.gates.timeout.as_std(),
        scenario.start,
        &scenario.backlog,
    )
    .unwrap()
}

fn until(swarm: &Swarm, at: i64) -> RunOptions {
    RunOptions {
        until: Some(swarm.engine().state().started_at + at),
        stop_when_idle: false,
        speed: Speed::Max,
        approve_all: true,
        progress: false,
    }
}

#[test]
fn a_task_added_from_another_process_joins_the_running_swarm() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();

    // `shiftboss task add` writes to the log the swarm is running on.
    let spec = TaskSpec {
        id: TaskId::new("late-1"),
        title: "Add a health endpoint".into(),
        spec: String::new(),
        convoy: ConvoyId::new("ops"),
        priority: 9,
        scope: vec!["src/ops/**".into()],
        checks: vec![],
        after: vec![],
        tier: None,
        behaviour: Some("normal".into()),
    };
    let mut other = Store::open(&tmp.path().join(".shiftboss/state.db")).unwrap();
    other
        .append(&[Event {
            at: swarm.now(),
            actor: Actor::Operator,
            agent: None,
            task: Some(spec.id.clone()),
            convoy: Some(spec.convoy.clone()),
            model: None,
            session: None,
            kind: EventKind::TaskAdded { spec },
        }])
        .unwrap();
    drop(other);

    swarm.run(&until(&swarm, 4 * HOUR)).unwrap();
    let t = &swarm.engine().state().tasks[&TaskId::new("late-1")];
    assert_eq!(t.status, TaskStatus::Merged, "{t:?}");
}

#[test]
fn snapshots_carry_what_the_console_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();
    let snap = swarm.snapshot();
    assert_eq!(snap.now, swarm.now());
    assert!(
        !snap.tails.is_empty(),
        "agents' output is kept for the console"
    );
    assert!(
        snap.recent
            .iter()
            .all(|e| e.kind.name() != "usage_recorded")
    );
    assert!(snap.events_total >= snap.recent.len() as u64);
    assert_eq!(snap.state.agents.len(), 4);
}
