//! Named paths committed as their bytes: the simulator's commits.
//!
//! When the caller alone changed the worktree since shiftboss last wrote
//! its index, no content filter can apply (`filters.rs`), the config
//! trusts the file system's modes, links and case, and every named path is
//! a regular file or gone, a file is stored as its bytes with its own
//! executable bit. Then:
//!  - the blobs, trees and commit are written in memory and stored as
//!    loose objects at once, each after what it names (`mem_odb.rs`):
//!    the blobs the commit adds and the trees on the way to the paths it
//!    changed, the rest of its tree being its parent's, on disk already;
//!  - the index is read and written as a file of its own, so libgit2 does
//!    not hash again the files it recorded in the same instant as its last
//!    write (git's "racily clean" entries): no one else wrote them;
//!  - the branch moves last, by compare-and-swap from the parent, with the
//!    reflog line `git commit` writes.
//!
//! Anything else goes through libgit2's staging (`stage.rs`).

use super::stage::{inside, look};
use super::worktree::head_commit;
use super::{Ctx, GitError, Repo, io_err};
use git2::{Commit, Index, IndexEntry, IndexTime, Oid, Repository, Signature};
use std::fs::Metadata;
use std::path::Path;

/// Named paths that can be committed as their bytes: each with what is
/// there now (None: nothing), and the commit HEAD names, their parent.
pub(super) struct Plain<'p, 'r> {
    files: Vec<(&'p str, Option<Metadata>)>,
    parent: Commit<'r>,
    /// The worktree's index, read from its file.
    index: Index,
}

impl Repo {
    /// The named paths, each with what is there now, when they can be
    /// committed as their bytes (see the module docs); None when not.
    pub(super) fn plain_paths<'p, 'r>(
        &self,
        wt: &'r Repository,
        path: &Path,
        paths: &'p [String],
    ) -> Result<Option<Plain<'p, 'r>>, GitError> {
        let mut files = Vec::with_capacity(paths.len());
        for rel in paths {
            let meta = look(path, inside(path, rel)?)?;
            let regular = meta.as_ref().is_none_or(|m| m.file_type().is_file());
            if !regular || rel.rsplit('/').next() == Some(".gitattributes") {
                return Ok(None);
            }
            files.push((rel.as_str(), meta));
        }
        let Ok(config) = wt.config().and_then(|mut c| c.snapshot()) else {
            return Ok(None);
        };
        // The index as a file of its own, so libgit2 does not hash again
        // files no one else wrote; a path in conflict is resolved by
        // libgit2's staging.
        let index = match Index::open(&wt.path().join("index")) {
            Ok(index) if !index.has_conflicts() => index,
            _ => return Ok(None),
        };
        let setting = |key: &str, unset: bool| match config.get_bool(key) {
            Ok(on) => Some(on),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Some(unset),
            Err(_) => None,
        };
        let trusted = setting("core.filemode", true) == Some(true)
            && setting("core.symlinks", true) == Some(true)
            && setting("core.ignorecase", false) == Some(false);
        match head_commit(wt, path)? {
            Some(parent)
                if trusted && !self.filters_may_apply_with(wt, &config, &[parent.tree_id()]) =>
            {
                Ok(Some(Plain {
                    files,
                    parent,
                    index,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Commit `plain` on `branch`, the branch HEAD names in the worktree
    /// `wt` (see the module docs). None when the tree is HEAD's; else the
    /// commit and the number of files it changed.
    pub(super) fn commit_plain(
        &self,
        wt: &Repository,
        path: &Path,
        branch: &str,
        plain: Plain<'_, '_>,
        message: &str,
        sig: &Signature<'_>,
    ) -> Result<Option<(Oid, u32)>, GitError> {
        let Plain {
            files,
            parent,
            mut index,
        } = plain;
        let (root, made) = self.objects_in_memory_listed(wt, || {
            let tree_id = stage(wt, path, &files, &mut index)?;
            if tree_id == parent.tree_id() {
                return Ok((tree_id, None, Some(Vec::new())));
            }
            let tree = wt.find_tree(tree_id).ctx(path, "read the staged tree")?;
            let parent_tree = parent.tree().ctx(path, "read HEAD's tree")?;
            let diff = wt
                .diff_tree_to_tree(Some(&parent_tree), Some(&tree), None)
                .ctx(path, "diff the staged tree against HEAD")?;
            let changed = u32::try_from(diff.deltas().len()).unwrap_or(u32::MAX);
            let id = wt
                .commit(None, sig, sig, message, &tree, &[&parent])
                .ctx(path, "commit")?;
            let commit = wt.find_commit(id).ctx(path, "read the commit")?;
            let summary =
                String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned();
            let listed = new_objects(wt, &diff, &files, &tree, &parent_tree).map(|mut listed| {
                listed.push(id);
                listed
            });
            Ok((id, Some((changed, summary)), listed))
        })?;
        // Every object the index and the commit name is stored by now.
        index.write().ctx(path, "write the index")?;
        // The worktree's own handle reads this index from now on, not the
        // one it may hold from before.
        wt.set_index(&mut index).ctx(path, "use the index")?;
        let Some((changed, summary)) = made else {
            return Ok(None);
        };
        wt.reference_matching(
            branch,
            root,
            true,
            parent.id(),
            &format!("commit: {summary}"),
        )
        .ctx(path, "move the branch to the commit")?;
        Ok(Some((root, changed)))
    }
}

/// The objects a commit of `tree` over its parent's tree `parent` may
/// reach that are not on disk, each after what it names, the tree last:
/// the blobs `diff` (`parent` to `tree`) adds, and the trees on the way to
/// each path it changed, deepest first. Every other entry of those trees
/// is checked to be the parent's own, so every other object `tree`
/// reaches is one the parent reaches, on disk. None when that does not
/// hold (the diff names a path that is not one of `files`, as when the
/// index held other changes, or a tree off the changed paths was written
/// anew, as when the parent's was not in git's own form): then the caller
/// walks the tree instead.
fn new_objects(
    repo: &Repository,
    diff: &git2::Diff<'_>,
    files: &[(&str, Option<Metadata>)],
    tree: &git2::Tree<'_>,
    parent: &git2::Tree<'_>,
) -> Option<Vec<Oid>> {
    let named: std::collections::HashSet<&[u8]> =
        files.iter().map(|(rel, _)| rel.as_bytes()).collect();
    let mut blobs = Vec::new();
    // The changed paths and every folder on their way.
    let mut on_the_way: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    let mut folders: Vec<&[u8]> = vec![b""];
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            let Some(p) = file.path_bytes() else {
                continue;
            };
            if !named.contains(p) {
                return None;
            }
            on_the_way.insert(p);
            let mut at = 0;
            while let Some(i) = p[at..].iter().position(|b| *b == b'/') {
                if on_the_way.insert(&p[..at + i]) {
                    folders.push(&p[..at + i]);
                }
                at += i + 1;
            }
        }
        let new = delta.new_file();
        if new.exists() && !new.id().is_zero() {
            blobs.push(new.id());
        }
    }
    // Deepest first, the top (no name) last.
    let depth = |f: &&[u8]| match f.len() {
        0 => 0,
        _ => 1 + f.iter().filter(|b| **b == b'/').count(),
    };
    folders.sort_by_key(|f| std::cmp::Reverse(depth(f)));
    // The tree at `folder` in `root`: Ok(None) when no folder is there
    // (removed, or a file in its place), Err when it cannot be read.
    let tree_at = |root: &git2::Tree<'_>, folder: &[u8]| -> Result<Option<Oid>, ()> {
        use std::os::unix::ffi::OsStrExt;
        if folder.is_empty() {
            return Ok(Some(root.id()));
        }
        match root.get_path(Path::new(std::ffi::OsStr::from_bytes(folder))) {
            Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => Ok(Some(e.id())),
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(_) => Err(()),
        }
    };
    let mut listed = blobs;
    for folder in folders {
        // A folder the commit removed names nothing new.
        let Some(new) = tree_at(tree, folder).ok()? else {
            continue;
        };
        let new = repo.find_tree(new).ok()?;
        let old = tree_at(parent, folder)
            .ok()?
            .and_then(|id| repo.find_tree(id).ok());
        for entry in new.iter() {
            let name = entry.name_bytes();
            let path = if folder.is_empty() {
                name.to_vec()
            } else {
                [folder, b"/", name].concat()
            };
            if on_the_way.contains(path.as_slice()) {
                continue;
            }
            let kept = old
                .as_ref()
                .and_then(|o| o.get_name_bytes(name))
                .is_some_and(|o| o.id() == entry.id() && o.filemode_raw() == entry.filemode_raw());
            if !kept {
                return None;
            }
        }
        listed.push(new.id());
    }
    Some(listed)
}

/// Stage `files` in `index` (the worktree `path`'s, open as a file of its
/// own) with each blob written through `wt`; the staged tree's id.
fn stage(
    wt: &Repository,
    path: &Path,
    files: &[(&str, Option<Metadata>)],
    index: &mut Index,
) -> Result<Oid, GitError> {
    for (rel, meta) in files {
        let p = Path::new(rel);
        let Some(meta) = meta else {
            index
                .remove_path(p)
                .ctx_with(path, || format!("stage the removal of `{rel}`"))?;
            continue;
        };
        let tracked = index.get_path(p, 0).is_some();
        if !tracked && wt.is_path_ignored(p).ctx(path, "read .gitignore")? {
            continue;
        }
        let bytes = std::fs::read(path.join(p)).map_err(io_err(&path.join(p), "read the file"))?;
        let id = wt
            .blob(&bytes)
            .ctx_with(path, || format!("store `{rel}`"))?;
        index
            .add(&entry_of(meta, id, rel))
            .ctx_with(path, || format!("stage `{rel}`"))?;
    }
    index.write_tree_to(wt).ctx(path, "write the tree")
}

/// The index's record of the regular file `rel` with metadata `meta`
/// stored as `id`, as git records it (times, device, inode, mode, size
/// truncated to 32 bits).
fn entry_of(meta: &Metadata, id: Oid, rel: &str) -> IndexEntry {
    use std::os::unix::fs::MetadataExt;
    let time = |secs: i64, nanos: i64| IndexTime::new(secs as i32, nanos as u32);
    let mode = if meta.mode() & 0o100 != 0 {
        0o100755
    } else {
        0o100644
    };
    IndexEntry {
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.len() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: rel.as_bytes().to_vec(),
    }
}
