//! Claude Code in print mode with streaming JSON
//! (`claude -p … --output-format stream-json --verbose --include-partial-messages`).
//!
//! What its output looks like, and how it is read:
//! - `stream_event` lines carry the raw API stream: `message_start` has the
//!   message id and its input and cache tokens, `message_delta` the output
//!   tokens so far. These give live per-call figures.
//! - `assistant` lines repeat one message once per content block, each with
//!   the same `message.id` and the usage from the start of the stream; they
//!   are counted per id, so a message is never counted twice. Their text
//!   (which may hold protocol lines) and tool uses become output lines.
//! - The final `result` line has the CLI's totals per model (`modelUsage`,
//!   keyed by the requested name, not the dated id the stream carries) and
//!   `total_cost_usd`: the totals are compared with what was counted (a
//!   mismatch is a warning, nothing is added), and the reported cost is
//!   recorded beside the computed one. A run is judged
//!   by `is_error` and the exit code, not by `subtype`.

use super::adapter::{Adapter, Output, say, usage};
use super::usage::Ledger;
use crate::domain::Usage;
use crate::domain::protocol::{Signal, classify_trouble};
use serde_json::Value;

#[derive(Default)]
pub struct ClaudeAdapter {
    ledger: Ledger,
    /// The message being streamed: (id, model).
    current: Option<(String, String)>,
    /// The model named at start-up, for usage without one.
    model: String,
    /// The result said the run failed.
    error: Option<String>,
    done: bool,
    malformed: u32,
}

fn usage_of(v: &Value) -> Usage {
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        input: n("input_tokens"),
        output: n("output_tokens"),
        cache_read: n("cache_read_input_tokens"),
        cache_write: n("cache_creation_input_tokens"),
    }
}

/// Model usage as the `result` line's `modelUsage` writes it (camelCase).
fn model_usage_of(v: &Value) -> Usage {
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        input: n("inputTokens"),
        output: n("outputTokens"),
        cache_read: n("cacheReadInputTokens"),
        cache_write: n("cacheCreationInputTokens"),
    }
}

impl ClaudeAdapter {
    /// A `stream_event` line: live per-call figures from the raw API stream.
    fn stream_event(&mut self, ev: &Value, out: &mut Vec<Output>) {
        match ev.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                let msg = &ev["message"];
                let id = msg["id"].as_str().unwrap_or_default().to_string();
                let model = msg["model"].as_str().unwrap_or(&self.model).to_string();
                if let Some(u) = self.ledger.message(&model, &id, usage_of(&msg["usage"])) {
                    out.push(usage(&model, u));
                }
                self.current = Some((id, model));
            }
            Some("message_delta") => {
                if let Some((id, model)) = self.current.clone() {
                    // The delta's counts are cumulative for the message.
                    if let Some(u) = self.ledger.message(&model, &id, usage_of(&ev["usage"])) {
                        out.push(usage(&model, u));
                    }
                }
            }
            _ => {}
        }
    }

    /// An `assistant` line: its message counted once per id, its text and
    /// tool uses shown as lines.
    fn assistant(&mut self, msg: &Value, out: &mut Vec<Output>) {
        let id = msg["id"].as_str().unwrap_or_default();
        let model = msg["model"].as_str().unwrap_or(&self.model).to_string();
        if let Some(u) = self.ledger.message(&model, id, usage_of(&msg["usage"])) {
            out.push(usage(&model, u));
        }
        for block in msg["content"].as_array().into_iter().flatten() {
            match block.get("type").and_then(Value::as_str) {
                Some("text") => say(block["text"].as_str().unwrap_or(""), out),
                Some("tool_use") => out.push(tool_use(block)),
                _ => {}
            }
        }
    }

    /// The `result` line: the CLI's totals (keyed by the requested model
    /// name, while the stream carries the dated id the API answered with)
    /// compared with what was counted, never added; its cost; whether the
    /// run failed.
    fn result(&mut self, v: &Value, out: &mut Vec<Output>) {
        let reported = match v.get("modelUsage").and_then(Value::as_object) {
            Some(per_model) => {
                let mut t = Usage::default();
                for mu in per_model.values() {
                    t += model_usage_of(mu);
                }
                Some(t)
            }
            None => v.get("usage").map(usage_of),
        };
        if let Some((counted, reported)) = reported.and_then(|r| self.ledger.compare(r)) {
            out.push(Output::Signal {
                signal: Signal::UsageMismatch { counted, reported },
            });
        }
        if let Some(usd) = v.get("total_cost_usd").and_then(Value::as_f64) {
            out.push(Output::Signal {
                signal: Signal::CostReported { usd },
            });
        }
        if v.get("is_error").and_then(Value::as_bool).unwrap_or(false) {
            let text: String = v
                .get("result")
                .and_then(Value::as_str)
                .unwrap_or("Claude Code reported an error")
                .chars()
                .take(300)
                .collect();
            if let Some(trouble) = classify_trouble(&text) {
                out.push(Output::Signal {
                    signal: Signal::ApiTrouble {
                        trouble,
                        detail: text.clone(),
                    },
                });
            }
            self.error = Some(text);
        } else {
            self.done = true;
        }
    }
}

/// A tool use as a line: `tool <name> <the file, path or command>`.
fn tool_use(block: &Value) -> Output {
    let name = block["name"].as_str().unwrap_or("tool");
    let input = &block["input"];
    let target = input
        .get("file_path")
        .or_else(|| input.get("path"))
        .or_else(|| input.get("command"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Output::Line {
        line: format!("tool {name} {target}").trim_end().to_string(),
    }
}

impl Adapter for ClaudeAdapter {
    fn line(&mut self, line: &str) -> Vec<Output> {
        let mut out = Vec::new();
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            // Not JSON (a warning on stdout, a cut line): shown, never fatal.
            self.malformed += 1;
            say(line, &mut out);
            return out;
        };
        match v.get("type").and_then(Value::as_str) {
            Some("system") => {
                if let Some(m) = v.get("model").and_then(Value::as_str) {
                    self.model = m.to_string();
                }
            }
            Some("stream_event") => self.stream_event(&v["event"], &mut out),
            Some("assistant") => self.assistant(&v["message"], &mut out),
            Some("result") => self.result(&v, &mut out),
            _ => {}
        }
        out
    }

    fn finish(&mut self, code: Option<i32>) -> Vec<Output> {
        let signal = match (&self.error, code) {
            (Some(e), _) => Signal::Failed {
                reason: e.clone(),
                exit_code: code,
            },
            (None, Some(0)) if self.done => Signal::Done {
                summary: "Claude Code finished".into(),
            },
            _ => return Vec::new(),
        };
        vec![Output::Signal { signal }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &str) -> (Vec<Output>, ClaudeAdapter) {
        let mut a = ClaudeAdapter::default();
        let mut out = Vec::new();
        for l in lines.lines() {
            out.extend(a.line(l));
        }
        out.extend(a.finish(Some(0)));
        (out, a)
    }

    fn usage_total(out: &[Output]) -> Usage {
        let mut t = Usage::default();
        for i in out {
            if let Output::Signal {
                signal: Signal::Usage { usage, .. },
                ..
            } = i
            {
                t += *usage;
            }
        }
        t
    }

    #[test]
    fn a_message_with_several_content_blocks_is_counted_once() {
        let (out, _) = feed(include_str!(
            "../../fixtures/transcripts/claude-blocks.jsonl"
        ));
        // Two API messages, each counted once. Without partial messages the
        // stream shows only the first output token of each: the result's
        // totals differ, and that is a warning, not usage.
        assert_eq!(
            usage_total(&out),
            Usage {
                input: 30,
                output: 2,
                cache_read: 12_000,
                cache_write: 1_500
            }
        );
        assert!(out.iter().any(|i| matches!(
            i,
            Output::Signal {
                signal: Signal::UsageMismatch { counted, reported },
                ..
            } if counted.output == 2 && reported.output == 420
        )));
        let lines: Vec<&str> = out
            .iter()
            .filter_map(|i| match i {
                Output::Line { line, .. } => Some(line.as_str()),
                _ => None,
            })
            .collect();
        assert!(lines.contains(&"tool Edit src/auth/session.rs"));
        assert!(lines.contains(&"::progress 50::session store wired"));
        assert!(out.iter().any(|i| matches!(
            i,
            Output::Signal {
                signal: Signal::CostReported { .. },
                ..
            }
        )));
        assert!(matches!(
            out.last(),
            Some(Output::Signal {
                signal: Signal::Done { .. },
                ..
            })
        ));
    }

    #[test]
    fn partial_messages_give_live_figures_that_end_equal_to_the_result() {
        let (out, a) = feed(include_str!(
            "../../fixtures/transcripts/claude-partial.jsonl"
        ));
        let total = usage_total(&out);
        assert_eq!(total, a.ledger.total("claude-sonnet-4-5-20250929"));
        assert_eq!(total.output, 250);
        assert_eq!(total.input, 12);
        assert_eq!(total.cache_read, 4_000);
    }

    #[test]
    fn dated_ids_in_the_stream_and_requested_names_in_the_totals_count_once() {
        let (out, a) = feed(include_str!(
            "../../fixtures/transcripts/claude-dated.jsonl"
        ));
        let total = usage_total(&out);
        assert_eq!(
            total,
            Usage {
                input: 12,
                output: 250,
                cache_read: 4_000,
                cache_write: 0
            }
        );
        assert_eq!(total, a.ledger.total("claude-sonnet-4-5-20250929"));
        assert_eq!(a.ledger.total("claude-sonnet-4-5"), Usage::default());
        assert!(
            !out.iter().any(|i| matches!(
                i,
                Output::Signal {
                    signal: Signal::UsageMismatch { .. },
                    ..
                }
            )),
            "the totals agree"
        );
    }

    #[test]
    fn an_error_result_fails_the_run_whatever_its_subtype() {
        let (out, _) = feed(
            r#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: 529 overloaded","total_cost_usd":0}"#,
        );
        assert!(matches!(
            out.last(),
            Some(Output::Signal { signal: Signal::Failed { reason, .. }, .. }) if reason.contains("529")
        ));
        assert!(out.iter().any(|i| matches!(
            i,
            Output::Signal {
                signal: Signal::ApiTrouble {
                    trouble: "overloaded",
                    ..
                },
                ..
            }
        )));
    }

    #[test]
    fn garbage_is_shown_not_fatal() {
        let (out, a) = feed("{\"type\":\"assist\ngarbage \u{fffd}\n");
        assert_eq!(a.malformed, 2);
        assert_eq!(out.len(), 2, "two lines shown, no done without a result");
    }
}
