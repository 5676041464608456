//! Follow an agent: `shiftboss logs AGENT --follow` prints a real session's
//! output so far and then what it prints next, as it comes, redacted, and
//! ends by itself when the session ends.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{run, setup, wait_for};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
echo "starting on $SHIFTBOSS_TASK with key $DEMO_API_KEY"
while [ ! -e "$DRILL_MARKS/go" ]; do sleep 0.1; done
echo "after go"
mkdir -p src
echo "done" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

#[test]
fn logs_follow_a_real_session_as_it_prints_and_end_with_it() {
    let f = setup(AGENT, 1, &["first"], "");
    let config = f.repo.join(".shiftboss/config.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "pass_env = [\"DRILL_MARKS\", \"DRILL_TAG\"]",
        "pass_env = [\"DRILL_MARKS\", \"DRILL_TAG\", \"DEMO_API_KEY\"]",
    ) + &format!("[sandbox]\nrw = [\"{}\"]\n", f.marks.display());
    std::fs::write(&config, text).unwrap();
    let secret = "sk-ant-api03-followme123456";
    let owner = f
        .up(&["--until-idle", "--json"])
        .env("DEMO_API_KEY", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let transcripts = f.repo.join(".shiftboss/transcripts");
    wait_for("the agent's first line", || {
        std::fs::read_dir(&transcripts).is_ok_and(|d| {
            d.flatten().any(|e| {
                std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("starting on first"))
            })
        })
    });
    let mut follow = drill::command(&f.repo, &["logs", "builder-01", "--follow"], &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("starting on first with key "), "{first}");
    assert!(!first.contains(secret), "redacted: {first}");
    // Only now does the agent go on: what it prints next reaches the follower.
    std::fs::write(f.marks.join("go"), "").unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(
        rest.first().map(String::as_str),
        Some("after go"),
        "{rest:?}"
    );
    assert!(
        rest.last()
            .unwrap()
            .starts_with("── session ended (exit 0)"),
        "{rest:?}"
    );
    assert!(follow.wait().unwrap().success(), "it ended by itself");
    let out = owner.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Without --follow: the whole transcript, by task name too; an unknown
    // name is one line and exit 2.
    let by_task = run(&f.repo, &["logs", "first"], &[]);
    let text = String::from_utf8_lossy(&by_task.stdout);
    assert!(
        text.contains("after go") && !text.contains(secret),
        "{text}"
    );
    let none = run(&f.repo, &["logs", "nobody"], &[]);
    assert_eq!(none.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&none.stderr).lines().count(), 1);
}
