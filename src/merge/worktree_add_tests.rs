//! Worktrees added by writing git's records: what git itself makes of them.

use super::testkit::{T0, git, git_value};
use super::{Repo, init_demo_repo};
use crate::domain::AgentId;

fn demo() -> (tempfile::TempDir, std::path::PathBuf, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(
        &root,
        "main",
        &[("README.md", "hi\n"), ("src/lib.rs", "pub fn f() {}\n")],
        T0,
    )
    .unwrap();
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    (dir, root, repo)
}

#[test]
fn git_sees_an_added_worktree_as_its_own_clean_checkout_of_the_branch() {
    let (_dir, root, repo) = demo();
    let agent = AgentId::builder(1);
    let path = repo
        .prepare_worktree_at(&agent, "shiftboss/builder-01/t1", None, T0)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(path.join("src/lib.rs")).unwrap(),
        "pub fn f() {}\n"
    );
    assert_eq!(
        git_value(&path, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "shiftboss/builder-01/t1"
    );
    assert_eq!(git(&path, &["status", "--porcelain"]), "");
    let list = git(&root, &["worktree", "list", "--porcelain"]);
    let wt = path.canonicalize().unwrap();
    assert!(
        list.contains(&format!(
            "worktree {}\nHEAD {}\nbranch refs/heads/shiftboss/builder-01/t1",
            wt.display(),
            git_value(&root, &["rev-parse", "main"])
        )),
        "{list}"
    );
    // git refuses to check the branch out a second time, as for its own worktrees.
    let out = std::process::Command::new("git")
        .args(["checkout", "shiftboss/builder-01/t1"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // And git can remove it.
    git(&root, &["worktree", "remove", wt.to_str().unwrap()]);
    assert!(!wt.exists());
}

#[test]
fn a_worktree_whose_adding_was_cut_short_is_moved_aside_and_made_again() {
    let (_dir, root, repo) = demo();
    let agent = AgentId::builder(2);
    // A kill after git's record folder and the worktree's folder were made,
    // before HEAD was written.
    let records = root.join(".git/worktrees/builder-02");
    std::fs::create_dir_all(&records).unwrap();
    std::fs::write(records.join("commondir"), "../..\n").unwrap();
    let path = repo.worktree_path(&agent);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("notes.txt"), "kept\n").unwrap();

    let made = repo
        .prepare_worktree_at(&agent, "shiftboss/builder-02/t1", None, T0)
        .unwrap();
    assert_eq!(made, path);
    assert_eq!(git(&path, &["status", "--porcelain"]), "");
    let aside = path.parent().unwrap().join(".broken-builder-02-1");
    assert_eq!(
        std::fs::read_to_string(aside.join("notes.txt")).unwrap(),
        "kept\n"
    );
}

/// A project whose path is not valid UTF-8: git's records name the
/// worktree by the path's own bytes, and git reads them back.
#[test]
fn a_project_path_that_is_not_utf8_is_written_as_its_bytes() {
    use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(std::ffi::OsStr::from_bytes(b"proj\xffect"));
    init_demo_repo(&root, "main", &[("README.md", "hi\n")], T0).unwrap();
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let path = repo
        .prepare_worktree_at(&AgentId::builder(3), "shiftboss/builder-03/t1", None, T0)
        .unwrap();
    assert_eq!(git(&path, &["status", "--porcelain"]), "");
    let out = std::process::Command::new("git")
        .args(["worktree", "list", "--porcelain", "-z"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let wt = path.canonicalize().unwrap().into_os_string().into_vec();
    let listed = out
        .stdout
        .split(|b| *b == 0)
        .any(|field| field.strip_prefix(b"worktree ") == Some(&wt[..]));
    assert!(listed, "{}", String::from_utf8_lossy(&out.stdout));
}
