//! The review's calibration and watchdog figures on the standard day,
//! checked against docs/metrics.md worked out a second way: SQL over the
//! `events` table and plain arithmetic, sharing no code with `src/review`.
//! The operator's judgements are appended to the real log as the console
//! would leave them (`merge_judged` events), then the real binary reports.

use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value;
use shiftboss::domain::{Actor, Event, EventKind, TaskId};
use shiftboss::store::Store;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn db_path(dir: &Path) -> PathBuf {
    dir.join(".shiftboss/state.db")
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

/// The standard day (12 agents), run once, with the operator's judgements
/// of the first 40 tasks merged: every third bad, one changed its mind.
fn day() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let out = Command::new(BIN)
            .args(["demo", "--headless", "--agents", "12", "--state-dir"])
            .arg(&dir)
            .current_dir("/")
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0) | Some(3)), "{out:?}");
        let c =
            Connection::open_with_flags(db_path(&dir), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let merged: Vec<(String, i64)> = rows(
            &c,
            "SELECT task, at FROM events WHERE kind = 'merge_finished'
               AND json_extract(data, '$.outcome.outcome') = 'merged' ORDER BY seq LIMIT 40",
            [],
            |r| (r.get(0).unwrap(), r.get(1).unwrap()),
        );
        let last: i64 = c
            .query_row("SELECT MAX(at) FROM events", [], |r| r.get(0))
            .unwrap();
        drop(c);
        let judge = |task: &str, at: i64, good: bool| Event {
            at,
            actor: Actor::Operator,
            agent: None,
            task: Some(TaskId::new(task)),
            convoy: None,
            model: None,
            session: None,
            kind: EventKind::MergeJudged { good },
        };
        let mut events: Vec<Event> = merged
            .iter()
            .enumerate()
            .map(|(i, (task, _))| judge(task, last, i % 3 != 0))
            .collect();
        // Judged bad, then good: the last judgement counts.
        events.push(judge(&merged[0].0, last, true));
        let mut store = Store::open(&db_path(&dir)).unwrap();
        store.append(&events).unwrap();
        dir
    })
}

fn report_json() -> Value {
    let out = Command::new(BIN)
        .args(["report", "--since", "morning", "--format", "json"])
        .current_dir(day())
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn db() -> Connection {
    Connection::open_with_flags(db_path(day()), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

#[test]
fn false_pass_and_false_reject_rates_follow_their_definitions() {
    let r = report_json();
    let (since, until) = (
        r["period"]["since"].as_i64().unwrap(),
        r["period"]["until"].as_i64().unwrap(),
    );
    let c = db();
    // Each task's last judgement before `until`.
    let mut last: BTreeMap<String, (i64, bool)> = BTreeMap::new();
    for (task, at, good) in rows(
        &c,
        "SELECT task, at, json_extract(data, '$.good') FROM events
           WHERE kind = 'merge_judged' AND at < ?1 ORDER BY seq",
        params![until],
        |r| {
            (
                r.get::<_, String>(0).unwrap(),
                r.get(1).unwrap(),
                r.get::<_, bool>(2).unwrap(),
            )
        },
    ) {
        last.insert(task, (at, good));
    }
    let judged: Vec<(&String, bool)> = last
        .iter()
        .filter(|(_, (at, _))| *at >= since)
        .map(|(t, (_, g))| (t, *g))
        .collect();
    assert_eq!(judged.len(), 40);
    let bad = judged.iter().filter(|(_, g)| !g).count();
    // 14 of 40 judged bad at first (indexes 0, 3, …, 39), one changed.
    assert_eq!(bad, 13);
    let f = &r["figures"];
    assert_eq!(f["judged"], 40);
    assert_eq!(f["judged_bad"], 13);
    assert!((f["false_pass_rate"].as_f64().unwrap() - 13.0 / 40.0).abs() < 1e-9);

    // Sent back by a gate before the merge: a failed branch gate run or a
    // merged-result gate's rejection, earlier than the task's first merge.
    let sent_back = |task: &str| -> bool {
        let merged_seq: i64 = c
            .query_row(
                "SELECT MIN(seq) FROM events WHERE kind = 'merge_finished' AND task = ?1
                   AND json_extract(data, '$.outcome.outcome') = 'merged'",
                params![task],
                |r| r.get(0),
            )
            .unwrap();
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM events WHERE task = ?1 AND seq < ?2 AND (
                   (kind = 'gate_finished' AND json_extract(data, '$.passed') = 0)
                   OR (kind = 'merge_finished'
                       AND json_extract(data, '$.outcome.outcome') = 'rejected'))",
                params![task, merged_seq],
                |r| r.get(0),
            )
            .unwrap();
        n > 0
    };
    let back: Vec<bool> = judged
        .iter()
        .filter(|(t, _)| sent_back(t))
        .map(|(_, g)| *g)
        .collect();
    assert!(!back.is_empty(), "some judged work had been sent back");
    let good = back.iter().filter(|g| **g).count();
    assert_eq!(f["judged_sent_back"], back.len());
    assert_eq!(f["judged_sent_back_good"], good);
    let rate = good as f64 / back.len() as f64;
    assert!((f["false_reject_rate"].as_f64().unwrap() - rate).abs() < 1e-9);
    // Both are rows of the report, graded against [targets] (none by default).
    let names: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["metric"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"false_pass_rate") && names.contains(&"false_reject_rate"));
}

#[test]
fn watchdog_alerts_by_check_are_real_noise_or_open_as_defined() {
    let r = report_json();
    let (since, until) = (
        r["period"]["since"].as_i64().unwrap(),
        r["period"]["until"].as_i64().unwrap(),
    );
    let c = db();
    let alerts: Vec<(String, String, i64)> = rows(
        &c,
        "SELECT json_extract(data, '$.check'), task, seq FROM events
           WHERE kind = 'watchdog_alert' AND task IS NOT NULL AND at >= ?1 AND at < ?2
           AND json_extract(data, '$.check') != 'over_budget'",
        params![since, until],
        |r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap()),
    );
    assert!(!alerts.is_empty(), "the standard day has T1 alerts");
    // What came first after the alert: trouble (real) or a merge (noise).
    let mut by_hand: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for (check, task, seq) in &alerts {
        let next: Option<String> = c
            .query_row(
                "SELECT kind FROM events WHERE task = ?1 AND seq > ?2 AND at < ?3 AND (
                   kind IN ('task_failed', 'task_reworked', 'task_reimagined')
                   OR (kind = 'merge_finished'
                       AND json_extract(data, '$.outcome.outcome') = 'merged'))
                 ORDER BY seq LIMIT 1",
                params![task, seq, until],
                |r| r.get(0),
            )
            .ok();
        let e = by_hand.entry(check.clone()).or_default();
        e[0] += 1;
        match next.as_deref() {
            Some("merge_finished") => e[2] += 1,
            Some(_) => e[1] += 1,
            None => e[3] += 1,
        }
    }
    for row in r["alerts"].as_array().unwrap() {
        let check = row["check"].as_str().unwrap();
        let want = by_hand.remove(check).unwrap_or_default();
        let got = [
            row["alerts"].as_u64().unwrap(),
            row["real"].as_u64().unwrap(),
            row["noise"].as_u64().unwrap(),
            row["open"].as_u64().unwrap(),
        ];
        assert_eq!(got, want, "{check}");
    }
    assert!(
        by_hand.is_empty(),
        "checks the report left out: {by_hand:?}"
    );
}
