//! T2 triage on the tick: each concern waiting for triage gets a verdict —
//! from a known pattern (`watchdog::triage`), else from triage's model when
//! one is configured (`triage_llm.rs`), else escalated when `triage_after`
//! passed — as a `triage_verdict` event. A resolved one is disposed of, an
//! escalated one is the operator's (the fold routes it to the human), and
//! an *act* verdict is done here, through the paths the operator's commands
//! take (a session stopped, a task requeued or retried), then the concern
//! is disposed of as resolved.

use super::{Attr, Engine, Step};
use crate::domain::triage::{Action, Verdict};
use crate::domain::{
    AgentId, Check, Concern, ConcernSource, Disposition, EventKind, Impact, TaskId, TaskStatus,
};
use crate::watchdog::triage::{Judgement, TriagePolicy, judge_pattern, judge_time};

impl Engine {
    /// What triage may do, from the settings.
    pub(crate) fn triage_policy(&self) -> TriagePolicy {
        TriagePolicy {
            budget_task: self.settings.budget_task,
            budget_day: self.settings.budget_day,
            ..self.settings.triage.clone()
        }
    }

    pub(super) fn triage(&mut self, out: &mut Step) {
        let after = self.settings.watchdog.triage_after;
        if after <= 0 {
            return;
        }
        let policy = self.triage_policy();
        let waiting: Vec<_> = self.state.triage.waiting.iter().cloned().collect();
        // One at a time: an action changes what the next verdict sees (an
        // agent given a task is no longer free).
        for id in waiting {
            let Some(c) = self.state.concern(&id).cloned() else {
                continue;
            };
            let pattern = judge_pattern(&self.state, &c, &policy, &|a, t| self.may_take_id(a, t));
            let j = match pattern {
                Some(j) => j,
                None if self.wait_for_model(out, &c, &policy) => continue,
                None => match judge_time(&c, self.now, after) {
                    Some(j) => j,
                    None => continue,
                },
            };
            self.settle(out, c, j);
        }
    }

    /// Whether `agent` may take `task` by the team rules: triage moves a
    /// task only to such an agent.
    pub(super) fn may_take_id(&self, agent: &AgentId, task: &TaskId) -> bool {
        self.state
            .tasks
            .get(task)
            .is_some_and(|t| self.may_take(agent, t))
    }

    /// A verdict given: its event, its action, the concern disposed of
    /// unless it was escalated.
    pub(super) fn settle(&mut self, out: &mut Step, c: Concern, j: Judgement) {
        let mut attr = Attr::engine();
        if let Some(a) = &c.agent {
            attr = attr.agent(a);
        }
        if let Some(t) = &c.task {
            attr = attr.task(t);
        }
        let settled = j.verdict != Verdict::Escalate;
        // An escalation's action is only proposed.
        let action = j.action.clone().filter(|_| j.verdict == Verdict::Act);
        self.emit(
            out,
            attr.clone(),
            EventKind::TriageVerdict {
                concern: c.id.clone(),
                verdict: j.verdict,
                action: j.action,
                recommendation: j.recommendation,
                reasons: j.reasons,
            },
        );
        if let (Some(a), Some(task)) = (&action, &c.task) {
            self.triage_act(out, task, a);
        }
        if settled {
            self.emit(
                out,
                attr,
                EventKind::ConcernDisposed {
                    id: c.id,
                    disposition: Disposition::Resolved,
                },
            );
        }
    }

    /// An act verdict done: a live session on the task stopped and the task
    /// requeued (its next session fresh, on the agent the fold reserved for
    /// it if any); a failed or blocked task retried as the operator's
    /// `:retry` does, with the tasks that waited on it.
    pub(super) fn triage_act(&mut self, out: &mut Step, task: &TaskId, action: &Action) {
        let why = format!("triage: {}", action.describe());
        let live = self
            .live
            .sessions
            .iter()
            .find(|(_, (_, t, _))| t == task)
            .map(|(s, _)| s.clone());
        if let Some(s) = live {
            // Stopped by triage, not by its own trouble: the attempt does
            // not count.
            self.stop_session(out, &s, why.clone());
            let reason = format!("{why}; work kept on its branch; the attempt does not count");
            let attr = Attr::engine().task(task);
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskRequeued {
                    reason: reason.clone(),
                },
            );
            self.emit(out, attr, EventKind::AttemptReturned { reason });
            return;
        }
        let status = self.state.tasks.get(task).map(|t| t.status);
        if matches!(status, Some(TaskStatus::Failed | TaskStatus::Blocked)) {
            self.retry_task_as(out, task, crate::domain::Actor::Engine);
        }
    }

    /// Trouble that recurs on a task without a concern of its own (the
    /// agent's process gone again: `gate` false; the gates rejecting exactly
    /// the same thing again: `gate` true) goes to triage as a concern,
    /// while triage is on.
    pub(crate) fn recurring_to_triage(&mut self, out: &mut Step, task: &TaskId, gate: bool) {
        if self.settings.watchdog.triage_after <= 0
            || self
                .state
                .tasks
                .get(task)
                .is_none_or(|t| t.status == TaskStatus::Failed)
        {
            return;
        }
        let Some(t) = self.state.triage.tasks.get(task) else {
            return;
        };
        let summary = match (&t.alerts_in_row, &t.same_rejection) {
            (Some((Check::ProcessGone, n)), _) if *n >= 2 && !gate => {
                format!("{task}: the agent's process ended early {n} times in a row")
            }
            (_, Some((what, n))) if *n >= 2 && gate => {
                format!("{task}: the gates rejected the same thing {n} times in a row: {what}")
            }
            _ => return,
        };
        let mut attr = Attr::engine().task(task);
        if let Some(a) = &self.state.tasks[task].agent {
            attr = attr.agent(a);
        }
        self.raise(
            out,
            attr,
            ConcernSource::Watchdog,
            Impact::Medium,
            0.8,
            summary,
        );
    }
}
