//! The operator's own checkout (the repository root's worktree) when it has
//! the target branch checked out. Like git's `receive.denyCurrentBranch =
//! updateInstead`: a clean checkout follows each landing (index and files
//! move from the old target tree to the new one, as `git read-tree -u -m`
//! would); a checkout with changes to tracked files holds landings, and the
//! files are named so the operator can commit, stash or detach.

use super::worktree::limit_to_changes;
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
        // Its time before it is read: an index written meanwhile makes
        // more files look racy, never fewer.
        let stamp = index_stamp(&index);
        index.read(true).ctx(&self.root, "read the index")?;
        // A file recorded in the instant the index was written is read
        // and compared by content, which holds only without filters.
        let plain = || match self.main.head().and_then(|h| h.peel_to_tree()) {
            Ok(tree) => !self.filters_may_apply(&self.main, &[tree.id()]),
            Err(_) => false,
        };
        if let (Some(top), Some(stamp)) = (self.main.workdir(), stamp)
            && files_as_indexed(top, &index, stamp, plain)
            && self.index_is_head(&index)
        {
            return Ok(Vec::new());
        }
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

    /// Whether the index holds exactly HEAD's tree.
    fn index_is_head(&self, index: &git2::Index) -> bool {
        let Ok(head) = self.main.head().and_then(|h| h.peel_to_tree()) else {
            return false;
        };
        let mut opts = git2::DiffOptions::new();
        opts.ignore_submodules(true);
        self.main
            .diff_tree_to_index(Some(&head), Some(index), Some(&mut opts))
            .is_ok_and(|d| d.deltas().len() == 0)
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
        // The checkout holds nothing but HEAD's tree (and untracked
        // files), HEAD names `base`, so only the files that differ from it
        // are looked at.
        let mut in_way = Vec::new();
        let checked_out = {
            let commit = self
                .main
                .find_commit(new)
                .ctx(&self.root, "read the landed commit")?;
            let head = self
                .main
                .head()
                .and_then(|h| h.peel_to_commit())
                .ctx(&self.root, "read HEAD's commit")?;
            if head.id() != base {
                // The target moved since the batch was made: nothing is
                // written, and the compare-and-swap would refuse it too.
                return Err(GitError::TargetMoved {
                    repo: self.root.clone(),
                    branch: self.target.clone(),
                    expected: base.to_string(),
                    actual: head.id().to_string(),
                });
            }
            let mut co = CheckoutBuilder::new();
            co.safe();
            let top = self.main.workdir().unwrap_or(&self.root).to_path_buf();
            let changed =
                limit_to_changes(&mut co, &self.main, &top, head.tree_id(), commit.tree_id())
                    .ctx(&self.root, "compare the landed tree with HEAD's")?;
            co.notify_on(CheckoutNotificationType::CONFLICT);
            co.notify(|_, path, _, _, _| {
                if let Some(p) = path {
                    in_way.push(p.to_string_lossy().into_owned());
                }
                true
            });
            if changed {
                self.main.checkout_tree(commit.as_object(), Some(&mut co))
            } else {
                Ok(())
            }
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

/// When the index file was last written (seconds, nanoseconds).
fn index_stamp(index: &git2::Index) -> Option<(i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(index.path()?).ok()?;
    Some((m.mtime(), m.mtime_nsec()))
}

/// An index entry's stage bits (non-zero: a conflict).
const STAGE_BITS: u16 = 0x3000;
/// An index entry's extended flags `intent-to-add` and `skip-worktree`.
const UNUSUAL_BITS: u16 = (1 << 13) | (1 << 14);

/// Whether every file the index `index` of the worktree `top` records is
/// as it recorded it: by the file system's own record (size, times to the
/// nanosecond, inode, type, executable bit and owner all equal), and for a
/// file recorded in the same instant the index was written (`stamp`) or
/// after it (git's "racily clean" files) by its content too, read only
/// when `plain` says no filter applies. Then no tracked file changed.
/// False whenever in doubt, so a caller asks libgit2's status, which reads
/// what it must.
// The types of `stat`'s fields differ between targets: the casts stay.
#[allow(clippy::unnecessary_cast)]
fn files_as_indexed(
    top: &std::path::Path,
    index: &git2::Index,
    stamp: (i64, i64),
    plain: impl FnOnce() -> bool,
) -> bool {
    use rustix::fs::FileType;
    use std::os::unix::ffi::OsStrExt;
    let Some(mut files) = FolderStat::open(top) else {
        return false;
    };
    let mut plain = Some(plain);
    let mut readable = None;
    index.iter().all(|e| {
        if e.flags & STAGE_BITS != 0 || e.flags_extended & UNUSUAL_BITS != 0 {
            return false;
        }
        if e.mode == 0o160000 {
            // Submodules are not a checkout's changes here.
            return true;
        }
        let Some(m) = files.lstat(&e.path) else {
            return false;
        };
        let mtime = (
            i64::from(e.mtime.seconds()),
            i64::from(e.mtime.nanoseconds()),
        );
        let ctime = (
            i64::from(e.ctime.seconds()),
            i64::from(e.ctime.nanoseconds()),
        );
        let kind = FileType::from_raw_mode(m.st_mode as _);
        let kind_ok = match e.mode {
            0o100644 => kind == FileType::RegularFile && m.st_mode & 0o100 == 0,
            0o100755 => kind == FileType::RegularFile && m.st_mode & 0o100 != 0,
            0o120000 => kind == FileType::Symlink,
            _ => false,
        };
        let recorded = kind_ok
            && mtime == (m.st_mtime as i64, m.st_mtime_nsec as i64)
            && ctime == (m.st_ctime as i64, m.st_ctime_nsec as i64)
            && u64::from(e.file_size) == m.st_size as u64 & 0xffff_ffff
            && e.ino == m.st_ino as u32
            && e.uid == m.st_uid
            && e.gid == m.st_gid;
        if !recorded {
            return false;
        }
        if mtime < stamp {
            return true;
        }
        // Racily clean: the same content, or in doubt.
        let readable = *readable.get_or_insert_with(|| plain.take().is_some_and(|p| p()));
        readable
            && e.mode != 0o120000
            && std::fs::read(top.join(std::ffi::OsStr::from_bytes(&e.path)))
                .ok()
                .and_then(|bytes| git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok())
                == Some(e.id)
    })
}

/// `lstat` of a worktree's files, each by its name in an open handle of
/// its folder, the last folder kept: the kernel looks up one name per
/// file, not every folder from `/` down (an index lists a folder's files
/// together). Folders on the way are followed as a path would follow them.
struct FolderStat {
    top: rustix::fd::OwnedFd,
    /// The folder last opened, by its path from the top.
    folder: Option<(Vec<u8>, rustix::fd::OwnedFd)>,
}

impl FolderStat {
    const FOLDER: rustix::fs::OFlags = rustix::fs::OFlags::PATH
        .union(rustix::fs::OFlags::DIRECTORY)
        .union(rustix::fs::OFlags::CLOEXEC);

    fn open(top: &std::path::Path) -> Option<FolderStat> {
        let top = rustix::fs::open(top, Self::FOLDER, rustix::fs::Mode::empty()).ok()?;
        Some(FolderStat { top, folder: None })
    }

    /// The file `rel` (a path from the top, `/`-separated) as `lstat`
    /// sees it; None when it or a folder on its way cannot be read.
    fn lstat(&mut self, rel: &[u8]) -> Option<rustix::fs::Stat> {
        use std::os::unix::ffi::OsStrExt;
        let (folder, name) = match rel.iter().rposition(|b| *b == b'/') {
            Some(i) => (&rel[..i], &rel[i + 1..]),
            None => (&rel[..0], rel),
        };
        let at = if folder.is_empty() {
            &self.top
        } else {
            if self.folder.as_ref().is_none_or(|(f, _)| f != folder) {
                let fd = rustix::fs::openat(
                    &self.top,
                    std::ffi::OsStr::from_bytes(folder),
                    Self::FOLDER,
                    rustix::fs::Mode::empty(),
                )
                .ok()?;
                self.folder = Some((folder.to_vec(), fd));
            }
            &self.folder.as_ref()?.1
        };
        rustix::fs::statat(
            at,
            std::ffi::OsStr::from_bytes(name),
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{T0, git};
    use super::super::{Repo, init_demo_repo};
    use std::os::unix::fs::PermissionsExt;

    fn project() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        let files = [("README.md", "hi\n"), ("src/lib.rs", "// lib\n")];
        init_demo_repo(&root, "main", &files, T0).unwrap();
        // The files as git itself would check them out, its index written.
        git(&root, &["reset", "-q", "--hard"]);
        let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
        (dir, repo)
    }

    /// An entry whose file record matches but whose content does not: only
    /// a racy entry's content is read, and then the difference tells.
    #[test]
    fn a_racily_clean_file_is_judged_by_its_content() {
        let (_d, repo) = project();
        let root = repo.root().to_path_buf();
        let mut index = git2::Index::open(&root.join(".git/index")).unwrap();
        let mut entry = index
            .get_path(std::path::Path::new("src/lib.rs"), 0)
            .unwrap();
        entry.id = git2::Oid::hash_object(git2::ObjectType::Blob, b"// LIB\n").unwrap();
        index.add(&entry).unwrap();
        let later = (i64::MAX, 0);
        let earlier = (0, 0);
        assert!(super::files_as_indexed(&root, &index, later, || true));
        assert!(!super::files_as_indexed(&root, &index, earlier, || true));
        // Content that cannot be compared (filters) is a doubt.
        let mut index = git2::Index::open(&root.join(".git/index")).unwrap();
        index.read(true).unwrap();
        assert!(super::files_as_indexed(&root, &index, earlier, || true));
        assert!(!super::files_as_indexed(&root, &index, earlier, || false));
    }

    #[test]
    fn every_change_a_file_record_can_hide_still_holds_landings() {
        let (_d, repo) = project();
        let root = repo.root().to_path_buf();
        assert!(repo.checkout_holds().unwrap().is_empty());

        // The same size and the same modification time as the index says:
        // only the change time and the content tell.
        let lib = root.join("src/lib.rs");
        let mtime = std::fs::metadata(&lib).unwrap().modified().unwrap();
        std::fs::write(&lib, "// LIB\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&lib)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(repo.checkout_holds().unwrap(), ["src/lib.rs"]);
        git(&root, &["checkout", "-q", "--", "src/lib.rs"]);
        assert!(repo.checkout_holds().unwrap().is_empty());

        // Staged: the file is as the index records it, the index is not HEAD.
        std::fs::write(root.join("README.md"), "staged\n").unwrap();
        git(&root, &["add", "README.md"]);
        assert_eq!(repo.checkout_holds().unwrap(), ["README.md"]);
        git(&root, &["reset", "-q", "--hard"]);

        // Made executable; then gone.
        std::fs::set_permissions(&lib, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(repo.checkout_holds().unwrap(), ["src/lib.rs"]);
        std::fs::set_permissions(&lib, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::remove_file(root.join("README.md")).unwrap();
        assert_eq!(repo.checkout_holds().unwrap(), ["README.md"]);
    }

    /// A file looked up by its name in its folder's handle is what `lstat`
    /// of its whole path says: links not followed, folders on the way
    /// followed (a link to a folder included), and nothing for a path
    /// that is not there, whichever folder was open before.
    #[test]
    #[allow(clippy::unnecessary_cast)] // `stat`'s field types differ between targets
    fn a_file_by_its_folder_is_what_its_path_says() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::create_dir_all(top.join("src/deep")).unwrap();
        std::fs::write(top.join("top.txt"), "t").unwrap();
        std::fs::write(top.join("src/a.rs"), "aa").unwrap();
        std::fs::write(top.join("src/deep/b.rs"), "bbb").unwrap();
        std::os::unix::fs::symlink("a.rs", top.join("src/link")).unwrap();
        std::os::unix::fs::symlink("src/deep", top.join("via")).unwrap();
        let mut files = super::FolderStat::open(top).unwrap();
        for rel in [
            "src/a.rs",
            "src/link",
            "src/deep/b.rs",
            "top.txt",
            "via/b.rs",
            "src/a.rs",
            "src/none",
            "none/x",
            "src/a.rs/x",
        ] {
            let ours = files.lstat(rel.as_bytes());
            let theirs = std::fs::symlink_metadata(top.join(rel)).ok();
            assert_eq!(ours.is_some(), theirs.is_some(), "{rel}");
            if let (Some(o), Some(t)) = (ours, theirs) {
                assert_eq!(
                    (o.st_ino as u64, o.st_mode as u32, o.st_size as u64),
                    (t.ino(), t.mode(), t.size()),
                    "{rel}"
                );
            }
        }
    }
}
