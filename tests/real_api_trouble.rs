//! The real Claude Code and Codex CLIs when their API says no or their
//! context is full from the start: the run ends, with the task failed and a
//! concern saying why, instead of retrying or handing off forever.

#[allow(dead_code)]
mod support;

use support::agents::{claude, codex, events, init_with_tasks, up_summary};
use support::anthropic::{Reply, Server};
use support::openai;
use support::repo::new_repo;

/// An API that answers 529 to every call: after the configured refusals the
/// task fails with a concern naming what the API answered, and
/// `--until-idle` ends the run.
#[test]
fn an_overloaded_api_fails_the_claude_code_task_and_the_run_ends() {
    let Some(claude) = claude() else {
        eprintln!("skipped: Claude Code is not installed (.ci/run installs it)");
        return;
    };
    let api = Server::start(|_, _| Reply::Refuse(529));
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [
        ("ANTHROPIC_BASE_URL", api.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0123456789"),
    ];
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"claude\"\n\
         [agent]\nclaude = \"{}\"\napi_refusals = 2\n",
        claude.display()
    );
    init_with_tasks(&repo, tmp.path(), &env, &config, &["o-1"]);
    // No time bound: the run must end by itself.
    let sum = up_summary(&repo, tmp.path(), &env);
    assert!(api.served().refusals >= 2);
    assert_eq!(api.served().requests, 0);
    assert_eq!(events(&repo, "task_deferred").len(), 1, "{sum}");
    let failed = events(&repo, "task_failed");
    assert_eq!(failed.len(), 1, "{sum}");
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(reason.contains("refused 2 times in a row"), "{reason}");
    assert!(reason.contains("529"), "{reason}");
    let concerns = events(&repo, "concern_raised");
    let summary = concerns.last().unwrap()["summary"].as_str().unwrap();
    assert!(summary.contains("o-1 failed"), "{summary}");
    assert!(summary.contains("529"), "{summary}");
    assert!(summary.contains("verloaded"), "{summary}");
    // Each refusal recorded once, each session's end with Claude Code's exit code.
    assert_eq!(events(&repo, "api_trouble").len(), 2);
    let ended = events(&repo, "session_ended");
    assert_eq!(ended.len(), 2);
    assert!(ended.iter().all(|e| e["exit_code"] == 1), "{ended:?}");
}

/// Codex refused by its API (503 on every call, retried by Codex itself):
/// the failure is recorded once per session, the session's end carries
/// Codex's exit code, and with `api_refusals = 1` the task fails at once.
#[test]
fn a_codex_api_failure_is_recorded_once_with_the_exit_code() {
    let Some(codex) = codex() else {
        eprintln!("skipped: Codex is not installed (.ci/run installs it)");
        return;
    };
    let api = openai::Server::start(|_, _| openai::Reply::Refuse(503));
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [("OPENAI_API_KEY", "sk-openai-test-0123456789")];
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"codex\"\nmodels = [\"gpt-5-codex\"]\n\
         [agent]\ncodex = \"{}\"\ncodex_base_url = \"{}\"\nstop_grace = \"2s\"\n\
         codex_sandbox = \"danger-full-access\"\napi_refusals = 1\n",
        codex.display(),
        api.url
    );
    init_with_tasks(&repo, tmp.path(), &env, &config, &["f-1"]);
    let sum = up_summary(&repo, tmp.path(), &env);
    // Codex retried on its own, several times, in one session.
    assert!(api.served().refusals >= 3, "{sum}");
    let troubles = events(&repo, "api_trouble");
    assert_eq!(troubles.len(), 1, "{troubles:?}");
    assert_eq!(troubles[0]["trouble"], "server_error");
    let ended = events(&repo, "session_ended");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["exit_code"], 1, "{ended:?}");
    let failed = events(&repo, "task_failed");
    assert_eq!(failed.len(), 1, "{sum}");
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("503"),
        "{failed:?}"
    );
}

/// A context window so small that every session is over the handoff
/// threshold on its first message: one handoff, then the task fails with a
/// concern instead of handing off again and again.
#[test]
fn a_fresh_claude_code_session_over_its_context_at_once_fails_instead_of_handing_off_again() {
    let Some(claude) = claude() else {
        eprintln!("skipped: Claude Code is not installed (.ci/run installs it)");
        return;
    };
    let api = Server::start(|_, _| Reply::Text("::progress 10::reading".into()));
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [
        ("ANTHROPIC_BASE_URL", api.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0123456789"),
    ];
    // Every message the scripted API serves holds more than 1,000 tokens of
    // context: over 80 % of this window (found for the dated id too).
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"claude\"\n\
         [prices.\"claude-sonnet-4-5\"]\ninput = 3.0\noutput = 15.0\ncache_read = 0.30\n\
         cache_write = 3.75\ncontext = 1000\n\
         [watchdog]\nhandoff_at = 0.8\n\
         [agent]\nclaude = \"{}\"\nstop_grace = \"2s\"\n",
        claude.display()
    );
    init_with_tasks(&repo, tmp.path(), &env, &config, &["h-1"]);
    let sum = up_summary(&repo, tmp.path(), &env);
    assert_eq!(events(&repo, "handoff").len(), 1, "{sum}");
    assert_eq!(events(&repo, "task_assigned").len(), 2, "{sum}");
    let failed = events(&repo, "task_failed");
    assert_eq!(failed.len(), 1, "{sum}");
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(reason.contains("before it made progress"), "{reason}");
    let concerns = events(&repo, "concern_raised");
    assert!(
        concerns
            .iter()
            .any(|c| c["summary"].as_str().unwrap().contains("no second handoff")),
        "{concerns:?}"
    );
    assert_eq!(sum["tasks"]["failed"], 1, "{sum}");
}
