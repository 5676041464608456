//! The console's router: focus, the mode stack (help, command line, filter,
//! confirm, reason), drill-down pages, and dispatch of actions to operator
//! commands. It holds no swarm state of its own beyond the last snapshot.

use super::action::{Action, KeyMap};
use super::command_line::{self, LineEdit};
use super::panes::{
    Pane, PaneId, PaneState, Target, burn::BurnPane, convoys::ConvoysPane, inbox::InboxPane,
    merge_queue::MergeQueuePane, watchdog::WatchdogPane,
};
use super::theme::Theme;
use crate::engine::{Command, QueueEnd, check_command};
use crate::swarm::{Snapshot, Speed};

mod modes;

pub use modes::{Mode, OnYes};

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
                self.mode = Mode::Filter(LineEdit::with(&cur));
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
            Action::Accept => match sel {
                Some(Target::Concern(c)) => match crate::engine::accept::proposal(s, &c) {
                    Ok((_, action)) => {
                        self.say(format!("{c}: accepted, triage will {}", action.describe()));
                        self.outbox.push(Command::AcceptTriage(c));
                    }
                    Err(why) => self.say(why),
                },
                _ => self.say("select a concern escalated by triage"),
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
            Action::Approve
            | Action::Reject
            | Action::Ack
            | Action::Resolve
            | Action::Dismiss
            | Action::Accept => self.act_on_inbox(a, sel),
            Action::TogglePause => self.toggle_pause(sel),
            Action::TogglePauseAll => self.toggle_pause_all(),
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
                            format!("kill {id}'s session? its work stays on its branch, its task goes back to the queue, and {id} takes new work"),
                            vec![cmd],
                        ),
                        Err(why) => self.say(format!("{why}: select a working agent to kill its session")),
                    }
                }
                _ => self.say("select a working agent to kill its session"),
            },
            Action::Retire => match sel {
                Some(Target::Agent(id)) => {
                    let cmd = Command::RetireAgent(id.clone());
                    match check_command(s, &cmd) {
                        Ok(()) => self.confirm(
                            format!("retire {id} for good? it leaves the pool; a session it runs stops and its work stays on its branch"),
                            vec![cmd],
                        ),
                        Err(why) => self.say(format!("{why}: select an agent to retire")),
                    }
                }
                _ => self.say("select an agent to retire"),
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

    /// Hold or release the selected agent or convoy.
    fn toggle_pause(&mut self, sel: Option<Target>) {
        let s = &self.snap.state;
        match sel {
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
        }
    }

    /// Hold every convoy, or release them all when all are held.
    fn toggle_pause_all(&mut self) {
        let s = &self.snap.state;
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
mod tests;
