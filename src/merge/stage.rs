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
/// from the index what is gone from the working tree as well.
pub(super) fn stage_all(repo: &Repository, path: &Path) -> Result<Oid, GitError> {
    let mut index = repo.index().ctx(path, "open the index")?;
    index.read(false).ctx(path, "read the index")?;
    index
        .add_all(std::iter::empty::<&str>(), IndexAddOption::DEFAULT, None)
        .ctx(path, "stage the changed files")?;
    index.write().ctx(path, "write the index")?;
    index.write_tree().ctx(path, "write the tree")
}

/// A path the caller named, checked to lie inside the worktree `path`.
fn inside<'p>(path: &Path, rel: &'p str) -> Result<&'p Path, GitError> {
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
fn look(path: &Path, rel: &Path) -> Result<Option<std::fs::Metadata>, GitError> {
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

/// As [`stage_paths`], when the caller alone changed the worktree since
/// shiftboss last wrote its index (the simulator), no content filter can
/// apply (`filters.rs`), and every path is a regular file or gone. The
/// index is read and written as a file of its own, so libgit2 does not
/// look again at the files it recorded in the same instant as its last
/// write (git's "racily clean" entries, hashed anew at every write): no
/// one else wrote them. Each blob is stored as the file's bytes. None when
/// a path is not a regular file: the caller stages through libgit2.
fn stage_own_paths(
    repo: &Repository,
    path: &Path,
    paths: &[String],
) -> Result<Option<Oid>, GitError> {
    let file = repo.path().join("index");
    let mut index = git2::Index::open(&file).ctx(path, "open the index")?;
    for rel in paths {
        let p = inside(path, rel)?;
        let Some(meta) = look(path, p)? else {
            index
                .remove_path(p)
                .ctx_with(path, || format!("stage the removal of `{rel}`"))?;
            continue;
        };
        if !meta.file_type().is_file() {
            return Ok(None);
        }
        let tracked = index.get_path(p, 0).is_some();
        if !tracked && repo.is_path_ignored(p).ctx(path, "read .gitignore")? {
            continue;
        }
        let bytes = std::fs::read(path.join(p)).map_err(io_err(&path.join(p), "read the file"))?;
        let id = repo
            .blob(&bytes)
            .ctx_with(path, || format!("store `{rel}`"))?;
        index
            .add(&entry_of(&meta, id, rel))
            .ctx_with(path, || format!("stage `{rel}`"))?;
    }
    let tree = index.write_tree_to(repo).ctx(path, "write the tree")?;
    index.write().ctx(path, "write the index")?;
    Ok(Some(tree))
}

/// The index's record of the regular file `rel` with metadata `meta`
/// stored as `id`, as git records it (times, device, inode, mode, size
/// truncated to 32 bits).
fn entry_of(meta: &std::fs::Metadata, id: Oid, rel: &str) -> git2::IndexEntry {
    use std::os::unix::fs::MetadataExt;
    let time = |secs: i64, nanos: i64| git2::IndexTime::new(secs as i32, nanos as u32);
    let mode = if meta.mode() & 0o111 != 0 {
        0o100755
    } else {
        0o100644
    };
    git2::IndexEntry {
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.len() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: rel.as_bytes().to_vec(),
    }
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
        match head_branch(&wt, &path)? {
            None => {
                return Err(GitError::DetachedHead { path: path.clone() });
            }
            Some(r) if r == self.target_ref => {
                return Err(GitError::TargetBranch {
                    repo: path.clone(),
                    branch: self.target.clone(),
                });
            }
            Some(_) => {}
        }
        let sig = signature(&path, name, email, at)?;
        let tree_id = match stage {
            Stage::All => stage_all(&wt, &path)?,
            Stage::Paths(paths) => {
                let attributes = paths
                    .iter()
                    .any(|p| p.rsplit('/').next() == Some(".gitattributes"));
                let own = if !attributes && self.plain_files(&wt, &path)? {
                    stage_own_paths(&wt, &path, paths)?
                } else {
                    None
                };
                match own {
                    Some(tree) => tree,
                    None => stage_paths(&wt, &path, paths)?,
                }
            }
        };
        Ok(commit_tree(&wt, &path, tree_id, message, &sig)?.map(|(id, n)| (id.to_string(), n)))
    }
}

impl Repo {
    /// Whether a file of the worktree `wt` is stored as its bytes with its
    /// own executable bit under its own name: no filter can apply and the
    /// config trusts the file system's modes, links and case.
    fn plain_files(&self, wt: &Repository, path: &Path) -> Result<bool, GitError> {
        let config = wt.config().ctx(path, "read the config")?;
        let setting = |key: &str, unset: bool| match config.get_bool(key) {
            Ok(on) => Some(on),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Some(unset),
            Err(_) => None,
        };
        let trusted = setting("core.filemode", true) == Some(true)
            && setting("core.symlinks", true) == Some(true)
            && setting("core.ignorecase", false) == Some(false);
        if !trusted {
            return Ok(false);
        }
        let Some(tree) = head_commit(wt, path)?.map(|c| c.tree_id()) else {
            return Ok(false);
        };
        Ok(!self.filters_may_apply(wt, &[tree]))
    }
}

#[cfg(test)]
#[path = "stage_tests.rs"]
mod tests;
