//! The simulator's team day (`fixtures/scenarios/teams-day.toml`): four
//! teams of a lead and four to seven coders in three phases, run headless.
//! Deterministic (its digest is pinned), every team task traced to the lead
//! that created it, phases in order, per-team figures in `--json`; coders'
//! work lands on each team's integration branch, the leads' integrations on
//! the target.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use repo::git;
use std::path::Path;

/// `demo --headless --json --scenario teams-day`'s log digest.
const TEAMS_DAY_DIGEST: &str = "8a9ef6d5edaa53f6d349bd00d704ae98d9eb01ecb30a349b5c8c1db90c20091a";

fn teams_day(dir: &Path) -> serde_json::Value {
    teams_day_with(dir, &[])
}

fn teams_day_with(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--scenario", "teams-day"];
    args.extend_from_slice(extra);
    drill::demo_json(dir, &args)
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
        // Every coder task landed on the team's branch first.
        assert_eq!(t["on_branch"], t["created_by_lead"], "{t}");
        assert_eq!(
            t["awaiting_integration"], 0,
            "integrated by the day's end: {t}"
        );
        assert_eq!(
            t["branch"],
            format!("shiftboss/team/{}", t["team"].as_str().unwrap())
        );
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

    // Coders' tasks were queued onto their team's branch, the epics onto
    // the target.
    let onto: Vec<(String, i64)> = conn
        .prepare(
            "SELECT coalesce(json_extract(data, '$.onto'), ''), count(*) FROM events
               WHERE kind = 'merge_queued' GROUP BY 1 ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let by_lead = |team: &str| {
        teams.iter().find(|t| t["team"] == team).unwrap()["created_by_lead"]
            .as_i64()
            .unwrap()
    };
    let want: Vec<(String, i64)> = [
        ("", 4),
        ("ops", 0),
        ("platform", 0),
        ("ui", 0),
        ("workers", 0),
    ]
    .iter()
    .map(|(t, n)| match *t {
        "" => (String::new(), *n),
        t => (format!("shiftboss/team/{t}"), by_lead(t)),
    })
    .collect();
    assert_eq!(onto, want);
    // Each team branch ended where its integration landed on the target.
    for team in ["platform", "workers", "ops", "ui"] {
        let branch = format!("shiftboss/team/{team}");
        let subject = git(tmp.path(), &["log", "-1", "--format=%s", &branch]);
        assert!(subject.starts_with(&format!("Merge {team}:")), "{subject}");
        git(
            tmp.path(),
            &["merge-base", "--is-ancestor", &branch, "main"],
        );
    }
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
