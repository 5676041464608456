//! An incident write-up from the log: for a task (failed for good, or any
//! other) or a concern, what happened, what it cost, how it was noticed,
//! what was tried, how it ended — as Markdown for the team's records.

use crate::domain::{
    Actor, Event, EventKind, IncidentSource, MergeOutcome, Millis, Money, Routing,
};
use chrono::TimeZone;
use std::collections::BTreeSet;
use std::fmt::Write;

/// What an incident is about: a task id, a concern id (`C-0007`), or an
/// incident record's id (`I-0001`, made of one of those).
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    Task(String),
    Concern(String),
    Incident(String),
}

impl Subject {
    pub fn parse(id: &str) -> Subject {
        let numbered = |p: &str| {
            id.len() > p.len()
                && id.starts_with(p)
                && id[p.len()..].chars().all(|c| c.is_ascii_digit())
        };
        if numbered("C-") {
            Subject::Concern(id.to_string())
        } else if numbered("I-") {
            Subject::Incident(id.to_string())
        } else {
            Subject::Task(id.to_string())
        }
    }
}

/// What an incident record adds to the log's story: its id, who decided,
/// and the team's follow-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub id: String,
    pub title: String,
    pub decided_by: String,
    pub opened_at: Millis,
    pub follow_up: Option<String>,
}

impl Record {
    /// The record `id` and what it is about, from the log.
    fn find(id: &str, each: &mut impl FnMut(&mut dyn FnMut(&Event))) -> Option<(Record, Subject)> {
        let mut found: Option<(Record, Subject)> = None;
        each(&mut |e| match &e.kind {
            EventKind::IncidentOpened {
                id: i,
                source,
                decided_by,
                title,
            } if i.as_str() == id && found.is_none() => {
                let subject = match source {
                    IncidentSource::Task(t) => Subject::Task(t.as_str().to_string()),
                    IncidentSource::Concern(c) => Subject::Concern(c.as_str().to_string()),
                };
                let record = Record {
                    id: id.to_string(),
                    title: title.clone(),
                    decided_by: decided_by.clone(),
                    opened_at: e.at,
                    follow_up: None,
                };
                found = Some((record, subject));
            }
            EventKind::IncidentFollowUp { id: i, text } if i.as_str() == id => {
                if let Some((r, _)) = &mut found {
                    r.follow_up = Some(text.clone());
                }
            }
            _ => {}
        });
        found
    }
}

/// The events an incident is made of, gathered in one pass over the log.
#[derive(Default)]
pub struct Incident {
    pub title: String,
    /// The incident record it was exported as, if any.
    pub record: Option<Record>,
    task: Option<String>,
    concern: Option<String>,
    events: Vec<Event>,
}

fn concern_id(ev: &Event) -> Option<&str> {
    match &ev.kind {
        EventKind::ConcernRaised { id, .. }
        | EventKind::ConcernDisposed { id, .. }
        | EventKind::ConcernReraised { id, .. }
        | EventKind::TriageVerdict { concern: id, .. } => Some(id.as_str()),
        _ => None,
    }
}

impl Incident {
    /// Gather the subject's events from the whole log; `each` hands every
    /// event, in order, to the function it is given (streamed: only the
    /// subject's events are kept). `None` when the log does not know it.
    pub fn gather(
        subject: &Subject,
        mut each: impl FnMut(&mut dyn FnMut(&Event)),
    ) -> Option<Incident> {
        let (task, concern) = match subject {
            Subject::Incident(id) => {
                let (record, about) = Record::find(id, &mut each)?;
                let mut incident = Incident::gather(&about, each)?;
                incident.record = Some(record);
                return Some(incident);
            }
            Subject::Task(t) => (Some(t.clone()), None),
            Subject::Concern(c) => {
                // A first pass for the task the concern is about.
                let mut about: Option<Option<String>> = None;
                each(&mut |e| {
                    if about.is_none() && concern_id(e) == Some(c.as_str()) {
                        about = Some(e.task.as_ref().map(|t| t.as_str().to_string()));
                    }
                });
                (about?, Some(c.clone()))
            }
        };
        let mine = |e: &Event| {
            task.as_deref()
                .is_some_and(|t| e.task.as_ref().is_some_and(|x| x.as_str() == t))
                || concern.as_deref().is_some_and(|c| concern_id(e) == Some(c))
        };
        let mut log = Vec::new();
        each(&mut |e| {
            if mine(e) {
                log.push(e.clone());
            }
        });
        if log.is_empty() {
            return None;
        }
        let title = log
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::TaskAdded { spec } => Some(format!("{}: {}", spec.id, spec.title)),
                EventKind::ConcernRaised { id, summary, .. } => {
                    Some(format!("{}: {summary}", id.as_str()))
                }
                _ => None,
            })
            .unwrap_or_else(|| task.clone().or(concern.clone()).unwrap_or_default());
        Some(Incident {
            title,
            record: None,
            task,
            concern,
            events: log,
        })
    }

    pub fn markdown(&self, zone: &impl TimeZone<Offset: std::fmt::Display>) -> String {
        let at = |ms: Millis| {
            zone.timestamp_millis_opt(ms)
                .earliest()
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|| ms.to_string())
        };
        let mut out = String::new();
        match &self.record {
            Some(r) => {
                let _ = writeln!(out, "# Incident {}: {}\n", r.id, r.title);
                let _ = writeln!(
                    out,
                    "Opened {} by the operator. Decided by {}.\n",
                    at(r.opened_at),
                    r.decided_by
                );
            }
            None => {
                let _ = writeln!(out, "# Incident: {}\n", self.title);
            }
        }
        let _ = writeln!(out, "## Summary\n\n{}\n", self.summary());
        let _ = writeln!(out, "## Impact\n\n{}\n", self.impact());
        let _ = writeln!(out, "## How it was detected\n\n{}\n", self.detection(&at));
        let _ = writeln!(out, "## Timeline\n");
        for line in self.timeline(&at) {
            let _ = writeln!(out, "- {line}");
        }
        let _ = writeln!(
            out,
            "\n## Root cause (as far as known)\n\n{}\n",
            self.root_cause()
        );
        let _ = writeln!(out, "## What was tried\n");
        for line in self.tried() {
            let _ = writeln!(out, "- {line}");
        }
        let _ = writeln!(out, "\n## Resolution\n\n{}\n", self.resolution());
        let _ = writeln!(out, "## Follow-ups\n");
        if let Some(text) = self.record.as_ref().and_then(|r| r.follow_up.as_ref()) {
            let _ = writeln!(out, "- [ ] {text} (the team's)");
        }
        for line in self.follow_ups() {
            let _ = writeln!(out, "- [ ] {line}");
        }
        out
    }

    fn count(&self, f: impl Fn(&EventKind) -> bool) -> usize {
        self.events.iter().filter(|e| f(&e.kind)).count()
    }

    fn summary(&self) -> String {
        let subject = match (&self.task, &self.concern) {
            (Some(t), Some(c)) => format!("Concern {c} about task {t}"),
            (Some(t), None) => format!("Task {t}"),
            (None, Some(c)) => format!("Concern {c}"),
            (None, None) => "The subject".into(),
        };
        format!("{subject} — {}", self.resolution())
    }

    fn impact(&self) -> String {
        let agents: BTreeSet<&str> = self
            .events
            .iter()
            .filter_map(|e| e.agent.as_ref().map(|a| a.as_str()))
            .collect();
        let spend: Money = self
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::UsageRecorded { cost, .. } => Some(*cost),
                _ => None,
            })
            .sum();
        let first = self.events.first().map_or(0, |e| e.at);
        let last = self.events.last().map_or(0, |e| e.at);
        let attempts = self.count(|k| matches!(k, EventKind::TaskAssigned { .. }));
        format!(
            "- agents: {} ({})\n- tasks: {}\n- spend: {spend}\n- time from first to last event: {}\n- sessions: {attempts}",
            agents.len(),
            agents.into_iter().collect::<Vec<_>>().join(", "),
            self.task.as_deref().unwrap_or("—"),
            minutes(last - first),
        )
    }

    fn detection(&self, at: &impl Fn(Millis) -> String) -> String {
        let first = self.events.iter().find(|e| {
            matches!(
                &e.kind,
                EventKind::WatchdogAlert { .. }
                    | EventKind::ConcernRaised { .. }
                    | EventKind::GateFinished { passed: false, .. }
                    | EventKind::ApiTrouble { .. }
                    | EventKind::BudgetReached { .. }
                    | EventKind::MergeFinished { .. }
                    | EventKind::TaskFailed { .. }
            ) && !matches!(
                &e.kind,
                EventKind::MergeFinished {
                    outcome: MergeOutcome::Merged { .. }
                }
            )
        });
        match first {
            None => {
                "Nothing flagged it: no watchdog alert, concern, gate failure or merge trouble."
                    .into()
            }
            Some(e) => format!("{} at {}: {}", by(e), at(e.at), detail(&e.kind)),
        }
    }

    fn timeline(&self, at: &impl Fn(Millis) -> String) -> Vec<String> {
        let mut out = Vec::new();
        let mut quiet = 0;
        for e in &self.events {
            if matches!(
                e.kind,
                EventKind::UsageRecorded { .. }
                    | EventKind::Progress { .. }
                    | EventKind::AgentPrompted { .. }
                    | EventKind::CommitMade { .. }
            ) {
                quiet += 1;
                continue;
            }
            if quiet > 0 {
                out.push(format!("… {quiet} usage, progress and commit events"));
                quiet = 0;
            }
            let who = e
                .agent
                .as_ref()
                .map(|a| format!(" {}", a.as_str()))
                .unwrap_or_default();
            out.push(format!(
                "{} · {}{who} · `{}` {}",
                at(e.at),
                e.actor.as_str(),
                e.kind.name(),
                detail(&e.kind)
            ));
        }
        if quiet > 0 {
            out.push(format!("… {quiet} usage, progress and commit events"));
        }
        out
    }

    fn root_cause(&self) -> String {
        let last_reason = self.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::TaskFailed { reason } | EventKind::TaskBlocked { reason } => {
                Some(reason.clone())
            }
            _ => None,
        });
        let last_gate = self.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::GateFinished {
                passed: false,
                gate,
                findings,
                ..
            } => Some(format!(
                "the last failing gate was `{gate}` ({} finding(s))",
                findings.len()
            )),
            _ => None,
        });
        match (last_reason, last_gate) {
            (Some(r), Some(g)) => format!("{r}; {g}."),
            (Some(r), None) => format!("{r}."),
            (None, Some(g)) => format!("Not recorded; {g}."),
            (None, None) => "Not recorded in the log.".into(),
        }
    }

    fn tried(&self) -> Vec<String> {
        let n = |f: fn(&EventKind) -> bool| self.count(f);
        let mut out = vec![
            format!(
                "{} session(s) started",
                n(|k| matches!(k, EventKind::TaskAssigned { .. }))
            ),
            format!(
                "{} rework(s) after a gate, {} redo(s) after a conflict, {} hand-off(s)",
                n(|k| matches!(k, EventKind::TaskReworked { .. })),
                n(|k| matches!(k, EventKind::TaskReimagined { .. })),
                n(|k| matches!(k, EventKind::Handoff { .. }))
            ),
            format!(
                "{} requeue(s), {} backoff(s) after API trouble",
                n(|k| matches!(k, EventKind::TaskRequeued { .. })),
                n(|k| matches!(k, EventKind::TaskDeferred { .. }))
            ),
        ];
        for e in &self.events {
            if let EventKind::TriageVerdict { .. } = &e.kind {
                out.push(format!("T2 triage: {}", detail(&e.kind)));
            }
        }
        for e in self.events.iter().filter(|e| {
            e.actor == Actor::Operator
                && !matches!(
                    e.kind,
                    EventKind::TaskAdded { .. } | EventKind::IncidentOpened { .. }
                )
        }) {
            out.push(format!(
                "the operator: `{}` {}",
                e.kind.name(),
                detail(&e.kind)
            ));
        }
        out
    }

    fn resolution(&self) -> String {
        let end = self.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged { commit, .. },
            } => Some(format!(
                "merged in the end (commit {})",
                &commit[..commit.len().min(10)]
            )),
            EventKind::TaskFailed { .. } => Some("failed for good".to_string()),
            EventKind::TaskBlocked { .. } => Some("blocked, waiting for the operator".to_string()),
            EventKind::ConcernDisposed { disposition, .. } => Some(format!(
                "the concern was {} by {}",
                disposition.as_str(),
                by(e)
            )),
            _ => None,
        });
        end.unwrap_or_else(|| "still open".into())
    }

    fn follow_ups(&self) -> Vec<String> {
        let mut out = Vec::new();
        let stalls = self.count(
            |k| matches!(k, EventKind::WatchdogAlert { check, .. } if check.as_str() == "stalled"),
        );
        if stalls >= 2 {
            out.push(format!(
                "{stalls} stalls: check the task's spec, or `watchdog.stall_after`"
            ));
        }
        let gates = self.count(|k| matches!(k, EventKind::GateFinished { passed: false, .. }));
        if gates >= 2 {
            out.push(format!(
                "{gates} gate rejections: is the spec clear about what the gate checks?"
            ));
        }
        if self.count(|k| matches!(k, EventKind::BudgetReached { .. })) > 0 {
            out.push("a budget stopped it: was the budget right for this task?".into());
        }
        let human = self.count(|k| {
            matches!(
                k,
                EventKind::ConcernRaised {
                    routing: Routing::Human,
                    ..
                }
            )
        });
        if human > 0 {
            out.push(format!("{human} concern(s) reached the operator: could a gate or a triage rule have caught it earlier?"));
        }
        out.push("(add what the team decides)".into());
        out
    }
}

fn by(e: &Event) -> String {
    match (&e.actor, &e.agent) {
        (Actor::Agent, Some(a)) => format!("agent {}", a.as_str()),
        (actor, _) => actor.as_str().to_string(),
    }
}

fn minutes(ms: Millis) -> String {
    let m = ms / 60_000;
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

/// One line of what an event says, short.
fn detail(k: &EventKind) -> String {
    let cut = |s: &str| {
        let one = s.lines().next().unwrap_or("");
        match one.char_indices().nth(120) {
            Some((i, _)) => format!("{}…", &one[..i]),
            None => one.to_string(),
        }
    };
    match k {
        EventKind::TaskAssigned {
            attempt, resume, ..
        } => {
            format!(
                "attempt {attempt}{}",
                if *resume { ", resuming" } else { "" }
            )
        }
        EventKind::GateFinished { passed, gate, .. } => {
            format!("{} `{gate}`", if *passed { "passed" } else { "failed" })
        }
        EventKind::MergeFinished { outcome } => match outcome {
            MergeOutcome::Merged { tier, .. } => format!("merged ({tier})"),
            other => cut(&serde_json::to_string(other).unwrap_or_default()),
        },
        EventKind::WatchdogAlert { check, detail } => {
            format!("{}: {}", check.as_str(), cut(detail))
        }
        EventKind::ConcernRaised {
            id,
            summary,
            impact,
            confidence,
            routing,
            ..
        } => format!(
            "{} {} (impact {}, confidence {confidence:.2}, to {})",
            id.as_str(),
            cut(summary),
            impact.as_str(),
            routing.as_str()
        ),
        EventKind::ConcernDisposed { id, disposition } => {
            format!("{} {}", id.as_str(), disposition.as_str())
        }
        EventKind::TaskFailed { reason }
        | EventKind::TaskBlocked { reason }
        | EventKind::TaskRequeued { reason }
        | EventKind::TaskReworked { reason }
        | EventKind::AgentRetired { reason } => cut(reason),
        EventKind::SessionEnded { exit_code, reason } => match exit_code {
            Some(c) => format!("exit {c}: {}", cut(reason)),
            None => cut(reason),
        },
        EventKind::ApiTrouble { trouble, detail } => format!("{trouble}: {}", cut(detail)),
        EventKind::BudgetReached { spent, limit, .. } => format!("{spent} of {limit}"),
        EventKind::Handoff { share, .. } => format!("at {:.0} % of the context", share * 100.0),
        EventKind::PauseRequested { id, reason, .. } => format!("{} {}", id.as_str(), cut(reason)),
        EventKind::ConcernReraised { id, round, waited } => {
            format!(
                "{} raised again (round {round}, waited {})",
                id.as_str(),
                minutes(*waited)
            )
        }
        EventKind::TriageVerdict {
            concern,
            verdict,
            recommendation,
            reasons,
            ..
        } => format!(
            "{} {}: {}{}",
            concern.as_str(),
            verdict.as_str(),
            cut(&reasons.join("; ")),
            if recommendation.is_empty() {
                String::new()
            } else {
                format!(" — {}", cut(recommendation))
            }
        ),
        EventKind::BudgetRaised { by, limit } => format!("by {by}, to {limit}"),
        EventKind::IncidentOpened { id, decided_by, .. } => {
            format!("{} (decided by {})", id.as_str(), cut(decided_by))
        }
        EventKind::PauseDecided { id, approved } => {
            format!(
                "{} {}",
                id.as_str(),
                if *approved { "approved" } else { "rejected" }
            )
        }
        _ => String::new(),
    }
}
