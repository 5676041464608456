//! A checkout of its own for one run of a branch's gates: a linked worktree
//! `_gate-<task>` detached at exactly the branch's commit, made before the
//! gates start and removed when they end. The agent's own worktree moves on
//! to its next task meanwhile; nothing else writes here. No branch is left
//! behind and none is deleted but the pointer made to add the worktree.

use super::{Ctx, GitError, Repo, io_err};
use git2::{BranchType, Oid, Repository, WorktreeAddOptions, WorktreePruneOptions};
use std::path::{Path, PathBuf};

/// The worktree name of a task's gate checkout.
pub fn gate_checkout_name(task: &str) -> String {
    let safe: String = task
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("_gate-{safe}")
}

/// One gate checkout, removed by [`GateCheckout::remove`] (from any thread).
#[derive(Debug)]
pub struct GateCheckout {
    pub root: PathBuf,
    pub name: String,
    pub path: PathBuf,
}

impl GateCheckout {
    /// Remove the checkout's files and git's registration of it. Errors are
    /// returned as text: a leftover is removed by the next checkout of the
    /// same name.
    pub fn remove(self) -> Result<(), String> {
        let repo = Repository::open(&self.root).map_err(|e| e.message().to_string())?;
        remove_named(&repo, &self.root, &self.name, &self.path).map_err(|e| e.to_string())
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
    /// A gate checkout for `task` detached at `commit` (see the module docs).
    pub fn gate_checkout(&self, task: &str, commit: &str) -> Result<GateCheckout, GitError> {
        let name = gate_checkout_name(task);
        let path = self.worktrees_dir.join(&name);
        // A leftover of an earlier run (the process died mid-gate) goes first.
        remove_named(&self.main, &self.root, &name, &path)?;
        std::fs::create_dir_all(&self.worktrees_dir)
            .map_err(io_err(&self.worktrees_dir, "create the directory"))?;
        let oid = Oid::from_str(commit).ctx_with(&self.root, || format!("read commit {commit}"))?;
        let target = self
            .main
            .find_commit(oid)
            .ctx_with(&self.root, || format!("read commit {commit}"))?;
        // git2 adds a worktree on a branch only: a pointer branch at the
        // commit, detached from and deleted once the worktree exists. The
        // commit stays on the task's own branch.
        let pointer = format!("shiftboss-gate/{}", &name[1..]);
        let branch = self
            .main
            .branch(&pointer, &target, true)
            .ctx_with(&self.root, || format!("create branch `{pointer}`"))?;
        let added = (|| {
            let mut opts = WorktreeAddOptions::new();
            opts.reference(Some(branch.get()));
            self.main
                .worktree(&name, &path, Some(&opts))
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
            let _ = remove_named(&self.main, &self.root, &name, &path);
            return Err(e);
        }
        Ok(GateCheckout {
            root: self.root.clone(),
            name,
            path,
        })
    }
}
