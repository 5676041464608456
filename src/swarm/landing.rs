//! The executor's side of the gates and the merge queue: gates on an
//! agent's branch (path rules, then commands) and landing a batch on the
//! target. With simulated agents both run inline at virtual times (a run is
//! a pure function of its seed); with real agents they run on their own
//! threads and report through the runner's channel, so thirty branches gate
//! at once and the console never waits on them.

use crate::domain::{GateFinding, MergeOutcome, TaskId};
use crate::engine::Input;
use crate::merge::ai::{AiCall, AiSettings, ConflictedFile};
use crate::merge::{self, LandEntry, LandOptions, Repo};
use std::path::PathBuf;
use std::time::Duration;

/// What the branch gates need, owned so it can go to a thread.
pub(super) struct BranchGates {
    pub task: TaskId,
    pub dir: PathBuf,
    pub checks: Vec<String>,
    pub timeout: Duration,
    /// Paths the branch changed against the target.
    pub changed: Vec<String>,
    pub scope: Vec<String>,
    pub protected: Vec<String>,
    /// `paths` findings: links out of the repository, `..` components.
    pub escapes: Vec<GateFinding>,
    /// Run the commands in a gate checkout of the pool at this commit
    /// (checked out on the gates' thread) rather than in `dir`: real agents
    /// go on to their next task in `dir` meanwhile.
    pub checkout: Option<(Repo, String, merge::GatePool)>,
}

impl BranchGates {
    /// The path rules first (cheap, and the agent must fix them anyway),
    /// then the commands.
    pub fn run(self) -> Input {
        redacted(self.check())
    }

    fn check(mut self) -> Input {
        if let Some(refused) = self.path_rules() {
            return refused;
        }
        let Some((repo, commit, pool)) = self.checkout.take() else {
            let dir = self.dir.clone();
            return self.commands(&dir);
        };
        let name = pool.take();
        let checked_out = repo.gate_checkout(&name, &commit);
        // Back to the pool when the gates end (a broken one is made anew).
        let input = match checked_out {
            Ok(path) => self.commands(&path),
            Err(e) => Input::GatesFinished {
                task: self.task,
                passed: false,
                gate: "worktree".into(),
                output: e.to_string(),
                findings: Vec::new(),
                changed: self.changed,
            },
        };
        pool.give(name);
        input
    }

    fn path_rules(&mut self) -> Option<Input> {
        let mut findings = std::mem::take(&mut self.escapes);
        findings.extend(merge::check_paths(
            &self.changed,
            &self.scope,
            &self.protected,
            true,
        ));
        if let Some(first) = findings.first() {
            let output = findings
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("\n");
            return Some(Input::GatesFinished {
                task: self.task.clone(),
                passed: false,
                gate: first.gate.clone(),
                output,
                findings,
                changed: std::mem::take(&mut self.changed),
            });
        }
        None
    }

    fn commands(self, dir: &std::path::Path) -> Input {
        let report = merge::run_gates(dir, &self.checks, self.timeout, &[]);
        let findings: Vec<GateFinding> = if report.passed {
            Vec::new()
        } else {
            let exit = report.results.last().and_then(|r| r.exit_code);
            vec![merge::command_finding(&report.gate, exit, &report.output)]
        };
        Input::GatesFinished {
            task: self.task,
            passed: report.passed,
            gate: report.gate,
            output: report.output,
            findings,
            changed: self.changed,
        }
    }
}

/// A batch to land, owned so it can go to a thread.
pub(super) struct Batch {
    pub entries: Vec<LandEntry>,
    pub checks: Vec<String>,
    pub append_only: Vec<String>,
    pub ai: Option<AiSettings>,
    /// One batch, or batches gated at once as a merge train.
    pub train: merge::Train,
    pub timeout: Duration,
    pub at: crate::domain::Millis,
    /// A team's integration branch, or the target (`None`).
    pub onto: Option<String>,
}

impl Batch {
    /// What landed, and the gate runs waited for one after another.
    pub fn run_timed(self, repo: &Repo) -> (Input, usize) {
        let (input, serial_runs) = self.land(repo);
        (redacted(input), serial_runs)
    }

    fn land(self, repo: &Repo) -> (Input, usize) {
        // The key is read from the environment now, never stored or logged.
        let key = self.ai.as_ref().and_then(AiSettings::key);
        let resolve = |f: &ConflictedFile, ctx: &str| -> AiCall {
            let ai = self.ai.as_ref().expect("only called with an ai tier");
            merge::ai::resolve_file(ai, key.as_deref(), f, ctx)
        };
        let opts = LandOptions {
            checks: &self.checks,
            timeout: self.timeout,
            env: &[],
            append_only: &self.append_only,
            ai: self.ai.as_ref().map(|_| &resolve as merge::AiResolve<'_>),
            at: self.at,
            onto: self.onto.as_deref(),
        };
        let landing = repo.land_train(&self.entries, &opts, self.train);
        let input = Input::Landed {
            runs: landing.runs,
            results: landing.results,
            error: landing.error,
            held: landing.held,
            ai_unreachable: landing.ai_unreachable,
            spent: landing.spent,
        };
        (input, landing.serial_runs)
    }
}

/// An agent's text on its way to the log: the paths it committed (their
/// names are its choice), what the `ai` tier answered and the lines at risk
/// it quoted, and error text, redacted like its output.
fn redacted(input: Input) -> Input {
    let r = |s: &mut String| {
        if let std::borrow::Cow::Owned(o) = crate::redact::redact(s) {
            *s = o;
        }
    };
    let finding = |f: &mut GateFinding| {
        for s in [&mut f.gate, &mut f.file, &mut f.expected, &mut f.found] {
            r(s);
        }
    };
    let mut input = input;
    match &mut input {
        Input::GatesFinished {
            gate,
            output,
            findings,
            changed,
            ..
        } => {
            r(gate);
            r(output);
            findings.iter_mut().for_each(finding);
            changed.iter_mut().for_each(r);
        }
        Input::Landed {
            runs,
            results,
            error,
            held,
            ai_unreachable,
            spent,
        } => {
            held.iter_mut().for_each(r);
            for (_, s) in spent {
                r(&mut s.model);
            }
            if let Some(endpoint) = ai_unreachable {
                r(endpoint);
            }
            for run in runs {
                r(&mut run.gate);
                r(&mut run.output);
            }
            for (_, outcome) in results {
                match outcome {
                    MergeOutcome::Merged { removals, .. } => {
                        for x in removals {
                            r(&mut x.file);
                            r(&mut x.line);
                            r(&mut x.why);
                        }
                    }
                    MergeOutcome::Unchanged { .. } => {}
                    MergeOutcome::Conflicted { files, why } => {
                        files.iter_mut().for_each(r);
                        r(why);
                    }
                    MergeOutcome::Refused {
                        files,
                        lines_at_risk,
                        ..
                    } => {
                        files.iter_mut().for_each(r);
                        for l in lines_at_risk {
                            r(&mut l.file);
                            r(&mut l.line);
                        }
                    }
                    MergeOutcome::Rejected {
                        gate,
                        output,
                        findings,
                    } => {
                        r(gate);
                        r(output);
                        findings.iter_mut().for_each(finding);
                    }
                }
            }
            if let Some(e) = error {
                r(e);
            }
        }
        _ => {}
    }
    input
}

/// A second handle on the repository for a thread (git2 handles are not shared).
pub(super) fn reopen(repo: &Repo) -> Result<Repo, merge::GitError> {
    Repo::open(repo.root(), repo.worktrees_dir(), repo.target())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LineAtRisk, Side};

    /// Token-shaped: redacted whatever the environment holds.
    const TOKEN: &str = "sk-ant-api03-Zq8VtL2mW9xR4kP7";

    #[test]
    fn committed_path_names_are_redacted_in_the_gates_report() {
        let path = format!("src/{TOKEN}.txt");
        let input = BranchGates {
            task: TaskId::new("t-1"),
            dir: PathBuf::from("/nonexistent"),
            checks: vec![],
            timeout: Duration::from_secs(1),
            changed: vec![path.clone(), "docs/x.md".into()],
            scope: vec!["docs/**".into()],
            protected: vec![],
            escapes: vec![],
            checkout: None,
        }
        .run();
        let text = format!("{input:?}");
        assert!(
            matches!(input, Input::GatesFinished { passed: false, .. }),
            "{text}"
        );
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("src/[redacted].txt"), "{text}");
    }

    #[test]
    fn what_the_ai_tier_said_and_the_lines_it_put_at_risk_are_redacted() {
        let landed = Input::Landed {
            runs: vec![crate::domain::BatchRun {
                at: 0,
                tasks: vec![TaskId::new("t-1")],
                base: String::new(),
                passed: false,
                gate: format!("echo {TOKEN}"),
                output: TOKEN.into(),
            }],
            results: vec![
                (
                    TaskId::new("t-1"),
                    MergeOutcome::Conflicted {
                        files: vec![format!("{TOKEN}.rs")],
                        why: format!("the model answered: key = {TOKEN}"),
                    },
                ),
                (
                    TaskId::new("t-2"),
                    MergeOutcome::Refused {
                        tier: crate::domain::ResolveTier::Ai,
                        files: vec!["a.rs".into()],
                        lines_at_risk: vec![LineAtRisk {
                            file: "a.rs".into(),
                            side: Side::Agent,
                            line: format!("const KEY: &str = \"{TOKEN}\";"),
                        }],
                    },
                ),
            ],
            error: Some(format!("ai: {TOKEN}")),
            held: Vec::new(),
            ai_unreachable: None,
            spent: Vec::new(),
        };
        let text = format!("{:?}", redacted(landed));
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}
