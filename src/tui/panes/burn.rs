//! Cost burn: spend over time, by agent, convoy and model, and budgets.
//!
//! The title carries what matters most in the fewest cells: the current
//! rate (spend of the last hour) and when the daily budget runs out at that
//! rate (a virtual clock time, `not today`, or `spent`). Inside, as room
//! allows, top to bottom: the day's spend against its limit, a gauge of it,
//! a sparkline of spend per minute (one column a minute, the newest on the
//! right), the agent and task limits against their top spenders, and the
//! spend by agent (top [`TOP`], selectable) with shiftboss's own model calls
//! below them, by convoy and by model.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{AgentState, HOUR, MINUTE, Millis, Money};
use crate::swarm::Snapshot;
use crate::tui::format::clock_hm;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

pub struct BurnPane;

/// Agents listed by spend (and selectable).
pub const TOP: usize = 5;

const DAY: Millis = 24 * HOUR;

/// The row of shiftboss's own model calls (the merge queue's `ai` tier).
const OWN: &str = "shiftboss (ai tier)";

/// When the day's budget runs out at the current burn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RunsOut {
    NoLimit,
    Spent,
    At(Millis),
    NotToday,
}

/// The day's spend so far (zero when no usage has come in yet today).
fn spent_today(snap: &Snapshot) -> Money {
    if snap.state.day == snap.now.div_euclid(DAY) {
        snap.state.spend_day
    } else {
        Money::ZERO
    }
}

fn runs_out(snap: &Snapshot) -> RunsOut {
    let limit = snap.day_limit;
    if limit <= Money::ZERO {
        return RunsOut::NoLimit;
    }
    let today = spent_today(snap);
    if today >= limit {
        return RunsOut::Spent;
    }
    let rate = snap.state.burn_per_hour(snap.now, HOUR);
    if rate <= Money::ZERO {
        return RunsOut::NotToday;
    }
    let left = (limit - today).0 as i128;
    let at = snap.now as i128 + left * HOUR as i128 / rate.0 as i128;
    if at.div_euclid(DAY as i128) != snap.now.div_euclid(DAY) as i128 {
        RunsOut::NotToday
    } else {
        RunsOut::At(at as Millis)
    }
}

fn share(spent: Money, limit: Money) -> f64 {
    if limit > Money::ZERO {
        spent.0 as f64 / limit.0 as f64
    } else {
        0.0
    }
}

/// The top spenders, most first, after the filter.
fn top_agents<'a>(snap: &'a Snapshot, state: &PaneState) -> Vec<&'a AgentState> {
    let mut v: Vec<&AgentState> = snap
        .state
        .agents
        .values()
        .filter(|a| a.cost > Money::ZERO && state.passes(a.id.as_str()))
        .collect();
    v.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.id.cmp(&b.id)));
    v.truncate(TOP);
    v
}

fn title<'a>(snap: &Snapshot, t: &Theme) -> Line<'a> {
    let rate = snap.state.burn_per_hour(snap.now, HOUR);
    let mut spans = vec![Span::styled(format!(" {rate}/h "), t.money())];
    let day = share(spent_today(snap), snap.day_limit);
    match runs_out(snap) {
        RunsOut::NoLimit => {}
        RunsOut::Spent => spans.push(Span::styled("· day budget spent ", t.burn(1.0))),
        RunsOut::At(at) => spans.push(Span::styled(
            format!("· runs out {} ", clock_hm(at)),
            t.burn(day.max(0.8)),
        )),
        RunsOut::NotToday => spans.push(Span::styled("· lasts the day ", t.dim())),
    }
    Line::from(spans)
}

/// `label ████░░░░ 22%`, `width` cells of bar.
fn gauge<'a>(label: &str, share: f64, width: usize, t: &Theme) -> Vec<Span<'a>> {
    let filled = ((share.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    vec![
        Span::styled(format!("{label:<6}"), t.dim()),
        Span::styled("█".repeat(filled), t.burn(share)),
        Span::styled("░".repeat(width - filled), t.dim()),
        Span::styled(format!(" {:>3.0}%", share * 100.0), t.burn(share)),
    ]
}

/// Spend per minute for the `n` minutes ending now, oldest first.
fn per_minute(snap: &Snapshot, n: usize) -> Vec<u64> {
    let mut data = vec![0u64; n];
    let last = snap.now.div_euclid(MINUTE);
    let first = last - n as i64 + 1;
    for (m, spend) in snap
        .state
        .spend_by_minute
        .iter()
        .rev()
        .take_while(|(m, _)| *m >= first)
    {
        if *m <= last {
            data[(*m - first) as usize] = spend.0.max(0) as u64;
        }
    }
    data
}

/// Name and amount, the amount right-aligned in `w` cells.
fn entry<'a>(name: &str, amount: String, w: usize, t: &Theme) -> Line<'a> {
    let aw = amount.chars().count();
    let nw = w.saturating_sub(aw + 1);
    let name: String = name.chars().take(nw).collect();
    Line::from(vec![
        Span::styled(format!("{name:<nw$} "), t.text()),
        Span::styled(amount, t.money()),
    ])
}

impl Pane for BurnPane {
    fn id(&self) -> PaneId {
        PaneId::Burn
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        top_agents(snap, state)
            .into_iter()
            .map(|a| Target::Agent(a.id.clone()))
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let (t, snap) = (ctx.theme, ctx.snap);
        let inner = framed(ctx, title(snap, t), area, buf);
        if inner.is_empty() {
            return;
        }
        let (w, h) = (inner.width as usize, inner.height);
        let spark_h: u16 = match h {
            0..=2 => 0,
            3..=7 => 1,
            8..=10 => 2,
            _ => 3,
        };
        let mut y = inner.y;
        let put = |buf: &mut Buffer, line: Line, y: &mut u16| {
            buf.set_line(inner.x, *y, &line, inner.width);
            *y += 1;
        };

        // The day.
        put(buf, day_line(snap, t), &mut y);
        if h >= 2 && snap.day_limit > Money::ZERO {
            let bar = w.saturating_sub(6 + 5).min(50);
            put(
                buf,
                Line::from(gauge(
                    "day",
                    share(spent_today(snap), snap.day_limit),
                    bar,
                    t,
                )),
                &mut y,
            );
        }

        // Spend per minute.
        if spark_h > 0 && y + spark_h <= inner.bottom() {
            let data = per_minute(snap, w);
            Sparkline::default()
                .data(&data)
                .style(t.money())
                .render(Rect::new(inner.x, y, inner.width, spark_h), buf);
            y += spark_h;
        }

        // Agent and task limits against their top spenders.
        if y < inner.bottom() && h >= 4 {
            let spans = limits(snap, w, t);
            if !spans.is_empty() {
                put(buf, Line::from(spans), &mut y);
            }
        }

        // Spend by agent, convoy and model, side by side.
        let rows = inner.bottom().saturating_sub(y) as usize;
        if rows >= 2 {
            spend_columns(ctx, Rect::new(inner.x, y, inner.width, rows as u16), buf);
        }
    }
}

/// Today's spend, of the day limit, and the total.
fn day_line<'a>(snap: &Snapshot, t: &Theme) -> Line<'a> {
    let s = &snap.state;
    let today = spent_today(snap);
    let mut head = vec![Span::styled(format!("today {today}"), t.money())];
    if snap.day_limit > Money::ZERO {
        head.push(Span::styled(format!(" of {}", snap.day_limit), t.dim()));
    }
    head.push(Span::styled(format!(" · total {}", s.spend_total), t.dim()));
    if snap.day_limit == Money::ZERO {
        head.push(Span::styled(" · no day limit", t.dim()));
    }
    Line::from(head)
}

/// The agent and task limits against their top spenders.
fn limits<'a>(snap: &Snapshot, w: usize, t: &Theme) -> Vec<Span<'a>> {
    let s = &snap.state;
    let top_agent = s.agents.values().max_by_key(|a| a.cost);
    let top_task = s.tasks.values().max_by_key(|t| t.cost);
    let mut spans = Vec::new();
    let half = if w >= 70 { w / 2 } else { w };
    let bar = half.saturating_sub(6 + 5 + 26).min(20);
    if let Some(a) = top_agent.filter(|_| snap.budget_agent > Money::ZERO) {
        let sh = share(a.cost, snap.budget_agent);
        spans.extend(gauge("agent", sh, bar, t));
        spans.push(Span::styled(
            format!(" {} {}/{} ", a.id, a.cost, snap.budget_agent),
            t.burn(sh),
        ));
    }
    if let Some(tk) = top_task.filter(|_| snap.budget_task > Money::ZERO && w >= 70) {
        let sh = share(tk.cost, snap.budget_task);
        spans.extend(gauge(" task", sh, bar, t));
        spans.push(Span::styled(
            format!(" {} {}/{}", tk.id(), tk.cost, snap.budget_task),
            t.burn(sh),
        ));
    }
    spans
}

/// Spend by agent (the pane's targets), convoy and model, in as many
/// columns as fit; the first row of `area` holds their heads.
fn spend_columns(ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let (w, y, rows) = (area.width as usize, area.y, area.height as usize);
    let cols = if w >= 66 {
        3
    } else if w >= 40 {
        2
    } else {
        1
    };
    let col_w = (w.saturating_sub(cols - 1)) / cols;
    let x_of = |c: usize| area.x + (c * (col_w + 1)) as u16;
    let list = rows - 1;

    // By agent: the targets; then shiftboss's own model calls.
    let agents = top_agents(ctx.snap, ctx.state);
    let own = s.spend_own > Money::ZERO;
    let agent_rows = if own { list - 1 } else { list };
    buf.set_stringn(x_of(0), y, "top agents", col_w, t.dim());
    let off = scroll_offset(ctx.state.selected, agents.len(), agent_rows);
    for (i, a) in agents.iter().enumerate().skip(off).take(agent_rows) {
        let target = Target::Agent(a.id.clone());
        let style = row_style(
            ctx,
            i == ctx.state.selected,
            ctx.state.marked.contains(&target),
        );
        let line = entry(a.id.as_str(), a.cost.to_string(), col_w, t).style(style);
        buf.set_line(x_of(0), y + 1 + (i - off) as u16, &line, col_w as u16);
    }
    if own {
        let shown = agents.len().saturating_sub(off).min(agent_rows);
        let line = entry(OWN, s.spend_own.to_string(), col_w, t);
        buf.set_line(x_of(0), y + 1 + shown as u16, &line, col_w as u16);
    }
    if cols >= 2 {
        let mut convoys = s.convoy_progress();
        convoys.retain(|p| p.cost > Money::ZERO);
        convoys.sort_by_key(|p| std::cmp::Reverse(p.cost));
        buf.set_stringn(x_of(1), y, "by convoy", col_w, t.dim());
        for (i, p) in convoys.iter().take(list).enumerate() {
            let line = entry(p.convoy.as_str(), p.cost.to_string(), col_w, t);
            buf.set_line(x_of(1), y + 1 + i as u16, &line, col_w as u16);
        }
    }
    if cols >= 3 {
        let mut models: Vec<(&String, &Money)> = s.spend_by_model.iter().collect();
        models.sort_by(|a, b| b.1.cmp(a.1));
        buf.set_stringn(x_of(2), y, "by model", col_w, t.dim());
        for (i, (m, spend)) in models.iter().take(list).enumerate() {
            let pct = share(**spend, s.spend_total) * 100.0;
            let line = entry(m, format!("{spend} {pct:>3.0}%"), col_w, t);
            buf.set_line(x_of(2), y + 1 + i as u16, &line, col_w as u16);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Kit, draw, draws_in_tiny_areas, lines};
    use super::*;

    /// Two agents; builder-01 spends $0.50 a minute from 09:00 to 09:59,
    /// builder-02 $1 at 08:00.
    fn kit(limit: f64) -> Kit {
        let mut k = Kit::new();
        k.agent("builder-01", "sonnet").agent("builder-02", "opus");
        k.task("auth-1", "auth").task("docs-1", "docs");
        k.assign("builder-01", "auth-1")
            .assign("builder-02", "docs-1");
        // Outside the last hour: counts for the day, not for the rate.
        k.at(8 * HOUR).spend("builder-02", "docs-1", 1.0);
        for i in 0..60 {
            k.at(9 * HOUR + i * MINUTE)
                .spend("builder-01", "auth-1", 0.5);
        }
        k.snap.day_limit = Money::from_dollars(limit);
        k.snap.budget_agent = Money::from_dollars(40.0);
        k.snap.budget_task = Money::from_dollars(20.0);
        k
    }

    #[test]
    fn the_budget_runs_out_at_the_current_burn() {
        // $31 of $101 spent, $30 in the last hour: $70 lasts 2h20m from 09:59.
        let k = kit(101.0);
        assert_eq!(runs_out(&k.snap), RunsOut::At(12 * HOUR + 19 * MINUTE));
        let l = lines(&draw(&BurnPane, &k.snap, &PaneState::default(), 100, 14));
        assert!(l[0].contains("$30.00/h · runs out 12:19"), "{}", l[0]);
        assert!(l[1].contains("today $31.00 of $101.00"), "{}", l[1]);
        assert!(l[2].contains("31%"), "{}", l[2]);
        assert!(
            l.iter().any(|l| l.contains("builder-01 $30.00/$40.00")),
            "agent limit against the top spender: {l:#?}"
        );
        assert!(
            l.iter().any(|l| l.contains("auth-1 $30.00/$20.00")),
            "task limit against the top task: {l:#?}"
        );
    }

    #[test]
    fn a_budget_that_outlasts_the_day_or_is_spent() {
        let k = kit(1000.0);
        assert_eq!(runs_out(&k.snap), RunsOut::NotToday);
        let l = lines(&draw(&BurnPane, &k.snap, &PaneState::default(), 100, 14));
        assert!(l[0].contains("lasts the day"), "{}", l[0]);
        let k = kit(20.0);
        assert_eq!(runs_out(&k.snap), RunsOut::Spent);
        let k = kit(0.0);
        assert_eq!(runs_out(&k.snap), RunsOut::NoLimit);
    }

    #[test]
    fn top_spenders_are_the_targets_and_are_listed() {
        let k = kit(100.0);
        assert_eq!(
            BurnPane.targets(&k.snap, &PaneState::default()),
            vec![
                Target::Agent("builder-01".into()),
                Target::Agent("builder-02".into())
            ]
        );
        let l = lines(&draw(&BurnPane, &k.snap, &PaneState::default(), 100, 14));
        let at = l
            .iter()
            .position(|l| l.contains("top agents"))
            .expect("listed");
        assert!(l[at].contains("by convoy") && l[at].contains("by model"));
        assert!(l[at + 1].contains("builder-01") && l[at + 1].contains("$30.00"));
        assert!(l[at + 1].contains("auth") && l[at + 1].contains("sonnet"));
        assert!(l[at + 2].contains("builder-02") && l[at + 2].contains("$1.00"));
    }

    #[test]
    fn shiftboss_own_spend_has_a_row_below_the_agents() {
        let mut k = kit(100.0);
        let l = lines(&draw(&BurnPane, &k.snap, &PaneState::default(), 100, 14));
        assert!(!l.iter().any(|l| l.contains(OWN)), "{l:#?}");
        k.snap.state.spend_own = Money::from_dollars(0.25);
        let l = lines(&draw(&BurnPane, &k.snap, &PaneState::default(), 100, 14));
        let at = l.iter().position(|l| l.contains("top agents")).unwrap();
        assert!(l[at + 1].contains("builder-01"), "{l:#?}");
        assert!(l[at + 2].contains("builder-02"), "{l:#?}");
        assert!(
            l[at + 3].contains(OWN) && l[at + 3].contains("$0.25"),
            "{l:#?}"
        );
        // Not a target: the operator selects agents only.
        assert_eq!(BurnPane.targets(&k.snap, &PaneState::default()).len(), 2);
        draws_in_tiny_areas(&BurnPane, &k.snap);
    }

    #[test]
    fn spend_per_minute_fills_quiet_minutes_with_zero() {
        let mut k = kit(100.0);
        k.at(10 * HOUR + 2 * MINUTE);
        let d = per_minute(&k.snap, 4);
        let half = Money::from_dollars(0.5).0 as u64;
        assert_eq!(d, vec![half, 0, 0, 0]);
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        draws_in_tiny_areas(&BurnPane, &kit(100.0).snap);
        draws_in_tiny_areas(&BurnPane, &Snapshot::default());
    }
}
