//! The inbox's rows as lines: the column layout, a pause point's row and a
//! concern's (folded) row.

use super::{Row, pause_text};
use crate::domain::{Fold, PauseKind, PausePoint};
use crate::swarm::Snapshot;
use crate::tui::format::{age, cell};
use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A pause kind in one short word.
fn kind_word(k: &PauseKind) -> &'static str {
    match k {
        PauseKind::AgentRequest => "agent",
        PauseKind::Merge => "merge",
        PauseKind::Spend => "spend",
        PauseKind::Checkout => "checkout",
        PauseKind::Swarm => "swarm",
    }
}

/// The short impact word of a column: `crit`, `high`, `med`, `low`.
fn impact_word(i: crate::domain::Impact) -> &'static str {
    ["low", "med", "high", "crit"][i as usize]
}

/// Column widths: wide terminals show the source and the task as columns.
pub(super) struct Cols {
    pub(super) wide: bool,
}

impl Cols {
    pub(super) fn header(&self) -> String {
        let mut h = format!(
            "  {}{}{}{}{}{}",
            cell("id", 7),
            cell("imp", 5),
            cell("conf", 5),
            cell("route", 7),
            cell("age", 7),
            cell("×", 4)
        );
        if self.wide {
            h.push_str(&cell("source", 10));
            h.push_str(&cell("task", 19));
        }
        h.push_str("concern");
        h
    }
}

/// `3h08m`, or `+40m` in the error style once overdue by that much.
fn age_cell(
    snap: &Snapshot,
    raised: i64,
    overdue: Option<i64>,
    plain: Style,
    late: Style,
) -> Span<'static> {
    match overdue {
        Some(since) => Span::styled(cell(&format!("+{}", age(snap.now - since)), 7), late),
        None => Span::styled(cell(&age(snap.now - raised), 7), plain),
    }
}

/// A row's line, before the selection's style.
pub(super) fn line(snap: &Snapshot, t: &Theme, cols: &Cols, row: &Row) -> Line<'static> {
    match row {
        Row::Pause(p) => pause_line(snap, t, cols, p),
        Row::Concern(f) => concern_line(snap, t, cols, f),
    }
}

/// A pause point's row: always the human's, its kind where the impact goes.
fn pause_line(snap: &Snapshot, t: &Theme, cols: &Cols, p: &PausePoint) -> Line<'static> {
    let mut spans = vec![
        Span::styled("⏸ ", t.pause()),
        Span::styled(cell(p.id.as_str(), 7), t.pause()),
        Span::styled(cell(kind_word(&p.kind), 10), t.pause()),
        Span::styled(cell("human", 7), t.text()),
        age_cell(snap, p.raised_at, p.overdue_since, t.dim(), t.error()),
        Span::raw(cell("", 4)),
    ];
    if cols.wide {
        spans.push(Span::styled(cell("pause", 10), t.dim()));
        spans.push(Span::styled(
            cell(p.task.as_ref().map(|t| t.as_str()).unwrap_or("—"), 19),
            t.dim(),
        ));
    }
    spans.push(Span::styled(pause_text(snap, p), t.text()));
    Line::from(spans)
}

/// A concern's row: the fold's lead, its count, dim once acked.
fn concern_line(snap: &Snapshot, t: &Theme, cols: &Cols, f: &Fold) -> Line<'static> {
    let c = f.lead();
    let dim = f.acked();
    let style = |s| if dim { t.dim() } else { s };
    let count = if f.count() > 1 {
        format!("×{}", f.count())
    } else {
        String::new()
    };
    let mut spans = vec![
        Span::styled(if dim { "○ " } else { "● " }, style(t.impact(f.impact()))),
        Span::styled(cell(c.id.as_str(), 7), style(t.text())),
        Span::styled(
            cell(impact_word(f.impact()), 5),
            style(t.impact(f.impact())),
        ),
        Span::styled(cell(&format!("{:.2}", f.confidence()), 5), t.dim()),
        Span::styled(cell(f.routing().as_str(), 7), style(t.text())),
        age_cell(
            snap,
            f.oldest().raised_at,
            f.overdue_since(),
            t.dim(),
            t.error(),
        ),
        Span::styled(cell(&count, 4), style(t.marked())),
    ];
    if cols.wide {
        spans.push(Span::styled(cell(c.source.as_str(), 10), t.dim()));
        spans.push(Span::styled(
            cell(c.task.as_ref().map(|t| t.as_str()).unwrap_or("—"), 19),
            t.dim(),
        ));
    }
    spans.push(Span::styled(c.summary.clone(), style(t.text())));
    if !cols.wide
        && let Some(task) = &c.task
        && !c.summary.contains(task.as_str())
    {
        spans.push(Span::styled(format!(" · {task}"), t.dim()));
    }
    if dim {
        spans.push(Span::styled(" (acked)", t.dim()));
    }
    Line::from(spans)
}
