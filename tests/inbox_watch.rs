//! Work comes in while the swarm runs: a backlog file dropped into
//! `.shiftboss/inbox/` is taken in by the running owner as it appears, and a
//! bad one is set aside with the backlog reader's one-line error.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{setup, wait_for};
use repo::git;

/// Holds its task until `go` is in the marks folder, so the swarm is still
/// running when the files are dropped; every task writes its own file.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
if [ "$SHIFTBOSS_TASK" = first ]; then
  while [ ! -e "$DRILL_MARKS/go" ]; do sleep 0.1; done
fi
mkdir -p src
echo "done by $SHIFTBOSS_AGENT" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

#[test]
fn a_backlog_file_dropped_into_the_inbox_joins_the_running_swarm() {
    let f = setup(AGENT, 1, &["first"], "");
    let extra = format!("[sandbox]\nrw = [\"{}\"]\n", f.marks.display());
    let config = f.repo.join(".shiftboss/config.toml");
    let text = std::fs::read_to_string(&config).unwrap() + &extra;
    std::fs::write(&config, text).unwrap();
    let owner = f
        .up(&["--until-idle", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let db = f.repo.join(".shiftboss/state.db");
    let spawned = || {
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM events WHERE kind = 'agent_spawned'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .is_ok_and(|n| n > 0)
    };
    wait_for("the first agent to start", spawned);

    // Written in place, as an editor or `cp` would.
    let inbox = f.repo.join(".shiftboss/inbox");
    let good = inbox.join("late.toml");
    std::fs::write(
        &good,
        "[[convoy]]\nname = \"late\"\n\n[[convoy.task]]\nid = \"late-1\"\ntitle = \"Arrived while running\"\nscope = [\"src/**\"]\n",
    )
    .unwrap();
    let bad = inbox.join("broken.toml");
    std::fs::write(
        &bad,
        "[[convoy]]\nname = \"x\"\n\n[[convoy.task]]\nid = 7\n",
    )
    .unwrap();
    wait_for("the owner to take both files", || {
        !good.exists() && !bad.exists()
    });
    assert!(
        inbox.join("broken.rejected").exists(),
        "set aside, not lost"
    );
    // Taken in while the first task was still held: then let it finish.
    std::fs::write(f.marks.join("go"), "").unwrap();
    let out = owner.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 2, "{sum}");
    assert_eq!(
        git(&f.repo, &["show", "main:src/late-1.txt"]).trim(),
        "done by builder-01"
    );
    // The bad file's error names the file, the line and the key.
    let errors = sum["errors"].to_string();
    assert!(
        errors.contains("broken.toml:5: convoy[0].task[0].id"),
        "{errors}"
    );
}
