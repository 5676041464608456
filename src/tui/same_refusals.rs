//! The console and the engine refuse the same commands for the same
//! reasons: every task and agent of a deep day, every action that sends a
//! command about one, checked against `engine::check_command`.

use super::action::{Action, KeyMap};
use super::app::{App, Mode, OnYes};
use super::panes::Target;
use super::theme::Theme;
use crate::domain::{AgentId, TaskId};
use crate::engine::{Command, QueueEnd, check_command};

fn app() -> App {
    let d = crate::tui::detail::tests::Day::deep();
    App::new(
        d.snap,
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(false),
        false,
    )
}

/// Act on `target` (from its page) and return what would be sent, after a
/// `y` to any confirm, and the line the console said.
fn act_on(target: Target, action: Action) -> (Vec<Command>, Option<String>) {
    let mut a = app();
    a.pages.push(target);
    a.act(action);
    if let Mode::Confirm {
        on_yes: OnYes::Send(cmds),
        ..
    } = &a.mode
    {
        return (cmds.clone(), a.notice.clone());
    }
    (a.outbox.clone(), a.notice.clone())
}

fn agrees(target: Target, action: Action, cmd: Command, a: &App) -> usize {
    let (sent, said) = act_on(target, action);
    match check_command(&a.snap.state, &cmd) {
        Ok(()) => {
            assert_eq!(sent, vec![cmd], "{action:?}: the engine takes it");
            0
        }
        Err(why) => {
            assert!(sent.is_empty(), "{action:?}: {cmd:?} sent though {why}");
            let said = said.unwrap_or_default();
            assert!(
                said.contains(&why),
                "{action:?}: said {said:?}, the engine: {why:?}"
            );
            1
        }
    }
}

#[test]
fn task_commands_are_refused_by_both_for_the_engines_reason() {
    let a = app();
    let tasks: Vec<TaskId> = a.snap.state.tasks.keys().cloned().collect();
    assert!(tasks.len() > 5);
    let mut refused = 0;
    for t in &tasks {
        let target = || Target::Task(t.clone());
        refused += agrees(target(), Action::Retry, Command::RetryTask(t.clone()), &a);
        refused += agrees(target(), Action::Drop, Command::DropTask(t.clone()), &a);
        let front = Command::MoveTask(t.clone(), QueueEnd::Front);
        refused += agrees(target(), Action::MoveFront, front, &a);
        let back = Command::MoveTask(t.clone(), QueueEnd::Back);
        refused += agrees(target(), Action::MoveBack, back, &a);
    }
    // Both ways were seen: some taken, some refused.
    assert!(refused > 0 && refused < 4 * tasks.len(), "{refused}");
}

#[test]
fn kill_is_refused_by_both_for_a_retired_agent() {
    let mut a = app();
    let id: AgentId = a.snap.state.agents.keys().next().unwrap().clone();
    agrees(
        Target::Agent(id.clone()),
        Action::Kill,
        Command::KillAgent(id.clone()),
        &a,
    );
    // Retire it: the engine refuses now, and so does the console.
    a.snap.state.agents.get_mut(&id).unwrap().phase = crate::domain::AgentPhase::Retired;
    let why = check_command(&a.snap.state, &Command::KillAgent(id.clone())).unwrap_err();
    assert_eq!(why, format!("{id} is retired"));
    let mut console = app();
    console.snap = a.snap.clone();
    console.pages.push(Target::Agent(id.clone()));
    console.act(Action::Kill);
    assert!(
        matches!(console.mode, Mode::Normal),
        "no confirm for a retired agent"
    );
    assert!(console.outbox.is_empty());
    assert!(console.notice.unwrap_or_default().contains(&why));
}
