//! Which branch each linked worktree of the repository has checked out, kept
//! in memory so that preparing an agent's worktree costs the same at 300
//! agents as at 3.
//!
//! Git records a linked worktree under `<git dir>/worktrees/<name>/`: its
//! `gitdir` file names the worktree's folder and its `HEAD` file what it has
//! checked out. The map is read once, on first use: each worktree's folder,
//! whether it is shiftboss's own (`<worktrees_dir>/<name>`) and its HEAD.
//! After that only what shiftboss cannot know is read again:
//!  - its own worktrees' HEADs are written into the map by the [`Repo`]
//!    operations that move them. While only shiftboss moves them (simulated
//!    agents, see [`Repo::trust_worktree_heads`]) they are never read back;
//!    otherwise a real agent may have run `git switch` there, and their HEAD
//!    files are read when a branch's holder is looked for;
//!  - worktrees shiftboss does not manage are read each time;
//!  - the list of worktrees is read again only when git's `worktrees` folder
//!    changed (a worktree added or pruned by someone else).
//!
//! The one worktree found holding a branch is checked in full before it is
//! acted on, as is an agent's own worktree before it is reused.

use super::Repo;
use crate::domain::AgentId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One registered worktree as the map knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Held {
    /// Shiftboss's own: `<worktrees_dir>/<name>`, a usable agent name.
    pub ours: bool,
    /// Its folder.
    pub path: PathBuf,
    /// What its HEAD names (`refs/heads/...`), None when detached.
    pub head: Option<String>,
}

/// The map of one [`Repo`]; see the module docs.
#[derive(Debug, Default)]
pub(super) struct WorktreeMap {
    /// Whether the listing was read.
    loaded: bool,
    /// The `worktrees` folder's stamp when it was last listed.
    stamp: Option<(std::time::SystemTime, u64)>,
    /// Usable worktrees by name (stale registrations are left out).
    held: BTreeMap<String, Held>,
    /// Only shiftboss moves its worktrees' HEADs: what the map says is true.
    pub trusted: bool,
}

/// The branch a worktree's HEAD file names, None when detached or unreadable.
fn read_head(admin: &Path) -> Option<String> {
    let text = std::fs::read_to_string(admin.join("HEAD")).ok()?;
    text.strip_prefix("ref: ").map(|r| r.trim_end().to_string())
}

/// The folder a worktree's `gitdir` file points into (its `.git` file's parent).
fn read_path(admin: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(admin.join("gitdir")).ok()?;
    let git_file = PathBuf::from(text.trim_end());
    git_file.parent().map(Path::to_path_buf)
}

fn stamp_of(dir: &Path) -> Option<(std::time::SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(dir).ok()?;
    Some((m.modified().ok()?, m.nlink()))
}

impl Repo {
    /// git's folder of worktree records: `<git dir>/worktrees`.
    fn worktree_admin(&self) -> PathBuf {
        self.main.commondir().join("worktrees")
    }

    /// Trust the map of HEADs: nothing but shiftboss moves its worktrees'
    /// HEADs (no agent process runs git in them). Off by default.
    pub fn trust_worktree_heads(&mut self, trusted: bool) {
        self.map.get_mut().trusted = trusted;
    }

    /// Bring the listing up to date: read it on first use and again when
    /// git's `worktrees` folder changed; new names are looked at once.
    fn refresh_map(&self) {
        let admin = self.worktree_admin();
        let stamp = stamp_of(&admin);
        {
            let map = self.map.borrow();
            if map.loaded && stamp.is_some() && map.stamp == stamp {
                return;
            }
        }
        let names: Vec<String> = match std::fs::read_dir(&admin) {
            Ok(dir) => dir
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut map = self.map.borrow_mut();
        map.held.retain(|n, _| names.contains(n));
        for name in names {
            if map.held.contains_key(&name) {
                continue;
            }
            if let Some(held) = self.look_at(&name) {
                map.held.insert(name, held);
            }
        }
        map.loaded = true;
        map.stamp = stamp;
    }

    /// A worktree record seen for the first time: None when it is stale.
    fn look_at(&self, name: &str) -> Option<Held> {
        let meta = self.main.find_worktree(name).ok()?;
        meta.validate().ok()?;
        let admin = self.worktree_admin().join(name);
        let path = read_path(&admin).unwrap_or_else(|| meta.path().to_path_buf());
        let agent = AgentId::from(name);
        let ours = self.check_agent_name(&agent).is_ok()
            && super::worktree::same_path(&path, &self.worktree_path(&agent));
        Some(Held {
            ours,
            path,
            head: read_head(&admin),
        })
    }

    /// Record that `name`'s worktree (shiftboss's own, at `path`) now has
    /// `head` checked out.
    pub(super) fn note_head(&self, name: &str, path: &Path, head: Option<&str>) {
        let mut map = self.map.borrow_mut();
        if !map.loaded {
            return;
        }
        map.held.insert(
            name.to_string(),
            Held {
                ours: true,
                path: path.to_path_buf(),
                head: head.map(str::to_string),
            },
        );
    }

    /// Forget `name`'s worktree (removed or pruned).
    pub(super) fn note_gone(&self, name: &str) {
        self.map.borrow_mut().held.remove(name);
    }

    /// What the map knows of `name`'s worktree (listing brought up to date).
    pub(super) fn known_worktree(&self, name: &str) -> Option<Held> {
        self.refresh_map();
        self.map.borrow().held.get(name).cloned()
    }

    /// The worktrees other than `except` that have `refname` checked out,
    /// by name. What the map cannot vouch for is read from git's records.
    pub(super) fn holders_of(&self, refname: &str, except: &str) -> Vec<(String, Held)> {
        self.refresh_map();
        let admin = self.worktree_admin();
        let mut map = self.map.borrow_mut();
        let trusted = map.trusted;
        let mut found = Vec::new();
        for (name, held) in map.held.iter_mut() {
            if name == except {
                continue;
            }
            if !(held.ours && trusted) {
                held.head = read_head(&admin.join(name));
            }
            if held.head.as_deref() == Some(refname) {
                found.push((name.clone(), held.clone()));
            }
        }
        found
    }

    /// Whether `name`'s worktree record is usable (its folder is there).
    pub(super) fn still_valid(&self, name: &str) -> bool {
        self.main
            .find_worktree(name)
            .is_ok_and(|w| w.validate().is_ok())
    }
}

#[cfg(test)]
#[path = "worktree_map_tests.rs"]
mod tests;
