//! An API's HTTP answer read into the model's text and what it cost.

use super::{AiError, Provider};
use crate::domain::{ModelSpend, Usage};
use serde_json::Value;

/// The text of a model's answer (what it cost: [`spent_in`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiAnswer {
    pub text: String,
}

/// What an answer in `provider`'s shape says it cost: the model that served
/// it (`asked`, the model requested, when it does not say) and its tokens,
/// cached ones apart as agents' usage counts them. None for a body that is
/// not JSON or carries no usage.
pub fn spent_in(provider: Provider, asked: &str, body: &str) -> Option<ModelSpend> {
    let v: Value = serde_json::from_str(body).ok()?;
    let u = v.get("usage").filter(|u| u.is_object())?;
    let n = |key: &str| u[key].as_u64().unwrap_or(0);
    let usage = match provider {
        Provider::Anthropic => Usage {
            input: n("input_tokens"),
            output: n("output_tokens"),
            cache_read: n("cache_read_input_tokens"),
            cache_write: n("cache_creation_input_tokens"),
        },
        // OpenAI counts cached tokens inside the prompt's.
        Provider::OpenAi => {
            let cached = u["prompt_tokens_details"]["cached_tokens"]
                .as_u64()
                .unwrap_or(0);
            Usage {
                input: n("prompt_tokens").saturating_sub(cached),
                output: n("completion_tokens"),
                cache_read: cached,
                cache_write: 0,
            }
        }
    };
    let model = v["model"]
        .as_str()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(asked)
        .to_string();
    Some(ModelSpend { model, usage })
}

/// How much of an error body a message quotes.
const EXCERPT_CHARS: usize = 300;

/// Read an API's HTTP answer. A non-2xx status or a body not in the API's
/// shape is [`AiError::Transport`]; an answer cut off at `max_tokens` or a
/// refusal by the model is [`AiError::Refused`].
pub fn parse_response(provider: Provider, status: u16, body: &str) -> Result<ApiAnswer, AiError> {
    if !(200..300).contains(&status) {
        return Err(AiError::Transport(format!(
            "HTTP {status}: {}",
            excerpt(body)
        )));
    }
    let v: Value = serde_json::from_str(body).map_err(|e| {
        AiError::Transport(format!("the answer is not JSON ({e}): {}", excerpt(body)))
    })?;
    let shape = |what: &str| {
        AiError::Transport(format!(
            "the answer is not a {provider} response ({what}): {}",
            excerpt(body)
        ))
    };
    match provider {
        Provider::Anthropic => {
            let blocks = v["content"]
                .as_array()
                .ok_or_else(|| shape("no `content` list"))?;
            let text: String = blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect();
            match v["stop_reason"].as_str() {
                Some("max_tokens") => {
                    return Err(AiError::Refused(
                        "the answer was cut off at max_tokens; raise max_tokens".into(),
                    ));
                }
                Some("refusal") => {
                    return Err(AiError::Refused("the model refused to answer".into()));
                }
                _ => {}
            }
            Ok(ApiAnswer { text })
        }
        Provider::OpenAi => {
            let choice = v["choices"]
                .as_array()
                .and_then(|c| c.first())
                .ok_or_else(|| shape("no `choices`"))?;
            let message = &choice["message"];
            if !message.is_object() {
                return Err(shape("no `choices[0].message`"));
            }
            if choice["finish_reason"] == "length" {
                return Err(AiError::Refused(
                    "the answer was cut off at max_tokens; raise max_tokens".into(),
                ));
            }
            if let Some(refusal) = message["refusal"].as_str()
                && !refusal.trim().is_empty()
            {
                return Err(AiError::Refused(format!(
                    "the model refused: {}",
                    excerpt(refusal)
                )));
            }
            let text = match &message["content"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                _ => return Err(shape("`choices[0].message.content` is not text")),
            };
            Ok(ApiAnswer { text })
        }
    }
}

/// The start of `text` on one line.
pub(super) fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty body)".into();
    }
    match one_line.char_indices().nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}
