//! A scripted OpenAI Responses API on 127.0.0.1 for Codex: server-sent
//! events as the real API streams them, replies from a script, and a count
//! of every token served.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub enum Reply {
    /// Run a command through Codex's `exec_command` tool.
    Exec(String),
    /// Say this and end the turn.
    Text(String),
    /// Refuse with this HTTP status (429 rate limit, 500 server error).
    Refuse(u16),
}

/// Tokens served in the OpenAI convention: `input` includes `cached`,
/// `output` includes reasoning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Served {
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    pub requests: u64,
    pub refusals: u64,
}

pub struct Server {
    pub url: String,
    served: Arc<Mutex<Served>>,
}

impl Server {
    /// `script(request body, turn)`: `turn` counts the tool outputs already
    /// in the conversation.
    pub fn start(script: fn(&str, usize) -> Reply) -> Server {
        let served = Arc::new(Mutex::new(Served::default()));
        let s = served.clone();
        let addr = super::http::serve(move |request_line: &str, body: &[u8]| {
            if !request_line.starts_with("POST") || !request_line.contains("/responses") {
                return ("200 OK".into(), "application/json", r#"{"data":[]}"#.into());
            }
            let text = String::from_utf8_lossy(body).into_owned();
            let req: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let turn = req["input"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|i| i["type"] == "function_call_output")
                .count();
            let reply = script(&text, turn);
            let mut s = s.lock().unwrap();
            if let Reply::Refuse(status) = reply {
                s.refusals += 1;
                let (kind, reason) = match status {
                    429 => ("rate_limit_exceeded", "Too Many Requests"),
                    _ => ("server_error", "Internal Server Error"),
                };
                let out = json!({"error":{"type":kind,"code":kind,"message":format!("{reason} (scripted)")}})
                    .to_string();
                return (format!("{status} {reason}"), "application/json", out);
            }
            s.requests += 1;
            let n = s.requests;
            let (input, cached, output) = (300 + n, 200, 30 + n);
            s.input += input;
            s.cached += cached;
            s.output += output;
            (
                "200 OK".into(),
                "text/event-stream",
                sse(
                    n,
                    req["model"].as_str().unwrap_or("gpt-5-codex"),
                    &reply,
                    (input, cached, output),
                ),
            )
        });
        Server {
            url: format!("http://{addr}/v1"),
            served,
        }
    }

    pub fn served(&self) -> Served {
        *self.served.lock().unwrap()
    }
}

fn sse(n: u64, model: &str, reply: &Reply, (input, cached, output): (u64, u64, u64)) -> String {
    let id = format!("resp_{n:04}");
    // As the real API does, the answer names a dated model id.
    let model = format!("{model}-2025-09-15");
    let item = match reply {
        Reply::Exec(cmd) => {
            json!({"type":"function_call","id":format!("fc_{n:04}"),"call_id":format!("call_{n:04}"),
            "name":"exec_command","arguments": json!({"cmd": cmd}).to_string()})
        }
        Reply::Text(t) => json!({"type":"message","role":"assistant","id":format!("msg_{n:04}"),
            "content":[{"type":"output_text","text": t}]}),
        Reply::Refuse(_) => unreachable!("answered before streaming"),
    };
    let events = [
        json!({"type":"response.created","response":{"id": id, "model": model}}),
        json!({"type":"response.output_item.done","output_index":0,"item": item}),
        json!({"type":"response.completed","response":{"id": id, "model": model, "usage":{
            "input_tokens": input, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 5},
            "total_tokens": input + output}}}),
    ];
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {}\n\n", e["type"].as_str().unwrap(), e))
        .collect()
}
