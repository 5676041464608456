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

use crate::domain::{ModelSpend, Usage};
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

/// The contract the model is held to.
pub const SYSTEM_PROMPT: &str = "\
You resolve a merge conflict in one file of a software project.

You get the file's path, the task of the branch being merged, and three \
versions of the file: BASE (the common ancestor; it may be missing), OURS \
(the target branch: work that already landed) and THEIRS (the branch being \
merged: the agent's work for the task).

Produce the whole resolved file: every change from both sides combined. \
Keep every line that either side added, unless a line truly cannot stay \
(for example, both sides added the same definition twice, or one side's line \
contradicts the other's and only one can remain).

Answer with exactly one fenced code block (``` with any info string) holding \
the WHOLE resolved file, from its first line to its last, and nothing else. \
If the file itself contains lines starting with ```, fence the block with \
more backticks than any such line has.

After the block, for each line that a side added and that you deliberately \
left out, write one line:
REMOVED: <the exact line> -- <why>

No other text: no explanation before or after the block, no second block, \
no conflict markers (<<<<<<<, =======, >>>>>>>), no elisions such as \
\"... rest unchanged\".";

/// The user message: path, task, and the three versions in full.
pub fn user_message(file: &ConflictedFile, task_context: &str) -> String {
    let mut out = format!("Path: {}\n\n", file.path);
    let task = task_context.trim();
    out.push_str("Task of THEIRS (the branch being merged):\n");
    out.push_str(if task.is_empty() { "(not given)" } else { task });
    out.push_str("\n\n");
    match &file.base {
        Some(base) => push_version(&mut out, "BASE (common ancestor)", base),
        None => out.push_str(
            "BASE (common ancestor): none, the file did not exist there; both sides added it.\n\n",
        ),
    }
    push_version(&mut out, "OURS (target branch, already landed)", &file.ours);
    push_version(&mut out, "THEIRS (branch being merged)", &file.theirs);
    out.push_str(
        "Answer with the one fenced block holding the whole resolved file, then any REMOVED: lines.",
    );
    out
}

fn push_version(out: &mut String, label: &str, text: &str) {
    // A fence longer than any backtick run starting a line of the text.
    let longest = text
        .lines()
        .map(|l| l.trim_start().chars().take_while(|&c| c == '`').count())
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    out.push_str(label);
    out.push_str(":\n");
    out.push_str(&fence);
    out.push('\n');
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push_str("\n\n");
}

/// The request for `cfg`'s provider: URL, headers (the key among them
/// when set) and JSON body.
pub fn request(
    cfg: &AiSettings,
    key: Option<&str>,
    file: &ConflictedFile,
    task_context: &str,
) -> (String, Vec<(&'static str, String)>, Value) {
    let user = user_message(file, task_context);
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
                "system": SYSTEM_PROMPT,
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
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": user},
                ],
            })
        }
    };
    (url, headers, body)
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
    let scrub = |m: &str| scrub(m, key);
    let (url, headers, body) = request(cfg, key, file, task_context);
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
            return AiCall {
                spent: None,
                result: Err(err),
            };
        }
    };
    let spent = (200..300)
        .contains(&status)
        .then(|| spent_in(cfg.provider, &cfg.model, &text))
        .flatten();
    let result = parse_response(cfg.provider, status, &text)
        .map_err(|e| match e {
            AiError::Transport(m) => AiError::Transport(scrub(&format!(
                "{} at {}: {m}",
                cfg.provider,
                crate::http::redact_url(&url)
            ))),
            AiError::Refused(m) => AiError::Refused(scrub(&m)),
            other => other,
        })
        .and_then(|answer| {
            parse_answer(&answer.text, file).map_err(|e| match e {
                AiError::Refused(m) => AiError::Refused(scrub(&m)),
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

/// The text of a model's answer (what it cost: [`spent_in`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiAnswer {
    pub text: String,
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
fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty body)".into();
    }
    match one_line.char_indices().nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// A fence line: its character, its length and whether anything follows.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|&c| c == '`' || c == '~')?;
    let n = rest.chars().take_while(|&ch| ch == c).count();
    if n < 3 {
        return None;
    }
    let info = rest[n..].trim();
    // A backtick fence's info string has no backticks (CommonMark).
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, info))
}

fn is_conflict_marker(line: &str) -> bool {
    line.starts_with("<<<<<<<")
        || line.starts_with(">>>>>>>")
        || line == "======="
        || line == "|||||||"
        || line.starts_with("||||||| ")
}

/// Hold the model's answer to the contract and read the file and the
/// explained removals out of it. Pure: no I/O.
///
/// Refused: no fenced block, an unclosed block, more than one block, a
/// non-blank line outside the block that is not a `REMOVED: <line> -- <why>`
/// line, a conflict marker in the block (a line that looks like one but is
/// in one of the versions is content), an empty block when both sides have
/// content. The content keeps the file's line ending and trailing newline.
pub fn parse_answer(
    answer: &str,
    file: &ConflictedFile,
) -> Result<(String, Vec<ExplainedRemoval>), AiError> {
    let refuse = |why: String| Err(AiError::Refused(why));
    if answer.trim().is_empty() {
        return refuse("the answer is empty".into());
    }
    let mut block: Option<Vec<&str>> = None;
    let mut open: Option<(char, usize)> = None;
    let mut lines_in: Vec<&str> = Vec::new();
    let mut removals = Vec::new();
    let mut prose: Option<&str> = None;
    for raw in answer.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((c, n)) = open {
            match fence(line) {
                Some((fc, fnum, info)) if fc == c && fnum >= n && info.is_empty() => {
                    open = None;
                    block = Some(std::mem::take(&mut lines_in));
                }
                _ => lines_in.push(line),
            }
            continue;
        }
        if let Some((c, n, _)) = fence(line) {
            if block.is_some() {
                return refuse("the answer has more than one fenced block".into());
            }
            open = Some((c, n));
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("REMOVED:") {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let Some((removed, why)) = rest.rsplit_once(" -- ") else {
                return refuse(format!(
                    "a REMOVED line has no ` -- <why>`: {}",
                    excerpt(line)
                ));
            };
            if removed.trim().is_empty() || why.trim().is_empty() {
                return refuse(format!(
                    "a REMOVED line lacks the line or the reason: {}",
                    excerpt(line)
                ));
            }
            removals.push(ExplainedRemoval {
                line: removed.to_string(),
                why: why.trim().to_string(),
            });
            continue;
        }
        prose.get_or_insert(line);
    }
    if open.is_some() {
        return refuse("the fenced block is never closed (was the answer cut off?)".into());
    }
    let Some(lines) = block else {
        return refuse("the answer is prose, not a file".into());
    };
    if let Some(line) = prose {
        return refuse(format!(
            "the answer has prose around the code: {}",
            excerpt(line)
        ));
    }
    let versions = [file.base.as_deref(), Some(&file.ours), Some(&file.theirs)];
    let in_a_version = |line: &str| {
        versions
            .iter()
            .flatten()
            .any(|v| v.lines().any(|l| l.strip_suffix('\r').unwrap_or(l) == line))
    };
    if let Some(marker) = lines
        .iter()
        .find(|l| is_conflict_marker(l) && !in_a_version(l))
    {
        return refuse(format!(
            "the file still has a conflict marker: {}",
            excerpt(marker)
        ));
    }
    let both_sides = !file.ours.trim().is_empty() && !file.theirs.trim().is_empty();
    if lines.iter().all(|l| l.trim().is_empty()) {
        if both_sides {
            return refuse("the resolved file is empty, though both sides have content".into());
        }
        return Ok((String::new(), removals));
    }
    let crlf = file.ours.contains("\r\n") || file.theirs.contains("\r\n");
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut content = lines.join(eol);
    if file.ours.ends_with('\n') || file.theirs.ends_with('\n') {
        content.push_str(eol);
    }
    Ok((content, removals))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(base: Option<&str>, ours: &str, theirs: &str) -> ConflictedFile {
        ConflictedFile {
            path: "src/lib.rs".into(),
            base: base.map(str::to_string),
            ours: ours.into(),
            theirs: theirs.into(),
        }
    }

    fn simple() -> ConflictedFile {
        file(Some("a\n"), "a\nours\n", "a\ntheirs\n")
    }

    fn refused(answer: &str, f: &ConflictedFile) -> String {
        match parse_answer(answer, f) {
            Err(AiError::Refused(why)) => why,
            other => panic!("expected a refusal for {answer:?}, got {other:?}"),
        }
    }

    #[test]
    fn one_block_is_the_whole_file() {
        let (content, removals) =
            parse_answer("```rust\na\nours\ntheirs\n```\n", &simple()).unwrap();
        assert_eq!(content, "a\nours\ntheirs\n");
        assert!(removals.is_empty());
    }

    #[test]
    fn removed_lines_after_the_block_are_read() {
        let answer = "```\na\nours\n```\n\nREMOVED: theirs -- duplicates ours\nREMOVED:   x = 1 -- y -- old value\n";
        let (content, removals) = parse_answer(answer, &simple()).unwrap();
        assert_eq!(content, "a\nours\n");
        assert_eq!(
            removals,
            vec![
                ExplainedRemoval {
                    line: "theirs".into(),
                    why: "duplicates ours".into()
                },
                // The last ` -- ` separates: the line itself may hold one.
                ExplainedRemoval {
                    line: "  x = 1 -- y".into(),
                    why: "old value".into()
                },
            ]
        );
    }

    #[test]
    fn a_removed_line_without_a_reason_is_refused() {
        let why = refused("```\na\n```\nREMOVED: theirs\n", &simple());
        assert!(why.contains("REMOVED"), "{why}");
        let why = refused("```\na\n```\nREMOVED: theirs -- \n", &simple());
        assert!(why.contains("REMOVED"), "{why}");
    }

    #[test]
    fn prose_without_a_block_is_refused() {
        let why = refused("I merged both: keep ours and add theirs.", &simple());
        assert_eq!(why, "the answer is prose, not a file");
        assert_eq!(refused("  \n\n", &simple()), "the answer is empty");
    }

    #[test]
    fn prose_around_the_block_is_refused() {
        let why = refused("Here is the file:\n```\na\n```\n", &simple());
        assert!(why.contains("prose around the code"), "{why}");
        assert!(why.contains("Here is the file:"), "{why}");
        let why = refused("```\na\n```\nHope this helps!\n", &simple());
        assert!(why.contains("Hope this helps!"), "{why}");
    }

    #[test]
    fn several_blocks_are_refused() {
        let why = refused("```\na\n```\n```\nb\n```\n", &simple());
        assert!(why.contains("more than one"), "{why}");
    }

    #[test]
    fn an_unclosed_block_is_refused() {
        let why = refused("```\na\nours\n", &simple());
        assert!(why.contains("never closed"), "{why}");
    }

    #[test]
    fn conflict_markers_are_refused() {
        for marker in ["<<<<<<< HEAD", "=======", ">>>>>>> theirs", "||||||| base"] {
            let answer = format!("```\na\n{marker}\nours\n```\n");
            let why = refused(&answer, &simple());
            assert!(why.contains("conflict marker"), "{marker}: {why}");
        }
    }

    #[test]
    fn a_marker_like_line_the_file_already_has_is_content() {
        let f = file(
            Some("Title\n=======\n"),
            "Title\n=======\nours\n",
            "Title\n=======\ntheirs\n",
        );
        let (content, _) = parse_answer("```rst\nTitle\n=======\nours\ntheirs\n```", &f).unwrap();
        assert_eq!(content, "Title\n=======\nours\ntheirs\n");
        // Not a marker either: `=======` with more on the line.
        let (content, _) = parse_answer("```\na\n======= x\n```", &simple()).unwrap();
        assert_eq!(content, "a\n======= x\n");
    }

    #[test]
    fn an_empty_block_is_refused_when_both_sides_have_content() {
        let why = refused("```\n```\n", &simple());
        assert!(why.contains("empty"), "{why}");
        let why = refused("```\n\n  \n```\n", &simple());
        assert!(why.contains("empty"), "{why}");
        // One side emptied the file: an empty resolution may be right.
        let f = file(Some("a\n"), "", "a\nb\n");
        assert_eq!(
            parse_answer(
                "```\n```\nREMOVED: b -- the file was deleted on the target",
                &f
            )
            .unwrap()
            .0,
            ""
        );
    }

    #[test]
    fn the_trailing_newline_follows_the_file() {
        let (content, _) = parse_answer("```\na\nb\n```", &simple()).unwrap();
        assert_eq!(content, "a\nb\n");
        let f = file(Some("a"), "a b", "a c");
        let (content, _) = parse_answer("```\na b c\n```", &f).unwrap();
        assert_eq!(content, "a b c");
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let f = file(Some("a\r\n"), "a\r\nours\r\n", "a\r\ntheirs\r\n");
        let (content, _) = parse_answer("```\na\nours\ntheirs\n```\n", &f).unwrap();
        assert_eq!(content, "a\r\nours\r\ntheirs\r\n");
        let (content, _) = parse_answer("```\r\na\r\nours\r\n```\r\n", &f).unwrap();
        assert_eq!(content, "a\r\nours\r\n");
    }

    #[test]
    fn a_longer_fence_holds_a_file_with_fences() {
        let f = file(
            Some("# Doc\n"),
            "# Doc\n```sh\nmake\n```\n",
            "# Doc\nmore\n",
        );
        let answer = "````markdown\n# Doc\n```sh\nmake\n```\nmore\n````\n";
        let (content, _) = parse_answer(answer, &f).unwrap();
        assert_eq!(content, "# Doc\n```sh\nmake\n```\nmore\n");
        // With a short outer fence the inner one closes it: several blocks.
        let answer = "```markdown\n# Doc\n```sh\nmake\n```\nmore\n```\n";
        assert!(matches!(parse_answer(answer, &f), Err(AiError::Refused(_))));
    }

    #[test]
    fn tilde_fences_count_too() {
        let (content, _) = parse_answer("~~~\na\n~~~\n", &simple()).unwrap();
        assert_eq!(content, "a\n");
    }

    #[test]
    fn the_prompt_fences_each_version_beyond_its_own_backticks() {
        let f = file(None, "x\n````\ny\n", "z");
        let m = user_message(&f, "Add z\n");
        assert!(m.starts_with("Path: src/lib.rs\n"), "{m}");
        assert!(m.contains("Add z"), "{m}");
        assert!(m.contains("none, the file did not exist there"), "{m}");
        assert!(m.contains("`````\nx\n````\ny\n`````\n"), "{m}");
        assert!(m.contains("```\nz\n```\n"), "{m}");
    }

    #[test]
    fn requests_carry_model_key_and_versions() {
        let f = simple();
        let mut cfg = AiSettings::new(Provider::Anthropic, "claude-x");
        cfg.base_url = "http://h/".into();
        let (url, headers, body) = request(&cfg, Some("sk-ant-1"), &f, "task");
        assert_eq!(url, "http://h/v1/messages");
        assert!(headers.contains(&("x-api-key", "sk-ant-1".into())));
        assert!(headers.contains(&("anthropic-version", "2023-06-01".into())));
        assert_eq!(body["model"], "claude-x");
        assert_eq!(body["system"], SYSTEM_PROMPT);
        assert_eq!(body["messages"][0]["role"], "user");

        cfg.provider = Provider::OpenAi;
        let (url, headers, body) = request(&cfg, None, &f, "task");
        assert_eq!(url, "http://h/chat/completions");
        assert!(headers.iter().all(|(n, _)| *n != "authorization"));
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["role"], "user");
        assert_eq!(body["max_tokens"], 16_000);
        let (_, headers, _) = request(&cfg, Some("sk-2"), &f, "task");
        assert!(headers.contains(&("authorization", "Bearer sk-2".into())));
    }

    #[test]
    fn debug_never_shows_credentials_in_the_url() {
        let mut cfg = AiSettings::new(Provider::OpenAi, "m");
        cfg.base_url = "https://user:sk-very-secret@example.com/v1".into();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("OPENAI_API_KEY"), "{shown}");
    }

    #[test]
    fn providers_parse_by_name() {
        assert_eq!("anthropic".parse::<Provider>(), Ok(Provider::Anthropic));
        assert_eq!("openai".parse::<Provider>(), Ok(Provider::OpenAi));
        let err = "gemini".parse::<Provider>().unwrap_err();
        assert!(
            err.contains("`gemini`") && err.contains("anthropic"),
            "{err}"
        );
    }

    #[test]
    fn anthropic_responses_are_read() {
        let body = r#"{"content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"```\na\n"},{"type":"text","text":"```"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":7}}"#;
        let a = parse_response(Provider::Anthropic, 200, body).unwrap();
        assert_eq!(
            a,
            ApiAnswer {
                text: "```\na\n```".into(),
            }
        );
        assert_eq!(
            spent_in(Provider::Anthropic, "asked", body),
            Some(ModelSpend {
                model: "asked".into(),
                usage: Usage {
                    input: 12,
                    output: 7,
                    ..Usage::default()
                }
            })
        );
        let cached = r#"{"model":"claude-x-20250929","usage":{"input_tokens":5,"output_tokens":2,"cache_read_input_tokens":100,"cache_creation_input_tokens":40}}"#;
        assert_eq!(
            spent_in(Provider::Anthropic, "claude-x", cached),
            Some(ModelSpend {
                model: "claude-x-20250929".into(),
                usage: Usage {
                    input: 5,
                    output: 2,
                    cache_read: 100,
                    cache_write: 40
                }
            })
        );
        let cut = r#"{"content":[{"type":"text","text":"```\na"}],"stop_reason":"max_tokens","usage":{}}"#;
        assert!(matches!(
            parse_response(Provider::Anthropic, 200, cut),
            Err(AiError::Refused(_))
        ));
    }

    #[test]
    fn openai_responses_are_read() {
        let body = r#"{"choices":[{"message":{"role":"assistant","content":"```\na\n```"},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":4}}"#;
        let a = parse_response(Provider::OpenAi, 200, body).unwrap();
        assert_eq!(a.text, "```\na\n```");
        let cached = r#"{"model":"gpt-x","usage":{"prompt_tokens":30,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":20}}}"#;
        assert_eq!(
            spent_in(Provider::OpenAi, "m", cached),
            Some(ModelSpend {
                model: "gpt-x".into(),
                usage: Usage {
                    input: 10,
                    output: 4,
                    cache_read: 20,
                    cache_write: 0
                }
            })
        );
        assert_eq!(spent_in(Provider::OpenAi, "m", "{}"), None);
        let refusal = r#"{"choices":[{"message":{"content":null,"refusal":"I can't"},"finish_reason":"stop"}]}"#;
        assert!(matches!(
            parse_response(Provider::OpenAi, 200, refusal),
            Err(AiError::Refused(_))
        ));
        let cut = r#"{"choices":[{"message":{"content":"```"},"finish_reason":"length"}]}"#;
        assert!(matches!(
            parse_response(Provider::OpenAi, 200, cut),
            Err(AiError::Refused(_))
        ));
    }

    #[test]
    fn bad_statuses_and_shapes_are_transport_errors() {
        for (provider, status, body) in [
            (Provider::Anthropic, 500, "{\"error\":\n\"boom\"}"),
            (Provider::OpenAi, 401, ""),
            (Provider::Anthropic, 200, "<html>proxy</html>"),
            (Provider::Anthropic, 200, r#"{"choices":[]}"#),
            (Provider::OpenAi, 200, r#"{"content":[]}"#),
            (Provider::OpenAi, 200, r#"{"choices":[]}"#),
        ] {
            match parse_response(provider, status, body) {
                Err(AiError::Transport(m)) => assert!(!m.contains('\n'), "{m}"),
                other => panic!("{provider} {status} {body}: {other:?}"),
            }
        }
        let long = "x".repeat(5000);
        let Err(AiError::Transport(m)) = parse_response(Provider::OpenAi, 502, &long) else {
            panic!()
        };
        assert!(m.starts_with("HTTP 502: xxx") && m.len() < 400, "{m}");
    }
}
