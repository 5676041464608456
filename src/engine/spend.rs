//! Usage → cost with the price table, and budgets with hard limits.

use super::{Attr, Effect, Engine, Step};
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
        let model = model.unwrap_or_else(|| self.state.agents[&agent].model.clone());
        let cost = self.settings.price(&model).cost(&usage);
        let model_used = model.clone();
        let session = attr.session.clone();
        self.emit(out, attr, EventKind::UsageRecorded { usage, cost });
        if let Some(ev) = out.events.last_mut() {
            // The model that served the call, which may differ from the agent's default.
            ev.model = Some(model);
        }
        let Some(session) = session else { return };
        if !self.live.sessions.contains_key(&session) {
            // Late usage of an ended session (Codex reports a turn's usage
            // at its end): counted, and the agent's budget still holds.
            *self.live.ended_cost.entry(session.clone()).or_default() += cost;
            let a = &self.state.agents[&agent];
            let limit = self.settings.budget_agent;
            if limit > Money::ZERO && a.cost >= limit && a.phase != AgentPhase::Retired {
                let spent = a.cost;
                let attr = Attr::engine().agent(&agent).task(&task).session(&session);
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
                self.emit(
                    out,
                    Attr::engine().agent(&agent),
                    EventKind::AgentRetired {
                        reason: format!("spent {spent} of its {limit} budget"),
                    },
                );
                self.raise(
                    out,
                    attr,
                    ConcernSource::Budget,
                    Impact::High,
                    1.0,
                    format!("{agent} retired: spent {spent} of its {limit} budget"),
                );
            }
            return;
        }
        *self.live.session_cost.entry(session.clone()).or_default() += cost;

        let a = &self.state.agents[&agent];
        let t = &self.state.tasks[&task];
        let (agent_cost, task_cost) = (a.cost, t.cost);
        let limit = self.settings.budget_agent;
        if limit > Money::ZERO && agent_cost >= limit && a.phase != AgentPhase::Retired {
            let attr = Attr::engine().agent(&agent).task(&task).session(&session);
            self.emit(
                out,
                attr.clone(),
                EventKind::BudgetReached {
                    scope: BudgetScope::Agent,
                    spent: agent_cost,
                    limit,
                    hard: true,
                },
            );
            self.stop_session(out, &session, format!("agent budget {limit} spent"));
            self.emit(
                out,
                Attr::engine().agent(&agent),
                EventKind::AgentRetired {
                    reason: format!("spent {agent_cost} of its {limit} budget"),
                },
            );
            self.emit(
                out,
                Attr::engine().task(&task),
                EventKind::TaskRequeued {
                    reason: format!("{agent} stopped at its budget; work kept on its branch"),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Budget,
                Impact::High,
                1.0,
                format!("{agent} stopped: spent {agent_cost} of its {limit} budget on {task}"),
            );
            return;
        }
        let limit = self.settings.budget_task;
        if limit > Money::ZERO && task_cost >= limit {
            let attr = Attr::engine().agent(&agent).task(&task).session(&session);
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
            self.stop_session(out, &session, format!("task budget {limit} spent"));
            self.emit(
                out,
                Attr::engine().task(&task),
                EventKind::TaskBlocked {
                    reason: format!(
                        "spent {task_cost} of its {limit} budget; work kept on its branch"
                    ),
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
            self.block_dependents(out, &task);
            return;
        }
        let handoff_at = self.settings.watchdog.handoff_at;
        let share =
            usage.context_tokens() as f64 / self.settings.context_window(&model_used).max(1) as f64;
        if handoff_at > 0.0 && share >= handoff_at && self.live.sessions.contains_key(&session) {
            self.handoff(out, &session, &agent, &task, share);
            return;
        }
        let threshold = self.settings.pause_task_spend;
        if threshold > Money::ZERO && task_cost >= threshold {
            let existing = self
                .state
                .pauses
                .iter()
                .find(|p| p.kind == PauseKind::Spend && p.task.as_ref() == Some(&task))
                .map(|p| p.state);
            match existing {
                None => {
                    let id = self.state.next_pause_id();
                    self.emit(
                        out,
                        Attr::engine().agent(&agent).task(&task).session(&session),
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
