//! A merge said on the GitHub issue its task came from: one comment through
//! the REST API (`POST /repos/{owner}/{repo}/issues/{n}/comments`) at the
//! base URL the issue was read through, with the token from the
//! environment (GITHUB_TOKEN, else GH_TOKEN), never shown. A refusal or an
//! unreachable API comes back as an executor failure: a concern, and the
//! swarm goes on.

use crate::domain::{IssueRef, TaskId};
use crate::engine::Input;
use std::time::Duration;

/// How long one comment may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Post `body` on `issue`; what the engine hears of it.
pub(super) fn comment(task: TaskId, issue: &IssueRef, body: &str) -> Input {
    let url = format!(
        "{}/repos/{}/issues/{}/comments",
        issue.api.trim_end_matches('/'),
        issue.repo,
        issue.number
    );
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut headers = vec![
        ("accept", "application/vnd.github+json".to_string()),
        ("x-github-api-version", "2022-11-28".to_string()),
    ];
    if let Some(token) = env("GITHUB_TOKEN").or_else(|| env("GH_TOKEN")) {
        headers.push(("authorization", format!("Bearer {token}")));
    }
    let said = serde_json::json!({ "body": body });
    let error = match crate::http::post_json(&url, &headers, &said, TIMEOUT) {
        Ok((status, text)) if (200..300).contains(&status) => {
            let html = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["html_url"].as_str().map(str::to_string));
            return Input::IssueCommented {
                task,
                url: html.unwrap_or(url),
            };
        }
        Ok((status, text)) => {
            let said: String = text.chars().take(200).collect();
            format!(
                "{}#{}: the API answered {status}: {}",
                issue.repo,
                issue.number,
                said.trim()
            )
        }
        Err(e) => format!("{}#{}: {e}", issue.repo, issue.number),
    };
    Input::ExecutorFailed {
        action: crate::engine::ISSUE_COMMENT,
        session: None,
        agent: None,
        task: Some(task),
        error,
    }
}
