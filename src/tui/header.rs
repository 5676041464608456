//! The header line: what the swarm is doing, told truthfully. `PAUSED` or
//! `FROZEN` first (they change everything else), then how many agents are
//! really working, what is overdue, pause points, burn, the share of the
//! day's budget, and the inbox's rows by impact. The clock keeps its place
//! on the right; what does not fit is left out whole, and the line then ends
//! in `…`.

use super::app::App;
use crate::domain::{AgentPhase, HOUR, Impact, PauseKind, SwarmState, fold_concerns};
use crate::swarm::Snapshot;
use crate::tui::panes::inbox;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Agents working now: a live session that is not frozen, held, or
/// waiting on a pause point.
pub fn working(snap: &Snapshot) -> usize {
    let s = &snap.state;
    if s.frozen {
        return 0;
    }
    s.agents
        .values()
        .filter(|a| a.phase == AgentPhase::Working && !a.held)
        .filter(|a| {
            a.session
                .as_ref()
                .is_none_or(|x| !snap.frozen_sessions.contains(x))
        })
        .filter(|a| {
            a.task
                .as_ref()
                .and_then(|t| s.task(t))
                .is_none_or(|t| t.waiting_on.is_none())
        })
        .count()
}

/// The swarm takes no new work: a swarm-wide pause point waits, or every
/// convoy is held (`P`).
pub fn paused(s: &SwarmState) -> bool {
    s.waiting_pauses().any(|p| p.kind == PauseKind::Swarm)
        || (!s.convoys.is_empty() && s.convoys.iter().all(|c| s.held_convoys.contains(c)))
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let snap = &app.snap;
    buf.set_style(area, t.header());
    let mut spans = flags(app);
    spans.extend(work_and_money(t, snap));
    spans.extend(concerns_by_impact(t, &snap.state));
    let clock = format!(
        "{} · {} ",
        crate::tui::format::clock_hms(snap.now),
        snap.speed
    );
    // The clock keeps its place on the right; the rest is cut before it.
    let w = clock.chars().count() as u16;
    let room = if area.width > w + 10 {
        area.width - w
    } else {
        area.width
    } as usize;
    let line = whole_pieces(t, spans, room);
    buf.set_line(area.x, area.y, &Line::from(line), room as u16);
    if (room as u16) < area.width {
        buf.set_string(area.x + room as u16, area.y, clock, t.header());
    }
}

/// The name, then what changes everything else: FROZEN or PAUSED, the
/// sandbox off, a read-only view.
fn flags(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let s = &app.snap.state;
    let mut spans = vec![Span::styled(" shiftboss ", t.title(true))];
    if s.frozen {
        spans.push(Span::styled("FROZEN ", t.error()));
    } else if paused(s) {
        spans.push(Span::styled("PAUSED ", t.pause()));
    }
    if app.snap.sandbox_off {
        spans.push(Span::styled("SANDBOX OFF ", t.error()));
    }
    if app.readonly {
        spans.push(Span::styled("read-only ", t.dim()));
    }
    spans
}

/// Agents working of those alive, what is overdue, pause points, the burn
/// and the share of the day's budget.
fn work_and_money(t: &Theme, snap: &Snapshot) -> Vec<Span<'static>> {
    let s = &snap.state;
    let mut spans = Vec::new();
    let live = s
        .agents
        .values()
        .filter(|a| a.phase != AgentPhase::Retired)
        .count();
    spans.push(Span::styled(
        format!("{}/{live} working ", working(snap)),
        t.text(),
    ));
    let counts = inbox::counts(snap);
    if counts.overdue > 0 {
        spans.push(Span::styled(
            format!("· {} overdue ", counts.overdue),
            t.error(),
        ));
    }
    let pauses = counts.pauses;
    spans.push(Span::styled(
        format!("· {pauses} pause{} ", if pauses == 1 { "" } else { "s" }),
        if pauses > 0 { t.pause() } else { t.dim() },
    ));
    spans.push(Span::styled(
        format!("· {}/h ", s.burn_per_hour(snap.now, HOUR)),
        t.money(),
    ));
    let day_limit = snap.day_limit.dollars();
    if day_limit > 0.0 {
        let share = s.spend_day.dollars() / day_limit;
        spans.push(Span::styled(
            format!("· {:.0}% of budget ", share * 100.0),
            t.burn(share),
        ));
    }
    spans
}

/// The inbox's open rows by their (highest) impact.
fn concerns_by_impact(t: &Theme, s: &SwarmState) -> Vec<Span<'static>> {
    let mut by_impact = [0usize; 4];
    for f in fold_concerns(s.open_concerns())
        .iter()
        .filter(|f| !f.acked())
    {
        by_impact[f.impact() as usize] += 1;
    }
    let mut spans = vec![Span::styled("· concerns ", t.text())];
    for (imp, label) in [
        (Impact::Critical, "crit"),
        (Impact::High, "high"),
        (Impact::Medium, "med"),
        (Impact::Low, "low"),
    ] {
        let n = by_impact[imp as usize];
        spans.push(Span::styled(
            format!("{n} {label} "),
            if n > 0 { t.impact(imp) } else { t.dim() },
        ));
    }
    spans
}

/// Whole pieces only, within `room`; when some are left out, the line ends
/// in `…`.
fn whole_pieces(t: &Theme, spans: Vec<Span<'static>>, room: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(Span::width).sum();
    if total < room {
        return spans;
    }
    let mut line = Vec::new();
    let mut used = 0usize;
    for sp in spans {
        if used + sp.width() + 1 >= room {
            break;
        }
        used += sp.width();
        line.push(sp);
    }
    line.push(Span::styled("…", t.dim()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use crate::tui::action::KeyMap;
    use crate::tui::detail::tests::Day;
    use crate::tui::theme::Theme;

    fn header(snap: &Snapshot, w: u16) -> String {
        let app = App::new(
            snap.clone(),
            Theme::builtin("dark").unwrap(),
            KeyMap::defaults(false),
            false,
        );
        let area = Rect::new(0, 0, w, 1);
        let mut buf = Buffer::empty(area);
        draw(&app, area, &mut buf);
        (0..w).map(|x| buf[(x, 0)].symbol().to_string()).collect()
    }

    #[test]
    fn working_counts_only_agents_at_work_and_paused_is_said() {
        let mut d = Day::standard();
        // builder-01 works auth-3 … (Day::standard leaves both agents with
        // a task); builder-02 waits at the pause point P-0001.
        let out = header(&d.snap, 160);
        assert!(out.contains("1/2 working"), "{out}");
        assert!(!out.contains("PAUSED"), "{out}");
        d.ev(
            201,
            Some("builder-01"),
            None,
            EventKind::AgentHeld { held: true },
        );
        assert_eq!(working(&d.snap), 0, "held and waiting are not working");
        d.ev(
            202,
            None,
            None,
            EventKind::PauseRequested {
                id: "P-0002".into(),
                pause: PauseKind::Swarm,
                reason: "before the release merge".into(),
            },
        );
        let out = header(&d.snap, 160);
        assert!(
            out.contains("PAUSED") && out.contains("0/2 working"),
            "{out}"
        );
        assert!(!out.contains("of day"), "{out}");
    }

    #[test]
    fn every_convoy_held_is_paused_too() {
        let mut d = Day::standard();
        let convoys = d.snap.state.convoys.clone();
        assert!(!convoys.is_empty());
        for (n, c) in convoys.iter().enumerate() {
            assert!(!header(&d.snap, 160).contains("PAUSED"), "{n} held");
            d.snap.state.apply(&Event {
                at: 300 * SECOND,
                actor: Actor::Operator,
                agent: None,
                task: None,
                convoy: Some(c.clone()),
                model: None,
                session: None,
                kind: EventKind::ConvoyHeld { held: true },
            });
        }
        assert!(header(&d.snap, 160).contains("PAUSED"));
    }

    #[test]
    fn a_narrow_header_keeps_the_flags_and_ends_in_an_ellipsis() {
        let mut d = Day::standard();
        d.ev(
            202,
            None,
            None,
            EventKind::PauseRequested {
                id: "P-0002".into(),
                pause: PauseKind::Swarm,
                reason: "before the migration".into(),
            },
        );
        let out = header(&d.snap, 60);
        assert!(out.contains("PAUSED"), "{out}");
        assert!(out.contains('…'), "{out}");
    }
}
