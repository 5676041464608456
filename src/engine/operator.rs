//! Operator commands: the keyboard's and the CLI's way into the engine.
//! Every event they cause is attributed to the operator.

use super::{Attr, Effect, Engine, Step};
use crate::domain::*;

/// How a dropped entry's reason starts (a retry puts it back in the queue).
const DROPPED: &str = "dropped from the merge queue";

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    ApprovePause(PauseId),
    RejectPause(PauseId),
    /// Approve every waiting pause point.
    ApproveAll,
    /// A swarm-wide pause point (before a release merge, a migration):
    /// every agent finishes its current task and takes no new work.
    PauseSwarm(String),
    AckConcern(ConcernId),
    ResolveConcern(ConcernId),
    DismissConcern(ConcernId, String),
    /// Do what triage proposed when it escalated the concern to the
    /// operator (restart fresh, reassign, a bigger model, a raised budget).
    AcceptTriage(ConcernId),
    HoldAgent(AgentId),
    ReleaseAgent(AgentId),
    HoldConvoy(ConvoyId),
    ReleaseConvoy(ConvoyId),
    /// Emergency stop: every agent frozen at once.
    Freeze,
    Thaw,
    /// Stop the agent's session (work kept on its branch, the task back in
    /// the queue); the agent goes back to the pool.
    KillAgent(AgentId),
    /// Take an agent out of the pool for good (its session stopped first,
    /// its work kept on its branch).
    RetireAgent(AgentId),
    /// A failed or blocked task goes back to the queue, its branch kept.
    RetryTask(TaskId),
    /// Take a task out of the merge queue; its branch is kept.
    DropTask(TaskId),
    /// Move a queue entry to one end of the queue.
    MoveTask(TaskId, QueueEnd),
    AddTask(TaskSpec),
    SetSpeed(String),
    /// Mail to an agent or a team, into its next session.
    SendMail {
        to: String,
        text: String,
    },
    /// Morning review: a failed task back to the queue for another agent.
    ReassignTask(TaskId),
    /// Morning review: a failed task's spec rewritten, then requeued.
    RespecifyTask(TaskId, String),
    /// Morning review: a failed task dropped for good.
    ArchiveTask(TaskId),
    /// Calibration: the operator judges a merged task good (true) or bad.
    JudgeMerge(TaskId, bool),
    /// Evening review: a `[watchdog]` threshold (key, value as the config
    /// writes it) changed, in effect at once.
    TuneWatchdog(String, String),
    /// Start the night shift: only night work until `ends_at` or the
    /// budget (zero: none).
    StartNight {
        ends_at: Millis,
        budget: Money,
    },
    /// End the night shift: the day's scheduling again.
    EndNight,
    /// Give a task more budget (this much on top of what it may spend); a
    /// task stopped at its budget goes back to the queue, its branch kept.
    RaiseBudget(TaskId, Money),
    /// Make an incident record of a T3 item or a task failed for good.
    OpenIncident(IncidentSource),
    /// Write (or rewrite) an incident's follow-up.
    FollowUp(IncidentId, String),
}

/// Which end of the merge queue an entry moves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum QueueEnd {
    Front,
    Back,
}

impl QueueEnd {
    pub fn word(self) -> &'static str {
        match self {
            QueueEnd::Front => "front",
            QueueEnd::Back => "back",
        }
    }
}

impl Engine {
    /// Whether a command makes sense now; the reason if not.
    pub fn check_command(&self, cmd: &Command) -> Result<(), String> {
        check(&self.state, cmd)
    }
}

/// Whether a command makes sense in this state; the reason if not. The one
/// check: the engine refuses what it says no to, and the console asks it
/// before offering or sending a command.
pub fn check(s: &SwarmState, cmd: &Command) -> Result<(), String> {
    match cmd {
        Command::ApprovePause(id) | Command::RejectPause(id) => pause_waits(s, id),
        Command::AckConcern(id) | Command::ResolveConcern(id) => concern_open(s, id),
        Command::DismissConcern(id, reason) => {
            if reason.trim().is_empty() {
                return Err("a dismissal needs a reason".into());
            }
            concern_open(s, id)
        }
        Command::AcceptTriage(id) => {
            concern_open(s, id)?;
            crate::engine::accept::proposal(s, id).map(|_| ())
        }
        Command::HoldAgent(id) | Command::ReleaseAgent(id) => agent_known(s, id),
        Command::KillAgent(id) => {
            agent_alive(s, id)?;
            match s.agent(id).is_some_and(|a| a.session.is_some()) {
                true => Ok(()),
                false => Err(format!("{id} runs no session")),
            }
        }
        Command::RetireAgent(id) => agent_alive(s, id),
        Command::HoldConvoy(c) | Command::ReleaseConvoy(c) => {
            if s.convoys.contains(c) {
                Ok(())
            } else {
                Err(format!("no convoy {c}"))
            }
        }
        Command::RetryTask(id) => {
            let t = task_of(s, id)?;
            match t.status {
                TaskStatus::Failed | TaskStatus::Blocked => Ok(()),
                st => Err(format!(
                    "{id} is {st}; only failed or blocked tasks are retried"
                )),
            }
        }
        Command::DropTask(id) | Command::MoveTask(id, _) => {
            let t = task_of(s, id)?;
            if t.status == TaskStatus::Queued {
                Ok(())
            } else {
                Err(format!("{id} is {}, not in the merge queue", t.status))
            }
        }
        Command::AddTask(spec) => {
            if s.tasks.contains_key(&spec.id) {
                return Err(format!("task {} exists already", spec.id));
            }
            match spec.after.iter().find(|d| !s.tasks.contains_key(*d)) {
                Some(d) => Err(format!("{} waits on unknown task {d}", spec.id)),
                None => Ok(()),
            }
        }
        Command::PauseSwarm(reason) => {
            if reason.trim().is_empty() {
                return Err("a swarm-wide pause needs a reason".into());
            }
            match s.waiting_pauses().find(|p| p.kind == PauseKind::Swarm) {
                Some(p) => Err(format!("the swarm is already paused at {}", p.id)),
                None => Ok(()),
            }
        }
        Command::SendMail { to, text } => {
            if text.trim().is_empty() {
                return Err("mail needs a text".into());
            }
            match to.trim().is_empty() {
                true => Err("mail needs a recipient".into()),
                false => Ok(()),
            }
        }
        Command::RaiseBudget(id, by) => super::budget::check_raise(s, id, *by),
        Command::OpenIncident(source) => super::incident::check_open(s, source),
        Command::FollowUp(id, text) => super::incident::check_follow_up(s, id, text),
        Command::ApproveAll | Command::Freeze | Command::Thaw | Command::SetSpeed(_) => Ok(()),
        Command::ReassignTask(_)
        | Command::RespecifyTask(..)
        | Command::ArchiveTask(_)
        | Command::JudgeMerge(..)
        | Command::TuneWatchdog(..)
        | Command::StartNight { .. }
        | Command::EndNight => super::review_ops::check(s, cmd),
    }
}

/// A pause point the operator can decide: waiting, and not one that ends
/// by itself (the checkout's).
fn pause_waits(s: &SwarmState, id: &PauseId) -> Result<(), String> {
    match s.pause(id) {
        None => Err(format!("no pause point {id}")),
        Some(p) if p.state != PauseState::Waiting => {
            Err(format!("pause point {id} is already {}", p.state.as_str()))
        }
        Some(p) if p.kind == PauseKind::Checkout => Err(format!(
            "pause point {id} ends by itself: commit, stash or detach your checkout of {} and landings resume",
            s.target
        )),
        Some(_) => Ok(()),
    }
}

/// A concern still open.
fn concern_open(s: &SwarmState, id: &ConcernId) -> Result<(), String> {
    match s.concern(id) {
        None => Err(format!("no concern {id}")),
        Some(c) if !c.disposition.is_open() => Err(format!(
            "concern {id} is already {}",
            c.disposition.as_str()
        )),
        Some(_) => Ok(()),
    }
}

fn agent_known(s: &SwarmState, id: &AgentId) -> Result<(), String> {
    match s.agent(id) {
        None => Err(format!("no agent {id}")),
        Some(_) => Ok(()),
    }
}

/// An agent known and not retired.
fn agent_alive(s: &SwarmState, id: &AgentId) -> Result<(), String> {
    match s.agent(id) {
        None => Err(format!("no agent {id}")),
        Some(a) if a.phase == AgentPhase::Retired => Err(format!("{id} is retired")),
        Some(_) => Ok(()),
    }
}

fn task_of<'s>(s: &'s SwarmState, id: &TaskId) -> Result<&'s Task, String> {
    s.task(id).ok_or_else(|| format!("no task {id}"))
}

impl Engine {
    pub(crate) fn on_command(&mut self, out: &mut Step, cmd: Command) {
        if self.check_command(&cmd).is_err() {
            return;
        }
        let op = Attr::by(Actor::Operator);
        match cmd {
            Command::ApprovePause(id) => self.decide(out, &id, true),
            Command::RejectPause(id) => self.decide(out, &id, false),
            Command::PauseSwarm(reason) => {
                let id = self.state.next_pause_id();
                self.emit(
                    out,
                    op,
                    EventKind::PauseRequested {
                        id,
                        pause: PauseKind::Swarm,
                        reason,
                    },
                );
            }
            Command::ApproveAll => self.approve_all(out),
            Command::AckConcern(id) => self.dispose(out, id, Disposition::Acked),
            Command::ResolveConcern(id) => self.dispose(out, id, Disposition::Resolved),
            Command::DismissConcern(id, reason) => {
                self.dispose(out, id, Disposition::Dismissed(reason))
            }
            Command::AcceptTriage(id) => self.accept_triage(out, &id),
            Command::HoldAgent(id) => self.hold_agent(out, &id),
            Command::ReleaseAgent(id) => {
                self.emit(out, op.agent(&id), EventKind::AgentHeld { held: false });
                if !self.state.frozen {
                    self.thaw_all(out);
                }
            }
            Command::HoldConvoy(c) => self.emit_convoy(
                out,
                Actor::Operator,
                &c,
                EventKind::ConvoyHeld { held: true },
            ),
            Command::ReleaseConvoy(c) => self.emit_convoy(
                out,
                Actor::Operator,
                &c,
                EventKind::ConvoyHeld { held: false },
            ),
            Command::Freeze => self.freeze_all(out),
            Command::Thaw => {
                if self.state.frozen {
                    self.emit(out, op, EventKind::SwarmFrozen { frozen: false });
                    self.thaw_all(out);
                }
            }
            Command::KillAgent(id) => self.kill_agent(out, &id),
            Command::RetireAgent(id) => {
                self.kill_agent(out, &id);
                self.emit(
                    out,
                    Attr::by(Actor::Operator).agent(&id),
                    EventKind::AgentRetired {
                        reason: "retired by the operator".into(),
                    },
                );
            }
            Command::RetryTask(id) => self.retry_task_as(out, &id, Actor::Operator),
            Command::DropTask(id) => self.emit(
                out,
                op.task(&id),
                EventKind::TaskBlocked {
                    reason: format!("{DROPPED} by the operator; branch kept"),
                },
            ),
            Command::MoveTask(id, end) => self.emit(
                out,
                op.task(&id),
                EventKind::QueueMoved {
                    front: end == QueueEnd::Front,
                },
            ),
            Command::AddTask(spec) => {
                let id = spec.id.clone();
                self.emit(out, op.task(&id), EventKind::TaskAdded { spec });
            }
            Command::SetSpeed(speed) => self.emit(out, op, EventKind::SpeedChanged { speed }),
            Command::SendMail { to, text } => self.send_mail(out, op, &to, &text),
            Command::ReassignTask(_)
            | Command::RespecifyTask(..)
            | Command::ArchiveTask(_)
            | Command::JudgeMerge(..)
            | Command::TuneWatchdog(..)
            | Command::StartNight { .. }
            | Command::EndNight => self.on_review_command(out, cmd),
            Command::RaiseBudget(id, by) => self.raise_budget(out, &id, by),
            Command::OpenIncident(source) => self.open_incident(out, source),
            Command::FollowUp(id, text) => self.follow_up(out, id, text),
        }
    }

    /// Every waiting pause point approved, but the checkout's (it clears itself).
    fn approve_all(&mut self, out: &mut Step) {
        let ids: Vec<PauseId> = self
            .state
            .waiting_pauses()
            .filter(|p| p.kind != PauseKind::Checkout)
            .map(|p| p.id.clone())
            .collect();
        for id in ids {
            self.decide(out, &id, true);
        }
    }

    /// An agent held: it takes no new task, and its session freezes.
    fn hold_agent(&mut self, out: &mut Step, id: &AgentId) {
        let op = Attr::by(Actor::Operator);
        self.emit(out, op.agent(id), EventKind::AgentHeld { held: true });
        if let Some(s) = self.state.agents[id].session.clone()
            && self.live.sessions.contains_key(&s)
            && self.live.frozen.insert(s.clone())
        {
            out.effects.push(Effect::Freeze { session: s });
        }
    }

    /// The emergency stop: every live session frozen where it stands.
    fn freeze_all(&mut self, out: &mut Step) {
        if self.state.frozen {
            return;
        }
        let op = Attr::by(Actor::Operator);
        self.emit(out, op, EventKind::SwarmFrozen { frozen: true });
        let sessions: Vec<SessionId> = self.live.sessions.keys().cloned().collect();
        for s in sessions {
            if self.live.frozen.insert(s.clone()) {
                out.effects.push(Effect::Freeze { session: s });
            }
        }
    }

    /// An agent's session killed: stopped, the task requeued, work kept on
    /// its branch.
    fn kill_agent(&mut self, out: &mut Step, id: &AgentId) {
        let op = Attr::by(Actor::Operator);
        let session = self.state.agents[id].session.clone();
        if let Some(s) = session
            && let Some((_, task, _)) = self.live.sessions.get(&s).cloned()
        {
            self.stop_session(out, &s, "killed by the operator".into());
            self.emit(
                out,
                op.task(&task),
                EventKind::TaskRequeued {
                    reason: format!("{id} killed by the operator; work kept on its branch"),
                },
            );
        }
        // The agent goes back to the pool: retiring it is its own command.
    }

    /// A task unblocked (work stopped in the queue itself goes straight back
    /// to it), and the tasks blocked only because they waited on it follow:
    /// the operator's `:retry`, or triage's act verdicts.
    pub(crate) fn retry_task_as(&mut self, out: &mut Step, id: &TaskId, who: Actor) {
        let op = Attr::by(who);
        let t = &self.state.tasks[id];
        let reason = t.reason.as_deref().unwrap_or("");
        let requeue = t.branch.is_some()
            && t.status == TaskStatus::Blocked
            && (t.outcome.as_deref() == Some("refused")
                || reason.starts_with(DROPPED)
                || reason.starts_with("merge failed"));
        self.emit(out, op.clone().task(id), EventKind::TaskUnblocked);
        if requeue {
            let seq = self.state.merge_seq + 1;
            let onto = self.team_branch_of(&self.state.tasks[id]);
            self.emit(
                out,
                op.clone().task(id),
                EventKind::MergeQueued { seq, onto },
            );
        }
        self.unblock_waiting(out, id);
    }

    /// The tasks blocked only because they waited on `id` (directly or
    /// through another such task) go back to the queue.
    pub(super) fn unblock_waiting(&mut self, out: &mut Step, id: &TaskId) {
        let op = Attr::by(Actor::Operator);
        let mut freed = vec![id.clone()];
        while let Some(f) = freed.pop() {
            let prefix = format!("waits on {f},");
            let next: Vec<TaskId> = self
                .state
                .task_order
                .iter()
                .filter(|t| {
                    let t = &self.state.tasks[*t];
                    t.status == TaskStatus::Blocked
                        && t.reason.as_deref().is_some_and(|r| r.starts_with(&prefix))
                })
                .cloned()
                .collect();
            for t in next {
                self.emit(out, op.clone().task(&t), EventKind::TaskUnblocked);
                freed.push(t);
            }
        }
    }

    fn thaw_all(&mut self, out: &mut Step) {
        let frozen: Vec<SessionId> = std::mem::take(&mut self.live.frozen).into_iter().collect();
        for s in frozen {
            let Some((agent, _, _)) = self.live.sessions.get(&s) else {
                continue;
            };
            let a = &self.state.agents[agent];
            let task = self.live.sessions.get(&s).map(|x| x.1.clone());
            let waiting_spend = self.state.pauses.iter().any(|p| {
                p.kind == PauseKind::Spend && p.state == PauseState::Waiting && p.task == task
            });
            if a.held || waiting_spend {
                // Still held for another reason: stays frozen.
                self.live.frozen.insert(s);
                continue;
            }
            let agent = agent.clone();
            if let Some(a) = self.state.agents.get_mut(&agent) {
                a.last_output_at = self.now;
            }
            out.effects.push(Effect::Thaw { session: s });
        }
    }

    pub(super) fn dispose(&mut self, out: &mut Step, id: ConcernId, disposition: Disposition) {
        let c = self.state.concern(&id).expect("checked");
        let mut attr = Attr::by(Actor::Operator);
        attr.agent = c.agent.clone();
        attr.task = c.task.clone();
        self.emit(out, attr, EventKind::ConcernDisposed { id, disposition });
    }

    fn decide(&mut self, out: &mut Step, id: &PauseId, approved: bool) {
        self.decide_as(out, id, approved, Actor::Operator)
    }

    /// Decide a pause point: the operator, or the engine rejecting one whose
    /// timeout passed (never approving).
    pub(crate) fn decide_as(&mut self, out: &mut Step, id: &PauseId, approved: bool, who: Actor) {
        let p = self.state.pause(id).expect("checked").clone();
        let by = if who == Actor::Operator {
            "by the operator"
        } else {
            "by the inbox's timeout rule"
        };
        let mut attr = Attr::by(who);
        attr.agent = p.agent.clone();
        attr.task = p.task.clone();
        self.emit(
            out,
            attr,
            EventKind::PauseDecided {
                id: id.clone(),
                approved,
            },
        );
        // The session now working the pause's task (it may have moved to
        // another agent since the pause was raised).
        let session = self
            .live
            .sessions
            .iter()
            .find(|(_, (_, t, _))| Some(t) == p.task.as_ref())
            .map(|(s, _)| s.clone());
        match p.kind {
            PauseKind::AgentRequest => {
                if let Some(s) = session {
                    // Time spent waiting for the operator is not the task's:
                    // the time bound counts from later by that much.
                    if let Some(entry) = self.live.sessions.get_mut(&s) {
                        entry.2 += (self.now - p.raised_at).max(0);
                    }
                    out.effects.push(Effect::Decide {
                        session: s,
                        approved,
                    });
                }
            }
            PauseKind::Spend => {
                if let Some(s) = session {
                    self.decide_spend(out, &p, s, approved, who, by);
                }
            }
            PauseKind::Checkout | PauseKind::Swarm => {}
            PauseKind::Merge => {
                if !approved && let Some(task) = &p.task {
                    self.emit(
                        out,
                        Attr::by(who).task(task),
                        EventKind::TaskBlocked {
                            reason: format!("merge rejected {by}; branch kept"),
                        },
                    );
                }
            }
        }
    }

    /// A spend pause decided for the session `s` working its task: approved,
    /// it thaws (unless the emergency stop or a hold still freezes it);
    /// rejected, the session stops and the task is blocked, its work kept.
    fn decide_spend(
        &mut self,
        out: &mut Step,
        p: &PausePoint,
        s: SessionId,
        approved: bool,
        who: Actor,
        by: &str,
    ) {
        if approved {
            let held = p
                .agent
                .as_ref()
                .is_some_and(|a| self.state.agents.get(a).is_some_and(|a| a.held));
            // Still frozen by the emergency stop or held: it
            // thaws with those.
            if !self.state.frozen && !held {
                self.live.frozen.remove(&s);
                out.effects.push(Effect::Thaw { session: s });
            }
        } else {
            let task = p.task.clone().expect("spend pause has a task");
            self.stop_session(out, &s, format!("spend pause rejected {by}"));
            self.emit(
                out,
                Attr::by(who).task(&task),
                EventKind::TaskBlocked {
                    reason: format!("spend pause rejected {by}; work kept on its branch"),
                },
            );
            self.block_dependents(out, &task);
        }
    }
}
