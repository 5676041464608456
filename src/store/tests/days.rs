//! The days the store's tests append: a hand-written one touching every event kind, and random plausible streams.

use super::*;

/// A hand-written day touching every event kind.
pub(super) fn scenario() -> Vec<Event> {
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
            EventKind::MergeQueued { seq: 1, onto: None },
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
            EventKind::MergeQueued { seq: 2, onto: None },
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
pub(super) fn random_events(seed: u64, n: usize) -> Vec<Event> {
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
                onto: None,
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
