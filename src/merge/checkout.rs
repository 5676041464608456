//! The operator's own checkout (the repository root's worktree) when it has
//! the target branch checked out. Like git's `receive.denyCurrentBranch =
//! updateInstead`: a clean checkout follows each landing (index and files
//! move from the old target tree to the new one, as `git read-tree -u -m`
//! would); a checkout with changes to tracked files holds landings, and the
//! files are named so the operator can commit, stash or detach.

use super::{Ctx, GitError, Repo};
use git2::build::CheckoutBuilder;
use git2::{CheckoutNotificationType, Oid, Status, StatusOptions};

impl Repo {
    /// Whether the operator's checkout has the target branch checked out.
    fn operator_on_target(&self) -> Result<bool, GitError> {
        if self.main.is_bare() || self.main.workdir().is_none() {
            return Ok(false);
        }
        let head = self
            .main
            .find_reference("HEAD")
            .ctx(&self.root, "read HEAD")?;
        Ok(head.symbolic_target_bytes() == Some(self.target_ref.as_bytes()))
    }

    /// The files that hold landings: tracked files the operator's checkout
    /// changed (in the index or the working tree) while it is on the target.
    /// Empty when it is clean, detached or on another branch.
    pub fn checkout_holds(&self) -> Result<Vec<String>, GitError> {
        if !self.operator_on_target()? {
            return Ok(Vec::new());
        }
        let mut index = self.main.index().ctx(&self.root, "read the index")?;
        index.read(true).ctx(&self.root, "read the index")?;
        let mut opts = StatusOptions::new();
        opts.include_untracked(false)
            .include_ignored(false)
            .exclude_submodules(true);
        let statuses = self
            .main
            .statuses(Some(&mut opts))
            .ctx(&self.root, "read the checkout's status")?;
        let mut files: Vec<String> = statuses
            .iter()
            .filter(|s| !s.status().is_empty() && s.status() != Status::CURRENT)
            .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Move the target from `base` to `new` (compare-and-swap). If the
    /// operator's checkout is on the target, its index and files follow
    /// first; when they cannot (changes in the way), nothing moves and the
    /// files in the way are returned.
    pub(super) fn land_target(
        &self,
        base: Oid,
        new: Oid,
        log: &str,
    ) -> Result<Vec<String>, GitError> {
        if !self.operator_on_target()? {
            self.move_target(base, new, log)?;
            return Ok(Vec::new());
        }
        let held = self.checkout_holds()?;
        if !held.is_empty() {
            return Ok(held);
        }
        // HEAD still names `base`: a safe checkout of the new tree updates
        // exactly the files the landing changed and leaves the rest alone;
        // anything in the way (an edit made just now, an untracked file
        // where the landing adds one) stops it before a file is written.
        let mut in_way = Vec::new();
        let checked_out = {
            let commit = self
                .main
                .find_commit(new)
                .ctx(&self.root, "read the landed commit")?;
            let mut co = CheckoutBuilder::new();
            co.safe();
            co.notify_on(CheckoutNotificationType::CONFLICT);
            co.notify(|_, path, _, _, _| {
                if let Some(p) = path {
                    in_way.push(p.to_string_lossy().into_owned());
                }
                true
            });
            self.main.checkout_tree(commit.as_object(), Some(&mut co))
        };
        if let Err(e) = checked_out {
            if in_way.is_empty() {
                return Err(e).ctx(&self.root, "update the checkout to the landed tree");
            }
            in_way.sort();
            in_way.dedup();
            return Ok(in_way);
        }
        if let Err(e) = self.move_target(base, new, log) {
            // Put the checkout back where its HEAD is.
            if let Ok(head) = self.main.head().and_then(|h| h.peel_to_commit()) {
                let mut co = CheckoutBuilder::new();
                co.force();
                let _ = self.main.checkout_tree(head.as_object(), Some(&mut co));
            }
            return Err(e);
        }
        Ok(Vec::new())
    }
}
