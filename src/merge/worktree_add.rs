//! An agent's worktree added by writing git's records directly.
//!
//! libgit2's `git_worktree_add` first asks whether the branch is checked out
//! anywhere, which opens every other worktree's repository: at 300 agents
//! that is most of what adding one costs. [`Repo::release_branch`] has
//! already made sure no worktree holds the branch, from the map of worktrees
//! (`worktree_map.rs`) and what it reads of those it cannot vouch for, so the
//! records are written here the way `git worktree add` writes them, and the
//! files are checked out through the worktree's cached repository handle
//! (which libgit2 would open once more and throw away).
//!
//! The order is libgit2's: git's record folder, the worktree's folder, its
//! `.git` file, then `commondir`, `gitdir` and `HEAD`. A kill part-way leaves
//! a record that does not validate, or a folder no record names; both are
//! found by `existing_worktree` on the next use and moved aside, never lost.
//! A record cut short before its `HEAD` (which git does not list) holds only
//! these small files and is written anew.

use super::worktree::Repo;
use super::{Ctx, GitError, io_err};
use git2::build::CheckoutBuilder;
use std::path::Path;

/// Write `contents` to `dir/name`, created new.
fn write_new(dir: &Path, name: &str, contents: &[u8]) -> Result<(), GitError> {
    use std::io::Write as _;
    let path = dir.join(name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err(&path, "create the file"))?;
    file.write_all(contents)
        .map_err(io_err(&path, "write the file"))
}

/// `prefix`, the path's bytes as they are (git reads a path in its records
/// as bytes, so one that is not UTF-8 is written unchanged), and a newline.
fn line_with_path(prefix: &str, path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt as _;
    let mut line = prefix.as_bytes().to_vec();
    line.extend_from_slice(path.as_os_str().as_bytes());
    line.push(b'\n');
    line
}

impl Repo {
    /// Add the worktree `name` at `path` (which must not exist) with the
    /// branch `refname` checked out, every file of its tip written. No other
    /// worktree may hold `refname`: the caller has made sure of that.
    pub(super) fn add_worktree(
        &self,
        name: &str,
        path: &Path,
        refname: &str,
    ) -> Result<(), GitError> {
        let records = self.main.commondir().join("worktrees");
        std::fs::create_dir_all(&records).map_err(io_err(&records, "create the directory"))?;
        let admin = records.join(name);
        if admin.is_dir() && !admin.join("HEAD").exists() {
            // Left by an adding cut short before HEAD was written: git does
            // not list it, and it holds nothing but the records written so far.
            tracing::warn!(record = %admin.display(), "a half-written worktree record removed");
            std::fs::remove_dir_all(&admin)
                .map_err(io_err(&admin, "remove the half-written record"))?;
        }
        std::fs::create_dir(&admin).map_err(io_err(&admin, "create the worktree's record"))?;
        std::fs::create_dir(path).map_err(io_err(path, "create the worktree"))?;
        let admin = admin
            .canonicalize()
            .map_err(io_err(&admin, "resolve the path"))?;
        let folder = path
            .canonicalize()
            .map_err(io_err(path, "resolve the path"))?;
        write_new(&folder, ".git", &line_with_path("gitdir: ", &admin))?;
        write_new(&admin, "commondir", b"../..\n")?;
        write_new(&admin, "gitdir", &line_with_path("", &folder.join(".git")))?;
        write_new(&admin, "HEAD", format!("ref: {refname}\n").as_bytes())?;

        let wt = self.wt(path)?;
        // A folder made just now holds nothing to keep but the `.git` file,
        // which no tree names: forced, every file of the tip is written.
        let mut checkout = CheckoutBuilder::new();
        checkout.force();
        let tip = wt.head().and_then(|h| h.peel_to_tree()).map(|t| t.id());
        checkout.disable_filters(tip.is_ok_and(|t| !self.filters_may_apply(&wt, &[t])));
        wt.checkout_head(Some(&mut checkout)).ctx_with(path, || {
            format!("check out `{refname}` in the new worktree")
        })?;
        Ok(())
    }
}
