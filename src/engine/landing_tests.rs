//! Engine tests of what a landing reports back: the operator's checkout
//! holding landings, a branch with no change, the `ai` tier's removals, its
//! spend and an endpoint that cannot be reached. Virtual time, no I/O.

use super::*;
use crate::domain::SECOND;

const T0: Millis = 1_772_442_000_000;

fn spec(id: &str) -> TaskSpec {
    TaskSpec {
        id: TaskId::new(id),
        title: format!("do {id}"),
        spec: String::new(),
        convoy: ConvoyId::new("c"),
        priority: 0,
        scope: vec![format!("src/{id}/**")],
        checks: vec![],
        after: vec![],
        tier: None,
        behaviour: None,
        issue: None,
        night: false,
    }
}

pub(super) struct H {
    pub e: Engine,
    now: Millis,
}

impl H {
    /// `tasks` started, done, gated and queued: the returned step holds the
    /// `Land` effect of the last.
    fn queued(tasks: &[&str]) -> (H, Step) {
        Self::queued_with(tasks, MergeSettings::default())
    }

    /// As [`H::queued`], the merge queue set up as `merge` says.
    pub(super) fn queued_with(tasks: &[&str], merge: MergeSettings) -> (H, Step) {
        let mut e = Engine::new(Settings {
            agents: tasks.len(),
            max_live: tasks.len(),
            merge,
            ..Settings::default()
        });
        let specs: Vec<TaskSpec> = tasks.iter().map(|t| spec(t)).collect();
        e.bootstrap(T0, &specs);
        let mut h = H { e, now: T0 };
        let mut last = Step::default();
        for t in tasks {
            let session =
                h.e.sessions()
                    .find(|(_, _, x)| x.as_str() == *t)
                    .map(|(s, _, _)| s.clone())
                    .unwrap();
            h.at(Input::AgentLine {
                session,
                line: "::done::ok".into(),
            });
            last = h.at(Input::GatesFinished {
                task: TaskId::new(*t),
                passed: true,
                gate: String::new(),
                output: String::new(),
                findings: Vec::new(),
                changed: Vec::new(),
            });
        }
        (h, last)
    }

    pub(super) fn at(&mut self, input: Input) -> Step {
        self.now += SECOND;
        self.e.step(self.now, input)
    }

    fn landed(
        &mut self,
        results: Vec<(&str, MergeOutcome)>,
        held: &[&str],
        ai: Option<&str>,
    ) -> Step {
        self.at(Input::Landed {
            runs: Vec::new(),
            results: results
                .into_iter()
                .map(|(t, o)| (TaskId::new(t), o))
                .collect(),
            error: None,
            held: held.iter().map(|s| s.to_string()).collect(),
            ai_unreachable: ai.map(str::to_string),
            spent: Vec::new(),
        })
    }
}

fn lands(step: &Step) -> bool {
    step.effects
        .iter()
        .any(|e| matches!(e, Effect::Land { .. }))
}

fn count(step: &Step, kind: &str) -> usize {
    step.events.iter().filter(|e| e.kind.name() == kind).count()
}

pub(super) fn merged(commit: &str) -> MergeOutcome {
    MergeOutcome::Merged {
        commit: commit.into(),
        tier: "clean".into(),
        removals: Vec::new(),
    }
}

#[test]
fn a_dirty_checkout_holds_landings_with_one_pause_point_until_it_is_clean() {
    let (mut h, step) = H::queued(&["t1"]);
    assert!(lands(&step));
    let step = h.landed(vec![], &["README.md", "src/lib.rs"], None);
    let pauses: Vec<&Event> = step
        .events
        .iter()
        .filter(|e| e.kind.name() == "pause_requested")
        .collect();
    assert_eq!(pauses.len(), 1);
    let EventKind::PauseRequested { id, pause, reason } = &pauses[0].kind else {
        unreachable!()
    };
    assert_eq!(*pause, PauseKind::Checkout);
    assert!(reason.contains("README.md, src/lib.rs"), "{reason}");
    let id = id.clone();
    assert_eq!(
        h.e.state().tasks[&TaskId::new("t1")].status,
        TaskStatus::Queued
    );
    // Not the operator's to approve, nor swept up by approve-all.
    assert!(
        h.e.check_command(&Command::ApprovePause(id.clone()))
            .is_err()
    );
    assert_eq!(
        count(&h.at(Input::Operator(Command::ApproveAll)), "pause_decided"),
        0
    );
    // Looked at again after a while, not at every tick; one pause point only.
    assert!(!lands(&h.at(Input::Tick)));
    let mut again = Step::default();
    for _ in 0..5 {
        again = h.at(Input::Tick);
        if lands(&again) {
            break;
        }
    }
    assert!(lands(&again));
    assert_eq!(
        count(&h.landed(vec![], &["README.md"], None), "pause_requested"),
        0
    );
    for _ in 0..6 {
        again = h.at(Input::Tick);
        if lands(&again) {
            break;
        }
    }
    assert!(lands(&again));
    // Clean now: it lands, and the engine decides the pause point.
    let step = h.landed(vec![("t1", merged("c1"))], &[], None);
    assert_eq!(count(&step, "pause_decided"), 1);
    assert_eq!(
        h.e.state().tasks[&TaskId::new("t1")].status,
        TaskStatus::Merged
    );
    assert_eq!(h.e.state().waiting_pauses().count(), 0);
}

#[test]
fn a_branch_with_no_change_is_blocked_with_a_concern_not_merged() {
    let (mut h, _) = H::queued(&["t1"]);
    let step = h.landed(
        vec![(
            "t1",
            MergeOutcome::Unchanged {
                commit: "0123456789abcdef".into(),
            },
        )],
        &[],
        None,
    );
    let t = &h.e.state().tasks[&TaskId::new("t1")];
    assert_eq!(t.status, TaskStatus::Blocked);
    assert!(
        t.reason.as_deref().unwrap().starts_with("no change"),
        "{:?}",
        t.reason
    );
    assert_eq!(t.merged_commit, None);
    assert_eq!(t.outcome.as_deref(), Some("unchanged"));
    assert_eq!(h.e.state().merges, 0);
    assert_eq!(count(&step, "concern_raised"), 1);
}

#[test]
fn ai_removals_raise_a_concern_with_each_line_and_reason() {
    let (mut h, _) = H::queued(&["t1"]);
    let outcome = MergeOutcome::Merged {
        commit: "c1".into(),
        tier: "ai".into(),
        removals: vec![Removal {
            file: "src/reg.rs".into(),
            line: "pub const OWNER: u8 = 0;".into(),
            why: "the owner is the task that landed last".into(),
        }],
    };
    let step = h.landed(vec![("t1", outcome)], &[], None);
    let summary = step
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ConcernRaised { summary, .. } => Some(summary.clone()),
            _ => None,
        })
        .expect("a concern");
    assert!(
        summary.contains(
            "src/reg.rs: pub const OWNER: u8 = 0; -- the owner is the task that landed last"
        ),
        "{summary}"
    );
    assert_eq!(h.e.state().merges, 1);
}

#[test]
fn an_unreachable_ai_endpoint_is_one_concern_not_one_per_conflict() {
    let (mut h, _) = H::queued(&["t1", "t2"]);
    let conflicted = || MergeOutcome::Conflicted {
        files: vec!["src/x.rs".into()],
        why: "ai on src/x.rs: cannot be reached".into(),
    };
    let url = Some("http://127.0.0.1:9/v1/messages");
    let first = h.landed(vec![("t1", conflicted()), ("t2", conflicted())], &[], url);
    assert_eq!(count(&first, "concern_raised"), 1);
    let again = h.landed(vec![], &[], url);
    assert_eq!(count(&again, "concern_raised"), 0);
    let c = h.e.state().open_concerns().next().unwrap();
    assert!(
        c.summary.contains("http://127.0.0.1:9/v1/messages"),
        "{}",
        c.summary
    );
}

#[test]
fn the_ai_tiers_calls_are_shiftboss_usage_in_the_day_and_its_budget() {
    let (mut h, step) = H::queued(&["t1"]);
    assert!(lands(&step));
    // Two answers (a dated id priced as its model): 2 × (100k in + 20k out)
    // at $3 and $15 a million = $1.20, over a $1 day.
    h.e.settings.budget_day = Money::from_dollars(1.0);
    let call = ModelSpend {
        model: "claude-sonnet-4-5-20250929".into(),
        usage: Usage {
            input: 100_000,
            output: 20_000,
            ..Usage::default()
        },
    };
    let step = h.at(Input::Landed {
        runs: Vec::new(),
        results: vec![(TaskId::new("t1"), merged("c1"))],
        error: None,
        held: Vec::new(),
        ai_unreachable: None,
        spent: vec![(TaskId::new("t1"), call.clone()), (TaskId::new("t1"), call)],
    });
    let own: Vec<&Event> = step
        .events
        .iter()
        .filter(|e| e.kind.name() == "usage_recorded")
        .collect();
    assert_eq!(own.len(), 2);
    for ev in &own {
        assert_eq!(ev.actor, Actor::Shiftboss);
        assert_eq!((ev.agent.as_ref(), ev.session.as_ref()), (None, None));
        assert_eq!(ev.task, Some(TaskId::new("t1")));
        assert_eq!(ev.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        let EventKind::UsageRecorded { cost, .. } = &ev.kind else {
            unreachable!()
        };
        assert_eq!(*cost, Money::from_dollars(0.6));
    }
    let s = h.e.state();
    assert_eq!(s.spend_own, Money::from_dollars(1.2));
    assert_eq!(s.spend_day, Money::from_dollars(1.2));
    assert_eq!(s.tasks[&TaskId::new("t1")].cost, Money::from_dollars(1.2));
    assert!(s.agents.values().all(|a| a.cost == Money::ZERO));
    // The day's hard limit sees it.
    assert!(step.events.iter().any(|e| matches!(
        e.kind,
        EventKind::BudgetReached {
            scope: BudgetScope::Day,
            hard: true,
            ..
        }
    )));
}
