//! One `Action` enum is the vocabulary of key bindings, `:` commands, the
//! footer, the help and the tests. The doc comment on each variant is its
//! help text; one key table (defaults compiled in, a user file patching any
//! subset) drives dispatch, the footer and the help, so they cannot disagree.

use crate::config::{ConfigError, Source};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Where an action applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere on the floor.
    Global,
    /// Moving around and drilling down.
    Navigation,
    /// The concern inbox (pause points and concerns).
    Inbox,
    /// Agents (watchdog pane) and convoys.
    Swarm,
    /// The merge queue and tasks.
    Queue,
    /// The morning and evening review screens.
    Review,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Navigation => "navigation",
            Scope::Inbox => "inbox: pause points and concerns",
            Scope::Swarm => "agents, convoys and the swarm",
            Scope::Queue => "merge queue and tasks",
            Scope::Review => "the review screens",
        }
    }
}

macro_rules! actions {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident = $word:literal, $scope:ident, mutates: $mutates:literal, confirm: $confirm:literal, keys: [$($key:literal),*], line: [$(($word_:literal, $args:literal)),*];
    )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($(#[doc = $doc])+ $name,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// The snake_case name used in key files and tests.
            pub fn name(self) -> &'static str {
                match self { $(Action::$name => $word,)* }
            }

            /// Its help text: the variant's doc comment.
            pub fn help(self) -> &'static str {
                match self { $(Action::$name => concat!($($doc),+).trim_ascii(),)* }
            }

            pub fn scope(self) -> Scope {
                match self { $(Action::$name => Scope::$scope,)* }
            }

            /// Changes the swarm: left out of a `--readonly` console.
            pub fn mutates(self) -> bool {
                match self { $(Action::$name => $mutates,)* }
            }

            /// Destructive: asks for confirmation first.
            pub fn dangerous(self) -> bool {
                match self { $(Action::$name => $confirm,)* }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$name => &[$($key),*],)* }
            }

            /// Changes how fast the swarm's clock runs: absent for real agents.
            pub fn sets_speed(self) -> bool {
                matches!(self, Action::Faster | Action::Slower)
            }

            /// The `:` command-line words this action answers to, each with
            /// what follows it (for completion and the help).
            pub fn line_words(self) -> &'static [(&'static str, &'static str)] {
                match self { $(Action::$name => &[$(($word_, $args)),*],)* }
            }

            pub fn from_name(s: &str) -> Option<Action> {
                match s { $($word => Some(Action::$name),)* _ => None }
            }
        }
    };
}

actions! {
    /// Quit (asks first while agents are working)
    Quit = "quit", Global, mutates: false, confirm: false, keys: ["q", "ctrl-c"], line: [("quit", "")];
    /// Show every key
    Help = "help", Global, mutates: false, confirm: false, keys: ["?"], line: [("help", "")];
    /// Open the command line (commands and ids complete with Tab)
    CommandLine = "command_line", Global, mutates: false, confirm: false, keys: [":"], line: [];
    /// Filter the focused pane
    Filter = "filter", Global, mutates: false, confirm: false, keys: ["/"], line: [];
    /// Focus the next pane
    FocusNext = "focus_next", Navigation, mutates: false, confirm: false, keys: ["tab"], line: [];
    /// Focus the previous pane
    FocusPrev = "focus_prev", Navigation, mutates: false, confirm: false, keys: ["backtab"], line: [];
    /// Focus the convoy board
    FocusConvoys = "focus_convoys", Navigation, mutates: false, confirm: false, keys: ["1"], line: [];
    /// Focus the watchdog tiers
    FocusWatchdog = "focus_watchdog", Navigation, mutates: false, confirm: false, keys: ["2"], line: [];
    /// Focus the cost burn
    FocusBurn = "focus_burn", Navigation, mutates: false, confirm: false, keys: ["3"], line: [];
    /// Focus the merge queue
    FocusMerge = "focus_merge", Navigation, mutates: false, confirm: false, keys: ["4"], line: [];
    /// Focus the concern inbox
    FocusInbox = "focus_inbox", Navigation, mutates: false, confirm: false, keys: ["5"], line: [];
    /// Move down (on a page: the next row, or scroll when it has none)
    Down = "down", Navigation, mutates: false, confirm: false, keys: ["j", "down"], line: [];
    /// Move up (on a page: the row before, or scroll when it has none)
    Up = "up", Navigation, mutates: false, confirm: false, keys: ["k", "up"], line: [];
    /// Go to the first row
    Top = "top", Navigation, mutates: false, confirm: false, keys: ["g", "home"], line: [];
    /// Go to the last row
    Bottom = "bottom", Navigation, mutates: false, confirm: false, keys: ["G", "end"], line: [];
    /// Half a screen down: a page scrolls, a pane's cursor moves ten rows
    PageDown = "page_down", Navigation, mutates: false, confirm: false, keys: ["ctrl-d", "pgdn"], line: [];
    /// Half a screen up: a page scrolls, a pane's cursor moves ten rows
    PageUp = "page_up", Navigation, mutates: false, confirm: false, keys: ["ctrl-u", "pgup"], line: [];
    /// Unfold the watchdog's healthy teams into their agents, or fold them
    Unfold = "unfold", Navigation, mutates: false, confirm: false, keys: ["u"], line: [];
    /// Mark or unmark the row
    Mark = "mark", Navigation, mutates: false, confirm: false, keys: ["space"], line: [];
    /// Open the detail of the selected row
    Open = "open", Navigation, mutates: false, confirm: false, keys: ["enter"], line: [];
    /// Go back
    Back = "back", Navigation, mutates: false, confirm: false, keys: ["esc"], line: [];
    /// Follow the selected agent's output (/ searches it)
    Logs = "logs", Navigation, mutates: false, confirm: false, keys: ["l"], line: [("logs", "AGENT")];
    /// Approve the selected pause point, or every marked one
    Approve = "approve", Inbox, mutates: true, confirm: false, keys: ["y"], line: [("approve", "PAUSE|all")];
    /// Reject the selected pause point
    Reject = "reject", Inbox, mutates: true, confirm: true, keys: ["n"], line: [("reject", "PAUSE")];
    /// Acknowledge the selected concern
    Ack = "ack", Inbox, mutates: true, confirm: false, keys: ["a"], line: [("ack", "CONCERN")];
    /// Resolve the selected concern
    Resolve = "resolve", Inbox, mutates: true, confirm: false, keys: ["r"], line: [("resolve", "CONCERN")];
    /// Dismiss the selected concern, with a reason
    Dismiss = "dismiss", Inbox, mutates: true, confirm: false, keys: ["d"], line: [("dismiss", "CONCERN REASON…")];
    /// Make an incident record of the selected T3 concern or failed task
    OpenIncident = "open_incident", Inbox, mutates: true, confirm: false, keys: ["I"], line: [("incident", "CONCERN|TASK")];
    /// Write the follow-up of the selected incident record
    FollowUp = "follow_up", Inbox, mutates: true, confirm: false, keys: ["f"], line: [("follow-up", "INCIDENT TEXT…")];
    /// List the incident records
    Incidents = "incidents", Navigation, mutates: false, confirm: false, keys: ["i"], line: [("incidents", "")];
    /// Accept triage's recommendation for the selected concern
    Accept = "accept", Inbox, mutates: true, confirm: false, keys: ["A"], line: [("follow", "CONCERN")];
    /// Pause or resume the selected agent or convoy
    TogglePause = "toggle_pause", Swarm, mutates: true, confirm: false, keys: ["p"], line: [("pause", "AGENT|CONVOY|all|swarm REASON"), ("resume", "AGENT|CONVOY|all")];
    /// Pause or resume the whole swarm (no new work starts)
    TogglePauseAll = "toggle_pause_all", Swarm, mutates: true, confirm: false, keys: ["P"], line: [];
    /// Emergency stop: freeze every agent at once
    EmergencyStop = "emergency_stop", Swarm, mutates: true, confirm: true, keys: ["X"], line: [("freeze", "")];
    /// Thaw after an emergency stop
    Thaw = "thaw", Swarm, mutates: true, confirm: false, keys: ["T"], line: [("thaw", "")];
    /// Kill the selected agent's session (work kept on its branch)
    Kill = "kill", Swarm, mutates: true, confirm: true, keys: ["K"], line: [("kill", "AGENT")];
    /// Write mail to the selected agent (into its next session)
    Mail = "mail", Swarm, mutates: true, confirm: false, keys: ["m"], line: [("mail", "AGENT|TEAM TEXT…")];
    /// Retire the selected agent for good (out of the pool)
    Retire = "retire", Swarm, mutates: true, confirm: true, keys: ["Z"], line: [("retire", "AGENT")];
    /// Retry the selected failed or blocked task
    Retry = "retry", Queue, mutates: true, confirm: false, keys: ["R"], line: [("retry", "TASK")];
    /// Give the selected task (or its concern's task) more budget
    RaiseBudget = "raise_budget", Queue, mutates: true, confirm: false, keys: ["b"], line: [("budget", "TASK [AMOUNT|N%]")];
    /// Drop the selected merge-queue entry (its branch is kept)
    Drop = "drop", Queue, mutates: true, confirm: true, keys: ["D"], line: [("drop", "TASK")];
    /// Move the selected merge-queue entry to the front of the queue
    MoveFront = "move_front", Queue, mutates: true, confirm: false, keys: ["["], line: [("move", "TASK front|back")];
    /// Move the selected merge-queue entry to the back of the queue
    MoveBack = "move_back", Queue, mutates: true, confirm: false, keys: ["]"], line: [];
    /// Run the simulation faster
    Faster = "faster", Swarm, mutates: true, confirm: false, keys: ["+", "="], line: [("speed", "N|max")];
    /// Run the simulation slower
    Slower = "slower", Swarm, mutates: true, confirm: false, keys: ["-"], line: [];
    /// Open the evening review (the day against the targets)
    ReviewEvening = "review_evening", Review, mutates: false, confirm: false, keys: ["e"], line: [("review", "evening|morning")];
    /// Open the morning review (since the last review)
    ReviewMorning = "review_morning", Review, mutates: false, confirm: false, keys: ["M"], line: [];
    /// Record the review: the next one starts where it ends
    RecordReview = "record_review", Review, mutates: true, confirm: false, keys: ["W"], line: [];
    /// Reassign the selected failed task to another agent
    Reassign = "reassign", Review, mutates: true, confirm: false, keys: ["O"], line: [("reassign", "TASK")];
    /// Rewrite the selected failed task's spec and requeue it
    Respecify = "respecify", Review, mutates: true, confirm: false, keys: ["S"], line: [];
    /// Archive the selected failed task (dropped for good)
    Archive = "archive", Review, mutates: true, confirm: true, keys: ["x"], line: [("archive", "TASK")];
    /// Start the night shift (night work only), or end it
    ToggleNight = "toggle_night", Review, mutates: true, confirm: true, keys: ["N"], line: [("night", "start|end")];
    /// Change the selected watchdog check's threshold
    Tune = "tune", Review, mutates: true, confirm: false, keys: ["t"], line: [];
    /// Judge the selected merged task good (calibration)
    JudgeGood = "judge_good", Review, mutates: true, confirm: false, keys: ["v"], line: [];
    /// Judge the selected merged task bad (calibration)
    JudgeBad = "judge_bad", Review, mutates: true, confirm: false, keys: ["B"], line: [];
}

/// Every `:` command word with what follows it and the action it belongs
/// to, in the table's order.
pub fn line_commands() -> impl Iterator<Item = (&'static str, &'static str, Action)> {
    Action::ALL
        .iter()
        .flat_map(|a| a.line_words().iter().map(move |(w, args)| (*w, *args, *a)))
}

/// The action a `:` command word belongs to.
pub fn line_action(word: &str) -> Option<Action> {
    line_commands()
        .find(|(w, _, _)| *w == word)
        .map(|(_, _, a)| a)
}

/// A key as key files write it: `q`, `G`, `ctrl-c`, `enter`, `space`, `tab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub code: KeyName,
    pub ctrl: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    Backspace,
    Delete,
    Left,
    Right,
}

impl Key {
    pub fn parse(s: &str) -> Option<Key> {
        let (ctrl, rest) = match s.strip_prefix("ctrl-") {
            Some(r) => (true, r),
            None => (false, s),
        };
        let code = match rest {
            "enter" => KeyName::Enter,
            "esc" => KeyName::Esc,
            "tab" => KeyName::Tab,
            "backtab" => KeyName::BackTab,
            "up" => KeyName::Up,
            "down" => KeyName::Down,
            "home" => KeyName::Home,
            "end" => KeyName::End,
            "pgup" => KeyName::PageUp,
            "pgdn" => KeyName::PageDown,
            "backspace" => KeyName::Backspace,
            "delete" => KeyName::Delete,
            "left" => KeyName::Left,
            "right" => KeyName::Right,
            "space" => KeyName::Char(' '),
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyName::Char(c)
            }
        };
        Some(Key { code, ctrl })
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) => KeyName::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => KeyName::Enter,
            KeyCode::Esc => KeyName::Esc,
            KeyCode::Tab => KeyName::Tab,
            KeyCode::BackTab => KeyName::BackTab,
            KeyCode::Up => KeyName::Up,
            KeyCode::Down => KeyName::Down,
            KeyCode::Home => KeyName::Home,
            KeyCode::End => KeyName::End,
            KeyCode::PageUp => KeyName::PageUp,
            KeyCode::PageDown => KeyName::PageDown,
            KeyCode::Backspace => KeyName::Backspace,
            KeyCode::Delete => KeyName::Delete,
            KeyCode::Left => KeyName::Left,
            KeyCode::Right => KeyName::Right,
            _ => return None,
        };
        Some(Key { code, ctrl })
    }

    /// How the footer and the help show it.
    pub fn label(&self) -> String {
        let name = match self.code {
            KeyName::Char(' ') => "space".to_string(),
            KeyName::Char(c) => c.to_string(),
            KeyName::Enter => "enter".into(),
            KeyName::Esc => "esc".into(),
            KeyName::Tab => "tab".into(),
            KeyName::BackTab => "shift-tab".into(),
            KeyName::Up => "↑".into(),
            KeyName::Down => "↓".into(),
            KeyName::Home => "home".into(),
            KeyName::End => "end".into(),
            KeyName::PageUp => "pgup".into(),
            KeyName::PageDown => "pgdn".into(),
            KeyName::Backspace => "backspace".into(),
            KeyName::Delete => "delete".into(),
            KeyName::Left => "←".into(),
            KeyName::Right => "→".into(),
        };
        if self.ctrl {
            format!("ctrl-{name}")
        } else {
            name
        }
    }
}

/// The key table.
#[derive(Clone, Debug)]
pub struct KeyMap {
    by_key: BTreeMap<Key, Action>,
    by_action: BTreeMap<Action, Vec<Key>>,
}

impl KeyMap {
    /// The built-in bindings; a read-only console leaves out every action
    /// that changes the swarm.
    pub fn defaults(readonly: bool) -> KeyMap {
        let mut m = KeyMap {
            by_key: BTreeMap::new(),
            by_action: BTreeMap::new(),
        };
        for a in Action::ALL {
            let keys: Vec<Key> = a
                .default_keys()
                .iter()
                .map(|k| Key::parse(k).expect("built-in keys parse"))
                .collect();
            m.set(*a, keys);
        }
        if readonly {
            m.drop_mutating();
        }
        m
    }

    fn set(&mut self, action: Action, keys: Vec<Key>) {
        if let Some(old) = self.by_action.remove(&action) {
            for k in old {
                self.by_key.remove(&k);
            }
        }
        for k in &keys {
            // A key moved to this action leaves the one that had it.
            if let Some(prev) = self.by_key.insert(*k, action)
                && let Some(v) = self.by_action.get_mut(&prev)
            {
                v.retain(|x| x != k);
            }
        }
        self.by_action.insert(action, keys);
    }

    /// A swarm of real agents runs on the wall clock: the speed keys go.
    pub fn drop_speed(&mut self) {
        for a in Action::ALL.iter().filter(|a| a.sets_speed()) {
            self.set(*a, Vec::new());
            self.by_action.remove(a);
        }
    }

    fn drop_mutating(&mut self) {
        for a in Action::ALL.iter().filter(|a| a.mutates()) {
            self.set(*a, Vec::new());
            self.by_action.remove(a);
        }
    }

    /// Patch the defaults with a user key file:
    /// `[keys]` then `action = ["key", …]` for any subset of actions.
    pub fn load(path: &Path, readonly: bool) -> Result<KeyMap, ConfigError> {
        let text = crate::config::read_text(path)?;
        KeyMap::parse_patch(&text, path, readonly)
    }

    pub fn parse_patch(text: &str, path: &Path, readonly: bool) -> Result<KeyMap, ConfigError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            keys: BTreeMap<String, Vec<String>>,
        }
        let src = Source::new(text, path)?;
        let file: File = src.deserialize()?;
        let mut m = KeyMap::defaults(false);
        for (name, keys) in file.keys {
            let at = |n: &str| {
                src.line_of_path(&[
                    crate::config::error_key("keys"),
                    crate::config::error_key(n),
                ])
            };
            let Some(action) = Action::from_name(&name) else {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                return Err(ConfigError::new(
                    path,
                    at(&name),
                    Some(format!("keys.{name}")),
                    format!("unknown action; expected one of {}", names.join(", ")),
                ));
            };
            let mut parsed = Vec::new();
            for k in &keys {
                let key = Key::parse(k).ok_or_else(|| {
                    ConfigError::new(
                        path,
                        at(&name),
                        Some(format!("keys.{name}")),
                        format!("expected a key such as \"x\", \"ctrl-x\", \"enter\" or \"space\", found {k:?}"),
                    )
                })?;
                parsed.push(key);
            }
            m.set(action, parsed);
        }
        if readonly {
            m.drop_mutating();
        }
        Ok(m)
    }

    pub fn action(&self, key: &Key) -> Option<Action> {
        self.by_key.get(key).copied()
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.by_action
            .get(&action)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The first key of an action, as shown in the footer.
    pub fn label(&self, action: Action) -> Option<String> {
        self.keys(action).first().map(Key::label)
    }

    /// Bound actions, in the table's order.
    pub fn bound(&self) -> impl Iterator<Item = Action> + '_ {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| !self.keys(*a).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_help_and_a_key() {
        let m = KeyMap::defaults(false);
        for a in Action::ALL {
            assert!(!a.help().is_empty(), "{a:?}");
            assert!(!m.keys(*a).is_empty(), "{a:?} has no key");
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let m = KeyMap::defaults(false);
        let total: usize = Action::ALL.iter().map(|a| m.keys(*a).len()).sum();
        assert_eq!(total, m.by_key.len());
    }

    #[test]
    fn readonly_leaves_out_every_action_that_changes_the_swarm() {
        let m = KeyMap::defaults(true);
        assert!(m.bound().all(|a| !a.mutates()));
        assert_eq!(m.action(&Key::parse("y").unwrap()), None);
        assert_eq!(m.action(&Key::parse("q").unwrap()), Some(Action::Quit));
    }

    #[test]
    fn a_real_swarm_has_no_speed_keys() {
        let mut m = KeyMap::defaults(false);
        assert_eq!(m.action(&Key::parse("+").unwrap()), Some(Action::Faster));
        m.drop_speed();
        assert!(m.bound().all(|a| !a.sets_speed()));
        assert_eq!(m.action(&Key::parse("+").unwrap()), None);
        assert_eq!(m.action(&Key::parse("-").unwrap()), None);
        assert_eq!(m.action(&Key::parse("y").unwrap()), Some(Action::Approve));
    }

    #[test]
    fn a_user_file_patches_a_subset_and_moves_keys() {
        let m = KeyMap::parse_patch(
            "[keys]\napprove = [\"A\", \"ctrl-y\"]\nquit = [\"y\"]\n",
            Path::new("k.toml"),
            false,
        )
        .unwrap();
        assert_eq!(m.action(&Key::parse("A").unwrap()), Some(Action::Approve));
        assert_eq!(m.action(&Key::parse("y").unwrap()), Some(Action::Quit));
        assert_eq!(
            m.action(&Key::parse("q").unwrap()),
            None,
            "quit's old keys are replaced"
        );
        assert_eq!(
            m.action(&Key::parse("ctrl-y").unwrap()),
            Some(Action::Approve)
        );
        assert_eq!(
            m.label(Action::Help).as_deref(),
            Some("?"),
            "untouched actions keep their keys"
        );
    }

    #[test]
    fn bad_key_files_are_one_line_errors() {
        let e = KeyMap::parse_patch("[keys]\napprov = [\"y\"]\n", Path::new("k.toml"), false)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("k.toml:2: keys.approv: unknown action"),
            "{e}"
        );
        let e = KeyMap::parse_patch(
            "[keys]\napprove = [\"meta-y\"]\n",
            Path::new("k.toml"),
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("k.toml:2: keys.approve: expected a key"),
            "{e}"
        );
    }
}
