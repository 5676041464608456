//! The merge queue's throughput: 30 gated, non-conflicting branches landed
//! on the target, where every landing gates the merged result with a gate
//! that takes G seconds (`sleep`). One at a time that is 30·G; in batches
//! of 8 (the default) it is 4 gate runs, ≈ 4·G. As a merge train
//! (`[merge] train = N`: N batches of 8 gated at once, each built on the
//! one before) the 4 gate runs overlap: ≈ ⌈4/N⌉·G.
//!
//! `cargo bench --bench merge_queue`
//!
//! Wall time moves with the machine's load; beside it the run prints the
//! CPU (user + system) shiftboss itself spent landing, per batch, without
//! the gates' own processes: the fixed cost each batch adds to G.

use divan::Bencher;
use shiftboss::domain::TaskId;
use shiftboss::merge::{LandEntry, LandOptions, Repo, Train, init_demo_repo};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

fn main() {
    divan::main();
    let rows = CPU.lock().unwrap_or_else(|e| e.into_inner());
    if rows.is_empty() {
        return;
    }
    eprintln!("\nmerge_queue: shiftboss's own CPU per batch (user + system, gates excluded)");
    let mut sizes: Vec<Shape> = rows.iter().map(|r| r.0).collect();
    sizes.sort_unstable();
    sizes.dedup();
    for size in sizes {
        let mut per: Vec<f64> = rows
            .iter()
            .filter(|r| r.0 == size)
            .map(|r| r.1 / r.2 as f64)
            .collect();
        per.sort_by(f64::total_cmp);
        let median = per[per.len() / 2];
        let (batch, cars) = size;
        eprintln!(
            "batches of {batch:>2}, train of {cars}: median {:>6.2} ms per batch over {} runs",
            median * 1e3,
            per.len()
        );
    }
}

/// A run's batch size and the cars of its train.
type Shape = (usize, usize);

/// Each run: its shape, CPU seconds landing, batches landed.
static CPU: Mutex<Vec<(Shape, f64, usize)>> = Mutex::new(Vec::new());

/// The CPU this thread (the one landing) has used so far (user + system),
/// in seconds, from the scheduler's own count in nanoseconds.
fn own_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: f64 = stat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("time on the CPU");
    ns * 1e-9
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
            advance: None,
        });
    }
    (tmp, root, entries)
}

/// Land every entry, `batch` at a time (`cars` batches gated at once), as
/// the queue does.
fn land_all(root: &std::path::Path, entries: &[LandEntry], batch: usize, cars: usize) {
    let repo = Repo::open(root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let checks = vec![GATE.to_string()];
    let mut merged = 0;
    let mut batches = 0;
    let start = own_cpu();
    let train = Train { batch, cars };
    for chunk in entries.chunks(batch * cars) {
        let landing = repo.land_train(
            chunk,
            &LandOptions {
                checks: &checks,
                timeout: Duration::from_secs(60),
                env: &[],
                append_only: &[],
                ai: None,
                at: AT,
                onto: None,
            },
            train,
        );
        assert!(landing.error.is_none(), "{landing:?}");
        merged += landing.results.len();
        batches += landing.runs.len();
    }
    assert_eq!(merged, BRANCHES);
    let cpu = own_cpu() - start;
    CPU.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(((batch, cars), cpu, batches.max(1)));
}

#[divan::bench(args = [8, 16, 30], sample_count = 3, sample_size = 1)]
fn thirty_branches_in_batches(bencher: Bencher, batch: usize) {
    bencher
        .with_inputs(repo)
        .bench_local_values(|(_tmp, root, entries)| land_all(&root, &entries, batch, 1));
}

/// Batches of 8 as a merge train of 1 (the queue without a train), 2 and 4 cars.
#[divan::bench(args = [1, 2, 4], sample_count = 5, sample_size = 1)]
fn thirty_branches_in_a_train_of(bencher: Bencher, cars: usize) {
    bencher
        .with_inputs(repo)
        .bench_local_values(|(_tmp, root, entries)| land_all(&root, &entries, 8, cars));
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn thirty_branches_one_by_one(bencher: Bencher) {
    bencher
        .with_inputs(repo)
        .bench_local_values(|(_tmp, root, entries)| land_all(&root, &entries, 1, 1));
}
