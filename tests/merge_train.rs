//! The merge queue as a train, on real repositories made by the tests:
//! batches gated at once, each built on the one before it, landing in
//! order; a failing car bisected and the cars behind it merged and gated
//! again on the new target, which never points at a tree that failed.

#[allow(dead_code)]
mod support;

use shiftboss::domain::{EventKind, MergeOutcome, TaskId};
use shiftboss::merge::{LandEntry, LandOptions, Landing, Repo, Train};
use std::path::Path;
use std::time::Duration;
use support::repo::{branch, git, new_repo};

const AT: i64 = 1_780_000_000_000;

fn entry(name: &str) -> LandEntry {
    LandEntry {
        task: TaskId::new(name),
        branch: name.into(),
        message: format!("Merge {name}\n\nShiftboss-Task: {name}\n"),
        context: String::new(),
        advance: None,
    }
}

/// `names` landed in cars of `batch`, up to `cars` gated at once.
fn land_train(repo: &Path, names: &[&str], gate: &str, batch: usize, cars: usize) -> Landing {
    land_train_onto(repo, names, gate, Train { batch, cars }, None)
}

/// As [`land_train`], on `onto` (a team's branch) or the target.
fn land_train_onto(
    repo: &Path,
    names: &[&str],
    gate: &str,
    train: Train,
    onto: Option<&str>,
) -> Landing {
    let checks = vec![gate.to_string()];
    let entries: Vec<LandEntry> = names.iter().map(|n| entry(n)).collect();
    let repo = Repo::open(repo, &repo.join(".shiftboss/worktrees"), "main").unwrap();
    repo.land_train(
        &entries,
        &LandOptions {
            checks: &checks,
            timeout: Duration::from_secs(120),
            env: &[],
            append_only: &[],
            ai: None,
            at: AT,
            onto,
        },
        train,
    )
}

fn main_tip(repo: &Path) -> String {
    git(repo, &["rev-parse", "main"]).trim().to_string()
}

fn merged_commit(l: &Landing, task: &str) -> String {
    match l.results.iter().find(|(t, _)| t.as_str() == task) {
        Some((_, MergeOutcome::Merged { commit, .. })) => commit.clone(),
        other => panic!("{task}: {other:?} in {l:?}"),
    }
}

/// Each run: its tasks and whether it passed.
fn runs(l: &Landing) -> Vec<(Vec<&str>, bool)> {
    l.runs
        .iter()
        .map(|r| (r.tasks.iter().map(|t| t.as_str()).collect(), r.passed))
        .collect()
}

/// Every tree the target ever pointed at, oldest first.
fn target_tips(repo: &Path) -> Vec<String> {
    let tips = git(repo, &["log", "-g", "--format=%H", "refs/heads/main"]);
    tips.lines().rev().map(str::to_string).collect()
}

#[test]
fn a_train_of_three_batches_is_gated_at_once_and_lands_in_order() {
    let (tmp, repo) = new_repo(&[("README", "r\n")]);
    let names = ["t1", "t2", "t3", "t4", "t5", "t6"];
    for n in names {
        branch(&repo, n, &[(&format!("{n}.txt"), "ok\n")]);
    }
    let init = main_tip(&repo);
    // A meeting point: each car's gate says it is here, then waits until
    // all three are. Gated one after another, the first would wait for
    // ever (and fail at the timeout); gated at once, they all pass.
    let here = tmp.path().join("here");
    std::fs::create_dir(&here).unwrap();
    let gate = format!(
        "touch {h}/$(basename \"$PWD\") && while [ $(ls {h} | wc -l) -lt 3 ]; do sleep 0.01; done",
        h = here.display()
    );
    let l = land_train(&repo, &names, &gate, 2, 3);
    assert_eq!(l.error, None, "{l:?}");
    assert_eq!(
        runs(&l),
        [
            (vec!["t1", "t2"], true),
            (vec!["t3", "t4"], true),
            (vec!["t5", "t6"], true),
        ]
    );
    let order: Vec<&str> = l.results.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(order, names);
    // Each car was built on the one before it and gated in a worktree of its own.
    assert_eq!(l.runs[0].base, init);
    assert_eq!(l.runs[1].base, merged_commit(&l, "t2"));
    assert_eq!(l.runs[2].base, merged_commit(&l, "t4"));
    let mut met: Vec<String> = std::fs::read_dir(&here)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    met.sort();
    assert_eq!(met, ["_queue", "_queue-2", "_queue-3"]);
    assert_eq!(l.serial_runs, 1);
    // The target moved car by car, to exactly each car's candidate.
    assert_eq!(
        target_tips(&repo),
        [
            init,
            merged_commit(&l, "t2"),
            merged_commit(&l, "t4"),
            merged_commit(&l, "t6"),
        ]
    );
    let merges = git(&repo, &["log", "--first-parent", "--format=%s", "main"]);
    let merges: Vec<&str> = merges.lines().collect();
    assert_eq!(
        merges,
        [
            "Merge t6", "Merge t5", "Merge t4", "Merge t3", "Merge t2", "Merge t1", "init"
        ]
    );
    git(&repo, &["fsck", "--strict"]);
}

#[test]
fn a_failing_middle_car_is_bisected_and_the_car_behind_it_is_gated_again() {
    let gate = "! grep -rqs BAD --exclude-dir=.git .";
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    for (n, text) in [
        ("c1", "ok\n"),
        ("c2", "ok\n"),
        ("m1", "BAD\n"),
        ("m2", "ok\n"),
        ("e1", "ok\n"),
        ("e2", "ok\n"),
    ] {
        branch(&repo, n, &[(&format!("{n}.txt"), text)]);
    }
    let l = land_train(&repo, &["c1", "c2", "m1", "m2", "e1", "e2"], gate, 2, 3);
    assert_eq!(l.error, None, "{l:?}");
    // The third car was gated on top of the failing second, so what its
    // gate said is dropped. The second's halves and the third are the next
    // cars, gated at once: m1 fails, so m2 and the third (built on m1) are
    // gated again on the new target.
    assert_eq!(
        runs(&l),
        [
            (vec!["c1", "c2"], true),
            (vec!["m1", "m2"], false),
            (vec!["m1"], false),
            (vec!["m2"], true),
            (vec!["e1", "e2"], true),
        ]
    );
    assert!(
        matches!(
            l.results.iter().find(|(t, _)| t.as_str() == "m1"),
            Some((_, MergeOutcome::Rejected { .. }))
        ),
        "{l:?}"
    );
    for t in ["c1", "c2", "m2", "e1", "e2"] {
        merged_commit(&l, t);
    }
    assert_eq!(l.runs[4].base, merged_commit(&l, "m2"));
    let e1_parent = git(
        &repo,
        &["rev-parse", &format!("{}^1", merged_commit(&l, "e1"))],
    );
    assert_eq!(e1_parent.trim(), merged_commit(&l, "m2"));
    // Three cars at once; m1, m2 and the third at once; m2 and the third
    // again: three gate runs long instead of five one after another.
    assert_eq!(l.serial_runs, 3);
    // Every tree the target ever pointed at passes the gate.
    let tips = target_tips(&repo);
    assert_eq!(tips.len(), 4, "init, c1+c2, m2, e1+e2: {tips:?}");
    for tip in &tips {
        let files = git(&repo, &["ls-tree", "-r", "--name-only", tip]);
        assert!(!files.contains("m1.txt"), "{tip}: {files}");
    }
    assert_eq!(tips.last(), Some(&merged_commit(&l, "e2")));
    git(&repo, &["fsck", "--strict"]);
}

#[test]
fn an_entry_that_conflicts_with_a_car_ahead_is_reported_once_that_car_landed() {
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    branch(&repo, "a1", &[("README", "from a1\n")]);
    branch(&repo, "a2", &[("a2.txt", "ok\n")]);
    // b1 changes the line a1 changed: it conflicts on top of the first car.
    branch(&repo, "b1", &[("README", "from b1\n")]);
    branch(&repo, "b2", &[("b2.txt", "ok\n")]);
    let l = land_train(&repo, &["a1", "a2", "b1", "b2"], "true", 2, 2);
    assert_eq!(l.error, None, "{l:?}");
    assert_eq!(
        runs(&l),
        [(vec!["a1", "a2"], true), (vec!["b2"], true)],
        "b1 never reached a gate"
    );
    assert!(
        matches!(
            l.results.iter().find(|(t, _)| t.as_str() == "b1"),
            Some((_, MergeOutcome::Conflicted { .. }))
        ),
        "{l:?}"
    );
    assert_eq!(main_tip(&repo), merged_commit(&l, "b2"));
    let readme = git(&repo, &["show", "main:README"]);
    assert_eq!(readme, "from a1\n");
}

#[test]
fn an_operator_checkout_that_holds_a_car_holds_every_car_behind_it() {
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    for n in ["a", "c", "d"] {
        branch(&repo, n, &[(&format!("{n}.txt"), "ok\n")]);
    }
    // The operator works on main, with a file of their own where the
    // second car puts one.
    git(&repo, &["switch", "-q", "main"]);
    std::fs::write(repo.join("c.txt"), "mine\n").unwrap();
    let l = land_train(&repo, &["a", "c", "d"], "true", 1, 3);
    assert_eq!(l.error, None, "{l:?}");
    assert_eq!(l.held, ["c.txt"]);
    let decided: Vec<&str> = l.results.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(decided, ["a"], "c and d stay queued");
    assert_eq!(main_tip(&repo), merged_commit(&l, "a"));
    // The checkout followed the first car and kept the operator's file.
    assert_eq!(std::fs::read_to_string(repo.join("a.txt")).unwrap(), "ok\n");
    assert_eq!(
        std::fs::read_to_string(repo.join("c.txt")).unwrap(),
        "mine\n"
    );
    assert!(!repo.join("d.txt").exists());
}

#[test]
fn a_train_onto_a_team_branch_moves_that_branch_and_not_the_target() {
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    let names = ["t1", "t2", "t3", "t4"];
    for n in names {
        branch(&repo, n, &[(&format!("{n}.txt"), "ok\n")]);
    }
    let before = main_tip(&repo);
    let team = "shiftboss/team/core";
    let l = land_train_onto(
        &repo,
        &names,
        "true",
        Train { batch: 2, cars: 2 },
        Some(team),
    );
    assert_eq!(l.error, None, "{l:?}");
    assert_eq!(
        runs(&l),
        [(vec!["t1", "t2"], true), (vec!["t3", "t4"], true)]
    );
    assert_eq!(main_tip(&repo), before);
    let tip = git(&repo, &["rev-parse", team]);
    assert_eq!(tip.trim(), merged_commit(&l, "t4"));
    assert_eq!(l.runs[1].base, merged_commit(&l, "t2"));
}

/// The small scenario's day with its queue as a train of `cars` batches of
/// two; the log's digest, the most entries merged by one landing, and
/// every tree the target held.
fn simulated_day(dir: &Path, cars: usize) -> (String, usize, Vec<String>) {
    use shiftboss::config::Scenario;
    use shiftboss::swarm::{RunOptions, Speed};
    let mut scenario = Scenario::builtin("small").unwrap();
    scenario.config.merge.batch = 2;
    scenario.config.merge.train = cars;
    // Slow gates: entries queue up behind a landing.
    scenario.config.sim.gate_minutes = 20;
    let files = [
        ("README.md", "demo\n"),
        (
            "src/shared/registry.rs",
            "pub const OWNER: &str = \"nobody\";\n",
        ),
    ];
    let mut swarm = support::sim::open(dir, &scenario, &files);
    let end = swarm.engine().state().started_at + scenario.duration;
    swarm
        .run(&RunOptions {
            until: Some(end),
            stop_when_idle: true,
            speed: Speed::Max,
            approve_all: true,
            progress: false,
        })
        .unwrap();
    // A landing's outcomes are folded in one step, at one time.
    let mut per_landing = std::collections::BTreeMap::<i64, usize>::new();
    for e in swarm.store().load_events().unwrap() {
        if let EventKind::MergeFinished {
            outcome: MergeOutcome::Merged { .. },
        } = e.kind
        {
            *per_landing.entry(e.at).or_default() += 1;
        }
    }
    let most = per_landing.values().copied().max().unwrap_or(0);
    let digest = swarm.store().digest().unwrap();
    (digest, most, target_tips(dir))
}

#[test]
fn a_simulated_day_with_a_train_is_the_same_day_every_time() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (digest, most, tips) = simulated_day(a.path(), 3);
    // More than a batch of two landed at once: the train ran.
    assert!(most > 2, "at most {most} merged by one landing");
    assert_eq!(simulated_day(b.path(), 3).0, digest);
    // The simulator plants SIM-BUG where a gate must fail: no tree the
    // target ever held has it.
    for tip in &tips {
        let found = std::process::Command::new("git")
            .args(["grep", "-q", "SIM-BUG", tip, "--", "src"])
            .current_dir(a.path())
            .status()
            .unwrap();
        assert_eq!(found.code(), Some(1), "SIM-BUG in {tip}");
    }
}
