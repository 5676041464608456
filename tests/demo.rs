//! End-to-end runs of the real binary on real git repositories and real
//! SQLite files, in virtual time.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::BIN;
use repo::git;

fn shiftboss(dir: &Path, args: &[&str]) -> Output {
    drill::run(dir, args, &[])
}

fn small() -> String {
    format!(
        "{}/fixtures/scenarios/small.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json(out: &Output) -> serde_json::Value {
    drill::summary(out)
}

fn demo(dir: &Path, extra: &[&str]) -> serde_json::Value {
    drill::demo_json(dir, extra)
}

#[test]
fn same_seed_same_log_digest_other_seed_another() {
    let tmp = tempfile::tempdir().unwrap();
    let s = small();
    let a = demo(&tmp.path().join("a"), &["--scenario", &s, "--seed", "11"]);
    let b = demo(&tmp.path().join("b"), &["--scenario", &s, "--seed", "11"]);
    let c = demo(&tmp.path().join("c"), &["--scenario", &s, "--seed", "12"]);
    assert_eq!(a["log_digest"], b["log_digest"]);
    assert_ne!(a["log_digest"], c["log_digest"]);
    assert_eq!(a["events"], b["events"]);
    assert!(a["merges"].as_u64().unwrap() > 0, "{a}");
}

#[test]
fn a_standard_day_merges_attributable_commits_onto_a_clean_target() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("day");
    let sum = demo(&dir, &["--agents", "30", "--until", "8h"]);
    let merges = sum["merges"].as_u64().unwrap();
    assert!(
        merges >= 100,
        "a working day merges most of the backlog: {sum}"
    );
    assert!(sum["tasks_total"].as_u64().unwrap() >= 140);
    assert!(sum["errors"].as_array().unwrap().is_empty(), "{sum}");
    // Every fault of the scenario showed up somewhere.
    assert!(sum["conflicts"].as_u64().unwrap() > 0, "{sum}");
    assert!(sum["concerns_open"].as_u64().unwrap() > 0, "{sum}");

    git(&dir, &["fsck", "--full", "--strict"]);
    // One merge commit per merge, each naming its task and agent.
    let log = git(&dir, &["log", "--merges", "--format=%H%x1f%B%x1e", "main"]);
    let commits: Vec<&str> = log.split('\x1e').filter(|c| !c.trim().is_empty()).collect();
    assert_eq!(commits.len() as u64, merges);
    for c in &commits {
        assert!(c.contains("Shiftboss-Task: "), "{c}");
        assert!(c.contains("Shiftboss-Agent: builder-"), "{c}");
    }
    // Agents' own commits carry their names as authors.
    let authors = git(&dir, &["log", "--no-merges", "--format=%an", "main"]);
    assert!(
        authors
            .lines()
            .filter(|a| a.starts_with("builder-"))
            .count() as u64
            >= merges
    );
    // The log agrees: one merge event per merge commit, attributed.
    let conn = rusqlite::Connection::open(dir.join(".shiftboss/state.db")).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND data LIKE '%\"merged\"%' AND agent IS NOT NULL AND task IS NOT NULL AND convoy IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n as u64, merges);

    every_merge_passes_its_gates_and_keeps_the_agents_lines(&dir, &commits);

    // A conflict went back to be redone on the target and landed from a
    // fresh branch; the old branch is kept.
    let redone: Vec<(String, String)> = {
        let mut stmt = conn
            .prepare(
                "SELECT task, json_extract(data,'$.branch') FROM events
                 WHERE kind = 'task_assigned' AND json_extract(data,'$.branch') LIKE '%-r1'",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert!(!redone.is_empty(), "a reimagined task");
    let merged: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM tasks WHERE status = 'merged'")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert!(redone.iter().any(|(t, _)| merged.contains(t)), "{redone:?}");
    let branches = git(&dir, &["branch", "--list", "shiftboss/*"]);
    for (task, _) in &redone {
        let kept = branches
            .lines()
            .filter(|b| b.trim().ends_with(&format!("/{task}")))
            .count();
        assert!(
            kept >= 1,
            "the conflicted branch of {task} is kept: {branches}"
        );
    }
}

/// Re-run the gates on every merge commit of the day (in a worktree of the
/// test's own), and check that each merge kept every line its branch added.
fn every_merge_passes_its_gates_and_keeps_the_agents_lines(dir: &Path, commits: &[&str]) {
    let check = tempfile::tempdir().unwrap();
    let wt = check.path().join("wt");
    let wt_s = wt.display().to_string();
    git(dir, &["worktree", "add", "-q", "--detach", &wt_s, "main"]);
    for c in commits {
        let sha = c.trim().split('\x1f').next().unwrap().trim();
        git(&wt, &["checkout", "-q", "--detach", sha]);
        let gate = Command::new("sh")
            .args(["-c", "! grep -rn 'SIM-BUG' src"])
            .current_dir(&wt)
            .output()
            .unwrap();
        assert!(
            gate.status.success(),
            "{sha} fails its gate: {}",
            String::from_utf8_lossy(&gate.stdout)
        );
        // The agent's side: every line its branch added since it left the
        // target is in the merge.
        let base = git(
            dir,
            &["merge-base", &format!("{sha}^1"), &format!("{sha}^2")],
        );
        let diff = git(
            dir,
            &["diff", "--unified=0", base.trim(), &format!("{sha}^2")],
        );
        let mut file = String::new();
        let mut merged_text = String::new();
        for line in diff.lines() {
            if let Some(f) = line.strip_prefix("+++ b/") {
                file = f.to_string();
                merged_text = git(dir, &["show", &format!("{sha}:{file}")]);
            } else if let Some(added) = line.strip_prefix('+')
                && !line.starts_with("+++")
                && !added.trim().is_empty()
            {
                assert!(
                    merged_text.lines().any(|l| l == added),
                    "{sha}: {file} lost the agent's line {added:?}"
                );
            }
        }
    }
    git(dir, &["worktree", "remove", "--force", &wt_s]);
}

#[test]
fn killed_with_sigkill_and_started_again_nothing_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("day");
    let state = dir.display().to_string();
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--headless",
            "--state-dir",
            &state,
            "--agents",
            "30",
            "--until",
            "8h",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (on the pipe, not the clock) until three virtual hours have run.
    let stderr = child.stderr.take().unwrap();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("03:00 virtual") {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let db = dir.join(".shiftboss/state.db");
    let before: Vec<(i64, String, String)> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut q = conn
            .prepare("SELECT seq, kind, data FROM events ORDER BY seq")
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(before.len() > 100, "the first run got somewhere");
    let tips_before = git(
        &dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads/shiftboss/",
        ],
    );

    let sum = demo(&dir, &["--until", "8h"]);
    assert_eq!(sum["resumed"], true);

    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut q = conn
        .prepare("SELECT seq, kind, data FROM events WHERE seq <= ?1 ORDER BY seq")
        .unwrap();
    let after: Vec<(i64, String, String)> = q
        .query_map([before.last().unwrap().0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        before, after,
        "every event written before the kill is still there, unchanged"
    );
    // Every commit on an agent branch before the kill is still reachable.
    for line in tips_before.lines() {
        let (branch, tip) = line.split_once(' ').unwrap();
        let ok = Command::new("git")
            .args(["merge-base", "--is-ancestor", tip, branch])
            .current_dir(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{branch} lost {tip}");
    }
    // No task is left in limbo: the day ended with nothing running.
    let running: i64 = conn
        .query_row(
            "SELECT count(*) FROM tasks WHERE status IN ('in_progress', 'gating')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let lost: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'swarm_resumed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(lost, 1);
    assert!(
        running <= 30,
        "{running} still running at the end of the day"
    );
    assert_eq!(sum["tasks_total"].as_u64().unwrap() as usize, {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM tasks", [], |r| r.get(0))
            .unwrap();
        n as usize
    });
    git(&dir, &["fsck", "--full"]);
}

#[test]
fn bad_input_gets_one_line_exit_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"x\"\nduration = \"soon\"\n").unwrap();
    let dir = tmp.path().join("never");
    let out = shiftboss(
        tmp.path(),
        &[
            "demo",
            "--headless",
            "--scenario",
            bad.to_str().unwrap(),
            "--state-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml:3"), "{err}");
    assert!(err.contains("scenario.duration"), "{err}");
    assert!(!dir.exists(), "nothing written");

    let out = shiftboss(tmp.path(), &["demo", "--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));

    let out = shiftboss(tmp.path(), &["up", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
}

#[test]
fn init_add_import_list_and_up_run_a_backlog_to_the_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "hello\n").unwrap();
    git(dir, &["add", "."]);
    git(
        dir,
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

    let out = shiftboss(dir, &["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = shiftboss(dir, &["init"]);
    assert_eq!(out.status.code(), Some(2), "no silent overwrite");
    // A rehearsal: simulated agents, which `up` runs only with --simulate.
    std::fs::write(
        dir.join(".shiftboss/config.toml"),
        "[swarm]\nruntime = \"sim\"\n",
    )
    .unwrap();
    let out = shiftboss(dir, &["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("FAIL  runtime sim"), "{report}");
    assert!(report.contains("problems: 1"), "{report}");

    let out = shiftboss(
        dir,
        &[
            "task",
            "add",
            "Write the docs",
            "--scope",
            "docs/**",
            "--convoy",
            "docs",
            "--priority",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = shiftboss(dir, &["task", "add", "Nope", "--after", "T-9999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("T-9999"));

    let backlog = format!(
        "{}/fixtures/backlog-example.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = shiftboss(dir, &["task", "import", &backlog]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let list = json(&shiftboss(dir, &["task", "list", "--json"]));
    let n = list.as_array().unwrap().len();
    assert!(n >= 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "pending")
    );

    let sum = json(&shiftboss(
        dir,
        &[
            "up",
            "--simulate",
            "--headless",
            "--until-idle",
            "--json",
            "--approve-all",
        ],
    ));
    assert_eq!(sum["tasks_total"].as_u64().unwrap() as usize, n);
    assert!(sum["merges"].as_u64().unwrap() > 0, "{sum}");
    let status = json(&shiftboss(dir, &["status", "--json"]));
    assert_eq!(status["log_digest"], sum["log_digest"]);
    // The operator's checkout, on main and clean, followed each landing:
    // nothing staged or reversed, every file of main on disk.
    assert_eq!(
        git(dir, &["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    for f in git(dir, &["ls-tree", "-r", "--name-only", "main"]).lines() {
        assert!(dir.join(f).exists(), "{f}");
    }
    assert!(git(dir, &["log", "--oneline", "main"]).lines().count() > 1);
}
