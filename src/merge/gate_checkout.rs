//! Checkouts of their own for the gates of a branch: linked worktrees
//! `_gate-<n>` detached at exactly the branch's commit. The agent's own
//! worktree moves on to its next task meanwhile; nothing else writes in a
//! gate checkout while its gates run. They are kept in a pool and reused
//! (a forced checkout of the next commit; untracked files removed, ignored
//! ones such as build caches kept, as in the queue's worktree), so gates do
//! not build from cold each time. No branch is left behind and none is
//! deleted but the pointer made to add a worktree.

use super::{Ctx, GitError, Repo, io_err};
use git2::build::CheckoutBuilder;
use git2::{BranchType, Oid, Repository, WorktreeAddOptions, WorktreePruneOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The names of the gate checkouts free for the next gate run; shared by
/// the gates' threads.
#[derive(Clone, Debug, Default)]
pub struct GatePool {
    inner: Arc<Mutex<(Vec<String>, usize)>>,
}

impl GatePool {
    /// A free checkout's name, or a new one.
    pub fn take(&self) -> String {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = g.0.pop() {
            return name;
        }
        g.1 += 1;
        format!("_gate-{}", g.1)
    }

    /// Done with `name`: the next gate run may use it.
    pub fn give(&self, name: String) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0.push(name);
    }
}

fn remove_named(repo: &Repository, root: &Path, name: &str, path: &Path) -> Result<(), GitError> {
    if let Ok(wt) = repo.find_worktree(name) {
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true).working_tree(true).locked(true);
        wt.prune(Some(&mut opts))
            .ctx_with(root, || format!("remove the gate checkout `{name}`"))?;
    }
    if path.exists() {
        std::fs::remove_dir_all(path).map_err(io_err(path, "remove the gate checkout"))?;
    }
    Ok(())
}

impl Repo {
    /// The gate checkout `name` detached at `commit` (see the module docs);
    /// made on first use, reused afterwards. Returns its path.
    pub fn gate_checkout(&self, name: &str, commit: &str) -> Result<PathBuf, GitError> {
        let path = self.worktrees_dir.join(name);
        let oid = Oid::from_str(commit).ctx_with(&self.root, || format!("read commit {commit}"))?;
        let ours = self
            .main
            .find_worktree(name)
            .is_ok_and(|w| w.validate().is_ok() && w.path() == path);
        if ours && let Ok(wt) = Repository::open(&path) {
            let target = wt
                .find_commit(oid)
                .ctx_with(&path, || format!("read commit {commit}"))?;
            let mut co = CheckoutBuilder::new();
            co.force().remove_untracked(true);
            let trees: Vec<Oid> = Repo::head_tree(&wt)
                .into_iter()
                .chain([target.tree_id()])
                .collect();
            co.disable_filters(!self.filters_may_apply(&wt, &trees));
            wt.checkout_tree(target.as_object(), Some(&mut co))
                .ctx_with(&path, || format!("check out {commit}"))?;
            wt.set_head_detached(oid)
                .ctx_with(&path, || format!("detach HEAD at {commit}"))?;
            return Ok(path);
        }
        // Anything else of that name (a leftover, a stale registration) goes first.
        remove_named(&self.main, &self.root, name, &path)?;
        std::fs::create_dir_all(&self.worktrees_dir)
            .map_err(io_err(&self.worktrees_dir, "create the directory"))?;
        let target = self
            .main
            .find_commit(oid)
            .ctx_with(&self.root, || format!("read commit {commit}"))?;
        // git2 adds a worktree on a branch only: a pointer branch at the
        // commit, detached from and deleted once the worktree exists. The
        // commit stays on the task's own branch.
        let pointer = format!("shiftboss-gate/{}", name.trim_start_matches('_'));
        let branch = self
            .main
            .branch(&pointer, &target, true)
            .ctx_with(&self.root, || format!("create branch `{pointer}`"))?;
        let added = (|| {
            let mut opts = WorktreeAddOptions::new();
            opts.reference(Some(branch.get()));
            self.main
                .worktree(name, &path, Some(&opts))
                .ctx_with(&self.root, || {
                    format!("add the gate checkout {}", path.display())
                })?;
            let wt = Repository::open(&path).ctx(&path, "open the gate checkout")?;
            wt.set_head_detached(oid)
                .ctx_with(&path, || format!("detach HEAD at {commit}"))
        })();
        if let Ok(mut b) = self.main.find_branch(&pointer, BranchType::Local) {
            let _ = b.delete();
        }
        if let Err(e) = added {
            let _ = remove_named(&self.main, &self.root, name, &path);
            return Err(e);
        }
        Ok(path)
    }
}
