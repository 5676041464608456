//! The local process host: each session is a real agent process (Claude
//! Code, Codex, any command) in its worktree, in the sandbox when it is on.
//! The launch of a runtime happens here, in one place: its prompt, its
//! environment, its sandbox, its process.

use super::{Ctx, Host, Refused, Start, Working};
use crate::domain::{AgentId, SessionId, TaskId};
use crate::engine::Input;
use crate::runtime::adapter::Output;
use crate::runtime::process::{self, Launch};
use crate::runtime::prompt;
use crate::swarm::executor::{Sink, session_emit};
use crate::swarm::runtimes::{AgentRuntime, Runtimes};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A real agent process.
struct Proc {
    work: Working,
    pid: u32,
    /// When it said it was done (it should exit soon after).
    done_at: Option<Instant>,
    grace: Duration,
    started: Instant,
    peak_rss_kib: u64,
}

pub(in crate::swarm) struct ProcessHost {
    runtimes: Runtimes,
    /// The repository's root (the sandbox's view of it).
    root: PathBuf,
    /// Prompts and decisions for real agents, outside their worktrees.
    prompts_dir: PathBuf,
    /// Where agents' output goes (the runner's channel).
    sink: Sink,
    procs: BTreeMap<SessionId, Proc>,
    /// Processes asked to stop, still in their grace period: (agent, pid).
    stopping: Vec<(AgentId, u32)>,
}

impl ProcessHost {
    pub fn new(runtimes: Runtimes, root: &Path, prompts_dir: PathBuf, sink: Sink) -> ProcessHost {
        ProcessHost {
            runtimes,
            root: root.to_path_buf(),
            prompts_dir,
            sink,
            procs: BTreeMap::new(),
            stopping: Vec::new(),
        }
    }

    /// `emit`, with each line and the end also written to the session's
    /// transcript (`.shiftboss/transcripts/`, beside the prompts).
    fn transcribed(&self, emit: process::Emit, session: &SessionId) -> process::Emit {
        let dir = self.prompts_dir.parent().unwrap_or(&self.prompts_dir);
        let Some(t) = crate::swarm::transcript::Transcript::create(dir, session) else {
            return emit;
        };
        std::sync::Arc::new(move |output| {
            match &output {
                Output::Line { line } => t.line(line),
                Output::Exited { exit_code } => t.end(*exit_code),
                Output::Signal { .. } => {}
            }
            emit(output)
        })
    }

    /// The agent's own folder, outside its worktree (its HOME when sandboxed):
    /// where a lead writes the spec files its `::task` lines name.
    fn agent_dir(&self, agent: &AgentId) -> PathBuf {
        let dir = self.prompts_dir.parent().unwrap_or(&self.prompts_dir);
        crate::swarm::confine::agent_home(dir, agent.as_str())
    }

    /// Where a session's prompt (`md`) and decision (`decision`) files go.
    fn file(&self, session: &SessionId, ext: &str) -> PathBuf {
        self.prompts_dir
            .join(format!("{}.{ext}", session.as_str().replace('#', "-")))
    }

    /// Stop processes that said they were done but did not exit within
    /// their grace period.
    fn reap(&mut self) {
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
                self.stopping.push((p.work.agent, p.pid));
            }
        }
    }

    /// Sample each agent process's memory (from /proc), keeping its peak.
    fn sample(&mut self) {
        for p in self.procs.values_mut() {
            if let Some(kib) = process::rss_kib(p.pid) {
                p.peak_rss_kib = p.peak_rss_kib.max(kib);
            }
        }
    }

    /// The prompt, written where the agent can read it.
    fn prompt(&self, start: &Start<'_>) -> Result<(String, PathBuf), Refused> {
        let work = &start.work;
        let conventions = prompt::conventions(&work.worktree);
        let mut text = prompt::build(
            &start.task.spec,
            &work.agent,
            start.branch,
            conventions.as_ref(),
            start.handoff,
            start.task.returned.as_deref(),
            start.mail,
        );
        if let Some(own) = self.runtimes.leads.get(&work.agent) {
            text.push_str(&prompt::lead_section(own));
        }
        let file = self.file(&work.session, "md");
        std::fs::create_dir_all(&self.prompts_dir)
            .and_then(|_| std::fs::write(&file, &text))
            .map_err(|e| Refused {
                action: "prompt",
                error: format!("write the prompt {}: {e}", file.display()),
            })?;
        Ok((text, file))
    }

    /// The agent's mailbox file (`.shiftboss/agents/<agent>/mailbox.md`,
    /// outside its worktree, readable in its sandbox), written whole before
    /// each session starts: its last messages (`mailbox.rs`).
    fn mailbox(&self, start: &Start<'_>) -> Result<PathBuf, Refused> {
        let dir = self.prompts_dir.parent().unwrap_or(&self.prompts_dir);
        let agent = &start.work.agent;
        let file = crate::swarm::confine::agent_home(dir, agent.as_str()).join("mailbox.md");
        super::mailbox::write(&file, agent, &start.earlier, start.mail).map_err(|e| Refused {
            action: "mailbox",
            error: format!("write the mailbox {}: {e}", file.display()),
        })?;
        Ok(file)
    }

    /// How to start the session's runtime: its command line, environment
    /// and sandbox.
    fn launch(
        &self,
        runtime: &AgentRuntime,
        start: &Start<'_>,
        text: &str,
        file: &Path,
        mailbox: &Path,
    ) -> Result<(Launch, Box<dyn crate::runtime::adapter::Adapter>), Refused> {
        let work = &start.work;
        let Some((mut launch, adapter)) = runtime.launch(text, start.model) else {
            return Err(Refused {
                action: "launch",
                error: format!("{} does not run as a process", start.model),
            });
        };
        launch.env.extend(
            runtime
                .pass_env()
                .iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v))),
        );
        let own_dir = self.agent_dir(&work.agent);
        std::fs::create_dir_all(&own_dir).map_err(|e| Refused {
            action: "launch",
            error: format!("make {}: {e}", own_dir.display()),
        })?;
        launch.env.extend([
            ("SHIFTBOSS_AGENT".to_string(), work.agent.to_string()),
            (
                "SHIFTBOSS_AGENT_DIR".to_string(),
                own_dir.display().to_string(),
            ),
            ("SHIFTBOSS_TASK".to_string(), work.task.to_string()),
            ("SHIFTBOSS_SESSION".to_string(), work.session.to_string()),
            ("SHIFTBOSS_BRANCH".to_string(), start.branch.to_string()),
            (
                "SHIFTBOSS_PROMPT_FILE".to_string(),
                file.display().to_string(),
            ),
            (
                "SHIFTBOSS_MAILBOX".to_string(),
                mailbox.display().to_string(),
            ),
            (
                "SHIFTBOSS_DECISION_FILE".to_string(),
                file.with_extension("decision").display().to_string(),
            ),
        ]);
        if let Some(sandbox) = &self.runtimes.sandbox {
            launch = crate::swarm::confine::confine(
                sandbox,
                runtime,
                &self.root,
                &self.prompts_dir,
                work.agent.as_str(),
                &work.worktree,
                launch,
            )
            .map_err(|e| Refused {
                action: "sandbox",
                error: format!("sandbox for {}: {e}", work.agent),
            })?;
        }
        Ok((launch, adapter))
    }
}

impl Host for ProcessHost {
    fn sessions(&self) -> Vec<SessionId> {
        self.procs.keys().cloned().collect()
    }

    fn runs(&self, session: &SessionId) -> bool {
        self.procs.contains_key(session)
    }

    /// An earlier session of this agent still in its grace period would
    /// share the worktree with the new one: it goes now.
    fn make_room(&mut self, agent: &AgentId) {
        let (old, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.stopping)
            .into_iter()
            .partition(|(a, _)| a == agent);
        self.stopping = rest;
        let old: Vec<u32> = old.into_iter().map(|(_, pid)| pid).collect();
        if !old.is_empty() {
            process::stop_and_wait(&old, Duration::ZERO);
        }
    }

    fn start(&mut self, cx: &mut Ctx<'_>, start: Start<'_>) -> Result<(), Refused> {
        let (text, file) = self.prompt(&start)?;
        let mailbox = self.mailbox(&start)?;
        let runtime = self.runtimes.for_model(start.model).clone();
        let (launch, adapter) = self.launch(&runtime, &start, &text, &file, &mailbox)?;
        let work = start.work;
        let secrets = process::secrets(&launch.env);
        // The recorded prompt holds files an agent can change (conventions,
        // its earlier output): redacted like its output.
        cx.inputs.push_back(Input::Prompted {
            session: work.session.clone(),
            prompt: process::redact(&text, &secrets),
        });
        let emit = crate::swarm::lead_spec::with_specs(
            session_emit(&self.sink, &work.session),
            self.agent_dir(&work.agent),
            secrets.clone(),
        );
        let emit = self.transcribed(emit, &work.session);
        let running = process::spawn(
            &launch,
            &work.worktree,
            &work.session,
            adapter,
            secrets,
            emit,
        )
        .map_err(|e| Refused {
            action: "launch",
            error: format!("start {}: {e}", launch.program),
        })?;
        tracing::info!(session = %work.session, agent = %work.agent, pid = running.pid, program = %launch.program, "agent started");
        cx.inputs.push_back(Input::Spawned {
            session: work.session.clone(),
            pid: running.pid,
            start_time: running.start_time,
        });
        self.procs.insert(
            work.session.clone(),
            Proc {
                work,
                pid: running.pid,
                done_at: None,
                grace: runtime.stop_grace(),
                started: running.started,
                peak_rss_kib: process::rss_kib(running.pid).unwrap_or(0),
            },
        );
        Ok(())
    }

    fn stop(&mut self, cx: &mut Ctx<'_>, session: &SessionId, reason: &str) {
        if let Some(p) = self.procs.remove(session) {
            // Hold it still, keep its work, then ask it to go.
            process::freeze(p.pid);
            cx.keep_work(&p.work, &format!("stopped by shiftboss ({reason})"));
            process::stop(p.pid, p.grace);
            self.stopping.push((p.work.agent, p.pid));
        }
    }

    fn freeze(&mut self, session: &SessionId) {
        if let Some(p) = self.procs.get(session) {
            process::freeze(p.pid);
        }
    }

    fn thaw(&mut self, _cx: &mut Ctx<'_>, session: &SessionId) {
        if let Some(p) = self.procs.get(session) {
            process::thaw(p.pid);
        }
    }

    /// A real agent reads the answer from $SHIFTBOSS_DECISION_FILE.
    fn decide(&mut self, cx: &mut Ctx<'_>, session: &SessionId, approved: bool) {
        let Some(p) = self.procs.get(session) else {
            return;
        };
        let file = self.file(session, "decision");
        let word = if approved { "approved\n" } else { "rejected\n" };
        if let Err(e) = std::fs::write(&file, word) {
            cx.failed("decision", &p.work, format!("{}: {e}", file.display()));
        }
    }

    fn pause_asked(&mut self, session: &SessionId) {
        if self.procs.contains_key(session) {
            let _ = std::fs::remove_file(self.file(session, "decision"));
        }
    }

    fn tick(&mut self) {
        self.reap();
        self.sample();
    }

    fn ended(&mut self, session: &SessionId) -> Option<(u64, u64)> {
        let p = self.procs.remove(session)?;
        Some((p.peak_rss_kib, p.started.elapsed().as_millis() as u64))
    }

    /// The task's gates start: an agent that said it is done has a grace
    /// period to finish printing (its last usage and cost) and exit.
    fn gates_started(&mut self, task: &TaskId) {
        for p in self.procs.values_mut().filter(|p| p.work.task == *task) {
            p.done_at.get_or_insert(Instant::now());
        }
    }

    fn busy(&self) -> bool {
        !self.procs.is_empty()
    }

    /// The run is over: keep every running agent's work on its branch and
    /// ask it to stop. Returns once every agent process is gone (SIGKILL
    /// after the grace); its session is reconciled at the next start.
    fn stop_all(&mut self, cx: &mut Ctx<'_>) {
        let mut pids = Vec::new();
        let mut grace = Duration::ZERO;
        for (s, p) in std::mem::take(&mut self.procs) {
            tracing::info!(session = %s, pid = p.pid, "agent stopped: the run ended");
            process::freeze(p.pid);
            cx.keep_work(&p.work, "kept when shiftboss stopped");
            pids.push(p.pid);
            grace = grace.max(p.grace);
        }
        process::stop_and_wait(&pids, grace);
        // Stops begun earlier in the run end too.
        process::settle();
    }
}
