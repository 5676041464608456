//! Opening a long log: the console's first frame and `shiftboss status` on
//! a synthetic log of 1,000,000 events (goals: ≤ 200 ms each on the 2-core
//! machine). The log is made once and kept under `target/startup-bench/`,
//! keyed by the generator's version and the schema (`GENERATOR`), so
//! repeated runs do not make it again. Memory (peak and steady) is measured
//! on the real binary by `benches/startup_memory.sh`, which this bench's
//! log serves.
//!
//! `cargo bench --bench startup`

use divan::{Bencher, black_box};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use shiftboss::domain::{
    Actor, AgentId, Check, ConcernId, ConcernSource, ConvoyId, Event, EventKind, Impact,
    MergeOutcome, Money, Routing, SessionId, TaskId, TaskSpec, Usage,
};
use shiftboss::engine::Settings;
use shiftboss::store::{CHECKPOINT_FORMAT, SCHEMA_VERSION, Store};
use shiftboss::swarm::Paths;
use shiftboss::swarm::watch::Watcher;
use shiftboss::tui::action::KeyMap;
use shiftboss::tui::app::App;
use shiftboss::tui::floor;
use shiftboss::tui::panes::PaneId;
use shiftboss::tui::theme::Theme;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

/// Change when the generated log changes.
const GENERATOR: u32 = 1;
pub const EVENTS: usize = 1_000_000;
const AGENTS: usize = 30;
const TASKS: usize = 300;
const MODELS: [&str; 3] = ["claude-sonnet-4", "claude-opus-4", "gpt-5"];
const START: i64 = 1_700_000_000_000;

fn event(i: usize, kind: EventKind) -> Event {
    let a = i % AGENTS + 1;
    let t = i % TASKS;
    Event {
        at: START + i as i64 * 250,
        actor: Actor::Agent,
        agent: Some(AgentId::builder(a)),
        task: Some(TaskId(format!("T-{t:04}"))),
        convoy: Some(ConvoyId(format!("convoy-{}", t % 12))),
        model: Some(MODELS[a % MODELS.len()].to_string()),
        session: Some(SessionId(format!("builder-{a:02}#{}", i / 1000))),
        kind,
    }
}

/// The swarm's start, its pool and its backlog.
fn setup() -> Vec<Event> {
    let mut v = vec![Event {
        at: START,
        actor: Actor::Engine,
        agent: None,
        task: None,
        convoy: None,
        model: None,
        session: None,
        kind: EventKind::SwarmStarted {
            target: "main".into(),
            seed: 7,
        },
    }];
    for a in 0..AGENTS {
        let mut e = event(
            a,
            EventKind::AgentRegistered {
                model: MODELS[(a + 1) % MODELS.len()].into(),
                runtime: "sim".into(),
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

/// A busy swarm's mix, as `benches/store.rs` appends it: ~85% usage, the
/// rest progress, commits, gates, merges, alerts and concerns.
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

fn git(root: &std::path::Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "git {args:?}");
}

/// The project holding the 1M-event log: a git repository on `main` with
/// `.shiftboss/state.db`. Made once per generator, schema version and
/// checkpoint format (a checkpoint of another format would be passed over).
pub fn project() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
        let root = target.join("startup-bench").join(format!(
            "gen{GENERATOR}-schema{SCHEMA_VERSION}-checkpoint{CHECKPOINT_FORMAT}"
        ));
        if root.join("ready").exists() {
            return root;
        }
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join(".shiftboss")).expect("make the project folder");
        git(&root, &["init", "-q", "-b", "main"]);
        std::fs::write(root.join("README.md"), "# a long day\n").unwrap();
        git(&root, &["add", "README.md"]);
        git(
            &root,
            &[
                "-c",
                "user.name=bench",
                "-c",
                "user.email=bench@localhost",
                "commit",
                "-q",
                "-m",
                "start",
            ],
        );
        eprintln!("startup bench: writing a {EVENTS}-event log (once) …");
        let mut store = Store::open(&Paths::new(&root).db).expect("open the log");
        let mut events = setup();
        let mut i = 0;
        while i < EVENTS {
            let n = (EVENTS - i - events.len()).min(10_000);
            events.extend(batch(n, i));
            i += events.len();
            store.append(&events).expect("append");
            events.clear();
        }
        drop(store);
        std::fs::write(root.join("ready"), "").unwrap();
        root
    })
}

const W: u16 = 160;
const H: u16 = 48;

/// The read-only console's path to its first frame: open the log (from
/// its checkpoint and the events after it), make the snapshot, draw the
/// floor into a 160x48 buffer.
#[divan::bench(sample_count = 10)]
fn first_frame(bencher: Bencher) {
    let paths = Paths::new(project());
    bencher.bench_local(|| {
        let watcher = Watcher::open(&paths, Settings::default(), false).expect("open the log");
        assert_eq!(watcher.events(), EVENTS as u64);
        let mut app = App::new(
            watcher.snapshot(),
            Theme::builtin("dark").expect("built in"),
            KeyMap::defaults(true),
            true,
        );
        app.focus = PaneId::Convoys;
        let area = Rect::new(0, 0, W, H);
        let mut buf = Buffer::empty(area);
        floor::draw(&app, area, &mut buf);
        black_box(buf);
    });
}

/// `shiftboss status --json` on the log: the real binary, as a user runs it.
#[divan::bench(sample_count = 10)]
fn status(bencher: Bencher) {
    let root = project();
    bencher.bench_local(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_shiftboss"))
            .args(["status", "--json"])
            .current_dir(root)
            .output()
            .expect("run shiftboss status");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        black_box(out.stdout);
    });
}
