//! A batch's candidate merges written in memory, then stored at once.
//!
//! Merging a batch writes a tree and a commit per entry (and the blobs the
//! `auto` and `ai` tiers resolve), and a failed try writes objects nothing
//! will name. In memory they cost nothing; once the candidate is made, the
//! objects it reaches that are not on disk yet are stored as loose objects
//! (see [`super::loose`]) and the rest is dropped. They are stored before
//! anything else can see the candidate: before the queue worktree checks it
//! out and before the target moves to it, so the target only ever names
//! objects that are stored on disk.

use super::loose;
use super::{Ctx, GitError, Repo};
use git2::{ObjectType, Odb, OdbLookupFlags, OdbObject, Oid};
use std::collections::HashSet;

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
    /// succeeds, the commit it returns and every object it reaches that is
    /// not on disk yet are stored before this returns. What
    /// `work` wrote and the commit does not reach is dropped, and when it
    /// fails nothing it wrote is stored.
    pub(super) fn objects_in_memory<V>(
        &self,
        work: impl FnOnce() -> Result<(Oid, V), GitError>,
    ) -> Result<(Oid, V), GitError> {
        self.objects_in_memory_of(&self.main, work)
    }

    /// As [`Repo::objects_in_memory`], for what `repo` (the main
    /// repository or one of its worktrees) writes.
    pub(super) fn objects_in_memory_of<V>(
        &self,
        repo: &git2::Repository,
        work: impl FnOnce() -> Result<(Oid, V), GitError>,
    ) -> Result<(Oid, V), GitError> {
        self.objects_in_memory_listed(repo, || work().map(|(root, v)| (root, v, None)))
    }

    /// As [`Repo::objects_in_memory_of`], where `work` may also list the
    /// only objects its result can reach that may not be on disk, each
    /// after everything it names that may not be either (the root last):
    /// those are stored, and the walk from the root is not made. The
    /// caller vouches for the list: every other object the root reaches is
    /// on disk.
    pub(super) fn objects_in_memory_listed<V>(
        &self,
        repo: &git2::Repository,
        work: impl FnOnce() -> Result<(Oid, V, Option<Vec<Oid>>), GitError>,
    ) -> Result<(Oid, V), GitError> {
        let disk = repo.odb().ctx(&self.root, "open the object database")?;
        let memory = Odb::new().ctx(&self.root, "make an object database in memory")?;
        let objects = self.objects_dir();
        let Some(objects_str) = objects.to_str() else {
            // A path libgit2 cannot take as text: write straight to disk.
            return work().map(|(root, v, _)| (root, v));
        };
        memory
            .add_disk_alternate(objects_str)
            .ctx(&self.root, "read the objects on disk")?;
        memory
            .add_new_mempack_backend(MEMORY_FIRST)
            .ctx(&self.root, "keep new objects in memory")?;
        repo.set_odb(&memory)
            .ctx(&self.root, "keep new objects in memory")?;
        let restore = Restore { repo, disk: &disk };
        let (root, value, listed) = work()?;
        match listed {
            Some(listed) => self.store_listed(&listed, &memory, &disk)?,
            None => self.store_loose(root, &memory, &disk)?,
        }
        drop(restore);
        Ok((root, value))
    }

    /// The objects folder every worktree of the repository shares (under
    /// its common directory: a project opened at a linked worktree of its
    /// own has no objects of its own).
    fn objects_dir(&self) -> std::path::PathBuf {
        self.main.commondir().join("objects")
    }

    /// Write `root` and what it reaches that `disk` lacks, read from
    /// `memory`, to disk as loose objects (see [`super::loose`]).
    fn store_loose(&self, root: Oid, memory: &Odb<'_>, disk: &Odb<'_>) -> Result<(), GitError> {
        let fresh = unstored(root, memory, disk).ctx(&self.root, "read the merged objects")?;
        self.store_objects(&fresh)
    }

    /// Write each of `listed` that `disk` lacks, read from `memory`, in
    /// their order (see [`Repo::objects_in_memory_listed`]).
    fn store_listed(
        &self,
        listed: &[Oid],
        memory: &Odb<'_>,
        disk: &Odb<'_>,
    ) -> Result<(), GitError> {
        let mut fresh = Vec::with_capacity(listed.len());
        for &id in listed {
            if !disk.exists_ext(id, OdbLookupFlags::NO_REFRESH) {
                fresh.push(memory.read(id).ctx(&self.root, "read the new objects")?);
            }
        }
        self.store_objects(&fresh)
    }

    fn store_objects(&self, fresh: &[OdbObject<'_>]) -> Result<(), GitError> {
        let objects = self.objects_dir();
        for o in fresh {
            loose::store(&objects, o.id(), o.kind(), o.data()).map_err(|e| GitError::Io {
                path: objects.clone(),
                action: "store the merged objects".into(),
                source: e,
            })?;
        }
        Ok(())
    }
}

/// `root` and every object it reaches that `disk` does not hold, read from
/// `memory`, each after everything it names (post-order). Stored in that
/// order, a tree or commit on disk has everything it reaches on disk too,
/// even when a store is cut short, so the walk stops at any object already
/// there; submodule commits are not followed.
fn unstored<'m>(
    root: Oid,
    memory: &'m Odb<'_>,
    disk: &Odb<'_>,
) -> Result<Vec<OdbObject<'m>>, git2::Error> {
    // (id, its object once read: the second visit, after its children).
    let mut todo: Vec<(Oid, Option<OdbObject<'m>>)> = vec![(root, None)];
    let mut seen = HashSet::new();
    let mut fresh = Vec::new();
    let mut children = Vec::new();
    while let Some((id, read)) = todo.pop() {
        if let Some(object) = read {
            fresh.push(object);
            continue;
        }
        if !seen.insert(id) || disk.exists_ext(id, OdbLookupFlags::NO_REFRESH) {
            continue;
        }
        let object = memory.read(id)?;
        children.clear();
        reached(object.kind(), object.data(), &mut children)?;
        todo.push((id, Some(object)));
        todo.extend(children.iter().map(|c| (*c, None)));
    }
    Ok(fresh)
}

/// The ids an object's raw content names: a commit's tree and parents, a
/// tree's entries (not submodules), a tag's object.
fn reached(kind: ObjectType, data: &[u8], out: &mut Vec<Oid>) -> Result<(), git2::Error> {
    let bad = || git2::Error::from_str("an object shiftboss cannot read");
    match kind {
        ObjectType::Commit | ObjectType::Tag => {
            for line in data.split(|b| *b == b'\n').take_while(|l| !l.is_empty()) {
                let hex = [&b"tree "[..], b"parent ", b"object "]
                    .iter()
                    .find_map(|key| line.strip_prefix(*key));
                if let Some(hex) = hex {
                    let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
                    out.push(Oid::from_str(hex)?);
                }
            }
        }
        ObjectType::Tree => {
            let mut rest = data;
            while !rest.is_empty() {
                let nul = rest.iter().position(|b| *b == 0).ok_or_else(bad)?;
                let id = rest.get(nul + 1..nul + 21).ok_or_else(bad)?;
                if !rest.starts_with(b"160000 ") {
                    out.push(Oid::from_bytes(id)?);
                }
                rest = &rest[nul + 21..];
            }
        }
        _ => {}
    }
    Ok(())
}
