//! Whether git's content filters can change a file a checkout writes.
//!
//! For every file it writes, libgit2 asks which attributes apply to it
//! (a look for `.gitattributes` in each of its folders, in the worktree and
//! in the index) and whether its line endings are converted. It has two
//! filters of its own, line endings (`text`, `eol`, `crlf` attributes, or
//! `core.autocrlf`) and `ident` (the `ident` attribute); shiftboss registers
//! none. So when no attribute is set anywhere and `core.autocrlf` is off,
//! every file passes through unchanged, and a checkout can skip the
//! question (`disable_filters`): the same files, without a lookup per
//! folder per file written.
//!
//! "No attribute anywhere": no `.gitattributes` in the tree the worktree
//! holds or the one it gets, or at the worktree's top; no attributes file of the
//! repository (`info/attributes`), of the user (`core.attributesFile`, else
//! `$XDG_CONFIG_HOME/git/attributes` or `~/.config/git/attributes`) or of
//! the system (`/etc/gitattributes`). The index is taken to hold what the
//! worktree's HEAD holds, and a `.gitattributes` no commit has, below the
//! top of a worktree, is not looked for: shiftboss's own checkouts (queue
//! and gate) start from what they last checked out and remove untracked
//! files, and an agent's worktree has what it holds committed before it
//! switches (or holds only commits: the simulator's).
//!
//! Which trees hold a `.gitattributes` is remembered by tree id: a tree
//! never changes, and a new tip shares most of its subtrees with the last.

use super::Repo;
use git2::{ObjectType, Oid, Repository};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file name git reads attributes from in a tree's folders.
const ATTRIBUTES: &[u8] = b".gitattributes";

/// Trees remembered before the memory starts over (each entry ~40 bytes).
const REMEMBERED: usize = 200_000;

/// Trees known to hold (or not) a `.gitattributes` somewhere below them.
#[derive(Default)]
pub(super) struct AttributeTrees {
    known: HashMap<Oid, bool>,
}

impl AttributeTrees {
    /// Whether the tree `id` holds a `.gitattributes` at any depth. A tree
    /// that cannot be read counts as holding one.
    fn holds(&mut self, repo: &Repository, id: Oid) -> bool {
        if let Some(&held) = self.known.get(&id) {
            return held;
        }
        let held = match repo.find_tree(id) {
            Ok(tree) => {
                tree.iter().any(|e| e.name_bytes() == ATTRIBUTES)
                    || tree
                        .iter()
                        .filter(|e| e.kind() == Some(ObjectType::Tree))
                        .any(|e| self.holds(repo, e.id()))
            }
            Err(_) => true,
        };
        if self.known.len() >= REMEMBERED {
            self.known.clear();
        }
        self.known.insert(id, held);
        held
    }
}

/// The attributes files outside any tree that libgit2 reads, whether or
/// not they exist: the repository's, the user's and the system's.
fn attribute_files(wt: &Repository, common: &Path) -> Vec<PathBuf> {
    let mut files = vec![
        common.join("info").join("attributes"),
        wt.path().join("info").join("attributes"),
        PathBuf::from("/etc/gitattributes"),
    ];
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        files.push(PathBuf::from(x).join("git").join("attributes"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        files.push(PathBuf::from(home).join(".config/git/attributes"));
    }
    files
}

/// Whether the configuration `config` (a snapshot of what a worktree
/// reads) could turn a filter on without any attribute: `core.autocrlf`
/// set to anything but false, or a user attributes file named.
fn config_may_filter(config: &git2::Config) -> bool {
    let autocrlf = match config.get_bool("core.autocrlf") {
        Ok(on) => on,
        Err(e) => e.code() != git2::ErrorCode::NotFound,
    };
    let attributes_file = match config.get_string("core.attributesfile") {
        Ok(_) => true,
        Err(e) => e.code() != git2::ErrorCode::NotFound,
    };
    autocrlf || attributes_file
}

impl Repo {
    /// Whether a checkout in the worktree `wt`, moving it between the trees
    /// `trees` (what it holds, what it gets), may have a filter change a
    /// file it writes (see the module docs). False only when it is sure
    /// none can; anything it cannot read says true.
    pub(super) fn filters_may_apply(&self, wt: &Repository, trees: &[Oid]) -> bool {
        match wt.config().and_then(|mut c| c.snapshot()) {
            Ok(config) => self.filters_may_apply_with(wt, &config, trees),
            Err(_) => true,
        }
    }

    /// As [`Repo::filters_may_apply`], with `config` the snapshot of the
    /// configuration `wt` reads, read by the caller.
    pub(super) fn filters_may_apply_with(
        &self,
        wt: &Repository,
        config: &git2::Config,
        trees: &[Oid],
    ) -> bool {
        if config_may_filter(config) {
            return true;
        }
        let files = attribute_files(wt, self.main.commondir());
        if files.iter().any(|f| f.symlink_metadata().is_ok()) {
            return true;
        }
        if let Some(top) = wt.workdir()
            && top.join(".gitattributes").symlink_metadata().is_ok()
        {
            return true;
        }
        let mut known = self.attribute_trees.borrow_mut();
        trees.iter().any(|&t| known.holds(&self.main, t))
    }

    /// The tree `wt`'s HEAD holds, if it holds a commit.
    pub(super) fn head_tree(wt: &Repository) -> Option<Oid> {
        wt.head()
            .and_then(|h| h.peel_to_tree())
            .ok()
            .map(|t| t.id())
    }
}
