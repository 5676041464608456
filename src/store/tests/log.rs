//! The log itself: what goes in comes back, the data column, the digest, batches whole or not at all, exact values, corrupt rows.

use super::*;

#[test]
fn round_trip_append_load_equals_input() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.append(&[]).unwrap(), 0);
    assert_eq!(store.last_seq().unwrap(), 0);
    let mut events = scenario();
    events.extend(random_events(7, 2_000));
    let first = store.append(&events[..10]).unwrap();
    assert_eq!(first, 10);
    append_in_batches(&mut store, &events[10..], 333);
    assert_eq!(store.load_events().unwrap(), events);
    assert_eq!(store.event_count().unwrap(), events.len() as u64);
    assert_eq!(store.last_seq().unwrap(), events.len() as u64);
    assert_eq!(store.events_after(10).unwrap(), events[10..].to_vec());
    assert_eq!(store.path(), path);
}

#[test]
fn data_column_is_the_kind_without_its_tag() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    store.append(&scenario()).unwrap();
    let rows: Vec<(String, String)> = store
        .conn
        .prepare("SELECT kind, data FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for ((kind, data), e) in rows.iter().zip(scenario()) {
        assert_eq!(kind, e.kind.name());
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert!(v.get("kind").is_none(), "{data}");
        let mut full = serde_json::to_value(&e.kind).unwrap();
        full.as_object_mut().unwrap().remove("kind");
        assert_eq!(v, full);
    }
    let done = rows.iter().find(|(k, _)| k == "task_done").unwrap();
    assert_eq!(done.1, "{}");
    let progress = rows.iter().find(|(k, _)| k == "progress").unwrap();
    assert_eq!(
        progress.1,
        r#"{"percent":50,"note":"half \"way\" — ünïcode"}"#
    );
}

#[test]
fn digest_equal_for_equal_logs_and_differs_on_any_field() {
    let events = random_events(3, 500);
    let digest_of = |evs: &[Event]| {
        let (_dir, path) = db();
        let mut s = Store::open(&path).unwrap();
        append_in_batches(&mut s, evs, 64);
        s.digest().unwrap()
    };
    let d = digest_of(&events);
    assert_eq!(d.len(), 64);
    // Batching does not matter, only content.
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    append_in_batches(&mut s, &events, 1000);
    assert_eq!(s.digest().unwrap(), d);
    drop(s);
    assert_eq!(Store::open_readonly(&path).unwrap().digest().unwrap(), d);

    let mutations: Vec<fn(&mut Event)> = vec![
        |e| e.at += 1,
        |e| {
            e.actor = if e.actor == Actor::Engine {
                Actor::Operator
            } else {
                Actor::Engine
            }
        },
        |e| e.agent = Some(AgentId::new("builder-99")),
        |e| e.task = None,
        |e| e.convoy = Some(ConvoyId::new("other")),
        // NULL and the empty string differ.
        |e| e.model = Some(String::new()),
        |e| e.session = Some(SessionId::new("x")),
        |e| e.kind = EventKind::SwarmFrozen { frozen: false },
    ];
    for (i, m) in mutations.iter().enumerate() {
        let mut changed = events.clone();
        m(&mut changed[250]);
        assert_ne!(
            changed[250], events[250],
            "mutation {i} must change the event"
        );
        assert_ne!(digest_of(&changed), d, "mutation {i}");
    }
    // A shorter log differs too.
    assert_ne!(digest_of(&events[..499]), d);
    // The empty log has the digest of nothing.
    assert_eq!(
        digest_of(&[]),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn digest_fields_are_unambiguous() {
    // Moving text from one column to the next must change the digest.
    let mut a = ev(1, Actor::Engine, Some("ab"), Some("c"), EventKind::TaskDone);
    a.model = None;
    let mut b = ev(1, Actor::Engine, Some("a"), Some("bc"), EventKind::TaskDone);
    b.model = None;
    let digest_of = |e: Event| {
        let (_dir, path) = db();
        let mut s = Store::open(&path).unwrap();
        s.append(&[e]).unwrap();
        s.digest().unwrap()
    };
    assert_ne!(digest_of(a), digest_of(b));
}

#[test]
fn reopen_after_drop_keeps_everything() {
    let (_dir, path) = db();
    let events = random_events(9, 1_000);
    let mut store = Store::open(&path).unwrap();
    append_in_batches(&mut store, &events, 100);
    store.set_meta("swarm", "alpha").unwrap();
    let digest = store.digest().unwrap();
    let rows = store.task_rows().unwrap();
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.load_events().unwrap(), events);
    assert_eq!(store.digest().unwrap(), digest);
    assert_eq!(store.task_rows().unwrap(), rows);
    assert_eq!(store.meta("swarm").unwrap().as_deref(), Some("alpha"));
}

#[test]
fn committed_batches_survive_a_connection_that_never_closes() {
    // The closest a unit test gets to `kill -9`: the connection is leaked,
    // so it never checkpoints the WAL nor closes; a new one must see every
    // committed batch.
    let (_dir, path) = db();
    let events = random_events(5, 600);
    let mut store = Store::open(&path).unwrap();
    append_in_batches(&mut store, &events, 200);
    std::mem::forget(store);
    let wal = path.with_file_name("state.db-wal");
    assert!(
        wal.metadata().unwrap().len() > 0,
        "the data sits in the WAL"
    );

    let store = Store::open(&path).unwrap();
    assert_eq!(store.load_events().unwrap(), events);
}

#[test]
fn invalid_event_mid_batch_leaves_the_log_unchanged() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    store.append(&scenario()).unwrap();
    let digest = store.digest().unwrap();
    let rows = store.task_rows().unwrap();

    // Two good events (a task added, usage on a known task) then one that
    // serde_json would write as `null` and could never read back.
    let mut batch = vec![
        ev(
            100,
            Actor::Operator,
            None,
            None,
            EventKind::TaskAdded {
                spec: spec("late-1", "late", 0),
            },
        ),
        ev(
            101,
            Actor::Agent,
            Some("builder-01"),
            Some("ui-1"),
            usage(9),
        ),
    ];
    batch.push(ev(
        102,
        Actor::Agent,
        Some("builder-01"),
        None,
        EventKind::ConcernRaised {
            id: ConcernId::new("C-0009"),
            source: ConcernSource::Agent,
            summary: "?".into(),
            confidence: f64::NAN,
            impact: Impact::Low,
            routing: Routing::Log,
        },
    ));
    let err = store.append(&batch).unwrap_err();
    assert!(matches!(err, StoreError::Invalid { index: 2, .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("concern_raised"), "{msg}");

    assert_eq!(store.digest().unwrap(), digest);
    assert_eq!(store.task_rows().unwrap(), rows);
    assert_eq!(store.event_count().unwrap(), scenario().len() as u64);
    // The store is still usable and seqs carry on without a gap.
    let seq = store.append(&batch[..2]).unwrap();
    assert_eq!(seq, scenario().len() as u64 + 2);
    // The store's fold, kept across the refused batch, holds the log.
    let state = store.replay().unwrap();
    assert_projections_match(&store, &state);
}

#[test]
fn projection_failure_mid_batch_rolls_back_the_event_rows_too() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    store.append(&scenario()).unwrap();
    let digest = store.digest().unwrap();
    let agents = store.agent_rows().unwrap();

    // The event row of the last one is inserted, then its projection
    // update fails: SQLite integers cannot hold this many tokens.
    let huge = EventKind::UsageRecorded {
        usage: Usage {
            input: u64::MAX,
            ..Usage::default()
        },
        cost: Money(1),
    };
    let batch = [
        ev(
            200,
            Actor::Agent,
            Some("builder-01"),
            Some("ui-1"),
            usage(1),
        ),
        ev(201, Actor::Agent, Some("builder-01"), Some("ui-1"), huge),
    ];
    let err = store.append(&batch).unwrap_err();
    assert!(
        matches!(&err, StoreError::Project { what, .. } if what == "agents row builder-01"),
        "{err}"
    );
    assert_eq!(store.digest().unwrap(), digest);
    assert_eq!(store.agent_rows().unwrap(), agents);
    assert_eq!(store.last_seq().unwrap(), scenario().len() as u64);

    // The store's fold forgot the failed batch: the next append and the
    // tables agree with the log again.
    store.append(&batch[..1]).unwrap();
    let state = store.replay().unwrap();
    assert_eq!(state.events, scenario().len() as u64 + 1);
    assert_projections_match(&store, &state);
}

#[test]
fn corrupt_rows_are_reported_with_their_seq() {
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    s.append(&scenario()).unwrap();
    s.conn
        .execute("UPDATE events SET data = '{\"oops\":1}' WHERE seq = 4", [])
        .unwrap();
    let err = s.load_events().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { seq: 4, .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn floats_and_extreme_integers_round_trip_exactly() {
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    let confidences = [0.1 + 0.2, 1.0 / 3.0, 5e-324, 0.999_999_999_999_999_9];
    let events: Vec<Event> = confidences
        .iter()
        .enumerate()
        .map(|(i, c)| {
            ev(
                i64::MIN + i as i64,
                Actor::Agent,
                None,
                None,
                EventKind::ConcernRaised {
                    id: ConcernId(format!("C-{i}")),
                    source: ConcernSource::Gate,
                    summary: "\u{0}nul\ttab\n".into(),
                    confidence: *c,
                    impact: Impact::Medium,
                    routing: Routing::for_concern(*c, Impact::Medium),
                },
            )
        })
        .chain([ev(
            i64::MAX,
            Actor::Engine,
            None,
            None,
            EventKind::SwarmStarted {
                target: "main".into(),
                seed: u64::MAX,
            },
        )])
        .collect();
    s.append(&events).unwrap();
    assert_eq!(s.load_events().unwrap(), events);
}
