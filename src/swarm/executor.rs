//! The executor: performs the engine's effects and answers with inputs, now
//! or later on the timeline. It makes worktrees and hands sessions to their
//! host (`host/`: simulated, or real processes); it runs gates and batches
//! inline in virtual time or on threads for real agents. A step it cannot
//! do is an input for the engine (`ExecutorFailed`: an event and a concern).

use super::host::{Ctx, Host, ProcessHost, SimHost, Start, Working, failure, task_failure};

/// The simulator's place in `Executor::hosts`.
const SIM: usize = 0;
/// The local process host's.
const PROCESS: usize = 1;
use super::landing::{self, Batch, BranchGates};
use super::runtimes::{AgentRuntime, Runtimes};
use super::timeline::{Timeline, Wake};
use crate::domain::sim_plan::SimSettings;
use crate::domain::{AgentId, Millis, SECOND, SessionId, SwarmState, TaskId};
use crate::engine::{Effect, Input};
use crate::merge::{self, Repo};
use crate::runtime::adapter::Output;
use crate::runtime::process;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

/// Where inputs from other threads (agents' readers, gates, batches) go:
/// the runner's channel.
pub type Sink = std::sync::Arc<dyn Fn(Input) + Send + Sync>;

/// A session's output, as the engine's input.
pub fn input_of(session: &SessionId, output: Output) -> Input {
    let session = session.clone();
    match output {
        Output::Line { line } => Input::AgentLine { session, line },
        Output::Signal { signal } => Input::AgentSignal { session, signal },
        Output::Exited { exit_code } => Input::AgentExited { session, exit_code },
    }
}

/// A process's output goes to the runner as its session's inputs.
pub(super) fn session_emit(sink: &Sink, session: &SessionId) -> process::Emit {
    let sink = sink.clone();
    let session = session.clone();
    std::sync::Arc::new(move |output| sink(input_of(&session, output)))
}

pub struct Executor {
    repo: Repo,
    /// Gate checkouts for real agents' branch gates, reused across runs.
    gate_pool: merge::GatePool,
    gate_timeout: Duration,
    /// Where gates and batches run on threads answer (real time).
    sink: Sink,
    runtimes: Runtimes,
    /// The hosts sessions run on: `SIM`, `PROCESS`.
    hosts: Vec<Box<dyn Host>>,
    /// Virtual time a gate run takes (simulated swarms).
    gate_time: Millis,
    /// Commits made by simulated agents (for the summary).
    commits: u64,
}

impl Executor {
    pub fn new(
        mut repo: Repo,
        sim: SimSettings,
        seed: u64,
        gate_timeout: Duration,
        runtimes: Runtimes,
        sink: Sink,
        prompts_dir: PathBuf,
    ) -> Executor {
        // Simulated agents run no git of their own: what shiftboss did to
        // its worktrees' HEADs is all there is to know.
        repo.trust_worktree_heads(runtimes.simulated());
        let procs = ProcessHost::new(runtimes.clone(), repo.root(), prompts_dir, sink.clone());
        let gate_time = sim.gate_time;
        let hosts: Vec<Box<dyn Host>> = vec![Box::new(SimHost::new(sim, seed)), Box::new(procs)];
        Executor {
            repo,
            gate_pool: merge::GatePool::default(),
            gate_timeout,
            sink,
            runtimes,
            hosts,
            gate_time,
            commits: 0,
        }
    }

    fn runtimes(&self) -> &Runtimes {
        &self.runtimes
    }

    /// The host that runs sessions of `model`.
    fn host_for(&self, model: &str) -> usize {
        match self.runtimes.for_model(model) {
            AgentRuntime::Sim => SIM,
            AgentRuntime::Command { .. }
            | AgentRuntime::Codex { .. }
            | AgentRuntime::Claude { .. } => PROCESS,
        }
    }

    /// Only simulated agents: gates and batches run in virtual time.
    fn simulated(&self) -> bool {
        self.runtimes().simulated()
    }

    /// Whether `agent`'s worktree holds only commits: every session of
    /// the run is simulated and the simulator says so (see
    /// [`Host::may_leave_uncommitted`]).
    fn only_commits(&self, agent: &AgentId) -> bool {
        self.simulated() && !self.hosts[SIM].may_leave_uncommitted(agent)
    }

    /// `agent`'s worktree on `branch` (see [`Repo::prepare_worktree_at`]),
    /// looked through for work to keep unless it holds only commits.
    fn prepare(
        &mut self,
        agent: &AgentId,
        branch: &str,
        from: Option<&str>,
        now: Millis,
    ) -> Result<PathBuf, merge::GitError> {
        let only_commits = self.only_commits(agent);
        let (path, looked) =
            self.repo
                .prepare_worktree_knowing(agent, branch, from, now, only_commits)?;
        if looked {
            self.looked_through(agent);
        }
        Ok(path)
    }

    /// The simulator hears that shiftboss looked through `agent`'s
    /// worktree (only its worktrees are ever trusted).
    fn looked_through(&mut self, agent: &AgentId) {
        if self.simulated() {
            self.hosts[SIM].looked_through(agent);
        }
    }

    /// Real agents run here without the sandbox.
    pub fn unconfined(&self) -> bool {
        !self.simulated() && self.runtimes().sandbox.is_none()
    }

    pub fn live_sessions(&self) -> Vec<SessionId> {
        self.hosts.iter().flat_map(|h| h.sessions()).collect()
    }

    /// Real agents anywhere in the swarm: its clock is the wall clock.
    pub fn real_time(&self) -> bool {
        !self.simulated()
    }

    /// Whether agent processes are still running (their last output may
    /// still be on its way).
    pub fn has_processes(&self) -> bool {
        self.hosts.iter().any(|h| h.busy())
    }

    /// Does `model` run as a real process (not the simulator)?
    pub fn runs_processes(&self, model: &str) -> bool {
        !matches!(self.runtimes().for_model(model), AgentRuntime::Sim)
    }

    /// At a tick: processes past their grace are stopped, memory sampled.
    pub fn tick(&mut self) {
        for h in &mut self.hosts {
            h.tick();
        }
    }

    /// A process ended on its own: what it used (peak KiB, wall ms).
    pub fn forget(&mut self, session: &SessionId) -> Option<(u64, u64)> {
        self.hosts.iter_mut().find_map(|h| h.ended(session))
    }

    /// A real agent asked for a pause: an earlier answer must not stand.
    pub fn clear_decision(&mut self, session: &SessionId) {
        for h in &mut self.hosts {
            h.pause_asked(session);
        }
    }

    /// Commits made for the tasks: simulated ones as counted here; real
    /// agents commit themselves, so their tasks' branches are counted.
    pub fn agent_commits(&self, state: &SwarmState) -> u64 {
        if self.simulated() {
            return self.commits;
        }
        let branches: Vec<String> = state
            .tasks
            .values()
            .filter_map(|t| t.branch.clone())
            .collect();
        self.repo.branch_commits(&branches).unwrap_or(self.commits)
    }

    /// The run is over: every agent process's work kept on its branch, the
    /// process stopped (SIGKILL after its grace). What failed is in `inputs`.
    pub fn stop_all(&mut self, now: Millis, timeline: &mut Timeline, inputs: &mut VecDeque<Input>) {
        let mut cx = Ctx {
            now,
            repo: &self.repo,
            timeline,
            inputs,
            commits: &mut self.commits,
        };
        for h in &mut self.hosts {
            h.stop_all(&mut cx);
        }
    }

    /// Run a simulated session's next action.
    pub fn run_session(
        &mut self,
        now: Millis,
        id: &SessionId,
        generation: u64,
        timeline: &mut Timeline,
        inputs: &mut VecDeque<Input>,
    ) {
        self.on_session(now, id, timeline, inputs, |h, cx| {
            h.wake(cx, id, generation)
        });
    }

    /// The host's part of an effect on a live session.
    fn on_session(
        &mut self,
        now: Millis,
        session: &SessionId,
        timeline: &mut Timeline,
        inputs: &mut VecDeque<Input>,
        f: impl FnOnce(&mut dyn Host, &mut Ctx<'_>),
    ) {
        let Executor {
            repo,
            hosts,
            commits,
            ..
        } = self;
        let Some(host) = hosts.iter_mut().find(|h| h.runs(session)) else {
            return;
        };
        let mut cx = Ctx {
            now,
            repo,
            timeline,
            inputs,
            commits,
        };
        f(host.as_mut(), &mut cx);
    }

    /// Perform one effect.
    pub fn execute(
        &mut self,
        now: Millis,
        effect: Effect,
        state: &SwarmState,
        timeline: &mut Timeline,
        inputs: &mut VecDeque<Input>,
    ) {
        match effect {
            start @ Effect::Start { .. } => self.start(now, start, state, timeline, inputs),
            Effect::Stop { session, reason } => {
                self.on_session(now, &session, timeline, inputs, |h, cx| {
                    h.stop(cx, &session, &reason)
                })
            }
            Effect::Freeze { session } => {
                self.on_session(now, &session, timeline, inputs, |h, _| h.freeze(&session))
            }
            Effect::Thaw { session } => {
                self.on_session(now, &session, timeline, inputs, |h, cx| {
                    h.thaw(cx, &session)
                })
            }
            Effect::Decide { session, approved } => {
                self.on_session(now, &session, timeline, inputs, |h, cx| {
                    h.decide(cx, &session, approved)
                })
            }
            Effect::RunGates {
                task,
                agent,
                branch,
                checks,
                scope,
                protected,
                base,
            } => {
                let gates = GatesEffect {
                    task,
                    agent,
                    branch,
                    checks,
                    scope,
                    protected,
                    base,
                };
                self.gates(now, gates, timeline, inputs)
            }
            Effect::CommentIssue { task, issue, body } => {
                self.later(now, SECOND, timeline, move || {
                    super::issue::comment(task, &issue, &body)
                })
            }
            Effect::Land {
                entries,
                onto,
                checks,
                append_only,
                ai,
                train,
            } => {
                let batch = Batch {
                    entries,
                    checks,
                    append_only,
                    ai,
                    train,
                    timeout: self.gate_timeout,
                    at: now,
                    onto,
                };
                self.land(now, batch, timeline)
            }
            Effect::AskTriage {
                concern,
                session,
                context,
                llm,
            } => {
                let tail = session
                    .map(|s| {
                        super::triage_call::output_tail(&self.repo.root().join(".shiftboss"), &s)
                    })
                    .unwrap_or_default();
                self.later(now, 0, timeline, move || {
                    super::triage_call::ask_model(concern, &context, &tail, &llm)
                })
            }
        }
    }

    /// Make the session's worktree and hand the session to its host.
    fn start(
        &mut self,
        now: Millis,
        start: Effect,
        state: &SwarmState,
        timeline: &mut Timeline,
        inputs: &mut VecDeque<Input>,
    ) {
        let Effect::Start {
            agent,
            session,
            task,
            branch,
            resume_from,
            base,
            model,
            attempt,
            handoff,
            mail,
        } = start
        else {
            return;
        };
        let on = self.host_for(&model);
        for h in &mut self.hosts {
            h.make_room(&agent);
        }
        // A new branch starts where the task continues from, else from its
        // base (a team's integration branch, made when first needed).
        let made = base.as_deref().map(|b| self.repo.ensure_branch(b));
        let from = resume_from
            .filter(|b| matches!(self.repo.branch_tip(b), Ok(Some(_))))
            .or(base);
        let prepared = match made {
            Some(Err(e)) => Err(e),
            _ => self.prepare(&agent, &branch, from.as_deref(), now),
        };
        let mut work = Working {
            session,
            agent,
            task,
            worktree: PathBuf::new(),
        };
        work.worktree = match prepared {
            Ok(w) => w,
            Err(e) => return start_failed(inputs, &work, "worktree", e.to_string()),
        };
        let Some(task) = state.tasks.get(&work.task) else {
            return;
        };
        let Executor {
            repo,
            hosts,
            commits,
            ..
        } = self;
        let host = hosts[on].as_mut();
        let mut cx = Ctx {
            now,
            repo,
            timeline,
            inputs,
            commits,
        };
        let start = Start {
            work: work.clone(),
            branch: &branch,
            model: &model,
            attempt,
            handoff: handoff.as_deref(),
            task,
            mail: &mail,
            earlier: super::host::mailbox::earlier(state, &work.agent, mail.len()),
        };
        if let Err(refused) = host.start(&mut cx, start) {
            start_failed(inputs, &work, refused.action, refused.error);
        }
    }

    /// Background work (gates, a batch): inline, answered `cost` later on
    /// the virtual timeline; or on a thread, answered through the runner's
    /// channel when it is done.
    fn later<F>(&self, now: Millis, cost: Millis, timeline: &mut Timeline, work: F)
    where
        F: FnOnce() -> Input + Send + 'static,
    {
        if self.simulated() {
            timeline.push(now + cost, Wake::Input(work()));
        } else {
            let sink = self.sink.clone();
            std::thread::spawn(move || sink(work()));
        }
    }
}

/// A start that failed at `action`: the engine hears of the failure, then
/// of the session that could not start.
fn start_failed(inputs: &mut VecDeque<Input>, work: &Working, action: &'static str, error: String) {
    inputs.push_back(failure(action, work, error.clone()));
    inputs.push_back(Input::StartFailed {
        session: work.session.clone(),
        error,
    });
}

/// What the engine asked of a task's branch gates.
struct GatesEffect {
    task: TaskId,
    agent: AgentId,
    branch: String,
    checks: Vec<String>,
    scope: Vec<String>,
    protected: Vec<String>,
    /// What the branch is measured against (none: the target).
    base: Option<String>,
}

/// Gates that could not run: the executor's failure, and the gates'
/// failed answer (gate `worktree`) for the engine.
fn gates_stopped(
    inputs: &mut VecDeque<Input>,
    g: &GatesEffect,
    action: &'static str,
    error: String,
    changed: Vec<String>,
) -> Input {
    inputs.push_back(task_failure(action, &g.agent, &g.task, error.clone()));
    Input::GatesFinished {
        task: g.task.clone(),
        passed: false,
        gate: "worktree".into(),
        output: error,
        findings: Vec::new(),
        changed,
    }
}

impl Executor {
    /// Gates on a task's branch. Simulated gates run inline, before
    /// anything else touches the worktree; real ones on a thread while the
    /// agent goes on to its next task, in a checkout of their own at
    /// exactly the branch's commit.
    fn gates(
        &mut self,
        now: Millis,
        g: GatesEffect,
        timeline: &mut Timeline,
        inputs: &mut VecDeque<Input>,
    ) {
        for h in &mut self.hosts {
            h.gates_started(&g.task);
        }
        let (dir, changed) = match self.branch_work(now, &g, timeline, inputs) {
            Ok(at) => at,
            Err(input) => return timeline.push(now, Wake::Input(*input)),
        };
        let base = g.base.as_deref();
        let escapes = self
            .repo
            .escapes_against(&g.branch, base)
            .unwrap_or_else(|e| {
                vec![crate::domain::GateFinding {
                    gate: crate::merge::PATHS_GATE.into(),
                    file: String::new(),
                    line: None,
                    expected: "a branch whose paths can be read".into(),
                    found: e.to_string(),
                }]
            });
        let checkout = if self.simulated() || g.checks.is_empty() {
            None
        } else {
            match self.gate_checkout(&g.branch) {
                Ok(at) => Some(at),
                Err(e) => {
                    let input = gates_stopped(inputs, &g, "gate checkout", e.to_string(), changed);
                    return timeline.push(now, Wake::Input(input));
                }
            }
        };
        let gates = BranchGates {
            task: g.task.clone(),
            dir,
            checks: g.checks,
            timeout: self.gate_timeout,
            changed,
            scope: g.scope,
            protected: g.protected,
            escapes,
            checkout,
        };
        let gate_time = self.gate_time;
        self.later(now, gate_time, timeline, move || gates.run());
    }

    /// The agent's worktree on the branch, with whatever it left
    /// uncommitted committed (part of its work), and the files the branch
    /// changed against the target (or the team branch it lands on).
    /// `Err`: the gates' failed answer.
    fn branch_work(
        &mut self,
        now: Millis,
        g: &GatesEffect,
        timeline: &mut Timeline,
        inputs: &mut VecDeque<Input>,
    ) -> Result<(PathBuf, Vec<String>), Box<Input>> {
        let dir = self.prepare(&g.agent, &g.branch, None, now).map_err(|e| {
            let failed = gates_stopped(inputs, g, "worktree", e.to_string(), Vec::new());
            Box::new(failed)
        })?;
        // Asked after the switch, which may have looked through it already.
        let only_commits = self.only_commits(&g.agent);
        let mut cx = Ctx {
            now,
            repo: &self.repo,
            timeline,
            inputs,
            commits: &mut self.commits,
        };
        if !only_commits {
            match cx.commit_wip(&dir, &g.agent, &g.task, "left uncommitted at done") {
                Ok(()) => self.looked_through(&g.agent),
                Err(e) => {
                    inputs.push_back(task_failure("commit", &g.agent, &g.task, e.to_string()));
                }
            }
        }
        // Simulated gates run their commands in this worktree: what they
        // leave there is no commit of the simulator's.
        if self.simulated() && !g.checks.is_empty() {
            self.hosts[SIM].touched(&g.agent);
        }
        let base = g.base.as_deref();
        let changed = self.repo.changed_files_against(&g.branch, base);
        let changed = changed.unwrap_or_else(|e| {
            let failed = task_failure("changed files", &g.agent, &g.task, e.to_string());
            inputs.push_back(failed);
            Vec::new()
        });
        Ok((dir, changed))
    }

    /// A checkout of its own for a real branch's gates: the repository
    /// reopened for the thread, the branch's tip, the pool.
    fn gate_checkout(
        &self,
        branch: &str,
    ) -> Result<(Repo, String, merge::GatePool), merge::GitError> {
        let tip = self
            .repo
            .branch_tip(branch)?
            .ok_or_else(|| merge::GitError::NoSuchBranch {
                repo: self.repo.root().to_path_buf(),
                branch: branch.to_string(),
            })?;
        Ok((landing::reopen(&self.repo)?, tip, self.gate_pool.clone()))
    }

    /// Land a batch of queue entries.
    fn land(&mut self, now: Millis, batch: Batch, timeline: &mut Timeline) {
        if self.simulated() {
            // Inline, on the repository itself.
            // Gate runs of a train's cars overlap: only those waited for
            // one after another take time.
            let (input, serial_runs) = batch.run_timed(&self.repo);
            let at = now + 5 * SECOND + serial_runs as Millis * self.gate_time;
            return timeline.push(at, Wake::Input(input));
        }
        match landing::reopen(&self.repo) {
            Ok(repo) => self.later(now, 0, timeline, move || batch.run_timed(&repo).0),
            Err(e) => timeline.push(
                now,
                Wake::Input(Input::Landed {
                    runs: Vec::new(),
                    results: Vec::new(),
                    error: Some(e.to_string()),
                    held: Vec::new(),
                    ai_unreachable: None,
                    spent: Vec::new(),
                }),
            ),
        }
    }
}

impl Drop for Executor {
    /// However the run ends (an error included), no agent process is left
    /// running with its work uncommitted.
    fn drop(&mut self) {
        if self.has_processes() {
            use crate::engine::Clock;
            let now = crate::engine::RealClock.now();
            let mut inputs = VecDeque::new();
            self.stop_all(now, &mut Timeline::default(), &mut inputs);
            for input in inputs {
                tracing::error!(?input, "after the run: not reported to the engine");
            }
        }
    }
}
