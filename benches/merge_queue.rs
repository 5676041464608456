//! The merge queue's throughput: 30 gated, non-conflicting branches landed
//! on the target, where every landing gates the merged result with a gate
//! that takes G seconds (`sleep`). One at a time that is 30·G; in batches
//! of 8 (the default) it is 4 gate runs, ≈ 4·G.
//!
//! `cargo bench --bench merge_queue`

use divan::Bencher;
use shiftboss::domain::TaskId;
use shiftboss::merge::{LandEntry, LandOptions, Repo, init_demo_repo};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn main() {
    divan::main();
}

const BRANCHES: usize = 30;
/// G: how long the gate takes.
const GATE: &str = "sleep 0.2";
const AT: i64 = 1_780_000_000_000;

fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A repository with 30 branches, each adding a file of its own.
fn repo() -> (tempfile::TempDir, PathBuf, Vec<LandEntry>) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    init_demo_repo(&root, "main", &[("README.md", "bench\n")], AT).unwrap();
    git(&root, &["switch", "-q", "--detach"]);
    let mut entries = Vec::new();
    for i in 0..BRANCHES {
        let name = format!("shiftboss/b/t{i}");
        git(&root, &["switch", "-q", "-c", &name, "main"]);
        std::fs::write(root.join(format!("t{i}.txt")), format!("{i}\n")).unwrap();
        git(&root, &["add", "-A"]);
        git(
            &root,
            &[
                "-c",
                "user.name=a",
                "-c",
                "user.email=a@a",
                "commit",
                "-qm",
                "work",
            ],
        );
        git(&root, &["switch", "-q", "--detach", "main"]);
        entries.push(LandEntry {
            task: TaskId::new(format!("t{i}")),
            branch: name,
            message: format!("Merge t{i}"),
            context: String::new(),
        });
    }
    (tmp, root, entries)
}

/// Land every entry, `batch` at a time, as the queue does.
fn land_all(root: &std::path::Path, entries: &[LandEntry], batch: usize) {
    let repo = Repo::open(root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let checks = vec![GATE.to_string()];
    let mut merged = 0;
    for chunk in entries.chunks(batch) {
        let landing = repo.land(
            chunk,
            &LandOptions {
                checks: &checks,
                timeout: Duration::from_secs(60),
                env: &[],
                append_only: &[],
                ai: None,
                at: AT,
            },
        );
        assert!(landing.error.is_none(), "{landing:?}");
        merged += landing.results.len();
    }
    assert_eq!(merged, BRANCHES);
}

#[divan::bench(args = [8, 16, 30], sample_count = 3, sample_size = 1)]
fn thirty_branches_in_batches(bencher: Bencher, batch: usize) {
    bencher
        .with_inputs(repo)
        .bench_local_values(|(_tmp, root, entries)| land_all(&root, &entries, batch));
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn thirty_branches_one_by_one(bencher: Bencher) {
    bencher
        .with_inputs(repo)
        .bench_local_values(|(_tmp, root, entries)| land_all(&root, &entries, 1));
}
