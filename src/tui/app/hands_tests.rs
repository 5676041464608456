//! The operator's hands: more budget from a budget concern, what a retry
//! did said in the status line, incident records and their follow-ups.

use super::*;
use crate::domain::*;
use crate::tui::action::Key;

fn ev(task: Option<&str>, kind: EventKind) -> Event {
    Event {
        at: 0,
        actor: Actor::Engine,
        agent: None,
        task: task.map(TaskId::new),
        convoy: None,
        model: None,
        session: None,
        kind,
    }
}

/// A task `t1` stopped at its $6.00 budget, its concern (C-0001) with the
/// operator, and `t2` waiting on it.
fn stopped() -> App {
    let mut s = Snapshot {
        budget_task: Money::from_dollars(6.0),
        ..Snapshot::default()
    };
    for id in ["t1", "t2"] {
        let spec = TaskSpec {
            id: TaskId::new(id),
            title: format!("do {id}"),
            spec: String::new(),
            convoy: ConvoyId::new("a"),
            priority: 0,
            scope: vec![],
            checks: vec![],
            after: vec![],
            tier: None,
            behaviour: None,
            night: false,
            issue: None,
        };
        s.state.apply(&ev(Some(id), EventKind::TaskAdded { spec }));
    }
    let blocked = |reason: &str| EventKind::TaskBlocked {
        reason: reason.into(),
    };
    s.state.apply(&ev(
        Some("t1"),
        blocked("spent $6.10 of its $6.00 budget; work kept on its branch"),
    ));
    s.state
        .apply(&ev(Some("t2"), blocked("waits on t1, which is blocked")));
    s.state.apply(&ev(
        Some("t1"),
        EventKind::ConcernRaised {
            id: ConcernId::new("C-0001"),
            source: ConcernSource::Budget,
            summary: "t1 stopped: spent $6.10 of its $6.00 budget".into(),
            confidence: 0.5,
            impact: Impact::Critical,
            routing: Routing::Human,
        },
    ));
    let mut a = App::new(
        s,
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(false),
        false,
    );
    a.focus = PaneId::Inbox;
    a
}

fn press(app: &mut App, keys: &[&str]) {
    for k in keys {
        app.key(Key::parse(k).unwrap());
    }
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.key(Key::parse(&c.to_string()).unwrap());
    }
}

fn line(app: &mut App, text: &str) {
    press(app, &[":"]);
    typed(app, text);
    press(app, &["enter"]);
}

#[test]
fn more_budget_from_the_concern_starts_at_half_and_says_what_it_did() {
    let mut a = stopped();
    assert_eq!(
        a.selected(),
        Some(Target::Concern(ConcernId::new("C-0001")))
    );
    press(&mut a, &["b"]);
    let Mode::Amount { task, edit } = &a.mode else {
        panic!("the amount prompt, not {:?}", a.mode)
    };
    assert_eq!(task.as_str(), "t1");
    assert_eq!(edit.text(), "3.00", "half its budget");
    press(&mut a, &["enter"]);
    assert_eq!(
        a.outbox,
        vec![Command::RaiseBudget(
            TaskId::new("t1"),
            Money::from_dollars(3.0)
        )]
    );
    assert_eq!(
        a.notice.as_deref(),
        Some("t1's budget raised by $3.00 to $9.00; it goes back to the queue, its branch kept")
    );
}

#[test]
fn a_bad_amount_keeps_the_prompt_and_says_why() {
    let mut a = stopped();
    press(&mut a, &["b", "ctrl-u"]);
    typed(&mut a, "lots");
    press(&mut a, &["enter"]);
    assert!(a.outbox.is_empty());
    assert!(matches!(a.mode, Mode::Amount { .. }), "{:?}", a.mode);
    assert!(a.notice.as_deref().unwrap_or("").contains("3.50 or 50%"));
    press(&mut a, &["esc"]);
    assert_eq!(a.mode, Mode::Normal);
    assert!(a.outbox.is_empty(), "cancelled");
}

#[test]
fn the_command_line_gives_budget_and_retries_saying_so() {
    let mut a = stopped();
    line(&mut a, "budget t1 50%");
    assert_eq!(
        a.outbox,
        vec![Command::RaiseBudget(
            TaskId::new("t1"),
            Money::from_dollars(3.0)
        )]
    );
    a.outbox.clear();
    line(&mut a, "retry t1");
    assert_eq!(a.outbox, vec![Command::RetryTask(TaskId::new("t1"))]);
    assert_eq!(
        a.notice.as_deref(),
        Some("retried: t1 goes back to the queue, its branch kept; 1 task(s) waiting on it follow")
    );
    a.outbox.clear();
    line(&mut a, "retry t9");
    assert!(a.outbox.is_empty());
    assert_eq!(a.notice.as_deref(), Some("no task t9"));
}

#[test]
fn an_incident_is_opened_with_one_key_listed_and_followed_up() {
    let mut a = stopped();
    press(&mut a, &["I"]);
    let source = IncidentSource::Concern(ConcernId::new("C-0001"));
    assert_eq!(a.outbox, vec![Command::OpenIncident(source.clone())]);
    assert!(
        a.notice
            .as_deref()
            .unwrap_or("")
            .starts_with("incident I-0001 opened for C-0001"),
        "{:?}",
        a.notice
    );
    a.outbox.clear();
    // The swarm records it; the next snapshot has it.
    let mut s = a.snap.clone();
    s.state.apply(&ev(
        Some("t1"),
        EventKind::IncidentOpened {
            id: IncidentId::new("I-0001"),
            source,
            title: "C-0001: t1 stopped".into(),
            decided_by: "nobody yet: still open".into(),
        },
    ));
    a.set_snapshot(s);
    press(&mut a, &["i"]);
    assert_eq!(a.pages.last(), Some(&Target::Incidents));
    assert_eq!(
        a.selected(),
        Some(Target::Incident(IncidentId::new("I-0001")))
    );
    let screen = crate::tui::screenshot::to_text(&crate::tui::screenshot::render(&a, 120, 30));
    assert!(screen.contains("incident records (1)"), "{screen}");
    assert!(screen.contains("▶ I-0001"), "{screen}");
    press(&mut a, &["f"]);
    typed(&mut a, "a bigger budget");
    press(&mut a, &["enter"]);
    assert_eq!(
        a.outbox,
        vec![Command::FollowUp(
            IncidentId::new("I-0001"),
            "a bigger budget".into()
        )]
    );
    // Enter opens the record's own page.
    press(&mut a, &["enter"]);
    assert_eq!(
        a.pages.last(),
        Some(&Target::Incident(IncidentId::new("I-0001")))
    );
}

#[test]
fn a_task_that_did_not_fail_makes_no_incident() {
    let mut a = stopped();
    line(&mut a, "incident t2");
    assert!(a.outbox.is_empty());
    assert!(
        a.notice.as_deref().unwrap_or("").contains("t2 is blocked"),
        "{:?}",
        a.notice
    );
}

#[test]
fn rows_on_a_convoy_page_are_selected_and_opened() {
    let mut a = stopped();
    a.pages.push(Target::Convoy(ConvoyId::new("a")));
    let screen = crate::tui::screenshot::to_text(&crate::tui::screenshot::render(&a, 120, 30));
    assert!(screen.contains("▶ t1"), "{screen}");
    press(&mut a, &["j"]);
    let screen = crate::tui::screenshot::to_text(&crate::tui::screenshot::render(&a, 120, 30));
    assert!(screen.contains("▶ t2"), "{screen}");
    press(&mut a, &["j"]);
    assert_eq!(a.page_sel, 1, "stays on the last row");
    press(&mut a, &["enter"]);
    assert_eq!(a.pages.last(), Some(&Target::Task(TaskId::new("t2"))));
    // The task page offers its concern... t2 has none, t1 has one.
    press(&mut a, &["esc", "k", "enter"]);
    assert_eq!(a.pages.last(), Some(&Target::Task(TaskId::new("t1"))));
    let screen = crate::tui::screenshot::to_text(&crate::tui::screenshot::render(&a, 120, 30));
    assert!(screen.contains("▶ concern   C-0001"), "{screen}");
    press(&mut a, &["enter"]);
    assert_eq!(
        a.pages.last(),
        Some(&Target::Concern(ConcernId::new("C-0001")))
    );
}

#[test]
fn a_page_taller_than_the_screen_scrolls() {
    let mut a = stopped();
    a.pages.push(Target::Concern(ConcernId::new("C-0001")));
    let draw =
        |a: &App| crate::tui::screenshot::to_text(&crate::tui::screenshot::render(a, 80, 10));
    let first = draw(&a);
    assert!(first.contains("ctrl-d scrolls"), "{first}");
    let max = a.page_scroll_max.get();
    assert!(max > 0);
    press(&mut a, &["ctrl-d"]);
    assert_eq!(a.page_scroll, 10.min(max));
    let scrolled = draw(&a);
    assert_ne!(first, scrolled);
    assert!(
        scrolled.contains(&format!("line {} of {}", a.page_scroll + 1, max + 1)),
        "{scrolled}"
    );
    for _ in 0..50 {
        press(&mut a, &["ctrl-d"]);
    }
    assert_eq!(a.page_scroll, max, "no further than the end");
    press(&mut a, &["ctrl-u"]);
    assert_eq!(a.page_scroll, max.saturating_sub(10));
    press(&mut a, &["esc"]);
    assert_eq!(a.page_scroll, 0);
}

#[test]
fn healthy_agents_unfold_into_rows_to_select() {
    let mut a = stopped();
    let mut s = a.snap.clone();
    for n in 1..=12 {
        let mut e = ev(
            None,
            EventKind::AgentRegistered {
                model: "m".into(),
                runtime: "sim".into(),
            },
        );
        e.agent = Some(AgentId::builder(n));
        s.state.apply(&e);
    }
    a.set_snapshot(s);
    let watchdog = |a: &App| {
        a.pane(PaneId::Watchdog)
            .targets(&a.snap, a.state(PaneId::Watchdog))
    };
    assert!(
        watchdog(&a).is_empty(),
        "twelve healthy agents fold into teams"
    );
    press(&mut a, &["u"]);
    assert_eq!(a.focus, PaneId::Watchdog);
    assert_eq!(watchdog(&a).len(), 12);
    press(&mut a, &["j"]);
    assert_eq!(a.selected(), Some(Target::Agent(AgentId::builder(2))));
    press(&mut a, &["u"]);
    assert!(watchdog(&a).is_empty());
}
