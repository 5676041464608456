//! Open GitHub issues (optionally with a label) read as tasks, through the
//! REST API (`GET /repos/{owner}/{repo}/issues`) at a base URL of the
//! operator's choosing (GitHub Enterprise, or a scripted server in tests):
//! - every page, following the `Link: <…>; rel="next"` header;
//! - pull requests (which the endpoint also lists) skipped;
//! - a rate limit said plainly with the time it resets; a short
//!   `Retry-After` (secondary limit) or a server error retried a few times;
//! - the token (from the environment) sent as a bearer and never shown.
//!
//! Task `gh-N` for issue #N, its body as the spec with a line naming the
//! issue, the convoy named after the label (else the repository), `P0`–`P4`
//! labels as priority, `depends on #M` / `blocked by #M` lines as `after`.

use super::{Intake, slug};
use crate::domain::{ConvoyId, TaskId, TaskSpec};
use serde::Deserialize;
use std::time::Duration;

pub struct Source {
    /// e.g. `https://api.github.com`
    pub api: String,
    /// `owner/name`
    pub repo: String,
    pub label: Option<String>,
    pub token: Option<String>,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    labels: Vec<Label>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
    #[serde(default)]
    html_url: String,
}

#[derive(Deserialize)]
struct Label {
    name: String,
}

/// Tries of one page before giving up (server errors, short waits).
const TRIES: u32 = 4;
/// The longest `Retry-After` waited for; longer ones are reported.
const LONGEST_WAIT: u64 = 60;

pub fn fetch(src: &Source, known: &[TaskId]) -> Result<Intake, String> {
    if src.repo.split('/').count() != 2 || src.repo.split('/').any(str::is_empty) {
        return Err(format!("--github {}: expected owner/name", src.repo));
    }
    let client = crate::http::client().map_err(|e| e.to_string())?;
    let mut url = format!(
        "{}/repos/{}/issues?state=open&per_page=100",
        src.api.trim_end_matches('/'),
        src.repo
    );
    if let Some(l) = &src.label {
        url.push_str("&labels=");
        url.push_str(&utf8_percent(l));
    }
    let mut issues = Vec::new();
    let mut pages = 0;
    loop {
        let (page, next) = get_page(client, &url, src.token.as_deref())?;
        issues.extend(page);
        pages += 1;
        match next {
            // The token goes only where it was meant to: the API's own pages.
            Some(n) if pages < 100 && n.starts_with(src.api.trim_end_matches('/')) => url = n,
            Some(n) if pages < 100 => {
                return Err(format!(
                    "GET {}: the next page is elsewhere ({}); not following it with the token",
                    shown(&url),
                    shown(&n)
                ));
            }
            _ => break,
        }
    }
    Ok(to_tasks(src, issues, known))
}

fn shown(url: &str) -> String {
    crate::http::redact_url(url)
}

fn get_page(
    client: &reqwest::blocking::Client,
    url: &str,
    token: Option<&str>,
) -> Result<(Vec<Issue>, Option<String>), String> {
    let mut tries = 0;
    loop {
        tries += 1;
        let mut req = client
            .get(url)
            .timeout(Duration::from_secs(30))
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if tries < TRIES => {
                tracing::warn!(url = %shown(url), error = %e.without_url(), "GitHub: retrying");
                std::thread::sleep(Duration::from_millis(250 << tries));
                continue;
            }
            Err(e) => return Err(format!("GET {}: {}", shown(url), e.without_url())),
        };
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header("retry-after").and_then(|v| v.parse::<u64>().ok());
        let remaining = header("x-ratelimit-remaining");
        let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok());
        let next = header("link").and_then(|l| next_link(&l));
        match status {
            200 => {
                let text = resp
                    .text()
                    .map_err(|e| format!("GET {}: {e}", shown(url)))?;
                let page: Vec<Issue> = serde_json::from_str(&text)
                    .map_err(|e| format!("GET {}: expected a list of issues: {e}", shown(url)))?;
                return Ok((page, next));
            }
            403 | 429 if retry_after.is_some_and(|s| s <= LONGEST_WAIT) && tries < TRIES => {
                std::thread::sleep(Duration::from_secs(retry_after.unwrap_or(1)));
            }
            403 | 429 if remaining.as_deref() == Some("0") || retry_after.is_some() => {
                let when = reset
                    .and_then(|r| chrono::DateTime::from_timestamp(r, 0))
                    .map(|t| {
                        t.with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string()
                    })
                    .unwrap_or_else(|| "later".into());
                return Err(format!(
                    "GET {}: GitHub's rate limit is spent; it resets at {when} (set GITHUB_TOKEN for a higher limit)",
                    shown(url)
                ));
            }
            401 | 403 | 404 => {
                return Err(format!(
                    "GET {}: {status}: the repository is not there or not readable with this token (GITHUB_TOKEN)",
                    shown(url)
                ));
            }
            500..=599 if tries < TRIES => {
                std::thread::sleep(Duration::from_millis(250 << tries));
            }
            _ => return Err(format!("GET {}: GitHub answered {status}", shown(url))),
        }
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `depends on #12`, `blocked by #3` (any case) in a body.
fn depends_on(body: &str) -> Vec<u64> {
    let lower = body.to_lowercase();
    let mut out = Vec::new();
    for marker in ["depends on #", "blocked by #"] {
        for (i, _) in lower.match_indices(marker) {
            let digits: String = lower[i + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                out.push(n);
            }
        }
    }
    out
}

fn to_tasks(src: &Source, issues: Vec<Issue>, known: &[TaskId]) -> Intake {
    let (prs, issues): (Vec<Issue>, Vec<Issue>) =
        issues.into_iter().partition(|i| i.pull_request.is_some());
    let numbers: Vec<u64> = issues.iter().map(|i| i.number).collect();
    let convoy = src
        .label
        .as_deref()
        .map(slug)
        .unwrap_or_else(|| slug(src.repo.rsplit('/').next().unwrap_or("github")));
    let tasks = issues
        .into_iter()
        .map(|i| {
            let body = i.body.unwrap_or_default();
            let after = depends_on(&body)
                .into_iter()
                .map(|n| TaskId::new(format!("gh-{n}")))
                .filter(|t| {
                    known.contains(t) || numbers.iter().any(|n| t.as_str() == format!("gh-{n}"))
                })
                .collect();
            let priority = i
                .labels
                .iter()
                .find_map(|l| match l.name.as_bytes() {
                    [b'P' | b'p', d @ b'0'..=b'4'] => Some(4 - (d - b'0') as i32),
                    _ => None,
                })
                .unwrap_or(0);
            TaskSpec {
                id: TaskId::new(format!("gh-{}", i.number)),
                title: i.title.trim().to_string(),
                spec: format!(
                    "{}\n\n(GitHub issue {}#{}: {})",
                    body.trim(),
                    src.repo,
                    i.number,
                    i.html_url
                )
                .trim_start()
                .to_string(),
                convoy: ConvoyId::new(convoy.clone()),
                priority,
                scope: Vec::new(),
                checks: Vec::new(),
                after,
                tier: None,
                behaviour: None,
                issue: Some(Box::new(crate::domain::IssueRef {
                    api: src.api.trim_end_matches('/').to_string(),
                    repo: src.repo.clone(),
                    number: i.number,
                })),
                night: false,
            }
        })
        .collect();
    Intake {
        tasks,
        skipped: prs.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_and_dependencies_are_read() {
        let link = r#"<https://api.example/repos/o/r/issues?page=2>; rel="next", <https://api.example/repos/o/r/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.example/repos/o/r/issues?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
        assert_eq!(depends_on("Depends on #12.\nblocked by #3 and #4"), [12, 3]);
        assert_eq!(utf8_percent("good first issue"), "good%20first%20issue");
    }
}
