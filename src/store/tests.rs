use super::*;
use crate::domain::{
    Actor, AgentId, AgentPhase, BudgetScope, Check, ConcernId, ConcernSource, ConvoyId,
    Disposition, Event, EventKind, Impact, MergeOutcome, Millis, Money, PauseId, PauseKind,
    Routing, SessionId, TaskId, TaskSpec, TaskStatus, Usage,
};
use tempfile::TempDir;

fn db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    (dir, path)
}

fn spec(id: &str, convoy: &str, priority: i32) -> TaskSpec {
    TaskSpec {
        id: TaskId::new(id),
        title: format!("do {id}"),
        spec: "make it so".into(),
        convoy: ConvoyId::new(convoy),
        priority,
        scope: vec!["src/**".into()],
        checks: vec!["cargo test".into()],
        after: vec![],
        tier: Some("standard".into()),
        behaviour: None,
    }
}

fn ev(at: Millis, actor: Actor, agent: Option<&str>, task: Option<&str>, kind: EventKind) -> Event {
    Event {
        at,
        actor,
        agent: agent.map(AgentId::new),
        task: task.map(TaskId::new),
        convoy: None,
        model: agent.map(|_| "claude-sonnet".to_string()),
        session: None,
        kind,
    }
}

fn with_session(mut e: Event, s: &str) -> Event {
    e.session = Some(SessionId::new(s));
    e
}

fn usage(i: u64) -> EventKind {
    EventKind::UsageRecorded {
        usage: Usage {
            input: 100 + i,
            output: 20 + i,
            cache_read: 1000,
            cache_write: 7,
        },
        cost: Money(1_000_000 * (i as i64 + 1)),
    }
}

/// A hand-written day touching every event kind.
fn scenario() -> Vec<Event> {
    use Actor::*;
    let a1 = Some("builder-01");
    let a2 = Some("builder-02");
    let mut v = vec![
        ev(
            0,
            Engine,
            None,
            None,
            EventKind::SwarmStarted {
                target: "main".into(),
                seed: u64::MAX,
            },
        ),
        ev(
            1,
            Engine,
            a1,
            None,
            EventKind::AgentRegistered {
                model: "claude-sonnet".into(),
                runtime: "sim".into(),
            },
        ),
        ev(
            1,
            Engine,
            a2,
            None,
            EventKind::AgentRegistered {
                model: "gpt-5".into(),
                runtime: "codex".into(),
            },
        ),
        ev(
            2,
            Operator,
            None,
            None,
            EventKind::TaskAdded {
                spec: spec("auth-1", "auth", 5),
            },
        ),
        ev(
            2,
            Operator,
            None,
            None,
            EventKind::TaskAdded {
                spec: spec("auth-2", "auth", 1),
            },
        ),
        ev(
            2,
            Operator,
            None,
            None,
            EventKind::TaskAdded {
                spec: spec("ui-1", "ui", 0),
            },
        ),
        with_session(
            ev(
                10,
                Engine,
                a1,
                Some("auth-1"),
                EventKind::TaskAssigned {
                    branch: "shiftboss/builder-01/auth-1".into(),
                    attempt: 1,
                    resume: false,
                },
            ),
            "builder-01#1",
        ),
        with_session(
            ev(
                11,
                Engine,
                a2,
                Some("auth-2"),
                EventKind::TaskAssigned {
                    branch: "shiftboss/builder-02/auth-2".into(),
                    attempt: 1,
                    resume: false,
                },
            ),
            "builder-02#1",
        ),
        ev(12, Agent, a1, Some("auth-1"), usage(1)),
        ev(13, Agent, a2, Some("auth-2"), usage(2)),
        ev(
            14,
            Agent,
            a1,
            Some("auth-1"),
            EventKind::Progress {
                percent: 50,
                note: "half \"way\" — ünïcode".into(),
            },
        ),
        ev(
            15,
            Agent,
            a1,
            Some("auth-1"),
            EventKind::CommitMade {
                commit: "abc123".into(),
                files: 3,
                paths: vec!["src/auth/a.rs".into()],
            },
        ),
        ev(16, Agent, a1, Some("auth-1"), EventKind::TaskDone),
        ev(
            17,
            Engine,
            a1,
            Some("auth-1"),
            EventKind::GateFinished {
                passed: false,
                gate: "test".into(),
                output: "1 failed".into(),
                findings: Vec::new(),
                changed: Vec::new(),
            },
        ),
        ev(
            18,
            Engine,
            a1,
            Some("auth-1"),
            EventKind::TaskReworked {
                reason: "tests".into(),
            },
        ),
        with_session(
            ev(
                19,
                Engine,
                a1,
                Some("auth-1"),
                EventKind::SessionEnded {
                    exit_code: Some(0),
                    reason: "rework".into(),
                },
            ),
            "builder-01#1",
        ),
        with_session(
            ev(
                20,
                Engine,
                a1,
                Some("auth-1"),
                EventKind::TaskAssigned {
                    branch: "shiftboss/builder-01/auth-1".into(),
                    attempt: 2,
                    resume: true,
                },
            ),
            "builder-01#2",
        ),
        with_session(
            ev(
                21,
                Agent,
                a1,
                Some("auth-1"),
                EventKind::PauseRequested {
                    id: PauseId::new("P-0001"),
                    pause: PauseKind::AgentRequest,
                    reason: "drop table?".into(),
                },
            ),
            "builder-01#2",
        ),
        ev(
            22,
            Engine,
            a2,
            Some("auth-2"),
            EventKind::ConcernRaised {
                id: ConcernId::new("C-0001"),
                source: ConcernSource::Watchdog,
                summary: "looping".into(),
                confidence: 0.1 + 0.2,
                impact: Impact::High,
                routing: Routing::Human,
            },
        ),
        ev(
            23,
            Engine,
            a2,
            None,
            EventKind::WatchdogAlert {
                check: Check::Looping,
                detail: "same line x20".into(),
            },
        ),
        ev(
            24,
            Engine,
            None,
            None,
            EventKind::BudgetReached {
                scope: BudgetScope::Day,
                spent: Money(5),
                limit: Money(4),
                hard: false,
            },
        ),
        ev(
            25,
            Operator,
            None,
            None,
            EventKind::PauseDecided {
                id: PauseId::new("P-0001"),
                approved: true,
            },
        ),
        ev(
            26,
            Operator,
            None,
            None,
            EventKind::ConcernDisposed {
                id: ConcernId::new("C-0001"),
                disposition: Disposition::Dismissed("false alarm".into()),
            },
        ),
        ev(27, Agent, a1, Some("auth-1"), EventKind::TaskDone),
        ev(
            28,
            Engine,
            a1,
            Some("auth-1"),
            EventKind::GateFinished {
                passed: true,
                gate: "test".into(),
                output: String::new(),
                findings: Vec::new(),
                changed: Vec::new(),
            },
        ),
        ev(
            29,
            Engine,
            a1,
            Some("auth-1"),
            EventKind::MergeQueued { seq: 1 },
        ),
        ev(
            30,
            Engine,
            None,
            Some("auth-1"),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged {
                    commit: "def456".into(),
                    tier: "clean".into(),
                    removals: Vec::new(),
                },
            },
        ),
        with_session(
            ev(
                31,
                Engine,
                a1,
                Some("auth-1"),
                EventKind::SessionEnded {
                    exit_code: None,
                    reason: "done".into(),
                },
            ),
            "builder-01#2",
        ),
        ev(
            32,
            Engine,
            a2,
            Some("auth-2"),
            EventKind::MergeQueued { seq: 2 },
        ),
        ev(
            33,
            Engine,
            a2,
            Some("auth-2"),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Conflicted {
                    files: vec!["src/a.rs".into(), "src/b.rs".into()],
                    why: String::new(),
                },
            },
        ),
        ev(
            34,
            Engine,
            a2,
            Some("auth-2"),
            EventKind::TaskFailed {
                reason: "conflicts".into(),
            },
        ),
        ev(
            35,
            Engine,
            None,
            Some("ui-1"),
            EventKind::TaskBlocked {
                reason: "auth-2 failed".into(),
            },
        ),
        ev(36, Operator, None, Some("ui-1"), EventKind::TaskUnblocked),
        ev(
            37,
            Engine,
            None,
            Some("ui-1"),
            EventKind::TaskRequeued {
                reason: "retry".into(),
            },
        ),
        ev(38, Operator, a2, None, EventKind::AgentHeld { held: true }),
        ev(
            39,
            Operator,
            a2,
            None,
            EventKind::AgentRetired {
                reason: "budget".into(),
            },
        ),
        ev(
            40,
            Operator,
            None,
            None,
            EventKind::SwarmFrozen { frozen: true },
        ),
        ev(
            41,
            Operator,
            None,
            None,
            EventKind::SpeedChanged {
                speed: "10x".into(),
            },
        ),
        ev(
            42,
            Engine,
            None,
            None,
            EventKind::SwarmResumed { lost_sessions: 2 },
        ),
    ];
    let mut held = ev(
        43,
        Operator,
        None,
        None,
        EventKind::ConvoyHeld { held: true },
    );
    held.convoy = Some(ConvoyId::new("ui"));
    v.push(held);
    v
}

/// A tiny deterministic generator (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// A random but plausible stream: it tracks the state it produces so that
/// sessions, pause ids and concern ids usually refer to live things, and
/// sometimes to stale or unknown ones.
fn random_events(seed: u64, n: usize) -> Vec<Event> {
    let mut rng = Lcg(seed);
    let mut state = SwarmState::default();
    let mut out = Vec::with_capacity(n);
    let agents: Vec<String> = (1..=5).map(|i| AgentId::builder(i).0).collect();
    let tasks: Vec<String> = (1..=8).map(|i| format!("T-{i:04}")).collect();
    let convoys = ["auth", "ui", "billing"];
    let models = ["claude-sonnet", "claude-opus", "gpt-5"];
    let mut at: Millis = 1_700_000_000_000;
    let mut session_n = 0;
    while out.len() < n {
        at += rng.below(90_000) as Millis;
        let agent = rng.pick(&agents).clone();
        let task = rng.pick(&tasks).clone();
        let actor = *rng.pick(&[Actor::Engine, Actor::Agent, Actor::Operator]);
        let mut e = Event {
            at,
            actor,
            agent: Some(AgentId(agent.clone())),
            task: Some(TaskId(task.clone())),
            convoy: Some(ConvoyId::new(*rng.pick(&convoys))),
            model: Some(rng.pick(&models).to_string()),
            session: state
                .agents
                .get(&AgentId(agent.clone()))
                .and_then(|a| a.session.clone()),
            kind: EventKind::TaskDone,
        };
        if rng.below(10) == 0 {
            e.agent = None;
        }
        if rng.below(10) == 0 {
            e.task = None;
        }
        if rng.below(10) == 0 {
            e.model = None;
        }
        if rng.below(8) == 0 {
            e.session = Some(SessionId(format!("stale#{}", rng.below(3))));
        }
        let b = rng.below(2) == 0;
        let reason = format!("reason {}", rng.below(100));
        e.kind = match rng.below(30) {
            0 => EventKind::AgentRegistered {
                model: rng.pick(&models).to_string(),
                runtime: "sim".into(),
            },
            1 | 2 => EventKind::TaskAdded {
                spec: {
                    let convoy: &&str = rng.pick(&convoys);
                    spec(&task, convoy, rng.below(10) as i32 - 3)
                },
            },
            3..=5 => {
                session_n += 1;
                e.session = Some(SessionId(format!("{agent}#{session_n}")));
                EventKind::TaskAssigned {
                    branch: format!("shiftboss/{agent}/{task}"),
                    attempt: rng.below(4) as u32 + 1,
                    resume: b,
                }
            }
            6..=12 => EventKind::UsageRecorded {
                usage: Usage {
                    input: rng.below(5000),
                    output: rng.below(2000),
                    cache_read: rng.below(50_000),
                    cache_write: rng.below(3000),
                },
                cost: Money(rng.below(10_000_000_000) as i64),
            },
            13 => EventKind::CommitMade {
                commit: format!("{:x}", rng.next()),
                files: rng.below(20) as u32,
                paths: Vec::new(),
            },
            14 => EventKind::Progress {
                percent: rng.below(101) as u8,
                note: "working".into(),
            },
            15 => EventKind::TaskDone,
            16 => EventKind::GateFinished {
                passed: b,
                gate: "lint".into(),
                output: "out".into(),
                findings: Vec::new(),
                changed: Vec::new(),
            },
            17 => EventKind::MergeQueued {
                seq: state.merge_seq + 1,
            },
            18 => EventKind::MergeFinished {
                outcome: if b {
                    MergeOutcome::Merged {
                        commit: format!("{:x}", rng.next()),
                        tier: "auto".into(),
                        removals: Vec::new(),
                    }
                } else {
                    MergeOutcome::Conflicted {
                        files: vec!["Cargo.lock".into()],
                        why: String::new(),
                    }
                },
            },
            19 => EventKind::TaskRequeued { reason },
            20 => EventKind::TaskReworked { reason },
            21 => EventKind::TaskFailed { reason },
            22 => EventKind::TaskBlocked { reason },
            23 => EventKind::TaskUnblocked,
            24 => EventKind::SessionEnded {
                exit_code: if b { Some(1) } else { None },
                reason,
            },
            25 => EventKind::WatchdogAlert {
                check: *rng.pick(&[Check::Stalled, Check::Looping, Check::OverBudget]),
                detail: "detail".into(),
            },
            26 => EventKind::ConcernRaised {
                id: state.next_concern_id(),
                source: ConcernSource::Agent,
                summary: "hmm".into(),
                confidence: rng.below(1000) as f64 / 999.0,
                impact: *rng.pick(&[Impact::Low, Impact::Medium, Impact::High, Impact::Critical]),
                routing: Routing::Triage,
            },
            27 => EventKind::ConcernDisposed {
                id: ConcernId(format!(
                    "C-{:04}",
                    rng.below(state.concerns.len() as u64 + 2)
                )),
                disposition: rng
                    .pick(&[
                        Disposition::Acked,
                        Disposition::Resolved,
                        Disposition::Dismissed(reason),
                    ])
                    .clone(),
            },
            28 => EventKind::PauseRequested {
                id: state.next_pause_id(),
                pause: rng
                    .pick(&[PauseKind::AgentRequest, PauseKind::Merge, PauseKind::Spend])
                    .clone(),
                reason,
            },
            _ => match rng.below(5) {
                0 => EventKind::PauseDecided {
                    id: PauseId(format!("P-{:04}", rng.below(state.pauses.len() as u64 + 2))),
                    approved: b,
                },
                1 => EventKind::AgentHeld { held: b },
                2 => EventKind::AgentRetired { reason },
                3 => EventKind::ConvoyHeld { held: b },
                _ => EventKind::SwarmFrozen { frozen: b },
            },
        };
        state.apply(&e);
        out.push(e);
    }
    out
}

fn append_in_batches(store: &mut Store, events: &[Event], batch: usize) {
    for chunk in events.chunks(batch) {
        store.append(chunk).unwrap();
    }
}

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

/// Every projection row agrees with the state `SwarmState::apply` builds.
fn assert_projections_match(store: &Store, state: &SwarmState) {
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
fn migrations_are_idempotent_on_reopen() {
    let (_dir, path) = db();
    let events = scenario();
    {
        let mut s = Store::open(&path).unwrap();
        s.append(&events).unwrap();
        s.set_meta("k", "v1").unwrap();
        s.set_meta("k", "v2").unwrap();
    }
    for _ in 0..3 {
        let s = Store::open(&path).unwrap();
        assert_eq!(user_version(&s.conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(s.load_events().unwrap(), events);
        assert_eq!(s.meta("k").unwrap().as_deref(), Some("v2"));
        assert_eq!(s.meta("missing").unwrap(), None);
        let mode: String = s
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

#[test]
fn readonly_open_of_a_missing_file_names_the_path() {
    let (_dir, path) = db();
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }));
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(!path.exists(), "a read-only open creates nothing");
}

#[test]
fn open_in_a_missing_directory_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("state.db");
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NoDirectory { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn readonly_reads_while_a_writer_is_open_and_cannot_write() {
    let (_dir, path) = db();
    let mut w = Store::open(&path).unwrap();
    w.append(&scenario()).unwrap();
    let mut r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.event_count().unwrap(), scenario().len() as u64);
    w.append(&scenario()[..3]).unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64 + 3);
    assert_eq!(r.task_rows().unwrap(), w.task_rows().unwrap());
    let err = r.append(&scenario()[..1]).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(r.set_meta("a", "b").is_err());
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn readonly_open_of_a_log_no_writer_holds_creates_no_files() {
    let (dir, path) = db();
    {
        let mut w = Store::open(&path).unwrap();
        w.append(&scenario()).unwrap();
    }
    let before = files_in(dir.path());
    assert_eq!(before, ["state.db"], "a clean close leaves the log alone");
    let r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.event_count().unwrap(), scenario().len() as u64);
    assert_eq!(r.digest().unwrap(), r.digest().unwrap());
    drop(r);
    assert_eq!(files_in(dir.path()), before, "no -wal or -shm written");
}

#[test]
fn readonly_view_follows_a_writer_that_starts_after_it() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    let mut r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.last_seq().unwrap(), 0);
    let mut w = Store::open(&path).unwrap();
    w.append(&scenario()).unwrap();
    r.follow_writers().unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64);
    w.append(&scenario()[..2]).unwrap();
    r.follow_writers().unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64 + 2);
}

#[test]
fn newer_schema_is_refused() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    for err in [
        Store::open(&path).unwrap_err(),
        Store::open_readonly(&path).unwrap_err(),
    ] {
        assert!(
            matches!(err, StoreError::NewerSchema { found, known, .. }
                if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("newer"), "{msg}");
    }
}

#[test]
fn readonly_refuses_files_that_are_not_event_logs() {
    let (_dir, path) = db();
    std::fs::write(&path, b"").unwrap();
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotAnEventLog { .. }), "{err}");

    std::fs::write(
        &path,
        b"this is not sqlite, it is a long enough text file to have a header",
    )
    .unwrap();
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let err = Store::open(&path).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
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

#[test]
fn the_documented_example_queries_run() {
    let doc = include_str!("../../docs/event-log.md");
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
