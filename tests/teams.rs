//! A team of real `command` agents: a lead script breaks its epic into three
//! coder tasks (spec files in its own folder, then `::task` lines), coder
//! scripts finish them and their work lands on the team's integration
//! branch (`shiftboss/team/core`), not the target. The lead integrates from
//! that branch; its integration waits at the team's pause point, which the
//! operator approves (`--approve-all` on the next run), and lands on the
//! target through the merge queue. Killed with SIGKILL while work is on the
//! team branch, a resumed swarm loses none of it and lands each entry once.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{assert_ok, init_with, run, up_until_idle, write_agent};
use repo::{git, new_repo};
use std::path::Path;
use std::process::Command;

const TEAM: &str = "shiftboss/team/core";

const AGENT: &str = r#"#!/bin/sh
prompt=$(cat)
echo "::usage model=claude-sonnet-4-5 input=1000 output=200 cache_read=0 cache_write=0::"
mkdir -p src
case "$SHIFTBOSS_AGENT" in
  lead-a)
    if [ -e "$SHIFTBOSS_AGENT_DIR/broken-up" ]; then
      # Back after the coders landed on the team branch: integrate what
      # they made (the worktree starts from that branch).
      ls src > src/integration.txt
      echo "::done::integrated"
    else
      printf '%s' "$prompt" | grep -q "You lead a team" || { echo "::failed::not told I lead"; exit 1; }
      mkdir -p "$SHIFTBOSS_AGENT_DIR/specs"
      for n in 1 2 3; do
        echo "SPEC-$n: write src/part-$n.txt" > "$SHIFTBOSS_AGENT_DIR/specs/part-$n.md"
      done
      echo "::task id=part-1 scope=src/part-1.txt spec=specs/part-1.md::first part"
      echo "::task id=part-2 scope=src/part-2.txt spec=specs/part-2.md::second part"
      echo "::task id=part-3 scope=src/part-3.txt after=part-1 spec=specs/part-3.md::third part"
      echo "::task id=bad scope=/etc/** spec=../escape.md::refused"
      touch "$SHIFTBOSS_AGENT_DIR/broken-up"
      echo "::done::broken into three"
    fi ;;
  *)
    # With marks (the kill test), part-2 waits for the test's word.
    if [ -n "$TEAM_MARKS" ] && [ "$SHIFTBOSS_TASK" = part-2 ]; then
      while [ ! -e "$TEAM_MARKS/go" ]; do
        [ -d "$TEAM_MARKS" ] || exit 1
        sleep 0.1
      done
    fi
    printf '%s' "$prompt" | grep '^SPEC-' > "src/$SHIFTBOSS_TASK.txt"
    echo "::done::wrote src/$SHIFTBOSS_TASK.txt" ;;
esac
exit 0
"#;

/// The team `core`: `lead-a` over three coders, the integration approved
/// by the operator; `extra` appended.
fn team_config(agent: &Path, extra: &str) -> String {
    format!(
        "[swarm]\nagents = 3\nmax_live = 4\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n{extra}\
         [watchdog]\ntick = \"1s\"\n\
         [[teams]]\nname = \"core\"\nlead = \"lead-a\"\nlead_prompt = \"Keep parts small.\"\n\
         coders = [\"builder-01\", \"builder-02\", \"builder-03\"]\nconvoys = [\"core\"]\n\
         approve_integration = true\n",
        agent.display()
    )
}

/// The epic `core` the lead breaks up.
fn add_epic(repo: &Path) {
    let add = [
        "task",
        "add",
        "Build the core",
        "--id",
        "core",
        "--convoy",
        "core",
        "--scope",
        "src/**",
    ];
    assert_ok(&run(repo, &add, &[]));
}

/// Every coder's part and the lead's integration listing them are on `rev`.
fn all_work_on(repo: &Path, rev: &str) {
    for n in 1..=3 {
        let text = git(repo, &["show", &format!("{rev}:src/part-{n}.txt")]);
        assert_eq!(text.trim(), format!("SPEC-{n}: write src/part-{n}.txt"));
    }
    let integration = git(repo, &["show", &format!("{rev}:src/integration.txt")]);
    for n in 1..=3 {
        assert!(
            integration.contains(&format!("part-{n}.txt")),
            "{integration}"
        );
    }
}

/// Whether `rev` names an object in `repo`.
fn exists(repo: &Path, rev: &str) -> bool {
    Command::new("git")
        .args(["cat-file", "-e", rev])
        .current_dir(repo)
        .status()
        .unwrap()
        .success()
}

fn query<T: rusqlite::types::FromSql>(repo: &Path, sql: &str) -> Vec<T> {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn coders_land_on_the_team_branch_and_the_approved_integration_on_the_target() {
    if !drill::have_bwrap() {
        return;
    }
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    let config = team_config(&agent, "");
    init_with(&repo, &config);
    add_epic(&repo);

    // The first run stops where only the operator can go on: the
    // integration at its pause point.
    let sum = up_until_idle(&repo, &[]);
    assert_eq!(sum["merges"], 3, "{sum}");
    assert_eq!(sum["pause_points_waiting"], 1, "{sum}");
    // The coders' work is on the team branch, with the specs from the
    // lead's files, and not on the target.
    for n in 1..=3 {
        let text = git(&repo, &["show", &format!("{TEAM}:src/part-{n}.txt")]);
        assert_eq!(text.trim(), format!("SPEC-{n}: write src/part-{n}.txt"));
        assert!(!exists(&repo, &format!("main:src/part-{n}.txt")));
    }
    // part-3 came after part-1 and started from the team branch: it holds
    // its teammate's landed work.
    let part3: Vec<String> = query(
        &repo,
        "SELECT json_extract(data, '$.branch') FROM events WHERE kind = 'task_assigned' AND task = 'part-3'",
    );
    assert!(exists(&repo, &format!("{}:src/part-1.txt", part3[0])));
    let onto: Vec<String> = query(
        &repo,
        "SELECT task || ' ' || coalesce(json_extract(data, '$.onto'), 'the target') FROM events WHERE kind = 'merge_queued' ORDER BY seq",
    );
    assert_eq!(onto.len(), 4, "{onto:?}");
    assert_eq!(onto[3], "core the target");
    assert!(onto[..3].iter().all(|o| o.ends_with(TEAM)), "{onto:?}");
    let pause: Vec<String> = query(
        &repo,
        "SELECT json_extract(data, '$.id') || ' ' || json_extract(data, '$.reason') FROM events WHERE kind = 'pause_requested'",
    );
    assert_eq!(pause.len(), 1, "{pause:?}");
    assert!(pause[0].ends_with("into main"), "{pause:?}");
    let pause = pause[0].split(' ').next().unwrap().to_string();

    // A second run (a restart: the team branch is still there) with the
    // operator approving pause points as they come: the integration lands
    // on the target through the queue.
    let sum2 = drill::up_with(&repo, &["--approve-all"]);
    assert_eq!(sum2["merges"], 4, "{sum2}");
    assert_eq!(sum2["tasks"]["merged"], 4, "{sum2}");
    assert_eq!(sum2["teams"][0]["waits_for"], "landed", "{sum2}");

    // The target holds all three coders' work and the lead's integration,
    // which lists it; the team branch is what went to the target.
    all_work_on(&repo, "main");
    assert_eq!(
        git(&repo, &["rev-parse", TEAM]),
        git(&repo, &["rev-parse", "main"])
    );
    let decided: Vec<String> = query(
        &repo,
        "SELECT actor || ' ' || json_extract(data, '$.id') || ' ' || json_extract(data, '$.approved') FROM events WHERE kind = 'pause_decided'",
    );
    assert_eq!(decided, [format!("operator {pause} 1")]);

    // Every coder task traces to the lead in the log; the bad line was refused.
    let by_lead: Vec<String> = query(
        &repo,
        "SELECT task || ' ' || agent FROM events WHERE kind = 'task_added' AND actor = 'agent' ORDER BY seq",
    );
    assert_eq!(by_lead, ["part-1 lead-a", "part-2 lead-a", "part-3 lead-a"]);
    let refused: Vec<i64> = query(
        &repo,
        "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND data LIKE '%task line for \\\"bad\\\" refused%'",
    );
    assert_eq!(refused, [1]);
    let team = &sum["teams"][0];
    assert_eq!(team["team"], "core", "{sum}");
    assert_eq!(team["created_by_lead"], 3);
    assert!(
        team["waits_for"].as_str().unwrap().contains("operator"),
        "{sum}"
    );
    assert!(team["coordination_ratio"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_kill_9_with_work_on_the_team_branch_loses_nothing_on_resume() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let agent = write_agent(tmp.path(), AGENT);
    let extra = "pass_env = [\"TEAM_MARKS\"]\n[sandbox]\nmode = \"off\"\n";
    init_with(&repo, &team_config(&agent, extra));
    add_epic(&repo);
    let env = [("TEAM_MARKS", marks.to_str().unwrap())];

    // Killed once part-1 is on the team branch and part-2 is at work.
    let mut owner = drill::command(&repo, &["up", "--headless", "--json"], &env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let landed = |task: &str| {
        let sql = format!(
            "SELECT count(*) FROM events WHERE kind = 'merge_finished' AND task = '{task}'"
        );
        repo.join(".shiftboss/state.db").exists() && query::<i64>(&repo, &sql)[0] > 0
    };
    let at_work = || {
        query::<i64>(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'task_assigned' AND task = 'part-2'",
        )[0] > 0
    };
    drill::wait_for("part-1 on the team branch", || {
        landed("part-1") && at_work()
    });
    owner.kill().unwrap();
    owner.wait().unwrap();
    assert!(exists(&repo, &format!("{TEAM}:src/part-1.txt")));
    assert!(!exists(&repo, "main:src/part-1.txt"));

    // The resumed swarm finishes the team's work on its branch, and the
    // approved integration takes it to the target.
    std::fs::write(marks.join("go"), "").unwrap();
    let out = run(
        &repo,
        &[
            "up",
            "--headless",
            "--until-idle",
            "--approve-all",
            "--json",
        ],
        &env,
    );
    assert_ok(&out);
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["tasks"]["merged"], 4, "{sum}");
    assert_eq!(sum["teams"][0]["on_branch"], 3, "{sum}");
    assert_eq!(sum["teams"][0]["awaiting_integration"], 0, "{sum}");
    all_work_on(&repo, "main");
    assert_eq!(
        git(&repo, &["rev-parse", TEAM]),
        git(&repo, &["rev-parse", "main"])
    );
    // Each part landed once, on the team branch; the integration once, on the target.
    let merged: Vec<String> = query(
        &repo,
        "SELECT e.task || ' ' || coalesce(json_extract(q.data, '$.onto'), 'main') FROM events e
           JOIN events q ON q.task = e.task AND q.kind = 'merge_queued'
             AND q.seq = (SELECT max(seq) FROM events WHERE task = e.task AND kind = 'merge_queued' AND seq < e.seq)
           WHERE e.kind = 'merge_finished' AND json_extract(e.data, '$.outcome.outcome') = 'merged'
           ORDER BY e.task",
    );
    let want: Vec<String> = ["core main", "part-1 T", "part-2 T", "part-3 T"]
        .iter()
        .map(|w| w.replace('T', TEAM))
        .collect();
    assert_eq!(merged, want);
}
