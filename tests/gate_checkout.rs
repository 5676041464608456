//! A branch's gates run on exactly that branch's commit, in a checkout of
//! their own: real `command` agents, the real binary, a real repository.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{add_tasks, command_config, init_with, up_until_idle, write_agent, write_script};
use repo::{git, new_repo};

/// Writes its task's file and says it is done at once, so the scheduler
/// hands the agent its next task while the gates of this one still run.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src
echo "work of $SHIFTBOSS_AGENT on $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

/// Takes a moment, then writes down where it ran, the commit it saw and the
/// files it saw, one line per run, to a log outside the repository.
const GATE: &str = r#"#!/bin/sh
sleep 1
echo "$(pwd) $(git rev-parse HEAD) $(ls src 2>/dev/null | tr '\n' ',')" >> "$(dirname "$0")/gates.log"
"#;

#[test]
fn every_branch_gate_sees_its_own_tasks_commit_while_the_agent_works_on_the_next() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    let gate = write_script(tmp.path(), "gate.sh", GATE);
    let gates = format!("[gates]\ncommands = [\"{}\"]\n", gate.display());
    init_with(&repo, &command_config(2, &agent, &gates));
    let tasks = ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"];
    add_tasks(&repo, &tasks);
    let sum = up_until_idle(&repo, &[]);
    assert_eq!(sum["merges"], 6, "{sum}");

    // Each task's branch tip is the commit its gates ran on (no rework here:
    // every gate passes, so the tip never moved after its gates).
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let mut tips = std::collections::BTreeMap::new();
    for t in tasks {
        let branch: String = conn
            .query_row(
                "SELECT json_extract(data,'$.branch') FROM events WHERE kind = 'task_assigned' AND task = ?1",
                [t],
                |r| r.get(0),
            )
            .unwrap();
        let tip = git(&repo, &["rev-parse", &branch]).trim().to_string();
        tips.insert(tip, t);
    }
    assert_eq!(tips.len(), tasks.len());

    let log = std::fs::read_to_string(tmp.path().join("gates.log")).unwrap();
    let branch_runs: Vec<&str> = log
        .lines()
        .filter(|l| !l.split(' ').next().unwrap().ends_with("_queue"))
        .collect();
    assert_eq!(branch_runs.len(), tasks.len(), "{log}");
    let mut seen = Vec::new();
    let mut wrong = Vec::new();
    for line in &branch_runs {
        let mut parts = line.split(' ');
        let (head, files) = (parts.nth(1).unwrap(), parts.next().unwrap_or(""));
        match tips.get(head) {
            Some(task) if files.split(',').any(|f| f == format!("{task}.txt")) => seen.push(*task),
            _ => wrong.push(*line),
        }
    }
    assert!(
        wrong.is_empty(),
        "gates that did not see their task's commit and file:\n{}\nall:\n{log}",
        wrong.join("\n")
    );
    // Each task's commit was gated exactly once: no gate saw another
    // task's tree (the agent's next task) instead of its own.
    seen.sort();
    assert_eq!(seen, tasks, "\n{log}");
    // Each in a checkout of its own, not an agent's worktree.
    for line in &branch_runs {
        assert!(line.split(' ').next().unwrap().contains("_gate-"), "{line}");
    }
    // No more gate checkouts than gate runs, every one detached, and no
    // pointer branch left behind.
    let worktrees = git(&repo, &["worktree", "list"]);
    let gates: Vec<&str> = worktrees.lines().filter(|l| l.contains("_gate-")).collect();
    assert!(
        !gates.is_empty() && gates.len() <= tasks.len(),
        "{worktrees}"
    );
    assert!(
        gates.iter().all(|l| l.ends_with("(detached HEAD)")),
        "{worktrees}"
    );
    assert_eq!(git(&repo, &["branch", "--list", "shiftboss-gate/*"]), "");
}

#[test]
fn a_gate_checkout_is_reused_at_the_next_commit_with_build_caches_kept() {
    let (_tmp, repo) = new_repo(&[(".gitignore", "cache/\n"), ("a.txt", "one\n")]);
    let first = git(&repo, &["rev-parse", "main"]).trim().to_string();
    git(&repo, &["switch", "-q", "-c", "next", "main"]);
    std::fs::write(repo.join("a.txt"), "two\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "two",
        ],
    );
    let second = git(&repo, &["rev-parse", "next"]).trim().to_string();
    git(&repo, &["switch", "-q", "--detach", "main"]);
    let r =
        shiftboss::merge::Repo::open(&repo, &repo.join(".shiftboss/worktrees"), "main").unwrap();

    let dir = r.gate_checkout("_gate-1", &first).unwrap();
    assert_eq!(git(&dir, &["rev-parse", "HEAD"]).trim(), first);
    // What a gate leaves: a build cache (ignored), junk, an edit.
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    std::fs::write(dir.join("cache/build"), "warm\n").unwrap();
    std::fs::write(dir.join("junk.txt"), "junk\n").unwrap();
    std::fs::write(dir.join("a.txt"), "edited by a gate\n").unwrap();

    let again = r.gate_checkout("_gate-1", &second).unwrap();
    assert_eq!(again, dir);
    assert_eq!(git(&dir, &["rev-parse", "HEAD"]).trim(), second);
    assert_eq!(
        git(&dir, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "HEAD",
        "detached"
    );
    assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "two\n");
    assert!(!dir.join("junk.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("cache/build")).unwrap(),
        "warm\n"
    );
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    // No pointer branch left, and the branches are as they were.
    assert_eq!(git(&repo, &["branch", "--list", "shiftboss-gate/*"]), "");
    assert_eq!(git(&repo, &["rev-parse", "next"]).trim(), second);
}
