//! The main repository and the agents' worktrees.

use super::filters::AttributeTrees;
use super::lineage::Lineage;
use super::stage::{commit_tree, stage_all};
use super::worktree_map::WorktreeMap;
use super::{
    BRANCH_PREFIX, Ctx, GitError, KEEPER_EMAIL, KEEPER_NAME, WIP_MESSAGE, io_err, signature,
    valid_branch_name,
};
use crate::domain::{AgentId, Millis};
use git2::build::CheckoutBuilder;
use git2::{
    Commit, ErrorCode, Oid, Repository, RepositoryOpenFlags, StatusOptions, WorktreePruneOptions,
};
use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The main repository, where the agents' worktrees live, and the target branch.
///
/// Used from one thread (it is `Send`, not `Sync`). Repository handles of the
/// agents' worktrees are opened once and cached.
///
/// A branch is checked out in at most one worktree (git forbids more). When
/// [`Repo::prepare_worktree`] is asked for a branch that another *shiftboss*
/// worktree has checked out (a task handed from one agent to another), that
/// other worktree is released: its uncommitted changes are committed on the
/// branch first, then its HEAD is detached at the branch's tip (its files do
/// not change). The caller must make sure the other agent's process is no
/// longer working there. If that worktree is later found detached with new
/// changes anyway, they are committed onto a rescue branch
/// `shiftboss/<agent>/rescued-<commit>` so nothing is lost. A branch checked
/// out in the operator's own checkout, or in a worktree shiftboss does not
/// manage, is never touched: that is [`GitError::CheckedOutElsewhere`].
pub struct Repo {
    pub(super) root: PathBuf,
    pub(super) worktrees_dir: PathBuf,
    pub(super) target: String,
    pub(super) target_ref: String,
    pub(super) main: Repository,
    worktrees: RefCell<HashMap<PathBuf, Repository>>,
    /// Which branch each worktree holds (`worktree_map.rs`).
    pub(super) map: RefCell<WorktreeMap>,
    /// The ancestry read so far (`lineage.rs`).
    pub(super) lineage: RefCell<Lineage>,
    /// Which trees hold a `.gitattributes` (`filters.rs`).
    pub(super) attribute_trees: RefCell<AttributeTrees>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("root", &self.root)
            .field("worktrees_dir", &self.worktrees_dir)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The symbolic target of a repository's HEAD (`refs/heads/...`), or None when detached.
pub(super) fn head_branch(repo: &Repository, path: &Path) -> Result<Option<String>, GitError> {
    let head = repo.find_reference("HEAD").ctx(path, "read HEAD")?;
    Ok(head
        .symbolic_target_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned()))
}

/// Point the worktree's HEAD at the branch `refname`, with the reflog line
/// `git checkout` writes. Unlike libgit2's `set_head`, no other worktree is
/// opened to ask whether it holds the branch: [`Repo::release_branch`] has
/// made sure none does, from the map of worktrees and what it cannot know.
pub(super) fn switch_head(repo: &Repository, path: &Path, refname: &str) -> Result<(), GitError> {
    let short = |r: &str| r.strip_prefix("refs/heads/").unwrap_or(r).to_string();
    let from = match repo.find_reference("HEAD") {
        Ok(head) => match head.symbolic_target_bytes() {
            Some(t) => short(&String::from_utf8_lossy(t)),
            None => head.target().map(|o| o.to_string()).unwrap_or_default(),
        },
        Err(_) => String::new(),
    };
    let message = format!("checkout: moving from {from} to {}", short(refname));
    repo.reference_symbolic("HEAD", refname, true, &message)
        .ctx_with(path, || format!("switch HEAD to `{}`", short(refname)))?;
    Ok(())
}

/// The commit HEAD points at, or None on an unborn branch.
pub(super) fn head_commit<'r>(
    repo: &'r Repository,
    path: &Path,
) -> Result<Option<Commit<'r>>, GitError> {
    match repo.head() {
        Ok(head) => Ok(Some(
            head.peel_to_commit().ctx(path, "read the HEAD commit")?,
        )),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e).ctx(path, "read HEAD"),
    }
}

pub(super) fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The paths whose entries differ between the trees `from` and `to`.
fn changed_between(repo: &Repository, from: Oid, to: Oid) -> Result<Vec<Vec<u8>>, git2::Error> {
    let (from, to) = (repo.find_tree(from)?, repo.find_tree(to)?);
    let diff = repo.diff_tree_to_tree(Some(&from), Some(&to), None)?;
    let mut paths = Vec::new();
    for d in diff.deltas() {
        for file in [d.old_file(), d.new_file()] {
            if let Some(p) = file.path_bytes()
                && paths.last().is_none_or(|l: &Vec<u8>| l != p)
            {
                paths.push(p.to_vec());
            }
        }
    }
    Ok(paths)
}

/// Limit `checkout`, in the worktree `top` whose files are the tree `from`
/// (ignored files aside), to the files that differ between `from` and
/// `to`: only those are looked at and written. It stays whole when a file
/// stands where one of their folders goes, or when a path holds a
/// backslash (libgit2 reads the paths' common start as a pattern, where a
/// backslash escapes: the checkout would look in the wrong place). False
/// when the trees hold the same files: there is nothing to check out (and
/// no path named would mean every path).
pub(super) fn limit_to_changes(
    checkout: &mut CheckoutBuilder<'_>,
    repo: &Repository,
    top: &Path,
    from: Oid,
    to: Oid,
) -> Result<bool, git2::Error> {
    let files = changed_between(repo, from, to)?;
    if files.is_empty() {
        return Ok(false);
    }
    let escaped = files.iter().any(|f| f.contains(&b'\\'));
    if !escaped && !file_in_a_folders_way(top, &files) {
        for file in files {
            checkout.path(file);
        }
        checkout.disable_pathspec_match(true);
    }
    Ok(true)
}

/// Whether, in the worktree `top`, anything but a folder stands where a
/// folder of one of `files` goes (an ignored file, say): a checkout limited
/// to `files` would not see it in its way.
fn file_in_a_folders_way(top: &Path, files: &[Vec<u8>]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let mut folders = std::collections::BTreeSet::new();
    for file in files {
        let mut end = 0;
        while let Some(i) = file[end..].iter().position(|b| *b == b'/') {
            end += i;
            folders.insert(&file[..end]);
            end += 1;
        }
    }
    folders.into_iter().any(|f| {
        top.join(OsStr::from_bytes(f))
            .symlink_metadata()
            .is_ok_and(|m| !m.is_dir())
    })
}

/// What a worktree about to switch branches may hold beside its commits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leftovers {
    /// Anything: it is staged and committed (kept) before the switch.
    Possible,
    /// Nothing: the caller made and committed every change itself.
    None,
}

fn is_clean(repo: &Repository, path: &Path) -> Result<bool, GitError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .ctx(path, "read the status")?;
    Ok(statuses.is_empty())
}

impl Repo {
    /// Open the repository at `root` (exactly there; parents are not searched).
    /// Agents' worktrees live under `worktrees_dir` (normally `root/.shiftboss/worktrees`;
    /// created on first use). The branch `target` must exist.
    pub fn open(root: &Path, worktrees_dir: &Path, target: &str) -> Result<Repo, GitError> {
        // Every tree and commit shiftboss writes refers to objects it just
        // read or wrote: libgit2 need not look each one up again on disk
        // before writing (a file lookup per object per commit). Objects read
        // are still checked against their hashes.
        static RELAXED: std::sync::Once = std::sync::Once::new();
        RELAXED.call_once(|| git2::opts::strict_object_creation(false));
        let main = match Repository::open_ext(
            root,
            RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&OsStr>(),
        ) {
            Ok(repo) => repo,
            Err(e) if e.code() == ErrorCode::NotFound => {
                return Err(GitError::NotARepository {
                    path: root.to_path_buf(),
                });
            }
            Err(e) => return Err(e).ctx(root, "open the repository"),
        };
        if !valid_branch_name(target) {
            return Err(GitError::InvalidBranchName {
                repo: root.to_path_buf(),
                branch: target.to_string(),
            });
        }
        let worktrees_dir = std::path::absolute(worktrees_dir)
            .map_err(io_err(worktrees_dir, "resolve the path"))?;
        let repo = Repo {
            root: root.to_path_buf(),
            worktrees_dir,
            target: target.to_string(),
            target_ref: format!("refs/heads/{target}"),
            main,
            worktrees: RefCell::new(HashMap::new()),
            map: RefCell::new(WorktreeMap::default()),
            lineage: RefCell::new(Lineage::default()),
            attribute_trees: RefCell::new(AttributeTrees::default()),
        };
        repo.target_tip()?;
        Ok(repo)
    }

    /// The main repository's path as given to [`Repo::open`].
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the agents' worktrees live.
    pub fn worktrees_dir(&self) -> &Path {
        &self.worktrees_dir
    }

    /// The target branch's short name (`main`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path of `agent`'s worktree (whether or not it exists yet).
    pub fn worktree_path(&self, agent: &AgentId) -> PathBuf {
        self.worktrees_dir.join(agent.as_str())
    }

    /// The commit id at the tip of the target branch.
    pub fn target_tip(&self) -> Result<String, GitError> {
        Ok(self.target_oid()?.to_string())
    }

    pub(super) fn target_oid(&self) -> Result<Oid, GitError> {
        self.branch_oid(&self.target)?
            .ok_or_else(|| GitError::NoSuchBranch {
                repo: self.root.clone(),
                branch: self.target.clone(),
            })
    }

    /// The commit id at the tip of `branch`, or None if there is no such branch.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<String>, GitError> {
        Ok(self.branch_oid(branch)?.map(|o| o.to_string()))
    }

    pub(super) fn branch_oid(&self, branch: &str) -> Result<Option<Oid>, GitError> {
        self.check_branch_name(branch)?;
        match self.main.find_reference(&format!("refs/heads/{branch}")) {
            Ok(r) => {
                let c = r
                    .peel_to_commit()
                    .ctx_with(&self.root, || format!("read the tip of `{branch}`"))?;
                Ok(Some(c.id()))
            }
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).ctx_with(&self.root, || format!("read branch `{branch}`")),
        }
    }

    fn check_branch_name(&self, branch: &str) -> Result<(), GitError> {
        if valid_branch_name(branch) {
            Ok(())
        } else {
            Err(GitError::InvalidBranchName {
                repo: self.root.clone(),
                branch: branch.to_string(),
            })
        }
    }

    pub(super) fn check_agent_name(&self, agent: &AgentId) -> Result<(), GitError> {
        let a = agent.as_str();
        let ok = !a.is_empty()
            && !a.starts_with('.')
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(())
        } else {
            Err(GitError::InvalidAgentName {
                repo: self.root.clone(),
                agent: agent.clone(),
            })
        }
    }

    /// The cached repository handle of the worktree at `path`, opened on first use.
    pub(super) fn wt(&self, path: &Path) -> Result<Ref<'_, Repository>, GitError> {
        if !self.worktrees.borrow().contains_key(path) {
            let repo = match Repository::open_ext(
                path,
                RepositoryOpenFlags::NO_SEARCH,
                std::iter::empty::<&OsStr>(),
            ) {
                Ok(r) => r,
                Err(e) if e.code() == ErrorCode::NotFound => {
                    return Err(GitError::NotARepository {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) => return Err(e).ctx(path, "open the worktree"),
            };
            self.worktrees.borrow_mut().insert(path.to_path_buf(), repo);
        }
        Ok(Ref::map(self.worktrees.borrow(), |m| &m[path]))
    }

    /// Drop the cached handle of the worktree at `path` and what the map knows of it.
    fn forget(&self, path: &Path) {
        self.worktrees.borrow_mut().remove(path);
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            self.note_gone(name);
        }
    }

    fn has_worktree_named(&self, name: &str) -> Result<bool, GitError> {
        let names = self.main.worktrees().ctx(&self.root, "list worktrees")?;
        Ok(names.iter().flatten().flatten().any(|n| n == name))
    }

    /// See [`Repo::prepare_worktree_at`]; any commit keeping uncommitted work is dated now.
    pub fn prepare_worktree(
        &self,
        agent: &AgentId,
        branch: &str,
        resume_from: Option<&str>,
    ) -> Result<PathBuf, GitError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0);
        self.prepare_worktree_at(agent, branch, resume_from, now)
    }

    /// Make sure `agent` has its worktree at `worktrees_dir/<agent>` (created on
    /// first use, reused afterwards) with `branch` checked out:
    ///  - if `branch` exists it is checked out as it is (its commits are kept);
    ///  - else if `resume_from` names an existing branch, `branch` starts at its tip;
    ///  - else `branch` starts at the target's tip.
    ///
    /// Before the worktree switches away from the branch it had, uncommitted
    /// changes there are committed on that branch (`wip: work kept by shiftboss`,
    /// by `shiftboss <shiftboss@shiftboss.invalid>` at `at`). If the worktree
    /// already has `branch`, nothing changes (uncommitted changes stay as they are).
    ///
    /// A branch another shiftboss worktree has checked out is taken from it (see
    /// [`Repo`]); one checked out by the operator or a foreign worktree is an error.
    /// The target branch itself is refused. Returns the worktree's path.
    pub fn prepare_worktree_at(
        &self,
        agent: &AgentId,
        branch: &str,
        resume_from: Option<&str>,
        at: Millis,
    ) -> Result<PathBuf, GitError> {
        self.prepare(agent, branch, resume_from, at, Leftovers::Possible)
            .map(|(path, _)| path)
    }

    /// As [`Repo::prepare_worktree_at`]. With `only_commits` the caller
    /// knows the worktree holds nothing uncommitted (the simulator, which
    /// commits every edit it makes): no file is looked at for work to keep.
    /// (Either way the switch then checks out only the files that differ
    /// between the two trees, still a safe checkout.) Also says whether the
    /// worktree now holds only commits as far as shiftboss knows: every
    /// file of it looked through (work kept) or written (a new worktree),
    /// or `only_commits`.
    pub fn prepare_worktree_knowing(
        &self,
        agent: &AgentId,
        branch: &str,
        resume_from: Option<&str>,
        at: Millis,
        only_commits: bool,
    ) -> Result<(PathBuf, bool), GitError> {
        let leftovers = if only_commits {
            Leftovers::None
        } else {
            Leftovers::Possible
        };
        self.prepare(agent, branch, resume_from, at, leftovers)
    }

    fn prepare(
        &self,
        agent: &AgentId,
        branch: &str,
        resume_from: Option<&str>,
        at: Millis,
        leftovers: Leftovers,
    ) -> Result<(PathBuf, bool), GitError> {
        self.check_agent_name(agent)?;
        self.check_branch_name(branch)?;
        if branch == self.target {
            return Err(GitError::TargetBranch {
                repo: self.root.clone(),
                branch: branch.to_string(),
            });
        }
        let refname = format!("refs/heads/{branch}");
        let path = self.worktree_path(agent);

        self.release_branch(&refname, branch, agent, at)?;
        let exists = self.existing_worktree(agent, &path)?;

        if self.branch_oid(branch)?.is_none() {
            let start = match resume_from {
                Some(from) if from != branch => self.branch_oid(from)?,
                _ => None,
            };
            let start = match start {
                Some(oid) => oid,
                None => self.target_oid()?,
            };
            let commit = self
                .main
                .find_commit(start)
                .ctx(&self.root, "read the start commit")?;
            self.main
                .branch(branch, &commit, false)
                .ctx_with(&self.root, || format!("create branch `{branch}`"))?;
        }

        if exists {
            let wt = self.wt(&path)?;
            if head_branch(&wt, &path)?.as_deref() == Some(refname.as_str()) {
                self.note_head(agent.as_str(), &path, Some(&refname));
                return Ok((path, leftovers == Leftovers::None));
            }
            if leftovers == Leftovers::Possible {
                self.keep_work(&wt, &path, agent, at)?;
            }
            let commit = wt
                .find_reference(&refname)
                .and_then(|r| r.peel_to_commit())
                .ctx_with(&path, || format!("read branch `{branch}`"))?;
            let mut checkout = CheckoutBuilder::new();
            checkout.safe();
            let trees: Vec<Oid> = Repo::head_tree(&wt)
                .into_iter()
                .chain([commit.tree_id()])
                .collect();
            checkout.disable_filters(!self.filters_may_apply(&wt, &trees));
            let mut changed = true;
            if let [from, to] = trees[..] {
                // Nothing but commits there now (work kept, or the caller's
                // word) and ignored files.
                changed = limit_to_changes(&mut checkout, &wt, &path, from, to)
                    .ctx(&path, "compare the trees")?;
            }
            if changed {
                wt.checkout_tree(commit.as_object(), Some(&mut checkout))
                    .ctx_with(&path, || format!("check out `{branch}`"))?;
            }
            switch_head(&wt, &path, &refname)?;
            self.note_head(agent.as_str(), &path, Some(&refname));
        } else {
            std::fs::create_dir_all(&self.worktrees_dir)
                .map_err(io_err(&self.worktrees_dir, "create the directory"))?;
            self.add_worktree(agent.as_str(), &path, &refname)?;
            self.note_head(agent.as_str(), &path, Some(&refname));
        }
        Ok((path, true))
    }

    /// Whether `agent`'s worktree exists and is usable. A stale registration
    /// (directory gone) is pruned; a path in the way is an error.
    fn existing_worktree(&self, agent: &AgentId, path: &Path) -> Result<bool, GitError> {
        let name = agent.as_str();
        // Known as shiftboss's own and still there: nothing else to read.
        if self.known_worktree(name).is_some_and(|h| h.ours) && path.join(".git").is_file() {
            return Ok(true);
        }
        if self.has_worktree_named(name)? {
            let wt = self
                .main
                .find_worktree(name)
                .ctx_with(&self.root, || format!("look up worktree `{name}`"))?;
            if wt.validate().is_ok() {
                if same_path(wt.path(), path) {
                    return Ok(true);
                }
                return Err(GitError::NotOurWorktree {
                    repo: self.root.clone(),
                    path: wt.path().to_path_buf(),
                });
            }
            if path.exists() {
                // Half made (a kill while git2 was adding it): the folder
                // is shiftboss's own; kept aside, never deleted.
                self.move_aside(path)?;
            }
            self.forget(path);
            wt.prune(None)
                .ctx_with(&self.root, || format!("prune the stale worktree `{name}`"))?;
        }
        if path.exists() {
            // An empty directory in the way is harmless; anything else is not ours to remove.
            let empty = std::fs::read_dir(path)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if empty {
                std::fs::remove_dir(path).map_err(io_err(path, "remove the empty directory"))?;
            } else if path.starts_with(&self.worktrees_dir) {
                // Not registered with git but in shiftboss's own folder: a
                // worktree whose making was cut short. Kept aside.
                self.move_aside(path)?;
            } else {
                return Err(GitError::NotOurWorktree {
                    repo: self.root.clone(),
                    path: path.to_path_buf(),
                });
            }
        }
        Ok(false)
    }

    /// Move a broken worktree folder out of the way, beside the others as
    /// `.broken-<name>-<n>`, so whatever it holds stays on disk.
    fn move_aside(&self, path: &Path) -> Result<(), GitError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut n = 1;
        let aside = loop {
            let candidate = self.worktrees_dir.join(format!(".broken-{name}-{n}"));
            if !candidate.exists() {
                break candidate;
            }
            n += 1;
        };
        tracing::warn!(from = %path.display(), to = %aside.display(), "a half-made worktree moved aside");
        std::fs::rename(path, &aside).map_err(io_err(path, "move the broken worktree aside"))
    }

    /// If `refname` is checked out somewhere other than `agent`'s worktree: take it from
    /// another shiftboss worktree (keep its work, detach its HEAD), refuse otherwise.
    fn release_branch(
        &self,
        refname: &str,
        branch: &str,
        agent: &AgentId,
        at: Millis,
    ) -> Result<(), GitError> {
        if !self.main.is_bare() && head_branch(&self.main, &self.root)?.as_deref() == Some(refname)
        {
            return Err(GitError::CheckedOutElsewhere {
                repo: self.root.clone(),
                branch: branch.to_string(),
                holder: self.root.clone(),
            });
        }
        for (name, held) in self.holders_of(refname, agent.as_str()) {
            // The one holder found is looked at in full before it is touched.
            if !self.still_valid(&name) {
                continue;
            }
            if held.ours {
                let other = AgentId::from(name.as_str());
                let ours_path = self.worktree_path(&other);
                let wt = self.wt(&ours_path)?;
                let head = head_branch(&wt, &ours_path)?;
                if head.as_deref() != Some(refname) {
                    self.note_head(&name, &ours_path, head.as_deref());
                    continue;
                }
                self.keep_work(&wt, &ours_path, &other, at)?;
                let tip = head_commit(&wt, &ours_path)?.map(|c| c.id());
                if let Some(tip) = tip {
                    wt.set_head_detached(tip).ctx_with(&ours_path, || {
                        format!("detach HEAD to hand `{branch}` over")
                    })?;
                    self.note_head(&name, &ours_path, None);
                }
            } else {
                return Err(GitError::CheckedOutElsewhere {
                    repo: self.root.clone(),
                    branch: branch.to_string(),
                    holder: held.path,
                });
            }
        }
        Ok(())
    }

    /// Commit any uncommitted change in a worktree on its branch. A detached HEAD
    /// (or, defensively, the target checked out) first gets a rescue branch.
    fn keep_work(
        &self,
        wt: &Repository,
        path: &Path,
        agent: &AgentId,
        at: Millis,
    ) -> Result<(), GitError> {
        let tree_id = stage_all(wt, path)?;
        let head = head_commit(wt, path)?;
        if head.as_ref().is_some_and(|c| c.tree_id() == tree_id) {
            return Ok(());
        }
        let on_branch = head_branch(wt, path)?;
        let unsafe_head = match &on_branch {
            None => true,
            Some(r) => *r == self.target_ref,
        };
        if let (true, Some(head)) = (unsafe_head, &head) {
            let short = head.id().to_string()[..10].to_string();
            let mut rescue = format!("{BRANCH_PREFIX}{agent}/rescued-{short}");
            let mut n = 1;
            while self.branch_oid(&rescue)?.is_some() {
                n += 1;
                rescue = format!("{BRANCH_PREFIX}{agent}/rescued-{short}-{n}");
            }
            // Never forced: an earlier rescue branch of the same name keeps its work.
            wt.branch(&rescue, head, false)
                .ctx_with(path, || format!("create rescue branch `{rescue}`"))?;
            let rescue_ref = format!("refs/heads/{rescue}");
            wt.set_head(&rescue_ref)
                .ctx_with(path, || format!("switch HEAD to `{rescue}`"))?;
            self.note_head(agent.as_str(), path, Some(&rescue_ref));
        }
        let sig = signature(path, KEEPER_NAME, KEEPER_EMAIL, at)?;
        commit_tree(wt, path, tree_id, WIP_MESSAGE, &sig)?;
        Ok(())
    }

    /// Remove `agent`'s worktree (its directory and git's registration of it) only
    /// if it is clean (ignored files aside) and what it has checked out is
    /// contained in the target. Returns Ok(true) when no worktree is left (removed
    /// now, or there was none), Ok(false) when it refused. Branches are never
    /// deleted.
    pub fn remove_worktree_if_safe(&self, agent: &AgentId) -> Result<bool, GitError> {
        self.check_agent_name(agent)?;
        let name = agent.as_str();
        let path = self.worktree_path(agent);
        if !self.has_worktree_named(name)? {
            return Ok(true);
        }
        let meta = self
            .main
            .find_worktree(name)
            .ctx_with(&self.root, || format!("look up worktree `{name}`"))?;
        if meta.validate().is_err() {
            if path.exists() {
                return Ok(false);
            }
            self.forget(&path);
            meta.prune(None)
                .ctx_with(&self.root, || format!("prune the stale worktree `{name}`"))?;
            return Ok(true);
        }
        if !same_path(meta.path(), &path) {
            return Ok(false);
        }
        let safe = {
            let wt = self.wt(&path)?;
            let merged = match head_commit(&wt, &path)? {
                Some(c) => self.contained_in(c.id(), self.target_oid()?)?,
                None => true,
            };
            merged && is_clean(&wt, &path)?
        };
        if !safe {
            return Ok(false);
        }
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true).working_tree(true);
        if !meta
            .is_prunable(Some(&mut opts))
            .ctx_with(&self.root, || format!("check worktree `{name}`"))?
        {
            return Ok(false);
        }
        self.forget(&path);
        meta.prune(Some(&mut opts))
            .ctx_with(&self.root, || format!("remove worktree `{name}`"))?;
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(io_err(&path, "remove the worktree directory"))?;
        }
        Ok(true)
    }
}
