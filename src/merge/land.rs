//! Landing queue entries on the target (or a team's integration branch,
//! `onto.rs`), bors-style: the entries of a batch are merged one after
//! another onto its tip in memory, the merged result is gated in
//! shiftboss's own queue worktree, and only a result that passed moves the
//! ref (compare-and-swap). A failing batch is split
//! in halves until the culprits are found; the rest still lands. An
//! operator's checkout on the target follows each landing, or holds it while
//! it has changes (`checkout.rs`).

use super::escape::PATHS_GATE;
use super::gate::GateReport;
use super::paths::command_finding;
use super::resolve::{AiLedger, AiResolve, Merged};
use super::{Ctx, GitError, Repo, run_gates};
use crate::domain::{
    AgentId, BatchRun, GateFinding, MergeOutcome, Millis, ModelSpend, Removal, TaskId,
    shared_glob_set,
};
use git2::Oid;
use git2::build::CheckoutBuilder;
use globset::GlobSet;
use std::path::PathBuf;
use std::time::Duration;

/// The queue worktree's name under the worktrees folder, and its branch.
pub const QUEUE_WORKTREE: &str = "_queue";
pub const QUEUE_BRANCH: &str = "shiftboss-queue";

/// One queue entry: a task's branch and the merge commit's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LandEntry {
    pub task: TaskId,
    pub branch: String,
    pub message: String,
    /// The task's title and spec, for the `ai` tier.
    pub context: String,
    /// A branch fast-forwarded to this entry's merge once it landed (a
    /// team's integration branch, after the team's integration landed on
    /// the target), when that branch's tip is in the merge.
    pub advance: Option<String>,
}

/// How a batch lands.
pub struct LandOptions<'a> {
    /// Gate commands run on the merged result (none: nothing to run).
    pub checks: &'a [String],
    pub timeout: Duration,
    /// Extra environment for the gates.
    pub env: &'a [(String, String)],
    /// Globs of append-only files (union merge).
    pub append_only: &'a [String],
    pub ai: Option<AiResolve<'a>>,
    /// The merge commits' time.
    pub at: Millis,
    /// Where the batch lands: a team's integration branch (made from the
    /// target's tip if missing), or the target (`None`). The operator's
    /// checkout follows only the target.
    pub onto: Option<&'a str>,
}

/// What became of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Landing {
    /// Every entry's outcome, in the order they were decided.
    pub results: Vec<(TaskId, MergeOutcome)>,
    /// Every gate run on a merged result (`at`: the landing's time).
    pub runs: Vec<BatchRun>,
    /// Something went wrong with the repository; entries without a result
    /// were not merged.
    pub error: Option<String>,
    /// The operator's checkout is on the target with changes to these files:
    /// entries without a result were held (not merged, still queued).
    pub held: Vec<String>,
    /// What the `ai` tier's calls cost, by the entry they were made for.
    pub spent: Vec<(TaskId, ModelSpend)>,
    /// The `ai` tier's endpoint, when it could not be reached.
    pub ai_unreachable: Option<String>,
    /// Gate runs waited for one after another (runs gated at once, as a
    /// merge train's cars are, count once): the landing's length in gate runs.
    pub serial_runs: usize,
}

impl Repo {
    /// The queue worktree (created on first use) with `commit` checked out
    /// (detached HEAD, forced; untracked files left by earlier gate runs are
    /// removed, ignored ones such as build caches kept).
    pub fn queue_worktree(&self, commit: Oid, at: Millis) -> Result<PathBuf, GitError> {
        self.queue_worktree_in(0, commit, at)
    }

    /// The queue worktree of slot `slot` with `commit` checked out, as
    /// [`Repo::queue_worktree`]: slot 0 is `_queue`, the others (a merge
    /// train's cars gated at once) `_queue-2`, `_queue-3`, … on branches
    /// `shiftboss-queue-2`, …; each is made once and kept.
    pub fn queue_worktree_in(
        &self,
        slot: usize,
        commit: Oid,
        at: Millis,
    ) -> Result<PathBuf, GitError> {
        let (name, branch) = match slot {
            0 => (QUEUE_WORKTREE.to_string(), QUEUE_BRANCH.to_string()),
            n => (
                format!("{QUEUE_WORKTREE}-{}", n + 1),
                format!("{QUEUE_BRANCH}-{}", n + 1),
            ),
        };
        let agent = AgentId::from(name.as_str());
        let path = self.worktree_path(&agent);
        // Known from the map of worktrees and still there: not looked up again.
        let valid =
            self.known_worktree(&name).is_some_and(|h| h.ours) && path.join(".git").is_file();
        if !valid {
            self.prepare_worktree_at(&agent, &branch, None, at)?;
        }
        let wt = self.wt(&path)?;
        let target = wt
            .find_commit(commit)
            .ctx_with(&path, || format!("read the candidate {commit}"))?;
        let mut checkout = CheckoutBuilder::new();
        checkout.force().remove_untracked(true);
        let trees: Vec<Oid> = Repo::head_tree(&wt)
            .into_iter()
            .chain([target.tree_id()])
            .collect();
        checkout.disable_filters(!self.filters_may_apply(&wt, &trees));
        wt.checkout_tree(target.as_object(), Some(&mut checkout))
            .ctx_with(&path, || format!("check out the candidate {commit}"))?;
        wt.set_head_detached(commit)
            .ctx_with(&path, || format!("detach HEAD at {commit}"))?;
        self.note_head(&name, &path, None);
        Ok(path)
    }

    /// Land `entries` (in queue order) on the target, or on `opts.onto`.
    /// See the module docs.
    pub fn land(&self, entries: &[LandEntry], opts: &LandOptions<'_>) -> Landing {
        let mut out = Landing::default();
        if self.landings_held(opts.onto, &mut out) {
            return out;
        }
        let append_only = shared_glob_set(opts.append_only);
        let all: Vec<&LandEntry> = entries.iter().collect();
        if let Err(e) = self.land_group(&all, opts, &append_only, &mut out) {
            out.error = Some(e.to_string());
        }
        out.serial_runs = out.runs.len();
        out
    }

    /// Nothing is merged or gated while the operator's checkout holds
    /// landings on the target (`held`: the files in the way), or has the
    /// team branch `onto` checked out (`held`: that branch), or cannot be
    /// read (an error): said in `out`, true.
    pub(super) fn landings_held(&self, onto: Option<&str>, out: &mut Landing) -> bool {
        let holds = match onto {
            Some(b) if b != self.target => match self.refuse_checked_out(b) {
                Err(GitError::CheckedOutElsewhere { .. }) => Ok(vec![b.to_string()]),
                other => other.map(|_| Vec::new()),
            },
            _ => self.checkout_holds(),
        };
        match holds {
            Ok(files) if !files.is_empty() => out.held = files,
            Ok(_) => return false,
            Err(e) => out.error = Some(e.to_string()),
        }
        true
    }

    fn land_group(
        &self,
        entries: &[&LandEntry],
        opts: &LandOptions<'_>,
        append_only: &GlobSet,
        out: &mut Landing,
    ) -> Result<(), GitError> {
        if !out.held.is_empty() {
            return Ok(());
        }
        let base = self.dest_oid(opts.onto)?;
        // The merges are made in memory and stored on disk (loose) before the
        // gate checks the candidate out or the target moves to it.
        let (candidate, included) =
            self.objects_in_memory(|| self.candidate(base, entries, opts, append_only, out))?;
        if included.is_empty() {
            return Ok(());
        }
        let report = if opts.checks.is_empty() || candidate == base {
            None
        } else {
            let dir = self.queue_worktree(candidate, opts.at)?;
            Some(run_gates(&dir, opts.checks, opts.timeout, opts.env))
        };
        if let Some(r) = &report {
            out.runs.push(BatchRun {
                at: opts.at,
                tasks: included.iter().map(|(e, _, _, _)| e.task.clone()).collect(),
                base: base.to_string(),
                passed: r.passed,
                gate: r.gate.clone(),
                output: r.output.clone(),
            });
        }
        match report {
            Some(r) if !r.passed => self.failed_batch(&r, &included, opts, append_only, out),
            _ => self.land_passed(base, candidate, included, opts.onto, out),
        }
    }

    /// Each entry merged onto the target's tip in turn (the candidate); what
    /// could not be is in `out` already. The candidate and what it holds.
    pub(super) fn candidate<'e>(
        &self,
        base: Oid,
        entries: &[&'e LandEntry],
        opts: &LandOptions<'_>,
        append_only: &GlobSet,
        out: &mut Landing,
    ) -> Result<(Oid, Vec<Included<'e>>), GitError> {
        let mut candidate = base;
        let mut included: Vec<Included<'e>> = Vec::new();
        for e in entries {
            let mut ledger = AiLedger::default();
            let merged = self.merge_onto(
                candidate,
                &e.branch,
                &e.message,
                opts.at,
                append_only,
                opts.ai,
                &e.context,
                &mut ledger,
            )?;
            let spent = ledger.spent.into_iter().map(|s| (e.task.clone(), s));
            out.spent.extend(spent);
            if out.ai_unreachable.is_none() {
                out.ai_unreachable = ledger.unreachable;
            }
            match merged {
                Merged::Commit {
                    commit,
                    tier,
                    removals,
                } => {
                    // The last check before the target moves: a merge may
                    // bring a link out of the repository the branch gate
                    // never saw (it arrived through the target's side).
                    let escapes = self.escapes_between(Some(candidate), commit)?;
                    if !escapes.is_empty() {
                        out.results.push((e.task.clone(), paths_rejection(escapes)));
                        continue;
                    }
                    candidate = commit;
                    included.push((e, commit, tier.as_str().to_string(), removals));
                }
                Merged::Failed(outcome) => out.results.push((e.task.clone(), outcome)),
            }
        }
        Ok((candidate, included))
    }

    /// The merged result failed its gate: one entry is sent back with what
    /// the gate found; more are bisected, each half on the target as it
    /// then is.
    pub(super) fn failed_batch(
        &self,
        r: &GateReport,
        included: &[Included<'_>],
        opts: &LandOptions<'_>,
        append_only: &GlobSet,
        out: &mut Landing,
    ) -> Result<(), GitError> {
        if let [(e, _, _, _)] = included {
            let exit = r.results.last().and_then(|x| x.exit_code);
            let finding = command_finding(&r.gate, exit, &r.output);
            out.results.push((
                e.task.clone(),
                MergeOutcome::Rejected {
                    gate: r.gate.clone(),
                    output: r.output.clone(),
                    findings: vec![finding],
                },
            ));
            return Ok(());
        }
        let (a, b) = included.split_at(included.len() / 2);
        let a: Vec<&LandEntry> = a.iter().map(|(e, _, _, _)| *e).collect();
        let b: Vec<&LandEntry> = b.iter().map(|(e, _, _, _)| *e).collect();
        self.land_group(&a, opts, append_only, out)?;
        self.land_group(&b, opts, append_only, out)
    }

    /// The candidate passed: the target (or `onto`) moves to it
    /// (compare-and-swap), and every entry it holds is merged — unless the
    /// operator's checkout holds the landing on the target.
    pub(super) fn land_passed(
        &self,
        base: Oid,
        candidate: Oid,
        included: Vec<Included<'_>>,
        onto: Option<&str>,
        out: &mut Landing,
    ) -> Result<(), GitError> {
        if candidate != base {
            let log = format!(
                "shiftboss merge queue: land {}",
                included
                    .iter()
                    .map(|(e, _, _, _)| e.task.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            match onto {
                Some(b) if b != self.target => self.move_branch(b, base, candidate, &log)?,
                _ => {
                    let held = self.land_target(base, candidate, &log)?;
                    if !held.is_empty() {
                        out.held = held;
                        return Ok(());
                    }
                }
            }
        }
        // A branch an entry advances follows the gated tip (the entry's own
        // merge commit is inside it), never a tree no gate saw.
        for (e, _, _, _) in &included {
            self.advance(e, candidate);
        }
        for (e, commit, tier, removals) in included {
            out.results.push((
                e.task.clone(),
                MergeOutcome::Merged {
                    commit: commit.to_string(),
                    tier,
                    removals,
                },
            ));
        }
        Ok(())
    }
}

impl Repo {
    /// The branch an entry advances follows its merge, when it can (the
    /// entry merged whatever becomes of this).
    fn advance(&self, e: &LandEntry, commit: Oid) {
        let Some(branch) = &e.advance else { return };
        let log = format!("shiftboss merge queue: {} landed", e.task);
        match self.fast_forward(branch, commit, &log) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(%branch, task = %e.task, "not fast-forwarded: it went its own way")
            }
            Err(e) => tracing::warn!(%branch, error = %e, "not fast-forwarded"),
        }
    }
}

/// An entry merged onto the candidate: its commit there, tier and removals.
pub(super) type Included<'e> = (&'e LandEntry, Oid, String, Vec<Removal>);

/// An entry refused by the `paths` gate: the findings, one per line.
fn paths_rejection(findings: Vec<GateFinding>) -> MergeOutcome {
    MergeOutcome::Rejected {
        gate: PATHS_GATE.into(),
        output: findings
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        findings,
    }
}
