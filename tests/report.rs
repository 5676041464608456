//! `shiftboss report` on the standard day, checked against the definitions
//! of docs/metrics.md worked out here a second way: SQL over the `events`
//! table and plain arithmetic, sharing no code with `src/review`.

use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// The standard day (30 agents), run once for the file.
fn day() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let out = Command::new(BIN)
            .args(["demo", "--headless", "--agents", "30", "--state-dir"])
            .arg(&dir)
            .current_dir("/")
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0) | Some(3)), "{out:?}");
        dir
    })
}

fn report(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("report")
        .args(args)
        .current_dir(day())
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = report(&[args, &["--format", "json"]].concat());
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn db() -> Connection {
    Connection::open_with_flags(
        day().join(".shiftboss/state.db"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

fn rows<T>(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl Fn(&rusqlite::Row) -> T,
) -> Vec<T> {
    let mut st = c.prepare(sql).unwrap();
    st.query_map(p, |r| Ok(f(r)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{what}: no value"));
    assert!((a - b).abs() < 1e-9, "{what}: report {a}, by hand {b}");
}

/// actor, session, task, at, tokens, cost, seq.
type Usage = (String, Option<String>, Option<String>, i64, i64, i64, i64);

fn nearest_rank(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let k = (p * v.len() as f64).ceil() as usize;
    v[k.clamp(1, v.len()) - 1]
}

#[test]
fn every_metric_of_the_standard_day_matches_its_definition() {
    let r = json(&["--since", "2026-03-02"]);
    let (since, until) = (
        r["period"]["since"].as_i64().unwrap(),
        r["period"]["until"].as_i64().unwrap(),
    );
    // 06:00 UTC on the day, to just past the last event (a simulated day
    // keeps its own clock).
    assert_eq!(since, 1_772_431_200_000);
    let c = db();
    let last: i64 = c
        .query_row("SELECT max(at) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(until, last + 1);
    let f = &r["figures"];

    // Merged in the period: (task, at, seq).
    let merged: Vec<(String, i64, i64)> = rows(
        &c,
        "SELECT task, at, seq FROM events WHERE kind = 'merge_finished'
           AND json_extract(data, '$.outcome.outcome') = 'merged' AND at >= ?1 AND at < ?2",
        params![since, until],
        |r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap()),
    );
    assert!(merged.len() > 100, "a day's work: {}", merged.len());
    let n = merged.len() as f64;
    assert_eq!(f["merged"], merged.len());

    // First-try success: the first gate run over the task's whole history.
    let first_try = merged
        .iter()
        .filter(|(t, _, _)| {
            c.query_row(
                "SELECT json_extract(data, '$.passed') FROM events
                  WHERE kind = 'gate_finished' AND task = ?1 ORDER BY seq LIMIT 1",
                [t],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
                == 1
        })
        .count();
    close(
        &f["first_try_success"],
        first_try as f64 / n,
        "first-try success",
    );

    // Integration without rework: merged over landings (not `unchanged`).
    let landings: i64 = c
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND at >= ?1 AND at < ?2
               AND json_extract(data, '$.outcome.outcome') IN ('merged','rejected','conflicted','refused')",
            params![since, until],
            |r| r.get(0),
        )
        .unwrap();
    close(
        &f["integration_without_rework"],
        n / landings as f64,
        "integration",
    );

    // Escalation: finished tasks with a concern for the human before the end.
    let failed: Vec<String> = rows(
        &c,
        "SELECT task FROM events WHERE kind = 'task_failed' AND at >= ?1 AND at < ?2",
        params![since, until],
        |r| r.get(0).unwrap(),
    );
    let mut finished: Vec<&String> = merged.iter().map(|m| &m.0).chain(&failed).collect();
    finished.sort();
    finished.dedup();
    let escalated = finished
        .iter()
        .filter(|t| {
            c.query_row(
                "SELECT count(*) FROM events WHERE task = ?1 AND at < ?2
                   AND ((kind = 'concern_raised' AND json_extract(data, '$.routing') = 'human')
                     OR (kind = 'triage_verdict' AND json_extract(data, '$.verdict') = 'escalate'))",
                params![t, until],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
                > 0
        })
        .count();
    assert!(escalated > 0, "the standard day plants escalations");
    close(
        &f["escalation_rate"],
        escalated as f64 / finished.len() as f64,
        "escalation rate",
    );

    // Tokens and coordination: shiftboss's own calls, and the first call of
    // each session that continues a hand-off.
    let usage: Vec<Usage> = rows(
        &c,
        "SELECT actor, session, task, at, seq,
                json_extract(data, '$.usage.input') + json_extract(data, '$.usage.output')
                + json_extract(data, '$.usage.cache_read') + json_extract(data, '$.usage.cache_write'),
                json_extract(data, '$.cost')
           FROM events WHERE kind = 'usage_recorded' ORDER BY seq",
        [],
        |r| {
            (
                r.get(0).unwrap(),
                r.get(1).unwrap(),
                r.get(2).unwrap(),
                r.get(3).unwrap(),
                r.get::<_, i64>(5).unwrap(),
                r.get(6).unwrap(),
                r.get(4).unwrap(),
            )
        },
    );
    let continuing: Vec<String> = rows(
        &c,
        "SELECT a.session FROM events a WHERE a.kind = 'task_assigned'
           AND json_extract(a.data, '$.resume') = 1
           AND (SELECT kind FROM events b WHERE b.task = a.task AND b.seq < a.seq
                  AND b.kind IN ('handoff', 'task_assigned') ORDER BY b.seq DESC LIMIT 1) = 'handoff'",
        [],
        |r| r.get(0).unwrap(),
    );
    assert!(!continuing.is_empty(), "the standard day hands off");
    let mut seen: HashMap<String, ()> = HashMap::new();
    let (mut tokens, mut coordination) = (0i64, 0i64);
    for (actor, session, _, at, tok, _, _) in &usage {
        let first = session
            .as_ref()
            .is_some_and(|s| continuing.contains(s) && seen.insert(s.clone(), ()).is_none());
        if let Some(s) = session {
            seen.entry(s.clone()).or_insert(());
        }
        if *at >= since && *at < until {
            tokens += tok;
            if actor != "agent" || first {
                coordination += tok;
            }
        }
    }
    close(
        &f["coordination_ratio"],
        coordination as f64 / tokens as f64,
        "coordination ratio",
    );

    // Context at completion: the last call of the task's last session before
    // its merge, over the model's context window; the median.
    let prices = shiftboss::config::Config::default().prices;
    let contexts: Vec<f64> = merged
        .iter()
        .map(|(t, _, seq)| {
            let session: String = c
                .query_row(
                    "SELECT session FROM events WHERE kind = 'task_assigned' AND task = ?1
                       AND seq < ?2 ORDER BY seq DESC LIMIT 1",
                    params![t, seq],
                    |r| r.get(0),
                )
                .unwrap();
            let (ctx, model): (i64, String) = c
                .query_row(
                    "SELECT json_extract(data, '$.usage.input') + json_extract(data, '$.usage.cache_read')
                            + json_extract(data, '$.usage.cache_write'), model
                       FROM events WHERE kind = 'usage_recorded' AND session = ?1 AND seq < ?2
                      ORDER BY seq DESC LIMIT 1",
                    params![session, seq],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            ctx as f64 / prices[&model].context as f64
        })
        .collect();
    close(
        &f["context_at_completion"],
        nearest_rank(contexts, 0.5),
        "context at completion",
    );

    // Throughput, cycle time, rework.
    let hours = (until - since) as f64 / 3_600_000.0;
    close(&f["throughput_per_hour"], n / hours, "throughput");
    let cycles: Vec<f64> = merged
        .iter()
        .map(|(t, at, _)| {
            let first: i64 = c
                .query_row(
                    "SELECT min(at) FROM events WHERE kind = 'task_assigned' AND task = ?1",
                    [t],
                    |r| r.get(0),
                )
                .unwrap();
            (at - first) as f64
        })
        .collect();
    close(
        &f["cycle_time_p50"],
        nearest_rank(cycles.clone(), 0.5),
        "cycle p50",
    );
    close(&f["cycle_time_p90"], nearest_rank(cycles, 0.9), "cycle p90");
    let reworked = merged
        .iter()
        .filter(|(t, _, seq)| {
            c.query_row(
                "SELECT count(*) FROM events WHERE task = ?1 AND seq < ?2
                   AND kind IN ('task_reworked', 'task_reimagined')",
                params![t, seq],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
                > 0
        })
        .count();
    assert!(reworked > 0, "the standard day plants rework");
    close(&f["rework_share"], reworked as f64 / n, "rework");

    // Utilisation: live session time in the period over agents × length.
    let busy: i64 = c
        .query_row(
            "SELECT sum(max(0, min(coalesce(e.at, ?2), ?2) - max(a.at, ?1)))
               FROM events a LEFT JOIN events e
                 ON e.kind = 'session_ended' AND e.session = a.session
              WHERE a.kind = 'task_assigned'",
            params![since, until],
            |r| r.get(0),
        )
        .unwrap();
    let pool: i64 = c
        .query_row(
            "SELECT count(DISTINCT agent) FROM events WHERE kind = 'agent_registered'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    close(
        &f["agent_utilisation"],
        busy as f64 / ((until - since) * pool) as f64,
        "utilisation",
    );

    // Spend: in all, by convoy (the task's), by agent and by model.
    let mut by_convoy: BTreeMap<String, i64> = BTreeMap::new();
    let mut total = 0i64;
    for (_, _, task, at, _, cost, _) in &usage {
        if *at < since || *at >= until {
            continue;
        }
        total += cost;
        let convoy: String = c
            .query_row(
                "SELECT json_extract(data, '$.spec.convoy') FROM events
                  WHERE kind = 'task_added' AND task = ?1 LIMIT 1",
                [task],
                |r| r.get(0),
            )
            .unwrap();
        *by_convoy.entry(convoy).or_default() += cost;
    }
    assert_eq!(f["spend"].as_i64(), Some(total));
    let reported: BTreeMap<String, i64> =
        serde_json::from_value(f["spend_by_convoy"].clone()).unwrap();
    assert_eq!(reported, by_convoy);
    close(
        &f["cost_per_merged_task"],
        total as f64 / 1e12 / n,
        "cost per merged task",
    );

    // The graded rows carry the shipped targets and their grades.
    let rows = r["rows"].as_array().unwrap();
    let first = rows
        .iter()
        .find(|r| r["metric"] == "first_try_success")
        .unwrap();
    assert_eq!(first["target"]["target"], "> 70%");
    let grade = if first_try as f64 / n > 0.7 {
        "green"
    } else {
        "amber"
    };
    assert!(
        first["grade"] == grade || first["grade"] == "red" || first["grade"] == "critical",
        "{first}"
    );
}

#[test]
fn the_trend_holds_the_same_metrics_for_the_periods_before() {
    // The last two hours, beside the two hours before them.
    let c = db();
    let last: i64 = c
        .query_row("SELECT max(at) FROM events", [], |r| r.get(0))
        .unwrap();
    let hours = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let (b, end) = (last + 1 - 2 * 3_600_000, last + 1);
    // Whole seconds, as the CLI reads them.
    let (b, end) = (b - b % 1000, end - end % 1000 + 1000);
    let len = end - b;
    let a = b - len;
    let now = json(&["--since", &hours(b), "--until", &hours(end)]);
    let before = json(&["--since", &hours(a), "--until", &hours(b)]);
    for row in now["rows"].as_array().unwrap() {
        let earlier = before["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["metric"] == row["metric"])
            .unwrap();
        assert_eq!(
            row["trend"].as_array().unwrap().last().unwrap(),
            &earlier["value"],
            "{}",
            row["metric"]
        );
    }
    assert!(before["figures"]["merged"].as_u64().unwrap() > 0);
}

#[test]
fn a_recorded_review_is_where_the_next_one_starts_and_bad_input_is_one_line() {
    let text = report(&["--since", "2026-03-02", "--format", "markdown"]);
    assert!(text.status.success(), "{text:?}");
    let md = String::from_utf8(text.stdout).unwrap();
    assert!(md.starts_with("# Review: 2026-03-02 06:00"), "{md}");
    assert!(md.contains("| first-try success |"), "{md}");

    let bad = report(&["--since", "teatime"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--since: `teatime`: expected morning"),
        "{err}"
    );

    // Before any review: last-review names what to do.
    let reviews = day().join(".shiftboss/reviews.jsonl");
    let _ = std::fs::remove_file(&reviews);
    let none = report(&["--since", "last-review"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no review has been recorded"));

    let first = json(&[
        "--since",
        "2026-03-02 09:00",
        "--until",
        "2026-03-02 12:00",
        "--record",
    ]);
    let next = json(&["--since", "last-review"]);
    assert_eq!(next["period"]["since"], first["period"]["until"]);
    assert_eq!(
        std::fs::read_to_string(&reviews).unwrap().lines().count(),
        1
    );
}

#[test]
fn a_failed_task_of_the_standard_day_exports_as_an_incident() {
    let c = db();
    let (task, reason): (String, String) = c
        .query_row(
            "SELECT task, json_extract(data, '$.reason') FROM events WHERE kind = 'task_failed' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let run = |id: &str| {
        Command::new(BIN)
            .args(["incident", "export", id])
            .current_dir(day())
            .env("TZ", "UTC")
            .output()
            .unwrap()
    };
    let out = run(&task);
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    for section in [
        "## Summary",
        "## Impact",
        "## How it was detected",
        "## Timeline",
        "## Root cause (as far as known)",
        "## What was tried",
        "## Resolution",
        "## Follow-ups",
    ] {
        assert!(md.contains(section), "{section} missing:\n{md}");
    }
    assert!(md.starts_with(&format!("# Incident: {task}: ")), "{md}");
    assert!(md.contains(&reason[..60]), "the reason it failed:\n{md}");
    // Every event of the task is on the timeline, the quiet ones counted.
    let (loud, quiet): (i64, i64) = c
        .query_row(
            "SELECT sum(kind NOT IN ('usage_recorded','progress','agent_prompted','commit_made')),
                    sum(kind IN ('usage_recorded','progress','agent_prompted','commit_made'))
               FROM events WHERE task = ?1",
            [&task],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let timeline: Vec<&str> = md
        .split("## Timeline\n\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .collect();
    let counted: i64 = timeline
        .iter()
        .filter_map(|l| l.strip_prefix("- … "))
        .map(|l| l.split(' ').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(counted, quiet);
    assert_eq!(
        timeline.iter().filter(|l| !l.starts_with("- … ")).count() as i64,
        loud
    );
    // What T2 triage decided about the task's concerns is among what was tried.
    let verdicts: i64 = c
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'triage_verdict' AND task = ?1",
            [&task],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(md.matches("- T2 triage: ").count() as i64, verdicts, "{md}");
    // A concern works as the subject too; an unknown id is one line, exit 2.
    let concern: String = c
        .query_row(
            "SELECT json_extract(data, '$.id') FROM events WHERE kind = 'concern_raised' AND task = ?1 LIMIT 1",
            [&task],
            |r| r.get(0),
        )
        .unwrap();
    let by_concern = run(&concern);
    assert!(
        String::from_utf8_lossy(&by_concern.stdout)
            .contains(&format!("Concern {concern} about task {task}"))
    );
    let none = run("no-such-task");
    assert_eq!(none.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&none.stderr).lines().count(), 1);
}

#[test]
fn agent_cvs_count_each_agents_merges_and_a_cached_fold_goes_on_where_it_stopped() {
    use shiftboss::review::cv::Cvs;
    let store = shiftboss::store::Store::open_readonly(&day().join(".shiftboss/state.db")).unwrap();
    let events = store.load_events().unwrap();
    let mut whole = Cvs::default();
    for (i, e) in events.iter().enumerate() {
        whole.fold(i as u64 + 1, e);
    }
    // Half, through the cache's JSON, then the rest.
    let half = events.len() / 2;
    let mut part = Cvs::default();
    for (i, e) in events[..half].iter().enumerate() {
        part.fold(i as u64 + 1, e);
    }
    let mut part: Cvs = serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap();
    for (i, e) in events.iter().enumerate().skip(half) {
        part.fold(i as u64 + 1, e);
    }
    assert_eq!(part, whole);

    // Merges per agent, by SQL: the agent of the task's last assignment
    // before its merge.
    let c = db();
    let by_sql: Vec<(String, i64)> = rows(
        &c,
        "SELECT (SELECT a.agent FROM events a WHERE a.kind = 'task_assigned' AND a.task = m.task
                   AND a.seq < m.seq ORDER BY a.seq DESC LIMIT 1) AS agent, count(*)
           FROM events m WHERE m.kind = 'merge_finished'
            AND json_extract(m.data, '$.outcome.outcome') = 'merged'
          GROUP BY agent ORDER BY agent",
        [],
        |r| (r.get(0).unwrap(), r.get(1).unwrap()),
    );
    let by_cv: Vec<(String, i64)> = whole
        .agents
        .iter()
        .map(|(a, models)| (a.clone(), models.values().map(|r| r.merged as i64).sum()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(by_cv, by_sql);

    // The CLI says the same, and keeps its cache beside the log.
    let out = Command::new(BIN)
        .args(["cv", "--json"])
        .current_dir(day())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown, serde_json::to_value(&whole.agents).unwrap());
    assert!(day().join(".shiftboss/cvs.json").exists());
}

#[test]
fn a_cv_cache_folded_from_another_log_is_folded_again_from_the_start() {
    // A copy of the day, whose cache claims a fold of some other log up to
    // a seq this log also has: an agent this log never saw.
    let copy = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", &format!("{}/.", day().display())])
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(status.success());
    let record = serde_json::to_value(shiftboss::review::cv::Record::default()).unwrap();
    let ghost = serde_json::json!({
        "through_seq": 5,
        "through_mark": "not-this-log",
        "agents": { "ghost": { "some-model": record } }
    });
    std::fs::write(copy.path().join(".shiftboss/cvs.json"), ghost.to_string()).unwrap();
    let cv = || {
        let out = Command::new(BIN)
            .args(["cv", "--json"])
            .current_dir(copy.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let shown = cv();
    assert!(shown.get("ghost").is_none(), "{shown}");
    assert!(shown.as_object().is_some_and(|o| !o.is_empty()));
    // The rewritten cache is this log's, and a second read trusts it.
    let cached: Value = serde_json::from_str(
        &std::fs::read_to_string(copy.path().join(".shiftboss/cvs.json")).unwrap(),
    )
    .unwrap();
    assert_ne!(cached["through_mark"], "not-this-log");
    assert_eq!(cv(), shown);
}
