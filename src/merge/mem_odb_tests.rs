//! A batch's merges are made in memory and stored as one pack: what the
//! target names is on disk for any other reader (the `git` command line),
//! and no merge object is written loose.

use super::testkit::{T0, git_value as git, land_options};
use super::*;
use crate::domain::{MergeOutcome, TaskId};
use std::process::Command;

/// A repository with branches `shiftboss/b/t0..n`, each adding `t<i>.txt`.
fn repo_with_branches(root: &Path, n: usize) -> Vec<LandEntry> {
    init_demo_repo(root, "main", &[("README.md", "demo\n")], T0).unwrap();
    git(root, &["switch", "-q", "--detach"]);
    (0..n)
        .map(|i| {
            let branch = format!("shiftboss/b/t{i}");
            git(root, &["switch", "-q", "-c", &branch, "main"]);
            std::fs::write(root.join(format!("t{i}.txt")), format!("{i}\n")).unwrap();
            git(root, &["add", "-A"]);
            git(root, &["commit", "-qm", "work"]);
            git(root, &["switch", "-q", "--detach", "main"]);
            LandEntry {
                task: TaskId::new(format!("t{i}")),
                branch,
                message: format!("Merge t{i}\n"),
                context: String::new(),
                advance: None,
            }
        })
        .collect()
}

fn loose(root: &Path, oid: &str) -> bool {
    root.join(".git/objects")
        .join(&oid[..2])
        .join(&oid[2..])
        .exists()
}

#[test]
fn a_landed_batch_is_stored_as_one_pack_every_reader_sees() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let entries = repo_with_branches(&root, 3);
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    // The gate sees every merged file in the queue worktree.
    let checks = vec!["test -f t0.txt && test -f t1.txt && test -f t2.txt".to_string()];
    let landing = repo.land(&entries, &land_options(&checks, None));
    assert_eq!(landing.error, None);
    assert_eq!(landing.runs.len(), 1);
    assert!(landing.runs[0].passed, "{:?}", landing.runs[0]);
    let commits: Vec<String> = landing
        .results
        .iter()
        .map(|(_, o)| match o {
            MergeOutcome::Merged { commit, .. } => commit.clone(),
            other => panic!("not merged: {other:?}"),
        })
        .collect();
    assert_eq!(commits.len(), 3);
    assert_eq!(git(&root, &["rev-parse", "main"]), commits[2]);
    for (i, c) in commits.iter().enumerate() {
        assert_eq!(git(&root, &["cat-file", "-t", c]), "commit");
        assert!(!loose(&root, c), "merge commit {c} written loose");
        // The first merge's tree is the first branch's own (already stored).
        let tree = git(&root, &["rev-parse", &format!("{c}^{{tree}}")]);
        assert!(
            i == 0 || !loose(&root, &tree),
            "merged tree {tree} written loose"
        );
    }
    let packs = std::fs::read_dir(root.join(".git/objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pack"))
        })
        .count();
    assert_eq!(packs, 1, "one pack for the batch");
    let fsck = Command::new("git")
        .args(["fsck", "--full", "--strict"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    // A repository opened afresh (a restart) reads the target's tree.
    let again = git2::Repository::open(&root).unwrap();
    let tip = again
        .revparse_single("main")
        .unwrap()
        .peel_to_tree()
        .unwrap();
    assert!(tip.get_name("t2.txt").is_some());
}

#[test]
fn a_failed_merge_leaves_the_object_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let entries = repo_with_branches(&root, 1);
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let missing = LandEntry {
        branch: "shiftboss/b/none".into(),
        ..entries[0].clone()
    };
    let landing = repo.land(&[missing], &land_options(&[], None));
    assert!(landing.error.is_some());
    assert!(
        !root
            .join(".git/objects/pack")
            .read_dir()
            .unwrap()
            .any(|_| true)
    );
    // Later writes through the repository go to disk again.
    let landing = repo.land(&entries, &land_options(&[], None));
    assert_eq!(landing.error, None);
    assert_eq!(landing.results.len(), 1);
    let tip = git(&root, &["rev-parse", "main"]);
    assert_eq!(git(&root, &["cat-file", "-t", &tip]), "commit");
}

#[test]
fn every_stored_pack_is_named_by_one_multi_pack_index_git_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let entries = repo_with_branches(&root, 3);
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let options = land_options(&[], None);
    // One batch per branch: a pack each.
    for entry in &entries {
        let landing = repo.land(std::slice::from_ref(entry), &options);
        assert_eq!(landing.error, None);
    }
    let pack_dir = root.join(".git/objects/pack");
    let packs = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
        .count();
    assert!(packs >= 2, "{packs} packs");
    assert!(pack_dir.join("multi-pack-index").is_file());
    git(&root, &["multi-pack-index", "verify"]);
    git(&root, &["fsck", "--full", "--strict"]);
    // A repository opened afresh reads every merge through the index.
    let again = git2::Repository::open(&root).unwrap();
    let mut walk = again.revwalk().unwrap();
    walk.push(again.revparse_single("main").unwrap().id())
        .unwrap();
    let merges = walk
        .flatten()
        .filter(|c| again.find_commit(*c).unwrap().parent_count() == 2)
        .count();
    assert_eq!(merges, 3);
}
