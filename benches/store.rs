//! Event log throughput: `cargo bench --bench store`.
//!
//! Appends batches of a realistic event mix (mostly `usage_recorded`, as a
//! busy swarm produces) to a temp-file log with every projection updated,
//! and reads a 100k-event log back.

use shiftboss::domain::{
    Actor, AgentId, Check, ConcernId, ConcernSource, ConvoyId, Event, EventKind, Impact,
    MergeOutcome, Money, Routing, SessionId, TaskId, TaskSpec, Usage,
};
use shiftboss::store::Store;

fn main() {
    divan::main();
}

const AGENTS: usize = 30;
const TASKS: usize = 300;
const MODELS: [&str; 3] = ["claude-sonnet-4", "claude-opus-4", "gpt-5"];

fn event(i: usize, kind: EventKind) -> Event {
    let a = i % AGENTS + 1;
    let t = i % TASKS;
    Event {
        at: 1_700_000_000_000 + i as i64 * 250,
        actor: Actor::Agent,
        agent: Some(AgentId::builder(a)),
        task: Some(TaskId(format!("T-{t:04}"))),
        convoy: Some(ConvoyId(format!("convoy-{}", t % 12))),
        model: Some(MODELS[a % MODELS.len()].to_string()),
        session: Some(SessionId(format!("builder-{a:02}#{}", i / 1000))),
        kind,
    }
}

/// The pool and the backlog, appended once before measuring.
fn setup() -> Vec<Event> {
    let mut v = Vec::new();
    for a in 0..AGENTS {
        let mut e = event(
            a,
            EventKind::AgentRegistered {
                model: MODELS[(a + 1) % MODELS.len()].into(),
                runtime: "claude".into(),
            },
        );
        e.actor = Actor::Engine;
        v.push(e);
    }
    for t in 0..TASKS {
        v.push(event(
            t,
            EventKind::TaskAdded {
                spec: TaskSpec {
                    id: TaskId(format!("T-{t:04}")),
                    title: format!("task number {t}"),
                    spec: "implement the thing described in the issue".into(),
                    convoy: ConvoyId(format!("convoy-{}", t % 12)),
                    priority: (t % 5) as i32,
                    scope: vec!["src/feature/**".into()],
                    checks: vec!["cargo test".into()],
                    after: vec![],
                    tier: None,
                    behaviour: None,
                    issue: None,
                    night: false,
                },
            },
        ));
    }
    v
}

/// One batch: ~85% usage, the rest progress, commits and lifecycle events.
fn batch(n: usize, offset: usize) -> Vec<Event> {
    (0..n)
        .map(|j| {
            let i = offset + j;
            let kind = match i % 100 {
                0 => EventKind::TaskAssigned {
                    branch: format!("shiftboss/builder/T-{:04}", i % TASKS),
                    attempt: 1,
                    resume: false,
                },
                1..=4 => EventKind::Progress {
                    percent: (i % 101) as u8,
                    note: "editing src/feature/mod.rs".into(),
                },
                5..=7 => EventKind::CommitMade {
                    commit: format!("{:040x}", i),
                    files: 3,
                    paths: vec!["src/feature/mod.rs".into()],
                },
                8 => EventKind::TaskDone,
                9 => EventKind::GateFinished {
                    passed: !i.is_multiple_of(3),
                    gate: "cargo test".into(),
                    output: "test result: ok. 42 passed".into(),
                    findings: Vec::new(),
                    changed: vec!["src/feature/mod.rs".into()],
                },
                10 => EventKind::MergeQueued {
                    seq: i as u64,
                    onto: None,
                },
                11 => EventKind::MergeFinished {
                    outcome: MergeOutcome::Merged {
                        commit: format!("{:040x}", i * 7),
                        tier: "clean".into(),
                        removals: Vec::new(),
                    },
                },
                12 => EventKind::WatchdogAlert {
                    check: Check::Stalled,
                    detail: "no output for 5m".into(),
                },
                13 => EventKind::ConcernRaised {
                    id: ConcernId(format!("C-{i:06}")),
                    source: ConcernSource::Agent,
                    summary: "the spec contradicts the existing API".into(),
                    confidence: 0.6,
                    impact: Impact::Medium,
                    routing: Routing::Triage,
                },
                14 => EventKind::SessionEnded {
                    exit_code: Some(0),
                    reason: "done".into(),
                },
                _ => EventKind::UsageRecorded {
                    usage: Usage {
                        input: 1_200 + (i % 500) as u64,
                        output: 350,
                        cache_read: 48_000,
                        cache_write: 1_500,
                    },
                    cost: Money(27_000_000_000 + i as i64),
                },
            };
            event(i, kind)
        })
        .collect()
}

/// Append one batch of `n` events (one transaction, projections included).
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 30)]
fn append_batch(bencher: divan::Bencher, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("state.db")).unwrap();
    store.append(&setup()).unwrap();
    let events = batch(n, 0);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| store.append(&events).unwrap());
}

fn filled(n: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("state.db")).unwrap();
    store.append(&setup()).unwrap();
    for k in 0..n / 1_000 {
        store.append(&batch(1_000, k * 1_000)).unwrap();
    }
    (dir, store)
}

/// Read a 100k-event log back and fold it into `SwarmState` (start-up).
#[divan::bench(sample_count = 5)]
fn replay_100k(bencher: divan::Bencher) {
    let (_dir, store) = filled(100_000);
    let n = store.event_count().unwrap() as usize;
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| store.replay().unwrap());
}

/// Digest of a 100k-event log.
#[divan::bench(sample_count = 5)]
fn digest_100k(bencher: divan::Bencher) {
    let (_dir, store) = filled(100_000);
    let n = store.event_count().unwrap() as usize;
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| store.digest().unwrap());
}
