//! Hosts run agents' sessions: the simulator (`sim.rs`) and local agent
//! processes (`process.rs`, in the sandbox when it is on). The executor
//! makes a session's worktree and hands the session to the host of its
//! model's runtime; every session effect (start, stop, freeze, thaw, a
//! decision) goes to the host that runs the session. Another kind of host
//! (a remote one) is another implementation of [`Host`].

pub(super) mod mailbox;
mod process;
mod sim;

pub(super) use process::ProcessHost;
pub(super) use sim::SimHost;

use super::timeline::Timeline;
use crate::domain::{AgentId, Millis, SessionId, Task, TaskId};
use crate::engine::Input;
use crate::merge::Repo;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// What a host may touch while it acts: the time, the repository, the
/// timeline (virtual time) and the inputs going back to the engine.
pub(super) struct Ctx<'a> {
    pub now: Millis,
    pub repo: &'a Repo,
    pub timeline: &'a mut Timeline,
    pub inputs: &'a mut VecDeque<Input>,
    /// Commits made for agents here (the summary's count for simulated ones).
    pub commits: &'a mut u64,
}

/// Where a session works.
#[derive(Clone, Debug)]
pub(super) struct Working {
    pub session: SessionId,
    pub agent: AgentId,
    pub task: TaskId,
    pub worktree: PathBuf,
}

/// A session to start; its worktree is ready.
pub(super) struct Start<'a> {
    pub work: Working,
    pub branch: &'a str,
    pub model: &'a str,
    pub attempt: u32,
    /// What the previous session did, for the new one's prompt.
    pub handoff: Option<&'a str>,
    pub task: &'a Task,
    /// Mail delivered into this session, oldest first.
    pub mail: &'a [crate::domain::Mail],
    /// Mail read in earlier sessions that its mailbox file keeps, oldest first.
    pub earlier: Vec<crate::domain::Mail>,
}

/// Why a start failed: the step (`prompt`, `sandbox`, `launch`) and what
/// went wrong.
#[derive(Debug)]
pub(super) struct Refused {
    pub action: &'static str,
    pub error: String,
}

pub(super) trait Host: Send {
    /// The sessions it runs now.
    fn sessions(&self) -> Vec<SessionId>;

    fn runs(&self, session: &SessionId) -> bool;

    /// Before a session of `agent` gets its worktree: nothing of an earlier
    /// session may still work in it.
    fn make_room(&mut self, _agent: &AgentId) {}

    /// Start a session in its worktree.
    fn start(&mut self, cx: &mut Ctx<'_>, start: Start<'_>) -> Result<(), Refused>;

    /// Stop a session; whatever it left uncommitted is kept on its branch.
    fn stop(&mut self, cx: &mut Ctx<'_>, session: &SessionId, reason: &str);

    /// Whether `agent`'s worktree may hold changes no commit has:
    /// shiftboss then looks at every file for work to keep before the
    /// worktree is gated or switched. Only a host that makes every change
    /// there itself (the simulator) can answer no, and only for a worktree
    /// shiftboss has looked through since anything else ran in it.
    fn may_leave_uncommitted(&self, _agent: &AgentId) -> bool {
        true
    }

    /// shiftboss looked through `agent`'s worktree and committed all it held.
    fn looked_through(&mut self, _agent: &AgentId) {}

    /// Something beside the host's sessions ran in `agent`'s worktree (its
    /// gates' commands).
    fn touched(&mut self, _agent: &AgentId) {}

    /// Hold a session still where it stands.
    fn freeze(&mut self, session: &SessionId);

    fn thaw(&mut self, cx: &mut Ctx<'_>, session: &SessionId);

    /// Tell a session waiting at its pause point the operator's decision.
    fn decide(&mut self, cx: &mut Ctx<'_>, session: &SessionId, approved: bool);

    /// A session asked for a pause: an earlier answer must not stand in
    /// for this one.
    fn pause_asked(&mut self, _session: &SessionId) {}

    /// Its next step is due on the timeline (virtual-time hosts).
    fn wake(&mut self, _cx: &mut Ctx<'_>, _session: &SessionId, _generation: u64) {}

    /// A tick: sessions past their grace stopped, what they use sampled.
    fn tick(&mut self) {}

    /// A session ended on its own: what it used (peak KiB, wall ms), if
    /// this host ran it.
    fn ended(&mut self, _session: &SessionId) -> Option<(u64, u64)> {
        None
    }

    /// The task's gates start: its session said it is done.
    fn gates_started(&mut self, _task: &TaskId) {}

    /// Whether sessions of it may still report (processes running).
    fn busy(&self) -> bool {
        false
    }

    /// The run is over: every session's work kept, every session stopped.
    fn stop_all(&mut self, _cx: &mut Ctx<'_>) {}
}

impl Ctx<'_> {
    /// A step failed: the engine hears of it (an `executor_failed` event
    /// and a concern).
    pub fn failed(&mut self, action: &'static str, work: &Working, error: impl ToString) {
        self.inputs
            .push_back(failure(action, work, error.to_string()));
    }

    /// Commit whatever a session's worktree holds, so no work is lost.
    /// True when it did (or there was nothing to commit).
    pub fn keep_work(&mut self, work: &Working, why: &str) -> bool {
        match self.commit_wip(&work.worktree, &work.agent, &work.task, why) {
            Ok(()) => true,
            Err(e) => {
                self.failed("commit", work, e);
                false
            }
        }
    }

    /// Commit whatever `worktree` holds as the task's work in progress.
    pub fn commit_wip(
        &mut self,
        worktree: &Path,
        agent: &AgentId,
        task: &TaskId,
        why: &str,
    ) -> Result<(), crate::merge::GitError> {
        let msg = format!("wip: {task} {why}");
        let email = format!("{agent}@shiftboss.invalid");
        if self
            .repo
            .commit_all(worktree, &msg, agent.as_str(), &email, self.now)?
            .is_some()
        {
            *self.commits += 1;
        }
        Ok(())
    }
}

/// The engine's input for a step of a task's (not a session's) that failed.
pub(super) fn task_failure(
    action: &'static str,
    agent: &AgentId,
    task: &TaskId,
    error: String,
) -> Input {
    Input::ExecutorFailed {
        action,
        session: None,
        agent: Some(agent.clone()),
        task: Some(task.clone()),
        error: hidden(error),
    }
}

/// The engine's input for a step of `work` that failed.
pub(super) fn failure(action: &'static str, work: &Working, error: String) -> Input {
    Input::ExecutorFailed {
        action,
        session: Some(work.session.clone()),
        agent: Some(work.agent.clone()),
        task: Some(work.task.clone()),
        error: hidden(error),
    }
}

/// An error's text with every secret hidden: it goes to the log.
fn hidden(error: String) -> String {
    match crate::redact::redact(&error) {
        std::borrow::Cow::Owned(o) => o,
        std::borrow::Cow::Borrowed(_) => error,
    }
}
