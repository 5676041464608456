//! Usage → cost with the price table, and budgets with hard limits.

use super::{Attr, Effect, Engine, Step, usage_check};
use crate::domain::*;

impl Engine {
    pub(crate) fn on_usage(
        &mut self,
        out: &mut Step,
        attr: Attr,
        model: Option<String>,
        usage: Usage,
    ) {
        let agent = attr.agent.clone().expect("usage comes from an agent");
        let task = attr.task.clone().expect("usage comes from a task");
        let model = match (model, &attr.session) {
            (Some(m), _) => m,
            (None, Some(s)) => self.model_of(s, &agent),
            (None, None) => self.state.agents[&agent].model.clone(),
        };
        let totals = [
            self.state.agents[&agent].cost,
            self.state
                .tasks
                .get(&task)
                .map(|t| t.cost)
                .unwrap_or_default(),
            self.state.spend_day,
        ];
        let cost = match usage_check::checked_cost(&self.settings, &model, &usage, &totals) {
            Ok(cost) => cost,
            Err(why) => return self.refuse_usage(out, attr, &model, why),
        };
        let model_used = model.clone();
        let session = attr.session.clone();
        // The model that served the call, which may differ from the agent's default.
        self.emit(
            out,
            attr.model(&model),
            EventKind::UsageRecorded { usage, cost },
        );
        let Some(session) = session else { return };
        if !self.live.sessions.contains_key(&session) {
            // Late usage of an ended session (Codex reports a turn's usage
            // at its end): counted, and the agent's budget still holds.
            *self.live.ended_cost.entry(session.clone()).or_default() += cost;
            self.retire_over_budget(out, &agent, &task, &session, false);
            return;
        }
        *self.live.session_cost.entry(session.clone()).or_default() += cost;

        if self.retire_over_budget(out, &agent, &task, &session, true) {
            return;
        }
        if self.stop_at_task_budget(out, &agent, &task, &session) {
            return;
        }
        let handoff_at = self.settings.watchdog.handoff_at;
        let share =
            usage.context_tokens() as f64 / self.settings.context_window(&model_used).max(1) as f64;
        if handoff_at > 0.0 && share >= handoff_at && self.live.sessions.contains_key(&session) {
            self.handoff(out, &session, &agent, &task, share);
            return;
        }
        if usage.context_tokens() > 0 {
            // A call that fit the window: a session started by a handoff is
            // making progress, and may hand off again later.
            self.live.fresh_handoffs.remove(&session);
        }
        self.pause_over_task_spend(out, &agent, &task, session);
    }

    /// A task past its budget is stopped and blocked with a concern (work
    /// kept on its branch). Returns whether it happened.
    fn stop_at_task_budget(
        &mut self,
        out: &mut Step,
        agent: &AgentId,
        task: &TaskId,
        session: &SessionId,
    ) -> bool {
        let t = &self.state.tasks[task];
        // Triage may have raised it (within its policy), and the operator
        // may have given it more.
        let base =
            crate::watchdog::triage::task_budget(&self.state, task, self.settings.budget_task);
        let (task_cost, limit) = (t.cost, t.budget(base));
        if limit <= Money::ZERO || task_cost < limit {
            return false;
        }
        let attr = Attr::engine().agent(agent).task(task).session(session);
        self.emit(
            out,
            attr.clone(),
            EventKind::BudgetReached {
                scope: BudgetScope::Task,
                spent: task_cost,
                limit,
                hard: true,
            },
        );
        self.stop_session(out, session, format!("task budget {limit} spent"));
        self.emit(
            out,
            Attr::engine().task(task),
            EventKind::TaskBlocked {
                reason: format!("spent {task_cost} of its {limit} budget; work kept on its branch"),
            },
        );
        self.raise(
            out,
            attr,
            ConcernSource::Budget,
            Impact::High,
            1.0,
            format!("{task} stopped: spent {task_cost} of its {limit} budget"),
        );
        self.block_dependents(out, task);
        true
    }

    /// A task past the pause threshold stops at a pause point: its session
    /// freezes until the operator answers (one pause point per task).
    fn pause_over_task_spend(
        &mut self,
        out: &mut Step,
        agent: &AgentId,
        task: &TaskId,
        session: SessionId,
    ) {
        let task_cost = self.state.tasks[task].cost;
        let threshold = self.settings.pause_task_spend;
        if threshold <= Money::ZERO || task_cost < threshold {
            return;
        }
        let existing = self
            .state
            .pauses
            .iter()
            .find(|p| p.kind == PauseKind::Spend && p.task.as_ref() == Some(task))
            .map(|p| p.state);
        match existing {
            None => {
                let id = self.state.next_pause_id();
                self.emit(
                    out,
                    Attr::engine().agent(agent).task(task).session(&session),
                    EventKind::PauseRequested {
                        id,
                        pause: PauseKind::Spend,
                        reason: format!(
                            "{task} has spent {task_cost}, over the {threshold} pause threshold"
                        ),
                    },
                );
                self.live.frozen.insert(session.clone());
                out.effects.push(Effect::Freeze { session });
            }
            // Still unanswered (the task was requeued meanwhile): the new
            // session waits for the same answer.
            Some(PauseState::Waiting) => {
                if self.live.frozen.insert(session.clone()) {
                    out.effects.push(Effect::Freeze { session });
                }
            }
            Some(_) => {}
        }
    }

    /// shiftboss's own model calls (the `ai` tier's, for the entries they
    /// were made for), metered like an agent's: priced from the price
    /// table, logged as the `shiftboss` actor's usage, in the day's spend
    /// (its budget is checked after every input).
    pub(crate) fn on_own_usage(&mut self, out: &mut Step, spent: Vec<(TaskId, ModelSpend)>) {
        for (task, s) in spent {
            self.own_usage(out, Some(task), s, "the ai tier's");
        }
    }

    /// One call of shiftboss's own (`whose`: the ai tier's, triage's
    /// model), for `task` if any, metered as the `shiftboss` actor's usage.
    pub(crate) fn own_usage(
        &mut self,
        out: &mut Step,
        task: Option<TaskId>,
        s: ModelSpend,
        whose: &str,
    ) {
        {
            let task = task.filter(|t| self.state.tasks.contains_key(t));
            let task_cost = task.as_ref().map(|t| self.state.tasks[t].cost);
            let totals = [self.state.spend_day, task_cost.unwrap_or_default()];
            let mut attr = Attr::by(Actor::Shiftboss).model(&s.model);
            attr.task = task;
            match usage_check::checked_cost(&self.settings, &s.model, &s.usage, &totals) {
                Ok(cost) => self.emit(
                    out,
                    attr,
                    EventKind::UsageRecorded {
                        usage: s.usage,
                        cost,
                    },
                ),
                Err(why) => self.raise(
                    out,
                    attr,
                    ConcernSource::Merge,
                    Impact::Medium,
                    1.0,
                    format!("{whose} usage not counted: {why} ({})", s.model),
                ),
            }
        }
    }

    /// A usage report that cannot be true is not counted: it is a malformed
    /// report of the agent's, with a concern saying why.
    pub(crate) fn refuse_usage(&mut self, out: &mut Step, attr: Attr, model: &str, why: String) {
        let Some(agent) = attr.agent.clone() else {
            return;
        };
        let n = self.live.malformed.entry(agent.clone()).or_default();
        *n += 1;
        let n = *n;
        if let Some(a) = self.state.agents.get_mut(&agent) {
            a.malformed = n;
        }
        self.raise(
            out,
            attr,
            ConcernSource::Protocol,
            Impact::Medium,
            1.0,
            format!("usage report refused, not counted: {why} ({model})"),
        );
    }

    /// An agent past its budget is retired with a concern; if its session
    /// is `live`, it is stopped and its task goes back to the queue (work
    /// kept on its branch). Returns whether it happened.
    fn retire_over_budget(
        &mut self,
        out: &mut Step,
        agent: &AgentId,
        task: &TaskId,
        session: &SessionId,
        live: bool,
    ) -> bool {
        let a = &self.state.agents[agent];
        let (spent, limit) = (a.cost, self.settings.budget_agent);
        if limit == Money::ZERO || spent < limit || a.phase == AgentPhase::Retired {
            return false;
        }
        let attr = Attr::engine().agent(agent).task(task).session(session);
        self.emit(
            out,
            attr.clone(),
            EventKind::BudgetReached {
                scope: BudgetScope::Agent,
                spent,
                limit,
                hard: true,
            },
        );
        if live {
            self.stop_session(out, session, format!("agent budget {limit} spent"));
        }
        self.emit(
            out,
            Attr::engine().agent(agent),
            EventKind::AgentRetired {
                reason: format!("spent {spent} of its {limit} budget"),
            },
        );
        if live {
            self.emit(
                out,
                Attr::engine().task(task),
                EventKind::TaskRequeued {
                    reason: format!("{agent} stopped at its budget; work kept on its branch"),
                },
            );
        }
        self.raise(
            out,
            attr,
            ConcernSource::Budget,
            Impact::High,
            1.0,
            format!("{agent} stopped: spent {spent} of its {limit} budget on {task}"),
        );
        true
    }

    /// Near the day's limit no new work starts; at it, every session stops.
    pub(crate) fn check_day_budget(&mut self, out: &mut Step) {
        let limit = self.settings.budget_day;
        if limit == Money::ZERO {
            return;
        }
        let spent = self.state.spend_day;
        let soft = Money((limit.0 as f64 * self.settings.day_soft) as i64);
        if spent >= limit && !self.state.day_hard_reached {
            self.emit(
                out,
                Attr::engine(),
                EventKind::BudgetReached {
                    scope: BudgetScope::Day,
                    spent,
                    limit,
                    hard: true,
                },
            );
            let sessions: Vec<SessionId> = self.live.sessions.keys().cloned().collect();
            for s in sessions {
                let task = self.live.sessions[&s].1.clone();
                self.stop_session(out, &s, format!("day budget {limit} spent"));
                self.emit(
                    out,
                    Attr::engine().task(&task),
                    EventKind::TaskRequeued {
                        reason: "day budget spent; work kept on its branch".into(),
                    },
                );
            }
            self.raise(
                out,
                Attr::engine(),
                ConcernSource::Budget,
                Impact::Critical,
                1.0,
                format!("day budget spent: {spent} of {limit}; every agent stopped"),
            );
        } else if spent >= soft && !self.state.day_soft_reached {
            self.emit(
                out,
                Attr::engine(),
                EventKind::BudgetReached {
                    scope: BudgetScope::Day,
                    spent,
                    limit,
                    hard: false,
                },
            );
            self.raise(
                out,
                Attr::engine(),
                ConcernSource::Budget,
                Impact::High,
                1.0,
                format!("day budget nearly spent: {spent} of {limit}; no new work starts"),
            );
        }
    }
}
