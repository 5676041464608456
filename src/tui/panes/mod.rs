//! The five panes of the floor, one file each. A pane knows its rows (as
//! targets the operator can act on), how to draw itself, and keeps its own
//! view state (selection, filter, marks).

pub mod burn;
pub mod convoys;
pub mod inbox;
#[cfg(test)]
mod long_day;
pub mod merge_queue;
#[cfg(test)]
pub(crate) mod testkit;
pub mod watchdog;

use crate::domain::{AgentId, ConcernId, ConvoyId, IncidentId, PauseId, TaskId};
use crate::swarm::Snapshot;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Widget};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaneId {
    Convoys,
    Watchdog,
    Burn,
    Merge,
    Inbox,
}

impl PaneId {
    pub const ALL: [PaneId; 5] = [
        PaneId::Convoys,
        PaneId::Watchdog,
        PaneId::Burn,
        PaneId::Merge,
        PaneId::Inbox,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Convoys => "convoy board",
            PaneId::Watchdog => "watchdog tiers",
            PaneId::Burn => "cost burn",
            PaneId::Merge => "merge queue",
            PaneId::Inbox => "concern inbox",
        }
    }

    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).expect("listed")
    }
}

/// Something a row stands for, which actions and drill-downs act on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Agent(AgentId),
    Task(TaskId),
    Convoy(ConvoyId),
    Concern(ConcernId),
    Pause(PauseId),
    /// An incident record.
    Incident(IncidentId),
    /// The list of incident records (a page of its own).
    Incidents,
}

impl Target {
    pub fn label(&self) -> String {
        match self {
            Target::Agent(a) => a.to_string(),
            Target::Task(t) => t.to_string(),
            Target::Convoy(c) => c.to_string(),
            Target::Concern(c) => c.to_string(),
            Target::Pause(p) => p.to_string(),
            Target::Incident(i) => i.to_string(),
            Target::Incidents => "incidents".to_string(),
        }
    }
}

/// A pane's view state.
#[derive(Clone, Debug, Default)]
pub struct PaneState {
    pub selected: usize,
    pub filter: String,
    pub marked: BTreeSet<Target>,
    /// Folded rows shown member by member (the watchdog's healthy teams).
    pub unfolded: bool,
}

impl PaneState {
    /// Whether a row's text passes the filter (case-insensitive substring).
    pub fn passes(&self, text: &str) -> bool {
        self.filter.is_empty() || text.to_lowercase().contains(&self.filter.to_lowercase())
    }
}

/// What a pane draws with.
pub struct DrawCtx<'a> {
    pub snap: &'a Snapshot,
    pub theme: &'a Theme,
    pub focused: bool,
    pub state: &'a PaneState,
    /// The pane's number (1–5), shown in its title.
    pub number: usize,
}

pub trait Pane: Send {
    fn id(&self) -> PaneId;
    /// The selectable rows, in display order, after the filter.
    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target>;
    /// Draw inside `area` (the pane draws its own block).
    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer);
}

/// The framed block every pane draws in: number, title, a summary on the right.
pub fn frame<'a>(ctx: &DrawCtx, summary: Line<'a>) -> Block<'a> {
    let t = ctx.theme;
    let mut title = vec![
        Span::styled(format!(" {} ", ctx.number), t.key()),
        Span::styled(
            format!("{} ", PaneId::ALL[ctx.number - 1].title()),
            t.title(ctx.focused),
        ),
    ];
    if !ctx.state.filter.is_empty() {
        title.push(Span::styled(format!("/{} ", ctx.state.filter), t.marked()));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(if ctx.focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(t.border(ctx.focused))
        .title(Line::from(title))
        .title(summary.right_aligned())
}

/// Draw the block and return the area inside it.
pub fn framed(ctx: &DrawCtx, summary: Line, area: Rect, buf: &mut Buffer) -> Rect {
    let block = frame(ctx, summary);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// The first visible row so that `selected` stays on screen.
pub fn scroll_offset(selected: usize, rows: usize, height: usize) -> usize {
    if height == 0 || rows <= height {
        0
    } else {
        selected.saturating_sub(height - 1).min(rows - height)
    }
}

/// Row style: selected (when focused), marked, or plain.
pub fn row_style(ctx: &DrawCtx, selected: bool, marked: bool) -> Style {
    if selected && ctx.focused {
        ctx.theme.selected()
    } else if marked {
        ctx.theme.marked()
    } else {
        Style::default()
    }
}

/// Draw `line` in `width` cells; a line that does not fit is cut and ends
/// in `…`.
pub fn set_line_cut(buf: &mut Buffer, x: u16, y: u16, line: &Line, width: u16) {
    let w = width as usize;
    if line.width() <= w || w == 0 {
        buf.set_line(x, y, line, width);
        return;
    }
    let mut used = 0usize;
    let mut spans: Vec<Span> = Vec::new();
    for s in &line.spans {
        let room = w - 1 - used;
        if room == 0 {
            break;
        }
        let sw = s.width();
        if sw <= room {
            used += sw;
            spans.push(s.clone());
            continue;
        }
        let mut cut = String::new();
        let mut cw = 0;
        for c in s.content.chars() {
            let c_w = Span::raw(c.to_string()).width();
            if cw + c_w > room {
                break;
            }
            cw += c_w;
            cut.push(c);
        }
        spans.push(Span::styled(cut, s.style));
        break;
    }
    let last = spans.last().map(|s| s.style).unwrap_or_default();
    spans.push(Span::styled("…", last));
    buf.set_line(x, y, &Line::from(spans).style(line.style), width);
}

/// Under a list cut short: `… N more` on the pane's bottom border, right
/// of its corner.
pub fn more_below(ctx: &DrawCtx, area: Rect, hidden: usize, buf: &mut Buffer) {
    if hidden == 0 || area.height < 2 || area.width < 14 {
        return;
    }
    let text = format!(" … {hidden} more ");
    let w = (text.chars().count() as u16).min(area.width - 4);
    buf.set_string(
        area.x + 2,
        area.y + area.height - 1,
        crate::tui::format::cell(&text, w as usize),
        ctx.theme.marked(),
    );
}
