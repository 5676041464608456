//! The convoy board: convoys as rows with progress by task status.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub struct ConvoysPane;

impl Pane for ConvoysPane {
    fn id(&self) -> PaneId {
        PaneId::Convoys
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        snap.state
            .convoys
            .iter()
            .filter(|c| state.passes(c.as_str()))
            .map(|c| Target::Convoy(c.clone()))
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let progress = ctx.snap.state.convoy_progress();
        let inner = framed(
            ctx,
            Line::from(format!(" {} convoys ", progress.len())),
            area,
            buf,
        );
        let targets = self.targets(ctx.snap, ctx.state);
        let off = scroll_offset(ctx.state.selected, targets.len(), inner.height as usize);
        for (i, t) in targets
            .iter()
            .enumerate()
            .skip(off)
            .take(inner.height as usize)
        {
            let Target::Convoy(c) = t else { continue };
            let Some(p) = progress.iter().find(|p| &p.convoy == c) else {
                continue;
            };
            let style = row_style(ctx, i == ctx.state.selected, ctx.state.marked.contains(t));
            let line = Line::from(vec![
                Span::raw(format!("{:<20} ", c.as_str())),
                Span::raw(format!(
                    "{}/{} merged ",
                    p.count(crate::domain::TaskStatus::Merged),
                    p.total
                )),
                Span::styled(p.cost.to_string(), ctx.theme.money()),
            ])
            .style(style);
            buf.set_line(inner.x, inner.y + (i - off) as u16, &line, inner.width);
        }
    }
}
