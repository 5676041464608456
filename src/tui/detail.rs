//! Drill-down pages: the detail of an agent, a task, a convoy, a concern or
//! a pause point. `Esc` goes back.

use super::app::App;
use super::panes::Target;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget, Wrap};

pub fn draw(app: &App, target: &Target, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let s = &app.snap.state;
    let mut lines: Vec<Line> = Vec::new();
    match target {
        Target::Agent(id) => {
            if let Some(a) = s.agent(id) {
                lines.push(Line::raw(format!(
                    "{} · {} · {}",
                    a.id,
                    a.model,
                    a.phase.as_str()
                )));
                lines.push(Line::raw(format!(
                    "cost {} · {} tokens",
                    a.cost,
                    a.usage.total()
                )));
            }
            if let Some(tail) = app.snap.tails.get(id) {
                lines.push(Line::raw(""));
                lines.extend(tail.iter().map(|l| Line::styled(l.clone(), t.dim())));
            }
        }
        Target::Task(id) => {
            if let Some(task) = s.task(id) {
                lines.push(Line::raw(format!(
                    "{} · {} · {}",
                    id, task.spec.title, task.status
                )));
            }
        }
        Target::Convoy(c) => lines.push(Line::raw(c.to_string())),
        Target::Concern(id) => {
            if let Some(c) = s.concern(id) {
                lines.push(Line::raw(format!(
                    "{id} · {} · {}",
                    c.impact.as_str(),
                    c.summary
                )));
            }
        }
        Target::Pause(id) => {
            if let Some(p) = s.pause(id) {
                lines.push(Line::raw(format!(
                    "{id} · {} · {}",
                    p.kind.as_str(),
                    p.reason
                )));
            }
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Thick)
                .border_style(t.border(true))
                .title(format!(" {} · esc back ", target.label())),
        )
        .render(area, buf);
}
