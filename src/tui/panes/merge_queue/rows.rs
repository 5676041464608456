//! The pane's rows: which tasks are in the queue, at the gate, waiting for a
//! retry or merged lately, and what each row says, from the state's facts.

use super::MergeFacts;
use crate::domain::{AgentId, Millis, ResolveTier, Task, TaskId, TaskStatus};
use crate::swarm::Snapshot;

/// Recent merges shown (dim) under the queue.
pub const MERGED_SHOWN: usize = 3;

/// Why an entry is in the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Waiting to merge, 1-based position in merge order.
    Queued(usize),
    /// Its gates are running.
    Gating,
    /// The merge conflicted; the task failed and waits for a retry.
    Conflicted,
    /// A resolution would have dropped lines; nothing merged, it waits for
    /// the operator (retry puts it back in the queue).
    Refused,
    /// Failed or blocked for another reason; waits for a retry.
    Failed,
    /// Merged recently.
    Merged,
}

/// One row of the pane.
#[derive(Clone, Debug)]
pub struct QueueRow {
    pub task: TaskId,
    pub place: Place,
    pub agent: Option<AgentId>,
    /// How the last merge attempt was (or was not) resolved, when known.
    pub tier: Option<ResolveTier>,
    pub gate: String,
    /// Conflicted files (conflicted, refused and failed rows).
    pub files: Vec<String>,
    /// Lines a refused resolution would have dropped.
    pub at_risk: usize,
    /// The operator's move: negative to the front, positive to the back.
    pub moved: i64,
    /// Times the queue sent it back (refused, rejected, redone).
    pub retries: u32,
    /// A word on the row when there are no files to show.
    pub note: String,
    /// Since when the entry is in its state.
    pub since: Option<Millis>,
}

impl QueueRow {
    pub(super) fn filter_text(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.task,
            self.agent.as_ref().map(|a| a.as_str()).unwrap_or(""),
            self.tier.map(|t| t.as_str()).unwrap_or(""),
            self.gate,
            self.files.join(" "),
            self.note
        )
    }

    /// The marks after the position: moved to the front or back, sent back.
    pub fn marks(&self) -> String {
        let mut m = String::new();
        if self.moved < 0 {
            m.push('↑');
        } else if self.moved > 0 {
            m.push('↓');
        }
        if self.retries > 0 {
            m.push('↻');
        }
        m
    }
}

/// Blocked for a reason that the merge queue caused (a failed merge, a
/// refused resolution, a rejected merge pause, dropped from the queue).
fn blocked_by_merge(t: &Task) -> bool {
    t.status == TaskStatus::Blocked
        && (t.outcome.as_deref() == Some("refused")
            || t.reason
                .as_deref()
                .is_some_and(|r| r.to_lowercase().contains("merge")))
}

fn gate_word(t: &Task, facts: Option<&MergeFacts>) -> String {
    if t.status == TaskStatus::Gating {
        return "running".into();
    }
    if t.status == TaskStatus::Failed && t.gate_failures > 0 {
        return format!("failed {}×", t.gate_failures);
    }
    match facts.and_then(|f| f.last_gate.as_ref()) {
        Some((true, _)) => "passed".into(),
        Some((false, _)) => format!("failed {}×", t.gate_failures.max(1)),
        None => "—".into(),
    }
}

/// What the row says about a queued entry: moved, sent back before.
fn queued_note(t: &Task) -> String {
    let mut parts = Vec::new();
    if t.queue_key < 0 {
        parts.push("moved to the front".to_string());
    } else if t.queue_key > 0 {
        parts.push("moved to the back".to_string());
    }
    if t.merge_retries > 0 {
        let last = t
            .outcome
            .as_deref()
            .filter(|o| *o != "merged")
            .map(|o| format!(", last {o}"))
            .unwrap_or_default();
        parts.push(format!("sent back {}×{last}", t.merge_retries));
    }
    parts.join(" · ")
}

/// A row's note led by where a team's entry lands (`→ team/<name>`, its
/// team's integration branch); entries bound for the target say nothing.
fn with_dest(t: &Task, note: String) -> String {
    let Some(b) = &t.onto else { return note };
    let dest = format!("→ {}", crate::tui::format::short_branch(b));
    if note.is_empty() {
        dest
    } else {
        format!("{dest} · {note}")
    }
}

/// A task's row in `place`, in it since `since`.
fn row(t: &Task, place: Place, since: Option<Millis>) -> QueueRow {
    let f = Some(&t.merge_facts);
    let merged_tier = f
        .and_then(|f| f.merged.as_ref())
        .map(|(x, _)| match x.as_str() {
            "auto" => ResolveTier::Auto,
            "ai" => ResolveTier::Ai,
            _ => ResolveTier::Clean,
        });
    let tier = match place {
        Place::Merged => t.tier.or(merged_tier),
        Place::Gating => None,
        _ => t.tier,
    };
    let files = match place {
        Place::Conflicted | Place::Refused | Place::Failed => {
            if t.conflict_files.is_empty() {
                f.and_then(|f| f.conflict.as_ref())
                    .filter(|_| place == Place::Conflicted)
                    .map(|(files, _)| files.clone())
                    .unwrap_or_default()
            } else {
                t.conflict_files.clone()
            }
        }
        _ => Vec::new(),
    };
    let note = match place {
        Place::Queued(_) => with_dest(t, queued_note(t)),
        Place::Merged => with_dest(t, String::new()),
        Place::Failed | Place::Refused | Place::Conflicted => t.reason.clone().unwrap_or_default(),
        Place::Gating => String::new(),
    };
    QueueRow {
        task: t.id().clone(),
        agent: t.agent.clone(),
        tier,
        gate: gate_word(t, f),
        at_risk: if place == Place::Refused {
            t.lines_at_risk.len()
        } else {
            0
        },
        files,
        moved: if matches!(place, Place::Queued(_)) {
            t.queue_key
        } else {
            0
        },
        retries: if matches!(place, Place::Queued(_)) {
            t.merge_retries
        } else {
            0
        },
        note,
        place,
        since,
    }
}

/// Every row of the pane in display order, before the filter.
pub fn rows(snap: &Snapshot) -> Vec<QueueRow> {
    let s = &snap.state;
    let mut out = Vec::new();
    for (i, id) in snap.merge_queue.iter().enumerate() {
        if let Some(t) = s.task(id) {
            let since = t.merge_facts.queued_at;
            out.push(row(t, Place::Queued(i + 1), since));
        }
    }
    for id in &s.task_order {
        let t = &s.tasks[id];
        if t.status == TaskStatus::Gating {
            out.push(row(t, Place::Gating, t.merge_facts.done_at));
        }
    }
    let (mut attention, mut merged) = waiting_and_merged(snap);
    attention.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.task.cmp(&b.1.task)));
    merged.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.task.cmp(&b.1.task)));
    out.extend(attention.into_iter().map(|(_, r)| r));
    out.extend(merged.into_iter().take(MERGED_SHOWN).map(|(_, r)| r));
    out
}

/// A row with the time it is sorted by.
type Dated = (Millis, QueueRow);

/// The rows waiting for a retry and the merged ones.
fn waiting_and_merged(snap: &Snapshot) -> (Vec<Dated>, Vec<Dated>) {
    let s = &snap.state;
    let mut attention: Vec<Dated> = Vec::new();
    let mut merged: Vec<Dated> = Vec::new();
    let blocked_place = |t: &Task| {
        if t.outcome.as_deref() == Some("refused") {
            Place::Refused
        } else {
            Place::Failed
        }
    };
    for t in s.tasks.values() {
        let f = &t.merge_facts;
        match t.status {
            TaskStatus::Failed => {
                let at = f.failed_at.or(t.finished_at).unwrap_or(0);
                let conflicted = f.conflict.as_ref().is_some_and(|(_, c)| *c <= at);
                let place = if conflicted {
                    Place::Conflicted
                } else {
                    Place::Failed
                };
                if f.failed_at.is_some() || conflicted {
                    attention.push((at, row(t, place, Some(at))));
                }
            }
            TaskStatus::Blocked if blocked_by_merge(t) => {
                attention.push((
                    f.blocked_at.unwrap_or(0),
                    row(t, blocked_place(t), f.blocked_at),
                ));
            }
            TaskStatus::Merged => {
                if let Some((_, at)) = f.merged {
                    merged.push((at, row(t, Place::Merged, Some(at))));
                }
            }
            _ => {}
        }
    }
    (attention, merged)
}
