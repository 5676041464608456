//! A worktree that holds only commits switched by the files that differ:
//! what git sees afterwards is exactly the branch.

use super::testkit::{T0, git, write};
use super::{Repo, init_demo_repo};
use crate::domain::AgentId;

/// A project of `files` on main.
fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(&root, "main", files, T0).unwrap();
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    (dir, repo)
}

#[test]
fn a_committed_worktree_switches_to_exactly_the_other_branch() {
    let (_dir, repo) = project(&[
        ("README.md", "hi\n"),
        ("src/lib.rs", "// lib\n"),
        ("src/old/gone.rs", "// gone\n"),
        ("docs/a.md", "a\n"),
    ]);
    let one = AgentId::builder(1);
    // Branch b: an edit, a new file in a new folder, a folder removed, a
    // file where a folder was.
    let (wt, _) = repo
        .prepare_worktree_knowing(&one, "shiftboss/builder-01/b", None, T0, true)
        .unwrap();
    write(&wt, "src/lib.rs", "// lib, b\n");
    write(&wt, "src/new/deep/n.rs", "// new\n");
    std::fs::remove_dir_all(wt.join("docs")).unwrap();
    write(&wt, "docs", "a file now\n");
    std::fs::remove_dir_all(wt.join("src/old")).unwrap();
    git(&wt, &["add", "-A"]);
    git(&wt, &["commit", "-q", "-m", "b"]);
    // To a new branch at main's tip, and back.
    for branch in ["shiftboss/builder-01/c", "shiftboss/builder-01/b"] {
        let (at, only_commits) = repo
            .prepare_worktree_knowing(&one, branch, None, T0, true)
            .unwrap();
        assert!(only_commits);
        assert_eq!(at, wt);
        assert_eq!(
            git(&wt, &["symbolic-ref", "HEAD"]).trim(),
            format!("refs/heads/{branch}")
        );
        assert_eq!(git(&wt, &["status", "--porcelain", "--ignored"]), "");
        let listed = git(&wt, &["ls-files"]);
        let mut on_disk: Vec<String> = super::testkit::files_under(&wt)
            .iter()
            .map(|p| p.strip_prefix(&wt).unwrap().to_string_lossy().into_owned())
            .filter(|p| p != ".git")
            .collect();
        on_disk.sort();
        let mut tracked: Vec<String> = listed.lines().map(String::from).collect();
        tracked.sort();
        assert_eq!(on_disk, tracked, "{branch}");
    }
    assert_eq!(
        std::fs::read_to_string(wt.join("docs")).unwrap(),
        "a file now\n"
    );
    assert!(!wt.join("src/old").exists());
}

#[test]
fn an_ignored_file_where_a_folder_goes_stops_the_switch_as_a_full_checkout_does() {
    let (_dir, repo) = project(&[("README.md", "hi\n"), (".gitignore", "build\n")]);
    let one = AgentId::builder(1);
    let wt = repo
        .prepare_worktree_at(&one, "shiftboss/builder-01/a", None, T0)
        .unwrap();
    write(&wt, "build/out.txt", "tracked after all\n");
    git(&wt, &["add", "-f", "build/out.txt"]);
    git(&wt, &["commit", "-q", "-m", "a"]);
    repo.prepare_worktree_at(&one, "shiftboss/builder-01/b", None, T0)
        .unwrap();
    // An ignored file now stands where branch a has a folder: a safe
    // checkout refuses to replace it, whatever the worktree is known to hold.
    write(&wt, "build", "ignored\n");
    for only_commits in [false, true] {
        let err = repo
            .prepare_worktree_knowing(&one, "shiftboss/builder-01/a", None, T0, only_commits)
            .unwrap_err();
        assert!(err.to_string().contains("conflict"), "{err}");
        assert_eq!(
            std::fs::read_to_string(wt.join("build")).unwrap(),
            "ignored\n"
        );
        assert_eq!(
            git(&wt, &["symbolic-ref", "HEAD"]).trim(),
            "refs/heads/shiftboss/builder-01/b"
        );
    }
}

#[test]
fn a_switch_by_paths_with_a_backslash_still_writes_them() {
    let (_dir, repo) = project(&[("README.md", "hi\n")]);
    let one = AgentId::builder(1);
    let (wt, _) = repo
        .prepare_worktree_knowing(&one, "shiftboss/builder-01/b", None, T0, true)
        .unwrap();
    // Every path the branch changes starts with a backslash-named folder.
    write(&wt, "we\\ird/x.rs", "// x\n");
    write(&wt, "we\\ird/y.rs", "// y\n");
    git(&wt, &["add", "-A"]);
    git(&wt, &["commit", "-q", "-m", "b"]);
    for (branch, there) in [
        ("shiftboss/builder-01/c", false),
        ("shiftboss/builder-01/b", true),
    ] {
        repo.prepare_worktree_knowing(&one, branch, None, T0, true)
            .unwrap();
        assert_eq!(
            git(&wt, &["status", "--porcelain", "--ignored"]),
            "",
            "{branch}"
        );
        assert_eq!(wt.join("we\\ird/x.rs").is_file(), there, "{branch}");
    }
}
