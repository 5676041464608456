//! The agent line protocol: single lines an agent prints to talk to
//! shiftboss, in the spirit of CI workflow commands.
//!
//! ```text
//! ::progress 40::wiring the session store
//! ::concern impact=high confidence=0.4::the migration drops a column billing still reads
//! ::pause::about to run the data migration on the shared database
//! ::usage model=claude-sonnet-4-5 input=1200 output=300 cache_read=8000 cache_write=0::
//! ::mail to=lead::the session store needs a migration first
//! ::done::login moved to the new session store
//! ::failed::cannot reproduce the bug on main
//! ::task id=auth-2 scope=src/auth/** after=auth-1 spec=auth-2.md::move login to the store
//! ```
//!
//! A line that starts with `::` and a lowercase word is a protocol line; one
//! that does not parse is reported (never a panic) and otherwise ignored.

use super::{Impact, Usage};

mod task;
pub use task::{NewTask, SPEC_MAX, spec_file_problem};

/// What an agent said through the protocol (or its runtime reported).
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    Progress {
        percent: u8,
        note: String,
    },
    Concern {
        impact: Impact,
        confidence: f64,
        summary: String,
    },
    PauseRequest {
        reason: String,
    },
    Usage {
        model: Option<String>,
        usage: Usage,
    },
    Commit {
        commit: String,
        files: u32,
        /// The paths it touched.
        paths: Vec<String>,
    },
    /// The agent's API refused or broke off (`rate_limit`, `overloaded`,
    /// `server_error`, `stream_cut`).
    ApiTrouble {
        trouble: &'static str,
        detail: String,
    },
    /// What an agent process used, when it ends.
    Resources {
        peak_rss_kib: u64,
        wall_ms: u64,
    },
    /// Bytes of an overlong output line dropped past the line cap (counted
    /// toward the output-flood check).
    OutputDropped {
        bytes: u64,
    },
    /// The CLI's own figure for what a run cost, recorded beside ours.
    CostReported {
        usd: f64,
    },
    /// The CLI's own token totals for a run differ from what was counted
    /// from its output (a warning; nothing is added).
    UsageMismatch {
        counted: Usage,
        reported: Usage,
    },
    /// Mail to `to`: an agent, a team, `lead` or `operator`.
    Mail {
        to: String,
        text: String,
    },
    Done {
        summary: String,
    },
    Failed {
        reason: String,
        /// The CLI's exit code, when its runtime saw the process end
        /// (`None` for a `::failed::` line).
        exit_code: Option<i32>,
    },
    /// A lead's `::task` line: a coder task for its team.
    Task(Box<NewTask>),
}

/// A protocol line that did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub line: String,
    pub message: String,
}

/// `None` for ordinary output; `Some(Ok)` for a protocol line; `Some(Err)` for
/// a malformed one.
pub fn parse(line: &str) -> Option<Result<Signal, ProtocolError>> {
    let rest = line.trim_end().strip_prefix("::")?;
    let word_len = rest
        .find(|c: char| !c.is_ascii_lowercase())
        .unwrap_or(rest.len());
    if word_len == 0 {
        return None;
    }
    let (command, after) = rest.split_at(word_len);
    let signal = match after.split_once("::") {
        Some((args, text)) => signal(command, args.trim(), text.trim().to_string()),
        None => Err(format!(
            "`::{command}` needs a closing `::` before its text"
        )),
    };
    Some(signal.map_err(|message| ProtocolError {
        line: line.chars().take(200).collect(),
        message,
    }))
}

/// The signal of one command with its `args` (before the closing `::`)
/// and its `text` (after it), or what is wrong with them.
fn signal(command: &str, args: &str, text: String) -> Result<Signal, String> {
    Ok(match command {
        "progress" => progress(args, text)?,
        "concern" => concern(args, text)?,
        "pause" => {
            if text.is_empty() {
                return Err("pause needs a reason after `::`".into());
            }
            Signal::PauseRequest { reason: text }
        }
        "usage" => usage(args)?,
        "mail" => mail(args, text)?,
        "task" => task::parse(args, text)?,
        "done" => Signal::Done { summary: text },
        "failed" => Signal::Failed {
            reason: text,
            exit_code: None,
        },
        other => return Err(format!("unknown protocol command `::{other}`")),
    })
}

/// `::progress 40::note`
fn progress(args: &str, text: String) -> Result<Signal, String> {
    match args.parse::<u8>() {
        Ok(p) if p <= 100 => Ok(Signal::Progress {
            percent: p,
            note: text,
        }),
        _ => Err(format!(
            "progress expects a percentage 0-100, found `{args}`"
        )),
    }
}

/// `::concern impact=high confidence=0.4::summary` (medium and 0.5 when
/// not given).
fn concern(args: &str, text: String) -> Result<Signal, String> {
    let mut impact = Impact::Medium;
    let mut confidence = 0.5;
    for (k, v) in pairs(args)? {
        match k {
            "impact" => match Impact::parse(v) {
                Some(i) => impact = i,
                None => {
                    return Err(format!(
                        "impact expects low, medium, high or critical, found `{v}`"
                    ));
                }
            },
            "confidence" => match v.parse::<f64>() {
                Ok(c) if (0.0..=1.0).contains(&c) => confidence = c,
                _ => return Err(format!("confidence expects a number 0-1, found `{v}`")),
            },
            _ => {
                return Err(format!(
                    "concern takes impact= and confidence=, found `{k}=`"
                ));
            }
        }
    }
    if text.is_empty() {
        return Err("concern needs a summary after `::`".into());
    }
    Ok(Signal::Concern {
        impact,
        confidence,
        summary: text,
    })
}

/// `::mail to=builder-02::text` (to an agent, a team, `lead`, `operator`).
fn mail(args: &str, text: String) -> Result<Signal, String> {
    let mut to = None;
    for (k, v) in pairs(args)? {
        match k {
            "to" if !v.is_empty() => to = Some(v.to_string()),
            _ => return Err(format!("mail takes to=<agent|team|lead>, found `{k}={v}`")),
        }
    }
    let Some(to) = to else {
        return Err("mail needs to=<agent|team|lead>".into());
    };
    if text.is_empty() {
        return Err("mail needs a text after `::`".into());
    }
    Ok(Signal::Mail { to, text })
}

/// `::usage model=m input=1 output=2 cache_read=3 cache_write=4::`
fn usage(args: &str) -> Result<Signal, String> {
    let mut usage = Usage::default();
    let mut model = None;
    for (k, v) in pairs(args)? {
        if k == "model" {
            model = Some(v.to_string());
            continue;
        }
        // No call uses a trillion tokens: a bigger figure is garbage.
        let n = match v.parse::<u64>() {
            Ok(n) if n < 1_000_000_000_000 => n,
            _ => {
                return Err(format!(
                    "usage {k} expects a whole number of tokens below 10^12, found `{v}`"
                ));
            }
        };
        match k {
            "input" => usage.input = n,
            "output" => usage.output = n,
            "cache_read" => usage.cache_read = n,
            "cache_write" => usage.cache_write = n,
            _ => {
                return Err(format!(
                    "usage takes model, input, output, cache_read, cache_write; found `{k}`"
                ));
            }
        }
    }
    Ok(Signal::Usage { model, usage })
}

fn pairs(args: &str) -> Result<Vec<(&str, &str)>, String> {
    args.split_whitespace()
        .map(|kv| {
            kv.split_once('=')
                .ok_or_else(|| format!("expected key=value, found `{kv}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_lines_are_not_protocol() {
        assert_eq!(parse("compiling shiftboss v0.1.0"), None);
        assert_eq!(parse(":: not a command"), None);
        assert_eq!(parse("::"), None);
    }

    #[test]
    fn parses_each_command() {
        assert_eq!(
            parse("::progress 40::wiring"),
            Some(Ok(Signal::Progress {
                percent: 40,
                note: "wiring".into()
            }))
        );
        assert_eq!(
            parse("::concern impact=high confidence=0.4::drops a column"),
            Some(Ok(Signal::Concern {
                impact: Impact::High,
                confidence: 0.4,
                summary: "drops a column".into()
            }))
        );
        assert_eq!(
            parse("::usage model=m input=1 output=2 cache_read=3 cache_write=4::"),
            Some(Ok(Signal::Usage {
                model: Some("m".into()),
                usage: Usage {
                    input: 1,
                    output: 2,
                    cache_read: 3,
                    cache_write: 4
                }
            }))
        );
        assert_eq!(
            parse("::pause::migrate"),
            Some(Ok(Signal::PauseRequest {
                reason: "migrate".into()
            }))
        );
        assert!(matches!(parse("::done::"), Some(Ok(Signal::Done { .. }))));
    }

    #[test]
    fn malformed_lines_are_reported_not_panicked() {
        for bad in [
            "::progress 140::x",
            "::progress",
            "::concern impact=huge::x",
            "::concern confidence=2::x",
            "::concern impact=low::",
            "::usage input=lots::",
            "::usage tokens=5::",
            "::usage input=18446744073709551615 cache_read=1::",
            "::frobnicate::x",
            "::pause::",
            "::usage input::",
        ] {
            let r = parse(bad);
            assert!(matches!(r, Some(Err(_))), "{bad} gave {r:?}");
        }
    }
}

/// Recognise API trouble in an error text from a CLI.
pub fn classify_trouble(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let has = |w: &str| t.contains(w);
    if has("429") || has("rate limit") || has("rate_limit") || has("too many requests") {
        Some("rate_limit")
    } else if has("529") || has("overloaded") || has("high demand") {
        Some("overloaded")
    } else if has("stream") && (has("disconnect") || has("idle") || has("closed") || has("cut"))
        || has("timed out")
    {
        Some("stream_cut")
    } else if ["500", "502", "503", "504"].iter().any(|c| has(c))
        || has("internal server error")
        || has("bad gateway")
        || has("service unavailable")
    {
        Some("server_error")
    } else {
        None
    }
}

#[cfg(test)]
mod trouble_tests {
    use super::classify_trouble;

    #[test]
    fn api_trouble_is_recognised_from_error_texts() {
        assert_eq!(
            classify_trouble("API Error: 429 rate_limit_error"),
            Some("rate_limit")
        );
        assert_eq!(
            classify_trouble("API Error: 529 {\"type\":\"overloaded_error\"}"),
            Some("overloaded")
        );
        assert_eq!(
            classify_trouble("stream disconnected before completion"),
            Some("stream_cut")
        );
        assert_eq!(
            classify_trouble("API Error: 503 Service Unavailable"),
            Some("server_error")
        );
        assert_eq!(classify_trouble("I could not find the file"), None);
    }
}
