//! The simulated operator and the operator-load figures: through the runner
//! on a real repository and a real event log, and through the real binary,
//! its figures checked against the log read with SQL.

#[allow(dead_code)]
mod support;

use shiftboss::config::{AnswerAfter, Dur, Scenario, SimOperator};
use shiftboss::domain::triage::Verdict;
use shiftboss::domain::{
    Actor, Disposition, Event, EventKind, HOUR, Impact, MINUTE, PauseKind, PauseState, Routing,
    SECOND,
};
use shiftboss::store::Store;
use shiftboss::swarm::{RunOptions, Speed, Swarm};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn open(root: &std::path::Path, scenario: &Scenario) -> Swarm {
    support::sim::open(root, scenario, &[("README.md", "demo\n")])
}

/// The small day run to its end (or until nothing moves), with or without
/// a simulated operator; its log folded.
fn small_day(
    root: &Path,
    operator: Option<SimOperator>,
) -> (shiftboss::domain::SwarmState, Vec<Event>) {
    let mut scenario = Scenario::builtin("small").unwrap();
    // Every task without a scripted behaviour raises a concern: the seed's
    // draws make some of them the human's.
    for t in &mut scenario.backlog {
        t.behaviour.get_or_insert_with(|| "concern".into());
    }
    let mut swarm = open(root, &scenario);
    if let Some(policy) = operator {
        swarm.set_operator(policy);
    }
    let opts = RunOptions {
        until: Some(swarm.engine().state().started_at + scenario.duration),
        stop_when_idle: true,
        speed: Speed::Max,
        approve_all: false,
        progress: false,
    };
    swarm.run(&opts).unwrap();
    drop(swarm);
    let store = Store::open_readonly(&root.join(".shiftboss/state.db")).unwrap();
    (store.replay().unwrap(), store.load_events().unwrap())
}

fn policy() -> SimOperator {
    SimOperator {
        enabled: true,
        answer_after: AnswerAfter {
            critical: Dur::mins(5),
            high: Dur::mins(10),
            medium: Dur::mins(20),
            pause: Dur::mins(8),
        },
        decision_time: Dur::secs(30),
        reject_when: vec!["shared database".into()],
    }
}

#[test]
fn the_simulated_operator_answers_after_its_delays_and_nobody_else_does() {
    let tmp = tempfile::tempdir().unwrap();
    let p = policy();
    let (s, events) = small_day(&tmp.path().join("with"), Some(p.clone()));
    // When a concern became the human's: raised so, or escalated by triage.
    let escalated: BTreeMap<String, i64> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TriageVerdict {
                concern,
                verdict: Verdict::Escalate,
                ..
            } => Some((concern.to_string(), e.at)),
            _ => None,
        })
        .collect();
    let pauses: Vec<_> = s
        .pauses
        .iter()
        .filter(|p| p.kind != PauseKind::Checkout)
        .collect();
    assert!(!pauses.is_empty(), "the small day asks for a pause");
    // One decision at a time: an answer may wait behind the ones before it.
    let decisions = s.pauses.len() + s.concerns.len();
    let slack = decisions as i64 * 30 * SECOND;
    let end = s.started_at + 2 * HOUR;
    for pp in &pauses {
        assert_eq!(pp.decided_by, Some(Actor::Operator), "{pp:?}");
        let waited = pp.decided_at.unwrap() - pp.raised_at;
        assert!(
            (8 * MINUTE..=8 * MINUTE + slack).contains(&waited),
            "decided after {waited} ms: {pp:?}"
        );
        let want = if pp.reason.contains("shared database") {
            PauseState::Rejected
        } else {
            PauseState::Approved
        };
        assert_eq!(pp.state, want, "{pp:?}");
    }
    let mut answered = 0;
    for c in &s.concerns {
        let theirs = c.routing == Routing::Human && c.impact >= Impact::Medium;
        if theirs {
            let after = p.concern_delay(c.impact).unwrap();
            let theirs_at = escalated.get(c.id.as_str()).copied().unwrap_or(c.raised_at);
            if c.disposition == Disposition::Open {
                // Its answer was not due before the day ended.
                assert!(theirs_at + after + slack > end, "{c:?}");
                continue;
            }
            assert_eq!(c.disposition, Disposition::Resolved, "{c:?}");
            assert_eq!(c.disposed_by, Some(Actor::Operator), "{c:?}");
            answered += 1;
            let waited = c.disposed_at.unwrap() - theirs_at;
            assert!(
                waited >= after && waited <= after + slack,
                "{waited} ms: {c:?}"
            );
        } else {
            assert_ne!(c.disposed_by, Some(Actor::Operator), "not its: {c:?}");
        }
    }

    assert!(answered >= 2, "concerns for the human: {:?}", s.concerns);

    // Without it the same day leaves its pause points to nobody.
    let (s, _) = small_day(&tmp.path().join("without"), None);
    assert!(
        s.pauses
            .iter()
            .filter(|p| p.kind != PauseKind::Checkout)
            .all(|p| p.decided_by != Some(Actor::Operator) && p.state != PauseState::Approved),
        "{:?}",
        s.pauses
    );
}

/// The small day with a simulated operator, as a scenario file.
fn scenario_file(dir: &Path) -> std::path::PathBuf {
    let mut extra = String::from("\n[[convoy]]\nname = \"extra\"\nscope = [\"src/extra/**\"]\n");
    for n in 1..=6 {
        extra.push_str(&format!(
            "\n[[convoy.task]]\nid = \"extra-{n}\"\ntitle = \"Extra work {n}\"\nscope = [\"src/extra/e{n}.rs\"]\nbehaviour = \"concern\"\n"
        ));
    }
    let text = format!(
        "{}{extra}\n[sim.operator]\nenabled = true\nanswer_after = {{ critical = \"5m\", high = \"10m\", medium = \"20m\", pause = \"8m\" }}\ndecision_time = \"30s\"\nreject_when = [\"shared database\"]\n",
        include_str!("../fixtures/scenarios/small.toml")
    );
    let path = dir.join("small-operator.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Nearest-rank percentile.
fn rank(sorted: &[i64], p: usize) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[(p * sorted.len()).div_ceil(100).max(1) - 1]
}

#[test]
fn demo_json_reports_the_load_the_log_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario_file(tmp.path());
    let dir = tmp.path().join("day");
    let out = Command::new(BIN)
        .args(["demo", "--headless", "--json", "--scenario"])
        .arg(&file)
        .arg("--state-dir")
        .arg(&dir)
        .current_dir("/")
        .output()
        .expect("run shiftboss");
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let load = &sum["operator_load"];
    assert!(load.is_object(), "{sum}");

    // The same figures from the log, by SQL.
    let db = rusqlite::Connection::open_with_flags(
        dir.join(".shiftboss/state.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let start: i64 = db
        .query_row("SELECT min(at) FROM events", [], |r| r.get(0))
        .unwrap();
    let end = start + sum["virtual_ms"].as_i64().unwrap();
    let rows = |sql: &str| -> Vec<(i64, String, String)> {
        let mut st = db.prepare(sql).unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let decided: BTreeSet<i64> = rows(
        "SELECT at, kind, data FROM events WHERE actor = 'operator'
         AND kind IN ('pause_decided', 'concern_disposed')",
    )
    .into_iter()
    .map(|(at, _, _)| at)
    .collect();
    assert!(!decided.is_empty(), "the operator decided something");
    assert_eq!(load["decisions"], decided.len());
    let mut per_hour: BTreeMap<i64, usize> = BTreeMap::new();
    for at in &decided {
        *per_hour.entry((at - start) / 3_600_000).or_default() += 1;
    }
    assert_eq!(
        load["decisions_worst_hour"],
        per_hour.values().copied().max().unwrap()
    );

    // Pause points: raised to decided (or to the end).
    let mut raised: BTreeMap<String, i64> = BTreeMap::new();
    for (at, _, id) in rows(
        "SELECT at, kind, json_extract(data, '$.id') FROM events
         WHERE kind = 'pause_requested' AND json_extract(data, '$.pause') != 'checkout'",
    ) {
        raised.insert(id, at);
    }
    let mut decided_at: BTreeMap<String, i64> = BTreeMap::new();
    for (at, _, id) in
        rows("SELECT at, kind, json_extract(data, '$.id') FROM events WHERE kind = 'pause_decided'")
    {
        decided_at.insert(id, at);
    }
    let mut waits: Vec<i64> = raised
        .iter()
        .map(|(id, at)| decided_at.get(id).copied().unwrap_or(end) - at)
        .collect();
    waits.sort();
    let pw = &load["pause_wait"];
    assert_eq!(pw["count"], waits.len());
    assert_eq!(pw["p50_ms"], rank(&waits, 50));
    assert_eq!(pw["p90_ms"], rank(&waits, 90));
    assert_eq!(pw["max_ms"], waits.last().copied().unwrap_or(0));

    // Concerns that were the human's: raised so, or escalated by triage.
    let mut concerns: BTreeMap<String, (i64, String, f64, String)> = BTreeMap::new();
    let mut st = db
        .prepare(
            "SELECT at, json_extract(data, '$.id'), json_extract(data, '$.impact'),
                    json_extract(data, '$.confidence'), json_extract(data, '$.routing')
             FROM events WHERE kind = 'concern_raised'",
        )
        .unwrap();
    for r in st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(1)?,
                (r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        })
        .unwrap()
    {
        let (id, v) = r.unwrap();
        concerns.insert(id, v);
    }
    for (_, _, id) in rows(
        "SELECT at, kind, json_extract(data, '$.concern') FROM events
         WHERE kind = 'triage_verdict' AND json_extract(data, '$.verdict') = 'escalate'",
    ) {
        concerns.get_mut(&id).unwrap().3 = "human".into();
    }
    let mut disposed: BTreeMap<String, i64> = BTreeMap::new();
    for (at, _, id) in rows(
        "SELECT at, kind, json_extract(data, '$.id') FROM events WHERE kind = 'concern_disposed'",
    ) {
        disposed.insert(id, at);
    }
    let mut waits: Vec<i64> = concerns
        .iter()
        .filter(|(_, c)| c.3 == "human")
        .map(|(id, c)| disposed.get(id).copied().unwrap_or(end) - c.0)
        .collect();
    waits.sort();
    let cw = &load["concern_wait"];
    assert!(waits.len() >= 2, "concerns for the human: {concerns:?}");
    assert_eq!(cw["count"], waits.len());
    assert_eq!(cw["p50_ms"], rank(&waits, 50));
    assert_eq!(cw["max_ms"], waits.last().copied().unwrap_or(0));
    let unsure: Vec<_> = concerns
        .values()
        .filter(|c| (c.1 == "high" || c.1 == "critical") && c.2 < 0.5)
        .collect();
    assert_eq!(load["unsure_high"], unsure.len());
    assert_eq!(
        load["reached_human"],
        unsure.iter().filter(|c| c.3 == "human").count()
    );

    // Keys: at least the action's key, never more than the worst one.
    let mean = load["keys_mean"].as_f64().unwrap();
    let max = load["keys_max"].as_u64().unwrap() as f64;
    assert!(1.0 <= mean && mean <= max, "{load}");
    // Four agents: nothing crowds the inbox.
    assert_eq!(load["surfaced_pct"], 100.0, "{load}");
}

/// The load is measured as the log grows (the log so far read once, then
/// each event as it is written): a day run in two parts reports what a
/// fresh read of its whole log gives.
#[test]
fn a_resumed_day_reports_the_load_of_its_whole_log() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario_file(tmp.path()).display().to_string();
    let dir = tmp.path().join("day");
    let run = |extra: &[&str]| {
        let mut args = vec!["--scenario", file.as_str()];
        args.extend_from_slice(extra);
        support::drill::demo_json(&dir, &args)
    };
    let first = run(&["--until", "1h"]);
    let second = run(&[]);
    assert_eq!(second["resumed"], true, "{second}");
    let store = Store::open_readonly(&dir.join(".shiftboss/state.db")).unwrap();
    // The first part's decisions are in the second part's figures.
    let decided_before = first["operator_load"]["decisions"].as_u64().unwrap();
    let decided = second["operator_load"]["decisions"].as_u64().unwrap();
    assert!(decided > decided_before, "{first}\n{second}");
    let start = store.replay().unwrap().started_at;
    let end = start + second["virtual_ms"].as_i64().unwrap();
    let from_log = shiftboss::tui::load::measure(&store, end).unwrap();
    assert_eq!(
        second["operator_load"],
        serde_json::to_value(&from_log).unwrap()
    );
}
