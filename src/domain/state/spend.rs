//! Usage and money: the totals, per model and per minute, and the day's budget.

use super::*;

impl SwarmState {
    pub(super) fn usage_recorded(&mut self, ev: &Event) {
        let EventKind::UsageRecorded { usage, cost } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.usage += *usage;
            a.cost += *cost;
            a.context_tokens = usage.context_tokens();
        }
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.cost += *cost;
        }
        self.usage_total += *usage;
        self.spend_total += *cost;
        self.spend_day += *cost;
        if ev.actor == Actor::Shiftboss {
            self.usage_own += *usage;
            self.spend_own += *cost;
        }
        if let Some(m) = &ev.model {
            *self.spend_by_model.entry(m.clone()).or_default() += *cost;
            *self.usage_by_model.entry(m.clone()).or_default() += *usage;
            if let Some(touched) = &mut self.touched {
                mark(&mut touched.models, m);
            }
        }
        let minute = ev.at.div_euclid(MINUTE);
        match self.spend_by_minute.last_mut() {
            Some((m, s)) if *m == minute => *s += *cost,
            _ => {
                self.spend_by_minute.push((minute, *cost));
                if self.spend_by_minute.len() > MINUTES_KEPT {
                    self.spend_by_minute.remove(0);
                }
            }
        }
    }

    pub(super) fn budget_reached(&mut self, ev: &Event) {
        let EventKind::BudgetReached { scope, hard, .. } = &ev.kind else {
            return;
        };
        if *scope == BudgetScope::Day {
            if *hard {
                self.day_hard_reached = true;
            }
            self.day_soft_reached = true;
        }
    }

    /// More budget for a task: what it was given beyond the configured one.
    pub(super) fn budget_raised(&mut self, ev: &Event) {
        let EventKind::BudgetRaised { by, .. } = &ev.kind else {
            return;
        };
        if let Some(t) = self.task_mut(ev.task.as_ref(), ev.at) {
            t.extra_budget += *by;
        }
    }
}
