//! The merge queue's git work: what a branch changed, merging it into the
//! target in memory, and finding unmerged work.

use super::{BRANCH_PREFIX, Ctx, GitError, MERGE_EMAIL, MERGE_NAME, MergeResult, Repo, signature};
use crate::domain::Millis;
use git2::{BranchType, ErrorCode, MergeOptions, Oid};
use std::collections::BTreeSet;

impl Repo {
    fn existing_branch_oid(&self, branch: &str) -> Result<Oid, GitError> {
        self.branch_oid(branch)?
            .ok_or_else(|| GitError::NoSuchBranch {
                repo: self.root.clone(),
                branch: branch.to_string(),
            })
    }

    /// Files `branch` changed relative to its merge base with the target
    /// (added, modified, deleted; sorted). Empty when the branch is merged.
    pub fn changed_files(&self, branch: &str) -> Result<Vec<String>, GitError> {
        let tip = self.existing_branch_oid(branch)?;
        let target = self.target_oid()?;
        let base = match self.main.merge_base(target, tip) {
            Ok(base) => Some(base),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => {
                return Err(e)
                    .ctx_with(&self.root, || format!("find the merge base of `{branch}`"));
            }
        };
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

    /// Merge `branch` into the target in memory; no working tree or index on
    /// disk is touched (neither the operator's checkout nor any worktree).
    ///
    /// - the branch's tip is already in the target: `AlreadyMerged` with the target tip
    ///   (so a merge whose result was not recorded before a crash is found again);
    /// - conflicts: `Conflicted` with the sorted paths, the target unchanged;
    /// - otherwise a two-parent merge commit (target tip, branch tip) — even when a
    ///   fast-forward was possible — with `message`, author and committer
    ///   `shiftboss merge queue <merge@shiftboss.invalid>` at `at`; the target ref
    ///   moves to it with a compare-and-swap against the tip merged onto. If the
    ///   target moved meanwhile the result is [`GitError::TargetMoved`] and nothing
    ///   is overwritten.
    pub fn merge_into_target(
        &self,
        branch: &str,
        message: &str,
        at: Millis,
    ) -> Result<MergeResult, GitError> {
        let tip = self.existing_branch_oid(branch)?;
        let target = self.target_oid()?;
        if self.contained_in(tip, target)? {
            return Ok(MergeResult::AlreadyMerged {
                commit: target.to_string(),
            });
        }
        let repo = &self.main;
        let ours = repo
            .find_commit(target)
            .ctx(&self.root, "read the target tip")?;
        let theirs = repo
            .find_commit(tip)
            .ctx_with(&self.root, || format!("read the tip of `{branch}`"))?;
        let mut index = repo
            .merge_commits(&ours, &theirs, Some(&MergeOptions::new()))
            .ctx_with(&self.root, || {
                format!("merge `{branch}` into `{}`", self.target)
            })?;
        if index.has_conflicts() {
            let mut files = BTreeSet::new();
            let conflicts = index
                .conflicts()
                .ctx_with(&self.root, || format!("list conflicts of `{branch}`"))?;
            for conflict in conflicts {
                let conflict =
                    conflict.ctx_with(&self.root, || format!("read a conflict of `{branch}`"))?;
                for entry in [conflict.ancestor, conflict.our, conflict.their]
                    .into_iter()
                    .flatten()
                {
                    files.insert(String::from_utf8_lossy(&entry.path).into_owned());
                }
            }
            return Ok(MergeResult::Conflicted {
                files: files.into_iter().collect(),
            });
        }
        let tree_id = index.write_tree_to(repo).ctx_with(&self.root, || {
            format!("write the merged tree of `{branch}`")
        })?;
        let tree = repo
            .find_tree(tree_id)
            .ctx(&self.root, "read the merged tree")?;
        let sig = signature(&self.root, MERGE_NAME, MERGE_EMAIL, at)?;
        let commit = repo
            .commit(None, &sig, &sig, message, &tree, &[&ours, &theirs])
            .ctx_with(&self.root, || {
                format!("write the merge commit of `{branch}`")
            })?;
        let log = format!("shiftboss merge queue: merge {branch}");
        self.move_target(target, commit, &log)?;
        Ok(MergeResult::Merged {
            commit: commit.to_string(),
        })
    }

    /// Move the target ref from `expected` to `new` with a compare-and-swap:
    /// if the target is no longer at `expected`, nothing is written.
    pub(super) fn move_target(&self, expected: Oid, new: Oid, log: &str) -> Result<(), GitError> {
        match self
            .main
            .reference_matching(&self.target_ref, new, true, expected, log)
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Locked) => {
                let actual = self
                    .branch_oid(&self.target)?
                    .map(|o| o.to_string())
                    .unwrap_or_default();
                Err(GitError::TargetMoved {
                    repo: self.root.clone(),
                    branch: self.target.clone(),
                    expected: expected.to_string(),
                    actual,
                })
            }
            Err(e) => Err(e).ctx_with(&self.root, || format!("move `{}` to {new}", self.target)),
        }
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
}
