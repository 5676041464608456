//! The SQL tables users query agree with the fold, on the hand-written day and on random streams; the documented queries run.

use super::*;

/// Every projection row agrees with the state `SwarmState::apply` builds.
pub(super) fn assert_projections_match(store: &Store, state: &SwarmState) {
    let rows = store.task_rows().unwrap();
    let ids: Vec<&TaskId> = rows.iter().map(|r| &r.id).collect();
    assert_eq!(ids, state.task_order.iter().collect::<Vec<_>>());
    for r in &rows {
        let t = &state.tasks[&r.id];
        let ctx = format!("task {}", r.id);
        assert_eq!(r.title, t.spec.title, "{ctx}");
        assert_eq!(r.convoy, t.spec.convoy, "{ctx}");
        assert_eq!(r.priority, t.spec.priority, "{ctx}");
        assert_eq!(r.status, t.status, "{ctx}");
        assert_eq!(r.agent, t.agent, "{ctx}");
        assert_eq!(r.session, t.session, "{ctx}");
        assert_eq!(r.branch, t.branch, "{ctx}");
        assert_eq!(r.attempts, t.attempts, "{ctx}");
        assert_eq!(r.gate_failures, t.gate_failures, "{ctx}");
        assert_eq!(r.cost, t.cost, "{ctx}");
        assert_eq!(r.started_at, t.started_at, "{ctx}");
        assert_eq!(r.finished_at, t.finished_at, "{ctx}");
        assert_eq!(r.merged_commit, t.merged_commit, "{ctx}");
        assert_eq!(r.reason, t.reason, "{ctx}");
        assert_eq!(r.queued_seq, t.queued_seq, "{ctx}");
        assert_eq!(r.waiting_on, t.waiting_on, "{ctx}");
    }

    let agents = store.agent_rows().unwrap();
    assert_eq!(
        agents.iter().map(|a| &a.id).collect::<Vec<_>>(),
        state.agents.keys().collect::<Vec<_>>()
    );
    for r in &agents {
        let a = &state.agents[&r.id];
        let ctx = format!("agent {}", r.id);
        assert_eq!(r.model, a.model, "{ctx}");
        assert_eq!(r.runtime, a.runtime, "{ctx}");
        assert_eq!(r.phase, a.phase, "{ctx}");
        assert_eq!(r.held, a.held, "{ctx}");
        assert_eq!(r.task, a.task, "{ctx}");
        assert_eq!(r.session, a.session, "{ctx}");
        assert_eq!(r.sessions, a.sessions, "{ctx}");
        assert_eq!(r.cost, a.cost, "{ctx}");
        assert_eq!(r.usage, a.usage, "{ctx}");
        assert_eq!(r.tasks_merged, a.tasks_merged, "{ctx}");
        assert_eq!(r.tasks_failed, a.tasks_failed, "{ctx}");
        assert_eq!(r.rework, a.rework, "{ctx}");
        assert_eq!(r.alerts, a.alerts, "{ctx}");
        assert_eq!(
            (r.last_alert.as_deref(), r.last_alert_at),
            match a.last_alert {
                Some((c, at)) => (Some(c.as_str()), Some(at)),
                None => (None, None),
            },
            "{ctx}"
        );
    }

    // Concerns and pause points: the first of each id, in the order raised.
    type PauseLine = (String, String, String, Option<String>, Option<String>);
    type ConcernLine = (String, String, f64, String, String, String, Option<String>);
    let concerns: Vec<ConcernLine> = store
        .conn
        .prepare(
            "SELECT id, source, confidence, impact, routing, disposition, reason
             FROM concerns ORDER BY raised_seq",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    let expected: Vec<ConcernLine> = state
        .concerns
        .iter()
        .filter(|c| seen.insert(c.id.clone()))
        .map(|c| {
            (
                c.id.0.clone(),
                c.source.as_str().into(),
                c.confidence,
                c.impact.as_str().into(),
                c.routing.as_str().into(),
                c.disposition.as_str().into(),
                match &c.disposition {
                    Disposition::Dismissed(r) => Some(r.clone()),
                    _ => None,
                },
            )
        })
        .collect();
    assert_eq!(concerns, expected);

    let pauses: Vec<PauseLine> = store
        .conn
        .prepare("SELECT id, kind, state, agent, task FROM pause_points ORDER BY raised_seq")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    let expected: Vec<_> = state
        .pauses
        .iter()
        .filter(|p| seen.insert(p.id.clone()))
        .map(|p| {
            (
                p.id.0.clone(),
                p.kind.as_str().to_string(),
                p.state.as_str().to_string(),
                p.agent.as_ref().map(|a| a.0.clone()),
                p.task.as_ref().map(|t| t.0.clone()),
            )
        })
        .collect();
    assert_eq!(pauses, expected);

    let by_model: Vec<(String, i64)> = store
        .conn
        .prepare("SELECT model, cost_pico FROM usage_by_model ORDER BY model")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(String, i64)> = state
        .spend_by_model
        .iter()
        .map(|(m, c)| (m.clone(), c.0))
        .collect();
    assert_eq!(by_model, expected);

    let (merged, conflicted): (u32, u32) = store
        .conn
        .query_row(
            "SELECT COUNT(*) FILTER (WHERE outcome = 'merged'),
                    COUNT(*) FILTER (WHERE outcome = 'conflicted') FROM merges",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((merged, conflicted), (state.merges, state.conflicts));

    // Every row, every column: the tables kept batch by batch are the rows
    // the whole fold makes.
    assert_eq!(
        store.tables_differ_from(state).unwrap(),
        Vec::<String>::new()
    );

    let counts = store.counts_by_status().unwrap();
    assert_eq!(counts.len(), TaskStatus::ALL.len());
    for (word, n) in counts {
        let s = parse_status(&word).unwrap();
        assert_eq!(n, state.count_status(s) as u64, "{word}");
    }
}

#[test]
fn projections_agree_with_swarm_state_on_the_scenario() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    let events = scenario();
    append_in_batches(&mut store, &events, 5);
    let state = store.replay().unwrap();
    assert_eq!(state.events, events.len() as u64);
    assert_projections_match(&store, &state);

    // Spot checks in plain words, as the CLI will show them.
    let rows = store.task_rows().unwrap();
    let words: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(
        words,
        [
            ("auth-1", "merged"),
            ("auth-2", "failed"),
            ("ui-1", "pending")
        ]
    );
    assert_eq!(rows[0].merged_commit.as_deref(), Some("def456"));
    assert_eq!(rows[0].gate_failures, 1);
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(
        store.counts_by_status().unwrap(),
        [
            ("pending", 1),
            ("in_progress", 0),
            ("gating", 0),
            ("queued", 0),
            ("merged", 1),
            ("failed", 1),
            ("blocked", 0)
        ]
        .map(|(w, n)| (w.to_string(), n))
    );
    let agents = store.agent_rows().unwrap();
    assert_eq!(agents[0].phase, AgentPhase::Idle);
    assert_eq!((agents[0].tasks_merged, agents[0].rework), (1, 1));
    assert_eq!(agents[1].phase, AgentPhase::Retired);
    assert!(agents[1].held);
    // The merge without an agent on the event takes the task's.
    let merge: (Option<String>, Option<String>, String) = store
        .conn
        .query_row(
            "SELECT agent, convoy, outcome FROM merges ORDER BY seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        merge,
        (
            Some("builder-01".into()),
            Some("auth".into()),
            "merged".into()
        )
    );
}

#[test]
fn projections_agree_with_swarm_state_on_random_streams() {
    for seed in [1, 2, 42, 1234] {
        let (_dir, path) = db();
        let mut store = Store::open(&path).unwrap();
        let events = random_events(seed, 3_000);
        append_in_batches(&mut store, &events, 97);
        let mut state = SwarmState::default();
        for e in &events {
            state.apply(e);
        }
        assert_projections_match(&store, &state);
        // And from a replay of the stored log.
        let replayed = store.replay().unwrap();
        assert_eq!(replayed.tasks, state.tasks);
        assert_eq!(replayed.agents, state.agents);
    }
}

#[test]
fn the_documented_example_queries_run() {
    let doc = include_str!("../../../docs/event-log.md");
    let queries: Vec<&str> = doc
        .split("```sql\n")
        .skip(1)
        .map(|s| s.split("```").next().unwrap())
        .collect();
    assert!(queries.len() >= 5, "{}", queries.len());
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    s.append(&scenario()).unwrap();
    s.append(&random_events(11, 1_000)).unwrap();
    for q in queries {
        let mut stmt = s.conn.prepare(q).unwrap_or_else(|e| panic!("{e}\n{q}"));
        let n = stmt.query_map([], |_| Ok(())).unwrap().count();
        assert!(n > 0 || q.contains("auth-3"), "no rows from\n{q}");
    }
    // Every kind the code knows is documented.
    for e in scenario() {
        assert!(
            doc.contains(&format!("| `{}` |", e.kind.name())),
            "{} undocumented",
            e.kind.name()
        );
    }
}

#[test]
fn a_row_left_behind_is_found() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    store.append(&scenario()).unwrap();
    let state = store.replay().unwrap();
    assert!(store.tables_differ_from(&state).unwrap().is_empty());
    store
        .conn
        .execute(
            "UPDATE agents SET rework = rework + 1 WHERE id = 'builder-01'",
            [],
        )
        .unwrap();
    let diff = store.tables_differ_from(&state).unwrap();
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(diff[0].starts_with("agents: "), "{diff:?}");
}
