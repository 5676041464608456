//! Drawing the console: a full frame of the floor (goals: ≤ 1 ms at 30
//! agents, ≤ 5 ms at 1,000), and what each snapshot the runner publishes
//! (at most ~60 a second) costs both sides. The swarms are built before the
//! timed part: 30 agents by a real run of the standard day to 4h, 1,000 from
//! the engine alone (see `engine_snapshot`).
//!
//! `cargo bench --bench console`

use divan::{Bencher, black_box};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use shiftboss::config::Scenario;
use shiftboss::domain::{ConvoyId, HOUR, SessionId, TaskId, TaskSpec};
use shiftboss::engine::{Effect, Engine, Input};
use shiftboss::swarm::{RunOptions, Snapshot, Speed, Swarm};
use shiftboss::tui::action::KeyMap;
use shiftboss::tui::app::App;
use shiftboss::tui::floor;
use shiftboss::tui::panes::PaneId;
use shiftboss::tui::theme::Theme;
use std::sync::OnceLock;
use tempfile::TempDir;

fn main() {
    divan::main();
}

const W: u16 = 160;
const H: u16 = 48;

/// The standard day with `agents` agents, run in a temporary folder to
/// `hours` of virtual time (real git worktrees, real event log).
fn swarm(agents: usize, hours: i64) -> (TempDir, Swarm) {
    let mut scenario = Scenario::builtin("standard-day").expect("built in");
    scenario.config.swarm.agents = agents;
    scenario.config.swarm.max_live = agents;
    let dir = tempfile::Builder::new()
        .prefix("shiftboss-bench-")
        .tempdir()
        .expect("a temporary folder");
    let mut swarm = shiftboss::cli::demo::open_demo(&dir.path().join("project"), &scenario, true)
        .expect("open the demo swarm");
    let started = swarm.engine().state().started_at;
    swarm
        .run(&RunOptions {
            until: Some(started + hours * HOUR),
            stop_when_idle: false,
            speed: Speed::Max,
            approve_all: false,
            progress: false,
        })
        .expect("run the day");
    (dir, swarm)
}

/// 1,000 agents, all at work, from the engine alone: a thousand git
/// worktrees take minutes to make, and drawing needs only the state. The
/// standard day's settings with a backlog of independent tasks in 40
/// convoys (a fifth more than there are agents), every session having
/// reported usage 20 times.
fn engine_snapshot(agents: usize) -> Snapshot {
    let mut scenario = Scenario::builtin("standard-day").expect("built in");
    scenario.config.swarm.agents = agents;
    scenario.config.swarm.max_live = agents;
    scenario.config.budgets.day = 1_000_000.0;
    let backlog: Vec<TaskSpec> = (0..agents + agents / 5)
        .map(|i| {
            let convoy = format!("convoy-{:02}", i % 40);
            TaskSpec {
                id: TaskId(format!("{convoy}-{i}")),
                title: format!("task {i} of {convoy}"),
                spec: String::new(),
                convoy: ConvoyId(convoy.clone()),
                priority: (i % 5) as i32,
                scope: vec![format!("src/{convoy}/t{i}.rs")],
                checks: vec![],
                after: vec![],
                tier: None,
                behaviour: None,
                issue: None,
                night: false,
            }
        })
        .collect();
    let mut engine = Engine::new(scenario.config.engine_settings());
    let mut now = scenario.start;
    let sessions: Vec<SessionId> = engine
        .bootstrap(now, &backlog)
        .effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Start { session, .. } => Some(session),
            _ => None,
        })
        .collect();
    for _ in 0..20 {
        for s in &sessions {
            now += 100;
            engine.step(
                now,
                Input::AgentLine {
                    session: s.clone(),
                    line: "::usage input=1800 output=600 cache_read=8400 cache_write=1200::".into(),
                },
            );
        }
    }
    Snapshot {
        state: engine.state().clone(),
        now,
        speed: "60x".into(),
        merge_queue: engine
            .merge_queue()
            .iter()
            .map(|t| t.spec.id.clone())
            .collect(),
        ..Snapshot::default()
    }
}

/// 30 agents at 4h into the standard day (a real run); 1,000 from the
/// engine alone.
fn snapshot_for(agents: usize) -> Snapshot {
    static SMALL: OnceLock<Snapshot> = OnceLock::new();
    static LARGE: OnceLock<Snapshot> = OnceLock::new();
    if agents > 30 {
        LARGE.get_or_init(|| engine_snapshot(agents)).clone()
    } else {
        SMALL.get_or_init(|| swarm(agents, 4).1.snapshot()).clone()
    }
}

fn console(snap: Snapshot) -> App {
    let mut app = App::new(
        snap,
        Theme::builtin("dark").expect("built in"),
        KeyMap::defaults(false),
        false,
    );
    app.focus = PaneId::Convoys;
    app
}

/// One frame of the floor into a 160x48 buffer, as the loop draws it.
#[divan::bench(args = [30, 1000], sample_count = 200)]
fn draw_floor(bencher: Bencher, agents: usize) {
    let app = console(snapshot_for(agents));
    let area = Rect::new(0, 0, W, H);
    let mut buf = Buffer::empty(area);
    bencher.bench_local(|| {
        buf.reset();
        floor::draw(&app, area, &mut buf);
        black_box(&buf);
    });
}

/// Copying a snapshot: the bulk of what the runner does to publish one
/// (on the engine thread; `Swarm::snapshot` clones the state).
#[divan::bench(args = [30, 1000], sample_count = 100)]
fn clone_snapshot(bencher: Bencher, agents: usize) {
    let snap = snapshot_for(agents);
    bencher.bench_local(|| black_box(snap.clone()));
}

/// The runner making the snapshot it publishes, from a real swarm.
#[divan::bench(sample_count = 100)]
fn take_snapshot_30(bencher: Bencher) {
    let (_dir, swarm) = swarm(30, 4);
    bencher.bench_local(|| black_box(swarm.snapshot()));
}

/// The console taking a published snapshot (selections kept in range).
#[divan::bench(args = [30, 1000], sample_count = 100)]
fn set_snapshot(bencher: Bencher, agents: usize) {
    let snap = snapshot_for(agents);
    let mut app = console(snap.clone());
    bencher
        .with_inputs(|| snap.clone())
        .bench_local_values(|s| app.set_snapshot(s));
}
