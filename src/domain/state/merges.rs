//! The merge queue's events: batches, moves, queued and finished merges, reimagined tasks.

use super::*;

impl SwarmState {
    pub(super) fn batch_tested(&mut self, ev: &Event) {
        let EventKind::BatchTested {
            tasks,
            base,
            passed,
            gate,
            output,
        } = &ev.kind
        else {
            return;
        };
        self.batch_runs.push(Arc::new(BatchRun {
            at: ev.at,
            tasks: tasks.clone(),
            base: base.clone(),
            passed: *passed,
            gate: gate.clone(),
            output: output.clone(),
        }));
    }

    pub(super) fn queue_moved(&mut self, ev: &Event) {
        let EventKind::QueueMoved { front } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        self.queue_moves += 1;
        let key = if *front {
            -self.queue_moves
        } else {
            self.queue_moves
        };
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.queue_key = key;
        }
    }

    pub(super) fn task_reimagined(&mut self, ev: &Event) {
        let EventKind::TaskReimagined { files, target } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Pending;
            t.session = None;
            t.reimagined += 1;
            t.merge_retries += 1;
            t.changed.clear();
            t.conflict_files = files.clone();
            t.reason = Some(format!(
                "conflicted in {}; redo on {target}",
                files.join(", ")
            ));
            t.returned = t.reason.clone();
        }
    }

    pub(super) fn merge_queued(&mut self, ev: &Event) {
        let EventKind::MergeQueued { seq, onto } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        self.merge_seq = self.merge_seq.max(*seq);
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Queued;
            t.queued_seq = Some(*seq);
            t.onto = onto.clone();
        }
    }

    pub(super) fn merge_finished(&mut self, ev: &Event) {
        let EventKind::MergeFinished { outcome } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        let of_task = task.as_ref().and_then(|t| self.tasks.get(t));
        self.merge_log.push(Arc::new(MergeRecord {
            seq: self.events,
            at: ev.at,
            task: task.clone(),
            agent: agent
                .clone()
                .or_else(|| of_task.and_then(|t| t.agent.clone())),
            convoy: ev
                .convoy
                .clone()
                .or_else(|| of_task.map(|t| t.spec.convoy.clone())),
            outcome: outcome.clone(),
        }));
        if let Some(touched) = &mut self.touched {
            touched.merges.push(self.merge_log.len() - 1);
        }
        let mut by = None;
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.queued_seq = None;
            t.outcome = Some(outcome.word().to_string());
            match outcome {
                MergeOutcome::Unchanged { .. } => {}
                MergeOutcome::Merged { commit, tier, .. } => {
                    t.status = TaskStatus::Merged;
                    t.merged_commit = Some(commit.clone());
                    t.finished_at = Some(ev.at);
                    t.tier = match tier.as_str() {
                        "auto" => Some(ResolveTier::Auto),
                        "ai" => Some(ResolveTier::Ai),
                        _ => Some(ResolveTier::Clean),
                    };
                    t.returned = None;
                    by = t.agent.clone();
                }
                MergeOutcome::Conflicted { files, .. } => {
                    t.conflict_files = files.clone();
                    t.tier = Some(ResolveTier::Reimagine);
                }
                MergeOutcome::Refused {
                    tier,
                    files,
                    lines_at_risk,
                } => {
                    t.tier = Some(*tier);
                    t.conflict_files = files.clone();
                    t.lines_at_risk = lines_at_risk.clone();
                    t.merge_retries += 1;
                }
                MergeOutcome::Rejected { findings, .. } => {
                    t.findings = findings.clone();
                    t.merge_retries += 1;
                    t.gate_failures += 1;
                }
            }
        }
        match outcome {
            MergeOutcome::Merged { .. } => {
                self.merges += 1;
                if let Some(a) = self.agent_mut(by.as_ref(), ev.at) {
                    a.tasks_merged += 1;
                }
            }
            MergeOutcome::Conflicted { .. } | MergeOutcome::Refused { .. } => {
                self.conflicts += 1;
            }
            MergeOutcome::Rejected { .. } | MergeOutcome::Unchanged { .. } => {}
        }
    }
}
