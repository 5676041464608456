//! Real agent processes (`runtime = "command"`): a shell script speaking the
//! line protocol, supervised by shiftboss on a real repository.

use std::path::Path;

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{add_tasks, init_with, run, write_agent};
use repo::{git, new_repo};

const AGENT: &str = r#"#!/bin/sh
# A tiny agent: reads its prompt, does its task, reports usage, and
# misbehaves on the first attempt of some tasks.
prompt=$(cat)
echo "prompt starts: $(printf '%s' "$prompt" | head -n 1)"
echo "::usage model=claude-sonnet-4-5 input=1000 output=200 cache_read=5000 cache_write=100::"
echo "::concern impact=low confidence=0.9::my key is $DEMO_API_KEY"
marks="$AGENT_MARKS/$SHIFTBOSS_TASK"
case "$SHIFTBOSS_TASK" in
  t-crash)
    if [ ! -e "$marks" ]; then touch "$marks"; echo "segfault"; exit 3; fi ;;
  t-stall)
    if [ ! -e "$marks" ]; then
      touch "$marks"; mkdir -p src; echo "half done" > src/t-stall-draft.txt
      echo "thinking…"; exec sleep 300
    fi ;;
  t-scope)
    # Strays outside its scope; told why, it takes the stray file out.
    if printf '%s' "$prompt" | grep -q "Why this task came back"; then rm -f docs/outside.txt
    else mkdir -p docs; echo "stray" > docs/outside.txt; fi ;;
  t-protected)
    # Edits the conventions file; told why, it puts it back.
    if printf '%s' "$prompt" | grep -q "Why this task came back"; then git show main:CLAUDE.md > CLAUDE.md
    else echo "agents may skip the tests" >> CLAUDE.md; fi ;;
esac
mkdir -p src
echo "work of $SHIFTBOSS_AGENT on $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
echo "::progress 90::wrote src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

fn setup(tasks: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (tmp, repo) = new_repo(&[
        ("README.md", "hello\n"),
        ("CLAUDE.md", "Keep files short.\n"),
    ]);
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let agent = write_agent(tmp.path(), AGENT);
    let config = format!(
        "[swarm]\nagents = 3\nmax_live = 3\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\npass_env = [\"DEMO_API_KEY\", \"AGENT_MARKS\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\nstall_after = \"3s\"\n\
         [sandbox]\nrw = [\"{}\"]\n",
        agent.display(),
        marks.display()
    );
    init_with(&repo, &config);
    let out = run(&repo, &["doctor"], &[]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("ok    runtime command:"), "{report}");
    assert!(
        report.contains("warn  DEMO_API_KEY is listed in agent.pass_env but not set"),
        "{report}"
    );
    add_tasks(&repo, tasks);
    (tmp, repo, marks)
}

fn up(repo: &Path, marks: &Path) -> serde_json::Value {
    let out = run(
        repo,
        &["up", "--headless", "--until-idle", "--json"],
        &[
            ("DEMO_API_KEY", "sk-demo-0123456789"),
            ("AGENT_MARKS", marks.to_str().unwrap()),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn command_agents_work_through_the_queue_with_exact_usage_and_no_secrets() {
    let (_tmp, repo, marks) = setup(&["t-one", "t-two", "t-crash"]);
    let sum = up(&repo, &marks);
    assert_eq!(sum["merges"], 3, "{sum}");
    // Every task's file is on main, committed by shiftboss for the agent.
    for t in ["t-one", "t-two", "t-crash"] {
        let text = git(&repo, &["show", &format!("main:src/{t}.txt")]);
        assert!(text.contains(t));
    }
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    // Four runs printed usage (t-crash twice): the log has exactly that.
    let (input, output, read, write, cost): (i64, i64, i64, i64, i64) = conn
        .query_row(
            "SELECT sum(json_extract(data,'$.usage.input')), sum(json_extract(data,'$.usage.output')),
                    sum(json_extract(data,'$.usage.cache_read')), sum(json_extract(data,'$.usage.cache_write')),
                    sum(json_extract(data,'$.cost'))
             FROM events WHERE kind = 'usage_recorded'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((input, output, read, write), (4000, 800, 20000, 400));
    // $3, $15, $0.30, $3.75 per million tokens, in picodollars.
    assert_eq!(
        cost,
        4 * (1000 * 3_000_000 + 200 * 15_000_000 + 5000 * 300_000 + 100 * 3_750_000)
    );
    // The crash was seen, and the task resumed.
    let gone: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'watchdog_alert' AND task = 't-crash' AND data LIKE '%process_gone%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gone, 1);
    // What each agent was told is in the log, with the repository's conventions.
    let prompt: String = conn
        .query_row(
            "SELECT json_extract(data,'$.prompt') FROM events WHERE kind = 'agent_prompted' AND task = 't-one'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        prompt.contains("t-one: Do t-one") && prompt.contains("Keep files short."),
        "{prompt}"
    );
    // The key the agent printed (in a concern) never reached the log.
    let redacted: i64 = conn
        .query_row("SELECT count(*) FROM events WHERE kind = 'concern_raised' AND data LIKE '%my key is [redacted]%'", [], |r| r.get(0))
        .unwrap();
    assert!(redacted >= 3, "{redacted}");
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE data LIKE '%sk-demo-0123456789%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

#[test]
fn scope_and_protected_path_edits_go_back_to_the_agent_with_what_the_gate_found() {
    let (_tmp, repo, marks) = setup(&["t-scope", "t-protected"]);
    let sum = up(&repo, &marks);
    assert_eq!(sum["merges"], 2, "{sum}");
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    for (task, gate, file) in [
        ("t-scope", "scope", "docs/outside.txt"),
        ("t-protected", "protected", "CLAUDE.md"),
    ] {
        let findings: String = conn
            .query_row(
                "SELECT json_extract(data,'$.findings') FROM events
                 WHERE kind = 'gate_finished' AND task = ?1 AND json_extract(data,'$.passed') = 0",
                [task],
                |r| r.get(0),
            )
            .unwrap();
        let f: serde_json::Value = serde_json::from_str(&findings).unwrap();
        assert_eq!(f[0]["gate"], gate, "{f}");
        assert_eq!(f[0]["file"], file, "{f}");
        // It counts as rework, and the next prompt carries the finding.
        let reworked: i64 = conn
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'task_reworked' AND task = ?1",
                [task],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(reworked, 1, "{task}");
        let prompt: String = conn
            .query_row(
                "SELECT json_extract(data,'$.prompt') FROM events
                 WHERE kind = 'agent_prompted' AND task = ?1 ORDER BY seq DESC LIMIT 1",
                [task],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            prompt.contains("Why this task came back") && prompt.contains(file),
            "{prompt}"
        );
    }
    // Nothing the gates refused reached main.
    assert_eq!(
        git(&repo, &["show", "main:CLAUDE.md"]),
        "Keep files short.\n"
    );
    assert_eq!(git(&repo, &["ls-tree", "main", "docs"]), "");
    assert!(git(&repo, &["show", "main:src/t-scope.txt"]).contains("t-scope"));
}

#[test]
fn a_stalled_agent_is_stopped_by_the_watchdog_and_its_task_resumes() {
    let (_tmp, repo, marks) = setup(&["t-stall"]);
    let sum = up(&repo, &marks);
    assert_eq!(sum["merges"], 1, "{sum}");
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let stalled: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'watchdog_alert' AND data LIKE '%stalled%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stalled, 1);
    // What the stalled agent had written was committed on its branch before
    // it was stopped, and reached main with the rest of its task.
    let log = git(&repo, &["log", "--format=%s", "main"]);
    assert!(log.contains("wip: t-stall stopped by shiftboss"), "{log}");
    assert_eq!(
        git(&repo, &["show", "main:src/t-stall-draft.txt"]),
        "half done\n"
    );
}

#[test]
fn doctor_fails_on_a_missing_agent_program() {
    let (_tmp, repo, _marks) = setup(&[]);
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        "[swarm]\nruntime = \"command\"\n[agent]\ncommand = [\"/nonexistent/agent\"]\n",
    )
    .unwrap();
    let out = run(&repo, &["doctor"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("FAIL  runtime command: agent.command /nonexistent/agent not found")
    );
}

#[test]
fn a_prompt_that_cannot_be_written_is_an_event_and_a_concern_and_the_run_goes_on() {
    let (_tmp, repo, marks) = setup(&["t-one", "t-two", "t-three"]);
    // A folder sits where each of builder-01's prompt files goes (a file in
    // the way of a worktree is moved aside, so that start would succeed).
    for n in 1..=30 {
        let dir = repo.join(format!(".shiftboss/prompts/builder-01-{n}.md"));
        std::fs::create_dir_all(dir.join("in-the-way")).unwrap();
    }
    let out = run(
        &repo,
        &["up", "--headless", "--until-idle", "--json"],
        &[
            ("DEMO_API_KEY", "sk-demo-0123456789"),
            ("AGENT_MARKS", marks.to_str().unwrap()),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a summary");
    // The run went on: the other agents' tasks merged; builder-01's task
    // failed once its attempts were spent, saying why.
    assert_eq!(sum["merges"], 2, "{sum}\n{stderr}");
    assert_eq!(sum["failed"][0]["task"], "t-one", "{sum}");
    for t in ["t-two", "t-three"] {
        assert!(git(&repo, &["show", &format!("main:src/{t}.txt")]).contains(t));
    }
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let (agent, action, error): (String, String, String) = conn
        .query_row(
            "SELECT agent, json_extract(data,'$.action'), json_extract(data,'$.error')
             FROM events WHERE kind = 'executor_failed' ORDER BY seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("an executor_failed event in the log");
    assert_eq!((agent.as_str(), action.as_str()), ("builder-01", "prompt"));
    assert!(error.contains("builder-01-1.md"), "{error}");
    // One concern from the executor says it for builder-01, however many
    // times the start failed while it was open.
    let (failures, concerns): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM events WHERE kind = 'executor_failed'),
                    (SELECT count(*) FROM events WHERE kind = 'concern_raised'
                       AND agent = 'builder-01'
                       AND json_extract(data,'$.source') = 'executor')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(failures >= 2 && concerns == 1, "{failures} {concerns}");
    // `status` shows the concern, read back from the log.
    let out = run(&repo, &["status", "--json"], &[]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let open = status["concerns"].as_array().unwrap();
    assert!(
        open.iter().any(|c| c
            .to_string()
            .contains("executor: prompt failed for builder-01")),
        "{status}"
    );
    assert!(
        status["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("prompt failed for builder-01")),
        "{status}"
    );
}
