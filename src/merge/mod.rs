//! Worktrees, gates and the merge queue's git work (git2, no `git` subprocess).
//!
//! - [`init_demo_repo`] makes a small deterministic project for the demo.
//! - [`Repo`] is the main repository plus one linked worktree per agent under
//!   `.shiftboss/worktrees/<agent>`, each on a branch `shiftboss/<agent>/<task>`.
//!   Merges into the target branch happen in memory (no working tree is
//!   touched) and move the target ref with a compare-and-swap.
//! - [`run_gates`] runs the configured gate commands in a worktree with a
//!   scrubbed environment and a per-command timeout.

pub mod ai;
mod checkout;
mod escape;
mod filters;
mod gate;
mod gate_argv;
mod gate_checkout;
mod gitconfig;
mod land;
mod lineage;
mod loose;
mod mem_odb;
mod onto;
mod paths;
mod resolve;
mod stage;
mod stage_plain;
mod target;
mod train;
mod worktree;
mod worktree_add;
mod worktree_map;

#[cfg(test)]
mod filters_tests;
#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod lineage_tests;
#[cfg(test)]
mod mem_odb_tests;
#[cfg(test)]
mod onto_tests;
#[cfg(test)]
mod switch_tests;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod worktree_add_tests;

pub use escape::{PATHS_GATE, link_escape};
pub use gate::{GATE_ENV_PASSTHROUGH, GATE_OUTPUT_LIMIT, GateReport, GateResult, run_gates};
pub use gate_checkout::GatePool;
pub use gitconfig::{ConfigWatch, entries as config_entries, runs_a_program};
pub use land::{LandEntry, LandOptions, Landing, QUEUE_BRANCH, QUEUE_WORKTREE};
pub use onto::{TEAM_BRANCH_PREFIX, team_branch};
pub use paths::{check_paths, command_finding};
pub use resolve::{AiLedger, AiResolve, Merged, lines_at_risk};
pub use train::Train;
pub use worktree::Repo;

use crate::domain::{AgentId, Millis};
use git2::{Repository, RepositoryInitOptions, RepositoryOpenFlags, Signature};
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// Author and committer of the demo repository's initial commit.
pub const DEMO_NAME: &str = "shiftboss demo";
pub const DEMO_EMAIL: &str = "demo@shiftboss.invalid";
/// Committer (and author) of merge commits made by the merge queue.
pub const MERGE_NAME: &str = "shiftboss merge queue";
pub const MERGE_EMAIL: &str = "merge@shiftboss.invalid";
/// Author of the commits that keep uncommitted work before a worktree switches branch.
pub const KEEPER_NAME: &str = "shiftboss";
pub const KEEPER_EMAIL: &str = "shiftboss@shiftboss.invalid";
/// Message of the commit that keeps uncommitted work before a worktree switches branch.
pub const WIP_MESSAGE: &str = "wip: work kept by shiftboss";
/// Branches made for agents live under `refs/heads/shiftboss/`.
pub const BRANCH_PREFIX: &str = "shiftboss/";

/// Anything that went wrong with a repository. Every message names the
/// repository (or worktree) path and, where there is one, the branch.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path}: not a git repository")]
    NotARepository { path: PathBuf },
    #[error("{path}: already a git repository")]
    AlreadyARepository { path: PathBuf },
    #[error("{repo}: branch `{branch}` does not exist")]
    NoSuchBranch { repo: PathBuf, branch: String },
    #[error("{repo}: `{branch}` is not a valid branch name")]
    InvalidBranchName { repo: PathBuf, branch: String },
    #[error(
        "{repo}: `{agent}` is not a usable agent name for a worktree (letters, digits, `-`, `_`, `.`)"
    )]
    InvalidAgentName { repo: PathBuf, agent: AgentId },
    #[error("{path}: `{file}` is not a relative path inside the repository")]
    InvalidPath { path: PathBuf, file: String },
    #[error("{repo}: branch `{branch}` is the target branch; agents never work on it")]
    TargetBranch { repo: PathBuf, branch: String },
    #[error(
        "{repo}: branch `{branch}` is checked out in {holder}, which shiftboss does not manage; check out something else there first"
    )]
    CheckedOutElsewhere {
        repo: PathBuf,
        branch: String,
        holder: PathBuf,
    },
    #[error(
        "{path}: HEAD is detached (its branch was handed to another worktree); prepare the worktree again"
    )]
    DetachedHead { path: PathBuf },
    #[error("{path}: exists but is not the shiftboss worktree of {repo}")]
    NotOurWorktree { repo: PathBuf, path: PathBuf },
    #[error(
        "{repo}: target branch `{branch}` moved from {expected} to {actual} during the merge; nothing was overwritten, merge again"
    )]
    TargetMoved {
        repo: PathBuf,
        branch: String,
        expected: String,
        actual: String,
    },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: String,
        source: std::io::Error,
    },
    #[error("{repo}: {action}: {source}")]
    Git {
        repo: PathBuf,
        action: String,
        source: git2::Error,
    },
}

/// The outcome of [`Repo::merge_into_target`].
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeResult {
    /// A new two-parent merge commit is the target's tip.
    Merged { commit: String },
    /// The branch's tip was already contained in the target; `commit` is the target tip.
    AlreadyMerged { commit: String },
    /// The branch conflicts with the target in these files (sorted); the target is unchanged.
    Conflicted { files: Vec<String> },
}

/// Attach the repository path and what was being done to a git2 error.
pub(crate) trait Ctx<T> {
    fn ctx(self, repo: &Path, action: &str) -> Result<T, GitError>;
    fn ctx_with(self, repo: &Path, action: impl FnOnce() -> String) -> Result<T, GitError>;
}

impl<T> Ctx<T> for Result<T, git2::Error> {
    fn ctx(self, repo: &Path, action: &str) -> Result<T, GitError> {
        self.map_err(|source| GitError::Git {
            repo: repo.to_path_buf(),
            action: action.to_string(),
            source,
        })
    }
    fn ctx_with(self, repo: &Path, action: impl FnOnce() -> String) -> Result<T, GitError> {
        self.map_err(|source| GitError::Git {
            repo: repo.to_path_buf(),
            action: action(),
            source,
        })
    }
}

pub(crate) fn io_err(path: &Path, action: &str) -> impl FnOnce(std::io::Error) -> GitError {
    let path = path.to_path_buf();
    let action = action.to_string();
    move |source| GitError::Io {
        path,
        action,
        source,
    }
}

/// A git time (seconds, UTC) from milliseconds since the epoch.
pub(crate) fn git_time(at: Millis) -> git2::Time {
    git2::Time::new(at.div_euclid(1000), 0)
}

pub(crate) fn signature(
    repo: &Path,
    name: &str,
    email: &str,
    at: Millis,
) -> Result<Signature<'static>, GitError> {
    Signature::new(name, email, &git_time(at))
        .ctx_with(repo, || format!("make signature `{name} <{email}>`"))
}

/// `true` when `branch` is a valid short branch name (`refs/heads/<branch>` is a valid ref).
pub(crate) fn valid_branch_name(branch: &str) -> bool {
    !branch.is_empty() && git2::Reference::is_valid_name(&format!("refs/heads/{branch}"))
}

/// Make a small real project for the demo: `git init` at `root` (which must not
/// already be a repository), `target` as the initial branch, `files` written
/// (relative paths, parents created), a `.gitignore` holding `.shiftboss/`
/// (appended to a `.gitignore` among `files` if it lacks the line), and one
/// initial commit by `shiftboss demo <demo@shiftboss.invalid>` at `at`.
///
/// Deterministic: the same inputs give the same commit id. Returns the commit id.
pub fn init_demo_repo(
    root: &Path,
    target: &str,
    files: &[(&str, &str)],
    at: Millis,
) -> Result<String, GitError> {
    if root.join(".git").exists()
        || Repository::open_ext(
            root,
            RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&OsStr>(),
        )
        .is_ok()
    {
        return Err(GitError::AlreadyARepository {
            path: root.to_path_buf(),
        });
    }
    if !valid_branch_name(target) {
        return Err(GitError::InvalidBranchName {
            repo: root.to_path_buf(),
            branch: target.to_string(),
        });
    }
    std::fs::create_dir_all(root).map_err(io_err(root, "create the directory"))?;
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head(target).no_reinit(true).mkdir(false);
    let repo = Repository::init_opts(root, &opts).ctx(root, "git init")?;

    let paths = write_demo_files(root, files)?;

    let mut index = repo.index().ctx(root, "open the index")?;
    for rel in &paths {
        index
            .add_path(Path::new(rel))
            .ctx_with(root, || format!("add `{rel}` to the index"))?;
    }
    index.write().ctx(root, "write the index")?;
    let tree_id = index.write_tree().ctx(root, "write the tree")?;
    let tree = repo.find_tree(tree_id).ctx(root, "read the tree")?;
    let sig = signature(root, DEMO_NAME, DEMO_EMAIL, at)?;
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, "Initial commit", &tree, &[])
        .ctx_with(root, || format!("commit on `{target}`"))?;
    Ok(id.to_string())
}

/// Write the demo's files under `root` (relative paths inside it, never
/// under `.git`) and its `.gitignore` holding `.shiftboss/`; the paths
/// written, for the index.
fn write_demo_files(root: &Path, files: &[(&str, &str)]) -> Result<Vec<String>, GitError> {
    let mut paths: Vec<String> = Vec::with_capacity(files.len() + 1);
    let mut gitignore: Option<String> = None;
    for (rel, content) in files {
        let rel_path = Path::new(rel);
        let ok = !rel.is_empty()
            && rel_path
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !ok || rel_path.starts_with(".git") {
            return Err(GitError::InvalidPath {
                path: root.to_path_buf(),
                file: rel.to_string(),
            });
        }
        if *rel == ".gitignore" {
            gitignore = Some(content.to_string());
            continue;
        }
        let full = root.join(rel_path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent, "create the directory"))?;
        }
        std::fs::write(&full, content).map_err(io_err(&full, "write"))?;
        paths.push(rel.replace('\\', "/"));
    }
    let mut ignore = gitignore.unwrap_or_default();
    if !ignore
        .lines()
        .any(|l| l.trim() == ".shiftboss/" || l.trim() == ".shiftboss")
    {
        if !ignore.is_empty() && !ignore.ends_with('\n') {
            ignore.push('\n');
        }
        ignore.push_str(".shiftboss/\n");
    }
    let ignore_path = root.join(".gitignore");
    std::fs::write(&ignore_path, ignore).map_err(io_err(&ignore_path, "write"))?;
    paths.push(".gitignore".to_string());
    Ok(paths)
}
