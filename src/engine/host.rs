//! What the machine under the swarm reports: a full disk (weather, not the
//! work's fault: new work waits, no attempt counts, work goes on by itself
//! when space returns), a repository config changed during a session, and
//! a step the executor could not carry out.

use super::{Attr, Engine, Step};
use crate::domain::{
    Actor, AgentId, ConcernSource, Disposition, EventKind, Impact, SessionId, TaskId, TaskStatus,
};

/// The summary of the disk-full concern starts so.
pub const DISK_FULL: &str = "disk full: ";

impl Engine {
    /// A write failed for want of space: one event and one concern, however
    /// many writes fail until space returns.
    pub(crate) fn on_disk_full(&mut self, out: &mut Step, path: String, free_mb: u64) {
        if self.state.disk_full.is_some() {
            return;
        }
        self.emit(
            out,
            Attr::engine(),
            EventKind::DiskFull {
                path: path.clone(),
                free_mb,
            },
        );
        self.raise(
            out,
            Attr::engine(),
            ConcernSource::Watchdog,
            Impact::High,
            1.0,
            format!(
                "{DISK_FULL}{free_mb} MB free on {path}; no new work starts until space returns, and work cut short by it does not count as an attempt"
            ),
        );
    }

    /// Space returned: the disk-full concern is resolved and work goes on.
    pub(crate) fn on_disk_space(&mut self, out: &mut Step, free_mb: u64) {
        let Some(path) = self.state.disk_full.clone() else {
            return;
        };
        self.emit(
            out,
            Attr::engine(),
            EventKind::DiskSpaceReturned { path, free_mb },
        );
        let open: Vec<_> = self
            .state
            .concerns
            .iter()
            .filter(|c| c.disposition == Disposition::Open && c.summary.starts_with(DISK_FULL))
            .map(|c| c.id.clone())
            .collect();
        for id in open {
            self.emit(
                out,
                Attr::engine(),
                EventKind::ConcernDisposed {
                    id,
                    disposition: Disposition::Resolved,
                },
            );
        }
        // Gates that failed while the disk was full run again.
        let regate: Vec<TaskId> = self
            .state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Gating && !self.live.gating.contains(&t.spec.id))
            .map(|t| t.spec.id.clone())
            .collect();
        for task in regate {
            self.start_gates(out, &task);
        }
        self.schedule(out);
        self.advance_queue(out);
    }

    /// A session cut short while the disk is full: its task goes back to
    /// pending (its branch kept) and the attempt it used does not count.
    pub(crate) fn set_back_for_weather(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: Option<&AgentId>,
        what: String,
    ) {
        let mut attr = Attr::engine().task(task);
        if let Some(a) = agent {
            attr = attr.agent(a);
        }
        let reason = format!("{what} while the disk was full; the attempt does not count");
        self.emit(
            out,
            attr.clone(),
            EventKind::TaskRequeued {
                reason: reason.clone(),
            },
        );
        self.emit(out, attr, EventKind::AttemptReturned { reason });
    }

    /// The repository's shared git config changed during a session: a
    /// critical concern naming what changed (the runner put it back).
    pub(crate) fn on_repo_config_changed(
        &mut self,
        out: &mut Step,
        session: SessionId,
        changes: Vec<String>,
        restored: bool,
    ) {
        let attr = self
            .session_attr(&session)
            .unwrap_or_else(|| Attr::engine().session(&session));
        let after = if restored {
            "put back to its content at the session's start"
        } else {
            "could NOT be put back: check it by hand"
        };
        self.raise(
            out,
            attr,
            ConcernSource::Watchdog,
            Impact::Critical,
            1.0,
            format!(
                ".git/config changed during session {session}: {}; {after}",
                changes.join("; ")
            ),
        );
    }

    /// Who an executor failure concerns: the live session's attribution,
    /// else the agent and task it names.
    pub(crate) fn failure_attr(
        &self,
        session: Option<SessionId>,
        agent: Option<AgentId>,
        task: Option<TaskId>,
    ) -> Attr {
        if let Some(attr) = session.as_ref().and_then(|s| self.session_attr(s)) {
            return Attr {
                actor: Actor::Engine,
                ..attr
            };
        }
        Attr {
            agent,
            task,
            session,
            ..Attr::engine()
        }
    }

    /// The executor could not do a step: an `executor_failed` event and a
    /// concern for the operator, one while it is open for the same step of
    /// the same work. A step that failed for want of space is the full
    /// disk's (one concern of its own), not another concern.
    pub(crate) fn on_executor_failed(
        &mut self,
        out: &mut Step,
        attr: Attr,
        action: &str,
        error: String,
    ) {
        self.emit(
            out,
            attr.clone(),
            EventKind::ExecutorFailed {
                action: action.to_string(),
                error: error.clone(),
            },
        );
        if self.state.disk_full.is_some() {
            return;
        }
        let whose = match (&attr.agent, &attr.task) {
            (Some(a), Some(t)) => format!(" for {a} on {t}"),
            (Some(a), None) => format!(" for {a}"),
            (None, Some(t)) => format!(" for {t}"),
            (None, None) => String::new(),
        };
        let said = format!("executor: {action} failed{whose}: ");
        // The same step failing again for the same work while its concern
        // is open is one concern (each failure is in the log).
        if self
            .state
            .open_concerns()
            .any(|c| c.source == ConcernSource::Executor && c.summary.starts_with(&said))
        {
            return;
        }
        self.raise(
            out,
            attr,
            ConcernSource::Executor,
            Impact::High,
            1.0,
            format!("{said}{error}"),
        );
    }
}
