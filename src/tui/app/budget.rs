//! More budget for a task, from its budget concern or its page (one key,
//! then an amount typed in the prompt), and what a retry or a raise did,
//! said in the status line.

use super::{App, Mode};
use crate::domain::{Money, SwarmState, TaskId, TaskStatus};
use crate::engine::Command;
use crate::tui::command_line::LineEdit;
use crate::tui::panes::Target;

/// The share of its budget the prompt offers by default.
pub const DEFAULT_SHARE: f64 = 0.5;

/// The task a row or page stands for, when it has one: a task, a concern
/// about a task, an agent's current task.
pub fn task_of(s: &SwarmState, t: &Target) -> Option<TaskId> {
    match t {
        Target::Task(id) => Some(id.clone()),
        Target::Concern(c) => s.concern(c).and_then(|c| c.task.clone()),
        Target::Agent(a) => s.agent(a).and_then(|a| a.task.clone()),
        Target::Pause(p) => s.pause(p).and_then(|p| p.task.clone()),
        Target::Incident(i) => s.incident(i).and_then(|i| match &i.source {
            crate::domain::IncidentSource::Task(t) => Some(t.clone()),
            crate::domain::IncidentSource::Concern(c) => s.concern(c).and_then(|c| c.task.clone()),
        }),
        Target::Convoy(_) | Target::Incidents => None,
    }
}

/// An amount as typed: dollars (`3`, `$3.50`, `+3`) or a share of the
/// task's budget (`50%`).
pub fn parse_amount(text: &str, budget: Money) -> Result<Money, String> {
    let t = text.trim().trim_start_matches('+').trim_start();
    let bad = || format!("expected an amount such as 3.50 or 50%, found {text:?}");
    let by = match t.strip_suffix('%') {
        Some(p) => {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            Money::from_dollars(budget.dollars() * p / 100.0)
        }
        None => {
            let d: f64 = t.trim_start_matches('$').parse().map_err(|_| bad())?;
            if !d.is_finite() || d > 1e9 {
                return Err(bad());
            }
            Money::from_dollars(d)
        }
    };
    if by <= Money::ZERO {
        return Err(format!("the amount must be above $0.00, found {text:?}"));
    }
    Ok(by)
}

/// The budget the prompt offers: half the task's budget now.
pub fn default_amount(s: &SwarmState, configured: Money, id: &TaskId) -> Money {
    let budget = s.task(id).map(|t| t.budget(configured)).unwrap_or_default();
    Money::from_dollars(budget.dollars() * DEFAULT_SHARE)
}

/// What a command will do, for the status line, said before it is sent.
pub fn said(s: &SwarmState, configured: Money, cmd: &Command) -> Option<String> {
    match cmd {
        Command::RetryTask(id) => {
            let t = s.task(id)?;
            let reason = t.reason.as_deref().unwrap_or("");
            let to = if t.branch.is_some()
                && t.status == TaskStatus::Blocked
                && (t.outcome.as_deref() == Some("refused")
                    || reason.starts_with("dropped from the merge queue")
                    || reason.starts_with("merge failed"))
            {
                "the merge queue"
            } else {
                "the queue"
            };
            let mut line = format!("retried: {id} goes back to {to}, its branch kept");
            let waiting = waiting_on(s, id);
            if waiting > 0 {
                line += &format!("; {waiting} task(s) waiting on it follow");
            }
            Some(line)
        }
        Command::RaiseBudget(id, by) => {
            let t = s.task(id)?;
            let limit = t.budget(configured) + *by;
            let mut line = format!("{id}'s budget raised by {by} to {limit}");
            if t.stopped_at_budget() {
                line += "; it goes back to the queue, its branch kept";
            }
            Some(line)
        }
        _ => super::incidents::said(s, cmd),
    }
}

/// Tasks blocked only because they wait on `id`.
fn waiting_on(s: &SwarmState, id: &TaskId) -> usize {
    let prefix = format!("waits on {id},");
    s.tasks
        .values()
        .filter(|t| {
            t.status == TaskStatus::Blocked
                && t.reason.as_deref().is_some_and(|r| r.starts_with(&prefix))
        })
        .count()
}

impl App {
    /// `b`: ask how much more budget the selected task (or the concern's)
    /// gets; the prompt starts at half its budget.
    pub(super) fn ask_budget(&mut self, sel: Option<Target>) {
        let s = &self.snap.state;
        let Some(task) = sel.as_ref().and_then(|t| task_of(s, t)) else {
            return self.say("select a task, or a concern about one, to give it more budget");
        };
        if self.snap.budget_task <= Money::ZERO {
            return self.say("tasks have no budget in this config ([budgets] task)");
        }
        let probe = Command::RaiseBudget(task.clone(), Money(1));
        if let Err(why) = crate::engine::check_command(s, &probe) {
            return self.say(why);
        }
        let by = default_amount(s, self.snap.budget_task, &task);
        self.mode = Mode::Amount {
            task,
            edit: LineEdit::with(&format!("{:.2}", by.dollars())),
        };
    }

    /// The amount typed: sent if the engine would take it, said either way.
    pub(super) fn give_budget(&mut self, task: TaskId, text: &str) -> Result<(), String> {
        let s = &self.snap.state;
        let budget = s
            .task(&task)
            .map(|t| t.budget(self.snap.budget_task))
            .unwrap_or_default();
        let by = parse_amount(text, budget)?;
        self.send_said(Command::RaiseBudget(task, by));
        Ok(())
    }

    /// Send a command, saying what it does; or say why the engine would not
    /// take it.
    pub(super) fn send_said(&mut self, cmd: Command) {
        let line = said(&self.snap.state, self.snap.budget_task, &cmd);
        self.send_checked(cmd, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_dollars_or_a_share_of_the_budget() {
        let b = Money::from_dollars(6.0);
        assert_eq!(parse_amount("3", b), Ok(Money::from_dollars(3.0)));
        assert_eq!(parse_amount("+$1.50", b), Ok(Money::from_dollars(1.5)));
        assert_eq!(parse_amount(" 50% ", b), Ok(Money::from_dollars(3.0)));
        assert!(parse_amount("0", b).is_err());
        assert!(parse_amount("-2", b).is_err());
        assert!(parse_amount("lots", b).unwrap_err().contains("3.50 or 50%"));
        assert!(parse_amount("inf", b).is_err());
    }
}
