//! Work from where it lives: `task import` of a beads export and of GitHub
//! issues (against a scripted GitHub API on 127.0.0.1: pages, a pull request
//! among the issues, a server error retried, a spent rate limit).

#[path = "support/drill.rs"]
mod drill;
#[path = "support/http.rs"]
mod http;
#[path = "support/repo.rs"]
mod repo;
use drill::{assert_ok, run};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn repo_with_config() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, repo) = repo::new_repo(&[("README.md", "hello\n")]);
    assert_ok(&run(&repo, &["init"], &[]));
    (tmp, repo)
}

fn tasks(repo: &Path) -> Vec<serde_json::Value> {
    if !repo.join(".shiftboss/state.db").exists() {
        return Vec::new();
    }
    let out = run(repo, &["task", "list", "--json"], &[]);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn spec_of(repo: &Path, id: &str) -> String {
    let c = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    c.query_row(
        "SELECT json_extract(data, '$.spec.spec') FROM events WHERE kind = 'task_added' AND task = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

const TOKEN: &str = "ghp_scriptedtoken0123456789";

/// Extra response headers ride on the status line (the scripted server
/// writes it as given).
fn with_headers(status: &str, headers: &[String]) -> String {
    std::iter::once(status.to_string())
        .chain(headers.iter().cloned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn github_issues_become_tasks_across_pages_with_a_retry_and_no_pull_requests() {
    let (_tmp, repo) = repo_with_config();
    let fails = Arc::new(AtomicUsize::new(0));
    let seen_auth = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let addr = Arc::new(std::sync::OnceLock::<String>::new());
    let (f, a, s) = (fails.clone(), addr.clone(), seen_auth.clone());
    let got = http::serve_with_headers(
        move |line: &str, headers: &[(String, String)], _: &[u8]| {
            if let Some((_, v)) = headers.iter().find(|(k, _)| k == "authorization") {
                s.lock().unwrap().push(v.clone());
            }
            let base = a.get().unwrap();
            if line.contains("page=2") {
                // The second page fails once, then answers.
                if f.fetch_add(1, Ordering::SeqCst) == 0 {
                    return ("502 Bad Gateway".into(), "text/plain", "upstream".into());
                }
                let body = r#"[{"number":3,"title":"Rate-limit the login","body":"Slow down brute force.","labels":[{"name":"backend"}],"html_url":"https://github.example/acme/shop/issues/3"}]"#;
                return ("200 OK".into(), "application/json", body.into());
            }
            assert!(
                line.starts_with(
                    "GET /repos/acme/shop/issues?state=open&per_page=100&labels=backend "
                ),
                "{line}"
            );
            let next = format!(
                "link: <http://{base}/repos/acme/shop/issues?state=open&per_page=100&labels=backend&page=2>; rel=\"next\""
            );
            let body = r#"[{"number":1,"title":"Session cookie flags","body":"Set Secure and HttpOnly.\nDepends on #3","labels":[{"name":"backend"},{"name":"P1"}],"html_url":"https://github.example/acme/shop/issues/1"},
                       {"number":2,"title":"Bump deps","body":null,"labels":[],"pull_request":{"url":"x"},"html_url":"https://github.example/acme/shop/pull/2"}]"#;
            (
                with_headers("200 OK", &[next]),
                "application/json",
                body.into(),
            )
        },
    );
    addr.set(got.clone()).unwrap();
    let api = format!("http://{got}");
    let out = run(
        &repo,
        &[
            "task",
            "import",
            "--github",
            "acme/shop",
            "--label",
            "backend",
            "--api-url",
            &api,
        ],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    assert_ok(&out);
    let printed = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(!printed.contains(TOKEN), "{printed}");
    assert!(
        seen_auth
            .lock()
            .unwrap()
            .iter()
            .all(|a| a == &format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        fails.load(Ordering::SeqCst),
        2,
        "page 2 failed once, then answered"
    );

    let list = tasks(&repo);
    let ids: Vec<&str> = list.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gh-1", "gh-3"], "the pull request is not a task");
    assert_eq!(list[0]["convoy"], "backend");
    assert_eq!(list[0]["priority"], 3, "P1");
    assert_eq!(list[0]["after"], serde_json::json!(["gh-3"]));
    let spec = spec_of(&repo, "gh-1");
    assert!(spec.starts_with("Set Secure and HttpOnly."), "{spec}");
    assert!(
        spec.contains("(GitHub issue acme/shop#1: https://github.example/acme/shop/issues/1)"),
        "{spec}"
    );
}

#[test]
fn a_spent_rate_limit_is_one_line_and_imports_nothing() {
    let (_tmp, repo) = repo_with_config();
    let api = format!(
        "http://{}",
        http::serve(|_: &str, _: &[u8]| {
            let h = vec![
                "x-ratelimit-remaining: 0".to_string(),
                "x-ratelimit-reset: 4102444800".to_string(),
            ];
            (
                with_headers("403 Forbidden", &h),
                "application/json",
                r#"{"message":"API rate limit exceeded"}"#.into(),
            )
        })
    );
    let out = run(
        &repo,
        &["task", "import", "--github", "acme/shop", "--api-url", &api],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("rate limit is spent; it resets at"), "{err}");
    assert!(!err.contains(TOKEN));
    assert!(tasks(&repo).is_empty());
}

#[test]
fn a_beads_export_becomes_tasks_and_a_malformed_line_imports_nothing() {
    let (tmp, repo) = repo_with_config();
    let export = tmp.path().join("issues.jsonl");
    std::fs::write(
        &export,
        concat!(
            r#"{"id":"shop-e1","title":"Checkout","issue_type":"epic","status":"open"}"#, "\n",
            r#"{"id":"shop-e1.1","title":"Cart totals in cents","description":"Use integers.","priority":0,"issue_type":"task"}"#, "\n",
            r#"{"id":"shop-e1.2","title":"Pay button","priority":2,"dependencies":[{"issue_id":"shop-e1.2","depends_on_id":"shop-e1.1","type":"blocks"}]}"#, "\n",
            r#"{"id":"shop-9","title":"Done already","status":"closed"}"#, "\n",
        ),
    )
    .unwrap();
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        concat!(
            r#"{"id":"shop-1","title":"Fine"}"#,
            "\n",
            r#"{"id":"shop-2","title":"Bad priority","priority":"high"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = run(&repo, &["task", "import", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.jsonl:2: "), "{err}");
    assert!(tasks(&repo).is_empty(), "nothing of the file imported");

    assert_ok(&run(
        &repo,
        &["task", "import", export.to_str().unwrap()],
        &[],
    ));
    let list = tasks(&repo);
    let ids: Vec<&str> = list.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["shop-e1.1", "shop-e1.2"]);
    assert!(
        list.iter().all(|t| t["convoy"] == "shop-e1"),
        "the epic is the convoy"
    );
    assert_eq!(list[1]["after"], serde_json::json!(["shop-e1.1"]));
    assert_eq!(list[0]["priority"], 4);
    assert!(spec_of(&repo, "shop-e1.1").starts_with("Use integers."));
}
