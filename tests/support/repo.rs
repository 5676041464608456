//! Real git repositories for the tests, checked with the git CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run git in `dir`; it must succeed. Returns its output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A repository at `<tmp>/repo` with one commit of `files` on main; the
/// checkout is detached so the merge queue can move main freely.
#[allow(dead_code)]
pub fn new_repo(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    repo_at(&repo, files);
    (tmp, repo)
}

/// A repository at `repo` (made if missing) with one commit of `files` on
/// main, its checkout detached.
#[allow(dead_code)]
pub fn repo_at(repo: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(repo).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        std::fs::write(repo.join(path), text).unwrap();
    }
    git(repo, &["add", "."]);
    git(
        repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "init",
        ],
    );
    git(repo, &["switch", "-q", "--detach"]);
}

/// A branch off main's tip with `files` written, one commit.
#[allow(dead_code)]
pub fn branch(repo: &Path, name: &str, files: &[(&str, &str)]) {
    git(repo, &["switch", "-q", "-c", name, "main"]);
    for (p, text) in files {
        std::fs::write(repo.join(p), text).unwrap();
    }
    git(repo, &["add", "-A"]);
    commit(repo, &format!("{name}: work"));
    git(repo, &["switch", "-q", "--detach", "main"]);
}

/// A commit of what is staged, by an agent.
#[allow(dead_code)]
pub fn commit(repo: &Path, msg: &str) {
    git(
        repo,
        &[
            "-c",
            "user.name=agent",
            "-c",
            "user.email=agent@t",
            "commit",
            "-qm",
            msg,
        ],
    );
}
