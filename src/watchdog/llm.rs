//! T2 triage's model: what it is told about a concern (pure, from the
//! state) and its answer held to one JSON verdict. The call itself is the
//! swarm executor's (`swarm::triage_call`); the engine acts on the verdict
//! as on a heuristic one, and refuses one that is malformed.
//!
//! The answer must be one JSON object, alone or in one fenced block:
//! `{"verdict": "resolve" | "act" | "escalate", "action": "restart_fresh" |
//! "reassign" | "bigger_model" | "raise_budget" (for act only),
//! "reasons": ["..."], "recommendation": "..."}`.

use crate::domain::triage::{ModelVerdict, Verdict};
use crate::domain::{Concern, Millis, SwarmState};
use serde_json::Value;
use std::fmt::Write;

pub const SYSTEM_PROMPT: &str = "You triage trouble in a swarm of coding agents for its operator. \
You get one concern (raised by a mechanical check, a budget, a gate or an agent), its task and \
what the log says about it, and the agent's latest output. Decide: \"resolve\" (a clear cause, \
low impact, nothing to do), \"act\" with one action (\"restart_fresh\": a new session on the same \
task and branch with nothing carried over; \"reassign\": another idle agent; \"bigger_model\": an \
idle agent of a bigger model; \"raise_budget\": more budget within the operator's policy), or \
\"escalate\" to the operator with a recommendation. When unsure, or when the impact is high and \
the cause unclear, escalate. Answer with one JSON object and nothing else: {\"verdict\": ..., \
\"action\": ... (only for act), \"reasons\": [short strings], \"recommendation\": \"what the \
operator should do (for escalate)\"}.";

/// The actions a model may name.
pub const ACTIONS: [&str; 4] = ["restart_fresh", "reassign", "bigger_model", "raise_budget"];

/// How many reasons, and how long each, an answer may give.
const MAX_REASONS: usize = 8;
const MAX_TEXT: usize = 400;

/// What the model is told about `c`: the concern, its task and the facts
/// triage folded about it, its agent; the output tail is the executor's to
/// add (it reads the transcript).
pub fn context(state: &SwarmState, c: &Concern, now: Millis) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Concern {} ({} ago): {}\nsource {}, impact {}, confidence {:.2}",
        c.id,
        minutes(now - c.raised_at),
        c.summary,
        c.source.as_str(),
        c.impact.as_str(),
        c.confidence
    );
    if let Some(t) = c.task.as_ref().and_then(|t| state.task(t)) {
        let _ = writeln!(
            s,
            "Task {}: {}\nstatus {}, attempt {}, gate rejections {}, spent {}",
            t.spec.id, t.spec.title, t.status, t.attempts, t.gate_failures, t.cost
        );
        if let Some(r) = &t.reason {
            let _ = writeln!(s, "last reason: {r}");
        }
        if let Some(tr) = state.triage.tasks.get(&t.spec.id) {
            let _ = writeln!(s, "progress reported: {} %", tr.progress);
            if let Some((check, n)) = tr.alerts_in_row {
                let _ = writeln!(s, "watchdog: {} {n} times in a row", check.as_str());
            }
            if let Some((what, n)) = &tr.same_rejection {
                let _ = writeln!(s, "gates: the same rejection {n} times in a row: {what}");
            }
        }
        if let Some(done) = state.triage.acted.get(&t.spec.id) {
            let done: Vec<&str> = done.iter().map(String::as_str).collect();
            let _ = writeln!(s, "triage already did (not again): {}", done.join(", "));
        }
    }
    if let Some(a) = c.agent.as_ref().and_then(|a| state.agent(a)) {
        let _ = writeln!(
            s,
            "Agent {} on {}, {} sessions, {} alerts\nlast line: {}",
            a.id, a.model, a.sessions, a.alerts, a.last_line
        );
    }
    s
}

fn minutes(ms: Millis) -> String {
    format!("{}m", ms.max(0) / 60_000)
}

/// The model's answer held to the verdict's shape; why not, if it is not.
pub fn parse(text: &str) -> Result<ModelVerdict, String> {
    let body = unfenced(text.trim());
    let v: Value = serde_json::from_str(body)
        .map_err(|e| format!("not one JSON object ({e}): {}", excerpt(text)))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let verdict = match obj.get("verdict").and_then(Value::as_str) {
        Some("resolve") => Verdict::Resolve,
        Some("act") => Verdict::Act,
        Some("escalate") => Verdict::Escalate,
        other => {
            return Err(format!(
                "verdict {other:?}: expected resolve, act or escalate"
            ));
        }
    };
    let action = match (obj.get("action"), &verdict) {
        (Some(Value::String(a)), Verdict::Act) if ACTIONS.contains(&a.as_str()) => Some(a.clone()),
        (Some(Value::Null) | None, Verdict::Act) => return Err("act without an action".into()),
        (Some(a), Verdict::Act) => {
            return Err(format!(
                "action {a}: expected one of {}",
                ACTIONS.join(", ")
            ));
        }
        (Some(Value::Null) | None, _) => None,
        (Some(_), _) => return Err(format!("an action with verdict {}", verdict.as_str())),
    };
    let reasons: Vec<String> = match obj.get("reasons") {
        Some(Value::Array(r)) if !r.is_empty() && r.len() <= MAX_REASONS => r
            .iter()
            .map(|x| x.as_str().map(|s| s.trim().to_string()))
            .collect::<Option<_>>()
            .ok_or("reasons that are not all text")?,
        _ => return Err(format!("expected 1 to {MAX_REASONS} reasons")),
    };
    if reasons
        .iter()
        .any(|r| r.is_empty() || r.chars().count() > MAX_TEXT)
    {
        return Err(format!(
            "a reason empty or longer than {MAX_TEXT} characters"
        ));
    }
    let recommendation = match obj.get("recommendation") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(r)) if r.chars().count() <= MAX_TEXT => r.trim().to_string(),
        Some(_) => {
            return Err(format!(
                "a recommendation that is not text of at most {MAX_TEXT} characters"
            ));
        }
    };
    if let Some(extra) = obj
        .keys()
        .find(|k| !["verdict", "action", "reasons", "recommendation"].contains(&k.as_str()))
    {
        return Err(format!("an unknown key {extra:?}"));
    }
    Ok(ModelVerdict {
        verdict,
        action,
        reasons,
        recommendation,
    })
}

/// The inside of one fenced block (```json ... ```), or the text itself.
fn unfenced(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let rest = rest.split_once('\n').map_or("", |(_, r)| r);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(120).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_alone_or_fenced_is_read() {
        let v = parse(r#"{"verdict":"act","action":"reassign","reasons":["stuck on one agent"]}"#)
            .unwrap();
        assert_eq!(v.verdict, Verdict::Act);
        assert_eq!(v.action.as_deref(), Some("reassign"));
        let v = parse("```json\n{\"verdict\":\"escalate\",\"reasons\":[\"unclear\"],\"recommendation\":\"respecify it\"}\n```").unwrap();
        assert_eq!(v.verdict, Verdict::Escalate);
        assert_eq!(v.recommendation, "respecify it");
    }

    #[test]
    fn malformed_answers_are_refused_with_why() {
        for (text, why) in [
            ("I think you should restart it.", "not one JSON object"),
            (
                r#"{"verdict":"retry","reasons":["x"]}"#,
                "expected resolve, act or escalate",
            ),
            (
                r#"{"verdict":"act","reasons":["x"]}"#,
                "act without an action",
            ),
            (
                r#"{"verdict":"act","action":"delete_repo","reasons":["x"]}"#,
                "expected one of",
            ),
            (
                r#"{"verdict":"resolve","reasons":[]}"#,
                "expected 1 to 8 reasons",
            ),
            (
                r#"{"verdict":"resolve","reasons":["x"],"rm":"-rf"}"#,
                "unknown key",
            ),
            (
                r#"{"verdict":"resolve","action":"reassign","reasons":["x"]}"#,
                "an action with verdict resolve",
            ),
            ("[1, 2]", "not a JSON object"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
