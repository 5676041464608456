//! One fold: the SQL tables of a real run are the rows `SwarmState` makes,
//! and the standard day's log is unchanged by how the tables are written.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use shiftboss::store::Store;
use std::path::Path;

/// `demo --headless --json --agents 30`'s log digest (the standard day).
/// It holds the inbox's re-raises (`[inbox]` defaults: `concern_reraised`,
/// `pause_reraised`, `pause_timed_out` each with its critical concern) and
/// T2 triage's verdicts (`[watchdog] triage_after`), and since the standard
/// day has a simulated operator (`[sim.operator]`), its answers: pause
/// points approved or rejected, the human's concerns resolved, and no
/// re-raises or timeouts while it keeps up; and one act of T2 triage, a
/// task the gates rejected twice for the same reason restarted fresh
/// (`triage_verdict` with `restart_fresh`, `attempt_returned`). Without the
/// operator the day is
/// [`WITHOUT_OPERATOR_DIGEST`]; with re-raises and triage turned off as well,
/// the earlier 219ac549….
const STANDARD_DAY_DIGEST: &str =
    "a82dddb8ba5b3147cc1690cf2fc84d515082d13de475e0d7cc407564ea185afb";

/// `demo --no-operator`: the standard day with its inbox left to nobody.
const WITHOUT_OPERATOR_DIGEST: &str =
    "9453bf2cf20172420ee6df63e125c9b442f1852a85c5f129a12e327e904547a6";

fn standard_day(dir: &Path, more: &[&str]) -> serde_json::Value {
    let mut args = vec!["--agents", "30"];
    args.extend_from_slice(more);
    drill::demo_json(dir, &args)
}

#[test]
fn the_standard_days_tables_are_its_fold() {
    let tmp = tempfile::tempdir().unwrap();
    let sum = standard_day(tmp.path(), &[]);
    assert_eq!(sum["log_digest"], STANDARD_DAY_DIGEST);
    // The operator's load on the standard day meets the goal: at most 12
    // decisions in the worst hour, 3 keys each, and every unsure
    // high-impact concern on its own row at 80x24 and 160x48.
    let load = &sum["operator_load"];
    assert!(load["decisions"].as_u64().unwrap() > 0, "{load}");
    assert!(
        load["decisions_worst_hour"].as_u64().unwrap() <= 12,
        "{load}"
    );
    assert!(load["keys_max"].as_u64().unwrap() <= 3, "{load}");
    assert!(load["unsure_high"].as_u64().unwrap() >= 1, "{load}");
    assert_eq!(load["reached_human"], load["unsure_high"], "{load}");
    assert_eq!(load["surfaced_pct"], 100.0, "{load}");

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

#[test]
fn the_standard_day_without_its_operator_is_the_day_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let sum = standard_day(tmp.path(), &["--no-operator"]);
    assert_eq!(sum["log_digest"], WITHOUT_OPERATOR_DIGEST);
    assert!(sum.get("operator_load").is_none(), "{sum}");
}
