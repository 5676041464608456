//! Content filters on real repositories: skipped only where no attribute
//! can apply, honoured wherever one can; checked with the `git` command line.

use super::testkit::{T0, git, git_value};
use super::{Repo, init_demo_repo};
use crate::domain::AgentId;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(&root, "main", files, T0).unwrap();
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    (dir, repo)
}

/// Write `files` in the worktree `wt` and commit them by name.
fn commit_named(repo: &Repo, wt: &Path, files: &[(&str, &[u8])]) {
    for (rel, content) in files {
        std::fs::write(wt.join(rel), content).unwrap();
    }
    let names: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
    repo.commit_paths(wt, &names, "m", "a", "a@b.invalid", T0)
        .unwrap()
        .unwrap();
}

#[test]
fn a_worktree_switch_applies_the_attributes_a_folder_deep_in_the_tree_sets() {
    let (_d, repo) = project(&[
        ("README.md", "hi\n"),
        ("src/deep/.gitattributes", "*.txt ident\n"),
    ]);
    let one = AgentId::builder(1);
    let a = repo
        .prepare_worktree_at(&one, "shiftboss/builder-01/a", None, T0)
        .unwrap();
    commit_named(&repo, &a, &[("src/deep/id.txt", b"$Id$\n")]);
    // The blob keeps the bare keyword; a checkout that writes the file
    // expands it, as `git checkout` would.
    assert_eq!(git(&a, &["show", "HEAD:src/deep/id.txt"]), "$Id$\n");
    repo.prepare_worktree_at(&one, "shiftboss/builder-01/b", None, T0)
        .unwrap();
    assert!(!a.join("src/deep/id.txt").exists());
    repo.prepare_worktree_at(&one, "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let blob = git_value(&a, &["rev-parse", "HEAD:src/deep/id.txt"]);
    assert_eq!(
        std::fs::read_to_string(a.join("src/deep/id.txt")).unwrap(),
        format!("$Id: {blob} $\n")
    );
    assert_eq!(git(&a, &["status", "--porcelain"]), "");
}

#[test]
fn named_paths_are_stored_through_the_attributes_that_apply_to_them() {
    let (_d, repo) = project(&[
        ("README.md", "hi\n"),
        ("docs/.gitattributes", "*.txt text\n"),
    ]);
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    commit_named(
        &repo,
        &wt,
        &[
            ("docs/notes.txt", b"one\r\ntwo\r\n"),
            ("README.md", b"crlf kept\r\n"),
        ],
    );
    assert_eq!(git(&wt, &["show", "HEAD:docs/notes.txt"]), "one\ntwo\n");
    assert_eq!(git(&wt, &["show", "HEAD:README.md"]), "crlf kept\r\n");
}

#[test]
fn named_paths_without_attributes_leave_an_index_git_finds_clean() {
    let (_d, repo) = project(&[("README.md", "hi\n"), ("tools/run.sh", "echo\n")]);
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let script = wt.join("tools/run.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Executable for its group and others only: git's mode is the owner's.
    std::fs::set_permissions(wt.join("README.md"), std::fs::Permissions::from_mode(0o654)).unwrap();
    commit_named(
        &repo,
        &wt,
        &[
            ("tools/run.sh", b"echo run\n"),
            ("README.md", b"edited\r\n"),
        ],
    );
    assert_eq!(git(&wt, &["show", "HEAD:README.md"]), "edited\r\n");
    // The branch and HEAD log the commit as `git commit` does.
    let branch = "shiftboss/builder-01/a";
    assert_eq!(
        git_value(&wt, &["reflog", "-1", "--format=%gs", branch]),
        "commit: m"
    );
    assert_eq!(
        git_value(&wt, &["reflog", "-1", "--format=%gs", "HEAD"]),
        "commit: m"
    );
    assert_eq!(git(&wt, &["fsck", "--strict", "--no-progress"]), "");
    assert!(git(&wt, &["ls-files", "-s", "tools/run.sh"]).starts_with("100755 "));
    assert!(git(&wt, &["ls-files", "-s", "README.md"]).starts_with("100644 "));
    // The index's records match the files: nothing to refresh, nothing staged.
    assert_eq!(git(&wt, &["diff-files", "--name-only"]), "");
    assert_eq!(
        git(&wt, &["diff-index", "--cached", "--name-only", "HEAD"]),
        ""
    );
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
    // An edit made afterwards is seen.
    std::fs::write(wt.join("README.md"), "edited again\n").unwrap();
    assert_eq!(git(&wt, &["status", "--porcelain"]), " M README.md\n");
}

#[test]
fn a_repository_attributes_file_keeps_filters_on() {
    let (_d, repo) = project(&[("README.md", "hi\n")]);
    let info = Path::new(repo.root()).join(".git/info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(info.join("attributes"), "*.txt text\n").unwrap();
    let wt = repo
        .prepare_worktree_at(&AgentId::builder(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    commit_named(&repo, &wt, &[("notes.txt", b"one\r\n")]);
    assert_eq!(git(&wt, &["show", "HEAD:notes.txt"]), "one\n");
}
