//! More budget for a task, given by the operator: a task stopped at its
//! budget goes back to the queue with its branch, and its budget concern is
//! resolved by the same decision.

use super::{Attr, Engine, Step};
use crate::domain::*;

/// Whether `by` more budget can go to task `id`; the reason if not.
pub fn check_raise(s: &SwarmState, id: &TaskId, by: Money) -> Result<(), String> {
    let Some(t) = s.task(id) else {
        return Err(format!("no task {id}"));
    };
    if by <= Money::ZERO {
        return Err(format!("more budget for {id} needs an amount above $0.00"));
    }
    match t.status {
        TaskStatus::Merged | TaskStatus::Failed => Err(format!(
            "{id} is {}; its budget no longer matters",
            t.status
        )),
        _ => Ok(()),
    }
}

/// The open concerns saying that the task stopped at its budget.
pub fn budget_concerns<'s>(s: &'s SwarmState, id: &TaskId) -> impl Iterator<Item = &'s Concern> {
    let stopped = format!("{id} stopped: spent ");
    s.open_concerns().filter(move |c| {
        c.source == ConcernSource::Budget
            && c.task.as_ref() == Some(id)
            && c.summary.starts_with(&stopped)
    })
}

impl Engine {
    /// `by` more budget for the task; stopped at its budget, it is retried.
    pub(crate) fn raise_budget(&mut self, out: &mut Step, id: &TaskId, by: Money) {
        let configured = self.settings.budget_task;
        if configured <= Money::ZERO {
            // No task budget is configured: nothing to raise.
            return;
        }
        let t = &self.state.tasks[id];
        // On top of what it may spend now: triage's raise included.
        let base = crate::watchdog::triage::task_budget(&self.state, id, configured);
        let limit = t.budget(base) + by;
        let stopped = t.stopped_at_budget();
        let op = Attr::by(Actor::Operator);
        self.emit(out, op.task(id), EventKind::BudgetRaised { by, limit });
        let answered: Vec<ConcernId> = budget_concerns(&self.state, id)
            .map(|c| c.id.clone())
            .collect();
        for c in answered {
            self.dispose(out, c, Disposition::Resolved);
        }
        if stopped {
            self.retry_task_as(out, id, Actor::Operator);
        }
    }
}
