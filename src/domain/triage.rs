//! T2 triage's facts and verdicts. Every concern routed to triage gets a
//! verdict — *resolve* (clear cause, low impact: restarted and working
//! again), *act* (restart fresh, reassign, a bigger model, a raised budget:
//! the engine does it) or *escalate* to the operator with a recommendation — from
//! heuristics over what the log says about its task: the same check firing
//! again and again, a budget stop near the end, the same gate finding
//! repeated. Each verdict is a `triage_verdict` event with its reasons; the
//! facts here are folded from every event so the heuristics read the state,
//! never the log.

use super::{
    AgentId, Check, ConcernId, Event, EventKind, MergeOutcome, Millis, Money, Routing, TaskId,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What triage decided about a concern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A clear cause, handled: the concern is resolved.
    Resolve,
    /// The operator decides, with triage's recommendation.
    Escalate,
    /// Triage acts (the verdict's [`Action`]) and the concern is resolved.
    Act,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Resolve => "resolve",
            Verdict::Escalate => "escalate",
            Verdict::Act => "act",
        }
    }
}

/// What an *act* verdict does to the concern's task. Each is done at most
/// once per task; trouble after it is escalated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "do")]
pub enum Action {
    /// Its session stopped and a new one started on the same task and
    /// branch, with nothing carried over from the stopped one.
    RestartFresh,
    /// The task goes to another idle agent.
    Reassign { to: AgentId },
    /// The task goes to an idle agent of a bigger model (the next rung of
    /// the model ladder that has one).
    BiggerModel { to: AgentId, model: String },
    /// The task's budget raised to `limit` (within the policy's limit and
    /// the day's budget) and the task unblocked.
    RaiseBudget { limit: Money },
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::RestartFresh => "restart_fresh",
            Action::Reassign { .. } => "reassign",
            Action::BiggerModel { .. } => "bigger_model",
            Action::RaiseBudget { .. } => "raise_budget",
        }
    }

    /// In words, as the console and the log show it.
    pub fn describe(&self) -> String {
        match self {
            Action::RestartFresh => "restart it fresh".into(),
            Action::Reassign { to } => format!("reassign it to {to}"),
            Action::BiggerModel { to, model } => format!("move it to {model} ({to})"),
            Action::RaiseBudget { limit } => format!("raise its budget to {limit}"),
        }
    }
}

/// A model's verdict as read from its answer (before the engine makes its
/// action concrete: which agent, which limit).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelVerdict {
    pub verdict: Verdict,
    /// One of `restart_fresh`, `reassign`, `bigger_model`, `raise_budget`.
    pub action: Option<String>,
    pub reasons: Vec<String>,
    pub recommendation: String,
}

/// One verdict, as the watchdog pane's T2 group shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decided {
    pub concern: ConcernId,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    pub recommendation: String,
    pub reasons: Vec<String>,
    pub at: Millis,
}

/// What the log has said about a task that triage weighs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskTrouble {
    /// The check that fired last and how many times in a row (without the
    /// task being done in between).
    pub alerts_in_row: Option<(Check, u32)>,
    /// When the last watchdog alert on it fired.
    #[serde(default)]
    pub last_alert: Option<Millis>,
    /// The last sign of work: progress, a commit, usage.
    pub last_work: Option<Millis>,
    /// The last progress the agent reported (0–100).
    pub progress: u8,
    /// The last gate rejection's gate and first finding, and how many times
    /// in a row exactly that came back.
    pub same_rejection: Option<(String, u32)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TriageFacts {
    /// By task, in order (a checkpoint of the fold writes the same bytes
    /// for the same state).
    pub tasks: BTreeMap<TaskId, TaskTrouble>,
    /// Every verdict, by concern.
    pub verdicts: BTreeMap<ConcernId, Decided>,
    /// The latest verdicts, newest last (at most [`RECENT`]).
    pub recent: VecDeque<ConcernId>,
    /// Concerns routed to triage, open, without a verdict: what a tick
    /// looks at (never every concern of the day).
    pub waiting: BTreeSet<ConcernId>,
    /// What triage did to each task (action words), so it does each once.
    #[serde(default)]
    pub acted: BTreeMap<TaskId, BTreeSet<String>>,
    /// Task budgets triage raised: the new limit.
    #[serde(default)]
    pub budgets: BTreeMap<TaskId, Money>,
    /// The last action on each task: when, and what, in words.
    #[serde(default)]
    pub last_act: BTreeMap<TaskId, (Millis, String)>,
    /// Tasks triage gave to a given agent, until that agent starts them
    /// (or the task leaves the queue another way).
    #[serde(default)]
    pub assign_to: BTreeMap<TaskId, AgentId>,
}

pub const RECENT: usize = 8;

impl TriageFacts {
    pub fn apply(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::ConcernRaised { id, routing, .. } if *routing == Routing::Triage => {
                self.waiting.insert(id.clone());
            }
            EventKind::ConcernDisposed { id, .. } => {
                self.waiting.remove(id);
            }
            _ => {}
        }
        if let EventKind::TriageVerdict {
            concern,
            verdict,
            action,
            recommendation,
            reasons,
        } = &ev.kind
        {
            // An escalation's action is a proposal, not done.
            if *verdict == Verdict::Act
                && let (Some(a), Some(task)) = (action, &ev.task)
            {
                self.acted
                    .entry(task.clone())
                    .or_default()
                    .insert(a.as_str().to_string());
                self.last_act.insert(
                    task.clone(),
                    (ev.at, format!("{concern}: {}", a.describe())),
                );
                match a {
                    Action::RaiseBudget { limit } => {
                        self.budgets.insert(task.clone(), *limit);
                    }
                    Action::Reassign { to } | Action::BiggerModel { to, .. } => {
                        self.assign_to.insert(task.clone(), to.clone());
                    }
                    Action::RestartFresh => {}
                }
            }
            self.verdicts.insert(
                concern.clone(),
                Decided {
                    concern: concern.clone(),
                    verdict: verdict.clone(),
                    action: action.clone(),
                    recommendation: recommendation.clone(),
                    reasons: reasons.clone(),
                    at: ev.at,
                },
            );
            self.waiting.remove(concern);
            self.recent.push_back(concern.clone());
            if self.recent.len() > RECENT {
                self.recent.pop_front();
            }
            return;
        }
        let Some(task) = &ev.task else {
            return;
        };
        // The agent triage gave the task is free for other work once the
        // task starts, or leaves the queue another way (to the merge queue,
        // merged, failed, triaged by the operator).
        if matches!(
            ev.kind,
            EventKind::TaskAssigned { .. }
                | EventKind::MergeQueued { .. }
                | EventKind::MergeFinished { .. }
                | EventKind::TaskFailed { .. }
                | EventKind::TaskTriaged { .. }
        ) {
            self.assign_to.remove(task);
        }
        // Finished: merged. A merge sent back (rejected, conflicted) is
        // more of the same trouble, and so is a failure (it may be retried).
        if matches!(
            ev.kind,
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged { .. }
            }
        ) {
            self.tasks.remove(task);
            return;
        }
        let t = self.tasks.entry(task.clone()).or_default();
        match &ev.kind {
            EventKind::WatchdogAlert { check, .. } => {
                t.last_alert = Some(ev.at);
                t.alerts_in_row = match t.alerts_in_row {
                    Some((c, n)) if c == *check => Some((c, n + 1)),
                    _ => Some((*check, 1)),
                };
            }
            EventKind::Progress { percent, .. } => {
                t.progress = *percent;
                t.last_work = Some(ev.at);
            }
            EventKind::CommitMade { .. } | EventKind::UsageRecorded { .. } => {
                t.last_work = Some(ev.at);
            }
            EventKind::TaskDone => t.alerts_in_row = None,
            EventKind::GateFinished {
                passed: false,
                gate,
                findings,
                ..
            } => {
                let what = match findings.first() {
                    Some(f) => format!("{gate}: {} {}", f.file, f.found),
                    None => gate.clone(),
                };
                t.same_rejection = match t.same_rejection.take() {
                    Some((w, n)) if w == what => Some((w, n + 1)),
                    _ => Some((what, 1)),
                };
            }
            _ => {}
        }
    }

    pub fn verdict(&self, id: &ConcernId) -> Option<&Decided> {
        self.verdicts.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, AgentId, ConcernId, Event, TaskId};

    fn on_t1(kind: EventKind) -> Event {
        Event {
            at: 0,
            actor: Actor::Engine,
            agent: None,
            task: Some(TaskId::new("t1")),
            convoy: None,
            model: None,
            session: None,
            kind,
        }
    }

    fn reassigned() -> Event {
        on_t1(EventKind::TriageVerdict {
            concern: ConcernId::new("C-0001"),
            verdict: Verdict::Act,
            action: Some(Action::Reassign {
                to: AgentId::new("builder-02"),
            }),
            recommendation: String::new(),
            reasons: Vec::new(),
        })
    }

    #[test]
    fn a_reservation_ends_when_its_task_leaves_the_queue_any_way() {
        let gone = [
            EventKind::TaskFailed {
                reason: "gave up".into(),
            },
            EventKind::TaskAssigned {
                branch: "shiftboss/builder-02/t1".into(),
                attempt: 2,
                resume: true,
            },
        ];
        for kind in gone {
            let mut f = TriageFacts::default();
            f.apply(&reassigned());
            assert_eq!(f.assign_to.len(), 1);
            let name = kind.name();
            f.apply(&on_t1(kind));
            assert!(f.assign_to.is_empty(), "{name} keeps the agent reserved");
        }
        // Trouble that keeps the task in the queue keeps the reservation.
        let mut f = TriageFacts::default();
        f.apply(&reassigned());
        f.apply(&on_t1(EventKind::TaskBlocked {
            reason: "waits".into(),
        }));
        assert_eq!(f.assign_to.len(), 1);
    }
}
