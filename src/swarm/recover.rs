//! Before a resumed swarm restarts anything: what the previous shiftboss
//! left running is killed, and git locks nobody holds any more are cleared,
//! so no two sessions ever share a worktree and no ref stays locked.

use crate::runtime::groups;
use std::path::Path;
use std::time::Duration;

/// Kill the recorded groups still running (and any agent process left in
/// `worktrees` no record names) and clear stale locks in the repository at
/// `root`. Says on stderr what it did.
pub(super) fn before_resume(root: &Path, worktrees: &Path, recorded: &[(u32, u64)]) {
    let mut killed = groups::kill_recorded(recorded, Duration::from_secs(10));
    killed.extend(groups::kill_unrecorded_in(
        worktrees,
        Duration::from_secs(10),
    ));
    if !killed.is_empty() {
        eprintln!(
            "shiftboss: killed {} agent process(es) left running by the previous run",
            killed.len()
        );
    }
    let Ok(repo) = git2::Repository::open(root) else {
        return;
    };
    for lock in groups::clear_stale_locks(repo.commondir()) {
        eprintln!(
            "shiftboss: removed a stale git lock no process held: {}",
            lock.display()
        );
    }
}
