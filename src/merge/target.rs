//! The target branch in git: what a branch changed against it, the
//! compare-and-swap that moves it, the branches not merged into it yet, and
//! (for tests) a branch merged straight into it without the queue.

#[cfg(test)]
use super::MergeResult;
use super::{BRANCH_PREFIX, Ctx, GitError, Repo};
#[cfg(test)]
use crate::domain::Millis;
use git2::{BranchType, Oid};
use std::collections::BTreeSet;

impl Repo {
    pub(super) fn existing_branch_oid(&self, branch: &str) -> Result<Oid, GitError> {
        self.branch_oid(branch)?
            .ok_or_else(|| GitError::NoSuchBranch {
                repo: self.root.clone(),
                branch: branch.to_string(),
            })
    }

    /// Files `branch` changed relative to its merge base with the target
    /// (added, modified, deleted; sorted). Empty when the branch is merged.
    pub fn changed_files(&self, branch: &str) -> Result<Vec<String>, GitError> {
        self.changed_files_against(branch, None)
    }

    /// Files `branch` changed relative to its merge base with `base` (a
    /// team's integration branch; none: the target).
    pub fn changed_files_against(
        &self,
        branch: &str,
        base: Option<&str>,
    ) -> Result<Vec<String>, GitError> {
        let (base, tip) = self.base_and_tip(branch, base)?;
        let repo = &self.main;
        let tree_of = |oid: Oid| {
            repo.find_commit(oid)
                .and_then(|c| c.tree())
                .ctx_with(&self.root, || format!("read the tree of {oid}"))
        };
        let base_tree = base.map(tree_of).transpose()?;
        let tip_tree = tree_of(tip)?;
        let diff = repo
            .diff_tree_to_tree(base_tree.as_ref(), Some(&tip_tree), None)
            .ctx_with(&self.root, || {
                format!("diff `{branch}` against its merge base")
            })?;
        let mut files = BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if file.id().is_zero() {
                    continue;
                }
                if let Some(p) = file.path() {
                    files.insert(p.to_string_lossy().into_owned());
                }
            }
        }
        Ok(files.into_iter().collect())
    }

    /// Merge `branch` straight into the target, ungated: the tiers of
    /// [`Repo::merge_onto`] without an append-only list or `ai`, then a
    /// compare-and-swap of the target. The queue lands through
    /// [`Repo::land`]; this is the tests' shortcut for putting work on the target.
    #[cfg(test)]
    pub fn merge_into_target(
        &self,
        branch: &str,
        message: &str,
        at: Millis,
    ) -> Result<MergeResult, GitError> {
        use super::resolve::Merged;
        use crate::domain::MergeOutcome;
        let tip = self.existing_branch_oid(branch)?;
        let target = self.target_oid()?;
        if self.contained_in(tip, target)? {
            return Ok(MergeResult::AlreadyMerged {
                commit: target.to_string(),
            });
        }
        let none = globset::GlobSet::empty();
        let mut ledger = super::AiLedger::default();
        match self.merge_onto(target, branch, message, at, &none, None, "", &mut ledger)? {
            Merged::Commit { commit, .. } => {
                let log = format!("shiftboss merge queue: merge {branch}");
                self.move_target(target, commit, &log)?;
                Ok(MergeResult::Merged {
                    commit: commit.to_string(),
                })
            }
            Merged::Failed(
                MergeOutcome::Conflicted { files, .. } | MergeOutcome::Refused { files, .. },
            ) => Ok(MergeResult::Conflicted { files }),
            Merged::Failed(MergeOutcome::Unchanged { commit }) => {
                Ok(MergeResult::AlreadyMerged { commit })
            }
            Merged::Failed(other) => unreachable!("no gates run here: {other:?}"),
        }
    }

    /// Move the target ref from `expected` to `new` with a compare-and-swap:
    /// if the target is no longer at `expected`, nothing is written.
    pub(super) fn move_target(&self, expected: Oid, new: Oid, log: &str) -> Result<(), GitError> {
        self.move_branch(&self.target, expected, new, log)
    }

    /// Branches under `refs/heads/shiftboss/` whose tip is not contained in the
    /// target (unmerged work), with their tips, sorted by name.
    pub fn unmerged_branches(&self) -> Result<Vec<(String, String)>, GitError> {
        let target = self.target_oid()?;
        let branches = self
            .main
            .branches(Some(BranchType::Local))
            .ctx(&self.root, "list branches")?;
        let mut out = Vec::new();
        for item in branches {
            let (branch, _) = item.ctx(&self.root, "list branches")?;
            let Ok(Some(name)) = branch.name() else {
                continue;
            };
            if !name.starts_with(BRANCH_PREFIX) {
                continue;
            }
            let Some(tip) = branch.get().resolve().ok().and_then(|r| r.target()) else {
                continue;
            };
            if !self.contained_in(tip, target)? {
                out.push((name.to_string(), tip.to_string()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Commits made on `branches` (the tasks' branches): reachable from them
    /// but not from the target's first-parent line (where each branch
    /// started and where the queue's merges are), each counted once, merges
    /// left out. Missing branches count nothing.
    pub fn branch_commits(&self, branches: &[String]) -> Result<u64, GitError> {
        let mut line = std::collections::HashSet::new();
        let mut at = Some(self.target_oid()?);
        while let Some(oid) = at {
            line.insert(oid);
            let c = self
                .main
                .find_commit(oid)
                .ctx(&self.root, "walk the target")?;
            at = c.parent_ids().next();
        }
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<Oid> = Vec::new();
        for b in branches {
            if let Some(tip) = self.branch_oid(b)? {
                stack.push(tip);
            }
        }
        let mut n = 0;
        while let Some(oid) = stack.pop() {
            if line.contains(&oid) || !seen.insert(oid) {
                continue;
            }
            let c = self
                .main
                .find_commit(oid)
                .ctx(&self.root, "walk a branch")?;
            if c.parent_count() <= 1 {
                n += 1;
            }
            stack.extend(c.parent_ids());
        }
        Ok(n)
    }
}
