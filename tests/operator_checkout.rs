//! The operator's own checkout on the target branch: a clean one follows
//! each landing; one with changes holds landings with one pause point
//! naming the files, and landings resume by themselves once it is clean.
//! Real `command` agents, the real binary, real repositories.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{BIN, add_tasks, command_config, init_with, write_agent};
use repo::{git, new_repo};

const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src
echo "work of $SHIFTBOSS_AGENT on $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

/// A repository whose own checkout is on `main`, with two tasks.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    git(&repo, &["switch", "-q", "main"]);
    let agent = write_agent(tmp.path(), AGENT);
    init_with(&repo, &command_config(2, &agent, ""));
    add_tasks(&repo, &["t-1", "t-2"]);
    (tmp, repo)
}

fn count(repo: &Path, sql: &str) -> i64 {
    let db = repo.join(".shiftboss/state.db");
    if !db.exists() {
        return 0;
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

/// Wait for `cond`, failing the test after a generous bound.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_clean_checkout_on_the_target_follows_each_landing() {
    let (_tmp, repo) = setup();
    let out = drill::run(&repo, &["up", "--headless", "--until-idle", "--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 2, "{sum}");
    // Still on main, nothing staged, nothing reversed, the work on disk.
    assert_eq!(
        git(&repo, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    for t in ["t-1", "t-2"] {
        let text = std::fs::read_to_string(repo.join(format!("src/{t}.txt"))).unwrap();
        assert!(text.contains(t), "{text}");
    }
}

#[test]
fn a_dirty_checkout_on_the_target_holds_landings_until_it_is_clean() {
    let (_tmp, repo) = setup();
    let before = git(&repo, &["rev-parse", "main"]);
    std::fs::write(repo.join("README.md"), "hello\nmy own edit\n").unwrap();
    let child = Command::new(BIN)
        .args(["up", "--headless", "--until", "1h", "--json"])
        .current_dir(&repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pauses = "SELECT count(*) FROM events WHERE kind = 'pause_requested' AND json_extract(data,'$.pause') = 'checkout'";
    wait_for("the checkout pause point", || count(&repo, pauses) == 1);
    wait_for("both tasks queued", || {
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'merge_queued'",
        ) == 2
    });
    // Nothing landed, and the operator's files are as they left them.
    assert_eq!(git(&repo, &["rev-parse", "main"]), before);
    assert_eq!(git(&repo, &["status", "--porcelain"]), " M README.md\n");
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let reason: String = conn
        .query_row(
            "SELECT json_extract(data,'$.reason') FROM events WHERE kind = 'pause_requested'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reason.contains("README.md"), "{reason}");

    git(&repo, &["stash", "-q"]);
    wait_for("both landings", || {
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND json_extract(data,'$.outcome.outcome') = 'merged'",
        ) == 2
    });
    // SAFETY: a plain signal to the child this test started.
    shiftboss::sys::signal_process(child.id(), shiftboss::sys::Signal::TERM);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One pause point for the whole hold, decided once landings resumed.
    assert_eq!(count(&repo, pauses), 1);
    assert_eq!(
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'pause_decided'"
        ),
        1
    );
    assert_ne!(git(&repo, &["rev-parse", "main"]), before);
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert!(repo.join("src/t-1.txt").exists() && repo.join("src/t-2.txt").exists());
    git(&repo, &["stash", "pop", "-q"]);
    assert_eq!(git(&repo, &["status", "--porcelain"]), " M README.md\n");
}

#[test]
fn a_headless_run_ends_with_held_landings_named_in_its_summary() {
    let (_tmp, repo) = setup();
    let before = git(&repo, &["rev-parse", "main"]);
    std::fs::write(repo.join("README.md"), "hello\nmy own edit\n").unwrap();
    // Nothing more can happen without the operator: the run ends by itself.
    let out = drill::run(&repo, &["up", "--headless", "--until-idle"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("pause      P-0001 checkout: landings held: your checkout of main has changes to README.md"),
        "{text}"
    );
    assert!(text.contains("2 queued"), "{text}");
    assert_eq!(git(&repo, &["rev-parse", "main"]), before);
    assert_eq!(git(&repo, &["status", "--porcelain"]), " M README.md\n");
}
