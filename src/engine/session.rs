//! An agent's session as the engine sees it: its output lines and signals
//! (progress, concerns, pause requests, usage, commits, done or failed), its
//! end, and what follows (a retry, a failure, a handoff to a fresh session).

use super::{Attr, Effect, Engine, Signal, Step, protocol, usage_check};
use crate::domain::*;

/// Ended sessions remembered for late usage.
const ENDED_KEPT: usize = 512;

impl Engine {
    /// What the executor did to start a live session (its prompt, its
    /// process), recorded as the engine's.
    pub(super) fn on_started(&mut self, out: &mut Step, session: &SessionId, kind: EventKind) {
        if let Some(attr) = self.session_attr(session) {
            let attr = Attr {
                actor: Actor::Engine,
                ..attr
            };
            self.emit(out, attr, kind);
        }
    }

    pub(super) fn on_line(&mut self, out: &mut Step, session: SessionId, line: String) {
        let Some(attr) = self.session_attr(&session) else {
            self.live.stale_lines += 1;
            return;
        };
        let agent = attr.agent.clone().expect("session has an agent");
        let parsed = protocol::parse(&line);
        if let Some(a) = self.state.agents.get_mut(&agent) {
            a.last_output_at = self.now;
            let flood = &self.settings.watchdog.flood;
            a.output.count(flood, self.now, 1, line.len() as u64 + 1);
            // Loop detection looks at what the agent says, not its protocol lines.
            if parsed.is_none() {
                if a.last_line == line {
                    a.repeats += 1;
                } else {
                    a.repeats = 1;
                    a.last_line.clone_from(&line);
                }
            }
        }
        self.check_if_tripped(&session, &agent);
        match parsed {
            None => {}
            Some(Ok(Signal::Usage { model, usage })) => {
                // An agent's own claim: refused when one call could not do it.
                let m = model
                    .clone()
                    .unwrap_or_else(|| self.model_of(&session, &agent));
                match usage_check::impossible_call(&self.settings, &m, &usage) {
                    Some(why) => self.refuse_usage(out, attr, &m, why),
                    None => self.on_signal(out, session, Signal::Usage { model, usage }),
                }
            }
            Some(Ok(signal)) => self.on_signal(out, session, signal),
            Some(Err(e)) => {
                let n = self.live.malformed.entry(agent.clone()).or_default();
                *n += 1;
                if let Some(a) = self.state.agents.get_mut(&agent) {
                    a.malformed = *n;
                }
                // One concern per agent for its first malformed line; the
                // count keeps growing on the agent's record.
                if *n == 1 {
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Protocol,
                        Impact::Low,
                        1.0,
                        format!("malformed protocol line: {} ({})", e.message, e.line),
                    );
                }
            }
        }
    }

    /// A signal of a session: live, or ended lately (its late accounting).
    pub(super) fn on_signal(&mut self, out: &mut Step, session: SessionId, signal: Signal) {
        let Some(attr) = self.session_attr(&session) else {
            return self.on_late_signal(out, session, signal);
        };
        let agent = attr.agent.clone().expect("session has an agent");
        let task = attr.task.clone().expect("session has a task");
        if let Some(a) = self.state.agents.get_mut(&agent) {
            a.last_output_at = self.now;
        }
        match signal {
            Signal::Progress { percent, note } => {
                self.live.fresh_handoffs.remove(&session);
                self.live.last_progress.insert(task.clone(), note.clone());
                self.emit(out, attr, EventKind::Progress { percent, note })
            }
            Signal::Concern {
                impact,
                confidence,
                summary,
            } => self.raise(out, attr, ConcernSource::Agent, impact, confidence, summary),
            Signal::PauseRequest { reason } => {
                let id = self.state.next_pause_id();
                self.emit(
                    out,
                    attr,
                    EventKind::PauseRequested {
                        id,
                        pause: PauseKind::AgentRequest,
                        reason,
                    },
                );
            }
            Signal::Usage { model, usage } => {
                // The API served a call: refusals are no longer in a row.
                self.live.trouble_streak.remove(&task);
                self.on_usage(out, attr, model, usage)
            }
            Signal::ApiTrouble { trouble, detail } => {
                self.emit(
                    out,
                    attr,
                    EventKind::ApiTrouble {
                        trouble: trouble.to_string(),
                        detail: detail.clone(),
                    },
                );
                self.live.api_trouble.insert(session, detail);
            }
            Signal::OutputDropped { bytes } => {
                if let Some(a) = self.state.agents.get_mut(&agent) {
                    a.dropped_bytes = a.dropped_bytes.saturating_add(bytes);
                    let flood = &self.settings.watchdog.flood;
                    a.output.count(flood, self.now, 0, bytes);
                }
                self.check_if_tripped(&session, &agent);
            }
            Signal::Resources { .. }
            | Signal::CostReported { .. }
            | Signal::UsageMismatch { .. } => self.on_accounting(out, attr, &session, signal),
            Signal::Commit {
                commit,
                files,
                paths,
            } => {
                self.live.fresh_handoffs.remove(&session);
                self.emit(
                    out,
                    attr,
                    EventKind::CommitMade {
                        commit,
                        files,
                        paths,
                    },
                )
            }
            Signal::Mail { to, text } => self.send_mail(out, attr, &to, &text),
            Signal::Done { .. } => self.on_done(out, attr, &session, &task),
            Signal::Failed { reason, exit_code } => {
                self.on_gave_up(out, &session, &agent, &task, reason, exit_code)
            }
            Signal::Task(new) => self.on_lead_task(out, attr, &agent, &task, *new),
        }
    }

    /// A signal of a session no longer live. One that said it was done may
    /// still report the tokens and cost of its last call: they are counted,
    /// never dropped. Anything else is stale.
    fn on_late_signal(&mut self, out: &mut Step, session: SessionId, signal: Signal) {
        let Some((agent, task)) = self.live.ended.get(&session).cloned() else {
            self.live.stale_lines += 1;
            return;
        };
        let attr = Attr::by(Actor::Agent)
            .agent(&agent)
            .task(&task)
            .session(&session);
        match signal {
            Signal::Usage { model, usage } => self.on_usage(out, attr, model, usage),
            Signal::Resources { .. }
            | Signal::CostReported { .. }
            | Signal::UsageMismatch { .. } => self.on_accounting(out, attr, &session, signal),
            _ => self.live.stale_lines += 1,
        }
    }

    /// The agent said its task is done: the session ends, the gates run.
    fn on_done(&mut self, out: &mut Step, attr: Attr, session: &SessionId, task: &TaskId) {
        self.live.trouble_streak.remove(task);
        self.emit(out, attr, EventKind::TaskDone);
        self.end_session(out, session, Some(0), "task done".into());
        if !self.epic_waits(out, task) {
            self.start_gates(out, task);
        }
    }

    /// The agent gave up: after API trouble the task waits out a backoff,
    /// otherwise it is retried or fails.
    fn on_gave_up(
        &mut self,
        out: &mut Step,
        session: &SessionId,
        agent: &AgentId,
        task: &TaskId,
        reason: String,
        exit_code: Option<i32>,
    ) {
        let trouble = self.live.api_trouble.remove(session);
        self.end_session(out, session, exit_code, format!("agent gave up: {reason}"));
        if let Some(answer) = trouble {
            self.defer_after_trouble(out, task, agent, answer);
        } else {
            self.retry_or_fail(out, task, agent, format!("agent gave up: {reason}"));
        }
    }

    /// What a session's process used and what its CLI says it cost: recorded
    /// whether the session is live or just ended.
    pub(super) fn on_accounting(
        &mut self,
        out: &mut Step,
        attr: Attr,
        session: &SessionId,
        signal: Signal,
    ) {
        match signal {
            Signal::Resources {
                peak_rss_kib,
                wall_ms,
            } => self.emit(
                out,
                Attr {
                    actor: Actor::Engine,
                    ..attr
                },
                EventKind::ProcessStats {
                    peak_rss_kib,
                    wall_ms,
                },
            ),
            Signal::CostReported { usd } => {
                let computed = self
                    .live
                    .session_cost
                    .get(session)
                    .or_else(|| self.live.ended_cost.get(session))
                    .copied()
                    .unwrap_or_default();
                self.emit(
                    out,
                    attr,
                    EventKind::CostReported {
                        reported: Money::from_dollars(usd),
                        computed,
                    },
                );
            }
            Signal::UsageMismatch { counted, reported } => {
                self.emit(out, attr, EventKind::UsageMismatch { counted, reported })
            }
            _ => {}
        }
    }

    pub(super) fn on_exit(
        &mut self,
        out: &mut Step,
        session: SessionId,
        code: Option<i32>,
        error: Option<String>,
    ) {
        let Some(attr) = self.session_attr(&session) else {
            return;
        };
        let agent = attr.agent.clone().expect("session has an agent");
        let task = attr.task.clone().expect("session has a task");
        if let Some(answer) = self.live.api_trouble.remove(&session) {
            self.end_session(out, &session, code, "ended after API trouble".into());
            self.defer_after_trouble(out, &task, &agent, answer);
            return;
        }
        let detail = match (&error, code) {
            (Some(e), _) => format!("could not start: {e}"),
            (None, Some(c)) => format!("process exited with code {c} before it was done"),
            (None, None) => "process killed by a signal before it was done".into(),
        };
        if self.state.disk_full.is_some() {
            self.end_session(out, &session, code, detail.clone());
            self.set_back_for_weather(out, &task, Some(&agent), detail);
            return;
        }
        self.emit(
            out,
            attr.clone(),
            EventKind::WatchdogAlert {
                check: Check::ProcessGone,
                detail: detail.clone(),
            },
        );
        self.end_session(out, &session, code, detail.clone());
        self.retry_or_fail(out, &task, &agent, detail);
        self.recurring_to_triage(out, &task, false);
        if error.is_some() && self.state.tasks[&task].status == TaskStatus::Pending {
            // What stopped the start (a lock, a worktree in use) needs time
            // to clear: the next try waits, longer each time.
            let attempts = self.state.tasks[&task].attempts.max(1);
            let delay = ((5 * SECOND) << (attempts - 1).min(6)).min(5 * MINUTE);
            let until = self.now + delay;
            self.emit(
                out,
                Attr::engine().agent(&agent).task(&task),
                EventKind::TaskDeferred { until },
            );
        }
    }

    /// End a live session in the log and forget it.
    pub(crate) fn end_session(
        &mut self,
        out: &mut Step,
        session: &SessionId,
        code: Option<i32>,
        reason: String,
    ) {
        let Some((agent, task, _)) = self.live.sessions.remove(session) else {
            return;
        };
        self.live.frozen.remove(session);
        self.live.fresh_handoffs.remove(session);
        let cost = self.live.session_cost.remove(session).unwrap_or_default();
        self.live
            .ended
            .insert(session.clone(), (agent.clone(), task.clone()));
        self.live.ended_cost.insert(session.clone(), cost);
        self.live.ended_order.push_back(session.clone());
        if self.live.ended_order.len() > ENDED_KEPT
            && let Some(old) = self.live.ended_order.pop_front()
        {
            self.live.ended.remove(&old);
            self.live.ended_cost.remove(&old);
            self.live.session_models.remove(&old);
        }
        self.emit(
            out,
            Attr::engine().agent(&agent).task(&task).session(session),
            EventKind::SessionEnded {
                exit_code: code,
                reason,
            },
        );
    }

    /// Stop a live session: the executor stops the process (its work is
    /// committed on its branch first) and the log records why.
    pub(crate) fn stop_session(&mut self, out: &mut Step, session: &SessionId, reason: String) {
        if !self.live.sessions.contains_key(session) {
            return;
        }
        out.effects.push(Effect::Stop {
            session: session.clone(),
            reason: reason.clone(),
        });
        self.end_session(out, session, None, reason);
    }

    /// After a failed attempt: back to the queue, or failed after too many.
    pub(crate) fn retry_or_fail(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: &AgentId,
        reason: String,
    ) {
        let attempts = self.state.tasks[task].attempts;
        let attr = Attr::engine().agent(agent).task(task);
        if attempts >= self.settings.max_attempts {
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskFailed {
                    reason: format!(
                        "{reason} (attempt {attempts} of {})",
                        self.settings.max_attempts
                    ),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Watchdog,
                Impact::High,
                0.9,
                format!("{task} failed after {attempts} attempts: {reason}"),
            );
            self.block_dependents(out, task);
        } else {
            self.emit(
                out,
                attr,
                EventKind::TaskRequeued {
                    reason: format!("{reason}; resumes from its branch"),
                },
            );
        }
    }

    /// Hand a session near the end of its context window over to a fresh
    /// session of the same agent on the same worktree and branch.
    pub(crate) fn handoff(
        &mut self,
        out: &mut Step,
        session: &SessionId,
        agent: &AgentId,
        task: &TaskId,
        share: f64,
    ) {
        if self.live.fresh_handoffs.contains(session) {
            self.handoff_refused(out, session, agent, task, share);
            return;
        }
        let t = &self.state.tasks[task];
        let note = self
            .live
            .last_progress
            .get(task)
            .cloned()
            .unwrap_or_else(|| "none reported".into());
        let summary = format!(
            "You continue {task} ({title}) after a previous session ({session}) used {pct:.0}% of its context window. \
             Its work so far is committed on branch {branch}: read the branch's log and its diff against the target before going on. \
             The last progress it reported: {note}.",
            title = t.spec.title,
            pct = share * 100.0,
            branch = t.branch.clone().unwrap_or_default(),
        );
        self.emit(
            out,
            Attr::engine().agent(agent).task(task).session(session),
            EventKind::Handoff {
                share,
                summary: summary.clone(),
            },
        );
        self.stop_session(
            out,
            session,
            format!("handed off at {:.0}% of its context window", share * 100.0),
        );
        self.assign(out, task, agent, Some(summary));
        if let Some(Effect::Start { session, .. }) = out.effects.last() {
            self.live.fresh_handoffs.insert(session.clone());
        }
    }
}
