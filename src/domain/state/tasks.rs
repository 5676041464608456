//! A task's own events: added, assigned, its commits and gates, sent back, failed, blocked.

use super::*;

impl SwarmState {
    pub(super) fn task_added(&mut self, ev: &Event) {
        let EventKind::TaskAdded { spec } = &ev.kind else {
            return;
        };
        if !self.convoys.contains(&spec.convoy) {
            self.convoys.push(spec.convoy.clone());
        }
        if !self.tasks.contains_key(&spec.id) {
            self.task_order.push(spec.id.clone());
        }
        // Adding a task again replaces it but keeps its place.
        let stamp = self.rows.tasks.entry(spec.id.clone()).or_insert(Stamp {
            seq: self.events,
            updated_at: ev.at,
        });
        stamp.updated_at = ev.at;
        if let Some(touched) = &mut self.touched {
            mark(&mut touched.tasks, &spec.id);
        }
        let mut task = Task::new(spec.clone());
        self.created_by_lead(ev, &mut task);
        self.tasks.insert(spec.id.clone(), task);
    }

    pub(super) fn task_assigned(&mut self, ev: &Event) {
        let EventKind::TaskAssigned {
            branch, attempt, ..
        } = &ev.kind
        else {
            return;
        };
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::InProgress;
            t.agent = agent.clone();
            t.session = ev.session.clone();
            t.branch = Some(branch.clone());
            t.attempts = *attempt;
            t.started_at.get_or_insert(ev.at);
            t.reason = None;
            t.not_before = None;
        }
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.phase = AgentPhase::Working;
            if let Some(t) = &task {
                a.given.retain(|(g, _)| g != t);
                a.given.push((t.clone(), *attempt));
            }
            a.task = task.clone();
            a.session = ev.session.clone();
            a.sessions += 1;
            a.last_output_at = ev.at;
            a.repeats = 0;
            a.output.reset(ev.at);
        }
    }

    pub(super) fn commit_made(&mut self, ev: &Event) {
        let EventKind::CommitMade { paths, .. } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        self.commits += 1;
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            for p in paths {
                if !t.changed.contains(p) {
                    t.changed.push(p.clone());
                }
            }
            t.changed.sort();
        }
    }

    pub(super) fn task_done(&mut self, ev: &Event) {
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Gating;
        }
    }

    pub(super) fn gate_finished(&mut self, ev: &Event) {
        let EventKind::GateFinished {
            passed,
            findings,
            changed,
            ..
        } = &ev.kind
        else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            if !*passed {
                t.gate_failures += 1;
            }
            t.findings = findings.clone();
            if !changed.is_empty() {
                t.changed = changed.clone();
            }
        }
    }

    pub(super) fn conflict_predicted(&mut self, ev: &Event) {
        let EventKind::ConflictPredicted { prediction } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.prediction = Some(prediction.clone());
        }
    }

    pub(super) fn task_requeued(&mut self, ev: &Event) {
        let EventKind::TaskRequeued { reason } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Pending;
            t.session = None;
            t.reason = Some(reason.clone());
            t.waiting_on = None;
        }
    }

    pub(super) fn task_deferred(&mut self, ev: &Event) {
        let EventKind::TaskDeferred { until } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.not_before = Some(*until);
        }
    }

    pub(super) fn task_reworked(&mut self, ev: &Event) {
        let EventKind::TaskReworked { reason } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        let mut by = None;
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Pending;
            t.session = None;
            t.reason = Some(reason.clone());
            t.returned = Some(reason.clone());
            by = t.agent.clone();
        }
        if let Some(a) = self.agent_mut(by.as_ref(), ev.at) {
            a.rework += 1;
        }
    }

    pub(super) fn task_failed(&mut self, ev: &Event) {
        let EventKind::TaskFailed { reason } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        let mut by = None;
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Failed;
            t.reason = Some(reason.clone());
            t.finished_at = Some(ev.at);
            t.session = None;
            t.queued_seq = None;
            t.waiting_on = None;
            by = t.agent.clone();
        }
        if let Some(a) = self.agent_mut(by.as_ref(), ev.at) {
            a.tasks_failed += 1;
        }
    }

    pub(super) fn task_blocked(&mut self, ev: &Event) {
        let EventKind::TaskBlocked { reason } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Blocked;
            t.reason = Some(reason.clone());
            t.session = None;
            t.queued_seq = None;
            t.waiting_on = None;
        }
    }

    pub(super) fn task_unblocked(&mut self, ev: &Event) {
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.status = TaskStatus::Pending;
            t.reason = None;
        }
    }

    pub(super) fn attempt_returned(&mut self, ev: &Event) {
        let EventKind::AttemptReturned { .. } = &ev.kind else {
            return;
        };
        let task = ev.task.clone();
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.attempts = t.attempts.saturating_sub(1);
        }
    }
}
