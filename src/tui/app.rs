//! The console's router: focus, the mode stack (help, command line, filter,
//! confirm, reason), drill-down pages, and dispatch of actions to operator
//! commands. It holds no swarm state of its own beyond the last snapshot.

use super::action::{Action, Key, KeyMap, KeyName};
use super::command_line::{self, Edited, LineEdit};
use super::panes::{
    Pane, PaneId, PaneState, Target, burn::BurnPane, convoys::ConvoysPane, inbox::InboxPane,
    merge_queue::MergeQueuePane, watchdog::WatchdogPane,
};
use super::theme::Theme;
use crate::engine::{Command, QueueEnd, check_command};
use crate::swarm::{Snapshot, Speed};

/// What the keyboard is talking to.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    Help {
        scroll: u16,
    },
    CommandLine(LineEdit),
    Filter(LineEdit),
    /// A dismissal's reason is being typed.
    Reason {
        target: Target,
        edit: LineEdit,
    },
    /// A destructive action waits for `y`.
    Confirm {
        prompt: String,
        on_yes: OnYes,
    },
}

/// What `y` does to a confirm.
#[derive(Clone, Debug, PartialEq)]
pub enum OnYes {
    /// Quit the console (and stop the swarm).
    Quit,
    /// Send these commands.
    Send(Vec<Command>),
}

pub struct App {
    pub snap: Snapshot,
    pub theme: Theme,
    pub keys: KeyMap,
    pub readonly: bool,
    pub focus: PaneId,
    pub panes: Vec<Box<dyn Pane>>,
    pub states: Vec<PaneState>,
    /// Drill-down stack; the floor when empty.
    pub pages: Vec<Target>,
    pub mode: Mode,
    /// A line for the operator (a refusal, a confirmation).
    pub notice: Option<String>,
    /// Commands for the engine, taken by the loop.
    pub outbox: Vec<Command>,
    pub quit: bool,
}

impl App {
    pub fn new(snap: Snapshot, theme: Theme, mut keys: KeyMap, readonly: bool) -> App {
        if snap.real_time {
            keys.drop_speed();
        }
        App {
            snap,
            theme,
            keys,
            readonly,
            focus: PaneId::Inbox,
            panes: vec![
                Box::new(ConvoysPane),
                Box::new(WatchdogPane),
                Box::new(BurnPane),
                Box::new(MergeQueuePane),
                Box::new(InboxPane),
            ],
            states: vec![PaneState::default(); 5],
            pages: Vec::new(),
            mode: Mode::Normal,
            notice: None,
            outbox: Vec::new(),
            quit: false,
        }
    }

    pub fn set_snapshot(&mut self, snap: Snapshot) {
        // Panes re-sort as the swarm changes: the cursor follows its row's
        // target, not its position.
        let before: Vec<Option<Target>> = self
            .panes
            .iter()
            .zip(&self.states)
            .map(|(p, st)| p.targets(&self.snap, st).get(st.selected).cloned())
            .collect();
        if snap.real_time && !self.snap.real_time {
            self.keys.drop_speed();
        }
        self.snap = snap;
        for (i, pane) in self.panes.iter().enumerate() {
            let targets = pane.targets(&self.snap, &self.states[i]);
            let st = &mut self.states[i];
            match before[i]
                .as_ref()
                .and_then(|t| targets.iter().position(|x| x == t))
            {
                Some(at) => st.selected = at,
                None => st.selected = st.selected.min(targets.len().saturating_sub(1)),
            }
        }
    }

    pub fn pane(&self, id: PaneId) -> &dyn Pane {
        self.panes[id.index()].as_ref()
    }

    pub fn state(&self, id: PaneId) -> &PaneState {
        &self.states[id.index()]
    }

    fn targets(&self) -> Vec<Target> {
        self.pane(self.focus)
            .targets(&self.snap, self.state(self.focus))
    }

    /// The row under the cursor in the focused pane (or the open page).
    pub fn selected(&self) -> Option<Target> {
        if let Some(p) = self.pages.last() {
            return Some(p.clone());
        }
        self.targets().get(self.state(self.focus).selected).cloned()
    }

    /// Feed one key press.
    pub fn key(&mut self, key: Key) {
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => {
                self.notice = None;
                if let Some(a) = self.keys.action(&key) {
                    self.act(a);
                }
            }
            Mode::Help { scroll } => {
                self.mode = match key.code {
                    KeyName::Char('j') | KeyName::Down => Mode::Help { scroll: scroll + 1 },
                    KeyName::Char('k') | KeyName::Up => Mode::Help {
                        scroll: scroll.saturating_sub(1),
                    },
                    _ => Mode::Normal,
                }
            }
            Mode::CommandLine(mut edit) => {
                if key.code == KeyName::Tab {
                    let (text, hint) =
                        command_line::complete_with_hint(&edit.text, &self.snap, self.readonly);
                    edit.text = text;
                    edit.hint = hint;
                    self.mode = Mode::CommandLine(edit);
                } else {
                    match edit.key(key) {
                        Edited::Entered(text) => self.run_command_line(&text),
                        Edited::Cancelled => {}
                        Edited::Typing => self.mode = Mode::CommandLine(edit),
                    }
                }
            }
            Mode::Filter(mut edit) => {
                let done = edit.key(key);
                self.states[self.focus.index()].filter = edit.text.clone();
                self.states[self.focus.index()].selected = 0;
                match done {
                    Edited::Entered(_) => {}
                    Edited::Cancelled => self.states[self.focus.index()].filter.clear(),
                    Edited::Typing => self.mode = Mode::Filter(edit),
                }
            }
            Mode::Reason { target, mut edit } => match edit.key(key) {
                Edited::Entered(reason) if !reason.trim().is_empty() => {
                    if let Target::Concern(id) = target {
                        // A folded row's duplicates go with it.
                        let reason = reason.trim().to_string();
                        for c in super::panes::inbox::answered_with(&self.snap, &id) {
                            self.outbox.push(Command::DismissConcern(c, reason.clone()));
                        }
                    }
                }
                Edited::Entered(_) => {
                    self.notice = Some("a dismissal needs a reason".into());
                    self.mode = Mode::Reason { target, edit };
                }
                Edited::Cancelled => {}
                Edited::Typing => self.mode = Mode::Reason { target, edit },
            },
            Mode::Confirm { prompt, on_yes } => match (key.code, on_yes) {
                (KeyName::Char('y') | KeyName::Enter, OnYes::Quit) => self.quit = true,
                (KeyName::Char('y') | KeyName::Enter, OnYes::Send(commands)) => {
                    self.outbox.extend(commands)
                }
                (KeyName::Char('n') | KeyName::Esc, _) => self.notice = Some("cancelled".into()),
                (_, on_yes) => self.mode = Mode::Confirm { prompt, on_yes },
            },
        }
    }

    fn confirm(&mut self, prompt: String, commands: Vec<Command>) {
        if commands.is_empty() {
            return;
        }
        self.mode = Mode::Confirm {
            prompt,
            on_yes: OnYes::Send(commands),
        };
    }

    /// Send a command the engine would take, saying `said`; otherwise say
    /// why not (the engine's own reason).
    fn send_checked(&mut self, cmd: Command, said: Option<String>) {
        match check_command(&self.snap.state, &cmd) {
            Ok(()) => {
                if let Some(said) = said {
                    self.say(said);
                }
                self.outbox.push(cmd);
            }
            Err(why) => self.say(why),
        }
    }

    fn say(&mut self, s: impl Into<String>) {
        self.notice = Some(s.into());
    }

    fn move_sel(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let n = self.targets().len();
        let st = &mut self.states[self.focus.index()];
        st.selected = if n == 0 {
            0
        } else {
            to(st.selected, n).min(n - 1)
        };
    }

    /// Do what an action means here.
    pub fn act(&mut self, a: Action) {
        if a.mutates() {
            if !self.readonly {
                self.act_on_swarm(a);
            }
        } else {
            self.act_on_view(a);
        }
    }

    /// An action that changes only what the console shows.
    fn act_on_view(&mut self, a: Action) {
        let sel = self.selected();
        let s = &self.snap.state;
        match a {
            Action::Quit => {
                if self.pages.pop().is_some() {
                    return;
                }
                if s.busy_agents() > 0 && !self.readonly {
                    self.mode = Mode::Confirm {
                        prompt: match s.busy_agents() {
                            1 => "1 agent is working; quit the console and stop the swarm?"
                                .to_string(),
                            n => format!(
                                "{n} agents are working; quit the console and stop the swarm?"
                            ),
                        },
                        on_yes: OnYes::Quit,
                    };
                } else {
                    self.quit = true;
                }
            }
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::CommandLine => self.mode = Mode::CommandLine(LineEdit::default()),
            Action::Filter => {
                let cur = self.state(self.focus).filter.clone();
                self.mode = Mode::Filter(LineEdit {
                    text: cur,
                    hint: String::new(),
                });
            }
            Action::FocusNext | Action::FocusPrev => {
                let i = self.focus.index();
                let n = PaneId::ALL.len();
                let j = if a == Action::FocusNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus = PaneId::ALL[j];
                self.pages.clear();
            }
            Action::FocusConvoys => self.focus_pane(PaneId::Convoys),
            Action::FocusWatchdog => self.focus_pane(PaneId::Watchdog),
            Action::FocusBurn => self.focus_pane(PaneId::Burn),
            Action::FocusMerge => self.focus_pane(PaneId::Merge),
            Action::FocusInbox => self.focus_pane(PaneId::Inbox),
            Action::Down => self.move_sel(|i, _| i + 1),
            Action::Up => self.move_sel(|i, _| i.saturating_sub(1)),
            Action::Top => self.move_sel(|_, _| 0),
            Action::Bottom => self.move_sel(|_, n| n.saturating_sub(1)),
            Action::Mark => {
                if let Some(t) = sel {
                    let st = &mut self.states[self.focus.index()];
                    if !st.marked.remove(&t) {
                        st.marked.insert(t);
                    }
                    self.move_sel(|i, _| i + 1);
                }
            }
            Action::Open => {
                if let Some(t) = sel
                    && self.pages.last() != Some(&t)
                {
                    self.pages.push(t);
                }
            }
            Action::Back => self.back(),
            _ => {}
        }
    }

    /// An action on the inbox's pause points and concerns.
    fn act_on_inbox(&mut self, a: Action, sel: Option<Target>) {
        let s = &self.snap.state;
        match a {
            Action::Approve => {
                let marked: Vec<Command> = self
                    .state(PaneId::Inbox)
                    .marked
                    .iter()
                    .filter_map(|t| match t {
                        Target::Pause(p) => Some(Command::ApprovePause(p.clone())),
                        _ => None,
                    })
                    .filter(|c| check_command(s, c).is_ok())
                    .collect();
                if !marked.is_empty() {
                    self.outbox.extend(marked);
                    self.states[PaneId::Inbox.index()].marked.clear();
                } else if let Some(Target::Pause(p)) = sel {
                    self.outbox.push(Command::ApprovePause(p));
                } else {
                    self.say("select a pause point (or mark some with space) to approve");
                }
            }
            Action::Reject => match sel {
                Some(Target::Pause(p)) => {
                    let reason = s.pause(&p).map(|x| x.reason.clone()).unwrap_or_default();
                    self.confirm(
                        format!("reject {p}: {reason}?"),
                        vec![Command::RejectPause(p)],
                    );
                }
                _ => self.say("select a pause point to reject"),
            },
            Action::Ack | Action::Resolve => match sel {
                // A folded row's duplicates are answered with it.
                Some(Target::Concern(c)) => {
                    let cmds: Vec<Command> = super::panes::inbox::answered_with(&self.snap, &c)
                        .into_iter()
                        .map(|c| {
                            if a == Action::Ack {
                                Command::AckConcern(c)
                            } else {
                                Command::ResolveConcern(c)
                            }
                        })
                        .collect();
                    let first = cmds[0].clone();
                    let ok: Vec<Command> = cmds
                        .into_iter()
                        .filter(|c| check_command(s, c).is_ok())
                        .collect();
                    match check_command(s, &first) {
                        Err(why) if ok.is_empty() => self.say(why),
                        _ => self.outbox.extend(ok),
                    }
                }
                _ => self.say("select a concern"),
            },
            Action::Dismiss => match sel {
                Some(t @ Target::Concern(_)) => {
                    self.mode = Mode::Reason {
                        target: t,
                        edit: LineEdit::default(),
                    }
                }
                _ => self.say("select a concern to dismiss"),
            },
            _ => {}
        }
    }

    /// An action on a task: retry it, or drop or move its merge-queue entry.
    fn act_on_queue(&mut self, a: Action, sel: Option<Target>) {
        let s = &self.snap.state;
        match a {
            Action::Retry => match sel {
                Some(Target::Task(t)) => self.send_checked(Command::RetryTask(t), None),
                _ => self.say("select a failed or blocked task to retry"),
            },
            Action::Drop => match sel {
                Some(Target::Task(t)) => {
                    let cmd = Command::DropTask(t.clone());
                    match check_command(s, &cmd) {
                        Ok(()) => self.confirm(
                            format!("drop {t} from the merge queue? its branch is kept"),
                            vec![cmd],
                        ),
                        Err(why) => self.say(why),
                    }
                }
                _ => self.say("select a queued entry to drop"),
            },
            Action::MoveFront | Action::MoveBack => match sel {
                Some(Target::Task(t)) => {
                    let end = if a == Action::MoveFront {
                        QueueEnd::Front
                    } else {
                        QueueEnd::Back
                    };
                    let said = format!("{t} moves to the {} of the merge queue", end.word());
                    self.send_checked(Command::MoveTask(t, end), Some(said));
                }
                _ => self.say("select a queued entry to move"),
            },
            _ => {}
        }
    }

    /// An action that sends commands to the swarm (each one the engine's
    /// check would take) or says why not.
    fn act_on_swarm(&mut self, a: Action) {
        let sel = self.selected();
        let s = &self.snap.state;
        match a {
            Action::Approve | Action::Reject | Action::Ack | Action::Resolve | Action::Dismiss => {
                self.act_on_inbox(a, sel)
            }
            Action::TogglePause => match sel {
                Some(Target::Agent(id)) => {
                    let held = s.agent(&id).is_some_and(|a| a.held);
                    self.outbox.push(if held {
                        Command::ReleaseAgent(id)
                    } else {
                        Command::HoldAgent(id)
                    });
                }
                Some(Target::Convoy(c)) => {
                    let held = s.held_convoys.contains(&c);
                    self.outbox.push(if held {
                        Command::ReleaseConvoy(c)
                    } else {
                        Command::HoldConvoy(c)
                    });
                }
                _ => self.say("select an agent or a convoy to pause or resume"),
            },
            Action::TogglePauseAll => {
                let all_held =
                    !s.convoys.is_empty() && s.convoys.iter().all(|c| s.held_convoys.contains(c));
                let cmds: Vec<Command> = s
                    .convoys
                    .iter()
                    .filter(|c| s.held_convoys.contains(*c) == all_held)
                    .map(|c| {
                        if all_held {
                            Command::ReleaseConvoy(c.clone())
                        } else {
                            Command::HoldConvoy(c.clone())
                        }
                    })
                    .collect();
                self.say(if all_held {
                    "swarm resumed"
                } else {
                    "swarm paused: no new work starts"
                });
                self.outbox.extend(cmds);
            }
            Action::EmergencyStop => {
                if s.frozen {
                    self.say("already frozen: T thaws");
                } else {
                    self.confirm(
                        format!(
                            "emergency stop: freeze all {} working agents now?",
                            s.busy_agents()
                        ),
                        vec![Command::Freeze],
                    );
                }
            }
            Action::Thaw => self.outbox.push(Command::Thaw),
            Action::Kill => match sel {
                Some(Target::Agent(id)) => {
                    let cmd = Command::KillAgent(id.clone());
                    match check_command(s, &cmd) {
                        Ok(()) => self.confirm(
                            format!("kill {id}? its work stays on its branch and its task goes back to the queue"),
                            vec![cmd],
                        ),
                        Err(why) => self.say(format!("{why}: select a live agent to kill")),
                    }
                }
                _ => self.say("select a live agent to kill"),
            },
            Action::Retry | Action::Drop | Action::MoveFront | Action::MoveBack => {
                self.act_on_queue(a, sel)
            }
            Action::Faster | Action::Slower if self.snap.real_time => {
                self.say(crate::swarm::REAL_TIME)
            }
            Action::Faster | Action::Slower => {
                let cur = Speed::parse(&self.snap.speed).unwrap_or(Speed::Max);
                let next = cur.step(a == Action::Faster);
                self.outbox.push(Command::SetSpeed(next.to_string()));
            }
            _ => {}
        }
    }

    /// Close the open page; on the floor, clear the pane's filter.
    fn back(&mut self) {
        if self.pages.pop().is_none() {
            self.states[self.focus.index()].filter.clear();
        }
    }

    fn focus_pane(&mut self, id: PaneId) {
        self.focus = id;
        self.pages.clear();
    }

    /// Whether the open confirm is the quit question.
    pub fn confirming_quit(&self) -> bool {
        matches!(
            &self.mode,
            Mode::Confirm {
                on_yes: OnYes::Quit,
                ..
            }
        )
    }

    fn run_command_line(&mut self, text: &str) {
        match command_line::parse(text, &self.snap, self.readonly) {
            Ok(command_line::Parsed::Action(a)) => self.act(a),
            Ok(command_line::Parsed::Commands(cmds)) => self.outbox.extend(cmds),
            Ok(command_line::Parsed::Quit) => self.quit = true,
            Err(e) => self.say(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

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
        assert_eq!(e.text, "ack ");
        a.key(Key::parse("tab").unwrap());
        let Mode::CommandLine(e) = &a.mode else {
            panic!("command line")
        };
        assert_eq!(e.text, "ack C-000", "two open concerns share the prefix");
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
}
