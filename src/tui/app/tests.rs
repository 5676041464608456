use super::*;
use crate::domain::*;
use crate::tui::action::{Key, KeyName};

fn concern(s: &mut Snapshot, id: &str, impact: Impact, confidence: f64) {
    s.state.apply(&Event {
        at: 0,
        actor: Actor::Agent,
        agent: None,
        task: None,
        convoy: None,
        model: None,
        session: None,
        kind: EventKind::ConcernRaised {
            id: ConcernId::new(id),
            source: ConcernSource::Agent,
            summary: format!("summary of {id}"),
            confidence,
            impact,
            routing: Routing::for_concern(confidence, impact),
        },
    });
}

fn app() -> App {
    let mut s = Snapshot::default();
    concern(&mut s, "C-0001", Impact::Low, 0.9);
    concern(&mut s, "C-0002", Impact::Medium, 0.9);
    App::new(
        s,
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(false),
        false,
    )
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.key(Key::parse(&c.to_string()).unwrap());
    }
}

#[test]
fn the_header_says_when_agents_run_without_the_sandbox() {
    let mut a = app();
    let header = |a: &App| {
        let text = crate::tui::screenshot::to_text(&crate::tui::screenshot::render(a, 160, 40));
        text.lines().next().unwrap_or("").to_string()
    };
    assert!(!header(&a).contains("SANDBOX OFF"), "{}", header(&a));
    let mut s = a.snap.clone();
    s.sandbox_off = true;
    a.set_snapshot(s);
    assert!(header(&a).contains("SANDBOX OFF"), "{}", header(&a));
}

#[test]
fn the_cursor_follows_its_row_when_rows_reorder() {
    let mut a = app();
    a.focus = PaneId::Inbox;
    press(&mut a, "j");
    let chosen = a.selected().unwrap();
    // A more urgent concern arrives and sorts above.
    let mut s = a.snap.clone();
    concern(&mut s, "C-0003", Impact::Critical, 0.2);
    a.set_snapshot(s);
    assert_eq!(a.selected(), Some(chosen));
}

#[test]
fn dismissing_asks_for_a_reason_and_sends_it() {
    let mut a = app();
    a.focus = PaneId::Inbox;
    let target = a.selected().unwrap();
    press(&mut a, "d");
    assert!(matches!(a.mode, Mode::Reason { .. }));
    a.key(Key::parse("enter").unwrap());
    assert!(a.outbox.is_empty(), "an empty reason is refused");
    press(&mut a, "dup");
    a.key(Key::parse("enter").unwrap());
    let Target::Concern(id) = target else {
        panic!("a concern row")
    };
    assert_eq!(a.outbox, vec![Command::DismissConcern(id, "dup".into())]);
}

#[test]
fn destructive_actions_confirm_and_readonly_leaves_them_out() {
    let mut a = app();
    press(&mut a, "X");
    assert!(matches!(a.mode, Mode::Confirm { .. }));
    press(&mut a, "n");
    assert!(a.outbox.is_empty());
    press(&mut a, "Xy");
    assert_eq!(a.outbox, vec![Command::Freeze]);
    let mut ro = App::new(
        a.snap.clone(),
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(true),
        true,
    );
    press(&mut ro, "Xy5a");
    assert!(ro.outbox.is_empty());
    ro.act(Action::EmergencyStop);
    assert!(ro.outbox.is_empty(), "even dispatched directly");
}

#[test]
fn the_command_line_completes_and_runs() {
    let mut a = app();
    press(&mut a, ":");
    press(&mut a, "ac");
    a.key(Key::parse("tab").unwrap());
    let Mode::CommandLine(e) = &a.mode else {
        panic!("command line")
    };
    assert_eq!(e.text(), "ack ");
    a.key(Key::parse("tab").unwrap());
    let Mode::CommandLine(e) = &a.mode else {
        panic!("command line")
    };
    assert_eq!(e.text(), "ack C-000", "two open concerns share the prefix");
    press(&mut a, "2");
    a.key(Key::parse("enter").unwrap());
    assert_eq!(
        a.outbox,
        vec![Command::AckConcern(ConcernId::new("C-0002"))]
    );
}

#[test]
fn move_keys_send_move_task_for_the_selected_queued_entry() {
    let d = crate::tui::detail::tests::Day::deep();
    let mut a = App::new(
        d.snap.clone(),
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(false),
        false,
    );
    press(&mut a, "4");
    assert_eq!(a.selected(), Some(Target::Task(TaskId::new("auth-7"))));
    press(&mut a, "]");
    press(&mut a, "j[");
    assert_eq!(
        a.outbox,
        vec![
            Command::MoveTask(TaskId::new("auth-7"), QueueEnd::Back),
            Command::MoveTask(TaskId::new("auth-4"), QueueEnd::Front),
        ]
    );
    // Not a queued entry: the engine's reason, no command.
    a.outbox.clear();
    press(&mut a, "j[");
    assert!(a.outbox.is_empty());
    assert!(
        a.notice
            .as_deref()
            .unwrap_or("")
            .ends_with("not in the merge queue"),
        "{:?}",
        a.notice
    );
    // Retry and drop act on the selected row of the pane too.
    press(&mut a, "jR");
    assert_eq!(a.outbox, vec![Command::RetryTask(TaskId::new("auth-6"))]);
    a.outbox.clear();
    press(&mut a, "gDy");
    assert_eq!(a.outbox, vec![Command::DropTask(TaskId::new("auth-7"))]);
    // From the task page, the keys act on its task.
    a.outbox.clear();
    press(&mut a, "j");
    a.key(Key::parse("enter").unwrap());
    press(&mut a, "[");
    assert_eq!(
        a.outbox,
        vec![Command::MoveTask(TaskId::new("auth-4"), QueueEnd::Front)]
    );
    // Read-only: no key moves anything, and the command line refuses.
    let mut ro = App::new(
        d.snap.clone(),
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(true),
        true,
    );
    assert!(ro.keys.keys(Action::MoveFront).is_empty());
    assert!(ro.keys.keys(Action::MoveBack).is_empty());
    press(&mut ro, "4[]");
    ro.act(Action::MoveFront);
    press(&mut ro, ":");
    for c in "move auth-7 front".chars() {
        ro.key(Key {
            code: KeyName::Char(c),
            ctrl: false,
        });
    }
    ro.key(Key::parse("enter").unwrap());
    assert!(ro.outbox.is_empty());
    assert!(ro.notice.as_deref().unwrap_or("").contains("read-only"));
}

#[test]
fn a_filter_survives_enter_so_its_rows_can_be_acted_on_and_esc_clears_it() {
    let mut a = app();
    a.focus = PaneId::Inbox;
    press(&mut a, "/");
    press(&mut a, "C-0001");
    a.key(Key::parse("enter").unwrap());
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.state(PaneId::Inbox).filter, "C-0001", "kept after Enter");
    // The one row left is the one acted on.
    assert_eq!(
        a.selected(),
        Some(Target::Concern(ConcernId::new("C-0001")))
    );
    press(&mut a, "a");
    assert_eq!(
        a.outbox,
        vec![Command::AckConcern(ConcernId::new("C-0001"))]
    );
    a.key(Key::parse("esc").unwrap());
    assert_eq!(a.state(PaneId::Inbox).filter, "", "Esc clears it");
}

#[test]
fn m_on_an_agent_writes_mail_to_it_from_the_command_line() {
    let mut a = app();
    a.pages.push(Target::Agent("builder-01".into()));
    press(&mut a, "m");
    assert_eq!(
        a.mode,
        Mode::CommandLine(LineEdit::with("mail builder-01 "))
    );
    press(&mut a, "read the spec again");
    a.key(Key::parse("enter").unwrap());
    assert_eq!(
        a.outbox,
        vec![Command::SendMail {
            to: "builder-01".into(),
            text: "read the spec again".into()
        }]
    );
    // The command line alone, to a team or an agent by name.
    let mut a = app();
    press(&mut a, ":mail core stop at noon");
    a.key(Key::parse("enter").unwrap());
    assert_eq!(
        a.outbox,
        vec![Command::SendMail {
            to: "core".into(),
            text: "stop at noon".into()
        }]
    );
}

fn line(app: &mut App, text: &str) {
    press(app, ":");
    press(app, text);
    app.key(Key::parse("enter").unwrap());
}

#[test]
fn an_attached_console_quits_without_asking_and_stops_the_swarm_only_when_confirmed() {
    let mut a = app();
    a.attached = true;
    press(&mut a, "q");
    assert!(a.quit, "q detaches at once");
    assert_eq!(a.ending, Ending::Quit);

    let mut a = app();
    a.attached = true;
    line(&mut a, "stop");
    assert!(!a.quit, "asked first");
    press(&mut a, "n");
    assert!(!a.quit && a.ending == Ending::Quit, "cancelled");
    line(&mut a, "stop");
    press(&mut a, "y");
    assert!(a.quit);
    assert_eq!(a.ending, Ending::Stop);
    assert!(
        a.outbox.is_empty(),
        "the stop is the console's end, not a command"
    );
}

#[test]
fn detach_leaves_the_swarm_and_a_read_only_console_cannot_stop_it() {
    let mut a = app();
    line(&mut a, "detach");
    assert!(a.quit);
    assert_eq!(a.ending, Ending::Detach);

    let mut ro = App::new(
        Snapshot::default(),
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(true),
        true,
    );
    ro.attached = true;
    line(&mut ro, "stop");
    assert!(!ro.quit);
    assert!(
        ro.notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only")),
        "{:?}",
        ro.notice
    );
}
