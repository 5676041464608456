//! What the swarm costs as it grows: CPU per agent commit and per event at
//! 10, 30, 100 and 300 agents working the same wide backlog for two hours
//! of simulated time, and the CPU of the standard 30-agent day.
//!
//! Each run is the real binary (`demo --headless --json`, virtual time at
//! full speed) in a new folder; its CPU (user + system, its gates' processes
//! included) comes from the kernel's accounting of the finished process
//! (`wait4`). The wide backlog is 1,000 independent tasks in 40 convoys of
//! their own folders, no planted faults, and one gate that does nothing
//! (`true`): what grows with the swarm is shiftboss's own work. Goals: CPU
//! per commit at 300 agents at most 1.5 times that at 10; the standard day
//! at most 2 s of CPU.
//!
//! `cargo bench --bench scale` (a filter picks runs: `cargo bench --bench
//! scale -- commits`, `-- standard_day`); `SCALE_BIN=/path/to/shiftboss`
//! measures another build of the binary. A benchmark reports; it asserts
//! only that each run finished.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

fn main() {
    divan::main();
    let rows = FIGURES.lock().unwrap_or_else(|e| e.into_inner());
    if rows.is_empty() {
        return;
    }
    eprintln!("\nscale: CPU per agent commit and per event (user + system)");
    let base = rows.iter().find(|r| r.agents == 10).map(|r| r.per_commit());
    for r in rows.iter() {
        let mut line = format!(
            "{:>4} agents: {:>6} commits {:>8} events  cpu {:>7.2} s (user {:.2} + sys {:.2})  {:>6.2} ms/commit  {:>6.1} µs/event",
            r.agents,
            r.commits,
            r.events,
            r.cpu(),
            r.user,
            r.sys,
            r.per_commit() * 1e3,
            r.cpu() / r.events.max(1) as f64 * 1e6
        );
        if let Some(b) = base.filter(|_| r.label == "wide") {
            let _ = write!(line, "  ×{:.2} of 10 agents", r.per_commit() / b);
        }
        eprintln!("{} {line}", r.label);
    }
}

/// One finished run.
struct Figure {
    label: &'static str,
    agents: usize,
    commits: u64,
    events: u64,
    user: f64,
    sys: f64,
}

impl Figure {
    fn cpu(&self) -> f64 {
        self.user + self.sys
    }
    fn per_commit(&self) -> f64 {
        self.cpu() / self.commits.max(1) as f64
    }
}

static FIGURES: Mutex<Vec<Figure>> = Mutex::new(Vec::new());

fn binary() -> String {
    std::env::var("SCALE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_shiftboss").to_string())
}

const CONVOYS: usize = 40;
const PER_CONVOY: usize = 25;

/// The wide backlog: independent tasks, every convoy in a folder of its own.
fn wide_scenario() -> String {
    let mut s = String::from(
        r#"[scenario]
name = "wide"
description = "A wide backlog: 1,000 independent tasks in 40 convoys."
duration = "2h"
start = "2026-03-02T09:00:00Z"

[swarm]
agents = 10
max_live = 10
models = ["claude-sonnet-4-5", "claude-haiku-4-5"]
seed = 11

[budgets]
agent = 1000.0
task = 100.0
day = 100000.0
day_soft = 0.95

[watchdog]
tick = "30s"
stall_after = "10m"
task_time_bound = "2h"
loop_repeats = 20

[gates]
commands = ["true"]
timeout = "5m"
max_rejections = 3

[pause]
before_merge = false
task_spend = 0.0

[sim]
task_minutes = [20, 90]
commits = [2, 5]
tokens_per_minute = 12000
gate_minutes = 2
conflict_file = "registry.rs"
stall = 0.0
zombie = 0.0
runaway = 0.0
concern = 0.0
pause = 0.0
conflict = 0.0
gate_fail = 0.0
crash = 0.0
"#,
    );
    for c in 0..CONVOYS {
        let _ = write!(
            s,
            "\n[[convoy]]\nname = \"area{c:02}\"\npriority = {}\nscope = [\"src/area{c:02}/**\"]\ngenerate = {PER_CONVOY}\n",
            c % 5
        );
    }
    s
}

/// Run the binary with `args` (plus `--state-dir` in a new folder) and
/// record its CPU and what its summary counted.
fn measure(label: &'static str, agents: usize, args: &[&str]) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let state = tmp.path().join("day");
    let mut cmd = Command::new(binary());
    cmd.args(["demo", "--headless", "--json", "--agents"])
        .arg(agents.to_string())
        .args(args)
        .arg("--state-dir")
        .arg(&state)
        .current_dir(tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if label == "wide" {
        let file = tmp.path().join("wide.toml");
        std::fs::write(&file, wide_scenario()).expect("write the scenario");
        cmd.arg("--scenario").arg(&file);
    }
    let mut child = cmd.spawn().expect("start shiftboss");
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut out)
        .expect("read the summary");
    let (code, user, sys) = wait_with_rusage(&mut child);
    assert!(
        matches!(code, Some(0) | Some(3)),
        "shiftboss exited {code:?}: {}",
        String::from_utf8_lossy(&out)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out).expect("one JSON summary");
    let figure = Figure {
        label,
        agents,
        commits: summary["commits"].as_u64().unwrap_or(0),
        events: summary["events"].as_u64().unwrap_or(0),
        user,
        sys,
    };
    FIGURES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(figure);
    drop(tmp);
    check_gone(&state);
}

fn check_gone(state: &Path) {
    assert!(!state.exists(), "the run's folder is removed");
}

/// Wait for `child` to end, read the user and system seconds it and its
/// reaped children used from /proc while it is still a zombie (waitid with
/// WNOWAIT leaves it so), then reap it: its exit code and those seconds.
fn wait_with_rusage(child: &mut std::process::Child) -> (Option<i32>, f64, f64) {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let pid = Pid::from_raw(child.id() as i32).expect("a child's pid");
    waitid(
        WaitId::Pid(pid),
        WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
    )
    .expect("waitid");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).expect("stat");
    // Fields after the command's closing parenthesis, from field 3 on.
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat")
        .1
        .split_whitespace()
        .collect();
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    let field = |n: usize| f[n - 3].parse::<f64>().unwrap_or(0.0) / ticks;
    let (user, sys) = (field(14) + field(16), field(15) + field(17));
    let code = child.wait().expect("reap").code();
    (code, user, sys)
}

/// Two hours of the wide backlog at each swarm size.
#[divan::bench(args = [10, 30, 100, 300], sample_count = 1, sample_size = 1)]
fn commits(agents: usize) {
    measure("wide", agents, &["--until", "2h"]);
}

/// The standard day (`demo --headless --json --agents 30`): its whole CPU.
#[divan::bench(sample_count = 1, sample_size = 1)]
fn standard_day() {
    measure("standard", 30, &[]);
}
