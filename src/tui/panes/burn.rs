//! Cost burn: spend over time, by agent, convoy and model, and budgets.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed};
use crate::domain::HOUR;
use crate::swarm::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub struct BurnPane;

impl Pane for BurnPane {
    fn id(&self) -> PaneId {
        PaneId::Burn
    }

    fn targets(&self, _snap: &Snapshot, _state: &PaneState) -> Vec<Target> {
        Vec::new()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let s = &ctx.snap.state;
        let inner = framed(ctx, Line::from(""), area, buf);
        let line = Line::styled(
            format!(
                "spent {} · {}/h",
                s.spend_total,
                s.burn_per_hour(ctx.snap.now, HOUR)
            ),
            ctx.theme.money(),
        );
        buf.set_line(inner.x, inner.y, &line, inner.width);
    }
}
