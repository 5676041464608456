//! The merge queue's `ai` tier against scripted APIs on 127.0.0.1, for both
//! providers: what the request carries, what a good answer gives, and how
//! prose, a failing API and an unreachable API come back, and what each
//! answer cost (a refused answer too: it was paid for).

// Uses only the scripted HTTP server of the shared support modules.
#[allow(dead_code)]
mod support;

use serde_json::{Value, json};
use shiftboss::domain::{ModelSpend, Usage};
use shiftboss::merge::ai::{
    AiCall, AiError, AiSettings, ConflictedFile, ExplainedRemoval, Provider, resolve_file,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk-test-4f1c9e2b-do-not-print";
const MODEL: &str = "scripted-model-7";
const TASK: &str = "T-42 Add a greeting\nPrint a greeting on start.";

/// One request as the scripted API saw it.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Script {
    /// Answer 200 with this text as the model's answer, and these tokens.
    Answer(&'static str, u64, u64),
    /// Answer with this status and body.
    Status(u16, String),
}

/// A scripted API for `provider` answering every request with `script`.
/// Returns the base URL to configure and what it saw.
fn scripted(provider: Provider, script: Script) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let script = Arc::new(script);
    let addr = support::http::serve_with_headers(
        move |request_line: &str, headers: &[(String, String)], body: &[u8]| {
            log.lock().unwrap().push(Seen {
                request_line: request_line.trim_end().to_string(),
                headers: headers.to_vec(),
                body: serde_json::from_slice(body).unwrap_or(Value::Null),
            });
            match &*script {
                Script::Status(status, body) => (
                    format!("{status} Scripted"),
                    "application/json",
                    body.clone(),
                ),
                Script::Answer(text, input, output) => {
                    let body = match provider {
                        Provider::Anthropic => json!({
                            "id": "msg_1",
                            "type": "message",
                            "role": "assistant",
                            "model": MODEL,
                            "content": [{"type": "text", "text": text}],
                            "stop_reason": "end_turn",
                            "usage": {"input_tokens": input, "output_tokens": output},
                        }),
                        Provider::OpenAi => json!({
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "model": MODEL,
                            "choices": [{
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }],
                            "usage": {
                                "prompt_tokens": input,
                                "completion_tokens": output,
                                "total_tokens": input + output,
                            },
                        }),
                    };
                    ("200 OK".into(), "application/json", body.to_string())
                }
            }
        },
    );
    let base = match provider {
        Provider::Anthropic => format!("http://{addr}"),
        Provider::OpenAi => format!("http://{addr}/v1"),
    };
    (base, seen)
}

fn config(provider: Provider, base_url: String) -> AiSettings {
    AiSettings {
        base_url,
        timeout: Duration::from_secs(60),
        max_tokens: 4096,
        ..AiSettings::new(provider, MODEL)
    }
}

/// One call with the key.
fn call(cfg: &AiSettings) -> AiCall {
    resolve_file(cfg, Some(KEY), &conflicted(), TASK)
}

fn spent(input: u64, output: u64) -> Option<ModelSpend> {
    Some(ModelSpend {
        model: MODEL.into(),
        usage: Usage {
            input,
            output,
            ..Usage::default()
        },
    })
}

fn conflicted() -> ConflictedFile {
    ConflictedFile {
        path: "src/greet.rs".into(),
        base: Some("pub fn base_line() {}\n".into()),
        ours: "pub fn base_line() {}\npub fn landed_on_target() {}\n".into(),
        theirs: "pub fn base_line() {}\npub fn agent_greeting() {}\n// scratch note\n".into(),
    }
}

const GOOD: &str = "```rust\npub fn base_line() {}\npub fn landed_on_target() {}\npub fn agent_greeting() {}\n```\nREMOVED: // scratch note -- a leftover note, not code\n";

/// The text of the user message and of the system prompt in a request.
fn prompt_texts(provider: Provider, body: &Value) -> (String, String) {
    match provider {
        Provider::Anthropic => (
            body["system"].as_str().unwrap_or_default().to_string(),
            body["messages"][0]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        Provider::OpenAi => (
            body["messages"][0]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            body["messages"][1]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
    }
}

fn a_good_answer_resolves(provider: Provider) {
    let (base, seen) = scripted(provider, Script::Answer(GOOD, 321, 54));
    let c = call(&config(provider, base));
    assert_eq!(c.spent, spent(321, 54));
    let resolution = c.result.unwrap();
    assert_eq!(
        resolution.content,
        "pub fn base_line() {}\npub fn landed_on_target() {}\npub fn agent_greeting() {}\n"
    );
    assert_eq!(
        resolution.removals,
        vec![ExplainedRemoval {
            line: "// scratch note".into(),
            why: "a leftover note, not code".into(),
        }]
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one request per file");
    let request = &seen[0];
    assert_eq!(request.body["model"], MODEL);
    assert_eq!(request.body["max_tokens"], 4096);
    assert_eq!(request.header("content-type"), Some("application/json"));
    match provider {
        Provider::Anthropic => {
            assert_eq!(request.request_line, "POST /v1/messages HTTP/1.1");
            assert_eq!(request.header("x-api-key"), Some(KEY));
            assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
            assert_eq!(request.header("authorization"), None);
            assert_eq!(request.body["messages"][0]["role"], "user");
            assert_eq!(request.body["messages"].as_array().unwrap().len(), 1);
        }
        Provider::OpenAi => {
            assert_eq!(request.request_line, "POST /v1/chat/completions HTTP/1.1");
            let bearer = format!("Bearer {KEY}");
            assert_eq!(request.header("authorization"), Some(bearer.as_str()));
            assert_eq!(request.header("x-api-key"), None);
            assert_eq!(request.body["messages"][0]["role"], "system");
            assert_eq!(request.body["messages"][1]["role"], "user");
        }
    }
    let (system, user) = prompt_texts(provider, &request.body);
    assert!(system.contains("exactly one fenced code block"), "{system}");
    assert!(
        system.contains("REMOVED: <the exact line> -- <why>"),
        "{system}"
    );
    assert!(user.contains("src/greet.rs"), "{user}");
    assert!(user.contains("T-42 Add a greeting"), "{user}");
    assert!(user.contains("Print a greeting on start."), "{user}");
    let file = conflicted();
    for (label, version) in [
        ("BASE", file.base.as_deref().unwrap()),
        ("OURS", &file.ours),
        ("THEIRS", &file.theirs),
    ] {
        let at = user
            .find(label)
            .unwrap_or_else(|| panic!("no {label}: {user}"));
        assert!(
            user[at..].contains(&format!("```\n{version}```")),
            "{label} not in full: {user}"
        );
    }
}

fn prose_is_refused(provider: Provider) {
    let answer = "I would keep both functions and drop the scratch note.";
    let (base, _) = scripted(provider, Script::Answer(answer, 10, 10));
    let c = call(&config(provider, base));
    // Refused, but answered: its tokens were spent.
    assert_eq!(c.spent, spent(10, 10));
    let err = c.result.unwrap_err();
    assert_eq!(
        err,
        AiError::Refused("the answer is prose, not a file".into())
    );

    // The file, but wrapped in commentary: refused as well.
    let answer = "Here is the merged file:\n```rust\npub fn base_line() {}\n```\n";
    let (base, _) = scripted(provider, Script::Answer(answer, 10, 10));
    let err = call(&config(provider, base)).result.unwrap_err();
    assert!(
        matches!(&err, AiError::Refused(why) if why.contains("prose around the code")),
        "{err}"
    );
}

fn a_failing_api_is_a_transport_error_without_the_key(provider: Provider) {
    // An API that echoes the key it was given: the error still hides it.
    let body = format!(r#"{{"error":{{"message":"internal error for key {KEY}"}}}}"#);
    let (base, _) = scripted(provider, Script::Status(500, body));
    let c = call(&config(provider, base));
    assert_eq!(c.spent, None, "a failed request costs nothing");
    let err = c.result.unwrap_err();
    let AiError::Transport(message) = &err else {
        panic!("expected a transport error, got {err:?}");
    };
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("internal error for key"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!shown.contains("4f1c9e2b"), "{shown}");
}

fn an_unreachable_api_is_named_as_unreachable(provider: Provider) {
    // A port that was free a moment ago and that nothing listens on now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cfg = config(provider, format!("http://127.0.0.1:{port}"));
    let c = call(&cfg);
    assert_eq!(c.spent, None);
    let err = c.result.unwrap_err();
    // Told apart from a bad answer: nobody answered at that endpoint.
    let AiError::Unreachable { endpoint, why } = &err else {
        panic!("expected an unreachable endpoint, got {err:?}");
    };
    assert!(why.contains("could not connect"), "{why}");
    assert!(
        endpoint.contains(&format!("127.0.0.1:{port}")),
        "{endpoint}"
    );
    assert!(!format!("{err} {err:?}").contains(KEY), "{err:?}");
}

#[test]
fn anthropic_good_answer_resolves() {
    a_good_answer_resolves(Provider::Anthropic);
}

#[test]
fn openai_good_answer_resolves() {
    a_good_answer_resolves(Provider::OpenAi);
}

#[test]
fn anthropic_prose_is_refused() {
    prose_is_refused(Provider::Anthropic);
}

#[test]
fn openai_prose_is_refused() {
    prose_is_refused(Provider::OpenAi);
}

#[test]
fn anthropic_500_is_transport_without_the_key() {
    a_failing_api_is_a_transport_error_without_the_key(Provider::Anthropic);
}

#[test]
fn openai_500_is_transport_without_the_key() {
    a_failing_api_is_a_transport_error_without_the_key(Provider::OpenAi);
}

#[test]
fn anthropic_unreachable_is_named() {
    an_unreachable_api_is_named_as_unreachable(Provider::Anthropic);
}

#[test]
fn openai_unreachable_is_named() {
    an_unreachable_api_is_named_as_unreachable(Provider::OpenAi);
}

#[test]
fn openai_without_a_key_sends_no_authorization() {
    let (base, seen) = scripted(Provider::OpenAi, Script::Answer(GOOD, 1, 1));
    let cfg = config(Provider::OpenAi, base);
    resolve_file(&cfg, None, &conflicted(), TASK)
        .result
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].header("authorization"), None);
}
