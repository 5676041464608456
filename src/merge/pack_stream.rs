//! A pack stream written straight from objects shiftboss knows it made.
//!
//! libgit2's pack builder searches for deltas between the objects it packs,
//! which costs more than everything else a batch's pack does and saves
//! little: a batch stores a handful of small trees and commits. Here every
//! object is stored whole, deflated: a pack's header (`PACK`, version 2, the
//! object count), each object's type and size then its zlib stream, and the
//! SHA-1 of all of that as the trailer. `Odb::packwriter` indexes it.

use flate2::{Compression, write::ZlibEncoder};
use git2::ObjectType;
use sha1::{Digest, Sha1};
use std::io::Write;

/// The pack of `objects` (type and raw content each), in the given order.
pub(super) fn pack_stream<'a>(
    objects: impl ExactSizeIterator<Item = (ObjectType, &'a [u8])>,
) -> std::io::Result<Vec<u8>> {
    let count = u32::try_from(objects.len())
        .map_err(|_| std::io::Error::other("too many objects for one pack"))?;
    let mut out = Vec::with_capacity(64 * objects.len() + 32);
    out.extend_from_slice(b"PACK");
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    for (kind, data) in objects {
        entry_header(&mut out, type_code(kind)?, data.len());
        let mut z = ZlibEncoder::new(out, Compression::fast());
        z.write_all(data)?;
        out = z.finish()?;
    }
    let trailer = Sha1::digest(&out);
    out.extend_from_slice(&trailer);
    Ok(out)
}

/// The pack's number for a whole (not deltified) object of this type.
fn type_code(kind: ObjectType) -> std::io::Result<u8> {
    match kind {
        ObjectType::Commit => Ok(1),
        ObjectType::Tree => Ok(2),
        ObjectType::Blob => Ok(3),
        ObjectType::Tag => Ok(4),
        other => Err(std::io::Error::other(format!(
            "no pack type for a {other} object"
        ))),
    }
}

/// An entry's header: the type in bits 4–6 of the first byte with the
/// size's low four bits, then the rest of the size seven bits a byte; the
/// top bit says another byte follows.
fn entry_header(out: &mut Vec<u8>, code: u8, size: usize) {
    let mut rest = size >> 4;
    let mut byte = (code << 4) | (size & 0x0f) as u8;
    while rest > 0 {
        out.push(byte | 0x80);
        byte = (rest & 0x7f) as u8;
        rest >>= 7;
    }
    out.push(byte);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_four_bits_then_seven_a_byte() {
        let mut out = Vec::new();
        entry_header(&mut out, 3, 15);
        assert_eq!(out, [0x3f]);
        out.clear();
        entry_header(&mut out, 1, 16);
        assert_eq!(out, [0x90, 0x01]);
        out.clear();
        // 1000 = 0b1111101000: low four 1000, then 0111110.
        entry_header(&mut out, 2, 1000);
        assert_eq!(out, [0xa8, 0x3e]);
    }

    /// git itself reads the stream: `git index-pack` names every object by
    /// the id git computes for it.
    #[test]
    fn git_index_pack_reads_the_stream_and_finds_every_object() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let big = "x".repeat(100_000);
        let blobs: [&[u8]; 3] = [b"", b"hello\n", big.as_bytes()];
        let ids: Vec<git2::Oid> = blobs
            .iter()
            .map(|b| git2::Oid::hash_object(ObjectType::Blob, b).unwrap())
            .collect();
        let pack = pack_stream(blobs.iter().map(|b| (ObjectType::Blob, *b))).unwrap();
        let path = dir.path().join("objects/pack/test.pack");
        std::fs::write(&path, &pack).unwrap();
        let pack_path = path.to_str().unwrap();
        crate::merge::testkit::git(dir.path(), &["index-pack", "--strict", pack_path]);
        let odb = repo.odb().unwrap();
        for (id, blob) in ids.iter().zip(blobs) {
            assert_eq!(odb.read(*id).unwrap().data(), blob);
        }
    }
}
