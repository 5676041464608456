//! The concern inbox: pause points on top, then open concerns by routing.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub struct InboxPane;

impl Pane for InboxPane {
    fn id(&self) -> PaneId {
        PaneId::Inbox
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        let s = &snap.state;
        let pauses = s
            .waiting_pauses()
            .filter(|p| state.passes(&p.reason))
            .map(|p| Target::Pause(p.id.clone()));
        let concerns = s
            .open_concerns()
            .filter(|c| state.passes(&c.summary))
            .map(|c| Target::Concern(c.id.clone()));
        pauses.chain(concerns).collect()
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
            let text = match t {
                Target::Pause(id) => format!(
                    "{id} {}",
                    ctx.snap
                        .state
                        .pause(id)
                        .map(|p| p.reason.as_str())
                        .unwrap_or("")
                ),
                Target::Concern(id) => format!(
                    "{id} {}",
                    ctx.snap
                        .state
                        .concern(id)
                        .map(|c| c.summary.as_str())
                        .unwrap_or("")
                ),
                _ => t.label(),
            };
            let style = row_style(ctx, i == ctx.state.selected, ctx.state.marked.contains(t));
            buf.set_line(
                inner.x,
                inner.y + (i - off) as u16,
                &Line::from(text).style(style),
                inner.width,
            );
        }
    }
}
