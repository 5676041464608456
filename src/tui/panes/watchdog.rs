//! Watchdog tiers: agents grouped by where they stand.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub struct WatchdogPane;

impl Pane for WatchdogPane {
    fn id(&self) -> PaneId {
        PaneId::Watchdog
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        snap.state
            .agents
            .keys()
            .filter(|a| state.passes(a.as_str()))
            .map(|a| Target::Agent(a.clone()))
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
            let Target::Agent(id) = t else { continue };
            let a = &ctx.snap.state.agents[id];
            let style = row_style(ctx, i == ctx.state.selected, ctx.state.marked.contains(t));
            let line = Line::from(format!(
                "{:<12} {:<8} {}",
                id.as_str(),
                a.phase.as_str(),
                a.task.as_ref().map(|t| t.as_str()).unwrap_or("-")
            ))
            .style(style);
            buf.set_line(inner.x, inner.y + (i - off) as u16, &line, inner.width);
        }
    }
}
