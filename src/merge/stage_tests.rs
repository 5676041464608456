//! Staging on real repositories, checked with the `git` command line.

use super::super::testkit::{T0, git, git_input, write};
use super::super::{GitError, Repo, init_demo_repo};
use crate::domain::AgentId;
use std::path::Path;

fn demo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let files = [
        ("README.md", "hi\n"),
        ("src/lib.rs", "// lib\n"),
        ("src/old.rs", "// old\n"),
        (".gitignore", "target/\n"),
    ];
    init_demo_repo(&root, "main", &files, T0).unwrap();
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    (dir, repo)
}

/// The same edits in a worktree: a new file in a new folder, an edit, a
/// deletion, and an ignored file.
fn edit(wt: &Path) {
    write(wt, "src/new/deep.rs", "// new\n");
    write(wt, "src/lib.rs", "// lib, edited\n");
    std::fs::remove_file(wt.join("src/old.rs")).unwrap();
    write(wt, "target/out.o", "built\n");
}

fn paths(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| p.to_string()).collect()
}

#[test]
fn named_paths_commit_the_same_tree_as_staging_everything() {
    let (_d, repo) = demo();
    let a = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let b = repo
        .prepare_worktree_at(&AgentId::builder(2), "shiftboss/builder-02/b", None, T0)
        .unwrap();
    edit(&a);
    edit(&b);
    let (_, n_all) = repo
        .commit_all(&a, "all", "a", "a@b.invalid", T0)
        .unwrap()
        .unwrap();
    let named = paths(&[
        "src/lib.rs",
        "src/new/deep.rs",
        "src/old.rs",
        "target/out.o",
    ]);
    let (_, n_named) = repo
        .commit_paths(&b, &named, "named", "a", "a@b.invalid", T0)
        .unwrap()
        .unwrap();
    assert_eq!((n_all, n_named), (3, 3));
    let tree = |wt: &Path| git(wt, &["rev-parse", "HEAD^{tree}"]);
    assert_eq!(tree(&a), tree(&b));
    assert_eq!(
        git(&b, &["show", "--name-status", "--format="]),
        "M\tsrc/lib.rs\nA\tsrc/new/deep.rs\nD\tsrc/old.rs\n"
    );
    // The ignored file stayed out and is all that is left over.
    assert_eq!(
        git(&b, &["status", "--porcelain", "--ignored"]),
        "!! target/\n"
    );
}

#[test]
fn only_the_named_paths_are_staged() {
    let (_d, repo) = demo();
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    write(&wt, "src/mine.rs", "// mine\n");
    write(&wt, "README.md", "not named\n");
    let (_, n) = repo
        .commit_paths(&wt, &paths(&["src/mine.rs"]), "m", "a", "a@b.invalid", T0)
        .unwrap()
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(git(&wt, &["status", "--porcelain"]), " M README.md\n");
    // Nothing named changed: nothing to commit.
    assert_eq!(
        repo.commit_paths(&wt, &paths(&["src/mine.rs"]), "m", "a", "a@b.invalid", T0)
            .unwrap(),
        None
    );
    for bad in ["../escape.rs", "/etc/passwd", ".git/config", ""] {
        let err = repo
            .commit_paths(&wt, &paths(&[bad]), "m", "a", "a@b.invalid", T0)
            .unwrap_err();
        assert!(matches!(err, GitError::InvalidPath { .. }), "{bad}: {err}");
    }
}

#[test]
fn staging_everything_rewrites_the_index_only_when_its_tree_changes() {
    use std::os::unix::fs::MetadataExt;
    let (_d, repo) = demo();
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let index = std::path::PathBuf::from(git(&wt, &["rev-parse", "--git-path", "index"]).trim());
    let index = wt.join(index);
    let stamp = |p: &Path| {
        let m = std::fs::metadata(p).unwrap();
        (m.ino(), m.mtime(), m.mtime_nsec())
    };
    // Nothing to stage: nothing committed, the index file untouched.
    let before = stamp(&index);
    assert!(
        repo.commit_all(&wt, "none", "a", "a@b.invalid", T0)
            .unwrap()
            .is_none()
    );
    assert_eq!(stamp(&index), before);

    // A staged change the file then went back on: the index must follow
    // the file (its tree changes back to HEAD's), though nothing is
    // committed.
    write(&wt, "README.md", "staged\n");
    git(&wt, &["add", "README.md"]);
    write(&wt, "README.md", "hi\n");
    assert!(
        repo.commit_all(&wt, "back", "a", "a@b.invalid", T0)
            .unwrap()
            .is_none()
    );
    assert_eq!(git(&wt, &["diff", "--cached", "--name-only"]), "");
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
}

/// `git fsck` finds every object each branch reaches stored, and nothing
/// amiss.
fn fsck_clean(root: &Path) {
    let out = git(root, &["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(!out.contains("missing") && !out.contains("error"), "{out}");
}

/// A simulated commit stores only the objects on the way to what it
/// changed, and that is every object it needs: after new deep folders,
/// edits, a removal that empties a folder, content that is already
/// stored, and a change staged by someone else beside the named paths
/// (then the commit's whole tree is walked), nothing is missing.
#[test]
fn named_path_commits_store_every_object_they_reach() {
    let (_d, repo) = demo();
    let root = repo.root().to_path_buf();
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let commit = |named: &[&str], what: &str| {
        repo.commit_paths(&wt, &paths(named), what, "a", "a@b.invalid", T0)
            .unwrap()
            .unwrap_or_else(|| panic!("{what}: a commit"));
        fsck_clean(&root);
    };
    write(&wt, "src/a/b/c/deep.rs", "// deep\n");
    write(&wt, "src/a/side.rs", "// side\n");
    commit(&["src/a/b/c/deep.rs", "src/a/side.rs"], "deep folders");
    write(&wt, "src/a/b/c/deep.rs", "// deep, edited\n");
    write(&wt, "docs/x.md", "x\n");
    commit(
        &["src/a/b/c/deep.rs", "docs/x.md"],
        "an edit and a new folder",
    );
    std::fs::remove_file(wt.join("src/a/b/c/deep.rs")).unwrap();
    commit(&["src/a/b/c/deep.rs"], "a removal that empties two folders");
    // The same bytes as a file HEAD holds: the blob is stored already.
    write(&wt, "src/copy.rs", "// lib\n");
    commit(&["src/copy.rs"], "content already stored");
    // Someone else staged a file in a folder of its own.
    write(&wt, "other/staged.rs", "// staged\n");
    git(&wt, &["add", "other/staged.rs"]);
    write(&wt, "src/a/side.rs", "// side, edited\n");
    commit(&["src/a/side.rs"], "beside a staged change");
    assert_eq!(
        git(&wt, &["show", "--name-only", "--format="]),
        "other/staged.rs\nsrc/a/side.rs\n"
    );
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
}

/// A folder HEAD stores in a form git no longer writes (a mode with a
/// leading zero) is written anew by the index in git's own form when its
/// record there is stale, though nothing in it changed: the new tree is
/// stored too, so the commit reaches nothing missing.
#[test]
fn a_folder_written_anew_off_the_changed_paths_is_stored() {
    let (_d, repo) = demo();
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let blob = git(&wt, &["rev-parse", "HEAD:README.md"]);
    let blob = blob.trim();
    // The folder `w` holding `f`, its mode written `0100644`.
    let mut raw = b"0100644 f\0".to_vec();
    raw.extend((0..20).map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap()));
    let odd = git_input(
        &wt,
        &["hash-object", "-t", "tree", "--literally", "-w", "--stdin"],
        &raw,
    );
    let mut listing = git(&wt, &["ls-tree", "HEAD"]);
    listing.push_str(&format!("040000 tree {}\tw\n", odd.trim()));
    let root = git_input(&wt, &["mktree"], listing.as_bytes());
    let commit = git(
        &wt,
        &["commit-tree", root.trim(), "-p", "HEAD", "-m", "odd folder"],
    );
    git(&wt, &["reset", "-q", "--hard", commit.trim()]);
    // The folder's record in the index goes stale; its files do not change.
    git(
        &wt,
        &["update-index", "--cacheinfo", &format!("100644,{blob},w/f")],
    );
    write(&wt, "src/new.rs", "// new\n");
    repo.commit_paths(
        &wt,
        &paths(&["src/new.rs"]),
        "beside",
        "a",
        "a@b.invalid",
        T0,
    )
    .unwrap()
    .unwrap();
    let w = git(&wt, &["rev-parse", "HEAD:w"]);
    assert_ne!(w.trim(), odd.trim(), "the folder was written anew");
    git(&wt, &["cat-file", "-e", w.trim()]);
    git(&wt, &["rev-list", "--objects", "HEAD"]);
}
