//! Gates and the merge queue (simple form): a finished task's branch passes
//! its gates, waits its turn, and merges into the target or is marked
//! conflicted. Workers never touch the target; only this queue moves it.

use super::{Attr, Effect, Engine, Step};
use crate::domain::*;

/// Gate output kept in the log per run; the full output stays with the executor.
const GATE_OUTPUT_KEPT: usize = 4000;

fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

impl Engine {
    pub(crate) fn start_gates(&mut self, out: &mut Step, task: &TaskId) {
        let t = &self.state.tasks[task];
        let (Some(agent), Some(branch)) = (t.agent.clone(), t.branch.clone()) else {
            return;
        };
        let mut checks = self.settings.gates.clone();
        checks.extend(t.spec.checks.iter().cloned());
        self.live.gating.insert(task.clone());
        out.effects.push(Effect::RunGates {
            task: task.clone(),
            agent,
            branch,
            checks,
        });
    }

    pub(crate) fn on_gates(
        &mut self,
        out: &mut Step,
        task: TaskId,
        passed: bool,
        gate: String,
        output: String,
    ) {
        if !self.live.gating.remove(&task) {
            return;
        }
        let agent = self.state.tasks[&task].agent.clone();
        let attr = match &agent {
            Some(a) => Attr::engine().agent(a).task(&task),
            None => Attr::engine().task(&task),
        };
        let last_line = output
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string();
        self.emit(
            out,
            attr.clone(),
            EventKind::GateFinished {
                passed,
                gate: gate.clone(),
                output: tail(&output, GATE_OUTPUT_KEPT),
            },
        );
        if passed {
            let seq = self.state.merge_seq + 1;
            self.emit(out, attr, EventKind::MergeQueued { seq });
            return;
        }
        let failures = self.state.tasks[&task].gate_failures;
        let reason = format!("gate `{gate}` failed: {last_line}");
        if failures >= self.settings.max_rejections {
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskFailed {
                    reason: format!("{reason} ({failures} rejections)"),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Gate,
                Impact::High,
                0.9,
                format!("{task} rejected by the gates {failures} times; last: {reason}"),
            );
            self.block_dependents(out, &task);
        } else {
            self.emit(out, attr, EventKind::TaskReworked { reason });
        }
    }

    /// The next entry to merge: priority, then arrival.
    pub(crate) fn queue_head(&self) -> Option<TaskId> {
        if self.live.merging.is_some() || self.state.frozen {
            return None;
        }
        self.state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Queued && t.waiting_on.is_none())
            .min_by_key(|t| (-t.spec.priority, t.queued_seq.unwrap_or(u64::MAX)))
            .map(|t| t.spec.id.clone())
    }

    /// The entries waiting to merge, in the order they will go.
    pub fn merge_queue(&self) -> Vec<&Task> {
        let mut q: Vec<&Task> = self
            .state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Queued)
            .collect();
        q.sort_by_key(|t| (-t.spec.priority, t.queued_seq.unwrap_or(u64::MAX)));
        q
    }

    pub(crate) fn advance_queue(&mut self, out: &mut Step) {
        while let Some(task) = self.queue_head() {
            let t = &self.state.tasks[&task];
            if self.settings.pause_before_merge {
                let approved = self.state.pauses.iter().any(|p| {
                    p.kind == PauseKind::Merge
                        && p.task.as_ref() == Some(&task)
                        && p.state == PauseState::Approved
                });
                if !approved {
                    let id = self.state.next_pause_id();
                    let reason = format!(
                        "merge {task} ({}) into {}",
                        t.spec.title, self.settings.target
                    );
                    let attr = Attr::engine().task(&task);
                    let attr = match &t.agent {
                        Some(a) => attr.agent(a),
                        None => attr,
                    };
                    self.emit(
                        out,
                        attr,
                        EventKind::PauseRequested {
                            id,
                            pause: PauseKind::Merge,
                            reason,
                        },
                    );
                    continue;
                }
            }
            let Some(branch) = t.branch.clone() else {
                self.emit(
                    out,
                    Attr::engine().task(&task),
                    EventKind::TaskFailed {
                        reason: "queued without a branch".into(),
                    },
                );
                continue;
            };
            let agent = t.agent.clone().map(|a| a.0).unwrap_or_default();
            let message = format!(
                "Merge {task}: {}\n\nShiftboss-Task: {task}\nShiftboss-Agent: {agent}\nShiftboss-Convoy: {}\n",
                t.spec.title, t.spec.convoy
            );
            self.live.merging = Some(task.clone());
            out.effects.push(Effect::Merge {
                task,
                branch,
                message,
            });
            break;
        }
    }

    pub(crate) fn on_merge(
        &mut self,
        out: &mut Step,
        task: TaskId,
        result: Result<MergeOutcome, String>,
    ) {
        if self.live.merging.as_ref() != Some(&task) {
            return;
        }
        self.live.merging = None;
        let agent = self.state.tasks[&task].agent.clone();
        let attr = match &agent {
            Some(a) => Attr::engine().agent(a).task(&task),
            None => Attr::engine().task(&task),
        };
        match result {
            Ok(outcome) => {
                let conflicted = match &outcome {
                    MergeOutcome::Conflicted { files } => Some(files.join(", ")),
                    MergeOutcome::Merged { .. } => None,
                };
                self.emit(out, attr.clone(), EventKind::MergeFinished { outcome });
                if let Some(files) = conflicted {
                    self.emit(
                        out,
                        attr.clone(),
                        EventKind::TaskFailed {
                            reason: format!("merge conflict in {files}; work kept on its branch"),
                        },
                    );
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Merge,
                        Impact::Medium,
                        1.0,
                        format!("{task} conflicts with {} in {files}", self.settings.target),
                    );
                    self.block_dependents(out, &task);
                }
            }
            Err(e) => {
                self.emit(
                    out,
                    attr.clone(),
                    EventKind::TaskBlocked {
                        reason: format!("merge failed: {e}"),
                    },
                );
                self.raise(
                    out,
                    attr,
                    ConcernSource::Merge,
                    Impact::High,
                    0.7,
                    format!("merging {task} failed: {e}"),
                );
                self.block_dependents(out, &task);
            }
        }
    }
}
