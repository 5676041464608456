//! A scripted Anthropic Messages API on 127.0.0.1 for Claude Code: it
//! streams server-sent events as the real API does, answers each request
//! from a script, and counts every token it serves.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the scripted model does next.
pub enum Reply {
    /// Call the Bash tool with this command.
    Bash(String),
    /// Say this and end the turn.
    Text(String),
    /// Refuse with this HTTP status (429 rate limit, 529 overloaded).
    Refuse(u16),
}

/// Tokens served, as the API counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Served {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub requests: u64,
    pub refusals: u64,
}

pub struct Server {
    pub url: String,
    served: Arc<Mutex<Served>>,
}

impl Server {
    /// Start serving; `script(request, turn)` decides each reply, where
    /// `turn` counts the tool results already in the conversation.
    pub fn start(script: fn(&Value, usize) -> Reply) -> Server {
        let served = Arc::new(Mutex::new(Served::default()));
        let s = served.clone();
        let addr = super::http::serve(move |request_line: &str, body: &[u8]| {
            if !request_line.starts_with("POST")
                || !request_line.contains("/v1/messages")
                || request_line.contains("count_tokens")
            {
                return (
                    "200 OK".into(),
                    "application/json",
                    r#"{"input_tokens":1}"#.into(),
                );
            }
            let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let turn = req["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|m| m["content"].as_array().into_iter().flatten())
                .filter(|c| c["type"] == "tool_result")
                .count();
            let reply = script(&req, turn);
            let mut s = s.lock().unwrap();
            if let Reply::Refuse(status) = reply {
                s.refusals += 1;
                let (kind, reason) = match status {
                    429 => ("rate_limit_error", "Too Many Requests"),
                    529 => ("overloaded_error", "Overloaded"),
                    _ => ("api_error", "Error"),
                };
                let out =
                    json!({"type":"error","error":{"type":kind,"message":reason}}).to_string();
                return (format!("{status} {reason}"), "application/json", out);
            }
            s.requests += 1;
            let n = s.requests;
            let (input, cache_read, cache_write, output) = (100 + n, 1000 * n, 50, 20 + n);
            s.input += input;
            s.cache_read += cache_read;
            s.cache_write += cache_write;
            s.output += output;
            (
                "200 OK".into(),
                "text/event-stream",
                sse(&req, n, &reply, (input, cache_read, cache_write, output)),
            )
        });
        Server {
            url: format!("http://{addr}"),
            served,
        }
    }

    pub fn served(&self) -> Served {
        *self.served.lock().unwrap()
    }
}

/// The dated id the API answers a model name with.
pub fn dated(model: &str) -> String {
    let (_, tail) = model.rsplit_once('-').unwrap_or(("", ""));
    if tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()) {
        model.to_string()
    } else {
        format!("{model}-{DATE}")
    }
}

/// The date of the scripted API's model ids.
pub const DATE: &str = "20250929";

fn sse(
    req: &Value,
    n: u64,
    reply: &Reply,
    (input, cache_read, cache_write, output): (u64, u64, u64, u64),
) -> String {
    // As the real API does, the answer names the dated id of the model
    // asked for (`claude-sonnet-4-5` is served as `claude-sonnet-4-5-20250929`).
    let model = dated(req["model"].as_str().unwrap_or("claude-sonnet-4-5"));
    let mut ev = vec![json!({"type":"message_start","message":{
        "id": format!("msg_{n:04}"), "type":"message","role":"assistant","model": model,
        "content":[],"stop_reason":null,"stop_sequence":null,
        "usage":{"input_tokens":input,"cache_creation_input_tokens":cache_write,"cache_read_input_tokens":cache_read,"output_tokens":1}}})];
    let stop = match reply {
        Reply::Text(t) => {
            ev.push(json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}));
            ev.push(json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":t}}));
            ev.push(json!({"type":"content_block_stop","index":0}));
            "end_turn"
        }
        Reply::Refuse(_) => unreachable!("answered before streaming"),
        Reply::Bash(cmd) => {
            ev.push(json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}));
            ev.push(json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"::progress 50::writing the change"}}));
            ev.push(json!({"type":"content_block_stop","index":0}));
            let input = json!({"command": cmd, "description": "make the change"}).to_string();
            ev.push(json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":format!("toolu_{n:04}"),"name":"Bash","input":{}}}));
            ev.push(json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":input}}));
            ev.push(json!({"type":"content_block_stop","index":1}));
            "tool_use"
        }
    };
    ev.push(json!({"type":"message_delta","delta":{"stop_reason":stop,"stop_sequence":null},"usage":{"output_tokens":output}}));
    ev.push(json!({"type":"message_stop"}));
    ev.iter()
        .map(|e| format!("event: {}\ndata: {}\n\n", e["type"].as_str().unwrap(), e))
        .collect()
}
