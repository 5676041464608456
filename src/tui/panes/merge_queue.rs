//! The merge queue: branches in merge order, then entries at the gate, then
//! recent failures and conflicts that wait for a retry, then the last few
//! merges (dim) so the operator sees the queue move.
//!
//! Columns: position, task, agent, tier, gate, conflicted files, wait. The
//! wait is the time since the entry reached its row's state: queued (the
//! `merge_queued` event), gating (`task_done`), failed/blocked, merged.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, age, framed, row_style, scroll_offset};
use crate::domain::{AgentId, Event, EventKind, MergeOutcome, Millis, Task, TaskId, TaskStatus};
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::collections::BTreeMap;

/// Recent merges shown (dim) under the queue.
pub const MERGED_SHOWN: usize = 3;

pub struct MergeQueuePane;

/// Why an entry is in the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Waiting to merge, 1-based position in merge order.
    Queued(usize),
    /// Its gates are running.
    Gating,
    /// The merge conflicted; the task failed and waits for a retry.
    Conflicted,
    /// Failed or blocked for another reason; waits for a retry.
    Failed,
    /// Merged recently.
    Merged,
}

/// What the recent events say about one task's way through the gate and the
/// queue.
#[derive(Clone, Debug, Default)]
pub struct MergeFacts {
    pub queued_at: Option<Millis>,
    pub done_at: Option<Millis>,
    /// The last gate run: passed, gate name.
    pub last_gate: Option<(bool, String)>,
    /// The files of the last conflicted merge, and when.
    pub conflict: Option<(Vec<String>, Millis)>,
    /// The tier and time of the merge.
    pub merged: Option<(String, Millis)>,
    pub failed_at: Option<Millis>,
    pub blocked_at: Option<Millis>,
}

/// Fold the recent events into facts per task.
pub fn merge_facts<'a>(
    recent: impl IntoIterator<Item = &'a Event>,
) -> BTreeMap<TaskId, MergeFacts> {
    let mut out: BTreeMap<TaskId, MergeFacts> = BTreeMap::new();
    for ev in recent {
        let Some(task) = &ev.task else { continue };
        let f = || MergeFacts::default();
        match &ev.kind {
            EventKind::TaskDone => out.entry(task.clone()).or_insert_with(f).done_at = Some(ev.at),
            EventKind::GateFinished { passed, gate, .. } => {
                out.entry(task.clone()).or_insert_with(f).last_gate = Some((*passed, gate.clone()))
            }
            EventKind::MergeQueued { .. } => {
                out.entry(task.clone()).or_insert_with(f).queued_at = Some(ev.at)
            }
            EventKind::MergeFinished { outcome } => {
                let e = out.entry(task.clone()).or_insert_with(f);
                match outcome {
                    MergeOutcome::Merged { tier, .. } => e.merged = Some((tier.clone(), ev.at)),
                    MergeOutcome::Conflicted { files, .. }
                    | MergeOutcome::Refused { files, .. } => {
                        e.conflict = Some((files.clone(), ev.at))
                    }
                    MergeOutcome::Rejected { .. } => e.failed_at = Some(ev.at),
                }
            }
            EventKind::TaskFailed { .. } => {
                out.entry(task.clone()).or_insert_with(f).failed_at = Some(ev.at)
            }
            EventKind::TaskBlocked { .. } => {
                out.entry(task.clone()).or_insert_with(f).blocked_at = Some(ev.at)
            }
            // A new attempt starts a new way through the gate.
            EventKind::TaskAssigned { .. } => {
                let e = out.entry(task.clone()).or_insert_with(f);
                e.done_at = None;
                e.queued_at = None;
            }
            _ => {}
        }
    }
    out
}

/// One row of the pane.
#[derive(Clone, Debug)]
pub struct QueueRow {
    pub task: TaskId,
    pub place: Place,
    pub agent: Option<AgentId>,
    pub tier: String,
    pub gate: String,
    pub files: Vec<String>,
    /// Since when the entry is in its state.
    pub since: Option<Millis>,
}

impl QueueRow {
    fn filter_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.task,
            self.agent.as_ref().map(|a| a.as_str()).unwrap_or(""),
            self.gate,
            self.files.join(" ")
        )
    }
}

/// Blocked for a reason that the merge queue caused (a failed merge, a
/// rejected merge pause, dropped from the queue).
fn blocked_by_merge(t: &Task) -> bool {
    t.status == TaskStatus::Blocked
        && t.reason
            .as_deref()
            .is_some_and(|r| r.to_lowercase().contains("merge"))
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

/// Every row of the pane in display order, before the filter.
pub fn rows(snap: &Snapshot) -> Vec<QueueRow> {
    let s = &snap.state;
    let facts = merge_facts(snap.recent.iter());
    let row = |t: &Task, place: Place, since: Option<Millis>| {
        let f = facts.get(t.id());
        QueueRow {
            task: t.id().clone(),
            agent: t.agent.clone(),
            tier: f
                .and_then(|f| f.merged.as_ref())
                .filter(|_| place == Place::Merged)
                .map(|(tier, _)| tier.clone())
                .unwrap_or_else(|| "clean".into()),
            gate: gate_word(t, f),
            files: match place {
                Place::Conflicted => f
                    .and_then(|f| f.conflict.as_ref())
                    .map(|(files, _)| files.clone())
                    .unwrap_or_default(),
                _ => Vec::new(),
            },
            place,
            since,
        }
    };
    let mut out = Vec::new();
    for (i, id) in snap.merge_queue.iter().enumerate() {
        if let Some(t) = s.task(id) {
            let since = facts.get(id).and_then(|f| f.queued_at);
            out.push(row(t, Place::Queued(i + 1), since));
        }
    }
    for id in &s.task_order {
        let t = &s.tasks[id];
        if t.status == TaskStatus::Gating {
            out.push(row(t, Place::Gating, facts.get(id).and_then(|f| f.done_at)));
        }
    }
    // Waiting for a retry: newest first.
    let mut attention: Vec<(Millis, QueueRow)> = Vec::new();
    let mut merged: Vec<(Millis, QueueRow)> = Vec::new();
    for (id, f) in &facts {
        let Some(t) = s.task(id) else { continue };
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
                    row(t, Place::Failed, f.blocked_at),
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
    // Blocked by the merge, but the blocking event already left `recent`.
    for id in &s.task_order {
        let t = &s.tasks[id];
        if blocked_by_merge(t) && !facts.contains_key(id) {
            attention.push((0, row(t, Place::Failed, None)));
        }
    }
    attention.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.task.cmp(&b.1.task)));
    merged.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.task.cmp(&b.1.task)));
    out.extend(attention.into_iter().map(|(_, r)| r));
    out.extend(merged.into_iter().take(MERGED_SHOWN).map(|(_, r)| r));
    out
}

fn visible(snap: &Snapshot, state: &PaneState) -> Vec<QueueRow> {
    rows(snap)
        .into_iter()
        .filter(|r| state.passes(&r.filter_text()))
        .collect()
}

/// `s` cut or padded to `w` columns.
pub(crate) fn cell(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        format!("{s:<w$}")
    } else if w == 0 {
        String::new()
    } else {
        let mut c: String = s.chars().take(w - 1).collect();
        c.push('…');
        c
    }
}

/// The conflicted files in `room` columns: whole paths if they fit, else
/// file names.
fn files(files: &[String], room: usize) -> String {
    let whole = files.join(", ");
    if whole.chars().count() <= room {
        return whole;
    }
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap_or(f))
        .collect();
    cell(&names.join(", "), room).trim_end().to_string()
}

impl Pane for MergeQueuePane {
    fn id(&self) -> PaneId {
        PaneId::Merge
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        visible(snap, state)
            .into_iter()
            .map(|r| Target::Task(r.task))
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let all = rows(ctx.snap);
        let count = |f: fn(&Place) -> bool| all.iter().filter(|r| f(&r.place)).count();
        let queued = count(|p| matches!(p, Place::Queued(_)));
        let gating = count(|p| *p == Place::Gating);
        let conflicted = count(|p| *p == Place::Conflicted);
        let failed = count(|p| *p == Place::Failed);
        let mut summary = vec![Span::styled(
            format!(" {queued} queued "),
            t.status(TaskStatus::Queued),
        )];
        let mut part = |n: usize, word: &str, style: Style| {
            if n > 0 {
                summary.push(Span::styled("·", t.dim()));
                summary.push(Span::styled(format!(" {n} {word} "), style));
            }
        };
        part(gating, "gating", t.status(TaskStatus::Gating));
        part(conflicted, "conflicted", t.error());
        part(failed, "failed", t.status(TaskStatus::Failed));
        summary.push(Span::styled("·", t.dim()));
        summary.push(Span::styled(
            format!(" {} merged ", ctx.snap.state.merges),
            t.status(TaskStatus::Merged),
        ));
        // The summary must not cover the pane's title: " 4 merge queue ".
        let room = (area.width as usize).saturating_sub(PaneId::Merge.title().len() + 6);
        let mut summary = Line::from(summary);
        if summary.width() > room {
            summary = Line::styled(
                format!(
                    " {queued}q {gating}g {}✗ {}✓ ",
                    conflicted + failed,
                    ctx.snap.state.merges
                ),
                t.dim(),
            );
        }
        if summary.width() > room {
            summary = Line::default();
        }
        let inner = framed(ctx, summary, area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        // Narrow panes give the conflicted files the room.
        let task_w = if inner.width < 90 { 17 } else { 24 };
        let header = Line::styled(
            format!(
                "{}{}{}{}{}{:>6} {}",
                cell("#", 5),
                cell("task", task_w),
                cell("agent", 11),
                cell("tier", 6),
                cell("gate", 10),
                "wait",
                "conflicts"
            ),
            t.dim(),
        );
        buf.set_line(inner.x, inner.y, &header, inner.width);
        let body = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        let rows = visible(ctx.snap, ctx.state);
        if rows.is_empty() && body.height > 0 {
            buf.set_line(
                body.x,
                body.y,
                &Line::styled("nothing queued, gating or waiting for a retry", t.dim()),
                body.width,
            );
            return;
        }
        let height = body.height as usize;
        let room = (body.width as usize).saturating_sub(5 + task_w + 11 + 6 + 10 + 7);
        let off = scroll_offset(ctx.state.selected, rows.len(), height);
        for (i, r) in rows.iter().enumerate().skip(off).take(height) {
            let target = Target::Task(r.task.clone());
            let selected = i == ctx.state.selected;
            let base = row_style(ctx, selected, ctx.state.marked.contains(&target));
            let (pos, pos_style) = match &r.place {
                Place::Queued(n) => (n.to_string(), t.status(TaskStatus::Queued)),
                Place::Gating => ("gate".into(), t.status(TaskStatus::Gating)),
                Place::Conflicted => ("✗".into(), t.error()),
                Place::Failed => ("!".into(), t.status(TaskStatus::Failed)),
                Place::Merged => ("✓".into(), t.status(TaskStatus::Merged)),
            };
            let dim = r.place == Place::Merged;
            let text = |s: Style| if dim { t.dim() } else { s };
            let gate_style = if r.gate.starts_with("failed") {
                t.status(TaskStatus::Failed)
            } else if r.gate == "running" {
                t.status(TaskStatus::Gating)
            } else {
                t.dim()
            };
            let wait = r
                .since
                .map(|at| age(ctx.snap.now - at))
                .unwrap_or_else(|| "—".into());
            let line = Line::from(vec![
                Span::styled(cell(&pos, 5), text(pos_style)),
                Span::styled(cell(r.task.as_str(), task_w), text(t.text())),
                Span::styled(
                    cell(r.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"), 11),
                    t.dim(),
                ),
                Span::styled(cell(&r.tier, 6), t.dim()),
                Span::styled(cell(&r.gate, 10), text(gate_style)),
                Span::styled(format!("{wait:>6} "), t.dim()),
                Span::styled(files(&r.files, room), t.error()),
            ])
            .style(base);
            buf.set_line(body.x, body.y + (i - off) as u16, &line, body.width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::detail::tests::{Day, pane_text};

    #[test]
    fn queue_then_gate_then_conflicts_then_merged() {
        let d = Day::standard();
        let st = PaneState::default();
        let ids: Vec<String> = MergeQueuePane
            .targets(&d.snap, &st)
            .iter()
            .map(|t| t.label())
            .collect();
        assert_eq!(ids, ["auth-4", "auth-3", "auth-2", "auth-1"]);
        let out = pane_text(&MergeQueuePane, &d.snap, &st, 100, 8);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].contains("1 queued · 1 gating · 1 conflicted · 1 merged"),
            "{out}"
        );
        assert!(
            lines[2].contains("auth-4") && lines[2].contains("passed"),
            "{out}"
        );
        assert!(
            lines[3].contains("auth-3") && lines[3].contains("running"),
            "{out}"
        );
        assert!(
            lines[4].contains("auth-2") && lines[4].contains("src/shared/registry.rs"),
            "{out}"
        );
        assert!(
            lines[5].contains("auth-1") && lines[5].contains("clean"),
            "{out}"
        );
    }

    #[test]
    fn a_narrow_pane_still_names_the_conflicted_file() {
        let d = Day::standard();
        let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 70, 8);
        assert!(out.contains("registry.rs"), "{out}");
    }

    #[test]
    fn wait_counts_from_the_queue_event() {
        let d = Day::standard();
        let rows = rows(&d.snap);
        assert_eq!(rows[0].since, Some(64 * crate::domain::SECOND));
        let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 8);
        assert!(out.lines().nth(2).unwrap().contains("36s"), "{out}");
    }

    #[test]
    fn draws_in_tiny_areas() {
        let d = Day::standard();
        for (w, h) in [(20, 5), (2, 2), (0, 0), (20, 3)] {
            let _ = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), w, h);
        }
    }
}
