//! The kill drill: four `command` agents commit line by line while
//! shiftboss is killed with SIGKILL at moments chosen by what the agents have
//! done, and restarted at once each time. No agent outlives its shiftboss,
//! no two sessions share a worktree, and at the end every task has landed
//! once with every line its agent wrote, none twice.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;

use drill::{Fixture, have_bwrap, setup, wait_for};
use repo::git;

/// Kills per drill: 4, or `SHIFTBOSS_DRILL_KILLS` for a longer one.
fn kills() -> usize {
    std::env::var("SHIFTBOSS_DRILL_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}
const TASKS: [&str; 4] = ["t1", "t2", "t3", "t4"];

/// Picks up where its branch (and worktree) left off; one commit per line.
const WRITER: &str = r#"#!/bin/sh
cat > /dev/null
f="src/$SHIFTBOSS_TASK.txt"
mkdir -p src
touch "$f"
n=$(wc -l < "$f")
while [ "$n" -lt __LINES__ ]; do
  n=$((n+1))
  echo "line $n of $SHIFTBOSS_TASK" >> "$f"
  echo "$SHIFTBOSS_TASK $n $SHIFTBOSS_SESSION" >> "$DRILL_MARKS/commits"
  git add -A && git commit -qm "$SHIFTBOSS_TASK: line $n" || echo "commit failed"
  sleep 0.2
done
exit 0
"#;

fn commits(f: &Fixture) -> usize {
    std::fs::read_to_string(f.marks.join("commits"))
        .unwrap_or_default()
        .lines()
        .count()
}

fn drill(mode: &str) {
    let kills = kills();
    // Lines per task: enough that every kill falls mid-run.
    let lines = 12.max(kills);
    let script = WRITER.replace("__LINES__", &lines.to_string());
    let f = setup(&script, 4, &TASKS, "");
    let config = std::fs::read_to_string(f.repo.join(".shiftboss/config.toml")).unwrap();
    std::fs::write(
        f.repo.join(".shiftboss/config.toml"),
        format!(
            "{config}[sandbox]\nmode = \"{mode}\"\nrw = [\"{}\"]\n",
            f.marks.display()
        ),
    )
    .unwrap();
    // Each run is killed after this many more lines (the last run finishes).
    let step = (TASKS.len() * lines / (kills + 2)).max(1);
    for _ in 0..kills {
        let at = commits(&f) + step;
        let mut child = f.up(&["--until-idle"]).spawn().unwrap();
        wait_for(&format!("{at} lines"), || {
            commits(&f) >= at || child.try_wait().unwrap().is_some()
        });
        assert!(
            child.try_wait().unwrap().is_none(),
            "the swarm finished before the kill at {at} lines"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        if mode == "on" {
            // The sandbox dies with its shiftboss.
            wait_for("the sandboxed agents to die with shiftboss", || {
                f.agents_alive().is_empty()
            });
        }
    }
    let out = f.up(&["--until-idle", "--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(f.agents_alive(), vec![], "agents outlived shiftboss");
    let log = std::fs::read_to_string(f.marks.join("commits")).unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    for t in TASKS {
        let files = git(&f.repo, &["ls-tree", "-r", "--name-only", "main"]);
        assert!(
            files.lines().any(|l| l == format!("src/{t}.txt")),
            "{t} did not land: {summary}\n{err}\n{}",
            history(&f, t)
        );
        let landed = git(&f.repo, &["show", &format!("main:src/{t}.txt")]);
        let want: String = (1..=lines).map(|n| format!("line {n} of {t}\n")).collect();
        assert_eq!(landed, want, "{t} on main; the agents' commits:\n{log}");
    }
    // The kills fell mid-task: tasks went on in later sessions.
    let mut sessions: Vec<&str> = log.lines().filter_map(|l| l.split(' ').nth(2)).collect();
    sessions.sort();
    sessions.dedup();
    assert!(sessions.len() > TASKS.len(), "{sessions:?}");
    // One session at a time per task: a line never written twice.
    for t in TASKS {
        let mut ns: Vec<&str> = log
            .lines()
            .filter(|l| l.starts_with(&format!("{t} ")))
            .map(|l| l.split(' ').nth(1).unwrap())
            .collect();
        let all = ns.len();
        ns.sort();
        ns.dedup();
        assert_eq!(ns.len(), all, "{t}: a line written twice\n{log}");
    }
}

#[test]
fn kill_9_drill_under_the_sandbox_loses_nothing_and_doubles_nothing() {
    if have_bwrap() {
        drill("on");
    }
}

#[test]
fn kill_9_drill_unconfined_loses_nothing_and_doubles_nothing() {
    drill("off");
}

/// A task's events from the log, one line each (for a failure's message).
fn history(f: &Fixture, task: &str) -> String {
    let db = rusqlite::Connection::open(f.repo.join(".shiftboss/state.db")).unwrap();
    let mut q = db
        .prepare("SELECT seq, session, kind, data FROM events WHERE task = ?1 ORDER BY seq")
        .unwrap();
    q.query_map([task], |r| {
        Ok(format!(
            "{} {} {} {}",
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?
        ))
    })
    .unwrap()
    .map(|l| l.unwrap())
    .collect::<Vec<_>>()
    .join("\n")
}
