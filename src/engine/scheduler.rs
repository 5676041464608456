//! The scheduler: ready tasks (dependencies merged) go to idle agents by
//! priority, under the concurrency cap.

use super::{Attr, Effect, Engine, Step};
use crate::domain::*;

/// The scheduler's choice of agent for a task.
enum Pick {
    /// The agent, and why routing chose it (none: routing had no say).
    Agent(AgentId, Option<String>),
    /// Triage gave it to an agent that is busy: the next task is tried.
    Wait,
    NoneFree,
}

impl Engine {
    /// Tasks that could start now, best first.
    fn ready_tasks(&self) -> Vec<TaskId> {
        let s = &self.state;
        let mut ready: Vec<(i32, usize, &TaskId)> = self
            .live
            .tasks
            .pending
            .iter()
            .filter_map(|(&i, id)| {
                let t = &s.tasks[id];
                let ok = (s.night.is_none() || t.spec.night)
                    && t.waiting_on.is_none()
                    && self.team_allows(t)
                    && t.not_before.is_none_or(|nb| nb <= self.now)
                    && !s.held_convoys.contains(&t.spec.convoy)
                    && t.spec
                        .after
                        .iter()
                        .all(|d| s.tasks.get(d).is_some_and(|d| self.dependency_met(t, d)));
                ok.then_some((t.spec.priority, i, id))
            })
            .collect();
        ready.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ready.into_iter().map(|(_, _, id)| id.clone()).collect()
    }

    fn may_start_work(&self) -> bool {
        !self.state.frozen
            && !self.state.day_soft_reached
            && self.state.disk_full.is_none()
            && self
                .state
                .night
                .as_ref()
                .is_none_or(|n| n.open_at(self.now))
            && self.live.sessions.len() < self.settings.max_live
            && !self
                .state
                .waiting_pauses()
                .any(|p| p.kind == PauseKind::Swarm)
    }

    fn idle_agents(&self) -> impl Iterator<Item = &AgentState> {
        self.state
            .agents
            .values()
            .filter(|a| a.phase == AgentPhase::Idle && !a.held)
    }

    /// An idle agent that may take `task`, other than `avoid` and not
    /// `reserved` for another task; `avoid` itself only when it is the one
    /// agent left in the pool.
    ///
    /// Among those, capability routing (`[routing] by_cv`) chooses, and
    /// says why; with it off, the first one.
    fn other_idle_agent(
        &self,
        avoid: Option<&AgentId>,
        id: &TaskId,
        task: &Task,
        reserved: impl Fn(&AgentId) -> bool,
    ) -> Option<(AgentId, Option<String>)> {
        let fits = |a: &AgentState| !reserved(&a.id) && self.may_take(&a.id, task);
        let mut candidates: Vec<AgentId> = self
            .idle_agents()
            .filter(|a| Some(&a.id) != avoid && fits(a))
            .map(|a| a.id.clone())
            .collect();
        let alone = self
            .state
            .agents
            .values()
            .filter(|a| a.phase != AgentPhase::Retired)
            .count()
            <= 1;
        if candidates.is_empty() && alone {
            candidates = self
                .idle_agents()
                .filter(|a| fits(a))
                .map(|a| a.id.clone())
                .collect();
        }
        self.route_agent(id, &candidates)
    }

    pub(crate) fn has_startable_work(&self) -> bool {
        // Work is startable when some ready task would get an agent now, by
        // the scheduler's own rules (teams, triage's reservations, a
        // reassignment's avoided agent).
        self.may_start_work()
            && self
                .ready_tasks()
                .iter()
                .any(|id| matches!(self.agent_for(id), Pick::Agent(..)))
    }

    /// In-flight tasks (running, gating, queued) whose scope overlaps
    /// `task`'s, and the files they changed that lie in its scope.
    ///
    /// Scopes are compiled once per task and kept: this runs in the engine
    /// step, for every task about to start.
    fn predict(&mut self, task: &TaskId) -> Prediction {
        let in_flight: Vec<TaskId> = self
            .state
            .tasks
            .values()
            .filter(|t| {
                t.spec.id != *task
                    && matches!(
                        t.status,
                        TaskStatus::InProgress | TaskStatus::Gating | TaskStatus::Queued
                    )
            })
            .map(|t| t.spec.id.clone())
            .collect();
        for id in in_flight.iter().chain([task]) {
            if !self.live.scopes.contains_key(id) {
                let scope = Scope::new(&self.state.tasks[id].spec.scope);
                self.live.scopes.insert(id.clone(), scope);
            }
        }
        let mine = &self.live.scopes[task];
        let mut p = Prediction::default();
        for id in &in_flight {
            let t = &self.state.tasks[id];
            let files: Vec<&String> = t.changed.iter().filter(|f| mine.matches(f)).collect();
            if !files.is_empty() || mine.overlaps(&self.live.scopes[id]) {
                p.with.push(t.spec.id.clone());
            }
            for f in files {
                if !p.files.contains(f) {
                    p.files.push(f.clone());
                }
            }
        }
        p.files.sort();
        p
    }

    pub(crate) fn schedule(&mut self, out: &mut Step) {
        if !self.may_start_work() || self.idle_agents().next().is_none() {
            return;
        }
        for task in self.ready_tasks() {
            if !self.may_start_work() {
                break;
            }
            // A likely conflict (files in its scope already changed by work
            // in flight) is recorded once; by config the task waits for it.
            let prediction = self.predict(&task);
            let likely = !prediction.files.is_empty();
            let delay = likely && self.settings.merge.delay_on_overlap;
            let t = &self.state.tasks[&task];
            if likely
                && t.prediction
                    .as_ref()
                    .is_none_or(|p| p.delayed != delay || p.files != prediction.files)
            {
                self.emit(
                    out,
                    Attr::engine().task(&task),
                    EventKind::ConflictPredicted {
                        prediction: Prediction {
                            delayed: delay,
                            ..prediction
                        },
                    },
                );
            }
            if delay {
                continue;
            }
            let (agent, why) = match self.agent_for(&task) {
                Pick::Agent(a, why) => (a, why),
                Pick::Wait => continue,
                Pick::NoneFree => break,
            };
            self.start_on(out, &task, &agent, None, why);
        }
    }

    /// Who starts `task`: the agent triage gave it to (the task waits for
    /// it while it is busy or held; a retired one frees the task), else the
    /// agent that worked it before if it is free (its worktree already holds
    /// the branch), else any idle agent no other task waits for.
    fn agent_for(&self, task: &TaskId) -> Pick {
        let free = |id: &AgentId| {
            self.state
                .agents
                .get(id)
                .is_some_and(|a| a.phase == AgentPhase::Idle && !a.held)
        };
        if let Some(to) = self.state.triage.assign_to.get(task)
            && self
                .state
                .agents
                .get(to)
                .is_some_and(|a| a.phase != AgentPhase::Retired)
        {
            return match free(to) {
                true => Pick::Agent(to.clone(), Some("triage gave it the task".to_string())),
                false => Pick::Wait,
            };
        }
        let reserved = |id: &AgentId| self.state.triage.assign_to.values().any(|r| r == id);
        let t = &self.state.tasks[task];
        // A task reassigned on the review goes to another agent while one
        // is free.
        let avoid = t.avoid.as_ref();
        let previous = t
            .agent
            .clone()
            .filter(|p| free(p) && !reserved(p) && self.may_take(p, t));
        let previous = previous.map(|p| (p, Some("it worked the task before".to_string())));
        match previous.or_else(|| self.other_idle_agent(avoid, task, t, reserved)) {
            Some((a, why)) => Pick::Agent(a, why),
            // An idle agent that could not take this task (a reassigned
            // task avoids its last agent, teams keep to their convoys,
            // triage keeps an agent for another task) may still suit the
            // next one.
            None if self.idle_agents().next().is_some() => Pick::Wait,
            None => Pick::NoneFree,
        }
    }

    /// Start a session of `agent` on `task`. A handoff continues the same
    /// attempt with the previous session's summary.
    pub(crate) fn assign(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: &AgentId,
        handoff: Option<String>,
    ) {
        self.start_on(out, task, agent, handoff, None);
    }

    /// [`Engine::assign`], saying why routing chose the agent (`chosen`).
    fn start_on(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: &AgentId,
        handoff: Option<String>,
        chosen: Option<String>,
    ) {
        let model = self.route_model(out, task, agent, chosen);
        let a = &self.state.agents[agent];
        let session = SessionId(format!("{agent}#{}", a.sessions + 1));
        if model != a.model {
            self.live
                .session_models
                .insert(session.clone(), model.clone());
        }
        // A lead's integration of an epic it broke up starts from its
        // team's integration branch, where its coders' work has landed.
        let integrating = self.is_broken_up(task);
        let t = &self.state.tasks[task];
        // A task sent back to be redone on the target starts a new branch
        // from the target's tip; the old one is kept.
        let suffix = if t.reimagined > 0 {
            format!("-r{}", t.reimagined)
        } else if integrating {
            "-integration".to_string()
        } else {
            String::new()
        };
        let branch = format!("shiftboss/{agent}/{task}{suffix}");
        let fresh = (t.reimagined > 0 || integrating)
            && !t.branch.as_ref().is_some_and(|b| b.ends_with(&suffix));
        let resume_from = if fresh {
            None
        } else {
            t.branch.clone().filter(|b| *b != branch)
        };
        let resume = !fresh && t.branch.is_some();
        let attempt = if handoff.is_some() {
            t.attempts.max(1)
        } else {
            t.attempts + 1
        };
        self.emit(
            out,
            Attr::engine().agent(agent).task(task).session(&session),
            EventKind::TaskAssigned {
                branch: branch.clone(),
                attempt,
                resume,
            },
        );
        self.live
            .sessions
            .insert(session.clone(), (agent.clone(), task.clone(), self.now));
        self.schedule_checks(&session);
        let mail = self.mail_for(agent, &session);
        let base = self.base_of(task);
        out.effects.push(Effect::Start {
            agent: agent.clone(),
            session,
            task: task.clone(),
            branch,
            resume_from,
            base,
            model,
            attempt,
            handoff,
            mail,
        });
    }
}
