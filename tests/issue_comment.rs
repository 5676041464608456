//! A task imported from a GitHub issue says so on the issue when it merges
//! (`[intake.github] comment_on_merge`), against a scripted GitHub API on
//! 127.0.0.1, with a real `command` agent on a real repository; a refused
//! comment is a concern and the swarm goes on.

#[path = "support/drill.rs"]
mod drill;
#[allow(dead_code)]
#[path = "support/http.rs"]
mod http;
#[path = "support/repo.rs"]
mod repo;
use drill::{assert_ok, init_with, run, up_until_idle, write_agent};
use std::path::Path;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "ghp_scriptedtoken0123456789";

const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src
echo "$SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

/// What the scripted API was asked to post: (request line, authorization, body).
type Posts = Arc<Mutex<Vec<(String, String, String)>>>;

/// A scripted GitHub API listing issue #7; comments are answered with
/// `comment_status`.
fn github(comment_status: &'static str) -> (String, Posts) {
    let posts: Posts = Arc::default();
    let seen = posts.clone();
    let addr = http::serve_with_headers(
        move |line: &str, headers: &[(String, String)], body: &[u8]| {
            if line.starts_with("POST ") {
                let auth = headers
                    .iter()
                    .find(|(k, _)| k == "authorization")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                seen.lock().unwrap().push((
                    line.trim().to_string(),
                    auth,
                    String::from_utf8_lossy(body).into(),
                ));
                let answer = r#"{"id":1,"html_url":"https://github.example/acme/shop/issues/7#issuecomment-1"}"#;
                let status = comment_status.to_string();
                return (status, "application/json", answer.into());
            }
            let issues = r#"[{"number":7,"title":"Session cookie flags","body":"Set Secure.","labels":[],"html_url":"https://github.example/acme/shop/issues/7"}]"#;
            ("200 OK".into(), "application/json", issues.into())
        },
    );
    (format!("http://{addr}"), posts)
}

/// A repository with one command agent and issue #7 imported as a task.
fn setup(api: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, repo) = repo::new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    let sandbox = if drill::have_bwrap() { "on" } else { "off" };
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n[sandbox]\nmode = \"{sandbox}\"\n\
         [intake.github]\ncomment_on_merge = true\n",
        agent.display()
    );
    init_with(&repo, &config);
    let out = run(
        &repo,
        &["task", "import", "--github", "acme/shop", "--api-url", api],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    assert_ok(&out);
    (tmp, repo)
}

fn count(repo: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn the_merge_comments_on_the_issue_the_task_came_from() {
    let (api, posts) = github("201 Created");
    let (_tmp, repo) = setup(&api);
    let sum = up_until_idle(&repo, &[("GITHUB_TOKEN", TOKEN)]);
    assert_eq!(sum["merges"], 1, "{sum}");
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let (line, auth, body) = &posts[0];
    assert!(
        line.starts_with("POST /repos/acme/shop/issues/7/comments "),
        "{line}"
    );
    assert_eq!(auth, &format!("Bearer {TOKEN}"));
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    let said = body["body"].as_str().unwrap();
    assert!(
        said.starts_with("Merged into `main` as ")
            && said.contains("task `gh-7` (agent builder-01)"),
        "{said}"
    );
    assert_eq!(
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'issue_commented' AND task = 'gh-7' AND data LIKE '%issuecomment-1%'"
        ),
        1
    );
    assert_eq!(
        count(
            &repo,
            &format!("SELECT count(*) FROM events WHERE data LIKE '%{TOKEN}%'")
        ),
        0
    );
}

#[test]
fn a_refused_comment_is_a_concern_and_the_swarm_goes_on() {
    let (api, posts) = github("403 Forbidden");
    let (_tmp, repo) = setup(&api);
    let sum = up_until_idle(&repo, &[("GITHUB_TOKEN", TOKEN)]);
    assert_eq!(sum["merges"], 1, "{sum}");
    assert_eq!(posts.lock().unwrap().len(), 1);
    assert_eq!(
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'executor_failed' AND task = 'gh-7' AND data LIKE '%issue comment%' AND data LIKE '%acme/shop#7: the API answered 403%'"
        ),
        1
    );
    assert_eq!(
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND task = 'gh-7'"
        ),
        1
    );
    assert_eq!(
        count(
            &repo,
            "SELECT count(*) FROM events WHERE kind = 'issue_commented'"
        ),
        0
    );
}
