//! The operator's review decisions: failed work triaged, merges judged.

use super::*;
use crate::domain::review::{Night, Triage};

impl SwarmState {
    pub(super) fn task_triaged(&mut self, ev: &Event) {
        let EventKind::TaskTriaged { triage } = &ev.kind else {
            return;
        };
        let Some(t) = self.task_mut(ev.task.as_ref(), ev.at) else {
            return;
        };
        let before = t.reason.take().unwrap_or_default();
        match triage {
            Triage::Reassign { avoid } => {
                t.status = TaskStatus::Pending;
                t.avoid = avoid.clone();
                t.agent = None;
                t.returned = Some(format!("reassigned by the operator after: {before}"));
            }
            Triage::Respecify { spec } => {
                t.status = TaskStatus::Pending;
                t.spec.spec = spec.clone();
                t.returned = Some(format!("the operator rewrote the spec after: {before}"));
            }
            Triage::Archive => {
                t.status = TaskStatus::Failed;
                t.archived = true;
                t.reason = Some(format!("archived by the operator: {before}"));
            }
        }
    }

    pub(super) fn merge_judged(&mut self, ev: &Event) {
        let EventKind::MergeJudged { good } = &ev.kind else {
            return;
        };
        if let Some(t) = self.task_mut(ev.task.as_ref(), ev.at) {
            t.judged = Some(*good);
        }
    }

    pub(super) fn night_event(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::NightStarted { ends_at, budget } => {
                self.night = Some(Night {
                    started_at: ev.at,
                    ends_at: *ends_at,
                    budget: *budget,
                    spent: Money::ZERO,
                    closed: None,
                });
            }
            EventKind::NightClosed { reason } => {
                if let Some(n) = &mut self.night {
                    n.closed = Some(reason.clone());
                }
            }
            EventKind::NightEnded => self.night = None,
            _ => {}
        }
    }

    /// What the night shift spent.
    pub(super) fn night_spend(&mut self, ev: &Event) {
        if let (EventKind::UsageRecorded { cost, .. }, Some(n)) = (&ev.kind, &mut self.night) {
            n.spent += *cost;
        }
    }
}
