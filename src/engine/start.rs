//! A swarm's start: a new log (the pool and the backlog registered), or a
//! restart on an existing one (sessions that did not survive are lost and
//! their tasks resume from their branches; gates in flight run again).

use super::{Attr, Engine, Step};
use crate::domain::*;

impl Engine {
    /// Start a new swarm: register the pool and the backlog.
    pub fn bootstrap(&mut self, now: Millis, backlog: &[TaskSpec]) -> Step {
        self.now = now;
        let mut out = Step::default();
        self.emit(
            &mut out,
            Attr::engine(),
            EventKind::SwarmStarted {
                target: self.settings.target.clone(),
                seed: self.settings.seed,
            },
        );
        self.register_agents(&mut out);
        for spec in backlog {
            self.emit(
                &mut out,
                Attr::by(Actor::Operator).task(&spec.id),
                EventKind::TaskAdded { spec: spec.clone() },
            );
        }
        self.after_input(&mut out);
        out
    }

    pub(super) fn register_agents(&mut self, out: &mut Step) {
        for n in 1..=self.settings.agents {
            let id = AgentId::builder(n);
            if self.state.agents.contains_key(&id) {
                continue;
            }
            let model = self.settings.models[(n - 1) % self.settings.models.len()].clone();
            let runtime = self.settings.runtime.clone();
            self.emit(
                out,
                Attr::engine().agent(&id),
                EventKind::AgentRegistered { model, runtime },
            );
        }
        // Team members the pool does not hold join it, models in turn.
        for (n, id) in self.team_agents_outside_pool().into_iter().enumerate() {
            if self.state.agents.contains_key(&id) {
                continue;
            }
            let models = &self.settings.models;
            let model = models[(self.settings.agents + n) % models.len()].clone();
            let runtime = self.settings.runtime.clone();
            self.emit(
                out,
                Attr::engine().agent(&id),
                EventKind::AgentRegistered { model, runtime },
            );
        }
    }

    /// After a restart on an existing log: sessions the log shows as running
    /// but that are not `alive` are lost; their tasks go back to the queue and
    /// resume from their branches. Gates and merges in flight are re-run.
    pub fn reconcile(&mut self, now: Millis, alive: &[SessionId]) -> Step {
        self.now = now.max(self.state.now);
        Streak::resume(&mut self.live.trouble_streak, self.now);
        let mut out = Step::default();
        let lost: Vec<(AgentId, SessionId, Option<TaskId>)> = self
            .state
            .agents
            .values()
            .filter_map(|a| {
                let s = a.session.clone()?;
                (!alive.contains(&s)).then(|| (a.id.clone(), s, a.task.clone()))
            })
            .collect();
        self.emit(
            &mut out,
            Attr::engine(),
            EventKind::SwarmResumed {
                lost_sessions: lost.len() as u32,
            },
        );
        self.register_agents(&mut out);
        for (agent, session, task) in lost {
            let attr = Attr::engine().agent(&agent).session(&session);
            let attr = match &task {
                Some(t) => attr.task(t),
                None => attr,
            };
            self.emit(
                &mut out,
                attr.clone(),
                EventKind::WatchdogAlert {
                    check: Check::ProcessGone,
                    detail: "session not running after shiftboss restarted".into(),
                },
            );
            self.emit(
                &mut out,
                attr.clone(),
                EventKind::SessionEnded {
                    exit_code: None,
                    reason: "lost when shiftboss stopped".into(),
                },
            );
            if let Some(t) = task
                && self.state.tasks[&t].status == TaskStatus::InProgress
            {
                self.emit(
                    &mut out,
                    attr,
                    EventKind::TaskRequeued {
                        reason: "session lost when shiftboss stopped; resumes from its branch"
                            .into(),
                    },
                );
            }
        }
        // Work that was between steps when the process died runs again.
        let gating: Vec<TaskId> = self
            .state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Gating)
            .map(|t| t.spec.id.clone())
            .collect();
        for t in gating {
            self.start_gates(&mut out, &t);
        }
        if self.state.frozen {
            // Nothing is running any more; the swarm stays frozen until thawed.
        }
        self.after_input(&mut out);
        out
    }
}
