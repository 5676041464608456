//! Engine steps: what one input costs the state machine.
//!
//! `cargo bench --bench engine`

use divan::{Bencher, black_box};
use shiftboss::domain::{ConvoyId, MINUTE, SECOND, SessionId, TaskId, TaskSpec};
use shiftboss::engine::{Effect, Engine, Input, Settings};

fn main() {
    divan::main();
}

const T0: i64 = 1_772_442_000_000;

/// An engine with `agents` agents all busy on a task.
fn busy_engine(agents: usize) -> (Engine, Vec<SessionId>) {
    let settings = Settings {
        agents,
        max_live: agents,
        budget_agent: shiftboss::domain::Money::ZERO,
        budget_task: shiftboss::domain::Money::ZERO,
        budget_day: shiftboss::domain::Money::ZERO,
        ..Settings::default()
    };
    let backlog: Vec<TaskSpec> = (0..agents * 2)
        .map(|i| TaskSpec {
            id: TaskId(format!("t-{i}")),
            title: format!("task {i}"),
            spec: String::new(),
            convoy: ConvoyId(format!("c{}", i % 12)),
            priority: (i % 5) as i32,
            scope: vec![format!("src/c{}/**", i % 12)],
            checks: vec![],
            after: vec![],
            tier: None,
            behaviour: None,
            issue: None,
            night: false,
        })
        .collect();
    let mut e = Engine::new(settings);
    let step = e.bootstrap(T0, &backlog);
    let sessions = step
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start { session, .. } => Some(session.clone()),
            _ => None,
        })
        .collect();
    (e, sessions)
}

#[divan::bench(args = [30, 1000])]
fn usage_line(bencher: Bencher, agents: usize) {
    let (mut e, sessions) = busy_engine(agents);
    let mut now = T0;
    let mut i = 0;
    bencher.bench_local(|| {
        now += SECOND;
        i = (i + 1) % sessions.len();
        let step = e.step(
            now,
            Input::AgentLine {
                session: sessions[i].clone(),
                line: "::usage input=1800 output=600 cache_read=8400 cache_write=1200::".into(),
            },
        );
        black_box(step)
    });
}

#[divan::bench(args = [30, 1000])]
fn ordinary_line(bencher: Bencher, agents: usize) {
    let (mut e, sessions) = busy_engine(agents);
    let mut now = T0;
    let mut i = 0;
    bencher.bench_local(|| {
        now += SECOND;
        i = (i + 1) % sessions.len();
        black_box(e.step(
            now,
            Input::AgentLine {
                session: sessions[i].clone(),
                line: "running the unit tests".into(),
            },
        ))
    });
}

#[divan::bench(args = [30, 1000])]
fn watchdog_tick(bencher: Bencher, agents: usize) {
    let (mut e, _) = busy_engine(agents);
    let mut now = T0;
    bencher.bench_local(|| {
        // Ticks inside the stall threshold: every agent checked, none stopped.
        now += SECOND;
        black_box(e.step(now.min(T0 + 5 * MINUTE), Input::Tick))
    });
}
