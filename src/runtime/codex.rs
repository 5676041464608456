//! Codex (`codex exec --json … </dev/null`).
//!
//! Each stdout line is a JSON event. Usage comes once per turn in
//! `turn.completed`, in the OpenAI convention: cached tokens are part of
//! `input_tokens` and reasoning tokens part of `output_tokens`. They are
//! turned into the Anthropic convention the log uses (input without cache
//! reads). Agent messages (which may hold protocol lines), commands and file
//! changes become output lines. `error` events are shown (Codex prints one
//! per retry, "Reconnecting... 1/2", and again before `turn.failed`);
//! `turn.failed` fails the run, or the last `error` if the process exits
//! without one. Either way an API failure is recorded once.

use super::adapter::{Adapter, Output, say, usage};
use super::usage::Ledger;
use crate::domain::Usage;
use crate::domain::protocol::{Signal, classify_trouble};
use serde_json::Value;

/// The model provider shiftboss writes into Codex's config.
pub const PROVIDER: &str = "shiftboss";

/// Codex's config.toml for shiftboss's agents: its provider (bounded
/// retries and stream timeouts; shiftboss's watchdog stays on it too) and
/// nothing that reaches beyond the provider. In the pinned Codex (0.169.0)
/// that means: no analytics; no `plugins` (every start runs `git ls-remote`
/// against github.com and looks up api.github.com); and no
/// `unbounded_connection_retries` (an unreachable API would be retried
/// forever, "waiting for network", instead of failing the turn).
pub fn config_toml(base_url: &str) -> String {
    let url = if base_url.is_empty() {
        "https://api.openai.com/v1"
    } else {
        base_url
    };
    format!(
        "# Written by shiftboss for its Codex agents; changes are overwritten.\n\
         [analytics]\nenabled = false\n\n\
         [features]\nplugins = false\nunbounded_connection_retries = false\n\n\
         [model_providers.{PROVIDER}]\nname = \"{PROVIDER}\"\nbase_url = {url:?}\nenv_key = \"OPENAI_API_KEY\"\n\
         wire_api = \"responses\"\nrequest_max_retries = 2\nstream_max_retries = 2\nstream_idle_timeout_ms = 120000\n"
    )
}

pub struct CodexAdapter {
    model: String,
    ledger: Ledger,
    error: Option<String>,
    /// The last `error` event's message (a retry, or the failure itself).
    last_error: Option<String>,
    turns: u32,
    malformed: u32,
}

impl CodexAdapter {
    /// `model`: the model the agent was started with (Codex's events do not name it).
    pub fn new(model: &str) -> CodexAdapter {
        CodexAdapter {
            model: model.to_string(),
            ledger: Ledger::default(),
            error: None,
            last_error: None,
            turns: 0,
            malformed: 0,
        }
    }
}

impl Adapter for CodexAdapter {
    fn line(&mut self, line: &str) -> Vec<Output> {
        let mut out = Vec::new();
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            self.malformed += 1;
            say(line, &mut out);
            return out;
        };
        match v.get("type").and_then(Value::as_str) {
            Some("item.completed") => {
                let item = &v["item"];
                match item.get("type").and_then(Value::as_str) {
                    Some("agent_message") => say(item["text"].as_str().unwrap_or(""), &mut out),
                    Some("command_execution") => say(
                        &format!("ran {}", item["command"].as_str().unwrap_or("a command")),
                        &mut out,
                    ),
                    Some("file_change") => {
                        for c in item["changes"].as_array().into_iter().flatten() {
                            say(
                                &format!(
                                    "{} {}",
                                    c["kind"].as_str().unwrap_or("change"),
                                    c["path"].as_str().unwrap_or("")
                                ),
                                &mut out,
                            );
                        }
                    }
                    _ => {}
                }
            }
            Some("turn.completed") => {
                self.turns += 1;
                let u = &v["usage"];
                let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
                let cached = n("cached_input_tokens");
                let turn = Usage {
                    input: n("input_tokens").saturating_sub(cached),
                    output: n("output_tokens"),
                    cache_read: cached,
                    cache_write: 0,
                };
                if let Some(u) = self.ledger.add(&self.model, turn) {
                    out.push(usage(&self.model, u));
                }
            }
            Some("error") => {
                let m = message(&v);
                say(&format!("codex: {m}"), &mut out);
                self.last_error = Some(m);
            }
            Some("turn.failed") => {
                let m = message(&v);
                if self.last_error.as_deref() != Some(m.as_str()) {
                    say(&format!("codex: {m}"), &mut out);
                }
                self.fail(m, &mut out);
            }
            _ => {}
        }
        out
    }

    fn finish(&mut self, code: Option<i32>) -> Vec<Output> {
        let mut out = Vec::new();
        if self.error.is_none()
            && code != Some(0)
            && let Some(m) = self.last_error.take()
        {
            self.fail(m, &mut out);
        }
        let signal = match (&self.error, code) {
            (Some(e), _) => Signal::Failed {
                reason: e.clone(),
                exit_code: code,
            },
            (None, Some(0)) if self.turns > 0 => Signal::Done {
                summary: "Codex finished".into(),
            },
            _ => return out,
        };
        out.push(Output::Signal { signal });
        out
    }
}

impl CodexAdapter {
    /// The run failed with `m`: recorded once, as API trouble if it is.
    fn fail(&mut self, m: String, out: &mut Vec<Output>) {
        if self.error.is_some() {
            return;
        }
        if let Some(trouble) = classify_trouble(&m) {
            out.push(Output::Signal {
                signal: Signal::ApiTrouble {
                    trouble,
                    detail: m.clone(),
                },
            });
        }
        self.error = Some(m);
    }
}

/// An error event's message, bounded.
fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .or_else(|| v["message"].as_str())
        .unwrap_or("turn failed")
        .chars()
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &str, code: i32) -> Vec<Output> {
        let mut a = CodexAdapter::new("gpt-5-codex");
        let mut out = Vec::new();
        for l in lines.lines() {
            out.extend(a.line(l));
        }
        out.extend(a.finish(Some(code)));
        out
    }

    #[test]
    fn cached_tokens_move_out_of_input_and_turns_add_up() {
        let out = feed(include_str!("../../fixtures/transcripts/codex.jsonl"), 0);
        let mut total = Usage::default();
        for i in &out {
            if let Output::Signal {
                signal: Signal::Usage { usage, model },
                ..
            } = i
            {
                assert_eq!(model.as_deref(), Some("gpt-5-codex"));
                total += *usage;
            }
        }
        assert_eq!(
            total,
            Usage {
                input: 2_000,
                output: 700,
                cache_read: 9_000,
                cache_write: 0
            }
        );
        let lines: Vec<String> = out
            .iter()
            .filter_map(|i| match i {
                Output::Line { line, .. } => Some(line.clone()),
                _ => None,
            })
            .collect();
        assert!(lines.iter().any(|l| l == "update src/search/index.rs"));
        assert!(
            lines
                .iter()
                .any(|l| l == "::concern impact=medium confidence=0.6::the index format changes")
        );
        assert!(matches!(
            out.last(),
            Some(Output::Signal {
                signal: Signal::Done { .. },
                ..
            })
        ));
    }

    #[test]
    fn retries_are_shown_and_the_failure_is_recorded_once_with_the_exit_code() {
        let out = feed(
            include_str!("../../fixtures/transcripts/codex-retries.jsonl"),
            1,
        );
        let troubles: Vec<&str> = out
            .iter()
            .filter_map(|i| match i {
                Output::Signal {
                    signal: Signal::ApiTrouble { trouble, .. },
                    ..
                } => Some(*trouble),
                _ => None,
            })
            .collect();
        assert_eq!(troubles, vec!["server_error"]);
        assert!(matches!(
            out.last(),
            Some(Output::Signal {
                signal: Signal::Failed { reason, exit_code: Some(1) },
                ..
            }) if reason.starts_with("unexpected status 503")
        ));
        let lines = out
            .iter()
            .filter(|i| matches!(i, Output::Line { line, .. } if line.contains("503")))
            .count();
        assert_eq!(lines, 3, "two retries and the failure, each shown once");
    }

    #[test]
    fn an_error_without_a_failed_turn_fails_the_run_at_exit() {
        let out = feed(
            r#"{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}"#,
            1,
        );
        assert_eq!(
            out.iter()
                .filter(|i| matches!(
                    i,
                    Output::Signal {
                        signal: Signal::ApiTrouble {
                            trouble: "rate_limit",
                            ..
                        },
                        ..
                    }
                ))
                .count(),
            1
        );
        assert!(matches!(
            out.last(),
            Some(Output::Signal {
                signal: Signal::Failed {
                    exit_code: Some(1),
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn the_config_keeps_codex_to_its_provider() {
        let c = config_toml("http://127.0.0.1:9/v1");
        let v: toml::Value = toml::from_str(&c).unwrap();
        assert_eq!(v["analytics"]["enabled"].as_bool(), Some(false));
        assert_eq!(v["features"]["plugins"].as_bool(), Some(false));
        assert_eq!(
            v["features"]["unbounded_connection_retries"].as_bool(),
            Some(false)
        );
        assert_eq!(
            v["model_providers"][PROVIDER]["base_url"].as_str(),
            Some("http://127.0.0.1:9/v1")
        );
    }

    #[test]
    fn a_failed_turn_fails_the_run() {
        let out = feed(
            r#"{"type":"turn.failed","error":{"message":"stream disconnected before completion"}}"#,
            1,
        );
        assert!(matches!(
            out.last(),
            Some(Output::Signal { signal: Signal::Failed { reason, .. }, .. }) if reason.contains("disconnected")
        ));
        assert!(out.iter().any(|i| matches!(
            i,
            Output::Signal {
                signal: Signal::ApiTrouble {
                    trouble: "stream_cut",
                    ..
                },
                ..
            }
        )));
    }
}
