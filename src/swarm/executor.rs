//! The executor: performs the engine's effects (worktrees, simulated agent
//! sessions, gates, merges) and answers with inputs, now or later on the
//! timeline.

use super::timeline::{Timeline, Wake};
use crate::domain::{AgentId, MergeOutcome, Millis, SECOND, SessionId, SwarmState, TaskId};
use crate::engine::{Effect, Input};
use crate::merge::{self, MergeResult, Repo};
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

pub struct Executor {
    repo: Repo,
    sim: SimSettings,
    seed: u64,
    gate_timeout: Duration,
    sessions: BTreeMap<SessionId, SimSession>,
    /// Commits made by simulated agents (for the summary).
    pub commits: u64,
    /// Effects that failed in a way the engine was told about.
    pub errors: Vec<String>,
}

impl Executor {
    pub fn new(repo: Repo, sim: SimSettings, seed: u64, gate_timeout: Duration) -> Executor {
        Executor {
            repo,
            sim,
            seed,
            gate_timeout,
            sessions: BTreeMap::new(),
            commits: 0,
            errors: Vec::new(),
        }
    }

    pub fn live_sessions(&self) -> Vec<SessionId> {
        self.sessions.keys().cloned().collect()
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
            } => {
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
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.frozen = true;
                    s.generation += 1;
                }
            }
            Effect::Thaw { session } => {
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.frozen = false;
                }
                self.schedule_next(now, &session, timeline);
            }
            Effect::Decide { session, approved } => {
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
            } => {
                let input = match self.repo.prepare_worktree_at(&agent, &branch, None, now) {
                    Ok(dir) => {
                        let report = merge::run_gates(&dir, &checks, self.gate_timeout, &[]);
                        Input::GatesFinished {
                            task,
                            passed: report.passed,
                            gate: report.gate,
                            output: report.output,
                        }
                    }
                    Err(e) => Input::GatesFinished {
                        task,
                        passed: false,
                        gate: "worktree".into(),
                        output: e.to_string(),
                    },
                };
                timeline.push(now + self.sim.gate_time, Wake::Input(input));
            }
            Effect::Merge {
                task,
                branch,
                message,
            } => {
                let result = match self.repo.merge_into_target(&branch, &message, now) {
                    Ok(MergeResult::Merged { commit })
                    | Ok(MergeResult::AlreadyMerged { commit }) => Ok(MergeOutcome::Merged {
                        commit,
                        tier: "clean".into(),
                    }),
                    Ok(MergeResult::Conflicted { files }) => Ok(MergeOutcome::Conflicted { files }),
                    Err(e) => Err(e.to_string()),
                };
                timeline.push(
                    now + 5 * SECOND,
                    Wake::Input(Input::MergeFinished { task, result }),
                );
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
                if ok {
                    match self
                        .repo
                        .commit_all(&s.worktree, &msg, s.agent.as_str(), &email, now)
                    {
                        Ok(Some((commit, files))) => {
                            self.commits += 1;
                            inputs.push_back(Input::AgentSignal {
                                session: id.clone(),
                                signal: Signal::Commit { commit, files },
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
