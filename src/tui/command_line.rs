//! The `:` command line: every operator action by name, with ids, and Tab
//! completion of both.

use super::action::{Action, Key, KeyName};
use crate::domain::{AgentId, ConcernId, ConvoyId, IncidentId, IncidentSource, PauseId, TaskId};
use crate::engine::{Command, QueueEnd};
use crate::swarm::{Snapshot, Speed};

/// A line being typed, with a cursor that moves (tui-input keeps the text
/// and the cursor; the keys are ours, so key maps and tests see one `Key`).
#[derive(Clone, Debug, Default)]
pub struct LineEdit {
    input: tui_input::Input,
    /// What Tab could complete to, shown after the line.
    pub hint: String,
}

/// Where a line stands after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edited {
    /// Still being typed.
    Typing,
    /// Enter: the line as typed.
    Entered(String),
    /// Esc: given up.
    Cancelled,
}

impl PartialEq for LineEdit {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
            && self.input.cursor() == other.input.cursor()
            && self.hint == other.hint
    }
}

impl LineEdit {
    /// A line holding `text`, the cursor at its end.
    pub fn with(text: &str) -> LineEdit {
        LineEdit {
            input: tui_input::Input::new(text.to_string()),
            hint: String::new(),
        }
    }

    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// Replace the text (Tab completion); the cursor goes to its end.
    pub fn set_text(&mut self, text: String) {
        self.input = tui_input::Input::new(text);
    }

    /// The text before the cursor, the character under it (a space at the
    /// end) and the text after it, for drawing.
    pub fn around_cursor(&self) -> (&str, String, &str) {
        let text = self.input.value();
        let at = text
            .char_indices()
            .nth(self.input.cursor())
            .map_or(text.len(), |(i, _)| i);
        let (before, rest) = text.split_at(at);
        let mut chars = rest.chars();
        let under = chars.next().map_or(" ".to_string(), String::from);
        (before, under, chars.as_str())
    }

    /// Take a key: typing goes on, or the line is entered or cancelled.
    /// Editing keys are the shell's: ←/→, Home/End (ctrl-a/ctrl-e),
    /// Backspace/Delete, ctrl-w (a word back), ctrl-u (the whole line),
    /// ctrl-k (to the end).
    pub fn key(&mut self, key: Key) -> Edited {
        use tui_input::InputRequest as R;
        self.hint.clear();
        let req = match key.code {
            KeyName::Enter => return Edited::Entered(self.input.value_and_reset()),
            KeyName::Esc => return Edited::Cancelled,
            KeyName::Backspace => R::DeletePrevChar,
            KeyName::Delete => R::DeleteNextChar,
            KeyName::Left => R::GoToPrevChar,
            KeyName::Right => R::GoToNextChar,
            KeyName::Home => R::GoToStart,
            KeyName::End => R::GoToEnd,
            KeyName::Char('a') if key.ctrl => R::GoToStart,
            KeyName::Char('e') if key.ctrl => R::GoToEnd,
            KeyName::Char('w') if key.ctrl => R::DeletePrevWord,
            KeyName::Char('u') if key.ctrl => R::DeleteLine,
            KeyName::Char('k') if key.ctrl => R::DeleteTillEnd,
            KeyName::Char(c) if !key.ctrl => R::InsertChar(c),
            _ => return Edited::Typing,
        };
        self.input.handle(req);
        Edited::Typing
    }
}

/// What a command line asks for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Commands(Vec<Command>),
    /// An action on the current selection (`help`, `freeze`, `faster`).
    Action(Action),
    /// Follow an agent's output.
    Follow(AgentId),
    Quit,
    /// Close the console and leave the swarm running.
    Detach,
    /// Stop the swarm (asked to confirm first).
    Stop,
}

/// Whether a `:` command word changes the swarm (refused when read-only):
/// what its action in the `Action` table says.
fn mutating(word: &str) -> bool {
    super::action::line_action(word).is_some_and(|a| a.mutates())
}

pub fn parse(text: &str, snap: &Snapshot, readonly: bool) -> Result<Parsed, String> {
    let mut words = text.split_whitespace();
    let Some(cmd) = words.next() else {
        return Ok(Parsed::Commands(Vec::new()));
    };
    if readonly && mutating(cmd) {
        return Err(format!("{cmd}: the console is read-only"));
    }
    let arg = words.next();
    let rest: Vec<&str> = words.collect();
    let s = &snap.state;
    let need = |what: &str| format!("{cmd} needs {what}");
    let one = |c: Command| Ok(Parsed::Commands(vec![c]));
    match cmd {
        "approve" => match arg {
            Some("all") => one(Command::ApproveAll),
            Some(id) => one(Command::ApprovePause(PauseId::new(id))),
            None => Err(need("a pause point id or `all`")),
        },
        "reject" => arg
            .map(|id| one(Command::RejectPause(PauseId::new(id))))
            .unwrap_or_else(|| Err(need("a pause point id"))),
        "ack" => arg
            .map(|id| one(Command::AckConcern(ConcernId::new(id))))
            .unwrap_or_else(|| Err(need("a concern id"))),
        "resolve" => arg
            .map(|id| one(Command::ResolveConcern(ConcernId::new(id))))
            .unwrap_or_else(|| Err(need("a concern id"))),
        "follow" => arg
            .map(|id| one(Command::AcceptTriage(ConcernId::new(id))))
            .unwrap_or_else(|| Err(need("a concern id"))),
        "dismiss" => match arg {
            Some(id) if !rest.is_empty() => {
                one(Command::DismissConcern(ConcernId::new(id), rest.join(" ")))
            }
            Some(_) => Err("dismiss needs a reason after the concern id".into()),
            None => Err(need("a concern id and a reason")),
        },
        "pause" | "resume" => hold(cmd, arg, &rest, s),
        "kill" => arg
            .map(|id| one(Command::KillAgent(AgentId::new(id))))
            .unwrap_or_else(|| Err(need("an agent"))),
        "retire" => arg
            .map(|id| one(Command::RetireAgent(AgentId::new(id))))
            .unwrap_or_else(|| Err(need("an agent"))),
        "retry" => arg
            .map(|id| one(Command::RetryTask(TaskId::new(id))))
            .unwrap_or_else(|| Err(need("a task"))),
        "budget" => budget(arg, &rest, snap),
        "incident" => match arg {
            Some(id) if id.starts_with("C-") => one(Command::OpenIncident(
                IncidentSource::Concern(ConcernId::new(id)),
            )),
            Some(id) => one(Command::OpenIncident(IncidentSource::Task(TaskId::new(id)))),
            None => Err(need("a concern or a task")),
        },
        "follow-up" => match arg {
            Some(id) if !rest.is_empty() => {
                one(Command::FollowUp(IncidentId::new(id), rest.join(" ")))
            }
            Some(_) => Err("follow-up needs the text after the incident id".into()),
            None => Err(need("an incident id and the text")),
        },
        "incidents" => Ok(Parsed::Action(Action::Incidents)),
        "drop" => arg
            .map(|id| one(Command::DropTask(TaskId::new(id))))
            .unwrap_or_else(|| Err(need("a task"))),
        "move" => move_task(arg, rest.first().copied()),
        "logs" => arg
            .map(|id| Ok(Parsed::Follow(AgentId::new(id))))
            .unwrap_or_else(|| Err(need("an agent"))),
        "mail" => match arg {
            Some(to) if !rest.is_empty() => one(Command::SendMail {
                to: to.to_string(),
                text: rest.join(" "),
            }),
            Some(_) => Err("mail needs a text after the agent or team".into()),
            None => Err(need("an agent or team and a text")),
        },
        "freeze" => one(Command::Freeze),
        "thaw" => one(Command::Thaw),
        "speed" if snap.real_time => Err(crate::swarm::REAL_TIME.into()),
        "speed" => match arg.and_then(Speed::parse) {
            Some(sp) => one(Command::SetSpeed(sp.to_string())),
            None => Err("speed needs a factor such as 60, or max".into()),
        },
        "night" => match arg {
            Some("start") if s.night.is_none() => Ok(Parsed::Action(Action::ToggleNight)),
            Some("end") if s.night.is_some() => Ok(Parsed::Action(Action::ToggleNight)),
            Some("start") => Err("a night shift is under way already".into()),
            Some("end") => Err("no night shift is under way".into()),
            _ => Err(need("start or end")),
        },
        "review" => match arg {
            None | Some("evening") => Ok(Parsed::Action(Action::ReviewEvening)),
            Some("morning") => Ok(Parsed::Action(Action::ReviewMorning)),
            Some(other) => Err(format!("review {other}: expected morning or evening")),
        },
        "reassign" => arg
            .map(|id| one(Command::ReassignTask(TaskId::new(id))))
            .unwrap_or_else(|| Err(need("a task"))),
        "archive" => arg
            .map(|id| one(Command::ArchiveTask(TaskId::new(id))))
            .unwrap_or_else(|| Err(need("a task"))),
        "help" => Ok(Parsed::Action(Action::Help)),
        "quit" | "q" => Ok(Parsed::Quit),
        "detach" => Ok(Parsed::Detach),
        "stop" if readonly => Err("stop: the console is read-only".into()),
        "stop" => Ok(Parsed::Stop),
        other => Err(format!("unknown command {other:?}; Tab lists them")),
    }
}

/// `budget TASK [AMOUNT|N%]`: more budget for a task, half its budget when
/// no amount is given.
fn budget(arg: Option<&str>, rest: &[&str], snap: &Snapshot) -> Result<Parsed, String> {
    let Some(id) = arg else {
        return Err("budget needs a task and an amount, e.g. budget T-0003 50%".into());
    };
    let id = TaskId::new(id);
    let s = &snap.state;
    let Some(t) = s.task(&id) else {
        return Err(format!("no task {id}"));
    };
    if snap.budget_task <= crate::domain::Money::ZERO {
        return Err("tasks have no budget in this config ([budgets] task)".into());
    }
    let by = match rest.join(" ") {
        text if text.trim().is_empty() => super::app::default_amount(s, snap.budget_task, &id),
        text => super::app::parse_amount(&text, t.budget(snap.budget_task))?,
    };
    Ok(Parsed::Commands(vec![Command::RaiseBudget(id, by)]))
}

/// `pause`/`resume` an agent, a convoy or `all` convoys; `pause swarm REASON`.
fn hold(
    cmd: &str,
    arg: Option<&str>,
    rest: &[&str],
    s: &crate::domain::SwarmState,
) -> Result<Parsed, String> {
    let need = |what: &str| format!("{cmd} needs {what}");
    let one = |c: Command| Ok(Parsed::Commands(vec![c]));
    let hold = cmd == "pause";
    match arg {
        Some("swarm") if hold && rest.is_empty() => {
            Err("pause swarm needs a reason, e.g. pause swarm before the release merge".into())
        }
        Some("swarm") if hold => one(Command::PauseSwarm(rest.join(" "))),
        Some("all") => Ok(Parsed::Commands(
            s.convoys
                .iter()
                .map(|c| {
                    if hold {
                        Command::HoldConvoy(c.clone())
                    } else {
                        Command::ReleaseConvoy(c.clone())
                    }
                })
                .collect(),
        )),
        Some(id) if s.agents.contains_key(&AgentId::new(id)) => one(if hold {
            Command::HoldAgent(AgentId::new(id))
        } else {
            Command::ReleaseAgent(AgentId::new(id))
        }),
        Some(id) if s.convoys.contains(&ConvoyId::new(id)) => one(if hold {
            Command::HoldConvoy(ConvoyId::new(id))
        } else {
            Command::ReleaseConvoy(ConvoyId::new(id))
        }),
        Some(id) => Err(format!("{cmd}: no agent or convoy {id}")),
        None => Err(need("an agent, a convoy or `all`")),
    }
}

/// `move <task> front|back`.
fn move_task(arg: Option<&str>, end: Option<&str>) -> Result<Parsed, String> {
    match (arg, end) {
        (Some(id), Some(w @ ("front" | "back"))) => Ok(Parsed::Commands(vec![Command::MoveTask(
            TaskId::new(id),
            if w == "front" {
                QueueEnd::Front
            } else {
                QueueEnd::Back
            },
        )])),
        (Some(_), Some(w)) => Err(format!("move: {w:?}; expected front or back")),
        (Some(_), None) => Err("move needs front or back after the task".into()),
        (None, _) => Err("move needs a queued task and front or back".into()),
    }
}

/// What fits after the words typed so far: commands, then ids, then the
/// word after an id (`move TASK front|back`).
fn candidates(done: &[&str], snap: &Snapshot, readonly: bool) -> Vec<String> {
    match done {
        [] => super::action::line_commands()
            .map(|(c, _, _)| c.to_string())
            .filter(|c| !(readonly && mutating(c)))
            .filter(|c| !(snap.real_time && c == "speed"))
            .collect(),
        [cmd] => ids_for(cmd, snap),
        ["move", _] => vec!["front".into(), "back".into()],
        _ => Vec::new(),
    }
}

/// Ids that fit after a command.
fn ids_for(cmd: &str, snap: &Snapshot) -> Vec<String> {
    let s = &snap.state;
    match cmd {
        "approve" | "reject" => {
            let mut v: Vec<String> = s.waiting_pauses().map(|p| p.id.to_string()).collect();
            if cmd == "approve" {
                v.push("all".into());
            }
            v
        }
        "ack" | "resolve" | "dismiss" => s.open_concerns().map(|c| c.id.to_string()).collect(),
        "pause" | "resume" | "kill" | "mail" | "logs" => {
            let mut v: Vec<String> = s.agents.keys().map(|a| a.to_string()).collect();
            if cmd == "pause" || cmd == "resume" {
                v.extend(s.convoys.iter().map(|c| c.to_string()));
                v.push("all".into());
            }
            if cmd == "pause" {
                v.push("swarm".into());
            }
            v
        }
        "retry" | "drop" => s.task_order.iter().map(|t| t.to_string()).collect(),
        // Tasks stopped at their budget first.
        "budget" => {
            let stopped = |t: &&crate::domain::TaskId| s.tasks[*t].stopped_at_budget();
            let (first, rest): (Vec<_>, Vec<_>) = s.task_order.iter().partition(stopped);
            first
                .into_iter()
                .chain(rest)
                .map(|t| t.to_string())
                .collect()
        }
        // Concerns that reached the operator, then tasks that failed for good.
        "incident" => s
            .concerns
            .iter()
            .filter(|c| c.routing == crate::domain::Routing::Human)
            .map(|c| c.id.to_string())
            .chain(
                s.task_order
                    .iter()
                    .filter(|t| s.tasks[*t].status == crate::domain::TaskStatus::Failed)
                    .map(|t| t.to_string()),
            )
            .collect(),
        "follow-up" => s.incidents.iter().map(|i| i.id.to_string()).collect(),
        "move" => snap.merge_queue.iter().map(|t| t.to_string()).collect(),
        "speed" => ["1", "10", "60", "300", "3600", "max"]
            .iter()
            .map(|x| x.to_string())
            .collect(),
        _ => Vec::new(),
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut end = first.len();
    for w in &words[1..] {
        end = end.min(
            first
                .bytes()
                .zip(w.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..end].to_string()
}

/// Complete the last word of `text`: a command, then an id. Also returns
/// the candidates when they share nothing more to complete.
pub fn complete_with_hint(text: &str, snap: &Snapshot, readonly: bool) -> (String, String) {
    let done = complete(text, snap, readonly);
    if done != text {
        return (done, String::new());
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let partial = if text.ends_with(' ') {
        ""
    } else {
        words.last().copied().unwrap_or("")
    };
    let head = if text.ends_with(' ') || words.is_empty() {
        words.len()
    } else {
        words.len() - 1
    };
    let all = candidates(&words[..head], snap, readonly);
    let matching: Vec<String> = all.into_iter().filter(|c| c.starts_with(partial)).collect();
    let mut hint = matching
        .iter()
        .take(8)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if matching.len() > 8 {
        hint.push_str(&format!(" … {} more", matching.len() - 8));
    }
    (done, hint)
}

/// Complete the last word of `text`: a command, then an id.
pub fn complete(text: &str, snap: &Snapshot, readonly: bool) -> String {
    let ends_with_space = text.ends_with(' ');
    let words: Vec<&str> = text.split_whitespace().collect();
    let (done, partial) = if ends_with_space || words.is_empty() {
        (words.clone(), "")
    } else {
        (words[..words.len() - 1].to_vec(), words[words.len() - 1])
    };
    let matching: Vec<String> = candidates(&done, snap, readonly)
        .into_iter()
        .filter(|c| c.starts_with(partial))
        .collect();
    let completed = match matching.len() {
        0 => return text.to_string(),
        1 => format!("{} ", matching[0]),
        _ => common_prefix(&matching),
    };
    let mut out = done.join(" ");
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(&completed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    fn snap() -> Snapshot {
        let mut s = Snapshot::default();
        let mut ev = |kind| {
            s.state.apply(&Event {
                at: 0,
                actor: Actor::Engine,
                agent: Some(AgentId::builder(7)),
                task: None,
                convoy: None,
                model: None,
                session: None,
                kind,
            })
        };
        ev(EventKind::AgentRegistered {
            model: "m".into(),
            runtime: "sim".into(),
        });
        ev(EventKind::PauseRequested {
            id: PauseId::new("P-0001"),
            pause: PauseKind::AgentRequest,
            reason: "drop the table".into(),
        });
        ev(EventKind::ConcernRaised {
            id: ConcernId::new("C-0001"),
            source: ConcernSource::Agent,
            summary: "hmm".into(),
            confidence: 0.4,
            impact: Impact::High,
            routing: Routing::Human,
        });
        s
    }

    #[test]
    fn pause_swarm_takes_a_reason() {
        let snap = snap();
        assert_eq!(
            parse("pause swarm before the release merge", &snap, false),
            Ok(Parsed::Commands(vec![Command::PauseSwarm(
                "before the release merge".into()
            )]))
        );
        assert!(parse("pause swarm", &snap, false).is_err());
        assert!(parse("pause swarm now", &snap, true).is_err(), "read-only");
    }

    #[test]
    fn the_line_edits_at_its_cursor_like_a_shell() {
        let k = |s: &str| Key::parse(s).unwrap();
        let mut e = LineEdit::default();
        for c in "ack C-7".chars() {
            assert_eq!(
                e.key(Key {
                    code: KeyName::Char(c),
                    ctrl: false
                }),
                Edited::Typing
            );
        }
        e.key(k("left"));
        for c in "000".chars() {
            e.key(Key {
                code: KeyName::Char(c),
                ctrl: false,
            });
        }
        assert_eq!(e.text(), "ack C-0007");
        assert_eq!(e.around_cursor(), ("ack C-000", "7".to_string(), ""));
        e.key(k("home"));
        e.key(k("delete"));
        assert_eq!(e.text(), "ck C-0007");
        e.key(k("ctrl-e"));
        assert_eq!(e.around_cursor(), ("ck C-0007", " ".to_string(), ""));
        e.key(k("ctrl-w"));
        assert_eq!(e.text(), "ck C-", "a word back stops at punctuation");
        e.key(k("ctrl-a"));
        e.key(k("ctrl-k"));
        assert_eq!(e.text(), "");
        e.key(Key {
            code: KeyName::Char('x'),
            ctrl: false,
        });
        assert_eq!(e.key(k("enter")), Edited::Entered("x".into()));
        assert_eq!(e.text(), "", "entered: the line is empty again");
    }

    #[test]
    fn parses_operator_commands() {
        let s = snap();
        assert_eq!(
            parse("approve P-0001", &s, false),
            Ok(Parsed::Commands(vec![Command::ApprovePause(PauseId::new(
                "P-0001"
            ))]))
        );
        assert_eq!(
            parse("dismiss C-0001 known flake in CI", &s, false),
            Ok(Parsed::Commands(vec![Command::DismissConcern(
                ConcernId::new("C-0001"),
                "known flake in CI".into()
            )]))
        );
        assert_eq!(
            parse("pause builder-07", &s, false),
            Ok(Parsed::Commands(vec![Command::HoldAgent(
                AgentId::builder(7)
            )]))
        );
        assert!(parse("dismiss C-0001", &s, false).is_err());
        assert!(parse("frobnicate", &s, false).is_err());
        assert!(parse("approve P-0001", &s, true).is_err(), "read-only");
    }

    #[test]
    fn candidates_show_when_nothing_more_completes() {
        let s = snap();
        let (text, hint) = complete_with_hint("approve ", &s, false);
        assert_eq!(text, "approve ");
        assert_eq!(hint, "P-0001 all");
        let (_, hint) = complete_with_hint("re", &s, false);
        assert_eq!(hint, "reject resolve resume retire retry review reassign");
    }

    #[test]
    fn completes_commands_then_ids() {
        let s = snap();
        assert_eq!(complete("appr", &s, false), "approve ");
        assert_eq!(complete("approve P", &s, false), "approve P-0001 ");
        assert_eq!(complete("dismiss ", &s, false), "dismiss C-0001 ");
        assert_eq!(
            complete("re", &s, false),
            "re",
            "reject, resolve, resume, retry share only `re`"
        );
        assert_eq!(complete("k", &s, false), "kill ");
        assert_eq!(complete("k", &s, true), "k", "read-only has no kill");
    }

    #[test]
    fn move_takes_a_queued_task_and_a_direction() {
        let mut s = snap();
        s.merge_queue = vec![TaskId::new("auth-4"), TaskId::new("auth-6")];
        assert_eq!(
            parse("move auth-4 front", &s, false),
            Ok(Parsed::Commands(vec![Command::MoveTask(
                TaskId::new("auth-4"),
                QueueEnd::Front
            )]))
        );
        assert_eq!(
            parse("move auth-6 back", &s, false),
            Ok(Parsed::Commands(vec![Command::MoveTask(
                TaskId::new("auth-6"),
                QueueEnd::Back
            )]))
        );
        assert!(parse("move auth-4", &s, false).is_err());
        assert!(parse("move auth-4 sideways", &s, false).is_err());
        assert!(parse("move", &s, false).is_err());
        assert!(parse("move auth-4 front", &s, true).is_err(), "read-only");
        assert_eq!(complete("mo", &s, false), "move ");
        assert_eq!(complete("mo", &s, true), "mo", "read-only has no move");
        assert_eq!(complete("move auth-6", &s, false), "move auth-6 ");
        assert_eq!(complete("move auth-6 f", &s, false), "move auth-6 front ");
        assert_eq!(complete("move ", &s, false), "move auth-");
        let (_, hint) = complete_with_hint("move auth-", &s, false);
        assert_eq!(hint, "auth-4 auth-6");
        let (_, hint) = complete_with_hint("move auth-4 ", &s, false);
        assert_eq!(hint, "front back");
    }

    #[test]
    fn the_command_words_are_the_action_tables() {
        let s = snap();
        let words: Vec<(&str, Action)> = crate::tui::action::line_commands()
            .map(|(w, _, a)| (w, a))
            .collect();
        assert!(words.len() >= 15, "{words:?}");
        for (word, action) in &words {
            // Every word of the table is one the parser knows.
            let parsed = parse(word, &s, false);
            assert!(
                !matches!(&parsed, Err(e) if e.starts_with("unknown command")),
                "{word}: {parsed:?}"
            );
            // Read-only refuses exactly the words whose action changes the swarm.
            let ro = parse(word, &s, true);
            let refused = matches!(&ro, Err(e) if e.ends_with("the console is read-only"));
            assert_eq!(refused, action.mutates(), "{word}: {ro:?}");
        }
        // Tab offers the table's words; read-only, those that change nothing.
        let table: Vec<String> = words.iter().map(|(w, _)| w.to_string()).collect();
        assert_eq!(candidates(&[], &s, false), table);
        let looking: Vec<String> = words
            .iter()
            .filter(|(_, a)| !a.mutates())
            .map(|(w, _)| w.to_string())
            .collect();
        assert_eq!(candidates(&[], &s, true), looking);
        assert_eq!(looking, ["quit", "help", "logs", "incidents", "review"]);
        assert!(
            matches!(parse("frobnicate", &s, false), Err(e) if e.starts_with("unknown command"))
        );
    }
}
