//! A batch's merges are made in memory and stored as loose objects once the
//! candidate is made: what the target names is on disk for any other reader
//! (the `git` command line), no pack is added, and what a failed try wrote
//! is not stored.

use super::testkit::{T0, files_under, git_value as git, land_options};
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

/// Every object file under `.git/objects` (loose objects and packs alike).
fn object_files(root: &Path) -> Vec<std::path::PathBuf> {
    files_under(&root.join(".git/objects"))
}

fn loose(root: &Path, oid: &str) -> bool {
    root.join(".git/objects")
        .join(&oid[..2])
        .join(&oid[2..])
        .is_file()
}

#[test]
fn a_landed_batch_is_stored_loose_and_every_reader_sees_it() {
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
    for c in &commits {
        assert_eq!(git(&root, &["cat-file", "-t", c]), "commit");
        assert!(loose(&root, c), "merge commit {c} not stored");
        let tree = git(&root, &["rev-parse", &format!("{c}^{{tree}}")]);
        assert!(loose(&root, &tree), "merged tree {tree} not stored");
    }
    let files = object_files(&root);
    assert!(
        files.iter().all(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            !name.starts_with("tmp_obj_") && f.extension().is_none_or(|x| x != "pack")
        }),
        "a pack or a temporary file: {files:?}"
    );
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
    let before = object_files(&root);
    let missing = LandEntry {
        branch: "shiftboss/b/none".into(),
        ..entries[0].clone()
    };
    let landing = repo.land(&[missing], &land_options(&[], None));
    assert!(landing.error.is_some());
    assert_eq!(object_files(&root), before);
    // Later writes through the repository go to disk again.
    let landing = repo.land(&entries, &land_options(&[], None));
    assert_eq!(landing.error, None);
    assert_eq!(landing.results.len(), 1);
    let tip = git(&root, &["rev-parse", "main"]);
    assert_eq!(git(&root, &["cat-file", "-t", &tip]), "commit");
    assert!(loose(&root, &tip));
}

/// A project opened at a linked worktree of its own (git's objects are in
/// the common directory, not in the worktree's): a landed batch's objects
/// are stored where every worktree of the repository reads them.
#[test]
fn a_batch_landed_from_a_linked_worktree_is_stored_in_the_shared_objects() {
    let dir = tempfile::tempdir().unwrap();
    let main_root = dir.path().join("project");
    let entries = repo_with_branches(&main_root, 2);
    let linked = dir.path().join("linked");
    git(
        &main_root,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "operator",
            linked.to_str().unwrap(),
            "main",
        ],
    );
    let repo = Repo::open(&linked, &linked.join(".shiftboss/worktrees"), "main").unwrap();
    let landing = repo.land(&entries, &land_options(&[], None));
    assert_eq!(landing.error, None);
    assert_eq!(landing.results.len(), 2);
    let tip = git(&main_root, &["rev-parse", "main"]);
    assert!(
        loose(&main_root, &tip),
        "the merge {tip} is not in the shared objects"
    );
    assert!(!linked.join(".git").is_dir());
    git(&main_root, &["fsck", "--full", "--strict"]);
    assert_eq!(git(&linked, &["cat-file", "-t", &tip]), "commit");
}

/// A store cut short (here: a file where one object's fan-out folder
/// goes) leaves only objects whose every referent is on disk too, because
/// each object is stored after what it names; the next try completes it.
#[test]
fn a_store_cut_short_leaves_no_object_naming_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    repo_with_branches(&root, 0);
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let objects = root.join(".git/objects");
    // A blob whose fan-out folder does not exist yet, blocked by a file.
    let (content, blocker) = (0..)
        .map(|i| format!("deep {i}\n"))
        .map(|c| {
            let id = git2::Oid::hash_object(git2::ObjectType::Blob, c.as_bytes()).unwrap();
            let fan = objects.join(&id.to_string()[..2]);
            (c, fan)
        })
        .find(|(_, fan)| !fan.exists())
        .unwrap();
    std::fs::write(&blocker, "in the way").unwrap();
    let work = || {
        let r = &repo.main;
        let blob = r.blob(content.as_bytes()).unwrap();
        let mut sub = r.treebuilder(None).unwrap();
        sub.insert("deep.txt", blob, 0o100644).unwrap();
        let sub = sub.write().unwrap();
        let mut top = r.treebuilder(None).unwrap();
        top.insert("sub", sub, 0o040000).unwrap();
        let top = r.find_tree(top.write().unwrap()).unwrap();
        let sig = git2::Signature::new("a", "a@a", &git2::Time::new(0, 0)).unwrap();
        let commit = r.commit(None, &sig, &sig, "deep\n", &top, &[]).unwrap();
        Ok((commit, ()))
    };
    assert!(repo.objects_in_memory(work).is_err());
    // Whatever was stored names nothing missing.
    std::fs::remove_file(&blocker).unwrap();
    git(&root, &["fsck", "--full", "--strict"]);
    let (commit, ()) = repo.objects_in_memory(work).unwrap();
    git(&root, &["fsck", "--full", "--strict"]);
    assert_eq!(
        git(&root, &["show", &format!("{commit}:sub/deep.txt")]),
        content.trim_end()
    );
}
