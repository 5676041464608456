//! Objects stored as git's loose objects, written by shiftboss.
//!
//! A batch's merges make a handful of trees and commits. Stored as a pack,
//! each batch added a pack to the pack folder (over a hundred in a day),
//! and every pack costs each later write: libgit2 reads the whole pack
//! folder again whenever it writes an object it does not hold yet (each
//! commit made in an agent's worktree), and a multi-pack-index naming every
//! pack had to be written again per batch. One file per object, in git's
//! own format, adds nothing any later write has to read.
//!
//! The format: `objects/<2 hex>/<38 hex>` holds the zlib stream of
//! `<type> <size>\0<content>`. Each file is written under a temporary name
//! in its folder and renamed into place, so no reader ever sees half an
//! object; a kill leaves at most a `tmp_obj_` file, which `git gc` removes.

use git2::{ObjectType, Oid};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tells apart the temporary files of one process's writes.
static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

/// Store `data` as the loose object `id` of type `kind` under `objects`
/// (a repository's objects folder). An object already there is left as it
/// is. The caller vouches that `id` is the object's id (it comes from the
/// object database that made it).
pub(super) fn store(objects: &Path, id: Oid, kind: ObjectType, data: &[u8]) -> std::io::Result<()> {
    let hex = id.to_string();
    let (fan, name) = hex.split_at(2);
    let dir = objects.join(fan);
    let dest = dir.join(name);
    if dest.exists() {
        return Ok(());
    }
    // A name left by a process killed earlier (its pid reused) is skipped;
    // a fan-out folder a concurrent `git gc` removed as empty is made again.
    for _ in 0..8 {
        let tmp = dir.join(format!(
            "tmp_obj_{}_{}",
            std::process::id(),
            NEXT_TMP.fetch_add(1, Ordering::Relaxed)
        ));
        match create_new(&tmp) {
            Ok(file) => {
                let written =
                    write_object(file, kind, data).and_then(|()| std::fs::rename(&tmp, &dest));
                if written.is_err() {
                    // Ours: created by this call.
                    let _ = std::fs::remove_file(&tmp);
                }
                return written;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            },
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "no temporary file could be made in {}",
        dir.display()
    )))
}

/// A new read-only file at `tmp`, failing if anything is there.
fn create_new(tmp: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(tmp)
}

/// The largest deflate block that stores its bytes as they are.
const STORED_MAX: usize = 65_535;

/// The object's zlib stream into `file`, in one write: git's header and
/// the content in deflate's stored blocks, as git writes a loose object
/// under `core.looseCompression = 0`. A small object costs no compressor
/// (zlib's set-up alone outweighs compressing a few hundred bytes); `git
/// gc` compresses whatever it packs.
fn write_object(mut file: std::fs::File, kind: ObjectType, data: &[u8]) -> std::io::Result<()> {
    file.write_all(&zlib_stored(kind_name(kind)?, data))
}

/// `<kind> <size>\0<data>` as a zlib stream of stored blocks.
fn zlib_stored(kind: &str, data: &[u8]) -> Vec<u8> {
    let mut raw = format!("{kind} {}\0", data.len()).into_bytes();
    raw.extend_from_slice(data);
    let blocks = raw.len().div_ceil(STORED_MAX).max(1);
    let mut out = Vec::with_capacity(2 + 5 * blocks + raw.len() + 4);
    // CMF: deflate with a 32 KiB window; FLG: no dictionary, fastest, and
    // the check bits that make CMF·256 + FLG a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = raw.chunks(STORED_MAX).peekable();
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let len = chunk.len() as u16;
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(&raw).to_be_bytes());
    out
}

/// zlib's checksum of `bytes`.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // The most bytes summed before `b` could overflow 32 bits.
    const RUN: usize = 5_552;
    let (mut a, mut b) = (1u32, 0u32);
    for run in bytes.chunks(RUN) {
        for &x in run {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// The type's name in an object's header.
fn kind_name(kind: ObjectType) -> std::io::Result<&'static str> {
    match kind {
        ObjectType::Commit => Ok("commit"),
        ObjectType::Tree => Ok("tree"),
        ObjectType::Blob => Ok("blob"),
        ObjectType::Tag => Ok("tag"),
        other => Err(std::io::Error::other(format!(
            "no loose object of type {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::testkit::{files_under, git_value as git};

    /// git reads each object back by the id it computes for it, `git fsck
    /// --strict` finds nothing wrong, and no temporary file is left.
    #[test]
    fn git_reads_every_stored_object_as_it_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let objects = dir.path().join(".git/objects");
        // More than one stored block each; the second with the largest
        // sums the checksum can meet.
        let big = "x".repeat(100_000);
        let high = vec![0xffu8; 200_001];
        let blobs: [&[u8]; 4] = [b"", b"hello\n", big.as_bytes(), &high];
        let mut tree = Vec::new();
        for (i, blob) in blobs.iter().enumerate() {
            let id = git2::Oid::hash_object(ObjectType::Blob, blob).unwrap();
            store(&objects, id, ObjectType::Blob, blob).unwrap();
            tree.extend_from_slice(format!("100644 f{i}\0").as_bytes());
            tree.extend_from_slice(id.as_bytes());
        }
        let tree_id = git2::Oid::hash_object(ObjectType::Tree, &tree).unwrap();
        store(&objects, tree_id, ObjectType::Tree, &tree).unwrap();
        let commit =
            format!("tree {tree_id}\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\nm\n");
        let commit_id = git2::Oid::hash_object(ObjectType::Commit, commit.as_bytes()).unwrap();
        store(&objects, commit_id, ObjectType::Commit, commit.as_bytes()).unwrap();
        repo.reference("refs/heads/main", commit_id, true, "test")
            .unwrap();

        let root = dir.path();
        assert_eq!(
            git(root, &["cat-file", "-t", &commit_id.to_string()]),
            "commit"
        );
        assert_eq!(git(root, &["show", "main:f1"]), "hello");
        assert_eq!(git(root, &["show", "main:f2"]).len(), big.len());
        assert_eq!(git(root, &["cat-file", "-s", "main:f0"]), "0");
        assert_eq!(git(root, &["cat-file", "-s", "main:f3"]), "200001");
        git(root, &["fsck", "--full", "--strict"]);
        let leftovers: Vec<_> = files_under(&objects)
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("tmp_obj_")
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// An empty objects folder (in a temporary folder kept alive by the
    /// first value) and the id of the blob `one\n`.
    fn an_empty_store_and_the_id_of_one() -> (tempfile::TempDir, std::path::PathBuf, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let objects = dir.path().join("objects");
        std::fs::create_dir(&objects).unwrap();
        let id = git2::Oid::hash_object(ObjectType::Blob, b"one\n").unwrap();
        (dir, objects, id)
    }

    /// An object already stored is left as it is: the same file, the same
    /// bytes, even when asked again with other content under its id.
    #[test]
    fn an_object_already_stored_is_not_written_again() {
        let (_dir, objects, id) = an_empty_store_and_the_id_of_one();
        store(&objects, id, ObjectType::Blob, b"one\n").unwrap();
        let hex = id.to_string();
        let file = objects.join(&hex[..2]).join(&hex[2..]);
        let first = std::fs::read(&file).unwrap();
        store(&objects, id, ObjectType::Blob, b"two\n").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), first);
        assert_eq!(
            std::fs::read_dir(objects.join(&hex[..2])).unwrap().count(),
            1
        );
    }

    /// A folder that cannot be written is an error naming the cause, and
    /// leaves no file behind.
    #[test]
    fn a_store_that_cannot_write_fails_and_leaves_nothing() {
        let (_dir, objects, id) = an_empty_store_and_the_id_of_one();
        let hex = id.to_string();
        // A file where the fan-out folder should be.
        std::fs::write(objects.join(&hex[..2]), "in the way").unwrap();
        assert!(store(&objects, id, ObjectType::Blob, b"one\n").is_err());
        assert_eq!(files_under(&objects).len(), 1);
    }
}
