//! T2 triage's model called for the engine: the concern's context and the
//! agent's output tail (from its transcript), redacted, sent through the
//! shared HTTP client; the answer read into a verdict, or why it was
//! refused. On a thread for real agents, inline in virtual time; the
//! request's timeout bounds it either way.

use crate::domain::{ConcernId, SessionId};
use crate::engine::Input;
use crate::merge::ai::{AiSettings, ask};
use crate::redact::redact;
use crate::watchdog::llm;
use std::path::Path;

/// Lines of the agent's output the model sees.
const TAIL_LINES: usize = 40;
/// And at most this many bytes of them.
const TAIL_BYTES: usize = 8 * 1024;

/// The last lines of `session`'s transcript in `dir` (`.shiftboss/`), if
/// it has one.
pub fn output_tail(dir: &Path, session: &SessionId) -> String {
    let path = super::transcript::path(dir, session);
    let Ok(text) = std::fs::read(&path) else {
        return String::new();
    };
    let start = text.len().saturating_sub(TAIL_BYTES);
    let text = String::from_utf8_lossy(&text[start..]);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// Ask the model about `concern`, and say what came of it.
pub fn ask_model(concern: ConcernId, context: &str, tail: &str, cfg: &AiSettings) -> Input {
    let mut user = redact(context).into_owned();
    if !tail.is_empty() {
        user.push_str("\nThe agent's latest output:\n");
        user.push_str(&redact(tail));
    }
    let key = cfg.key();
    let (spent, text) = ask(cfg, key.as_deref(), llm::SYSTEM_PROMPT, &user);
    let clean = |s: &str| redact(s).into_owned();
    let answer = match text {
        Err(e) => Err(clean(&e.to_string())),
        Ok(text) => llm::parse(&text)
            .map(|mut v| {
                v.reasons = v.reasons.iter().map(|r| clean(r)).collect();
                v.recommendation = clean(&v.recommendation);
                v
            })
            .map_err(|why| clean(&format!("the model's answer is not a verdict: {why}"))),
    };
    Input::TriageAnswered {
        concern,
        answer,
        spent,
    }
}
