//! Branches the queue lands on besides the target: a team's integration
//! branch (`shiftboss/team/<team>`). It is made from the target's tip when
//! first needed (and again after a restart if it was never made); coders'
//! branches start from it and are compared against it; the queue moves it
//! by compare-and-swap like the target, but the operator's checkout never
//! follows it; once the team's integration lands on the target it is
//! fast-forwarded to that merge, so the branch is what went to the target.

use super::{Ctx, GitError, Repo};
use git2::{ErrorCode, Oid};

/// Where team integration branches live: `shiftboss/team/<team>`.
pub const TEAM_BRANCH_PREFIX: &str = "shiftboss/team/";

/// A team's integration branch.
pub fn team_branch(team: &str) -> String {
    format!("{TEAM_BRANCH_PREFIX}{team}")
}

impl Repo {
    /// The tip of `branch`, which is made from the target's tip first if it
    /// does not exist. The target itself may be named.
    pub fn ensure_branch(&self, branch: &str) -> Result<Oid, GitError> {
        if let Some(oid) = self.branch_oid(branch)? {
            return Ok(oid);
        }
        let tip = self.target_oid()?;
        let commit = self
            .main
            .find_commit(tip)
            .ctx(&self.root, "read the target's tip")?;
        match self.main.branch(branch, &commit, false) {
            Ok(_) => Ok(tip),
            // Made meanwhile by another handle on the repository.
            Err(e) if e.code() == ErrorCode::Exists => self.existing_branch_oid(branch),
            Err(e) => Err(e).ctx_with(&self.root, || format!("create branch `{branch}`")),
        }
    }

    /// The tip of where a landing goes: `onto` (made if missing), or the target.
    pub(super) fn dest_oid(&self, onto: Option<&str>) -> Result<Oid, GitError> {
        match onto {
            Some(b) if b != self.target => self.ensure_branch(b),
            _ => self.target_oid(),
        }
    }

    /// A team branch the operator's own checkout has checked out is not
    /// moved under it (only the target's landings update that checkout).
    pub(super) fn refuse_checked_out(&self, branch: &str) -> Result<(), GitError> {
        if self.main.is_bare() || self.main.workdir().is_none() {
            return Ok(());
        }
        let head = self
            .main
            .find_reference("HEAD")
            .ctx(&self.root, "read HEAD")?;
        let refname = format!("refs/heads/{branch}");
        if head.symbolic_target_bytes() == Some(refname.as_bytes()) {
            return Err(GitError::CheckedOutElsewhere {
                repo: self.root.clone(),
                branch: branch.to_string(),
                holder: self.root.clone(),
            });
        }
        Ok(())
    }

    /// The merge base of `branch` with `base` (none: the target), and the
    /// branch's tip.
    pub(super) fn base_and_tip(
        &self,
        branch: &str,
        base: Option<&str>,
    ) -> Result<(Option<Oid>, Oid), GitError> {
        let tip = self.existing_branch_oid(branch)?;
        let against = self.dest_oid(base)?;
        Ok((self.merge_base(against, tip, &format!("`{branch}`"))?, tip))
    }

    /// Move `branch` (a team branch or the target) from `expected` to `new` with a
    /// compare-and-swap: if it is no longer at `expected`, nothing is written.
    pub(super) fn move_branch(
        &self,
        branch: &str,
        expected: Oid,
        new: Oid,
        log: &str,
    ) -> Result<(), GitError> {
        let refname = format!("refs/heads/{branch}");
        match self
            .main
            .reference_matching(&refname, new, true, expected, log)
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Locked) => {
                let actual = self
                    .branch_oid(branch)?
                    .map(|o| o.to_string())
                    .unwrap_or_default();
                Err(GitError::TargetMoved {
                    repo: self.root.clone(),
                    branch: branch.to_string(),
                    expected: expected.to_string(),
                    actual,
                })
            }
            Err(e) => Err(e).ctx_with(&self.root, || format!("move `{branch}` to {new}")),
        }
    }

    /// Fast-forward `branch` to `commit` when its tip is an ancestor of it;
    /// `false` (nothing written) when the branch went its own way or is
    /// gone; an error when the operator's checkout has it checked out.
    pub fn fast_forward(&self, branch: &str, commit: Oid, log: &str) -> Result<bool, GitError> {
        self.refuse_checked_out(branch)?;
        let Some(tip) = self.branch_oid(branch)? else {
            return Ok(false);
        };
        if tip == commit {
            return Ok(true);
        }
        if !self.contained_in(tip, commit)? {
            return Ok(false);
        }
        self.move_branch(branch, tip, commit, log)?;
        Ok(true)
    }
}
