//! Drill-down pages: the detail of an agent, a task (also what a merge-queue
//! entry opens), a convoy, a concern or a pause point, one file each. A page
//! fills the body; `Esc` goes back.
//!
//! A page is sections with headings in one or two columns (two when the body
//! is wide). Unscrolled, every section shows: one that does not fit is cut
//! with a `… N more` line; streams (output, gate output, events) keep their
//! newest lines. `ctrl-d`/`ctrl-u` (and `j`/`k` on a page without rows)
//! scroll it, drawn whole from that line on. Rows (`rows.rs`) are selected
//! with `j`/`k` and opened with `Enter`. Nothing panics in a tiny area.

mod agent;
mod concern;
mod convoy;
mod incidents;
pub mod log_view;
mod mailbox;
mod pause;
mod rows;
mod task;

use super::app::App;
use super::format::{clock_hms, short_branch, short_commit};
use super::panes::Target;
use super::theme::Theme;
use crate::domain::{Event, EventKind, MergeOutcome, Millis};
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Widget};
pub use rows::rows;

/// Bodies at least this wide show a page in two columns.
const TWO_COLUMNS: u16 = 100;
/// The context window the share of context use is reported against.
pub const CONTEXT_WINDOW: u64 = 200_000;

/// One titled part of a page.
pub struct Section {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    /// Keep the last lines when cut (streams), else the first.
    pub keep_tail: bool,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            lines: Vec::new(),
            keep_tail: false,
        }
    }

    pub fn stream(title: impl Into<String>) -> Section {
        Section {
            keep_tail: true,
            ..Section::new(title)
        }
    }

    pub fn line(&mut self, l: impl Into<Line<'static>>) {
        self.lines.push(l.into());
    }
}

/// A page: the left (facts) and right (streams) columns. In one column the
/// first `lead` left sections come first, then the right ones, then the
/// rest, so the streams are not starved at the bottom.
pub struct Page {
    pub left: Vec<Section>,
    pub right: Vec<Section>,
    pub lead: usize,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            left: Vec::new(),
            right: Vec::new(),
            lead: 1,
        }
    }
}

/// What a page builder gets.
pub struct PageCtx<'a> {
    pub app: &'a App,
    pub snap: &'a Snapshot,
    pub theme: &'a Theme,
    /// Columns available for text (for wrapping).
    pub width: usize,
}

impl PageCtx<'_> {
    /// A `key: value` line.
    pub fn kv(&self, key: &str, value: impl Into<String>, style: Style) -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{key:<12}"), self.theme.dim()),
            Span::styled(value.into(), style),
        ])
    }

    /// The key bound to an action, for hints.
    pub fn key(&self, a: super::action::Action) -> String {
        self.app
            .keys
            .label(a)
            .unwrap_or_else(|| a.name().to_string())
    }

    /// `12:03:44 (5m ago)`.
    pub fn when(&self, at: Millis) -> String {
        format!(
            "{} ({} ago)",
            clock_hms(at),
            super::format::age(self.snap.now - at)
        )
    }

    /// Recent events matching `f`, oldest first, as page lines.
    pub fn events(&self, f: impl Fn(&Event) -> bool, show: Show) -> Vec<Line<'static>> {
        self.snap
            .recent
            .iter()
            .filter(|e| f(e))
            .map(|e| event_line(e, self.theme, show))
            .collect()
    }
}

/// A short account of what an event says.
pub fn event_detail(kind: &EventKind) -> String {
    match kind {
        EventKind::TaskAssigned {
            branch,
            attempt,
            resume,
        } => format!(
            "attempt {attempt} on {branch}{}",
            if *resume { " (resumed)" } else { "" }
        ),
        EventKind::CommitMade { commit, files, .. } => {
            format!("{} · {files} files", short_commit(commit))
        }
        EventKind::Progress { percent, note } => format!("{percent}% {note}"),
        EventKind::TaskDone => "done; gates next".into(),
        EventKind::GateFinished { passed, gate, .. } => format!(
            "{} {}",
            if gate.is_empty() { "gates" } else { gate },
            if *passed { "passed" } else { "failed" }
        ),
        EventKind::MergeQueued { seq, onto: None } => format!("queued #{seq}"),
        EventKind::MergeQueued { seq, onto: Some(b) } => {
            format!("queued #{seq} → {}", short_branch(b))
        }
        EventKind::MergeFinished { outcome } => merge_detail(outcome),
        EventKind::BatchTested {
            tasks,
            passed,
            gate,
            ..
        } => format!(
            "batch of {} {}",
            tasks.len(),
            if *passed {
                "passed".to_string()
            } else {
                format!("failed `{gate}`")
            }
        ),
        EventKind::QueueMoved { front } => {
            format!(
                "moved to the {} of the queue",
                if *front { "front" } else { "back" }
            )
        }
        EventKind::TaskReimagined { files, .. } => {
            format!(
                "back to redo on the target (conflict in {})",
                files.join(", ")
            )
        }
        EventKind::ConflictPredicted { prediction } => format!(
            "overlaps {}{}",
            prediction
                .with
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if prediction.delayed { "; delayed" } else { "" }
        ),
        EventKind::TaskRequeued { reason }
        | EventKind::TaskReworked { reason }
        | EventKind::TaskFailed { reason }
        | EventKind::TaskBlocked { reason }
        | EventKind::AgentRetired { reason } => reason.clone(),
        EventKind::SessionEnded { exit_code, reason } => match exit_code {
            Some(c) => format!("exit {c}: {reason}"),
            None => reason.clone(),
        },
        EventKind::WatchdogAlert { check, detail } => format!("{}: {detail}", check.as_str()),
        EventKind::BudgetReached {
            scope,
            spent,
            limit,
            hard,
        } => format!(
            "{} budget: {spent} of {limit}{}",
            scope.as_str(),
            if *hard { " (hard)" } else { "" }
        ),
        EventKind::ConcernRaised {
            id,
            impact,
            summary,
            ..
        } => format!("{id} {}: {summary}", impact.as_str()),
        EventKind::ConcernDisposed { id, disposition } => {
            format!("{id} {}", disposition.as_str())
        }
        EventKind::PauseRequested { id, pause, reason } => {
            format!("{id} {}: {reason}", pause.as_str())
        }
        EventKind::PauseDecided { id, approved } => {
            format!("{id} {}", if *approved { "approved" } else { "rejected" })
        }
        EventKind::AgentHeld { held } | EventKind::ConvoyHeld { held } => {
            (if *held { "held" } else { "released" }).into()
        }
        EventKind::AgentRegistered { model, runtime } => format!("{model} on {runtime}"),
        EventKind::TaskAdded { spec } => spec.title.clone(),
        _ => String::new(),
    }
}

/// What a merge's outcome says, in short.
fn merge_detail(outcome: &MergeOutcome) -> String {
    match outcome {
        MergeOutcome::Merged {
            commit,
            tier,
            removals,
        } => {
            let removed = if removals.is_empty() {
                String::new()
            } else {
                format!(", {} lines removed with reasons", removals.len())
            };
            format!("merged ({tier}) {}{removed}", short_commit(commit))
        }
        MergeOutcome::Unchanged { .. } => "no change: nothing merged".to_string(),
        MergeOutcome::Conflicted { files, .. } => format!("conflict in {}", files.join(", ")),
        MergeOutcome::Refused {
            tier,
            lines_at_risk,
            ..
        } => format!("{tier} refused: {} lines at risk", lines_at_risk.len()),
        MergeOutcome::Rejected { gate, .. } => format!("merged result failed `{gate}`"),
    }
}

/// Which attribution an event line shows besides time and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Agent,
    Task,
}

/// `12:03:44 gate_finished    builder-07 lint failed`.
pub fn event_line(e: &Event, t: &Theme, show: Show) -> Line<'static> {
    let style = match &e.kind {
        EventKind::TaskFailed { .. }
        | EventKind::WatchdogAlert { .. }
        | EventKind::GateFinished { passed: false, .. }
        | EventKind::MergeFinished {
            outcome: MergeOutcome::Conflicted { .. },
        } => t.error(),
        EventKind::PauseRequested { .. } => t.pause(),
        _ => t.text(),
    };
    let mut spans = vec![
        Span::styled(format!("{} ", clock_hms(e.at)), t.dim()),
        Span::styled(format!("{:<16} ", e.kind.name()), style),
    ];
    let who = match show {
        Show::Agent => e.agent.as_ref().map(|a| a.to_string()),
        Show::Task => e.task.as_ref().map(|t| t.to_string()),
    };
    if let Some(w) = who {
        spans.push(Span::styled(format!("{w} "), t.dim()));
    }
    spans.push(Span::styled(event_detail(&e.kind), t.text()));
    Line::from(spans)
}

/// Words of `text` in lines of at most `width` columns (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let n = line.chars().count();
            if n > 0 && n + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

/// Draw the page for `target` into `area`.
pub fn draw(app: &App, target: &Target, area: Rect, buf: &mut Buffer) {
    let kind = match target {
        Target::Agent(_) => "agent",
        Target::Task(_) => "task",
        Target::Convoy(_) => "convoy",
        Target::Concern(_) => "concern",
        Target::Pause(_) => "pause point",
        Target::Incident(_) => "incident",
        Target::Incidents => "records",
    };
    draw_with(app, kind, &target.label(), area, buf, |ctx| match target {
        Target::Agent(id) => agent::page(ctx, id),
        Target::Task(id) => task::page(ctx, id),
        Target::Convoy(id) => convoy::page(ctx, id),
        Target::Concern(id) => concern::page(ctx, id),
        Target::Pause(id) => pause::page(ctx, id),
        Target::Incident(id) => incidents::page(ctx, id),
        Target::Incidents => incidents::list(ctx),
    });
}

/// A page in a framed body titled `kind label`, built by `build` for the
/// width of its columns, scrolled by the app's `page_scroll` (the furthest
/// it can go is left in `page_scroll_max`).
pub fn draw_with(
    app: &App,
    kind: &str,
    label: &str,
    area: Rect,
    buf: &mut Buffer,
    build: impl FnOnce(&PageCtx) -> Page,
) {
    let t = &app.theme;
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(t.border(true))
        .title(Line::from(vec![
            Span::styled(format!(" {kind} "), t.dim()),
            Span::styled(format!("{label} "), t.title(true)),
        ]));
    let inner = block.inner(area);
    if inner.width == 0 || inner.height == 0 {
        block.render(area, buf);
        return;
    }
    let two = inner.width >= TWO_COLUMNS;
    let columns: Vec<Rect> = if two {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .split(inner)
            .to_vec()
    } else {
        vec![inner]
    };
    let ctx = PageCtx {
        app,
        snap: &app.snap,
        theme: t,
        width: columns[0].width as usize,
    };
    let page = build(&ctx);
    let cols: Vec<(Vec<Section>, Rect)> = if two {
        vec![(page.left, columns[0]), (page.right, columns[1])]
    } else {
        let mut left = page.left;
        let rest = left.split_off(page.lead.min(left.len()));
        let all: Vec<Section> = left.into_iter().chain(page.right).chain(rest).collect();
        vec![(all, inner)]
    };
    let max = cols
        .iter()
        .map(|(secs, r)| flat_len(secs).saturating_sub(r.height as usize))
        .max()
        .unwrap_or(0)
        .min(u16::MAX as usize) as u16;
    app.page_scroll_max.set(max);
    let scroll = app.page_scroll.min(max);
    let hint = match (max, scroll) {
        (0, _) => " esc back ".to_string(),
        (_, 0) => " ctrl-d scrolls · esc back ".to_string(),
        (m, s) => format!(" line {} of {} · ctrl-u/ctrl-d · esc back ", s + 1, m + 1),
    };
    block = block.title(Line::styled(hint, t.key()).right_aligned());
    block.render(area, buf);
    for (secs, rect) in cols {
        if scroll > 0 {
            draw_flat(&secs, rect, buf, t, scroll as usize);
        } else {
            draw_column(&secs, rect, buf, t);
        }
    }
}

/// Lines a column takes uncut: each heading and its lines (or its dash).
fn flat_len(sections: &[Section]) -> usize {
    sections.iter().map(|s| 1 + s.lines.len().max(1)).sum()
}

/// A column drawn whole from line `from` on: scrolled, nothing cut.
fn draw_flat(sections: &[Section], area: Rect, buf: &mut Buffer, t: &Theme, from: usize) {
    let none = Line::styled("—", t.dim());
    let mut all: Vec<(bool, Line)> = Vec::new();
    for s in sections {
        all.push((
            true,
            Line::from(vec![
                Span::styled("▌ ", t.border(true)),
                Span::styled(s.title.clone(), t.title(true)),
            ]),
        ));
        if s.lines.is_empty() {
            all.push((false, none.clone()));
        }
        all.extend(s.lines.iter().map(|l| (false, l.clone())));
    }
    for (i, (heading, line)) in all.iter().skip(from).take(area.height as usize).enumerate() {
        let x = if *heading { area.x } else { area.x + 1 };
        let w = if *heading {
            area.width
        } else {
            area.width.saturating_sub(1)
        };
        buf.set_line(x, area.y + i as u16, line, w);
    }
}

/// Heights for sections wanting `needs` rows in `height` rows: all if they
/// fit; else each first gets its heading and up to three lines, in order,
/// and what is left goes to them in order.
fn allot(needs: &[usize], height: usize) -> Vec<usize> {
    if needs.iter().sum::<usize>() <= height {
        return needs.to_vec();
    }
    let mut left = height;
    let mut out: Vec<usize> = needs
        .iter()
        .map(|n| {
            let give = (*n).min(4).min(left);
            left -= give;
            give
        })
        .collect();
    // The rest, a line at a time to each section still short, so two
    // long streams share the room.
    while left > 0 {
        let mut gave = false;
        for (o, n) in out.iter_mut().zip(needs) {
            if left > 0 && *o < *n {
                *o += 1;
                left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    out
}

fn draw_column(sections: &[Section], area: Rect, buf: &mut Buffer, t: &Theme) {
    let needs: Vec<usize> = sections.iter().map(|s| 1 + s.lines.len().max(1)).collect();
    let heights = allot(&needs, area.height as usize);
    let mut y = area.y;
    let none = Line::styled("—", t.dim());
    for (s, h) in sections.iter().zip(heights) {
        if h == 0 {
            continue;
        }
        let heading = Line::from(vec![
            Span::styled("▌ ", t.border(true)),
            Span::styled(s.title.clone(), t.title(true)),
        ]);
        buf.set_line(area.x, y, &heading, area.width);
        y += 1;
        let rows = h - 1;
        let n = s.lines.len();
        let mut shown: Vec<&Line> = Vec::new();
        let more;
        if n == 0 {
            shown.push(&none);
            more = None;
        } else if n <= rows {
            shown.extend(&s.lines);
            more = None;
        } else if rows == 0 {
            more = None;
        } else if s.keep_tail {
            let cut = Line::styled(format!("… {} earlier lines", n - (rows - 1)), t.dim());
            more = Some((0, cut));
            shown.extend(&s.lines[n - (rows - 1)..]);
        } else {
            let cut = Line::styled(format!("… {} more", n - (rows - 1)), t.dim());
            more = Some((rows - 1, cut));
            shown.extend(&s.lines[..rows - 1]);
        }
        let mut row = 0;
        for i in 0..rows {
            let line = match &more {
                Some((at, cut)) if *at == i => cut,
                _ => match shown.get(row) {
                    Some(l) => {
                        row += 1;
                        *l
                    }
                    None => break,
                },
            };
            buf.set_line(area.x + 1, y + i as u16, line, area.width.saturating_sub(1));
        }
        y += rows as u16;
    }
}

#[cfg(test)]
pub(crate) mod tests;
