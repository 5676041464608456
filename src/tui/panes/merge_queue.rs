//! The merge queue: branches in merge order, then entries at the gate, then
//! recent failures, conflicts and refusals that wait for a retry, then the
//! last few merges (dim) so the operator sees the queue move; under them,
//! when there is room, the last run of the gates on a merged result.
//!
//! Columns: position (with `↑`/`↓` when the operator moved the entry and `↻`
//! when the queue sent it back before), task, agent, tier (how the last
//! merge attempt was or was not resolved), gate, wait, then the conflicted
//! files and the lines at risk (or a note: moved, sent back, why it waits).
//! The wait is the time since the entry reached its row's state: queued (the
//! `merge_queued` event), gating (`task_done`), failed/blocked, merged.
//! Narrow panes drop the agent, then the gate and the wait.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{MergeOutcome, MergeRecord, ResolveTier, TaskStatus};
use crate::swarm::Snapshot;
use crate::tui::format::{age, cell, short_commit};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::sync::Arc;

mod rows;

pub use rows::{MERGED_SHOWN, Place, QueueRow, rows};

pub struct MergeQueuePane;

// The facts of a task's way through the gate and the queue, and the gate
// runs on merged results, are the state's (kept by the fold).
pub use crate::domain::{BatchRun, MergeFacts};

/// The last landing's runs (one landing's runs share their time): the
/// first is the whole batch, later ones its bisection.
pub fn last_landing(runs: &[Arc<BatchRun>]) -> &[Arc<BatchRun>] {
    let Some(last) = runs.last() else {
        return &[];
    };
    let start = runs
        .iter()
        .rposition(|r| r.at != last.at)
        .map_or(0, |i| i + 1);
    &runs[start..]
}

/// One line for the last landing: what the merged result's gates said.
pub fn landing_line(
    runs: &[Arc<BatchRun>],
    merges: &[Arc<MergeRecord>],
    t: &Theme,
) -> Option<Line<'static>> {
    let first = runs.first()?;
    let n = first.tasks.len();
    let who = if n == 1 {
        first.tasks[0].to_string()
    } else {
        format!("{n} entries")
    };
    let mut spans = vec![Span::styled("batch ", t.dim())];
    if first.passed {
        spans.push(Span::styled("✓ ", t.ok()));
        spans.push(Span::styled(
            format!("{who} passed on {}", short_commit(&first.base)),
            t.text(),
        ));
        return Some(Line::from(spans));
    }
    spans.push(Span::styled("✗ ", t.error()));
    spans.push(Span::styled(
        format!("{who} failed `{}`", first.gate),
        t.status(TaskStatus::Failed),
    ));
    if runs.len() > 1 {
        spans.push(Span::styled(" · bisected", t.dim()));
    }
    let culprits: Vec<String> = merges
        .iter()
        .rev()
        .take_while(|m| m.at >= first.at)
        .filter(|m| m.at == first.at && matches!(m.outcome, MergeOutcome::Rejected { .. }))
        .filter_map(|m| m.task.as_ref().map(|t| t.to_string()))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if !culprits.is_empty() && n > 1 {
        spans.push(Span::styled(
            format!(" → {} rejected", culprits.join(", ")),
            t.error(),
        ));
    }
    Some(Line::from(spans))
}

fn visible(snap: &Snapshot, state: &PaneState) -> Vec<QueueRow> {
    rows(snap)
        .into_iter()
        .filter(|r| state.passes(&r.filter_text()))
        .collect()
}

/// `s` in a column `w` wide that keeps a space before the next one.
fn col(s: &str, w: usize) -> String {
    if w == 0 {
        String::new()
    } else {
        format!("{} ", cell(s, w - 1))
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

/// A tier's colour: clean is routine, the resolving tiers draw the eye,
/// reimagine means the work is being redone.
pub fn tier_style(tier: ResolveTier, t: &Theme) -> Style {
    match tier {
        ResolveTier::Clean => t.dim(),
        ResolveTier::Auto => t.text(),
        ResolveTier::Ai => t.impact(crate::domain::Impact::Medium),
        ResolveTier::Reimagine => t.status(TaskStatus::Blocked),
    }
}

/// Column widths for an inner width (0 hides a column); the rest of the
/// row is the conflicts column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cols {
    pos: usize,
    task: usize,
    agent: usize,
    tier: usize,
    gate: usize,
    wait: usize,
}

impl Cols {
    fn for_width(w: usize) -> Cols {
        if w >= 90 {
            Cols {
                pos: 5,
                task: 24,
                agent: 11,
                tier: 10,
                gate: 10,
                wait: 7,
            }
        } else if w >= 78 {
            Cols {
                pos: 5,
                task: 17,
                agent: 11,
                tier: 10,
                gate: 10,
                wait: 7,
            }
        } else if w >= 56 {
            Cols {
                pos: 5,
                task: 17,
                agent: 0,
                tier: 10,
                gate: 10,
                wait: 7,
            }
        } else {
            Cols {
                pos: 4,
                task: 13,
                agent: 0,
                tier: 6,
                gate: 0,
                wait: 0,
            }
        }
    }

    fn used(&self) -> usize {
        self.pos + self.task + self.agent + self.tier + self.gate + self.wait
    }
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
        let inner = framed(ctx, summary(ctx, &rows(ctx.snap), area.width), area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let c = Cols::for_width(inner.width as usize);
        buf.set_line(
            inner.x,
            inner.y,
            &Line::styled(header(c, inner.width), t.dim()),
            inner.width,
        );
        let body = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        let rows = visible(ctx.snap, ctx.state);
        // The last merged-result run, on the bottom row when there is room.
        let s = &ctx.snap.state;
        let landing = landing_line(last_landing(&s.batch_runs), &s.merge_log, t);
        let mut height = body.height as usize;
        if let Some(l) = &landing
            && height >= 2
            && (rows.len() < height || height >= 6)
        {
            height -= 1;
            buf.set_line(body.x, body.y + height as u16, l, body.width);
        }
        if rows.is_empty() && height > 0 {
            buf.set_line(
                body.x,
                body.y,
                &Line::styled("nothing queued, gating or waiting for a retry", t.dim()),
                body.width,
            );
            return;
        }
        let room = (body.width as usize).saturating_sub(c.used());
        let off = scroll_offset(ctx.state.selected, rows.len(), height);
        for (i, r) in rows.iter().enumerate().skip(off).take(height) {
            let target = Target::Task(r.task.clone());
            let selected = i == ctx.state.selected;
            let base = row_style(ctx, selected, ctx.state.marked.contains(&target));
            let line = Line::from(row_spans(ctx, r, c, room)).style(base);
            super::set_line_cut(buf, body.x, body.y + (i - off) as u16, &line, body.width);
        }
        super::more_below(ctx, area, rows.len().saturating_sub(height), buf);
    }
}

/// The title's summary: counts by place and the merges so far, shorter (or
/// gone) when it would cover the pane's title.
fn summary<'a>(ctx: &DrawCtx, all: &[QueueRow], width: u16) -> Line<'a> {
    let t = ctx.theme;
    let count = |f: fn(&Place) -> bool| all.iter().filter(|r| f(&r.place)).count();
    let queued = count(|p| matches!(p, Place::Queued(_)));
    let gating = count(|p| *p == Place::Gating);
    let conflicted = count(|p| *p == Place::Conflicted);
    let refused = count(|p| *p == Place::Refused);
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
    part(refused, "refused", t.status(TaskStatus::Blocked));
    part(failed, "failed", t.status(TaskStatus::Failed));
    summary.push(Span::styled("·", t.dim()));
    summary.push(Span::styled(
        format!(" {} merged ", ctx.snap.state.merges),
        t.status(TaskStatus::Merged),
    ));
    // The summary must not cover the pane's title: " 4 merge queue ".
    let room = (width as usize).saturating_sub(PaneId::Merge.title().len() + 6);
    let mut summary = Line::from(summary);
    if summary.width() > room {
        summary = Line::styled(
            format!(
                " {queued}q {gating}g {}✗ {}✓ ",
                conflicted + refused + failed,
                ctx.snap.state.merges
            ),
            t.dim(),
        );
    }
    if summary.width() > room {
        summary = Line::default();
    }
    summary
}

/// The column heads for the columns shown in `width`.
fn header(c: Cols, width: u16) -> String {
    let mut head = format!("{}{}", cell("#", c.pos), cell("task", c.task));
    if c.agent > 0 {
        head.push_str(&cell("agent", c.agent));
    }
    head.push_str(&cell("tier", c.tier));
    if c.gate > 0 {
        head.push_str(&cell("gate", c.gate));
    }
    if c.wait > 0 {
        head.push_str(&format!("{:>w$} ", "wait", w = c.wait - 1));
    }
    let room = (width as usize).saturating_sub(c.used());
    head.push_str(if room >= 19 {
        "conflicts · at risk"
    } else {
        "conflicts"
    });
    head
}

/// One row's cells; `room` is what is left for the conflicts column.
fn row_spans(ctx: &DrawCtx, r: &QueueRow, c: Cols, room: usize) -> Vec<Span<'static>> {
    let t = ctx.theme;
    let (pos, pos_style) = match &r.place {
        Place::Queued(n) => (format!("{n}{}", r.marks()), t.status(TaskStatus::Queued)),
        Place::Gating if c.pos > 4 => ("gate".into(), t.status(TaskStatus::Gating)),
        Place::Gating => ("g".into(), t.status(TaskStatus::Gating)),
        Place::Conflicted => ("✗".into(), t.error()),
        Place::Refused => ("⊘".into(), t.status(TaskStatus::Blocked)),
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
    let mut spans = vec![
        Span::styled(col(&pos, c.pos), text(pos_style)),
        Span::styled(col(r.task.as_str(), c.task), text(t.text())),
    ];
    if c.agent > 0 {
        spans.push(Span::styled(
            col(r.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"), c.agent),
            t.dim(),
        ));
    }
    spans.push(match r.tier {
        Some(tier) => Span::styled(col(tier.as_str(), c.tier), text(tier_style(tier, t))),
        None => Span::styled(col("—", c.tier), t.dim()),
    });
    if c.gate > 0 {
        spans.push(Span::styled(col(&r.gate, c.gate), text(gate_style)));
    }
    if c.wait > 0 {
        let wait = r
            .since
            .map(|at| age(ctx.snap.now - at))
            .unwrap_or_else(|| "—".into());
        spans.push(Span::styled(
            format!("{wait:>w$} ", w = c.wait - 1),
            t.dim(),
        ));
    }
    spans.extend(conflict_spans(r, room, t));
    spans
}

/// The conflicts column: the files and the lines at risk, or the row's note.
fn conflict_spans(r: &QueueRow, room: usize, t: &Theme) -> Vec<Span<'static>> {
    if r.at_risk > 0 && room < 24 {
        // Narrow: the count first, the files in what is left.
        let risk = format!("{} at risk ", r.at_risk);
        let left = room.saturating_sub(risk.chars().count());
        vec![
            Span::styled(cell(&risk, room).trim_end().to_string() + " ", t.error()),
            Span::styled(files(&r.files, left), t.error()),
        ]
    } else if !r.files.is_empty() || r.at_risk > 0 {
        let risk = if r.at_risk > 0 {
            format!(" · {} at risk", r.at_risk)
        } else {
            String::new()
        };
        let risk_w = risk.chars().count();
        let shown = files(&r.files, room.saturating_sub(risk_w));
        vec![
            Span::styled(shown, t.error()),
            Span::styled(risk, t.error()),
        ]
    } else if !r.note.is_empty() {
        vec![Span::styled(cell(&r.note, room), t.dim())]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
