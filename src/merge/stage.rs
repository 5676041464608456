//! Staging and committing in a worktree, once per commit and only what
//! changed.
//!
//! [`Repo::commit_all`] stages whatever the working tree holds in one pass
//! over the index and the files (adds, modifications and deletions, as
//! `git add -A` does: files whose size and times match the index's record are
//! not read). [`Repo::commit_paths`] stages just the paths the caller names
//! (the simulator knows what it edited) without looking at any other file.

use super::worktree::{head_branch, head_commit};
use super::{Ctx, GitError, Repo, io_err, signature};
use crate::domain::Millis;
use git2::{Commit, IndexAddOption, Oid, Repository, Signature};
use std::path::{Component, Path};

/// Stage everything in the working tree (adds, modifications, deletions; ignored
/// files stay out), write the index, and return the staged tree's id.
///
/// One comparison of the index with the files: libgit2's `add_all` removes
/// from the index what is gone from the working tree as well. When that
/// staged nothing (the tree is the one the index held), the index file is
/// left as it is: it still holds that tree.
pub(super) fn stage_all(repo: &Repository, path: &Path) -> Result<Oid, GitError> {
    let mut index = repo.index().ctx(path, "open the index")?;
    index.read(false).ctx(path, "read the index")?;
    // (None with conflicts: they are staged below, and written.)
    let held = index.write_tree().ok();
    index
        .add_all(std::iter::empty::<&str>(), IndexAddOption::DEFAULT, None)
        .ctx(path, "stage the changed files")?;
    let tree = index.write_tree().ctx(path, "write the tree")?;
    if held != Some(tree) {
        index.write().ctx(path, "write the index")?;
    }
    Ok(tree)
}

/// A path the caller named, checked to lie inside the worktree `path`.
pub(super) fn inside<'p>(path: &Path, rel: &'p str) -> Result<&'p Path, GitError> {
    let p = Path::new(rel);
    let inside = !rel.is_empty()
        && p.components().all(|c| matches!(c, Component::Normal(_)))
        && !p.starts_with(".git");
    if !inside {
        return Err(GitError::InvalidPath {
            path: path.to_path_buf(),
            file: rel.to_string(),
        });
    }
    Ok(p)
}

/// What is at `rel` in the worktree `path`: None when nothing is.
pub(super) fn look(path: &Path, rel: &Path) -> Result<Option<std::fs::Metadata>, GitError> {
    match std::fs::symlink_metadata(path.join(rel)) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path.join(rel), "look at the file")(e)),
    }
}

/// Stage exactly `paths` (relative to the worktree `path`): a file that
/// exists is added, one that is gone is removed from the index. A path
/// the index does not track and `.gitignore` ignores stays out, as with
/// [`stage_all`]. Writes the index and returns the staged tree's id.
fn stage_paths(repo: &Repository, path: &Path, paths: &[String]) -> Result<Oid, GitError> {
    let mut index = repo.index().ctx(path, "open the index")?;
    index.read(false).ctx(path, "read the index")?;
    for rel in paths {
        let p = inside(path, rel)?;
        if look(path, p)?.is_some() {
            let tracked = index.get_path(p, 0).is_some();
            if !tracked && repo.is_path_ignored(p).ctx(path, "read .gitignore")? {
                continue;
            }
            index
                .add_path(p)
                .ctx_with(path, || format!("stage `{rel}`"))?;
        } else {
            index
                .remove_path(p)
                .ctx_with(path, || format!("stage the removal of `{rel}`"))?;
        }
    }
    index.write().ctx(path, "write the index")?;
    index.write_tree().ctx(path, "write the tree")
}

/// Commit the staged tree `tree_id` on HEAD (a branch or detached) unless it
/// equals HEAD's tree. Returns the commit and the number of files changed.
pub(super) fn commit_tree(
    repo: &Repository,
    path: &Path,
    tree_id: Oid,
    message: &str,
    sig: &Signature<'_>,
) -> Result<Option<(Oid, u32)>, GitError> {
    let parent = head_commit(repo, path)?;
    if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id).ctx(path, "read the staged tree")?;
    let parent_tree = match &parent {
        Some(p) => Some(p.tree().ctx(path, "read the HEAD tree")?),
        None => None,
    };
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
        .ctx(path, "diff the staged tree against HEAD")?;
    let changed = u32::try_from(diff.deltas().len()).unwrap_or(u32::MAX);
    if changed == 0 && parent.is_some() {
        return Ok(None);
    }
    let parents: Vec<&Commit<'_>> = parent.iter().collect();
    let id = repo
        .commit(Some("HEAD"), sig, sig, message, &tree, &parents)
        .ctx(path, "commit")?;
    Ok(Some((id, changed)))
}

/// What to stage before a commit.
enum Stage<'a> {
    All,
    Paths(&'a [String]),
}

impl Repo {
    /// Stage everything in the worktree at `worktree` (adds, modifications,
    /// deletions; ignored files stay out) and commit it on its HEAD branch with
    /// author and committer `name <email>` at `at` (UTC). Returns None when there
    /// was nothing to commit, else the commit id and the number of files changed.
    /// Refuses a detached HEAD and the target branch.
    pub fn commit_all(
        &self,
        worktree: &Path,
        message: &str,
        name: &str,
        email: &str,
        at: Millis,
    ) -> Result<Option<(String, u32)>, GitError> {
        self.commit_staged(worktree, Stage::All, message, name, email, at)
    }

    /// As [`Repo::commit_all`], but only `paths` (relative to the worktree)
    /// are staged: each as it now is, or its removal when it is gone. No
    /// other file of the worktree is looked at, so the caller must know that
    /// nothing else changed (the simulator, which made the edits itself).
    pub fn commit_paths(
        &self,
        worktree: &Path,
        paths: &[String],
        message: &str,
        name: &str,
        email: &str,
        at: Millis,
    ) -> Result<Option<(String, u32)>, GitError> {
        self.commit_staged(worktree, Stage::Paths(paths), message, name, email, at)
    }

    fn commit_staged(
        &self,
        worktree: &Path,
        stage: Stage<'_>,
        message: &str,
        name: &str,
        email: &str,
        at: Millis,
    ) -> Result<Option<(String, u32)>, GitError> {
        let path = std::path::absolute(worktree).map_err(io_err(worktree, "resolve the path"))?;
        let wt = self.wt(&path)?;
        let branch = match head_branch(&wt, &path)? {
            None => {
                return Err(GitError::DetachedHead { path: path.clone() });
            }
            Some(r) if r == self.target_ref => {
                return Err(GitError::TargetBranch {
                    repo: path.clone(),
                    branch: self.target.clone(),
                });
            }
            Some(r) => r,
        };
        let sig = signature(&path, name, email, at)?;
        let tree_id = match stage {
            Stage::All => stage_all(&wt, &path)?,
            Stage::Paths(paths) => {
                if let Some(plain) = self.plain_paths(&wt, &path, paths)? {
                    let done = self.commit_plain(&wt, &path, &branch, plain, message, &sig)?;
                    return Ok(done.map(|(id, n)| (id.to_string(), n)));
                }
                stage_paths(&wt, &path, paths)?
            }
        };
        Ok(commit_tree(&wt, &path, tree_id, message, &sig)?.map(|(id, n)| (id.to_string(), n)))
    }
}

#[cfg(test)]
#[path = "stage_tests.rs"]
mod tests;
