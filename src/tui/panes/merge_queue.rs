//! The merge queue: branches in order with their gate state.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub struct MergeQueuePane;

impl Pane for MergeQueuePane {
    fn id(&self) -> PaneId {
        PaneId::Merge
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        snap.merge_queue
            .iter()
            .filter(|t| state.passes(t.as_str()))
            .map(|t| Target::Task(t.clone()))
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let inner = framed(ctx, Line::from(""), area, buf);
        let targets = self.targets(ctx.snap, ctx.state);
        let off = scroll_offset(ctx.state.selected, targets.len(), inner.height as usize);
        for (i, t) in targets
            .iter()
            .enumerate()
            .skip(off)
            .take(inner.height as usize)
        {
            let style = row_style(ctx, i == ctx.state.selected, ctx.state.marked.contains(t));
            let line = Line::from(t.label()).style(style);
            buf.set_line(inner.x, inner.y + (i - off) as u16, &line, inner.width);
        }
    }
}
