//! The simulator's team day (`fixtures/scenarios/teams-day.toml`): four
//! teams of a lead and four to seven coders in three phases, run headless.
//! Deterministic (its digest is pinned), every team task traced to the lead
//! that created it, phases in order, per-team figures in `--json`.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// `demo --headless --json --scenario teams-day`'s log digest.
const TEAMS_DAY_DIGEST: &str = "851d2f826a767142c3f00105150cd5ddb84b766f81136ecd4939195c688daea6";

fn teams_day(dir: &Path) -> serde_json::Value {
    teams_day_with(dir, &[])
}

fn teams_day_with(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN)
        .args([
            "demo",
            "--headless",
            "--json",
            "--scenario",
            "teams-day",
            "--state-dir",
        ])
        .arg(dir)
        .args(extra)
        .current_dir("/")
        .output()
        .expect("run shiftboss");
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn the_teams_day_runs_in_phases_with_every_task_traced_to_its_lead() {
    let tmp = tempfile::tempdir().unwrap();
    let sum = teams_day(tmp.path());
    assert_eq!(sum["log_digest"], TEAMS_DAY_DIGEST, "{sum}");
    let teams = sum["teams"].as_array().expect("per-team figures");
    let names: Vec<&str> = teams.iter().map(|t| t["team"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 4, "{sum}");
    assert_eq!(names[0], "platform");
    assert_eq!(names[3], "ui");
    for t in teams {
        let tasks = t["tasks"].as_u64().unwrap();
        assert!(t["created_by_lead"].as_u64().unwrap() >= 5, "{t}");
        assert_eq!(t["epics"], 1, "one epic, the rest the lead's: {t}");
        assert_eq!(t["created_by_lead"].as_u64().unwrap() + 1, tasks);
        let ratio = t["coordination_ratio"].as_f64().unwrap();
        assert!(ratio > 0.0 && ratio < 0.5, "{t}");
        assert!(t["spend_usd"].as_f64().unwrap() > 0.0);
        assert!(t["merged_per_hour"].as_f64().unwrap() > 0.0, "{t}");
        assert!(t["escalations"].is_u64());
        let coders = t["coders"].as_u64().unwrap();
        assert!((4..=7).contains(&coders), "{t}");
    }

    let conn = rusqlite::Connection::open(tmp.path().join(".shiftboss/state.db")).unwrap();
    // Every task of a team's convoy is the epic or was added by the lead.
    let untraced: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'task_added'
               AND NOT (actor = 'operator' AND task IN ('platform','workers','ops','ui'))
               AND NOT (actor = 'agent' AND agent = 'lead-' || convoy)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(untraced, 0);
    // A phase starts only after the teams of earlier phases landed.
    let started = |team: &str| -> i64 {
        conn.query_row(
            "SELECT seq FROM events WHERE kind = 'team_started' AND json_extract(data, '$.team') = ?1",
            [team],
            |r| r.get(0),
        )
        .unwrap()
    };
    let last_merge = |convoy: &str| -> i64 {
        conn.query_row(
            "SELECT max(seq) FROM events WHERE kind = 'merge_finished' AND convoy = ?1",
            [convoy],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(started("workers") > last_merge("platform"));
    assert!(started("ops") > last_merge("platform"));
    assert!(started("ui") > last_merge("workers").max(last_merge("ops")));
}

/// An hour in, only the first phase has started: the teams after it are in
/// the summary with their lead, coders and the teams they wait for.
#[test]
fn teams_not_started_are_in_the_summary_with_what_they_wait_for() {
    let tmp = tempfile::tempdir().unwrap();
    let sum = teams_day_with(tmp.path(), &["--until", "1h"]);
    let teams: Vec<(String, bool, String, String, u64)> = sum["teams"]
        .as_array()
        .expect("per-team figures")
        .iter()
        .map(|t| {
            (
                t["team"].as_str().unwrap().to_string(),
                t["started"].as_bool().unwrap(),
                t["waits_for"].as_str().unwrap().to_string(),
                t["lead"].as_str().unwrap().to_string(),
                t["coders"].as_u64().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = teams.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(names, ["platform", "workers", "ops", "ui"], "{teams:?}");
    assert!(teams[0].1, "the first phase has started");
    for t in &teams[1..] {
        assert!(!t.1, "{t:?}");
        assert_eq!(t.3, format!("lead-{}", t.0));
    }
    assert_eq!(teams[1].2, "phase 1: platform");
    assert_eq!(teams[3].2, "phase 1: platform; phase 2: workers, ops");
    assert_eq!(teams[3].4, 7, "ui's seven coders");
}
