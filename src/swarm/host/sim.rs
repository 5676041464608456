//! The simulated host: each session plays a plan from `runtime::sim` on the
//! timeline (lines, real edits and commits in its worktree, an exit).

use super::{Ctx, Host, Refused, Start, Working};
use crate::domain::protocol::Signal;
use crate::domain::sim_plan::{Action, Edit, Plan, SimSettings};
use crate::domain::{AgentId, SECOND, SessionId};
use crate::engine::Input;
use crate::runtime::sim;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::Path;

/// A simulated agent's session: its script and where it stands in it.
struct SimSession {
    work: Working,
    plan: Plan,
    generation: u64,
    frozen: bool,
    waiting: bool,
}

pub(in crate::swarm) struct SimHost {
    settings: SimSettings,
    seed: u64,
    sessions: BTreeMap<SessionId, SimSession>,
    /// Agents whose worktree holds only commits: shiftboss looked through
    /// it since anything but the simulator (an earlier run, gate commands)
    /// ran there, and every edit made there since was committed.
    settled: HashSet<AgentId>,
}

impl SimHost {
    pub fn new(settings: SimSettings, seed: u64) -> SimHost {
        SimHost {
            settings,
            seed,
            sessions: BTreeMap::new(),
            settled: HashSet::new(),
        }
    }

    fn schedule_next(&mut self, cx: &mut Ctx<'_>, id: &SessionId) {
        let Some(s) = self.sessions.get_mut(id) else {
            return;
        };
        if s.frozen || s.waiting {
            return;
        }
        s.generation += 1;
        if let Some((delay, _)) = s.plan.steps.front() {
            cx.timeline.push(
                cx.now + delay,
                super::super::timeline::Wake::Session {
                    session: id.clone(),
                    generation: s.generation,
                },
            );
        }
    }
}

/// A simulated agent edits its files and commits them on its branch.
/// False when an edit or the commit failed: the worktree may then hold
/// changes no commit has.
fn commit(cx: &mut Ctx<'_>, work: &Working, edits: &[Edit], message: &str) -> bool {
    let mut ok = true;
    for e in edits {
        if let Err(err) = apply_edit(&work.worktree, e) {
            cx.failed("edit", work, format!("{}: {err}", e.path()));
            ok = false;
        }
    }
    if !ok {
        return false;
    }
    let (id, agent) = (&work.session, &work.agent);
    let email = format!("{agent}@shiftboss.invalid");
    let msg = format!(
        "{message}\n\nShiftboss-Task: {}\nShiftboss-Agent: {agent}\nShiftboss-Session: {id}\n",
        work.task
    );
    let mut paths: Vec<String> = edits.iter().map(|e| e.path().to_string()).collect();
    paths.sort();
    paths.dedup();
    // The simulator made these edits and nothing else: only they are staged.
    match cx
        .repo
        .commit_paths(&work.worktree, &paths, &msg, agent.as_str(), &email, cx.now)
    {
        Ok(Some((commit, files))) => {
            *cx.commits += 1;
            cx.inputs.push_back(Input::AgentSignal {
                session: id.clone(),
                signal: Signal::Commit {
                    commit,
                    files,
                    paths,
                },
            });
        }
        Ok(None) => {}
        Err(e) => {
            cx.failed("commit", work, e);
            return false;
        }
    }
    true
}

impl Host for SimHost {
    fn sessions(&self) -> Vec<SessionId> {
        self.sessions.keys().cloned().collect()
    }

    fn runs(&self, session: &SessionId) -> bool {
        self.sessions.contains_key(session)
    }

    fn start(&mut self, cx: &mut Ctx<'_>, start: Start<'_>) -> Result<(), Refused> {
        let Start {
            work,
            model,
            attempt,
            task,
            ..
        } = start;
        let plan = sim::plan(
            &self.settings,
            self.seed,
            &task.spec,
            &work.agent,
            model,
            attempt,
        );
        let session = work.session.clone();
        self.sessions.insert(
            session.clone(),
            SimSession {
                work,
                plan,
                generation: 0,
                frozen: false,
                waiting: false,
            },
        );
        // Nothing can fail from here: the session has started.
        cx.inputs.push_back(Input::Started {
            session: session.clone(),
        });
        self.schedule_next(cx, &session);
        Ok(())
    }

    fn stop(&mut self, cx: &mut Ctx<'_>, session: &SessionId, reason: &str) {
        // A worktree that holds only commits has no work to keep.
        if let Some(s) = self.sessions.remove(session)
            && !self.settled.contains(&s.work.agent)
            && cx.keep_work(&s.work, &format!("stopped by shiftboss ({reason})"))
        {
            self.settled.insert(s.work.agent);
        }
    }

    fn may_leave_uncommitted(&self, agent: &AgentId) -> bool {
        !self.settled.contains(agent)
    }

    fn looked_through(&mut self, agent: &AgentId) {
        self.settled.insert(agent.clone());
    }

    fn touched(&mut self, agent: &AgentId) {
        self.settled.remove(agent);
    }

    fn freeze(&mut self, session: &SessionId) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.frozen = true;
            s.generation += 1;
        }
    }

    fn thaw(&mut self, cx: &mut Ctx<'_>, session: &SessionId) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.frozen = false;
        }
        self.schedule_next(cx, session);
    }

    /// Run a session's next action, if `generation` is still its own.
    fn wake(&mut self, cx: &mut Ctx<'_>, id: &SessionId, generation: u64) {
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
            Action::Line(line) => cx.inputs.push_back(Input::AgentLine {
                session: id.clone(),
                line,
            }),
            Action::Commit { edits, message } => {
                if !commit(cx, &s.work, &edits, &message) {
                    self.settled.remove(&s.work.agent);
                }
            }
            Action::AwaitDecision => {
                s.waiting = true;
                return;
            }
            Action::Repeat { line, every } => {
                cx.inputs.push_back(Input::AgentLine {
                    session: id.clone(),
                    line: line.clone(),
                });
                s.plan
                    .steps
                    .push_front((every, Action::Repeat { line, every }));
            }
            Action::Exit(code) => {
                self.sessions.remove(id);
                cx.inputs.push_back(Input::AgentExited {
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
            self.schedule_next(cx, id);
        }
    }

    fn decide(&mut self, cx: &mut Ctx<'_>, session: &SessionId, approved: bool) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.waiting = false;
            let line = if approved {
                "operator approved; going ahead"
            } else {
                "operator declined; leaving that step out"
            };
            s.plan.steps.push_front((SECOND, Action::Line(line.into())));
        }
        self.schedule_next(cx, session);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskId;
    use crate::swarm::timeline::Timeline;
    use std::collections::VecDeque;

    /// A session of `agent` whose plan is one commit of `edits`, woken once.
    fn commit_once(host: &mut SimHost, repo: &crate::merge::Repo, n: usize, edits: Vec<Edit>) {
        let agent = AgentId::builder(n);
        let branch = format!("shiftboss/{agent}/t-{n}");
        let worktree = repo.prepare_worktree_at(&agent, &branch, None, 0).unwrap();
        let session = SessionId::new(format!("s-{n}"));
        let mut plan = Plan::default();
        let message = "edit".to_string();
        plan.steps
            .push_back((SECOND, Action::Commit { edits, message }));
        let work = Working {
            session: session.clone(),
            agent,
            task: TaskId::new(format!("t-{n}")),
            worktree,
        };
        let s = SimSession {
            work,
            plan,
            generation: 1,
            frozen: false,
            waiting: false,
        };
        host.sessions.insert(session.clone(), s);
        let (mut timeline, mut inputs, mut commits) = (Timeline::default(), VecDeque::new(), 0);
        let mut cx = Ctx {
            now: SECOND,
            repo,
            timeline: &mut timeline,
            inputs: &mut inputs,
            commits: &mut commits,
        };
        host.wake(&mut cx, &session, 1);
    }

    #[test]
    fn a_worktree_where_an_edit_failed_or_gates_ran_may_hold_uncommitted_work() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        crate::merge::init_demo_repo(&root, "main", &[("README.md", "hi\n")], 0).unwrap();
        let repo =
            crate::merge::Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
        let mut host = SimHost::new(SimSettings::default(), 1);
        for n in 1..=2 {
            host.looked_through(&AgentId::builder(n));
        }
        let append = |path: &str| Edit::Append {
            path: path.into(),
            text: "x\n".into(),
        };
        commit_once(&mut host, &repo, 1, vec![append("src/a.rs")]);
        // The second edit cannot be made (a file stands where its folder
        // would be), after the first was.
        commit_once(
            &mut host,
            &repo,
            2,
            vec![append("src/b.rs"), append("README.md/c.rs")],
        );
        assert!(!host.may_leave_uncommitted(&AgentId::builder(1)));
        assert!(host.may_leave_uncommitted(&AgentId::builder(2)));
        // Never looked through: anything may be there.
        assert!(host.may_leave_uncommitted(&AgentId::builder(3)));
        // Its gates ran there.
        host.touched(&AgentId::builder(1));
        assert!(host.may_leave_uncommitted(&AgentId::builder(1)));
    }
}
