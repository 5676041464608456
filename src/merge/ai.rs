//! The merge queue's `ai` tier: a language model resolves one conflicted
//! file, through the Anthropic Messages API or an OpenAI-compatible chat
//! completions API.
//!
//! The model gets the three versions of the file (base, ours = the target
//! branch, theirs = the agent's branch) and the agent's task, and must answer
//! with exactly one fenced code block holding the whole resolved file,
//! optionally followed by `REMOVED: <exact line> -- <why>` lines for lines
//! it deliberately left out. Anything else is refused ([`AiError::Refused`]):
//! prose around the code, no block, several blocks, conflict markers, an
//! empty file. Whether every added line survived is the caller's check; it
//! gets the model's explained removals for that.
//!
//! [`parse_answer`] and [`parse_response`] are pure; [`resolve_file`] adds
//! the HTTP call (through [`crate::http`]). The API key is sent in a header
//! and never appears in an error.

use crate::domain::ModelSpend;
mod answer;
mod prompt;
mod response;

pub use answer::parse_answer;
pub use prompt::{SYSTEM_PROMPT, user_message};
pub use response::{ApiAnswer, parse_response, spent_in};

use serde_json::{Value, json};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which API shape to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Anthropic Messages: `POST {base_url}/v1/messages`.
    Anthropic,
    /// OpenAI-compatible chat completions: `POST {base_url}/chat/completions`.
    OpenAi,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenAi => "openai",
        }
    }

    /// The provider's public API, as `base_url` expects it.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::OpenAi => "https://api.openai.com/v1",
        }
    }

    /// The environment variable the provider's key is usually in.
    pub fn default_key_env(self) -> &'static str {
        match self {
            Provider::Anthropic => "ANTHROPIC_API_KEY",
            Provider::OpenAi => "OPENAI_API_KEY",
        }
    }

    /// The URL answers are requested from.
    pub fn endpoint(self, base_url: &str) -> String {
        let base = base_url.trim_end_matches('/');
        match self {
            Provider::Anthropic => format!("{base}/v1/messages"),
            Provider::OpenAi => format!("{base}/chat/completions"),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = String;

    fn from_str(s: &str) -> Result<Provider, String> {
        match s {
            "anthropic" => Ok(Provider::Anthropic),
            "openai" => Ok(Provider::OpenAi),
            other => Err(format!(
                "`{other}` is not an AI provider (expected `anthropic` or `openai`)"
            )),
        }
    }
}

/// Where the `ai` tier's model is and how it is asked: the one form of
/// these settings, from the config file's `[merge.ai]` to the request. The
/// key's value is never held here: it is read from `key_env` when a request
/// is made. `Debug` hides credentials a URL may carry.
#[derive(Clone, PartialEq, Eq)]
pub struct AiSettings {
    pub provider: Provider,
    /// Anthropic: `https://api.anthropic.com`; OpenAI-compatible:
    /// `https://api.openai.com/v1` (or any server speaking that API).
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the key; sent only in a header,
    /// never printed.
    pub key_env: String,
    /// For the whole request, answer included.
    pub timeout: Duration,
    /// The answer's limit; it must fit the whole resolved file.
    pub max_tokens: u32,
}

impl AiSettings {
    /// The provider's public API and usual key variable, 5 minutes, 16 000
    /// tokens.
    pub fn new(provider: Provider, model: impl Into<String>) -> AiSettings {
        AiSettings {
            provider,
            base_url: provider.default_base_url().to_string(),
            model: model.into(),
            key_env: provider.default_key_env().to_string(),
            timeout: Duration::from_secs(300),
            max_tokens: 16_000,
        }
    }

    /// The key's value, read from the environment now (unset or empty: none).
    pub fn key(&self) -> Option<String> {
        std::env::var(&self.key_env).ok().filter(|k| !k.is_empty())
    }
}

impl fmt::Debug for AiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiSettings")
            .field("provider", &self.provider)
            .field("base_url", &crate::http::redact_url(&self.base_url))
            .field("model", &self.model)
            .field("key_env", &self.key_env)
            .field("timeout", &self.timeout)
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

/// One file both sides changed, as the merge queue hands it to the `ai`
/// tier. `ours` is the candidate on the target (what already landed),
/// `theirs` the agent's branch; `base` their common ancestor's version,
/// `None` when the file did not exist there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictedFile {
    pub path: String,
    pub base: Option<String>,
    pub ours: String,
    pub theirs: String,
}

/// A line the model left out on purpose, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedRemoval {
    pub line: String,
    pub why: String,
}

/// The model's resolution of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AiResolution {
    /// The whole resolved file.
    pub content: String,
    pub removals: Vec<ExplainedRemoval>,
}

/// One call of the model: what its answer cost (none when no answer came:
/// nothing to pay for) and the file it resolved, or why not. An answer
/// refused by the contract was still paid for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AiCall {
    pub spent: Option<ModelSpend>,
    pub result: Result<AiResolution, AiError>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// The API failed on the way (not a connection or timeout: that is
    /// [`AiError::Unreachable`]), answered with a non-2xx status, or with a
    /// body that is not its JSON shape. Never contains the key.
    #[error("the AI API failed: {0}")]
    Transport(String),
    /// The model answered, but not with a usable file (the reason).
    #[error("the model's answer is not a usable file: {0}")]
    Refused(String),
    /// Nothing answered at `endpoint` (connection refused, no answer in time).
    #[error("the AI API at {endpoint} cannot be reached: {why}")]
    Unreachable { endpoint: String, why: String },
}

/// The request for `cfg`'s provider: URL, headers (the key among them
/// when set) and JSON body.
pub fn request(
    cfg: &AiSettings,
    key: Option<&str>,
    file: &ConflictedFile,
    task_context: &str,
) -> (String, Vec<(&'static str, String)>, Value) {
    request_text(cfg, key, SYSTEM_PROMPT, &user_message(file, task_context))
}

/// A request of `system` and `user` messages to `cfg`'s provider.
pub fn request_text(
    cfg: &AiSettings,
    key: Option<&str>,
    system: &str,
    user: &str,
) -> (String, Vec<(&'static str, String)>, Value) {
    let url = cfg.provider.endpoint(&cfg.base_url);
    let mut headers = vec![("content-type", "application/json".to_string())];
    let body = match cfg.provider {
        Provider::Anthropic => {
            if let Some(key) = key {
                headers.push(("x-api-key", key.to_string()));
            }
            headers.push(("anthropic-version", "2023-06-01".to_string()));
            json!({
                "model": cfg.model,
                "max_tokens": cfg.max_tokens,
                "system": system,
                "messages": [{"role": "user", "content": user}],
            })
        }
        Provider::OpenAi => {
            if let Some(key) = key {
                headers.push(("authorization", format!("Bearer {key}")));
            }
            json!({
                "model": cfg.model,
                "max_tokens": cfg.max_tokens,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
            })
        }
    };
    (url, headers, body)
}

/// One call of `cfg`'s model with a `system` and a `user` message: what it
/// cost (none when no answer came) and the answer's text, or why not. The
/// key never appears in an error. Blocks for at most `cfg.timeout`.
pub fn ask(
    cfg: &AiSettings,
    key: Option<&str>,
    system: &str,
    user: &str,
) -> (Option<ModelSpend>, Result<String, AiError>) {
    let scrub = |m: &str| scrub(m, key);
    let (url, headers, body) = request_text(cfg, key, system, user);
    let (status, text) = match crate::http::post_json(&url, &headers, &body, cfg.timeout) {
        Ok(answer) => answer,
        Err(e) => {
            let err = match e {
                crate::http::HttpError::Connect { .. } | crate::http::HttpError::Timeout { .. } => {
                    AiError::Unreachable {
                        endpoint: crate::http::redact_url(&url),
                        why: scrub(&e.to_string()),
                    }
                }
                e => AiError::Transport(scrub(&format!("{}: {e}", cfg.provider))),
            };
            return (None, Err(err));
        }
    };
    let spent = (200..300)
        .contains(&status)
        .then(|| spent_in(cfg.provider, &cfg.model, &text))
        .flatten();
    let result = parse_response(cfg.provider, status, &text)
        .map(|a| a.text)
        .map_err(|e| match e {
            AiError::Transport(m) => AiError::Transport(scrub(&format!(
                "{} at {}: {m}",
                cfg.provider,
                crate::http::redact_url(&url)
            ))),
            AiError::Refused(m) => AiError::Refused(scrub(&m)),
            other => other,
        });
    (spent, result)
}

/// Ask `cfg`'s model to resolve `file` with `key` (the value of
/// `cfg.key_env`); `task_context` is the title and spec of the agent's task.
/// Blocks the calling thread (a plain thread, not an async runtime) for at
/// most `cfg.timeout`.
pub fn resolve_file(
    cfg: &AiSettings,
    key: Option<&str>,
    file: &ConflictedFile,
    task_context: &str,
) -> AiCall {
    let user = user_message(file, task_context);
    let (spent, text) = ask(cfg, key, SYSTEM_PROMPT, &user);
    let result = text
        .and_then(|answer| {
            parse_answer(&answer, file).map_err(|e| match e {
                AiError::Refused(m) => AiError::Refused(scrub(&m, key)),
                other => other,
            })
        })
        .map(|(content, removals)| AiResolution { content, removals });
    AiCall { spent, result }
}

/// The key out of a message, should an API have echoed it.
fn scrub(message: &str, key: Option<&str>) -> String {
    match key {
        Some(key) if !key.is_empty() => message.replace(key, "[redacted]"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests;
