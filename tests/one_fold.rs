//! One fold: the SQL tables of a real run are the rows `SwarmState` makes,
//! and the standard day's log is unchanged by how the tables are written.

use shiftboss::store::Store;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// `demo --headless --json --agents 30`'s log digest (the standard day).
/// It holds the inbox's re-raises (`[inbox]` defaults: `concern_reraised`,
/// `pause_reraised`, `pause_timed_out` each with its critical concern) and
/// T2 triage's verdicts (`[watchdog] triage_after`); with both turned off
/// the day's digest is the earlier 219ac549….
const STANDARD_DAY_DIGEST: &str =
    "9453bf2cf20172420ee6df63e125c9b442f1852a85c5f129a12e327e904547a6";

fn standard_day(dir: &Path) -> serde_json::Value {
    let out = Command::new(BIN)
        .args([
            "demo",
            "--headless",
            "--json",
            "--agents",
            "30",
            "--state-dir",
        ])
        .arg(dir)
        .current_dir("/")
        .output()
        .expect("run shiftboss");
    // 0, or 3: the standard day plants failures, and a headless run with a
    // failed task exits 3.
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn the_standard_days_tables_are_its_fold() {
    let tmp = tempfile::tempdir().unwrap();
    let sum = standard_day(tmp.path());
    assert_eq!(sum["log_digest"], STANDARD_DAY_DIGEST);

    let store = Store::open_readonly(&tmp.path().join(".shiftboss/state.db")).unwrap();
    let state = store.replay().unwrap();
    assert!(state.events > 1_000, "a day, not a stub: {}", state.events);
    assert!(!state.merge_log.is_empty() && !state.concerns.is_empty());
    let diff = store.tables_differ_from(&state).unwrap();
    assert!(
        diff.is_empty(),
        "{} rows differ:\n{}",
        diff.len(),
        diff.join("\n")
    );

    // And the tables in the state's own words.
    let tasks = store.task_rows().unwrap();
    assert_eq!(tasks.len(), state.tasks.len());
    for r in &tasks {
        let t = &state.tasks[&r.id];
        assert_eq!(
            (r.status, &r.agent, r.attempts, r.cost, &r.merged_commit),
            (t.status, &t.agent, t.attempts, t.cost, &t.merged_commit),
            "task {}",
            r.id
        );
    }
    for r in store.agent_rows().unwrap() {
        let a = &state.agents[&r.id];
        assert_eq!(
            (r.phase, r.usage, r.cost, r.tasks_merged, r.alerts),
            (a.phase, a.usage, a.cost, a.tasks_merged, a.alerts),
            "agent {}",
            r.id
        );
    }
}
