//! Concerns and pause points: raised, disposed, requested, decided, raised
//! again while unanswered, timed out.

use super::*;

impl SwarmState {
    pub(super) fn concern_raised(&mut self, ev: &Event) {
        let EventKind::ConcernRaised {
            id,
            source,
            summary,
            confidence,
            impact,
            routing,
        } = &ev.kind
        else {
            return;
        };
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        // A repeated id keeps the first: the one later events change.
        if !self.rows.concerns.contains_key(id) {
            let first = (self.concerns.len(), self.events);
            self.rows.concerns.insert(id.clone(), first);
            if let Some(touched) = &mut self.touched {
                mark(&mut touched.concerns, id);
            }
        }
        let check = self.check_behind(source, agent.as_ref(), task.as_ref());
        self.concerns.push(Concern {
            id: id.clone(),
            source: source.clone(),
            summary: summary.clone(),
            confidence: *confidence,
            impact: *impact,
            routing: *routing,
            disposition: Disposition::Open,
            agent,
            task,
            raised_at: ev.at,
            disposed_at: None,
            disposed_by: None,
            check,
            reraised: 0,
            overdue_since: None,
        })
    }

    pub(super) fn concern_disposed(&mut self, ev: &Event) {
        let EventKind::ConcernDisposed { id, disposition } = &ev.kind else {
            return;
        };
        if let Some(c) = self.concern_mut(id) {
            c.disposition = disposition.clone();
            c.disposed_at = Some(ev.at);
            c.disposed_by = Some(ev.actor);
        }
    }

    pub(super) fn pause_requested(&mut self, ev: &Event) {
        let EventKind::PauseRequested { id, pause, reason } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        if !self.rows.pauses.contains_key(id) {
            let first = (self.pauses.len(), self.events);
            self.rows.pauses.insert(id.clone(), first);
            if let Some(touched) = &mut self.touched {
                mark(&mut touched.pauses, id);
            }
        }
        self.pauses.push(PausePoint {
            id: id.clone(),
            kind: pause.clone(),
            reason: reason.clone(),
            agent: agent.clone(),
            task: task.clone(),
            state: PauseState::Waiting,
            raised_at: ev.at,
            decided_at: None,
            decided_by: None,
            reraised: 0,
            overdue_since: None,
            timed_out: false,
        });
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.waiting_on = Some(id.clone());
        }
        if *pause == PauseKind::AgentRequest
            && let Some(a) = self.agent_mut(agent.as_ref(), ev.at)
            && a.phase == AgentPhase::Working
        {
            a.phase = AgentPhase::Waiting;
        }
    }

    pub(super) fn pause_decided(&mut self, ev: &Event) {
        let EventKind::PauseDecided { id, approved } = &ev.kind else {
            return;
        };
        let mut who = None;
        if let Some(p) = self.pause_mut(id) {
            p.state = if *approved {
                PauseState::Approved
            } else {
                PauseState::Rejected
            };
            p.decided_at = Some(ev.at);
            p.decided_by = Some(ev.actor);
            who = Some((p.agent.clone(), p.task.clone()));
        }
        if let Some((a, t)) = who {
            if let Some(t) = self.task_mut(t.as_ref(), ev.at)
                && t.waiting_on.as_ref() == Some(id)
            {
                t.waiting_on = None;
            }
            if let Some(a) = self.agent_mut(a.as_ref(), ev.at)
                && a.phase == AgentPhase::Waiting
            {
                a.phase = AgentPhase::Working;
            }
        }
    }

    pub(super) fn concern_reraised(&mut self, ev: &Event) {
        let EventKind::ConcernReraised { id, round, .. } = &ev.kind else {
            return;
        };
        if let Some(c) = self.concern_mut(id) {
            c.reraised = *round;
            c.overdue_since.get_or_insert(ev.at);
        }
    }

    pub(super) fn pause_reraised(&mut self, ev: &Event) {
        let EventKind::PauseReraised { id, round, .. } = &ev.kind else {
            return;
        };
        if let Some(p) = self.pause_mut(id) {
            p.reraised = *round;
            p.overdue_since.get_or_insert(ev.at);
        }
    }

    pub(super) fn pause_timed_out(&mut self, ev: &Event) {
        let EventKind::PauseTimedOut { id, .. } = &ev.kind else {
            return;
        };
        if let Some(p) = self.pause_mut(id) {
            p.timed_out = true;
        }
    }
}
