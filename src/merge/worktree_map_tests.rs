//! The map of worktrees against git's own records, on real repositories.

use super::super::testkit::{T0, git};
use super::super::{GitError, Repo, init_demo_repo};
use crate::domain::AgentId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn demo(trusted: bool) -> (tempfile::TempDir, PathBuf, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(&root, "main", &[("README.md", "hi\n")], T0).unwrap();
    let mut repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    repo.trust_worktree_heads(trusted);
    (dir, root, repo)
}

fn agent(n: usize) -> AgentId {
    AgentId::builder(n)
}

/// What git says each linked worktree has checked out: folder name → HEAD ref
/// (None when detached).
fn git_heads(root: &Path) -> BTreeMap<String, Option<String>> {
    let text = git(root, &["worktree", "list", "--porcelain"]);
    let mut out = BTreeMap::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let path = block
            .lines()
            .find_map(|l| l.strip_prefix("worktree "))
            .unwrap();
        if Path::new(path) == root.canonicalize().unwrap() {
            continue;
        }
        let name = Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let head = block
            .lines()
            .find_map(|l| l.strip_prefix("branch "))
            .map(str::to_string);
        out.insert(name, head);
    }
    out
}

fn map_heads(repo: &Repo) -> BTreeMap<String, Option<String>> {
    repo.refresh_map();
    repo.map
        .borrow()
        .held
        .iter()
        .map(|(n, h)| (n.clone(), h.head.clone()))
        .collect()
}

#[test]
fn a_trusted_map_stays_what_git_says_through_handovers_switches_and_removals() {
    let (_d, root, repo) = demo(true);
    let mut at = T0;
    // Twelve tasks over four agents; every third one is handed to the next
    // agent while its first holder still has it, so HEADs detach too.
    for task in 0..12 {
        let a = agent(task % 4 + 1);
        let branch = format!("shiftboss/{a}/t{task}");
        at += 1000;
        let wt = repo.prepare_worktree_at(&a, &branch, None, at).unwrap();
        std::fs::write(wt.join(format!("t{task}.txt")), "work\n").unwrap();
        if task % 3 == 2 {
            let b = agent((task + 1) % 4 + 1);
            at += 1000;
            repo.prepare_worktree_at(&b, &branch, None, at).unwrap();
        }
        assert_eq!(map_heads(&repo), git_heads(&root), "after task {task}");
    }
    // A merged, clean worktree removed: gone from both.
    let wt = repo
        .prepare_worktree_at(&agent(9), "shiftboss/builder-09/x", None, at)
        .unwrap();
    assert!(wt.exists());
    assert!(repo.remove_worktree_if_safe(&agent(9)).unwrap());
    assert_eq!(map_heads(&repo), git_heads(&root));
    assert!(!map_heads(&repo).contains_key("builder-09"));
}

#[test]
fn a_worktree_added_by_someone_else_later_is_seen_and_never_taken() {
    let (d, root, repo) = demo(true);
    repo.prepare_worktree_at(&agent(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    // The map is read; now the operator adds a worktree of their own.
    let theirs = d.path().join("elsewhere");
    git(
        &root,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "shiftboss/op/look",
            theirs.to_str().unwrap(),
        ],
    );
    let err = repo
        .prepare_worktree_at(&agent(2), "shiftboss/op/look", None, T0)
        .unwrap_err();
    assert!(
        matches!(&err, GitError::CheckedOutElsewhere { holder, .. } if holder.ends_with("elsewhere")),
        "{err}"
    );
    // They switch it to another branch: the one they left is free to take.
    git(&theirs, &["switch", "-q", "-c", "shiftboss/op/other"]);
    repo.prepare_worktree_at(&agent(2), "shiftboss/op/look", None, T0)
        .unwrap();
    assert_eq!(map_heads(&repo), git_heads(&root));
}

#[test]
fn an_untrusted_map_reads_what_an_agent_switched_to_in_its_own_worktree() {
    let (_d, root, repo) = demo(false);
    let wt1 = repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    repo.prepare_worktree_at(&agent(2), "shiftboss/builder-02/b", None, T0)
        .unwrap();
    repo.prepare_worktree_at(&agent(2), "shiftboss/builder-02/c", None, T0)
        .unwrap();
    // A real agent in builder-01's worktree checks out the free branch `b`
    // and leaves work there.
    git(&wt1, &["switch", "-q", "shiftboss/builder-02/b"]);
    std::fs::write(wt1.join("b.txt"), "done in the wrong place\n").unwrap();
    // `b` goes to builder-03: taken from builder-01, its work kept on `b`.
    let wt3 = repo
        .prepare_worktree_at(&agent(3), "shiftboss/builder-02/b", None, T0 + 1000)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(wt3.join("b.txt")).unwrap(),
        "done in the wrong place\n"
    );
    let heads = git_heads(&root);
    assert_eq!(heads["builder-01"], None, "builder-01 let go of `b`");
    assert_eq!(
        heads["builder-03"].as_deref(),
        Some("refs/heads/shiftboss/builder-02/b")
    );
    assert_eq!(map_heads(&repo), heads);
}
