//! Watchdog tiers: agents grouped by where they stand, exceptions first.
//!
//! What counts, checked in this order (the first that holds wins):
//!
//! - **T3 waiting on you**: the agent waits at a pause point (its own request
//!   or a spend pause that froze it); it is retired (budget spent, killed by
//!   the operator) and out of the pool until someone decides otherwise; or an
//!   open concern routed to the human names it.
//! - **T2 in triage**: nothing sets this yet (the engine has no triage); the
//!   group appears only when it has members.
//! - **T1 anomaly**: a T1 check fired on it in the last [`ALERT_RECENT`]
//!   (the engine has already acted: restarted it, requeued or blocked its
//!   task); it is held by the operator; or its session alone is frozen. When
//!   the whole swarm is frozen the title says so instead of listing everyone.
//! - **healthy**: anything else, working or idle.
//!
//! Each agent in trouble shows what was seen (the check or pause or concern)
//! and what happens next; the detail (the check's finding, the pause's
//! reason, the concern's summary) follows on the same line, or on a line of
//! its own when the whole list fits.
//!
//! Up to [`SPAN`] agents are listed one by one. Above that, healthy agents
//! fold into teams of [`SPAN`] by their number (`builder-01`–`08` is team 1;
//! ids without a number go by position): `team 2  ●●●●●●○○  6 working, 2
//! idle`. With `[[teams]]` configured, each team has its row whether it has
//! started or waits for an earlier phase (its lead, its coders, `waits for
//! phase 1: infra, api`), and the agents of no team fold under `no team`. Team rows are not selectable: the targets are the agent rows, so
//! `j`/`k` walk the exceptions; `u` unfolds the teams into their agents,
//! each selectable (`u` again folds them), and a filter that leaves
//! [`SPAN`] or fewer agents lists them all.
//!
//! Drawing is linear: one pass each over waiting pauses, open concerns,
//! recent events and agents, then work per row on screen.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{AgentState, MINUTE, Millis};
use crate::swarm::Snapshot;
use crate::tui::format::age;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

mod rows;

use rows::{Row, Team, Trouble, rows};

pub struct WatchdogPane;

/// Span of control: one operator glance takes in this many agents.
pub const SPAN: usize = 8;
/// A T1 alert this recent keeps its agent in the T1 group.
pub const ALERT_RECENT: Millis = 15 * MINUTE;

fn tier_title(tier: u8) -> &'static str {
    match tier {
        3 => "T3 waiting on you",
        2 => "T2 in triage",
        1 => "T1 anomaly",
        _ => "healthy",
    }
}

fn summary<'a>(rows: &[Row], snap: &Snapshot, t: &Theme) -> Line<'a> {
    let mut spans = vec![Span::raw(" ")];
    if snap.state.frozen {
        spans.push(Span::styled("FROZEN · ", t.error()));
    }
    for r in rows {
        if let Row::Header { tier, count } = r {
            let label = match tier {
                3 => "T3",
                2 => "T2",
                1 => "T1",
                _ => "healthy",
            };
            spans.push(Span::styled(format!("{count} {label} "), t.tier(*tier)));
        }
    }
    if spans.len() == 1 {
        spans.push(Span::styled("no agents ", t.dim()));
    }
    Line::from(spans)
}

fn agent_line<'a>(
    a: &AgentState,
    trouble: Option<&Trouble>,
    one_line: bool,
    now: Millis,
    t: &Theme,
) -> Line<'a> {
    match trouble {
        Some(tr) => {
            let ts = t.tier(tr.tier);
            let mut spans = vec![
                Span::styled(" ● ", ts),
                Span::styled(format!("{:<11} ", a.id.as_str()), ts),
                Span::styled(tr.seen.clone(), ts),
                Span::styled(" → ", t.dim()),
                Span::styled(tr.next.clone(), t.text()),
            ];
            if let Some(m) = malformed(a) {
                spans.push(Span::styled(m, t.error()));
            }
            if one_line && !tr.detail.is_empty() {
                spans.push(Span::styled(format!(" · {}", tr.detail), t.dim()));
            }
            Line::from(spans)
        }
        None => {
            let (dot, phase) = if a.is_busy() {
                ("●", a.phase.as_str())
            } else {
                ("○", "idle")
            };
            let mut spans = vec![
                Span::styled(format!(" {dot} "), t.tier(0)),
                Span::styled(format!("{:<11} ", a.id.as_str()), t.text()),
                Span::styled(format!("{phase:<8} "), t.dim()),
                Span::styled(
                    a.task.as_ref().map_or("-", |t| t.as_str()).to_string(),
                    t.text(),
                ),
                Span::styled(
                    format!("  out {} ago", age(now - a.last_output_at)),
                    t.dim(),
                ),
            ];
            if let Some(m) = malformed(a) {
                spans.push(Span::styled(m, t.error()));
            }
            Line::from(spans)
        }
    }
}

/// The agent's count of malformed protocol lines and refused usage reports,
/// when it has any.
fn malformed(a: &AgentState) -> Option<String> {
    (a.malformed > 0).then(|| format!(" · {} malformed", a.malformed))
}

fn team_line<'a>(team: &Team, t: &Theme) -> Line<'a> {
    if let Some(f) = &team.figures {
        return named_team_line(team, f, t);
    }
    let label = if team.no_team {
        format!("{:<10}", "no team")
    } else {
        format!("team {:<3} ", team.number)
    };
    let mut spans = vec![
        Span::styled(format!("   {label}"), t.text()),
        Span::styled("●".repeat(team.working.min(SPAN)), t.tier(0)),
        Span::styled("○".repeat(team.idle.min(SPAN)), t.dim()),
        Span::raw(" ".repeat(SPAN.saturating_sub(team.working + team.idle) + 2)),
        Span::styled(
            format!("{} working, {} idle", team.working, team.idle),
            t.dim(),
        ),
    ];
    if team.above > 0 {
        spans.push(Span::styled(format!(" · {} above", team.above), t.dim()));
    }
    Line::from(spans)
}

/// How much of a team's coders' work is on its integration branch and not
/// yet on the target (its epic's integration still to land).
fn on_branch(f: &crate::domain::TeamFigures) -> String {
    match &f.branch {
        Some(b) if f.awaiting_integration > 0 => {
            format!(
                " ({} on {})",
                f.awaiting_integration,
                crate::tui::format::short_branch(b)
            )
        }
        _ => String::new(),
    }
}

/// A configured team's row: its healthy members, its lead, progress, spend
/// and what it waits for.
fn named_team_line<'a>(team: &Team, f: &crate::domain::TeamFigures, t: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(format!("   {:<9} ", f.team), t.text()),
        Span::styled("●".repeat(team.working.min(SPAN + 1)), t.tier(0)),
        Span::styled("○".repeat(team.idle.min(SPAN + 1)), t.dim()),
        Span::raw(" ".repeat((SPAN + 1).saturating_sub(team.working + team.idle) + 1)),
        Span::styled(format!("lead {} · ", f.lead), t.dim()),
    ];
    if f.started {
        spans.extend([
            Span::styled(format!("{}/{} merged", f.merged, f.tasks), t.text()),
            Span::styled(on_branch(f), t.dim()),
            Span::styled(format!(" · ${:.2}", f.spend_usd), t.money()),
        ]);
    }
    // Not started: its dots are its lead and coders, and the phases it
    // waits for come first, before the pane's edge cuts the line.
    spans.push(Span::styled(
        match (f.started, f.waits_for.as_str()) {
            (true, "landed") => " · landed".to_string(),
            (true, w) => format!(" · waits for {w}"),
            (false, w) => format!("waits for {w}"),
        },
        if f.started { t.dim() } else { t.text() },
    ));
    if !f.started {
        let s = if f.coders == 1 { "" } else { "s" };
        spans.push(Span::styled(format!(" · {} coder{s}", f.coders), t.dim()));
    }
    if team.above > 0 {
        spans.push(Span::styled(format!(" · {} above", team.above), t.dim()));
    }
    Line::from(spans)
}

impl Pane for WatchdogPane {
    fn id(&self) -> PaneId {
        PaneId::Watchdog
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        rows(snap, state)
            .into_iter()
            .filter_map(|r| match r {
                Row::Agent(a, _) => Some(Target::Agent(a.id.clone())),
                _ => None,
            })
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let rows = rows(ctx.snap, ctx.state);
        let inner = framed(ctx, summary(&rows, ctx.snap, t), area, buf);
        if inner.is_empty() {
            return;
        }
        let height = inner.height as usize;
        let details = rows
            .iter()
            .filter(|r| matches!(r, Row::Agent(_, Some(tr)) if !tr.detail.is_empty()))
            .count();
        // Details get their own line when everything then still fits.
        let one_line = rows.len() + details > height;
        let lines_of = |r: &Row| match r {
            Row::Agent(_, Some(tr)) if !one_line && !tr.detail.is_empty() => 2,
            _ => 1,
        };
        // Where the selected agent's line is, to scroll it into view.
        let mut total = 0;
        let mut selected_line = 0;
        let mut n = 0;
        for r in &rows {
            if matches!(r, Row::Agent(..)) {
                if n == ctx.state.selected {
                    selected_line = total;
                }
                n += 1;
            }
            total += lines_of(r);
        }
        let off = scroll_offset(selected_line, total, height);
        // Only rows on screen are drawn.
        let (mut y, mut target) = (0usize, 0usize);
        for r in &rows {
            let first = y;
            y += lines_of(r);
            let is_agent = matches!(r, Row::Agent(..));
            if y <= off || first >= off + height {
                target += usize::from(is_agent);
                continue;
            }
            let mut put = |at: usize, line: Line| {
                if at >= off && at < off + height {
                    super::set_line_cut(
                        buf,
                        inner.x,
                        inner.y + (at - off) as u16,
                        &line,
                        inner.width,
                    );
                }
            };
            match r {
                Row::Header { tier, count } => put(
                    first,
                    Line::styled(format!("{} · {count}", tier_title(*tier)), t.tier(*tier)),
                ),
                Row::Agent(a, tr) => {
                    let style = row_style(
                        ctx,
                        target == ctx.state.selected,
                        ctx.state.marked.contains(&Target::Agent(a.id.clone())),
                    );
                    put(
                        first,
                        agent_line(a, tr.as_ref(), one_line, ctx.snap.now, t).style(style),
                    );
                    if let Some(tr) = tr.as_ref().filter(|tr| !one_line && !tr.detail.is_empty()) {
                        put(
                            first + 1,
                            Line::styled(format!("      {}", tr.detail), t.dim()),
                        );
                    }
                    target += 1;
                }
                Row::Team(team) => put(first, team_line(team, t)),
            }
        }
        super::more_below(ctx, area, total.saturating_sub(height), buf);
    }
}

#[cfg(test)]
mod tests;
