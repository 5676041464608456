//! The executor: performs the engine's effects (worktrees, simulated agent
//! sessions, gates, merges) and answers with inputs, now or later on the
//! timeline.

use super::landing::{self, Batch, BranchGates};
use super::timeline::{Timeline, Wake};
use crate::domain::{AgentId, Millis, SECOND, SessionId, SwarmState, TaskId};
use crate::engine::{Effect, Input};
use crate::merge::{self, Repo};
use crate::runtime::adapter::{Adapter, CommandAdapter};
use crate::runtime::claude::ClaudeAdapter;
use crate::runtime::codex::CodexAdapter;
use crate::runtime::process::{self, Emit, Launch};
use crate::runtime::prompt;
use crate::runtime::protocol::Signal;
use crate::runtime::sim::{self, Action, Edit, Plan, SimSettings};
use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A simulated agent's session: its script and where it stands in it.
struct SimSession {
    agent: AgentId,
    task: TaskId,
    worktree: PathBuf,
    plan: Plan,
    generation: u64,
    frozen: bool,
    waiting: bool,
}

/// How agents run: simulated, or as real processes.
#[derive(Clone, Debug)]
pub enum AgentRuntime {
    Sim,
    /// Any program speaking the line protocol.
    Command {
        program: String,
        args: Vec<String>,
        /// Names of variables passed through from shiftboss's environment.
        pass_env: Vec<String>,
        stop_grace: Duration,
    },
    /// Codex (`codex exec --json`), through the provider in `codex_home`.
    Codex {
        bin: String,
        /// CODEX_HOME: its config.toml names shiftboss's provider.
        codex_home: PathBuf,
        /// Codex's sandbox; under `workspace-write` it keeps `.git`
        /// read-only, so shiftboss commits the agent's work when it is done.
        sandbox: String,
        pass_env: Vec<String>,
        stop_grace: Duration,
    },
    /// Claude Code in print mode with streaming JSON.
    Claude {
        bin: String,
        allowed_tools: Vec<String>,
        permission_mode: String,
        pass_env: Vec<String>,
        stop_grace: Duration,
    },
}

/// What Claude Code needs from shiftboss's environment, and the bounds put
/// on its retries and silent streams (shiftboss's watchdog stays on it too).
const CLAUDE_ENV: [&str; 3] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
];
const CLAUDE_BOUNDS: [(&str, &str); 4] = [
    ("CLAUDE_CODE_MAX_RETRIES", "2"),
    ("CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", "120000"),
    ("DISABLE_AUTOUPDATER", "1"),
    ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
];

/// The runtime of each model: a default, and models that run elsewhere
/// (`claude-*` in Claude Code, `gpt-*` in Codex, in one swarm).
#[derive(Clone, Debug)]
pub struct Runtimes {
    pub default: AgentRuntime,
    /// (model name or prefix, its runtime).
    pub by_model: Vec<(String, AgentRuntime)>,
    /// The sandbox real agents run in (`None`: `[sandbox] mode = "off"`).
    pub sandbox: Option<crate::runtime::sandbox::Sandbox>,
}

impl Runtimes {
    pub fn only(runtime: AgentRuntime) -> Runtimes {
        Runtimes {
            default: runtime,
            by_model: Vec::new(),
            sandbox: None,
        }
    }

    /// The runtime for a model: the longest entry its name starts with.
    pub fn for_model(&self, model: &str) -> &AgentRuntime {
        self.by_model
            .iter()
            .filter(|(m, _)| model.starts_with(m.as_str()))
            .max_by_key(|(m, _)| m.len())
            .map(|(_, r)| r)
            .unwrap_or(&self.default)
    }

    /// Only simulated agents: virtual durations apply.
    pub fn simulated(&self) -> bool {
        matches!(self.default, AgentRuntime::Sim)
            && self
                .by_model
                .iter()
                .all(|(_, r)| matches!(r, AgentRuntime::Sim))
    }
}

impl AgentRuntime {
    fn stop_grace(&self) -> Duration {
        match self {
            AgentRuntime::Sim => Duration::ZERO,
            AgentRuntime::Command { stop_grace, .. }
            | AgentRuntime::Claude { stop_grace, .. }
            | AgentRuntime::Codex { stop_grace, .. } => *stop_grace,
        }
    }

    fn pass_env(&self) -> &[String] {
        match self {
            AgentRuntime::Sim => &[],
            AgentRuntime::Command { pass_env, .. }
            | AgentRuntime::Claude { pass_env, .. }
            | AgentRuntime::Codex { pass_env, .. } => pass_env,
        }
    }

    /// How to start an agent with `prompt` on `model`, and how to read it.
    fn launch(&self, prompt: &str, model: &str) -> Option<(Launch, Box<dyn Adapter>)> {
        match self {
            AgentRuntime::Sim => None,
            AgentRuntime::Command { program, args, .. } => Some((
                Launch {
                    program: program.clone(),
                    args: args.clone(),
                    env: Vec::new(),
                    stdin: Some(prompt.to_string()),
                },
                Box::new(CommandAdapter),
            )),
            AgentRuntime::Codex {
                bin,
                codex_home,
                sandbox,
                ..
            } => {
                let mut env: Vec<(String, String)> = std::env::var("OPENAI_API_KEY")
                    .ok()
                    .map(|v| ("OPENAI_API_KEY".to_string(), v))
                    .into_iter()
                    .collect();
                env.push(("CODEX_HOME".into(), codex_home.display().to_string()));
                let args = vec![
                    "exec".to_string(),
                    "--json".into(),
                    "--skip-git-repo-check".into(),
                    "-s".into(),
                    sandbox.clone(),
                    "-c".into(),
                    "approval_policy=\"never\"".into(),
                    "-c".into(),
                    format!("model_provider=\"{}\"", crate::runtime::codex::PROVIDER),
                    "-m".into(),
                    model.to_string(),
                    prompt.to_string(),
                ];
                Some((
                    Launch {
                        program: bin.clone(),
                        args,
                        env,
                        stdin: None,
                    },
                    Box::new(CodexAdapter::new(model)),
                ))
            }
            AgentRuntime::Claude {
                bin,
                allowed_tools,
                permission_mode,
                ..
            } => {
                let mut env: Vec<(String, String)> = CLAUDE_ENV
                    .iter()
                    .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
                    .collect();
                env.extend(
                    CLAUDE_BOUNDS
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string())),
                );
                let args = [
                    "-p",
                    prompt,
                    "--bare",
                    "--output-format",
                    "stream-json",
                    "--verbose",
                    "--include-partial-messages",
                    "--allowedTools",
                    &allowed_tools.join(","),
                    "--permission-mode",
                    permission_mode,
                    "--model",
                    model,
                ]
                .iter()
                .map(|a| a.to_string())
                .collect();
                Some((
                    Launch {
                        program: bin.clone(),
                        args,
                        env,
                        stdin: None,
                    },
                    Box::new(ClaudeAdapter::default()),
                ))
            }
        }
    }
}

/// What a real agent's session starts with.
struct ProcStart {
    agent: AgentId,
    session: SessionId,
    task: TaskId,
    branch: String,
    resume_from: Option<String>,
    handoff: Option<String>,
    model: String,
}

/// A real agent process.
struct Proc {
    agent: AgentId,
    task: TaskId,
    worktree: PathBuf,
    pid: u32,
    /// When it said it was done (it should exit soon after).
    done_at: Option<std::time::Instant>,
    grace: Duration,
    started: std::time::Instant,
    peak_rss_kib: u64,
}

pub struct Executor {
    repo: Repo,
    /// Gate checkouts for real agents' branch gates, reused across runs.
    gate_pool: merge::GatePool,
    sim: SimSettings,
    seed: u64,
    gate_timeout: Duration,
    runtimes: Runtimes,
    /// Where agents' inputs go (the runner's channel).
    emit: Emit,
    /// Prompts and decisions for real agents, outside their worktrees.
    prompts_dir: PathBuf,
    procs: BTreeMap<SessionId, Proc>,
    /// Processes asked to stop, still in their grace period: (agent, pid).
    stopping: Vec<(AgentId, u32)>,
    sessions: BTreeMap<SessionId, SimSession>,
    /// Commits made by simulated agents (for the summary).
    pub commits: u64,
    /// Effects that failed in a way the engine was told about.
    pub errors: Vec<String>,
}

impl Executor {
    pub fn new(
        mut repo: Repo,
        sim: SimSettings,
        seed: u64,
        gate_timeout: Duration,
        runtimes: Runtimes,
        emit: Emit,
        prompts_dir: PathBuf,
    ) -> Executor {
        // Simulated agents run no git of their own: what shiftboss did to
        // its worktrees' HEADs is all there is to know.
        repo.trust_worktree_heads(runtimes.simulated());
        Executor {
            repo,
            gate_pool: merge::GatePool::default(),
            sim,
            seed,
            gate_timeout,
            runtimes,
            emit,
            prompts_dir,
            procs: BTreeMap::new(),
            stopping: Vec::new(),
            sessions: BTreeMap::new(),
            commits: 0,
            errors: Vec::new(),
        }
    }

    /// Real agents run here without the sandbox.
    pub fn unconfined(&self) -> bool {
        !self.runtimes.simulated() && self.runtimes.sandbox.is_none()
    }

    pub fn live_sessions(&self) -> Vec<SessionId> {
        self.sessions
            .keys()
            .chain(self.procs.keys())
            .cloned()
            .collect()
    }

    /// Start a real agent process for a session.
    fn start_process(
        &mut self,
        now: Millis,
        state: &SwarmState,
        start: ProcStart,
        inputs: &mut VecDeque<Input>,
    ) {
        let ProcStart {
            agent,
            session,
            task,
            branch,
            resume_from,
            handoff,
            model,
        } = start;
        // An earlier session of this agent still in its grace period would
        // share the worktree with the new one: it goes now.
        let (old, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.stopping)
            .into_iter()
            .partition(|(a, _)| *a == agent);
        self.stopping = rest;
        let old: Vec<u32> = old.into_iter().map(|(_, pid)| pid).collect();
        if !old.is_empty() {
            process::stop_and_wait(&old, Duration::ZERO);
        }
        let failed = |error: String, inputs: &mut VecDeque<Input>| {
            inputs.push_back(Input::StartFailed {
                session: session.clone(),
                error,
            })
        };
        let worktree =
            match self
                .repo
                .prepare_worktree_at(&agent, &branch, resume_from.as_deref(), now)
            {
                Ok(w) => w,
                Err(e) => return failed(e.to_string(), inputs),
            };
        let Some(t) = state.tasks.get(&task) else {
            return;
        };
        let conventions = prompt::conventions(&worktree);
        let text = prompt::build(
            &t.spec,
            &agent,
            &branch,
            conventions.as_ref(),
            handoff.as_deref(),
            t.returned.as_deref(),
        );
        let file = self
            .prompts_dir
            .join(format!("{}.md", session.as_str().replace('#', "-")));
        if let Err(e) =
            std::fs::create_dir_all(&self.prompts_dir).and_then(|_| std::fs::write(&file, &text))
        {
            return failed(format!("write the prompt {}: {e}", file.display()), inputs);
        }
        let runtime = self.runtimes.for_model(&model).clone();
        let Some((mut launch, adapter)) = runtime.launch(&text, &model) else {
            return;
        };
        let mut env: Vec<(String, String)> = runtime
            .pass_env()
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
            .collect();
        env.extend([
            ("SHIFTBOSS_AGENT".to_string(), agent.to_string()),
            ("SHIFTBOSS_TASK".to_string(), task.to_string()),
            ("SHIFTBOSS_SESSION".to_string(), session.to_string()),
            ("SHIFTBOSS_BRANCH".to_string(), branch.clone()),
            (
                "SHIFTBOSS_PROMPT_FILE".to_string(),
                file.display().to_string(),
            ),
            (
                "SHIFTBOSS_DECISION_FILE".to_string(),
                file.with_extension("decision").display().to_string(),
            ),
        ]);
        launch.env.extend(env);
        if let Some(sandbox) = &self.runtimes.sandbox {
            match super::confine::confine(
                sandbox,
                &runtime,
                self.repo.root(),
                &self.prompts_dir,
                agent.as_str(),
                &worktree,
                launch,
            ) {
                Ok(l) => launch = l,
                Err(e) => return failed(format!("sandbox for {agent}: {e}"), inputs),
            }
        }
        let secrets = process::secrets(&launch.env);
        // The recorded prompt holds files an agent can change (conventions,
        // its earlier output): redacted like its output.
        inputs.push_back(Input::Prompted {
            session: session.clone(),
            prompt: process::redact(&text, &secrets),
        });
        match process::spawn(
            &launch,
            &worktree,
            &session,
            adapter,
            secrets,
            self.emit.clone(),
        ) {
            Ok(running) => {
                tracing::info!(%session, %agent, pid = running.pid, program = %launch.program, "agent started");
                inputs.push_back(Input::Spawned {
                    session: session.clone(),
                    pid: running.pid,
                    start_time: running.start_time,
                });
                self.procs.insert(
                    session,
                    Proc {
                        agent,
                        task,
                        worktree,
                        pid: running.pid,
                        done_at: None,
                        grace: runtime.stop_grace(),
                        started: running.started,
                        peak_rss_kib: process::rss_kib(running.pid).unwrap_or(0),
                    },
                );
            }
            Err(e) => failed(format!("start {}: {e}", launch.program), inputs),
        }
    }

    /// The run is over: keep every running agent's work on its branch and
    /// ask it to stop. Its session is reconciled at the next start.
    /// Returns once every agent process is gone (SIGKILL after the grace).
    pub fn stop_all(&mut self, now: Millis) {
        let all: Vec<SessionId> = self.procs.keys().cloned().collect();
        let mut pids = Vec::new();
        let mut grace = Duration::ZERO;
        for s in all {
            if let Some(p) = self.procs.remove(&s) {
                tracing::info!(session = %s, pid = p.pid, "agent stopped: the run ended");
                process::freeze(p.pid);
                self.keep_work(
                    &p.worktree,
                    &p.agent,
                    &p.task,
                    "kept when shiftboss stopped",
                    now,
                );
                pids.push(p.pid);
                grace = grace.max(p.grace);
            }
        }
        process::stop_and_wait(&pids, grace);
        // Stops begun earlier in the run end too.
        process::settle();
    }

    /// Whether agent processes are still running (their last output may
    /// still be on its way).
    /// Real agents anywhere in the swarm: its clock is the wall clock.
    pub fn real_time(&self) -> bool {
        !self.runtimes.simulated()
    }

    pub fn has_processes(&self) -> bool {
        !self.procs.is_empty()
    }

    /// Stop processes that said they were done but did not exit within
    /// their grace period.
    pub fn reap(&mut self) {
        self.stopping
            .retain(|(_, pid)| crate::runtime::groups::alive(*pid));
        let late: Vec<SessionId> = self
            .procs
            .iter()
            .filter(|(_, p)| p.done_at.is_some_and(|t| t.elapsed() > p.grace))
            .map(|(s, _)| s.clone())
            .collect();
        for s in late {
            if let Some(p) = self.procs.remove(&s) {
                process::stop(p.pid, p.grace);
                self.stopping.push((p.agent, p.pid));
            }
        }
    }

    /// A process ended on its own.
    /// Returns what it used: (peak resident memory in KiB, wall time in ms).
    /// Does `model` run as a real process (not the simulator)?
    pub fn runs_processes(&self, model: &str) -> bool {
        !matches!(self.runtimes.for_model(model), AgentRuntime::Sim)
    }

    pub fn forget(&mut self, session: &SessionId) -> Option<(u64, u64)> {
        let p = self.procs.remove(session)?;
        Some((p.peak_rss_kib, p.started.elapsed().as_millis() as u64))
    }

    /// A real agent asked for a pause: an earlier answer must not stand in
    /// for this one.
    pub fn clear_decision(&mut self, session: &SessionId) {
        if self.procs.contains_key(session) {
            let file = self
                .prompts_dir
                .join(format!("{}.decision", session.as_str().replace('#', "-")));
            let _ = std::fs::remove_file(file);
        }
    }

    /// Sample each agent process's memory (from /proc), keeping its peak.
    pub fn sample(&mut self) {
        for p in self.procs.values_mut() {
            if let Some(kib) = process::rss_kib(p.pid) {
                p.peak_rss_kib = p.peak_rss_kib.max(kib);
            }
        }
    }

    /// Commits made for the tasks: simulated ones as counted here; real
    /// agents commit themselves, so their tasks' branches are counted.
    pub fn agent_commits(&self, state: &SwarmState) -> u64 {
        if self.runtimes.simulated() {
            return self.commits;
        }
        let branches: Vec<String> = state
            .tasks
            .values()
            .filter_map(|t| t.branch.clone())
            .collect();
        self.repo.branch_commits(&branches).unwrap_or(self.commits)
    }

    /// Commit whatever a session's worktree holds, so no work is lost.
    fn keep_work(
        &mut self,
        worktree: &std::path::Path,
        agent: &AgentId,
        task: &TaskId,
        why: &str,
        now: Millis,
    ) {
        let msg = format!("wip: {task} {why}");
        let email = format!("{agent}@shiftboss.invalid");
        match self
            .repo
            .commit_all(worktree, &msg, agent.as_str(), &email, now)
        {
            Ok(Some(_)) => self.commits += 1,
            Ok(None) => {}
            Err(e) => self.errors.push(e.to_string()),
        }
    }

    fn schedule_next(&mut self, now: Millis, id: &SessionId, timeline: &mut Timeline) {
        let Some(s) = self.sessions.get_mut(id) else {
            return;
        };
        if s.frozen || s.waiting {
            return;
        }
        s.generation += 1;
        if let Some((delay, _)) = s.plan.steps.front() {
            timeline.push(
                now + delay,
                Wake::Session {
                    session: id.clone(),
                    generation: s.generation,
                },
            );
        }
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
            Effect::Start {
                agent,
                session,
                task,
                branch,
                resume_from,
                model,
                attempt,
                handoff,
            } => {
                if !matches!(self.runtimes.for_model(&model), AgentRuntime::Sim) {
                    let start = ProcStart {
                        agent,
                        session,
                        task,
                        branch,
                        resume_from,
                        handoff,
                        model,
                    };
                    return self.start_process(now, state, start, inputs);
                }
                let worktree = match self.repo.prepare_worktree_at(
                    &agent,
                    &branch,
                    resume_from.as_deref(),
                    now,
                ) {
                    Ok(w) => w,
                    Err(e) => {
                        self.errors.push(e.to_string());
                        inputs.push_back(Input::StartFailed {
                            session,
                            error: e.to_string(),
                        });
                        return;
                    }
                };
                let Some(spec) = state.tasks.get(&task).map(|t| &t.spec) else {
                    return;
                };
                let plan = sim::plan(&self.sim, self.seed, spec, &agent, &model, attempt);
                self.sessions.insert(
                    session.clone(),
                    SimSession {
                        agent,
                        task,
                        worktree,
                        plan,
                        generation: 0,
                        frozen: false,
                        waiting: false,
                    },
                );
                self.schedule_next(now, &session, timeline);
            }
            Effect::Stop { session, reason } => {
                if let Some(p) = self.procs.remove(&session) {
                    // Hold it still, keep its work, then ask it to go.
                    process::freeze(p.pid);
                    self.keep_work(
                        &p.worktree,
                        &p.agent,
                        &p.task,
                        &format!("stopped by shiftboss ({reason})"),
                        now,
                    );
                    process::stop(p.pid, p.grace);
                    self.stopping.push((p.agent.clone(), p.pid));
                }
                if let Some(s) = self.sessions.remove(&session) {
                    // Whatever the agent left uncommitted is kept on its branch.
                    let msg = format!("wip: {} stopped by shiftboss ({reason})", s.task);
                    let email = format!("{}@shiftboss.invalid", s.agent);
                    match self
                        .repo
                        .commit_all(&s.worktree, &msg, s.agent.as_str(), &email, now)
                    {
                        Ok(Some(_)) => self.commits += 1,
                        Ok(None) => {}
                        Err(e) => self.errors.push(e.to_string()),
                    }
                }
            }
            Effect::Freeze { session } => {
                if let Some(p) = self.procs.get(&session) {
                    process::freeze(p.pid);
                }
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.frozen = true;
                    s.generation += 1;
                }
            }
            Effect::Thaw { session } => {
                if let Some(p) = self.procs.get(&session) {
                    process::thaw(p.pid);
                }
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.frozen = false;
                }
                self.schedule_next(now, &session, timeline);
            }
            Effect::Decide { session, approved } => {
                if self.procs.contains_key(&session) {
                    // A real agent reads the answer from $SHIFTBOSS_DECISION_FILE.
                    let file = self
                        .prompts_dir
                        .join(format!("{}.decision", session.as_str().replace('#', "-")));
                    let word = if approved { "approved\n" } else { "rejected\n" };
                    if let Err(e) = std::fs::write(&file, word) {
                        self.errors.push(format!("{}: {e}", file.display()));
                    }
                }
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.waiting = false;
                    let line = if approved {
                        "operator approved; going ahead"
                    } else {
                        "operator declined; leaving that step out"
                    };
                    s.plan.steps.push_front((SECOND, Action::Line(line.into())));
                }
                self.schedule_next(now, &session, timeline);
            }
            Effect::RunGates {
                task,
                agent,
                branch,
                checks,
                scope,
                protected,
            } => {
                // A real agent that said it is done has a grace period to
                // finish printing (its last usage and cost) and exit.
                for p in self.procs.values_mut().filter(|p| p.task == task) {
                    p.done_at.get_or_insert(std::time::Instant::now());
                }
                let dir = match self.repo.prepare_worktree_at(&agent, &branch, None, now) {
                    Ok(dir) => dir,
                    Err(e) => {
                        let input = Input::GatesFinished {
                            task,
                            passed: false,
                            gate: "worktree".into(),
                            output: e.to_string(),
                            findings: Vec::new(),
                            changed: Vec::new(),
                        };
                        timeline.push(now, Wake::Input(input));
                        return;
                    }
                };
                // Whatever the agent left uncommitted is part of its work.
                self.keep_work(&dir, &agent, &task, "left uncommitted at done", now);
                let changed = match self.repo.changed_files(&branch) {
                    Ok(c) => c,
                    Err(e) => {
                        self.errors.push(e.to_string());
                        Vec::new()
                    }
                };
                let escapes = self.repo.escapes(&branch).unwrap_or_else(|e| {
                    vec![crate::domain::Finding {
                        gate: crate::merge::PATHS_GATE.into(),
                        file: String::new(),
                        line: None,
                        expected: "a branch whose paths can be read".into(),
                        found: e.to_string(),
                    }]
                });
                // Simulated gates run inline, before anything else touches the
                // worktree. Real ones run on a thread while the agent goes on
                // to its next task: in a checkout of their own, at exactly
                // the branch's commit.
                let checkout = if self.runtimes.simulated() || checks.is_empty() {
                    None
                } else {
                    let tip = self.repo.branch_tip(&branch).and_then(|tip| {
                        tip.ok_or_else(|| merge::GitError::NoSuchBranch {
                            repo: self.repo.root().to_path_buf(),
                            branch: branch.clone(),
                        })
                    });
                    let pool = self.gate_pool.clone();
                    match tip.and_then(|tip| Ok((landing::reopen(&self.repo)?, tip, pool))) {
                        Ok(at) => Some(at),
                        Err(e) => {
                            let input = Input::GatesFinished {
                                task,
                                passed: false,
                                gate: "worktree".into(),
                                output: e.to_string(),
                                findings: Vec::new(),
                                changed,
                            };
                            timeline.push(now, Wake::Input(input));
                            return;
                        }
                    }
                };
                let gates = BranchGates {
                    task,
                    dir,
                    checks,
                    timeout: self.gate_timeout,
                    changed,
                    scope,
                    protected,
                    escapes,
                    checkout,
                };
                if self.runtimes.simulated() {
                    let input = gates.run();
                    timeline.push(now + self.sim.gate_time, Wake::Input(input));
                } else {
                    let emit = self.emit.clone();
                    std::thread::spawn(move || emit(gates.run()));
                }
            }
            Effect::Land {
                entries,
                checks,
                append_only,
                ai,
            } => {
                let batch = Batch {
                    entries,
                    checks,
                    append_only,
                    ai,
                    timeout: self.gate_timeout,
                    at: now,
                };
                if self.runtimes.simulated() {
                    let input = batch.run(&self.repo);
                    let runs = match &input {
                        Input::Landed { runs, .. } => runs.len() as Millis,
                        _ => 0,
                    };
                    timeline.push(
                        now + 5 * SECOND + runs * self.sim.gate_time,
                        Wake::Input(input),
                    );
                } else {
                    match landing::reopen(&self.repo) {
                        Ok(repo) => {
                            let emit = self.emit.clone();
                            std::thread::spawn(move || emit(batch.run(&repo)));
                        }
                        Err(e) => timeline.push(
                            now,
                            Wake::Input(Input::Landed {
                                runs: Vec::new(),
                                results: Vec::new(),
                                error: Some(e.to_string()),
                                held: Vec::new(),
                                ai_unreachable: None,
                            }),
                        ),
                    }
                }
            }
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
        let Some(s) = self.sessions.get_mut(id) else {
            return;
        };
        if s.generation != generation || s.frozen || s.waiting {
            return;
        }
        let Some((_, action)) = s.plan.steps.pop_front() else {
            return;
        };
        match action {
            Action::Line(line) => inputs.push_back(Input::AgentLine {
                session: id.clone(),
                line,
            }),
            Action::Commit { edits, message } => {
                let mut ok = true;
                for e in &edits {
                    if let Err(err) = apply_edit(&s.worktree, e) {
                        self.errors.push(format!("{id}: {err}"));
                        ok = false;
                    }
                }
                let email = format!("{}@shiftboss.invalid", s.agent);
                let msg = format!(
                    "{message}\n\nShiftboss-Task: {}\nShiftboss-Agent: {}\nShiftboss-Session: {id}\n",
                    s.task, s.agent
                );
                let mut paths: Vec<String> = edits.iter().map(|e| e.path().to_string()).collect();
                paths.sort();
                paths.dedup();
                if ok {
                    // The simulator made these edits and nothing else: only
                    // they are staged.
                    match self.repo.commit_paths(
                        &s.worktree,
                        &paths,
                        &msg,
                        s.agent.as_str(),
                        &email,
                        now,
                    ) {
                        Ok(Some((commit, files))) => {
                            self.commits += 1;
                            inputs.push_back(Input::AgentSignal {
                                session: id.clone(),
                                signal: Signal::Commit {
                                    commit,
                                    files,
                                    paths,
                                },
                            });
                        }
                        Ok(None) => {}
                        Err(e) => self.errors.push(format!("{id}: {e}")),
                    }
                }
            }
            Action::AwaitDecision => {
                s.waiting = true;
                return;
            }
            Action::Repeat { line, every } => {
                inputs.push_back(Input::AgentLine {
                    session: id.clone(),
                    line: line.clone(),
                });
                s.plan
                    .steps
                    .push_front((every, Action::Repeat { line, every }));
            }
            Action::Exit(code) => {
                self.sessions.remove(id);
                inputs.push_back(Input::AgentExited {
                    session: id.clone(),
                    exit_code: Some(code),
                });
                return;
            }
        }
        if s.plan.steps.is_empty() {
            // The script is over: the done line is on its way to the engine.
            self.sessions.remove(id);
        } else {
            self.schedule_next(now, id, timeline);
        }
    }
}

fn apply_edit(root: &Path, edit: &Edit) -> std::io::Result<()> {
    match edit {
        Edit::Append { path, text } => {
            let p = root.join(path);
            if let Some(dir) = p.parent() {
                fs::create_dir_all(dir)?;
            }
            let mut f = fs::OpenOptions::new().create(true).append(true).open(p)?;
            f.write_all(text.as_bytes())
        }
        Edit::ReplaceLine { path, prefix, line } => {
            let p = root.join(path);
            if let Some(dir) = p.parent() {
                fs::create_dir_all(dir)?;
            }
            let old = fs::read_to_string(&p).unwrap_or_default();
            let mut replaced = false;
            let mut out: Vec<String> = old
                .lines()
                .map(|l| {
                    if !replaced && l.starts_with(prefix.as_str()) {
                        replaced = true;
                        line.clone()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            if !replaced {
                out.push(line.clone());
            }
            fs::write(p, out.join("\n") + "\n")
        }
        Edit::RemoveLines { path, marker } => {
            let p = root.join(path);
            let Ok(old) = fs::read_to_string(&p) else {
                return Ok(());
            };
            let kept: String = old
                .split_inclusive('\n')
                .filter(|l| !l.contains(marker.as_str()))
                .collect();
            if kept != old {
                fs::write(p, kept)?;
            }
            Ok(())
        }
    }
}

impl Drop for Executor {
    /// However the run ends (an error included), no agent process is left
    /// running with its work uncommitted.
    fn drop(&mut self) {
        if !self.procs.is_empty() {
            use crate::engine::Clock;
            self.stop_all(crate::engine::RealClock.now());
        }
    }
}
