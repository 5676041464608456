//! Honest outcomes on the real binary with `command` agents: a task with no
//! change is not reported merged, the headless summary lists what failed and
//! why and exits 3, `status` tells time, commits and tokens as they are, and
//! an `ai` tier nobody answers raises one concern naming its endpoint.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/drill.rs"]
mod drill;
#[path = "support/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "support/repo.rs"]
mod repo;
use drill::{BIN, assert_ok, command_config, init_with, write_agent};
use repo::{git, new_repo};

const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
# 24 API messages of 50k tokens each: 1.2M tokens, a quarter of the context each.
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24; do
  echo "::usage model=claude-sonnet-4-5 input=50000 output=0 cache_read=0 cache_write=0::"
done
mkdir -p src
case "$SHIFTBOSS_TASK" in
  t-noop) exit 0 ;;
  t-ok)
    echo one > src/one.txt; git add -A; git -c user.name=a -c user.email=a@a commit -qm one
    echo two > src/two.txt; git add -A; git -c user.name=a -c user.email=a@a commit -qm two
    exit 0 ;;
  t-shared-*) echo "$SHIFTBOSS_TASK was here" > src/shared.txt; exit 0 ;;
esac
echo "work of $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

fn setup(extra_config: &str, tasks: &[(&str, &[&str])]) -> (tempfile::TempDir, PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    init_with(&repo, &command_config(3, &agent, extra_config));
    for (t, extra) in tasks {
        let title = format!("Do {t}");
        let mut args = vec!["task", "add", &title, "--id", t, "--scope", "src/**"];
        args.extend_from_slice(extra);
        assert_ok(&drill::run(&repo, &args, &[]));
    }
    (tmp, repo)
}

fn count(repo: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn no_change_failures_and_the_summary_and_status_are_told_as_they_are() {
    let (_tmp, repo) = setup(
        "[gates]\nmax_rejections = 1\n",
        &[
            ("t-ok", &[]),
            ("t-noop", &[]),
            ("t-fail", &["--check", "false"]),
        ],
    );
    let before = git(&repo, &["rev-parse", "main"]);
    let out = drill::run(&repo, &["up", "--headless", "--until-idle"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    // A failed task: exit 3, and the summary says which and why.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("failed     t-fail Do t-fail: rejected by the gate `false`"),
        "{text}"
    );
    assert!(
        text.contains("blocked    t-noop Do t-noop: no change"),
        "{text}"
    );
    assert!(
        text.contains("t-noop finished with no change to main"),
        "{text}"
    );
    assert!(
        text.contains("t-fail rejected by the gates 1 times"),
        "{text}"
    );
    assert!(text.contains("merges     1 onto main"), "{text}");

    // No change is its own outcome: not merged, no commit of the old tip.
    let unchanged = count(
        &repo,
        "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND task = 't-noop' AND json_extract(data,'$.outcome.outcome') = 'unchanged'",
    );
    assert_eq!(unchanged, 1);
    let merged_noop = count(
        &repo,
        "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND task = 't-noop' AND json_extract(data,'$.outcome.outcome') = 'merged'",
    );
    assert_eq!(merged_noop, 0);
    let list = String::from_utf8_lossy(&drill::run(&repo, &["task", "list", "--json"], &[]).stdout)
        .to_string();
    let tasks: serde_json::Value = serde_json::from_str(&list).unwrap();
    let noop = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "t-noop")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(noop["status"], "blocked", "{noop}");
    assert_ne!(git(&repo, &["rev-parse", "main"]), before);
    // The failing gate ran in a checkout of its own, which left no branch behind.
    let worktrees = git(&repo, &["worktree", "list"]);
    assert!(worktrees.contains("_gate-1"), "{worktrees}");
    assert_eq!(git(&repo, &["branch", "--list", "shiftboss-gate/*"]), "");

    // status: elapsed as a duration (never a time of day), the agents' own
    // commits (t-ok's two, t-fail's work kept by shiftboss), tokens grouped.
    let out = drill::run(&repo, &["status"], &[]);
    let status = String::from_utf8_lossy(&out.stdout);
    let time = status.lines().find(|l| l.starts_with("time")).unwrap();
    assert!(!time.contains(':'), "{time}");
    assert!(time.contains("wall"), "{time}");
    assert!(status.contains("· 3 agent commits"), "{status}");
    // Tokens grouped: the log's exact total, in millions to one decimal.
    let total = count(
        &repo,
        "SELECT sum(json_extract(data,'$.usage.input') + json_extract(data,'$.usage.output') + json_extract(data,'$.usage.cache_read') + json_extract(data,'$.usage.cache_write')) FROM events WHERE kind = 'usage_recorded'",
    );
    assert_eq!(total, 3 * 1_200_000);
    // The same in JSON: a duration, the commits, what failed and why.
    let out = drill::run(&repo, &["status", "--json"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !json["virtual_time"].as_str().unwrap().contains(':'),
        "{json}"
    );
    assert_eq!(json["commits"], 3, "{json}");
    assert_eq!(json["failed"][0]["task"], "t-fail", "{json}");
    assert_eq!(json["blocked"][0]["task"], "t-noop", "{json}");
    assert!(json["concerns"].as_array().unwrap().len() >= 2, "{json}");
    let shown = format!("· {:.1}M tokens", total as f64 / 1e6);
    assert!(status.contains(&shown), "{shown}\n{status}");
}

#[test]
fn an_ai_tier_nobody_answers_raises_one_concern_naming_its_endpoint() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let (_tmp, repo) = setup(
        &format!(
            "[merge]\non_overlap = \"run\"\nbatch = 1\n\
             [merge.ai]\nprovider = \"anthropic\"\nbase_url = \"{endpoint}\"\nmodel = \"claude-sonnet-4-5\"\ntimeout = \"5s\"\n"
        ),
        &[
            ("t-shared-1", &[]),
            ("t-shared-2", &[]),
            ("t-shared-3", &[]),
        ],
    );
    let out = Command::new(BIN)
        .args(["up", "--headless", "--until-idle", "--json"])
        .current_dir(&repo)
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conflicts = count(
        &repo,
        "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND json_extract(data,'$.outcome.outcome') = 'conflicted'",
    );
    assert!(conflicts >= 2, "{conflicts}");
    let concerns = count(
        &repo,
        &format!(
            "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND json_extract(data,'$.summary') LIKE '%ai tier at {endpoint}%cannot be reached%'"
        ),
    );
    assert_eq!(concerns, 1);
    let leaked = count(
        &repo,
        "SELECT count(*) FROM events WHERE data LIKE '%sk-ant-test%'",
    );
    assert_eq!(leaked, 0);
}

#[test]
fn ai_removals_keep_their_reasons_in_the_log_the_merge_commit_and_a_concern() {
    // The scripted model merges any two versions of src/shared.txt into one
    // line and explains each line it leaves out.
    let addr = http::serve(|_line: &str, _body: &[u8]| {
        let text = "```\nboth were here\n```\n\
                    REMOVED: t-shared-1 was here -- one line says it for both\n\
                    REMOVED: t-shared-2 was here -- one line says it for both\n";
        let answer = serde_json::json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 120, "output_tokens": 40}
        });
        ("200 OK".into(), "application/json", answer.to_string())
    });
    let (_tmp, repo) = setup(
        &format!(
            "[merge]\non_overlap = \"run\"\nbatch = 1\n\
             [merge.ai]\nprovider = \"anthropic\"\nbase_url = \"http://{addr}\"\nmodel = \"claude-sonnet-4-5\"\n"
        ),
        &[("t-shared-1", &[]), ("t-shared-2", &[])],
    );
    let out = Command::new(BIN)
        .args(["up", "--headless", "--until-idle", "--json"])
        .current_dir(&repo)
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let (task, removals): (String, String) = conn
        .query_row(
            "SELECT task, json_extract(data,'$.outcome.removals') FROM events
             WHERE kind = 'merge_finished' AND json_extract(data,'$.outcome.tier') = 'ai'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let removals: serde_json::Value = serde_json::from_str(&removals).unwrap();
    // The line the target had is the one the later task's merge removed.
    let other = if task == "t-shared-1" {
        "t-shared-2"
    } else {
        "t-shared-1"
    };
    let removed: Vec<(String, String)> = removals
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_str().unwrap().to_string(),
                r["why"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        removed.contains(&(
            format!("{other} was here"),
            "one line says it for both".into()
        )),
        "{removals}"
    );
    assert!(
        removals
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["file"] == "src/shared.txt")
    );
    let concern: String = conn
        .query_row(
            "SELECT json_extract(data,'$.summary') FROM events WHERE kind = 'concern_raised' AND task = ?1",
            [&task],
            |r| r.get(0),
        )
        .unwrap();
    assert!(concern.contains("the ai tier removed"), "{concern}");
    assert!(
        concern.contains(&format!(
            "src/shared.txt: {other} was here -- one line says it for both"
        )),
        "{concern}"
    );
    let message = git(&repo, &["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains(&format!(
            "Shiftboss-Removed: src/shared.txt: {other} was here -- one line says it for both"
        )),
        "{message}"
    );
    assert_eq!(
        git(&repo, &["show", "main:src/shared.txt"]),
        "both were here\n"
    );
}
