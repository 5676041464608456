//! The modes the keyboard can be in (help, command line, filter, a
//! dismissal's reason, a confirm) and what a key does in each; in the
//! normal mode a key is an action, dispatched by the app.

use super::App;
use crate::engine::Command;
use crate::tui::action::{Key, KeyName};
use crate::tui::command_line::{self, Edited, LineEdit};
use crate::tui::panes::Target;

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
    /// An agent's output, followed (`detail/log_view.rs`).
    Log(Box<crate::tui::detail::log_view::LogView>),
    /// A failed task's new spec is being typed (the morning review).
    Respecify {
        task: crate::domain::TaskId,
        edit: LineEdit,
    },
    /// A watchdog threshold's new value is being typed (the evening review).
    Tune {
        key: &'static str,
        edit: LineEdit,
    },
    /// How much more budget a task gets is being typed.
    Amount {
        task: crate::domain::TaskId,
        edit: LineEdit,
    },
    /// An incident's follow-up is being typed.
    FollowUp {
        id: crate::domain::IncidentId,
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
    /// Stop the swarm and close the console (`:stop`).
    Stop,
}

impl App {
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
                let max = self.help_scroll_max.get();
                let to = |s: u16| Mode::Help { scroll: s.min(max) };
                self.mode = match key.code {
                    KeyName::Char('j') | KeyName::Down => to(scroll.saturating_add(1)),
                    KeyName::Char('k') | KeyName::Up => to(scroll.saturating_sub(1)),
                    KeyName::Char('d') if key.ctrl => to(scroll.saturating_add(10)),
                    KeyName::PageDown => to(scroll.saturating_add(10)),
                    KeyName::Char('u') if key.ctrl => to(scroll.saturating_sub(10)),
                    KeyName::PageUp => to(scroll.saturating_sub(10)),
                    _ => Mode::Normal,
                }
            }
            Mode::CommandLine(mut edit) => {
                if key.code == KeyName::Tab {
                    let (text, hint) =
                        command_line::complete_with_hint(edit.text(), &self.snap, self.readonly);
                    edit.set_text(text);
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
                let state = &mut self.states[self.focus.index()];
                state.selected = 0;
                match done {
                    // Kept: the filtered rows are there to act on (Esc in
                    // the pane clears it).
                    Edited::Entered(text) => state.filter = text,
                    Edited::Cancelled => state.filter.clear(),
                    Edited::Typing => {
                        state.filter = edit.text().to_string();
                        self.mode = Mode::Filter(edit);
                    }
                }
            }
            Mode::Reason { target, mut edit } => match edit.key(key) {
                Edited::Entered(reason) if !reason.trim().is_empty() => {
                    if let Target::Concern(id) = target {
                        // A folded row's duplicates go with it.
                        let reason = reason.trim().to_string();
                        for c in crate::tui::panes::inbox::answered_with(&self.snap, &id) {
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
            Mode::Log(mut view) => {
                if view.key(key) {
                    self.mode = Mode::Log(view);
                }
            }
            Mode::Tune { key: k, mut edit } => match edit.key(key) {
                Edited::Entered(value) => self.tune(k, value.trim()),
                Edited::Cancelled => {}
                Edited::Typing => self.mode = Mode::Tune { key: k, edit },
            },
            Mode::Respecify { task, mut edit } => match edit.key(key) {
                Edited::Entered(spec) => {
                    self.send_checked(
                        Command::RespecifyTask(task.clone(), spec.trim().to_string()),
                        Some(format!("{task} respecified and back in the queue")),
                    );
                }
                Edited::Cancelled => {}
                Edited::Typing => self.mode = Mode::Respecify { task, edit },
            },
            Mode::Amount { task, mut edit } => match edit.key(key) {
                Edited::Entered(text) => {
                    if let Err(why) = self.give_budget(task.clone(), &text) {
                        self.notice = Some(why);
                        self.mode = Mode::Amount {
                            task,
                            edit: LineEdit::with(&text),
                        };
                    }
                }
                Edited::Cancelled => {}
                Edited::Typing => self.mode = Mode::Amount { task, edit },
            },
            Mode::FollowUp { id, mut edit } => match edit.key(key) {
                Edited::Entered(text) => self.send_said(Command::FollowUp(id, text)),
                Edited::Cancelled => {}
                Edited::Typing => self.mode = Mode::FollowUp { id, edit },
            },
            Mode::Confirm { prompt, on_yes } => match (key.code, on_yes) {
                (KeyName::Char('y') | KeyName::Enter, OnYes::Quit) => self.quit = true,
                (KeyName::Char('y') | KeyName::Enter, OnYes::Stop) => {
                    self.ending = super::Ending::Stop;
                    self.quit = true;
                }
                (KeyName::Char('y') | KeyName::Enter, OnYes::Send(commands)) => {
                    self.outbox.extend(commands)
                }
                (KeyName::Char('n') | KeyName::Esc, _) => self.notice = Some("cancelled".into()),
                (_, on_yes) => self.mode = Mode::Confirm { prompt, on_yes },
            },
        }
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
}
