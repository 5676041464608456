//! Mail with real `command` agents on a real repository: an agent writes to
//! another, and the mail reaches the recipient's next session — its prompt
//! (which the agent prints) and its mailbox file — unless the two are in
//! no common team and the config does not pair them.

use std::path::Path;

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{init_with, run, up_until_idle, write_agent};
use repo::new_repo;

/// Prints its prompt and its mailbox; the agent of `t-a` writes to
/// builder-02 and to its lead.
const AGENT: &str = r#"#!/bin/sh
prompt=$(cat)
printf '%s\n' "$prompt"
echo "mailbox says: $(tr '\n' ' ' < "$SHIFTBOSS_MAILBOX")"
if [ "$SHIFTBOSS_TASK" = t-a ]; then
  echo "::mail to=builder-02::t-a renamed Session::id to Session::key"
  echo "::mail to=lead::t-a changed the schema"
fi
mkdir -p src
echo "$SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

/// A repository with two agents running [`AGENT`], `mail` as its `[mail]`
/// section, and t-a, then t-c (priority 2, to builder-01) and t-b
/// (priority 1, to builder-02) after it.
fn setup(mail: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    // In the sandbox where bwrap is (CI), unconfined elsewhere.
    let sandbox = if drill::have_bwrap() { "on" } else { "off" };
    let config = format!(
        "[swarm]\nagents = 2\nmax_live = 2\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n[sandbox]\nmode = \"{sandbox}\"\n{mail}",
        agent.display()
    );
    init_with(&repo, &config);
    for (id, priority, after) in [
        ("t-a", "0", None),
        ("t-b", "1", Some("t-a")),
        ("t-c", "2", Some("t-a")),
    ] {
        let title = format!("Do {id}");
        let mut args = vec![
            "task",
            "add",
            &title,
            "--id",
            id,
            "--scope",
            "src/**",
            "--priority",
            priority,
        ];
        if let Some(a) = after {
            args.extend(["--after", a]);
        }
        drill::assert_ok(&run(&repo, &args, &[]));
    }
    (tmp, repo)
}

fn one<T: rusqlite::types::FromSql>(repo: &Path, sql: &str) -> T {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn prompt_of(repo: &Path, task: &str) -> String {
    one(
        repo,
        &format!(
            "SELECT json_extract(data,'$.prompt') FROM events WHERE kind = 'agent_prompted' AND task = '{task}'"
        ),
    )
}

/// Everything the sessions of `agent` printed, from their transcripts.
fn printed_by(repo: &Path, agent: &str) -> String {
    let dir = repo.join(".shiftboss/transcripts");
    let mut all = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(agent)
        {
            all.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    all
}

#[test]
fn mail_between_paired_agents_reaches_the_next_prompt_and_the_mailbox() {
    let (_tmp, repo) = setup("[mail]\nallow = [[\"builder-01\", \"builder-02\"]]\n");
    let sum = up_until_idle(&repo, &[]);
    assert_eq!(sum["merges"], 3, "{sum}");
    let owner = |t: &str| -> String {
        one(
            &repo,
            &format!("SELECT agent FROM events WHERE kind = 'task_assigned' AND task = '{t}'"),
        )
    };
    assert_eq!(
        (owner("t-a"), owner("t-b"), owner("t-c")),
        (
            "builder-01".into(),
            "builder-02".into(),
            "builder-01".into()
        )
    );
    // The mail went into builder-02's next session, its prompt says so,
    // and the agent printed it (the prompt and the mailbox file it read).
    let said = "from builder-01: t-a renamed Session::id to Session::key";
    let prompt = prompt_of(&repo, "t-b");
    assert!(
        prompt.contains("## Mail") && prompt.contains(said),
        "{prompt}"
    );
    let printed = printed_by(&repo, "builder-02");
    assert!(printed.contains(said), "{printed}");
    assert!(
        printed.contains("## #1 from builder-01  t-a renamed Session::id"),
        "{printed}"
    );
    let mailbox =
        std::fs::read_to_string(repo.join(".shiftboss/agents/builder-02/mailbox.md")).unwrap();
    assert!(
        mailbox.contains("t-a renamed Session::id to Session::key"),
        "{mailbox}"
    );
    // Mail to its lead, with no team, went to the operator; nothing went
    // into builder-01's own next prompt.
    assert!(!prompt_of(&repo, "t-c").contains("## Mail"));
    let to_operator: i64 = one(
        &repo,
        "SELECT count(*) FROM events WHERE kind = 'mail_sent' AND agent = 'builder-01' AND json_extract(data,'$.to_operator') = 1",
    );
    assert_eq!(to_operator, 1);
    let delivered: String = one(
        &repo,
        "SELECT agent || ' ' || task || ' ' || json_extract(data,'$.ids') FROM events WHERE kind = 'mail_delivered'",
    );
    assert_eq!(delivered, "builder-02 t-b [1]");
}

#[test]
fn mail_between_agents_the_config_does_not_pair_is_refused() {
    let (_tmp, repo) = setup("");
    let sum = up_until_idle(&repo, &[]);
    assert_eq!(sum["merges"], 3, "{sum}");
    let why: String = one(
        &repo,
        "SELECT json_extract(data,'$.reason') FROM events WHERE kind = 'mail_refused' AND agent = 'builder-01'",
    );
    assert!(why.contains("[mail] allow does not pair them"), "{why}");
    assert!(!prompt_of(&repo, "t-b").contains("## Mail"));
    let sent: i64 = one(
        &repo,
        "SELECT count(*) FROM events WHERE kind = 'mail_sent' AND json_extract(data,'$.to_operator') IS NOT 1",
    );
    assert_eq!(sent, 0);
}

fn count(repo: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

/// builder-02's mailbox cannot be written (a folder stands where the file
/// goes), so its first session never starts: the mail it carried stays
/// undelivered, and once the folder is gone the next session gets it in
/// its prompt and in `$SHIFTBOSS_MAILBOX`, delivered once.
#[test]
fn mail_of_a_session_that_could_not_start_reaches_the_next_one() {
    let (_tmp, repo) = setup("[mail]\nallow = [[\"builder-01\", \"builder-02\"]]\n");
    let blocker = repo.join(".shiftboss/agents/builder-02/mailbox.md");
    std::fs::create_dir_all(blocker.join("in-the-way")).unwrap();
    let child = drill::command(&repo, &["up", "--headless", "--until-idle", "--json"], &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drill::wait_for("builder-02's start to fail on its mailbox", || {
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'executor_failed' AND agent = 'builder-02' \
             AND json_extract(data,'$.action') = 'mailbox'",
        ) > 0
    });
    assert_eq!(
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'mail_delivered'"
        ),
        0,
        "a session that never started got no mail"
    );
    std::fs::remove_dir_all(&blocker).unwrap();
    let out = child.wait_with_output().unwrap();
    drill::assert_ok(&out);
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 3, "{sum}");
    // Delivered once, into the session that ran.
    let delivered: String = one(
        &repo,
        "SELECT group_concat(session || ' ' || json_extract(data,'$.ids'), '; ') FROM events WHERE kind = 'mail_delivered'",
    );
    let spawned: String = one(
        &repo,
        &format!(
            "SELECT session FROM events WHERE kind = 'agent_spawned' AND session = '{}'",
            delivered.split(' ').next().unwrap()
        ),
    );
    assert_eq!(delivered, format!("{spawned} [1]"));
    assert_ne!(spawned, "builder-02#1", "the first session never started");
    // What the agent read: its prompt and its mailbox file.
    let said = "from builder-01: t-a renamed Session::id to Session::key";
    assert!(prompt_of(&repo, "t-b").contains(said));
    let printed = printed_by(&repo, "builder-02");
    assert!(
        printed.contains("mailbox says: # Mail for builder-02")
            && printed.contains("new since your last session: #1")
            && printed.contains("## #1 from builder-01  t-a renamed Session::id"),
        "{printed}"
    );
}
