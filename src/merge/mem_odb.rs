//! A batch's candidate merges written in memory, then stored as one pack.
//!
//! Merging a batch writes a tree and a commit per entry (and the blobs the
//! `auto` and `ai` tiers resolve). As loose objects each is a compressed
//! file of its own, created, written and renamed into place; a batch of
//! eight is dozens of new files before its gate can start. In memory they
//! cost nothing, and one pack (a `.pack` and its `.idx`) stores them all.
//! The pack is written before anything else can see the candidate: before
//! the queue worktree checks it out and before the target moves to it, so
//! the target only ever names objects that are stored on disk.

use super::{Ctx, GitError, Repo};
use git2::{Buf, Mempack, Odb};
use std::io::Write;

/// Above the disk's own backends (loose 1, packed 2): new objects go here
/// and the candidate's own objects are read from here first.
const MEMORY_FIRST: i32 = 1000;

/// Puts the repository's own object database back however the work ends.
struct Restore<'a> {
    repo: &'a git2::Repository,
    disk: &'a Odb<'a>,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        // Setting an odb only fails on a null pointer; nothing to do if it did.
        let _ = self.repo.set_odb(self.disk);
    }
}

impl Repo {
    /// Run `work` with every object the main repository writes kept in
    /// memory (objects already on disk are read from there); when it
    /// succeeds, what it wrote is stored as one pack before this returns.
    /// When it fails, nothing it wrote is stored.
    pub(super) fn objects_in_memory<T>(
        &self,
        work: impl FnOnce() -> Result<T, GitError>,
    ) -> Result<T, GitError> {
        let disk = self
            .main
            .odb()
            .ctx(&self.root, "open the object database")?;
        let memory = Odb::new().ctx(&self.root, "make an object database in memory")?;
        let objects = self.main.path().join("objects");
        let Some(objects_str) = objects.to_str() else {
            // A path libgit2 cannot take as text: write straight to disk.
            return work();
        };
        memory
            .add_disk_alternate(objects_str)
            .ctx(&self.root, "read the objects on disk")?;
        let pack = memory
            .add_new_mempack_backend(MEMORY_FIRST)
            .ctx(&self.root, "keep new objects in memory")?;
        self.main
            .set_odb(&memory)
            .ctx(&self.root, "keep new objects in memory")?;
        let restore = Restore {
            repo: &self.main,
            disk: &disk,
        };
        let out = work()?;
        self.store_pack(&pack, &disk)?;
        drop(restore);
        Ok(out)
    }

    /// Write what `pack` holds to disk as one pack file with its index.
    fn store_pack(&self, pack: &Mempack<'_>, disk: &Odb<'_>) -> Result<(), GitError> {
        let mut buf = Buf::new();
        pack.dump(&self.main, &mut buf)
            .ctx(&self.root, "pack the merged objects")?;
        // A pack's header: "PACK", version, then the number of objects.
        let count = buf
            .get(8..12)
            .map_or(0, |n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]));
        if count == 0 {
            return Ok(());
        }
        let mut writer = disk
            .packwriter()
            .ctx(&self.root, "store the merged objects")?;
        writer.write_all(&buf).map_err(|e| GitError::Io {
            path: self.main.path().join("objects/pack"),
            action: "store the merged objects".into(),
            source: e,
        })?;
        writer
            .commit()
            .ctx(&self.root, "store the merged objects")?;
        self.index_packs(disk);
        Ok(())
    }

    /// Index every stored pack in one multi-pack-index. A queue writes a
    /// pack per candidate, and without it each object lookup searches the
    /// packs one by one (hundreds in a day). The index is only a cache of
    /// what the packs hold: when it cannot be written, lookups stay slower
    /// and nothing else changes.
    fn index_packs(&self, disk: &Odb<'_>) {
        let written = disk
            .refresh()
            .and_then(|()| crate::sys::write_multi_pack_index(disk));
        if let Err(e) = written {
            tracing::warn!(repo = %self.root.display(), error = %e, "the multi-pack-index was not written");
        }
    }
}
