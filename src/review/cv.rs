//! Agent CVs: what each agent name has done on this repository, across every
//! swarm and day its log holds — tasks by kind, first-try success, rework,
//! cost per merged task, by model — folded from the log's attribution and
//! kept in `.shiftboss/cvs.json` with the seq it covers, so the next read
//! folds only what came after.

use crate::domain::{Event, EventKind, MergeOutcome, Money};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub use crate::domain::kind_of;

/// One agent's record on one model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub merged: u64,
    pub failed: u64,
    /// Merged tasks whose first gate run passed.
    pub first_try: u64,
    /// Tasks sent back (gate rework or a redo after a conflict).
    pub reworked: u64,
    pub cost: Money,
    /// Merged tasks by kind.
    pub kinds: BTreeMap<String, u64>,
}

impl Record {
    pub fn first_try_share(&self) -> Option<f64> {
        (self.merged > 0).then(|| self.first_try as f64 / self.merged as f64)
    }

    pub fn cost_per_merged(&self) -> Option<Money> {
        (self.merged > 0).then(|| Money::from_dollars(self.cost.dollars() / self.merged as f64))
    }
}

/// Every agent's CV: agent → model → record, and the log seq folded so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cvs {
    pub through_seq: u64,
    /// The fingerprint of the row at `through_seq` (`Store::row_mark`): a
    /// cache folded from another log, or from one rewritten since, is folded
    /// again from the start.
    #[serde(default)]
    pub through_mark: String,
    pub agents: BTreeMap<String, BTreeMap<String, Record>>,
    /// What the fold needs to go on from `through_seq`.
    #[serde(default)]
    open: OpenTasks,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct OpenTasks {
    /// Task → its kind, whose agent last took it, on which model, whether
    /// its first gate passed, and whether it was sent back.
    tasks: HashMap<String, TaskOpen>,
    /// Agent → model (from its registration).
    models: HashMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct TaskOpen {
    kind: String,
    agent: Option<String>,
    first_gate: Option<bool>,
    sent_back: bool,
}

impl Cvs {
    /// Fold the event numbered `seq` (events must come in log order).
    pub fn fold(&mut self, seq: u64, ev: &Event) {
        if seq <= self.through_seq {
            return;
        }
        self.through_seq = seq;
        let task = ev.task.as_ref().map(|t| t.as_str().to_string());
        let open = &mut self.open;
        match &ev.kind {
            EventKind::AgentRegistered { model, .. } => {
                if let Some(a) = &ev.agent {
                    open.models.insert(a.as_str().into(), model.clone());
                }
            }
            EventKind::TaskAdded { spec } => {
                open.tasks.entry(spec.id.as_str().into()).or_default().kind = kind_of(spec).into();
            }
            EventKind::TaskAssigned { .. } => {
                if let (Some(t), Some(a)) = (task, &ev.agent) {
                    open.tasks.entry(t).or_default().agent = Some(a.as_str().into());
                }
            }
            EventKind::GateFinished { passed, .. } => {
                if let Some(t) = task {
                    open.tasks
                        .entry(t)
                        .or_default()
                        .first_gate
                        .get_or_insert(*passed);
                }
            }
            EventKind::TaskReworked { .. } | EventKind::TaskReimagined { .. } => {
                // A task counts once, however often it came back.
                let first = task
                    .and_then(|t| open.tasks.get_mut(&t))
                    .filter(|t| !t.sent_back)
                    .and_then(|t| {
                        t.sent_back = true;
                        t.agent.clone()
                    });
                if let Some(a) = first {
                    self.record(&a, None).reworked += 1;
                }
            }
            EventKind::UsageRecorded { cost, .. } => {
                if let Some(a) = &ev.agent {
                    let model = ev.model.clone();
                    self.record(a.as_str(), model.as_deref()).cost += *cost;
                }
            }
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged { .. },
            } => {
                let Some(t) = task.and_then(|t| self.open.tasks.remove(&t)) else {
                    return;
                };
                let Some(a) = t.agent.clone() else { return };
                let r = self.record(&a, None);
                r.merged += 1;
                r.first_try += u64::from(t.first_gate == Some(true));
                *r.kinds.entry(t.kind).or_default() += 1;
            }
            EventKind::TaskFailed { .. } => {
                let Some(t) = task.and_then(|t| self.open.tasks.remove(&t)) else {
                    return;
                };
                if let Some(a) = t.agent {
                    self.record(&a, None).failed += 1;
                }
            }
            _ => {}
        }
    }

    /// The record of `agent` on `model` (the agent's registered model when
    /// the event does not name one; usage names the model that served it,
    /// folded under the registered one's record when it is a dated id of it).
    fn record(&mut self, agent: &str, model: Option<&str>) -> &mut Record {
        let registered = self.open.models.get(agent).cloned().unwrap_or_default();
        let model = match model {
            Some(m) if !m.starts_with(registered.as_str()) || registered.is_empty() => {
                m.to_string()
            }
            _ => registered,
        };
        self.agents
            .entry(agent.to_string())
            .or_default()
            .entry(model)
            .or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConvoyId, TaskId, TaskSpec};

    fn spec(title: &str, scope: &[&str]) -> TaskSpec {
        TaskSpec {
            id: TaskId::new("t"),
            title: title.into(),
            spec: String::new(),
            convoy: ConvoyId::new("c"),
            priority: 0,
            scope: scope.iter().map(|s| s.to_string()).collect(),
            checks: vec![],
            after: vec![],
            tier: None,
            behaviour: None,
            issue: None,
            night: false,
        }
    }

    #[test]
    fn kinds_come_from_title_and_scope() {
        assert_eq!(
            kind_of(&spec("Write the setup guide", &["docs/**"])),
            "docs"
        );
        assert_eq!(
            kind_of(&spec("Add session expiry", &["src/auth/**"])),
            "implementation"
        );
        assert_eq!(
            kind_of(&spec("Fix the login crash", &["src/auth/**"])),
            "bugfix"
        );
        assert_eq!(
            kind_of(&spec("Cover billing", &["tests/billing/**"])),
            "tests"
        );
        assert_eq!(
            kind_of(&spec("Add orders table", &["migrations/**"])),
            "migration"
        );
    }
}
