//! The runner through its library API, on real repositories and logs.

#[allow(dead_code)]
mod support;

use shiftboss::config::Scenario;
use shiftboss::domain::{ConvoyId, EventKind, HOUR, TaskId, TaskSpec, TaskStatus};
use shiftboss::engine::Command;
use shiftboss::swarm::owner::OwnerError;
use shiftboss::swarm::watch::Watcher;
use shiftboss::swarm::{
    AgentRuntime, Paths, RunOptions, Runtimes, Speed, Swarm, SwarmError, inbox,
};

fn open(root: &std::path::Path, scenario: &Scenario) -> Swarm {
    support::sim::open(
        root,
        scenario,
        &[
            ("README.md", "demo\n"),
            (
                "src/shared/registry.rs",
                "pub const OWNER: &str = \"nobody\";\n",
            ),
        ],
    )
}

/// The swarm at `root` opened again, as a restart does.
fn reopen(root: &std::path::Path, scenario: &Scenario) -> Result<Swarm, SwarmError> {
    let c = &scenario.config;
    Swarm::open(
        Paths::new(root),
        c.engine_settings(),
        c.sim_settings(),
        c.gates.timeout.as_std(),
        scenario.start,
        &[],
    )
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
fn a_task_handed_over_by_another_process_joins_the_running_swarm_once() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();

    // `shiftboss task add` beside a running owner leaves a file in the inbox.
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
        issue: None,
        night: false,
    };
    let dir = tmp.path().join(".shiftboss");
    let file = inbox::hand_off(&dir, std::slice::from_ref(&spec)).unwrap();
    // The same task handed over twice is taken in once.
    inbox::hand_off(&dir, &[spec]).unwrap();
    assert!(file.exists());

    swarm.run(&until(&swarm, 4 * HOUR)).unwrap();
    let t = &swarm.engine().state().tasks[&TaskId::new("late-1")];
    assert_eq!(t.status, TaskStatus::Merged, "{t:?}");
    assert!(!file.exists(), "taken in and removed");
    assert!(inbox::pending(&dir, &[]).is_empty());
    let added = swarm
        .store()
        .load_events()
        .unwrap()
        .iter()
        .filter(
            |e| matches!(&e.kind, EventKind::TaskAdded { spec } if spec.id.as_str() == "late-1"),
        )
        .count();
    assert_eq!(added, 1, "one task_added, written by the owner");
}

#[test]
fn a_second_owner_of_the_same_swarm_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let swarm = open(tmp.path(), &scenario);
    let events = swarm.store().event_count().unwrap();
    let second = reopen(tmp.path(), &scenario);
    match second {
        Err(SwarmError::Owner(OwnerError::Held { holder, .. })) => {
            assert_eq!(holder.pid, Some(std::process::id()))
        }
        Err(e) => panic!("expected the owner lock to refuse, got {e}"),
        Ok(_) => panic!("a second owner opened the swarm"),
    }
    assert_eq!(swarm.store().event_count().unwrap(), events);
    drop(swarm);
    // Released with the first owner: the swarm opens again.
    reopen(tmp.path(), &scenario).unwrap();
}

#[test]
fn a_swarm_of_real_agents_keeps_to_the_wall_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let root = tmp.path();
    shiftboss::merge::init_demo_repo(root, "main", &[("README.md", "x\n")], scenario.start)
        .unwrap();
    let c = &scenario.config;
    let real = Runtimes::only(AgentRuntime::Command {
        program: "/bin/true".into(),
        args: vec![],
        pass_env: vec![],
        stop_grace: std::time::Duration::from_secs(1),
    });
    let mut swarm = Swarm::open_with(
        Paths::new(root),
        c.engine_settings(),
        real,
        c.sim_settings(),
        c.gates.timeout.as_std(),
        scenario.start,
        &[],
    )
    .unwrap();
    assert!(swarm.real_time());
    swarm.flush().unwrap();
    let before = swarm.store().event_count().unwrap();
    for s in ["600", "max", "2"] {
        let answer = swarm.command(Command::SetSpeed(s.into())).unwrap();
        assert_eq!(answer, Err(shiftboss::swarm::REAL_TIME.to_string()), "{s}");
    }
    assert_eq!(swarm.speed(), Speed::Times(1.0));
    swarm.set_speed(Speed::Max);
    assert_eq!(
        swarm.speed(),
        Speed::Times(1.0),
        "never ahead of the wall clock"
    );
    swarm.flush().unwrap();
    assert_eq!(
        swarm.store().event_count().unwrap(),
        before,
        "a refused command leaves no speed_changed in the log"
    );

    // The simulator's day still changes speed.
    let sim_root = tmp.path().join("sim");
    let mut sim = open(&sim_root, &scenario);
    assert!(!sim.real_time());
    assert_eq!(
        sim.command(Command::SetSpeed("600".into())).unwrap(),
        Ok(())
    );
    assert_eq!(sim.speed(), Speed::Times(600.0));
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

#[test]
fn a_handed_task_whose_id_is_taken_is_not_dropped_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();
    let taken = swarm.engine().state().task_order[0].clone();
    let title = swarm.engine().state().tasks[&taken].spec.title.clone();
    // Two `task add`s without --id at once pick the same next id.
    let spec = TaskSpec {
        id: taken.clone(),
        title: "Something else entirely".into(),
        spec: String::new(),
        convoy: ConvoyId::new("ops"),
        priority: 0,
        scope: vec!["src/ops/**".into()],
        checks: vec![],
        after: vec![],
        tier: None,
        behaviour: None,
        issue: None,
        night: false,
    };
    let dir = tmp.path().join(".shiftboss");
    inbox::hand_off(&dir, &[spec]).unwrap();
    let summary = swarm.run(&until(&swarm, 2 * HOUR)).unwrap();
    assert!(
        summary
            .errors
            .iter()
            .any(|e| e.contains(taken.as_str()) && e.contains("exists")),
        "{:?}",
        summary.errors
    );
    assert_eq!(swarm.engine().state().tasks[&taken].spec.title, title);
    assert!(inbox::pending(&dir, &[]).is_empty());
}

#[test]
fn a_read_only_view_follows_the_owner_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();
    let paths = Paths::new(tmp.path());
    // Beside the owner, which holds the lock: the view needs none.
    let mut view = Watcher::open(&paths, scenario.config.engine_settings(), false).unwrap();
    assert_eq!(view.events(), swarm.store().event_count().unwrap());
    let same = |a: &shiftboss::domain::SwarmState, b: &shiftboss::domain::SwarmState| {
        let (a, b) = (
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap(),
        );
        let differ: Vec<_> = a
            .as_object()
            .unwrap()
            .iter()
            // An agent's last line and output time come from its output,
            // which the log does not keep; everything else is the fold.
            .filter(|(k, v)| k.as_str() != "agents" && b[k.as_str()] != **v)
            .map(|(k, v)| format!("{k}: {v} vs {}", b[k.as_str()]))
            .collect();
        assert!(differ.is_empty(), "{differ:?}");
        for (id, agent) in a["agents"].as_object().unwrap() {
            for k in ["phase", "task", "session", "cost", "usage", "tasks_merged"] {
                assert_eq!(agent[k], b["agents"][id][k], "{id}.{k}");
            }
        }
    };
    same(&view.snapshot().state, swarm.engine().state());
    assert!(!view.poll().unwrap(), "nothing new");

    swarm.run(&until(&swarm, 3 * HOUR)).unwrap();
    assert!(view.poll().unwrap());
    let events = swarm.store().event_count().unwrap();
    assert_eq!(view.events(), events);
    let snap = view.snapshot();
    same(&snap.state, swarm.engine().state());
    assert!(snap.state.merges > 0);
    assert!(!snap.real_time);
    drop(view);
    assert_eq!(
        swarm.store().event_count().unwrap(),
        events,
        "wrote nothing"
    );
}

#[test]
fn edits_a_stopped_run_left_uncommitted_in_simulated_worktrees_are_committed_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Scenario::builtin("small").unwrap();
    let mut swarm = open(tmp.path(), &scenario);
    swarm.run(&until(&swarm, HOUR)).unwrap();
    let worktrees = swarm.paths().worktrees.clone();
    // Agents at work on a task: their sessions start again after the stop.
    let working: Vec<String> = swarm
        .engine()
        .state()
        .tasks
        .values()
        .filter(|t| t.status == TaskStatus::InProgress)
        .filter_map(|t| t.agent.as_ref().map(|a| a.to_string()))
        .collect();
    drop(swarm);
    // What a run killed between an edit and its commit leaves: a file in
    // each working agent's worktree that no commit has.
    let mut planted = Vec::new();
    for name in &working {
        let dir = worktrees.join(name);
        let file = format!("src/left-by-{name}.txt");
        std::fs::write(dir.join(&file), "left by a stopped run\n").unwrap();
        planted.push((dir, file));
    }
    assert!(!planted.is_empty());
    let mut swarm = reopen(tmp.path(), &scenario).unwrap();
    swarm.run(&until(&swarm, 8 * HOUR)).unwrap();
    for (dir, file) in &planted {
        let status = support::repo::git(dir, &["status", "--porcelain", "--", file]);
        assert_eq!(
            status,
            "",
            "{file} is left uncommitted in {}",
            dir.display()
        );
        let kept = support::repo::git(tmp.path(), &["log", "--all", "--format=%s", "--", file]);
        assert!(kept.contains("wip: "), "{file}: {kept}");
    }
}
