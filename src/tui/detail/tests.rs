//! A hand-made day for the page and pane tests: events folded into a
//! `SwarmState` and kept in `recent` as the runner would.

use super::*;
use crate::domain::*;
use crate::tui::action::KeyMap;
use crate::tui::panes::{DrawCtx, Pane, PaneId, PaneState};

pub(crate) struct Day {
    pub snap: Snapshot,
}

impl Day {
    pub fn new() -> Day {
        let mut d = Day {
            snap: Snapshot::default(),
        };
        d.ev(
            0,
            None,
            None,
            EventKind::SwarmStarted {
                target: "main".into(),
                seed: 1,
            },
        );
        d
    }

    /// Fold an event at `at` seconds, by `agent` on `task`.
    pub fn ev(&mut self, at: i64, agent: Option<&str>, task: Option<&str>, kind: EventKind) {
        let e = Event {
            at: at * SECOND,
            actor: Actor::Engine,
            agent: agent.map(AgentId::from),
            task: task.map(TaskId::from),
            convoy: None,
            model: None,
            session: None,
            kind,
        };
        self.snap.state.apply(&e);
        if let (EventKind::GateFinished { output, .. }, Some(t)) = (&e.kind, &e.task) {
            self.snap.gate_output.insert(t.clone(), output.clone());
        }
        self.snap.now = self.snap.now.max(e.at);
        self.snap.recent.push_back(e);
    }

    pub fn agent(&mut self, a: &str) {
        self.ev(
            0,
            Some(a),
            None,
            EventKind::AgentRegistered {
                model: "m".into(),
                runtime: "sim".into(),
            },
        );
    }

    pub fn task(&mut self, id: &str, after: &[&str]) {
        self.ev(
            0,
            None,
            None,
            EventKind::TaskAdded {
                spec: TaskSpec {
                    id: id.into(),
                    title: format!("do {id}"),
                    spec: "a long spec ".repeat(20),
                    convoy: "auth".into(),
                    priority: 0,
                    scope: vec!["src/auth/**".into()],
                    checks: vec!["cargo test".into()],
                    after: after.iter().map(|a| TaskId::from(*a)).collect(),
                    tier: None,
                    behaviour: None,
                    issue: None,
                    night: false,
                },
            },
        );
    }

    pub fn assign(&mut self, at: i64, agent: &str, task: &str) {
        self.ev(
            at,
            Some(agent),
            Some(task),
            EventKind::TaskAssigned {
                branch: format!("shiftboss/{agent}/{task}"),
                attempt: 1,
                resume: false,
            },
        );
    }

    pub fn concern(
        &mut self,
        at: i64,
        id: &str,
        source: ConcernSource,
        task: Option<&str>,
        summary: &str,
        (confidence, impact): (f64, Impact),
    ) {
        self.ev(
            at,
            Some("builder-01"),
            task,
            EventKind::ConcernRaised {
                id: id.into(),
                source,
                summary: summary.into(),
                confidence,
                impact,
                routing: Routing::for_concern(confidence, impact),
            },
        );
    }

    /// A small day: two agents, a merged task, a conflicted one, one at
    /// the gate, one queued; a pause point and some concerns.
    pub fn standard() -> Day {
        let mut d = Day::new();
        d.agent("builder-01");
        d.agent("builder-02");
        for t in ["auth-1", "auth-2", "auth-3", "auth-4"] {
            d.task(t, &[]);
        }
        d.task("auth-5", &["auth-2"]);
        // auth-1 merges.
        d.assign(10, "builder-01", "auth-1");
        d.ev(20, Some("builder-01"), Some("auth-1"), EventKind::TaskDone);
        d.gate(21, "builder-01", "auth-1", true);
        d.ev(
            22,
            Some("builder-01"),
            Some("auth-1"),
            EventKind::MergeQueued { seq: 1, onto: None },
        );
        d.ev(
            23,
            Some("builder-01"),
            Some("auth-1"),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged {
                    commit: "abcdef1234".into(),
                    tier: "clean".into(),
                    removals: Vec::new(),
                },
            },
        );
        // auth-2 conflicts.
        d.assign(30, "builder-02", "auth-2");
        d.ev(40, Some("builder-02"), Some("auth-2"), EventKind::TaskDone);
        d.gate(41, "builder-02", "auth-2", true);
        d.ev(
            42,
            Some("builder-02"),
            Some("auth-2"),
            EventKind::MergeQueued { seq: 2, onto: None },
        );
        d.ev(
            43,
            Some("builder-02"),
            Some("auth-2"),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Conflicted {
                    files: vec!["src/shared/registry.rs".into()],
                    why: String::new(),
                },
            },
        );
        d.ev(
            43,
            Some("builder-02"),
            Some("auth-2"),
            EventKind::TaskFailed {
                reason: "merge conflict in src/shared/registry.rs".into(),
            },
        );
        // auth-3 at the gate, auth-4 queued.
        d.assign(50, "builder-01", "auth-3");
        d.ev(60, Some("builder-01"), Some("auth-3"), EventKind::TaskDone);
        d.assign(61, "builder-02", "auth-4");
        d.ev(62, Some("builder-02"), Some("auth-4"), EventKind::TaskDone);
        d.gate(63, "builder-02", "auth-4", true);
        d.ev(
            64,
            Some("builder-02"),
            Some("auth-4"),
            EventKind::MergeQueued { seq: 3, onto: None },
        );
        d.snap.merge_queue = vec!["auth-4".into()];
        // Concerns: a low-confidence high one, a sure high one, a log one.
        d.concern(
            70,
            "C-0001",
            ConcernSource::Agent,
            Some("auth-3"),
            "sure about it",
            (0.9, Impact::High),
        );
        d.concern(
            71,
            "C-0002",
            ConcernSource::Agent,
            Some("auth-3"),
            "not sure at all",
            (0.2, Impact::High),
        );
        d.concern(
            72,
            "C-0003",
            ConcernSource::Protocol,
            None,
            "bad line",
            (0.9, Impact::Low),
        );
        d.concern(
            73,
            "C-0004",
            ConcernSource::Agent,
            None,
            "critical thing",
            (0.9, Impact::Critical),
        );
        d.ev(
            80,
            Some("builder-02"),
            Some("auth-4"),
            EventKind::PauseRequested {
                id: "P-0001".into(),
                pause: PauseKind::AgentRequest,
                reason: "about to drop the table".into(),
            },
        );
        for i in 0..5 {
            d.snap
                .tails
                .entry("builder-01".into())
                .or_default()
                .push_back(format!("output line {i}"));
        }
        d.snap
            .tails
            .get_mut(&AgentId::from("builder-01"))
            .unwrap()
            .push_back(
                "::usage model=m input=1000 output=10 cache_read=49000 cache_write=0::".into(),
            );
        d.ev(
            90 * SECOND,
            Some("builder-01"),
            Some("auth-3"),
            EventKind::UsageRecorded {
                usage: Usage {
                    input: 1000,
                    output: 10,
                    cache_read: 49_000,
                    cache_write: 0,
                },
                cost: Money::ZERO,
            },
        );
        d.snap.now = 100 * SECOND;
        d
    }

    /// The standard day with a deep queue: `auth-6` refused by the auto
    /// tier (3 lines at risk), `auth-7` rejected once by the merged-result
    /// gates (bisected out of a batch with `auth-4`), back in the queue and
    /// moved to the front, and `auth-8` pending with a predicted conflict.
    pub fn deep() -> Day {
        let mut d = Day::standard();
        for t in ["auth-6", "auth-7", "auth-8"] {
            d.task(t, &[]);
        }
        let (b1, b2) = (Some("builder-01"), Some("builder-02"));
        d.assign(81, "builder-01", "auth-6");
        d.ev(82, b1, Some("auth-6"), EventKind::TaskDone);
        d.gate(83, "builder-01", "auth-6", true);
        d.ev(
            84,
            b1,
            Some("auth-6"),
            EventKind::MergeQueued { seq: 4, onto: None },
        );
        let risk = |side, line: &str| LineAtRisk {
            file: "src/auth/login.rs".into(),
            side,
            line: line.into(),
        };
        d.ev(
            85,
            b1,
            Some("auth-6"),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Refused {
                    tier: ResolveTier::Auto,
                    files: vec!["src/auth/login.rs".into()],
                    lines_at_risk: vec![
                        risk(Side::Agent, "let token = issue(user);"),
                        risk(Side::Target, "audit(user);"),
                        risk(Side::Target, "rate_limit(user)?;"),
                    ],
                },
            },
        );
        d.ev(
            85,
            b1,
            Some("auth-6"),
            EventKind::TaskBlocked {
                reason: "the auto resolution of src/auth/login.rs would drop 3 lines; nothing merged, branch kept".into(),
            },
        );
        d.assign(86, "builder-02", "auth-7");
        d.ev(87, b2, Some("auth-7"), EventKind::TaskDone);
        d.gate(88, "builder-02", "auth-7", true);
        d.ev(
            89,
            b2,
            Some("auth-7"),
            EventKind::MergeQueued { seq: 5, onto: None },
        );
        let batch = |tasks: &[&str], passed: bool| EventKind::BatchTested {
            tasks: tasks.iter().map(|t| TaskId::from(*t)).collect(),
            base: "0123456789abcdef".into(),
            passed,
            gate: if passed {
                String::new()
            } else {
                "cargo test".into()
            },
            output: if passed {
                "ok".into()
            } else {
                "test auth::expiry ... FAILED\nexpected 3600, found 60".into()
            },
        };
        d.ev(90, None, None, batch(&["auth-7", "auth-4"], false));
        d.ev(90, None, None, batch(&["auth-7"], false));
        d.ev(90, None, None, batch(&["auth-4"], true));
        let finding = GateFinding {
            gate: "cargo test".into(),
            file: "src/auth/expiry.rs".into(),
            line: Some(12),
            expected: "3600".into(),
            found: "60".into(),
        };
        d.ev(
            90,
            b2,
            Some("auth-7"),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Rejected {
                    gate: "cargo test".into(),
                    output: "test auth::expiry ... FAILED\nexpected 3600, found 60".into(),
                    findings: vec![finding],
                },
            },
        );
        d.ev(
            90,
            b2,
            Some("auth-7"),
            EventKind::TaskReworked {
                reason: "the merged result on main: cargo test failed in src/auth/expiry.rs".into(),
            },
        );
        d.ev(
            91,
            b2,
            Some("auth-7"),
            EventKind::TaskAssigned {
                branch: "shiftboss/builder-02/auth-7".into(),
                attempt: 2,
                resume: true,
            },
        );
        d.ev(92, b2, Some("auth-7"), EventKind::TaskDone);
        d.gate(93, "builder-02", "auth-7", true);
        d.ev(
            94,
            b2,
            Some("auth-7"),
            EventKind::MergeQueued { seq: 6, onto: None },
        );
        d.ev(
            95,
            None,
            Some("auth-7"),
            EventKind::QueueMoved { front: true },
        );
        d.snap.merge_queue = vec!["auth-7".into(), "auth-4".into()];
        d.ev(
            96,
            None,
            Some("auth-8"),
            EventKind::ConflictPredicted {
                prediction: Prediction {
                    with: vec!["auth-3".into()],
                    files: vec!["src/auth/session.rs".into()],
                    delayed: true,
                },
            },
        );
        d.snap.now = 100 * SECOND;
        d
    }

    pub fn gate(&mut self, at: i64, agent: &str, task: &str, passed: bool) {
        self.ev(
            at,
            Some(agent),
            Some(task),
            EventKind::GateFinished {
                passed,
                gate: "lint".into(),
                output: format!("checking {task}\nerror: unused import in {task}"),
                findings: Vec::new(),
                changed: Vec::new(),
            },
        );
    }
}

pub(crate) fn app(snap: Snapshot) -> App {
    App::new(
        snap,
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(false),
        false,
    )
}

pub(crate) fn text(buf: &Buffer) -> String {
    crate::tui::screenshot::to_text(buf)
}

pub(crate) fn page_text(snap: &Snapshot, target: &Target, w: u16, h: u16) -> String {
    let app = app(snap.clone());
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    draw(&app, target, area, &mut buf);
    text(&buf)
}

pub(crate) fn pane_text(
    pane: &dyn Pane,
    snap: &Snapshot,
    state: &PaneState,
    w: u16,
    h: u16,
) -> String {
    let theme = Theme::builtin("dark").unwrap();
    let id: PaneId = pane.id();
    let ctx = DrawCtx {
        snap,
        theme: &theme,
        focused: true,
        state,
        number: id.index() + 1,
    };
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    pane.draw(&ctx, area, &mut buf);
    text(&buf)
}

fn every_target(snap: &Snapshot) -> Vec<Target> {
    vec![
        Target::Agent("builder-01".into()),
        Target::Agent("nobody".into()),
        Target::Task("auth-2".into()),
        Target::Task("auth-4".into()),
        Target::Task("auth-5".into()),
        Target::Task("nothing".into()),
        Target::Convoy("auth".into()),
        Target::Convoy("none".into()),
        Target::Concern("C-0002".into()),
        Target::Concern("C-9999".into()),
        Target::Pause(snap.state.pauses[0].id.clone()),
        Target::Pause("P-9999".into()),
    ]
}

#[test]
fn every_page_draws_in_tiny_and_odd_areas() {
    let d = Day::standard();
    for target in every_target(&d.snap) {
        for (w, h) in [
            (20, 5),
            (0, 0),
            (1, 1),
            (3, 2),
            (20, 3),
            (99, 7),
            (100, 7),
            (160, 48),
        ] {
            let _ = page_text(&d.snap, &target, w, h);
        }
    }
}

#[test]
fn agent_page_shows_the_tail_and_context_use() {
    let d = Day::standard();
    let out = page_text(&d.snap, &Target::Agent("builder-01".into()), 140, 40);
    assert!(out.contains("output line 4"), "{out}");
    assert!(out.contains("▌ output"), "{out}");
    // 1000 input + 49000 cache read of a 200k window.
    assert!(out.contains("25% of 200k"), "{out}");
    assert!(out.contains("auth-3"), "past and current tasks: {out}");
    assert!(!out.contains("malformed"), "{out}");
    let mut d = d;
    let a = d.snap.state.agents.get_mut(&"builder-01".into()).unwrap();
    a.malformed = 12;
    a.dropped_bytes = 3 << 20;
    let out = page_text(&d.snap, &Target::Agent("builder-01".into()), 140, 40);
    assert!(
        out.contains("12 protocol lines or usage reports refused"),
        "{out}"
    );
    assert!(
        out.contains("3145728 bytes past the 1 MiB line cap"),
        "{out}"
    );
}

#[test]
fn a_long_tail_keeps_its_newest_lines() {
    let mut d = Day::standard();
    let tail = d.snap.tails.get_mut(&AgentId::from("builder-01")).unwrap();
    for i in 0..60 {
        tail.push_back(format!("later line {i}"));
    }
    let out = page_text(&d.snap, &Target::Agent("builder-01".into()), 80, 20);
    assert!(out.contains("later line 59"), "{out}");
    assert!(out.contains("earlier lines"), "{out}");
    assert!(!out.contains("later line 0\n"), "{out}");
}

#[test]
fn task_page_puts_conflicts_and_gate_output_forward() {
    let d = Day::standard();
    let out = page_text(&d.snap, &Target::Task("auth-2".into()), 140, 40);
    assert!(out.contains("▌ conflicted files"), "{out}");
    assert!(out.contains("src/shared/registry.rs"), "{out}");
    assert!(
        out.contains("error: unused import in auth-2"),
        "gate output: {out}"
    );
    assert!(out.contains("merge_finished"), "events: {out}");
    let out = page_text(&d.snap, &Target::Task("auth-5".into()), 140, 40);
    assert!(out.contains("auth-2"), "dependency: {out}");
    assert!(out.contains("failed"), "its status: {out}");
}

#[test]
fn task_page_shows_the_lines_at_risk_of_a_refused_merge() {
    let d = Day::deep();
    let out = page_text(&d.snap, &Target::Task("auth-6".into()), 140, 40);
    assert!(out.contains("▌ lines at risk (3)"), "{out}");
    assert!(
        out.contains("the auto tier would have dropped these lines; nothing merged"),
        "{out}"
    );
    assert!(
        out.contains("agent  src/auth/login.rs - let token = issue(user);"),
        "{out}"
    );
    assert!(
        out.contains("target src/auth/login.rs - rate_limit(user)?;"),
        "{out}"
    );
    assert!(out.contains("tier auto · refused"), "{out}");
    assert!(out.contains("R retries"), "{out}");
    assert!(out.contains("sent back   1× by the merge queue"), "{out}");
    // A short page cuts the list with a count.
    let out = page_text(&d.snap, &Target::Task("auth-6".into()), 80, 24);
    assert!(out.contains("▌ lines at risk (3)"), "{out}");
    assert!(out.contains("… "), "{out}");
}

#[test]
fn task_page_shows_findings_merged_result_gates_and_why_it_came_back() {
    let mut d = Day::deep();
    let out = page_text(&d.snap, &Target::Task("auth-7".into()), 160, 48);
    assert!(
        out.contains("queue       1 of 2 · moved to the front"),
        "{out}"
    );
    assert!(out.contains("[ front · ] back · D drop"), "{out}");
    assert!(out.contains("▌ merged-result gates"), "{out}");
    assert!(
        out.contains("✗ with 1 other on 01234567 failed `cargo test`"),
        "{out}"
    );
    assert!(
        out.contains("✗ alone on 01234567 failed `cargo test`"),
        "{out}"
    );
    assert!(
        out.contains("rejected: the merged result failed `cargo test`"),
        "{out}"
    );
    assert!(out.contains("expected 3600, found 60"), "{out}");
    assert!(
        out.contains("came back   the merged result on main"),
        "{out}"
    );
    assert!(!out.contains("▌ lines at risk"), "{out}");
    // auth-4 passed alone in the bisection.
    let out = page_text(&d.snap, &Target::Task("auth-4".into()), 160, 48);
    assert!(out.contains("✓ alone on 01234567 passed"), "{out}");
    // A branch gate's findings, one line each.
    let finding = |line| GateFinding {
        gate: "scope".into(),
        file: "src/billing/x.rs".into(),
        line,
        expected: "a path in src/auth/**".into(),
        found: "a change outside the scope".into(),
    };
    d.ev(
        97,
        Some("builder-01"),
        Some("auth-8"),
        EventKind::GateFinished {
            passed: false,
            gate: "scope".into(),
            output: String::new(),
            findings: vec![finding(None), finding(Some(7))],
            changed: vec!["src/billing/x.rs".into()],
        },
    );
    let out = page_text(&d.snap, &Target::Task("auth-8".into()), 160, 48);
    assert!(out.contains("▌ findings (2)"), "{out}");
    assert!(
        out.contains("scope src/billing/x.rs:7: expected a path in src/auth/**;"),
        "{out}"
    );
}

#[test]
fn task_page_shows_the_predicted_conflict() {
    let d = Day::deep();
    let out = page_text(&d.snap, &Target::Task("auth-8".into()), 140, 40);
    assert!(out.contains("▌ predicted conflict"), "{out}");
    assert!(out.contains("overlaps    auth-3"), "{out}");
    assert!(out.contains("delayed until they are done"), "{out}");
    assert!(out.contains("src/auth/session.rs"), "{out}");
}

#[test]
fn a_readonly_task_page_offers_no_keys_that_change_the_swarm() {
    let d = Day::deep();
    let app = App::new(
        d.snap.clone(),
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(true),
        true,
    );
    let area = Rect::new(0, 0, 160, 48);
    let mut buf = Buffer::empty(area);
    draw(&app, &Target::Task("auth-7".into()), area, &mut buf);
    let out = text(&buf);
    assert!(out.contains("moved to the front"), "{out}");
    assert!(!out.contains("] back"), "{out}");
    let mut buf = Buffer::empty(area);
    draw(&app, &Target::Task("auth-6".into()), area, &mut buf);
    assert!(!text(&buf).contains("retries:"), "{}", text(&buf));
}

#[test]
fn convoy_page_lists_likely_conflicts() {
    let d = Day::deep();
    let out = page_text(&d.snap, &Target::Convoy("auth".into()), 140, 30);
    assert!(out.contains("▌ likely conflicts"), "{out}");
    assert!(
        out.contains("auth-8                   with auth-3 src/auth/session.rs · delayed"),
        "{out}"
    );
}

#[test]
fn deep_pages_draw_in_tiny_and_odd_areas() {
    let d = Day::deep();
    for id in ["auth-6", "auth-7", "auth-8"] {
        for (w, h) in [(20, 5), (0, 0), (1, 1), (3, 2), (20, 3), (99, 7), (100, 7)] {
            let _ = page_text(&d.snap, &Target::Task(id.into()), w, h);
        }
    }
}

#[test]
fn pause_and_concern_pages_say_what_happens_next() {
    let d = Day::standard();
    let out = page_text(&d.snap, &Target::Pause("P-0001".into()), 140, 30);
    assert!(out.contains("about to drop the table"), "{out}");
    assert!(out.contains("approve"), "{out}");
    assert!(out.contains("reject"), "{out}");
    let out = page_text(&d.snap, &Target::Concern("C-0002".into()), 140, 30);
    assert!(out.contains("not sure at all"), "{out}");
    assert!(out.contains("routed to human"), "{out}");
    assert!(out.contains("▌ what was tried"), "{out}");
    let out = page_text(&d.snap, &Target::Convoy("auth".into()), 140, 30);
    assert!(out.contains("1 of 5"), "{out}");
    assert!(out.contains("auth-4"), "{out}");
}

#[test]
fn a_folded_concern_opens_to_its_members_and_a_swarm_pause_counts_the_ready() {
    let mut d = Day::standard();
    for (id, at, conf) in [("C-0005", 81, 0.2), ("C-0006", 82, 0.4)] {
        d.concern(
            at,
            id,
            ConcernSource::Agent,
            Some("auth-3"),
            "not sure at all",
            (conf, Impact::High),
        );
    }
    d.ev(
        90,
        None,
        None,
        EventKind::ConcernReraised {
            id: "C-0002".into(),
            round: 2,
            waited: 30 * MINUTE,
        },
    );
    let out = page_text(&d.snap, &Target::Concern("C-0002".into()), 140, 30);
    assert!(out.contains("the same concern, 3×"), "{out}");
    for id in ["C-0002", "C-0005", "C-0006"] {
        assert!(out.contains(id), "{id} listed: {out}");
    }
    assert!(out.contains("raised again 2×"), "{out}");
    d.ev(
        95,
        None,
        None,
        EventKind::PauseRequested {
            id: "P-0002".into(),
            pause: PauseKind::Swarm,
            reason: "before the release merge".into(),
        },
    );
    // builder-01 works, builder-02 waits at P-0001: neither is ready.
    let out = page_text(&d.snap, &Target::Pause("P-0002".into()), 140, 30);
    assert!(out.contains("0 of 2 agents finished their work"), "{out}");
    assert!(out.contains("the swarm takes new work again"), "{out}");
}

#[test]
fn sections_are_cut_not_spilled() {
    assert_eq!(allot(&[3, 4], 10), vec![3, 4]);
    assert_eq!(allot(&[10, 10], 10), vec![5, 5]);
    assert_eq!(allot(&[2, 10, 10], 3), vec![2, 1, 0]);
    assert_eq!(allot(&[2, 30], 12), vec![2, 10]);
}

#[test]
fn wrap_keeps_words_whole() {
    assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
    assert_eq!(wrap("", 5), Vec::<String>::new());
}

#[test]
fn a_concern_escalated_by_triage_shows_its_verdict_reasons_and_recommendation() {
    use crate::domain::triage::Verdict;
    let mut d = Day::standard();
    d.concern(
        40 * 60,
        "C-0042",
        ConcernSource::Watchdog,
        Some("auth-3"),
        "builder-01 restarted on auth-3: no output for 10 min",
        (0.8, Impact::Medium),
    );
    let out = page_text(&d.snap, &Target::Concern("C-0042".into()), 140, 30);
    assert!(out.contains("deciding since"), "waits for triage:\n{out}");
    d.ev(
        50 * 60,
        Some("builder-01"),
        Some("auth-3"),
        EventKind::TriageVerdict {
            concern: "C-0042".into(),
            verdict: Verdict::Escalate,
            action: None,
            recommendation: "respecify auth-3, or give it to another agent".into(),
            reasons: vec!["stalled 3 times in a row on auth-3".into()],
        },
    );
    let out = page_text(&d.snap, &Target::Concern("C-0042".into()), 140, 30);
    assert!(out.contains("escalate at"), "{out}");
    assert!(out.contains("stalled 3 times in a row on auth-3"), "{out}");
    assert!(
        out.contains("respecify auth-3, or give it to another agent"),
        "{out}"
    );
    assert!(
        out.contains("routed to human"),
        "escalated: the operator's\n{out}"
    );
}
