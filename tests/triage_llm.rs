//! T2 triage's model, through a scripted Anthropic Messages API on
//! 127.0.0.1, in a real swarm (the binary, a `command` agent, a real
//! repository and log): an agent raises a concern no known pattern
//! settles, triage asks the model with the concern, its facts and the
//! agent's output tail; a verdict is applied, a malformed answer, a 5xx
//! and no answer in time are refused (`triage_refused`) and the heuristics
//! decide. The model's tokens are shiftboss's own spend in the log.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

#[path = "support/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const KEY: &str = "sk-ant-triage-test-key";

/// Raises a concern, then waits until the model was asked (the scripted
/// API leaves a file at ASKED, the path written in), then is done.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
echo "looking at the cache layer"
echo "::concern impact=medium confidence=0.9::the cache key may mix up users"
while [ ! -f "ASKED" ]; do sleep 0.05; done
mkdir -p src
echo "$SHIFTBOSS_TASK" > src/done.txt
echo "::done::cache checked"
exit 0
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .expect("run shiftboss")
}

fn ok(out: Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How the scripted API answers.
#[derive(Clone, Copy)]
enum Api {
    Verdict,
    Prose,
    Error500,
    Silent,
}

fn answer(api: Api) -> (String, &'static str, String) {
    let text = match api {
        Api::Verdict => r#"{"verdict":"resolve","reasons":["the key includes the user id"]}"#,
        Api::Prose => "I would look at the cache key; it might be fine.",
        Api::Error500 => {
            return (
                "500 Internal Server Error".into(),
                "application/json",
                "{}".into(),
            );
        }
        Api::Silent => unreachable!("answered by waiting"),
    };
    let body = serde_json::json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 2000, "output_tokens": 100}
    });
    ("200 OK".into(), "application/json", body.to_string())
}

/// A repository with one task, its swarm run headless until idle against
/// the scripted API; the requests the API got.
fn day(api: Api) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let asked = tmp.path().join("asked");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (seen, flag) = (requests.clone(), asked.clone());
    let addr = http::serve(move |_line: &str, body: &[u8]| {
        seen.lock()
            .unwrap()
            .push(String::from_utf8_lossy(body).into_owned());
        std::fs::write(&flag, "").unwrap();
        if let Api::Silent = api {
            // Never answers: the client's timeout ends the call.
            let (_tx, rx) = std::sync::mpsc::channel::<()>();
            let _ = rx.recv();
        }
        answer(api)
    });
    let agent = tmp.path().join("agent.sh");
    let script = AGENT.replace("ASKED", &asked.display().to_string());
    std::fs::write(&agent, script).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ok(run(&repo, &["init"]));
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [sandbox]\nmode = \"off\"\n\
         [watchdog]\ntick = \"1s\"\ntriage_after = \"30m\"\n\
         [triage.llm]\nprovider = \"anthropic\"\nbase_url = \"http://{addr}\"\nmodel = \"claude-haiku-4-5\"\ntimeout = \"2s\"\n",
        agent.display()
    );
    std::fs::write(repo.join(".shiftboss/config.toml"), config).unwrap();
    ok(run(
        &repo,
        &[
            "task",
            "add",
            "Check the cache",
            "--id",
            "t-cache",
            "--scope",
            "src/**",
        ],
    ));
    ok(run(&repo, &["up", "--headless", "--until-idle", "--json"]));
    let got = requests.lock().unwrap().clone();
    (tmp, repo, got)
}

fn db(repo: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap()
}

fn strings(repo: &Path, sql: &str) -> Vec<String> {
    let conn = db(repo);
    let mut q = conn.prepare(sql).unwrap();
    q.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Shiftboss's own usage rows: (model, input tokens, cost).
fn own_usage(repo: &Path) -> Vec<(String, u64, i64)> {
    let conn = db(repo);
    let mut q = conn
        .prepare(
            "SELECT model, json_extract(data,'$.usage.input'), json_extract(data,'$.cost')
             FROM events WHERE kind = 'usage_recorded' AND actor = 'shiftboss'",
        )
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn no_key_in_log(repo: &Path) {
    let leaked: i64 = db(repo)
        .query_row(
            &format!("SELECT count(*) FROM events WHERE data LIKE '%{KEY}%'"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

#[test]
fn the_models_verdict_is_applied_and_its_tokens_are_shiftboss_spend() {
    let (_tmp, repo, requests) = day(Api::Verdict);
    assert_eq!(requests.len(), 1, "one call for one concern");
    let sent = &requests[0];
    assert!(sent.contains("the cache key may mix up users"), "{sent}");
    assert!(
        sent.contains("looking at the cache layer"),
        "the output tail: {sent}"
    );
    assert!(!sent.contains(KEY), "the key only in a header");
    let verdicts = strings(
        &repo,
        "SELECT json_extract(data,'$.verdict') || ': ' || json_extract(data,'$.reasons')
         FROM events WHERE kind = 'triage_verdict'",
    );
    assert_eq!(
        verdicts,
        [r#"resolve: ["the key includes the user id","by claude-haiku-4-5"]"#]
    );
    let disposed = strings(
        &repo,
        "SELECT json_extract(data,'$.disposition.disposition') FROM events WHERE kind = 'concern_disposed'",
    );
    assert_eq!(disposed, ["resolved"]);
    // Priced from the table by the dated id's model: 2000 × $1/M + 100 × $5/M.
    let usage = own_usage(&repo);
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(usage[0].0, "claude-haiku-4-5-20251001");
    assert_eq!(usage[0].1, 2000);
    assert!(usage[0].2 > 0, "{usage:?}");
    no_key_in_log(&repo);
}

fn refused(repo: &Path) -> Vec<String> {
    strings(
        repo,
        "SELECT json_extract(data,'$.why') FROM events WHERE kind = 'triage_refused'",
    )
}

#[test]
fn a_malformed_answer_is_refused_and_still_paid_for() {
    let (_tmp, repo, requests) = day(Api::Prose);
    assert_eq!(requests.len(), 1);
    let why = refused(&repo);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("not a verdict"), "{why:?}");
    assert!(
        strings(
            &repo,
            "SELECT kind FROM events WHERE kind = 'triage_verdict'"
        )
        .is_empty(),
        "no verdict from a refused answer; the heuristics wait for triage_after"
    );
    assert_eq!(own_usage(&repo).len(), 1, "an answer came: it is metered");
    no_key_in_log(&repo);
}

#[test]
fn a_server_error_is_refused_and_costs_nothing() {
    let (_tmp, repo, _) = day(Api::Error500);
    let why = refused(&repo);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("HTTP 500"), "{why:?}");
    assert!(own_usage(&repo).is_empty());
}

#[test]
fn no_answer_in_time_is_refused_not_waited_for() {
    let (_tmp, repo, _) = day(Api::Silent);
    let why = refused(&repo);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("cannot be reached"), "{why:?}");
    assert!(own_usage(&repo).is_empty());
}
