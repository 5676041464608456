//! What the runner writes to the operator's log file (see `crate::logging`):
//! one line per effect the executor performs and per report it gets back.
//! Outputs stay in the event log; only their first line, already redacted,
//! comes here.

use crate::domain::{BatchRun, MergeOutcome, ModelSpend, TaskId};
use crate::engine::{Effect, Input};

/// The first line of a text, cut short.
fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(200) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// Log an effect as the executor is about to carry it out.
pub fn effect(effect: &Effect) {
    match effect {
        Effect::Start {
            agent,
            session,
            task,
            branch,
            resume_from,
            base,
            model,
            attempt,
            ..
        } => tracing::info!(
            %agent, %session, %task, %branch, resume_from = resume_from.as_deref().unwrap_or(""),
            base = base.as_deref().unwrap_or(""),
            %model, attempt, "start: preparing the worktree and starting the session"
        ),
        Effect::Stop { session, reason } => tracing::info!(%session, %reason, "stop"),
        Effect::Freeze { session } => tracing::info!(%session, "freeze"),
        Effect::Thaw { session } => tracing::info!(%session, "thaw"),
        Effect::Decide { session, approved } => tracing::info!(%session, approved, "decision"),
        Effect::RunGates {
            task,
            agent,
            branch,
            checks,
            ..
        } => {
            tracing::info!(%task, %agent, %branch, gates = checks.len(), "gates: running on the branch")
        }
        Effect::Land {
            entries,
            checks,
            train,
            onto,
            ..
        } => {
            let tasks: Vec<&str> = entries.iter().map(|e| e.task.as_str()).collect();
            let onto = onto.as_deref().unwrap_or("the target");
            tracing::info!(tasks = ?tasks, gates = checks.len(), onto, cars = train.cars, "landing: a batch");
        }
        Effect::CommentIssue { task, issue, .. } => {
            tracing::info!(%task, repo = %issue.repo, number = issue.number, "issue: commenting on the merge")
        }
        Effect::AskTriage { concern, llm, .. } => {
            tracing::info!(%concern, model = %llm.model, "triage: asking its model")
        }
    }
}

/// Log a report that came back from the executor or an agent.
pub fn input(input: &Input) {
    match input {
        Input::AgentExited { session, exit_code } => match exit_code {
            Some(code) => tracing::info!(%session, exit_code = code, "agent exited"),
            None => tracing::info!(%session, "agent exited by a signal"),
        },
        Input::StartFailed { session, error } => {
            tracing::error!(%session, error = first_line(error), "start failed")
        }
        Input::ExecutorFailed {
            action,
            session,
            agent,
            task,
            error,
        } => {
            tracing::error!(action, session = ?session, agent = ?agent, task = ?task, error = first_line(error), "executor step failed")
        }
        Input::GatesFinished {
            task,
            passed,
            gate,
            output,
            findings,
            ..
        } => {
            if *passed {
                tracing::info!(%task, "gates passed");
            } else {
                tracing::warn!(%task, %gate, findings = findings.len(), output = first_line(output), "gates failed");
            }
        }
        Input::Landed {
            runs,
            results,
            error,
            held,
            ai_unreachable,
            spent,
        } => landed(
            runs,
            results,
            error.as_deref(),
            held,
            ai_unreachable.as_deref(),
            spent,
        ),
        Input::DiskFull { path, free_mb } => tracing::warn!(%path, free_mb, "disk full"),
        Input::DiskSpace { free_mb } => tracing::info!(free_mb, "disk space back"),
        Input::RepoConfigChanged {
            session,
            changes,
            restored,
        } => {
            tracing::warn!(%session, changes = ?changes, restored, "the repository's git config changed")
        }
        Input::IssueCommented { task, url } => tracing::info!(%task, %url, "issue: commented"),
        Input::Operator(cmd) => tracing::info!(command = ?cmd, "operator"),
        Input::TriageAnswered {
            concern,
            answer,
            spent,
        } => {
            let (input, output) = spent
                .as_ref()
                .map_or((0, 0), |s| (s.usage.input, s.usage.output));
            match answer {
                Ok(v) => {
                    tracing::info!(%concern, verdict = v.verdict.as_str(), input, output, "triage: its model answered")
                }
                Err(why) => {
                    tracing::warn!(%concern, why = first_line(why), input, output, "triage: its model's answer refused")
                }
            }
        }
        Input::Spawned {
            session,
            pid,
            start_time,
        } => tracing::info!(%session, pid, start_time, "agent process recorded"),
        Input::Tick
        | Input::Started { .. }
        | Input::AgentLine { .. }
        | Input::AgentSignal { .. }
        | Input::Prompted { .. } => {}
    }
}

/// Log what a landing reported: the `ai` tier's calls, landings held, an
/// unreachable `ai` tier, the gates on each merged result, the outcomes,
/// and why it stopped.
fn landed(
    runs: &[BatchRun],
    results: &[(TaskId, MergeOutcome)],
    error: Option<&str>,
    held: &[String],
    ai_unreachable: Option<&str>,
    spent: &[(TaskId, ModelSpend)],
) {
    for (task, s) in spent {
        let u = &s.usage;
        tracing::info!(%task, model = %s.model, input = u.input, output = u.output, "the ai tier's call");
    }
    if !held.is_empty() {
        tracing::warn!(files = ?held, "landing held: the operator's checkout of the target has changes");
    }
    if let Some(endpoint) = ai_unreachable {
        tracing::warn!(%endpoint, "the merge queue's ai tier could not be reached");
    }
    for run in runs {
        let tasks: Vec<&str> = run.tasks.iter().map(|t| t.as_str()).collect();
        tracing::info!(tasks = ?tasks, base = %run.base, passed = run.passed, gate = %run.gate, "landing: gates on the merged result");
    }
    for (task, outcome) in results {
        tracing::info!(%task, outcome = outcome.word(), "landing: outcome");
    }
    if let Some(e) = error {
        tracing::error!(error = first_line(e), "landing stopped");
    }
}
