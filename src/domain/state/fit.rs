//! What capability routing weighs, folded from the log like everything
//! else (the engine reads no CV file): each agent's finished tasks by kind
//! with their first-try passes, and how often each open task was sent back.

use super::*;

/// An agent's finished tasks of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindRecord {
    pub merged: u32,
    /// Merged tasks whose first branch gate run passed.
    pub first_try: u32,
    pub failed: u32,
}

impl KindRecord {
    pub fn finished(&self) -> u32 {
        self.merged + self.failed
    }
}

/// Routing's facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FitFacts {
    /// Agent → kind → record.
    pub agents: BTreeMap<AgentId, BTreeMap<String, KindRecord>>,
    /// Open tasks: times sent back (gate rework or a redo on the target).
    pub reworks: BTreeMap<TaskId, u32>,
    /// Open tasks: whether their first branch gate run passed.
    first_gate: BTreeMap<TaskId, bool>,
}

impl FitFacts {
    /// `agent`'s record on tasks of `kind`.
    pub fn record(&self, agent: &AgentId, kind: &str) -> KindRecord {
        self.agents
            .get(agent)
            .and_then(|k| k.get(kind))
            .copied()
            .unwrap_or_default()
    }

    /// Tasks `agent` finished, of any kind.
    pub fn finished(&self, agent: &AgentId) -> u32 {
        self.agents
            .get(agent)
            .map_or(0, |k| k.values().map(KindRecord::finished).sum())
    }

    /// Times `task` was sent back.
    pub fn reworks(&self, task: &TaskId) -> u32 {
        self.reworks.get(task).copied().unwrap_or(0)
    }
}

impl SwarmState {
    /// Fold `ev` into routing's facts (before the event's own fold).
    pub(super) fn fit_apply(&mut self, ev: &Event) {
        let Some(task) = ev.task.as_ref() else {
            return;
        };
        let fit = &mut self.fit;
        match &ev.kind {
            EventKind::GateFinished { passed, .. } => {
                fit.first_gate.entry(task.clone()).or_insert(*passed);
            }
            EventKind::TaskReworked { .. } | EventKind::TaskReimagined { .. } => {
                *fit.reworks.entry(task.clone()).or_default() += 1;
            }
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged { .. },
            }
            | EventKind::TaskFailed { .. } => {
                let merged = !matches!(ev.kind, EventKind::TaskFailed { .. });
                let first = fit.first_gate.remove(task) == Some(true);
                fit.reworks.remove(task);
                let Some(t) = self.tasks.get(task) else {
                    return;
                };
                let Some(agent) = t.agent.clone() else {
                    return;
                };
                let kind = kind_of(&t.spec).to_string();
                let r = fit
                    .agents
                    .entry(agent)
                    .or_default()
                    .entry(kind)
                    .or_default();
                if merged {
                    r.merged += 1;
                    r.first_try += u32::from(first);
                } else {
                    r.failed += 1;
                }
            }
            _ => {}
        }
    }
}
