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
//! idle`. Team rows are not selectable: the targets are the agent rows, so
//! `j`/`k` walk the exceptions (use `/` to find a healthy agent; a filter
//! that leaves [`SPAN`] or fewer agents lists them all).
//!
//! Drawing is linear: one pass each over waiting pauses, open concerns,
//! recent events and agents, then work per row on screen.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{
    AgentId, AgentPhase, AgentState, Check, Concern, MINUTE, Millis, PausePoint, Routing, TaskId,
    TaskStatus,
};
use crate::swarm::Snapshot;
use crate::tui::format::age;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::collections::HashMap;

pub struct WatchdogPane;

/// Span of control: one operator glance takes in this many agents.
pub const SPAN: usize = 8;
/// A T1 alert this recent keeps its agent in the T1 group.
pub const ALERT_RECENT: Millis = 15 * MINUTE;

/// An agent in trouble: its tier, what was seen, what happens next.
struct Trouble {
    tier: u8,
    seen: String,
    next: String,
    detail: String,
}

enum Row<'a> {
    Header { tier: u8, count: usize },
    Agent(&'a AgentState, Option<Trouble>),
    Team(Team),
}

#[derive(Default)]
struct Team {
    number: usize,
    working: usize,
    idle: usize,
    /// Members listed above, in trouble.
    above: usize,
}

/// What the pane looks at besides the agents, gathered in one pass each.
struct Facts<'a> {
    snap: &'a Snapshot,
    pauses: HashMap<&'a AgentId, &'a PausePoint>,
    concerns: HashMap<&'a AgentId, &'a Concern>,
    /// The latest alert per agent: (task, detail).
    alerts: HashMap<&'a AgentId, (Option<&'a TaskId>, &'a str)>,
    retired: HashMap<&'a AgentId, &'a str>,
}

impl<'a> Facts<'a> {
    fn new(snap: &'a Snapshot) -> Facts<'a> {
        let s = &snap.state;
        let pauses = s
            .waiting_pauses()
            .filter_map(|p| Some((p.agent.as_ref()?, p)))
            .collect();
        // The latest open concern for the human about each agent.
        let concerns = s
            .open_concerns()
            .filter(|c| c.routing == Routing::Human)
            .filter_map(|c| Some((c.agent.as_ref()?, c)))
            .collect();
        // The facts the state keeps per agent, never a window of events.
        let alerts = s
            .agents
            .values()
            .filter_map(|a| {
                let (task, detail) = a.last_alert_about.as_ref()?;
                Some((&a.id, (task.as_ref(), detail.as_str())))
            })
            .collect();
        let retired = s
            .agents
            .values()
            .filter_map(|a| Some((&a.id, a.retired_because.as_deref()?)))
            .collect();
        Facts {
            snap,
            pauses,
            concerns,
            alerts,
            retired,
        }
    }

    fn trouble(&self, a: &AgentState) -> Option<Trouble> {
        let s = &self.snap.state;
        let now = self.snap.now;
        if let Some(p) = self.pauses.get(&a.id) {
            let on = p
                .task
                .as_ref()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
            return Some(Trouble {
                tier: 3,
                seen: format!("{}{on} {}", p.id, age(now - p.raised_at)),
                next: "waits: approve or reject".into(),
                detail: p.reason.clone(),
            });
        }
        if a.phase == AgentPhase::Retired {
            return Some(Trouble {
                tier: 3,
                seen: "retired".into(),
                next: "out of the pool for good".into(),
                detail: self
                    .retired
                    .get(&a.id)
                    .map_or_else(String::new, |r| (*r).to_string()),
            });
        }
        if let Some(c) = self.concerns.get(&a.id) {
            return Some(Trouble {
                tier: 3,
                seen: format!("{} {}", c.id, c.impact.as_str()),
                next: "waits: ack, resolve or dismiss".into(),
                detail: c.summary.clone(),
            });
        }
        if let Some((check, at)) = a.last_alert
            && now - at <= ALERT_RECENT
        {
            let (task, detail) = self.alerts.get(&a.id).copied().unwrap_or((None, ""));
            return Some(Trouble {
                tier: 1,
                seen: format!("{} {} ago", check.as_str(), age(now - at)),
                next: after_alert(a, check, task, s),
                detail: detail.to_string(),
            });
        }
        if a.held {
            return Some(Trouble {
                tier: 1,
                seen: "held".into(),
                next: match &a.task {
                    Some(t) => format!("frozen on {t} until released"),
                    None => "gets no work until released".into(),
                },
                detail: String::new(),
            });
        }
        if !s.frozen
            && let Some(session) = &a.session
            && self.snap.frozen_sessions.contains(session)
        {
            return Some(Trouble {
                tier: 1,
                seen: "frozen".into(),
                next: match &a.task {
                    Some(t) => format!("{t} resumes when thawed"),
                    None => "resumes when thawed".into(),
                },
                detail: String::new(),
            });
        }
        None
    }
}

/// What became of the agent's task after the engine acted on an alert.
fn after_alert(
    a: &AgentState,
    check: Check,
    task: Option<&TaskId>,
    s: &crate::domain::SwarmState,
) -> String {
    let acted = match check {
        Check::OverTime => "stopped",
        Check::OverBudget => "stopped",
        _ => "restarted",
    };
    let Some(t) = task.and_then(|t| s.task(t)) else {
        return acted.into();
    };
    let id = t.id();
    let now_on = match &a.task {
        Some(cur) if cur != id => format!("; now on {cur}"),
        _ => String::new(),
    };
    let what = match t.status {
        TaskStatus::Pending => format!("{id} requeued, resumes from its branch"),
        TaskStatus::InProgress if t.agent.as_ref() == Some(&a.id) => format!("resumed on {id}"),
        TaskStatus::InProgress => match &t.agent {
            Some(other) => format!("{id} moved to {other}"),
            None => format!("{id} in progress"),
        },
        TaskStatus::Gating => format!("{id} at the gates"),
        TaskStatus::Queued => format!("{id} in the merge queue"),
        TaskStatus::Merged => format!("{id} merged since"),
        TaskStatus::Failed => format!("{id} failed for good"),
        TaskStatus::Blocked => format!("{id} blocked, work kept on its branch"),
    };
    format!("{acted}; {what}{now_on}")
}

/// The team an agent belongs to (1-based): by its number when its id ends
/// in one, else by its position.
fn team_of(id: &AgentId, position: usize) -> usize {
    id.as_str()
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map_or(position / SPAN + 1, |n| (n - 1) / SPAN + 1)
}

fn tier_title(tier: u8) -> &'static str {
    match tier {
        3 => "T3 waiting on you",
        2 => "T2 in triage",
        1 => "T1 anomaly",
        _ => "healthy",
    }
}

/// The rows in display order.
fn rows<'a>(snap: &'a Snapshot, state: &PaneState) -> Vec<Row<'a>> {
    let facts = Facts::new(snap);
    let agents: Vec<(usize, &AgentState)> = snap
        .state
        .agents
        .values()
        .enumerate()
        .filter(|(_, a)| state.passes(a.id.as_str()))
        .collect();
    let fold = agents.len() > SPAN;
    let mut groups: [Vec<Row>; 3] = Default::default(); // T3, T2, T1
    let mut healthy: Vec<Row> = Vec::new();
    let mut teams: Vec<Team> = Vec::new();
    let mut team_at: HashMap<usize, usize> = HashMap::new();
    let mut n_healthy = 0;
    for (pos, a) in agents {
        let trouble = facts.trouble(a);
        let team = fold.then(|| {
            let n = team_of(&a.id, pos);
            let i = *team_at.entry(n).or_insert_with(|| {
                teams.push(Team {
                    number: n,
                    ..Team::default()
                });
                teams.len() - 1
            });
            &mut teams[i]
        });
        match trouble {
            Some(tr) => {
                if let Some(team) = team {
                    team.above += 1;
                }
                groups[3 - tr.tier as usize].push(Row::Agent(a, Some(tr)));
            }
            None => {
                n_healthy += 1;
                match team {
                    Some(team) if a.is_busy() => team.working += 1,
                    Some(team) => team.idle += 1,
                    None => healthy.push(Row::Agent(a, None)),
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, g) in groups.into_iter().enumerate() {
        if !g.is_empty() {
            out.push(Row::Header {
                tier: 3 - i as u8,
                count: g.len(),
            });
            out.extend(g);
        }
    }
    if n_healthy > 0 {
        out.push(Row::Header {
            tier: 0,
            count: n_healthy,
        });
        out.extend(healthy);
        teams.sort_by_key(|t| t.number);
        out.extend(
            teams
                .into_iter()
                .filter(|t| t.working + t.idle > 0)
                .map(Row::Team),
        );
    }
    out
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
    let mut spans = vec![
        Span::styled(format!("   team {:<3} ", team.number), t.text()),
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
mod tests {
    use super::super::testkit::{Kit, draw, draws_in_tiny_areas, lines};
    use super::*;
    use crate::domain::EventKind;
    use crate::domain::{HOUR, PauseId, PauseKind};

    /// `n` agents; the first two work. builder-03 stalled a minute ago,
    /// builder-05 waits at a pause point, builder-10 was retired.
    fn kit(n: usize) -> Kit {
        let mut k = Kit::new();
        for i in 1..=n {
            k.agent(AgentId::builder(i).as_str(), "sonnet");
        }
        for t in ["auth-1", "auth-2", "auth-3", "auth-5"] {
            k.task(t, "auth");
        }
        k.assign("builder-01", "auth-1")
            .assign("builder-02", "auth-2");
        k.assign("builder-03", "auth-3")
            .assign("builder-05", "auth-5");
        k.at(10 * HOUR);
        k.ev(
            Some("builder-03"),
            Some("auth-3"),
            EventKind::WatchdogAlert {
                check: Check::Stalled,
                detail: "no output for 10 min".into(),
            },
        );
        k.ev(
            Some("builder-03"),
            Some("auth-3"),
            EventKind::SessionEnded {
                exit_code: None,
                reason: "stalled".into(),
            },
        );
        k.ev(
            None,
            Some("auth-3"),
            EventKind::TaskRequeued {
                reason: "stalled".into(),
            },
        );
        k.ev(
            Some("builder-05"),
            Some("auth-5"),
            EventKind::PauseRequested {
                id: PauseId::new("P-0001"),
                pause: PauseKind::AgentRequest,
                reason: "about to drop a table".into(),
            },
        );
        if n >= 10 {
            k.ev(
                Some("builder-10"),
                None,
                EventKind::AgentRetired {
                    reason: "spent $10.02 of its $10.00 budget".into(),
                },
            );
        }
        k.at(10 * HOUR + MINUTE);
        k
    }

    #[test]
    fn malformed_counts_are_on_the_agents_rows() {
        let mut k = kit(4);
        for (a, n) in [("builder-01", 7), ("builder-03", 2)] {
            k.snap
                .state
                .agents
                .get_mut(&AgentId::new(a))
                .unwrap()
                .malformed = n;
        }
        let l = lines(&draw(
            &WatchdogPane,
            &k.snap,
            &PaneState::default(),
            120,
            14,
        ));
        let row = |a: &str| l.iter().find(|l| l.contains(a)).unwrap().clone();
        assert!(row("builder-01").contains("· 7 malformed"), "{l:?}");
        assert!(row("builder-03").contains("· 2 malformed"), "{l:?}");
        assert!(!row("builder-02").contains("malformed"), "{l:?}");
    }

    #[test]
    fn above_eight_agents_healthy_ones_fold_into_teams() {
        let k = kit(12);
        let l = lines(&draw(
            &WatchdogPane,
            &k.snap,
            &PaneState::default(),
            110,
            14,
        ));
        assert!(l[0].contains("2 T3 1 T1 9 healthy"), "{}", l[0]);
        assert!(l[1].contains("T3 waiting on you · 2"), "{}", l[1]);
        assert!(
            l[2].contains("builder-05  P-0001 on auth-5 1m → waits: approve or reject"),
            "{}",
            l[2]
        );
        assert!(
            l[3].contains("about to drop a table"),
            "detail below: {}",
            l[3]
        );
        assert!(
            l[4].contains("builder-10  retired → out of the pool for good"),
            "{}",
            l[4]
        );
        assert!(
            l[5].contains("spent $10.02 of its $10.00 budget"),
            "{}",
            l[5]
        );
        assert!(l[6].contains("T1 anomaly · 1"), "{}", l[6]);
        assert!(
            l[7].contains(
                "builder-03  stalled 1m ago → restarted; auth-3 requeued, resumes from its branch"
            ),
            "{}",
            l[7]
        );
        assert!(l[8].contains("no output for 10 min"), "{}", l[8]);
        assert!(l[9].contains("healthy · 9"), "{}", l[9]);
        assert!(
            l[10].contains("team 1   ●●○○○○    2 working, 4 idle · 2 above"),
            "{}",
            l[10]
        );
        assert!(
            l[11].contains("team 2   ○○○       0 working, 3 idle · 1 above"),
            "{}",
            l[11]
        );
        assert_eq!(
            WatchdogPane.targets(&k.snap, &PaneState::default()),
            ["builder-05", "builder-10", "builder-03"]
                .map(|a| Target::Agent(a.into()))
                .to_vec(),
            "team rows are not selectable"
        );
    }

    #[test]
    fn eight_agents_or_fewer_are_all_listed() {
        let k = kit(8);
        let targets = WatchdogPane.targets(&k.snap, &PaneState::default());
        assert_eq!(targets.len(), 8);
        let l = lines(&draw(
            &WatchdogPane,
            &k.snap,
            &PaneState::default(),
            110,
            16,
        ));
        assert!(
            l.iter().any(|l| l.contains("builder-01  working  auth-1")),
            "{l:#?}"
        );
        assert!(l.iter().any(|l| l.contains("builder-08  idle")), "{l:#?}");
        assert!(!l.iter().any(|l| l.contains("team")), "{l:#?}");
    }

    #[test]
    fn a_short_pane_puts_details_on_the_row_and_scrolls_to_the_selection() {
        let k = kit(12);
        let state = PaneState {
            selected: 2,
            ..PaneState::default()
        };
        let l = lines(&draw(&WatchdogPane, &k.snap, &state, 140, 5));
        assert!(
            l.iter()
                .any(|l| l.contains("builder-03") && l.contains("· no output for 10 min")),
            "{l:#?}"
        );
    }

    #[test]
    fn an_old_alert_is_healthy_again() {
        let mut k = kit(5);
        k.at(10 * HOUR + ALERT_RECENT + MINUTE);
        k.ev(
            None,
            None,
            EventKind::SpeedChanged {
                speed: "max".into(),
            },
        );
        let l = lines(&draw(
            &WatchdogPane,
            &k.snap,
            &PaneState::default(),
            110,
            10,
        ));
        assert!(l[0].contains("1 T3 4 healthy"), "{}", l[0]);
    }

    #[test]
    fn a_thousand_agents_fold_to_teams() {
        let k = kit(1000);
        let targets = WatchdogPane.targets(&k.snap, &PaneState::default());
        assert_eq!(targets.len(), 3);
        let rows = rows(&k.snap, &PaneState::default());
        let teams = rows.iter().filter(|r| matches!(r, Row::Team(_))).count();
        assert_eq!(teams, 125);
        let l = lines(&draw(&WatchdogPane, &k.snap, &PaneState::default(), 80, 12));
        assert!(l[0].contains("997 healthy"), "{}", l[0]);
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        draws_in_tiny_areas(&WatchdogPane, &kit(12).snap);
        draws_in_tiny_areas(&WatchdogPane, &Snapshot::default());
    }
}
