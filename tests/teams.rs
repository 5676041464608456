//! A team of real `command` agents: a lead script breaks its epic into three
//! coder tasks (spec files in its own folder, then `::task` lines), coder
//! scripts finish them, and the lead's integration lands on the target
//! through the merge queue.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{assert_ok, init_with, run, up_until_idle, write_agent};
use repo::{git, new_repo};

const AGENT: &str = r#"#!/bin/sh
prompt=$(cat)
echo "::usage model=claude-sonnet-4-5 input=1000 output=200 cache_read=0 cache_write=0::"
mkdir -p src
case "$SHIFTBOSS_AGENT" in
  lead-a)
    if [ -e "$SHIFTBOSS_AGENT_DIR/broken-up" ]; then
      # Back after the coders landed: integrate what they made.
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
    printf '%s' "$prompt" | grep '^SPEC-' > "src/$SHIFTBOSS_TASK.txt"
    echo "::done::wrote src/$SHIFTBOSS_TASK.txt" ;;
esac
exit 0
"#;

#[test]
fn a_lead_breaks_its_epic_up_coders_finish_and_the_integration_lands() {
    if !drill::have_bwrap() {
        return;
    }
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    let config = format!(
        "[swarm]\nagents = 3\nmax_live = 4\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n\
         [[teams]]\nname = \"core\"\nlead = \"lead-a\"\nlead_prompt = \"Keep parts small.\"\n\
         coders = [\"builder-01\", \"builder-02\", \"builder-03\"]\nconvoys = [\"core\"]\n",
        agent.display()
    );
    init_with(&repo, &config);
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
    assert_ok(&run(&repo, &add, &[]));
    let sum = up_until_idle(&repo, &[]);
    assert_eq!(sum["merges"], 4, "{sum}");
    assert_eq!(sum["tasks"]["merged"], 4, "{sum}");
    // The coders got their specs from the lead's files.
    for n in 1..=3 {
        let text = git(&repo, &["show", &format!("main:src/part-{n}.txt")]);
        assert_eq!(text.trim(), format!("SPEC-{n}: write src/part-{n}.txt"));
    }
    // The lead integrated after them: its file lists their work.
    let integration = git(&repo, &["show", "main:src/integration.txt"]);
    for n in 1..=3 {
        assert!(
            integration.contains(&format!("part-{n}.txt")),
            "{integration}"
        );
    }
    // Every coder task traces to the lead in the log; the bad line was refused.
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let by_lead: Vec<(String, String)> = conn
        .prepare("SELECT task, agent FROM events WHERE kind = 'task_added' AND actor = 'agent' ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let want: Vec<(String, String)> = ["part-1", "part-2", "part-3"]
        .iter()
        .map(|t| (t.to_string(), "lead-a".to_string()))
        .collect();
    assert_eq!(by_lead, want);
    let refused: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND data LIKE '%task line for \\\"bad\\\" refused%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refused, 1);
    let team = &sum["teams"][0];
    assert_eq!(team["team"], "core", "{sum}");
    assert_eq!(team["created_by_lead"], 3);
    assert_eq!(team["waits_for"], "landed");
    assert!(team["coordination_ratio"].as_f64().unwrap() > 0.0);
}
