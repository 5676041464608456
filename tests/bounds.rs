//! Output that can't sink the console: real `command` agents flooding
//! shiftboss with one endless line or ten million short ones. shiftboss's
//! peak resident memory (VmHWM, read from /proc while it runs) stays under
//! [`PEAK_BOUND_KIB`], and the output-flood check ends the flood.
//!
//! The binary is the test build (`CARGO_BIN_EXE_shiftboss`, a debug build
//! under `cargo test`): a release build only uses less.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// shiftboss's peak resident memory must stay below this, KiB.
const PEAK_BOUND_KIB: u64 = 100 * 1024;

/// A generous bound on a run; past it the test fails (it never decides
/// anything by time).
const RUN_BOUND: Duration = Duration::from_secs(300);

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A repository whose one task is done by `script`, with the flood limits
/// at their defaults and the T1 checks every second.
fn setup(script: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = tmp.path().join("agent.sh");
    std::fs::write(&agent, format!("#!/bin/sh\ncat > /dev/null\n{script}\n")).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let init = Command::new(BIN)
        .arg("init")
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(init.status.success());
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n",
        agent.display()
    );
    std::fs::write(repo.join(".shiftboss/config.toml"), config).unwrap();
    let add = Command::new(BIN)
        .args(["task", "add", "Flood", "--id", "t1", "--scope", "src/**"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(add.status.success());
    (tmp, repo)
}

/// Run the swarm until idle; returns its exit code and its peak resident
/// memory in KiB.
fn up_measured(repo: &Path) -> (Option<i32>, u64) {
    let mut child = Command::new(BIN)
        .args(["up", "--headless", "--until-idle"])
        .current_dir(repo)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    let mut peak = 0;
    loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), peak);
        }
        if started.elapsed() > RUN_BOUND {
            let _ = child.kill();
            panic!("shiftboss still running after {RUN_BOUND:?}; peak so far {peak} KiB");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn flood_alerts(repo: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let mut q = conn
        .prepare(
            "SELECT json_extract(data,'$.detail') FROM events
             WHERE kind = 'watchdog_alert' AND json_extract(data,'$.check') = 'output_flood'",
        )
        .unwrap();
    q.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn merges(repo: &Path) -> i64 {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    conn.query_row(
        "SELECT count(*) FROM events WHERE kind = 'merge_finished'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn an_endless_line_is_cut_counted_and_stopped_as_a_flood() {
    let (_tmp, repo) = setup("head -c 4G /dev/zero | tr '\\0' a");
    let (code, peak) = up_measured(&repo);
    eprintln!("endless line: shiftboss peak resident memory {peak} KiB");
    // The flooding task is stopped on every attempt and fails: exit 3.
    assert_eq!(code, Some(3));
    let alerts = flood_alerts(&repo);
    assert!(!alerts.is_empty(), "no output_flood alert");
    assert!(alerts[0].contains("bytes"), "{alerts:?}");
    assert!(
        peak < PEAK_BOUND_KIB,
        "peak {peak} KiB over {PEAK_BOUND_KIB} KiB"
    );
    assert_eq!(merges(&repo), 0, "a flooding agent's work is not merged");
}

#[test]
fn ten_million_short_lines_are_stopped_as_a_flood() {
    let (_tmp, repo) = setup("seq 1 10000000");
    let (code, peak) = up_measured(&repo);
    eprintln!("ten million lines: shiftboss peak resident memory {peak} KiB");
    assert_eq!(code, Some(3));
    let alerts = flood_alerts(&repo);
    assert!(!alerts.is_empty(), "no output_flood alert");
    assert!(alerts[0].contains("lines"), "{alerts:?}");
    assert!(
        peak < PEAK_BOUND_KIB,
        "peak {peak} KiB over {PEAK_BOUND_KIB} KiB"
    );
    assert_eq!(merges(&repo), 0, "a flooding agent's work is not merged");
}
