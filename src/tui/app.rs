//! The console's router: focus, the mode stack (help, command line, filter,
//! confirm, reason), drill-down pages, and dispatch of actions to operator
//! commands. It holds no swarm state of its own beyond the last snapshot.

use super::action::{Action, KeyMap};
use super::command_line::{self, LineEdit};
use super::detail::log_view::LogView;
use super::panes::{
    Pane, PaneId, PaneState, Target, burn::BurnPane, convoys::ConvoysPane, inbox::InboxPane,
    merge_queue::MergeQueuePane, watchdog::WatchdogPane,
};
use super::theme::Theme;
use crate::engine::{Command, QueueEnd, check_command};
use crate::swarm::{Snapshot, Speed};

mod budget;
mod incidents;
mod modes;
mod review;

pub use budget::{default_amount, parse_amount, task_of};
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
    /// The selected row of the open page, on pages with rows.
    pub page_sel: usize,
    /// How far the open page is scrolled, in lines.
    pub page_scroll: u16,
    /// How far it can scroll, as the last draw found.
    pub page_scroll_max: std::cell::Cell<u16>,
    /// How far the help can scroll, as the last draw found.
    pub help_scroll_max: std::cell::Cell<u16>,
    pub mode: Mode,
    /// Symbols as Unicode, or ASCII stand-ins where the font lacks them.
    pub glyphs: super::glyphs::Glyphs,
    /// A line for the operator (a refusal, a confirmation).
    pub notice: Option<String>,
    /// Commands for the engine, taken by the loop.
    pub outbox: Vec<Command>,
    pub quit: bool,
    /// The swarm's `.shiftboss/`, where transcripts are (none in tests
    /// that have no swarm on disk).
    pub dir: Option<std::path::PathBuf>,
    /// The open review screen, over the floor and pages.
    pub review: Option<crate::tui::review::ReviewScreen>,
    /// Where the review screens read the log and record reviews; none,
    /// no review screens.
    pub review_source: Option<crate::review::screen::Source>,
    /// Attached to an owner over its socket: quitting detaches, and the
    /// swarm runs on.
    pub attached: bool,
    /// How the console ends when it quits (`:detach`, a confirmed `:stop`).
    pub ending: Ending,
}

/// What quitting the console does to the swarm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ending {
    /// As always: the owner's console stops its swarm; an attached one
    /// detaches.
    #[default]
    Quit,
    /// The console goes and the swarm runs on (`:detach`).
    Detach,
    /// The swarm stops (`:stop`, confirmed).
    Stop,
    /// The swarm ended under the console.
    Gone,
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
            page_sel: 0,
            page_scroll: 0,
            page_scroll_max: std::cell::Cell::new(0),
            help_scroll_max: std::cell::Cell::new(u16::MAX),
            mode: Mode::Normal,
            glyphs: super::glyphs::Glyphs::Unicode,
            notice: None,
            outbox: Vec::new(),
            quit: false,
            dir: None,
            review: None,
            review_source: None,
            attached: false,
            ending: Ending::Quit,
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
        if let Mode::Log(view) = &mut self.mode {
            view.refresh(&self.snap, self.dir.as_deref());
        }
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
            // A list page stands for its selected row.
            if *p == Target::Incidents {
                return self.page_rows().get(self.page_sel).cloned();
            }
            return Some(p.clone());
        }
        self.targets().get(self.state(self.focus).selected).cloned()
    }

    pub(super) fn confirm(&mut self, prompt: String, commands: Vec<Command>) {
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
    pub(super) fn send_checked(&mut self, cmd: Command, said: Option<String>) {
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

    pub(super) fn say(&mut self, s: impl Into<String>) {
        self.notice = Some(s.into());
    }

    fn move_sel(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        if !self.pages.is_empty() {
            let n = self.page_rows().len();
            if n > 0 {
                self.page_sel = to(self.page_sel, n).min(n - 1);
            } else {
                self.scroll_page(to);
            }
            return;
        }
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
        if self.review.is_some() && self.act_on_review(a) {
            return;
        }
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
                if s.busy_agents() > 0 && !self.readonly && !self.attached {
                    self.mode = Mode::Confirm {
                        prompt: match s.busy_agents() {
                            1 => "1 agent has a live session; quit the console and stop the swarm?"
                                .to_string(),
                            n => format!(
                                "{n} agents have live sessions; quit the console and stop the swarm?"
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
                let row = self.page_rows().get(self.page_sel).cloned();
                if let Some(t) = row.or(sel)
                    && self.pages.last() != Some(&t)
                {
                    self.pages.push(t);
                    self.page_sel = 0;
                    self.page_scroll = 0;
                }
            }
            Action::Unfold => {
                let st = &mut self.states[PaneId::Watchdog.index()];
                st.unfolded = !st.unfolded;
                let unfolded = st.unfolded;
                self.focus_pane(PaneId::Watchdog);
                self.say(match unfolded {
                    true => "healthy agents unfolded: j/k select them, u folds them again",
                    false => "healthy agents folded into teams",
                });
            }
            Action::PageDown | Action::PageUp => {
                let down = a == Action::PageDown;
                let by = |i: usize| if down { i + 10 } else { i.saturating_sub(10) };
                if self.pages.is_empty() {
                    self.move_sel(|i, _| by(i));
                } else {
                    self.scroll_page(|i, _| by(i));
                }
            }
            Action::Incidents if self.pages.last() != Some(&Target::Incidents) => {
                self.pages.push(Target::Incidents);
                self.page_sel = 0;
                self.page_scroll = 0;
            }
            Action::Back => self.back(),
            Action::Logs => self.follow(sel),
            Action::ReviewEvening => self.open_review(crate::review::screen::Kind::Evening),
            Action::ReviewMorning => self.open_review(crate::review::screen::Kind::Morning),
            _ => {}
        }
    }

    /// Open the output of the selected agent (or of a task's agent).
    fn follow(&mut self, sel: Option<Target>) {
        let s = &self.snap.state;
        let agent = match sel {
            Some(Target::Agent(a)) => Some(a),
            Some(Target::Task(t)) => s.task(&t).and_then(|t| t.agent.clone()),
            _ => None,
        };
        match agent {
            Some(a) => {
                let view = LogView::open(a, &self.snap, self.dir.as_deref());
                self.mode = Mode::Log(Box::new(view));
            }
            None => self.say("select an agent (or a task it worked) to follow its output"),
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
                Some(Target::Task(t)) => self.send_said(Command::RetryTask(t)),
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
            // The command line, addressed to the selected agent: the
            // operator types the text, Enter sends it.
            Action::Mail => {
                let to = match sel {
                    Some(Target::Agent(id)) => format!("mail {id} "),
                    _ => "mail ".to_string(),
                };
                self.mode = Mode::CommandLine(LineEdit::with(&to));
            }
            Action::Retry | Action::Drop | Action::MoveFront | Action::MoveBack => {
                self.act_on_queue(a, sel)
            }
            Action::ToggleNight => self.toggle_night(),
            Action::RaiseBudget => self.ask_budget(sel),
            Action::OpenIncident => self.open_incident(sel),
            Action::FollowUp => self.ask_follow_up(sel),
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
        self.page_sel = 0;
        self.page_scroll = 0;
        if self.pages.pop().is_none() {
            self.states[self.focus.index()].filter.clear();
        }
    }

    fn focus_pane(&mut self, id: PaneId) {
        self.focus = id;
        self.pages.clear();
        self.page_sel = 0;
        self.page_scroll = 0;
    }

    fn run_command_line(&mut self, text: &str) {
        match command_line::parse(text, &self.snap, self.readonly) {
            Ok(command_line::Parsed::Action(a)) => self.act(a),
            Ok(command_line::Parsed::Commands(cmds)) => {
                for cmd in cmds {
                    match cmd {
                        // Said in the status line: what they did, or why not.
                        Command::RetryTask(_)
                        | Command::RaiseBudget(..)
                        | Command::OpenIncident(_)
                        | Command::FollowUp(..) => self.send_said(cmd),
                        cmd => self.outbox.push(cmd),
                    }
                }
            }
            Ok(command_line::Parsed::Follow(a)) => self.follow(Some(Target::Agent(a))),
            Ok(command_line::Parsed::Quit) => self.quit = true,
            Ok(command_line::Parsed::Detach) => {
                self.ending = Ending::Detach;
                self.quit = true;
            }
            Ok(command_line::Parsed::Stop) => {
                self.mode = Mode::Confirm {
                    prompt: "stop the swarm? every agent stops, its work kept on its branch".into(),
                    on_yes: OnYes::Stop,
                };
            }
            Err(e) => self.say(e),
        }
    }
}

#[cfg(test)]
mod hands_tests;
#[cfg(test)]
mod tests;
