//! The concern inbox: pause points waiting for the operator on top (oldest
//! first: they hold work), then concerns folded into rows by the fold rules
//! of [`crate::domain::fold_concerns`] and sorted by what needs the
//! operator first: impact, routing, age. A folded row shows its highest
//! impact and lowest confidence, acts on its most urgent member and opens to
//! all its members.
//!
//! Columns: id, impact, confidence, routing, age (or, once overdue, `+` and
//! how long it has been overdue), the fold's count, then the concern's text
//! (at least 40 characters of it at 80 columns). Wide terminals add the
//! source and the task as columns; narrow ones put the task after the text.

use super::{
    DrawCtx, Pane, PaneId, PaneState, Target, framed, more_below, row_style, scroll_offset,
    set_line_cut,
};
use crate::domain::{
    ConcernId, Fold, PauseKind, PausePoint, Routing, SwarmState, fold_concerns, swarm_readiness,
};
use crate::swarm::Snapshot;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

mod rows;

use rows::Cols;

pub struct InboxPane;

/// Open and acked concerns, folded and in inbox order.
pub fn folded(snap: &Snapshot) -> Vec<Fold<'_>> {
    fold_concerns(snap.state.open_concerns())
}

/// The concerns an answer to `id` answers: every member of the row that
/// holds it (true duplicates), `id` first; just `id` when no row holds it.
pub fn answered_with(snap: &Snapshot, id: &ConcernId) -> Vec<ConcernId> {
    let mut out = vec![id.clone()];
    if let Some(f) = folded(snap)
        .into_iter()
        .find(|f| f.members.iter().any(|m| &m.id == id))
    {
        out.extend(f.members.iter().map(|m| m.id.clone()).filter(|m| m != id));
    }
    out
}

/// Pause points waiting for the operator, oldest first.
pub fn waiting(snap: &Snapshot) -> Vec<&PausePoint> {
    waiting_in(&snap.state)
}

/// [`waiting`] of a state no snapshot holds.
pub fn waiting_in(state: &SwarmState) -> Vec<&PausePoint> {
    let mut v: Vec<&PausePoint> = state.waiting_pauses().collect();
    v.sort_by_key(|p| (p.raised_at, p.id.clone()));
    v
}

/// A pause point's text: its reason, the swarm's readiness for a
/// swarm-wide one, and who waits on it.
fn pause_text(snap: &Snapshot, p: &PausePoint) -> String {
    let mut text = String::new();
    if p.kind == PauseKind::Swarm {
        let (ready, total) = swarm_readiness(&snap.state);
        text.push_str(&format!("ready {ready}/{total} · "));
    }
    text.push_str(&p.reason);
    match (&p.agent, &p.task) {
        (Some(a), Some(t)) => text.push_str(&format!(" · {a} on {t}")),
        (Some(a), None) => text.push_str(&format!(" · {a}")),
        (None, Some(t)) => text.push_str(&format!(" · {t}")),
        (None, None) => {}
    }
    text
}

fn filter_pause_text(snap: &Snapshot, p: &PausePoint) -> String {
    format!("{} pause {} {}", p.id, p.kind.as_str(), pause_text(snap, p))
}

fn concern_text(f: &Fold) -> String {
    let c = f.lead();
    format!(
        "{} {} {} {} {} {} {}",
        c.id,
        f.routing().as_str(),
        f.impact().as_str(),
        c.source.as_str(),
        c.agent.as_ref().map(|a| a.as_str()).unwrap_or(""),
        c.task.as_ref().map(|t| t.as_str()).unwrap_or(""),
        c.summary
    )
}

enum Row<'a> {
    Pause(&'a PausePoint),
    Concern(Fold<'a>),
}

impl Row<'_> {
    fn target(&self) -> Target {
        match self {
            Row::Pause(p) => Target::Pause(p.id.clone()),
            Row::Concern(f) => Target::Concern(f.lead().id.clone()),
        }
    }
}

fn visible<'a>(snap: &'a Snapshot, state: &PaneState) -> Vec<Row<'a>> {
    let pauses = waiting(snap)
        .into_iter()
        .filter(|p| state.passes(&filter_pause_text(snap, p)))
        .map(Row::Pause);
    let concerns = folded(snap)
        .into_iter()
        .filter(|f| state.passes(&concern_text(f)))
        .map(Row::Concern);
    pauses.chain(concerns).collect()
}

/// Rows by routing as the inbox draws them (a folded row counts once, by
/// its most urgent routing; acked rows apart), pause points, and how many
/// of either are overdue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pauses: usize,
    pub human: usize,
    pub triage: usize,
    pub log: usize,
    pub acked: usize,
    pub overdue: usize,
}

pub fn counts(snap: &Snapshot) -> Counts {
    let mut n = Counts::default();
    for p in snap.state.waiting_pauses() {
        n.pauses += 1;
        n.overdue += usize::from(p.overdue_since.is_some());
    }
    for f in folded(snap) {
        if f.acked() {
            n.acked += 1;
            continue;
        }
        n.overdue += usize::from(f.overdue_since().is_some());
        match f.routing() {
            Routing::Human => n.human += 1,
            Routing::Triage => n.triage += 1,
            Routing::Log => n.log += 1,
        }
    }
    n
}

/// The pane's title: pause points, overdue rows, rows by routing.
fn title(t: &Theme, n: &Counts) -> Line<'static> {
    let mut summary = vec![Span::styled(
        format!(
            " {} pause{} ",
            n.pauses,
            if n.pauses == 1 { "" } else { "s" }
        ),
        if n.pauses > 0 { t.pause() } else { t.dim() },
    )];
    if n.overdue > 0 {
        summary.push(Span::styled("·", t.dim()));
        summary.push(Span::styled(format!(" {} overdue ", n.overdue), t.error()));
    }
    for (k, word) in [
        (n.human, "human"),
        (n.triage, "triage"),
        (n.log, "log"),
        (n.acked, "acked"),
    ] {
        summary.push(Span::styled("·", t.dim()));
        summary.push(Span::styled(
            format!(" {k} {word} "),
            if k > 0 && word == "human" {
                t.tier(3)
            } else {
                t.dim()
            },
        ));
    }
    Line::from(summary)
}

impl Pane for InboxPane {
    fn id(&self) -> PaneId {
        PaneId::Inbox
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        visible(snap, state).iter().map(Row::target).collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let snap = ctx.snap;
        let inner = framed(ctx, title(t, &counts(snap)), area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let rows = visible(snap, ctx.state);
        if rows.is_empty() {
            buf.set_line(
                inner.x,
                inner.y,
                &Line::styled("nothing waits for you", t.dim()),
                inner.width,
            );
            return;
        }
        let cols = Cols {
            wide: inner.width >= 120,
        };
        // The column header, when there is room for rows under it.
        let (top, height) = if inner.height >= 3 {
            set_line_cut(
                buf,
                inner.x,
                inner.y,
                &Line::styled(cols.header(), t.dim()),
                inner.width,
            );
            (inner.y + 1, inner.height as usize - 1)
        } else {
            (inner.y, inner.height as usize)
        };
        let off = scroll_offset(ctx.state.selected, rows.len(), height);
        for (i, row) in rows.iter().enumerate().skip(off).take(height) {
            let target = row.target();
            let base = row_style(
                ctx,
                i == ctx.state.selected,
                ctx.state.marked.contains(&target),
            );
            let line = rows::line(snap, t, &cols, row);
            set_line_cut(
                buf,
                inner.x,
                top + (i - off) as u16,
                &line.style(base),
                inner.width,
            );
        }
        more_below(ctx, area, rows.len().saturating_sub(height), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use crate::tui::detail::tests::{Day, pane_text};

    fn row_of(out: &str, needle: &str) -> usize {
        out.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not drawn:\n{out}"))
    }

    #[test]
    fn pause_points_stand_above_concerns_sorted_by_routing() {
        let d = Day::standard();
        let st = PaneState::default();
        let out = pane_text(&InboxPane, &d.snap, &st, 120, 12);
        let pause = row_of(&out, "P-0001");
        let order: Vec<usize> = ["C-0004", "C-0002", "C-0001", "C-0003"]
            .iter()
            .map(|c| row_of(&out, c))
            .collect();
        assert!(order.iter().all(|r| *r > pause), "{out}");
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "human (critical, then unsure high), triage, log:\n{out}"
        );
        // Selection order is draw order.
        let targets = InboxPane.targets(&d.snap, &st);
        let ids: Vec<String> = targets.iter().map(|t| t.label()).collect();
        assert_eq!(ids, ["P-0001", "C-0004", "C-0002", "C-0001", "C-0003"]);
    }

    #[test]
    fn duplicates_fold_into_a_count_and_target_the_most_urgent() {
        let mut d = Day::standard();
        for (i, at) in [(5, 81), (6, 82)] {
            d.concern(
                at,
                &format!("C-000{i}"),
                ConcernSource::Agent,
                Some("auth-3"),
                "not sure at all",
                (0.2, Impact::High),
            );
        }
        // The watchdog restarts builder-01 on auth-3 twice: summaries differ,
        // the check and task do not.
        for (i, at, n) in [(7, 90, 20), (8, 95, 21)] {
            d.ev(
                at,
                Some("builder-01"),
                Some("auth-3"),
                EventKind::WatchdogAlert {
                    check: Check::Looping,
                    detail: format!("printed the same line {n} times"),
                },
            );
            d.concern(
                at,
                &format!("C-000{i}"),
                ConcernSource::Watchdog,
                Some("auth-3"),
                &format!("builder-01 restarted on auth-3: printed the same line {n} times"),
                (0.8, Impact::Medium),
            );
        }
        let st = PaneState::default();
        let out = pane_text(&InboxPane, &d.snap, &st, 140, 12);
        let line = &out
            .lines()
            .nth(row_of(&out, "not sure at all"))
            .unwrap()
            .to_string();
        // Equally unsure and equally high: the row acts on the oldest.
        assert!(line.contains("×3") && line.contains("C-0002"), "{out}");
        let line = &out
            .lines()
            .nth(row_of(&out, "restarted on auth-3"))
            .unwrap()
            .to_string();
        assert!(line.contains("×2") && line.contains("C-0007"), "{out}");
        let targets = InboxPane.targets(&d.snap, &st);
        assert!(targets.contains(&Target::Concern("C-0002".into())));
        assert!(!targets.contains(&Target::Concern("C-0006".into())));
        assert_eq!(
            targets.len(),
            1 + 5,
            "pause + four kinds of concern + the watchdog fold"
        );
    }

    #[test]
    fn acked_concerns_stay_but_sink_and_dim() {
        let mut d = Day::standard();
        d.ev(
            99,
            None,
            None,
            EventKind::ConcernDisposed {
                id: "C-0004".into(),
                disposition: Disposition::Acked,
            },
        );
        d.ev(
            99,
            None,
            None,
            EventKind::ConcernDisposed {
                id: "C-0001".into(),
                disposition: Disposition::Resolved,
            },
        );
        let st = PaneState::default();
        let out = pane_text(&InboxPane, &d.snap, &st, 120, 12);
        assert!(row_of(&out, "C-0004") > row_of(&out, "C-0003"), "{out}");
        assert!(out.contains("(acked)"), "{out}");
        assert!(!out.contains("C-0001"), "resolved leaves the inbox: {out}");
    }

    #[test]
    fn the_filter_applies_to_draw_and_targets_alike() {
        let d = Day::standard();
        let st = PaneState {
            filter: "SURE".into(),
            ..Default::default()
        };
        let targets = InboxPane.targets(&d.snap, &st);
        assert_eq!(
            targets,
            [
                Target::Concern("C-0002".into()),
                Target::Concern("C-0001".into())
            ]
        );
        let out = pane_text(&InboxPane, &d.snap, &st, 120, 8);
        assert!(!out.contains("P-0001"), "{out}");
    }

    #[test]
    fn at_80_columns_each_concern_shows_40_characters_and_a_cut_list_says_how_many_more() {
        let mut d = Day::standard();
        let long = "the migration drops the legacy sessions table before the new one is filled";
        d.concern(
            90,
            "C-0005",
            ConcernSource::Agent,
            Some("auth-3"),
            long,
            (0.3, Impact::Critical),
        );
        // An inbox pane of the floor at 80x24: 80 wide, 7 high.
        let out = pane_text(&InboxPane, &d.snap, &PaneState::default(), 80, 7);
        let row = out.lines().nth(row_of(&out, "C-0005")).unwrap();
        let shown: String = long.chars().take(40).collect();
        assert!(row.contains(&shown), "{out}");
        assert!(
            row.trim_end_matches(['│', '┃']).trim_end().ends_with('…'),
            "{out}"
        );
        assert!(
            out.lines().nth(1).unwrap().contains("route"),
            "column headers: {out}"
        );
        // 6 rows (a pause and five concerns) in 4: 2 more, said on the border.
        assert!(out.lines().last().unwrap().contains("… 2 more"), "{out}");
    }

    #[test]
    fn overdue_rows_say_for_how_long_and_the_title_counts_them() {
        let mut d = Day::standard();
        d.ev(
            100,
            Some("builder-01"),
            Some("auth-3"),
            EventKind::ConcernReraised {
                id: "C-0004".into(),
                round: 1,
                waited: 10 * MINUTE,
            },
        );
        d.snap.now = 100 * SECOND + 25 * MINUTE;
        let out = pane_text(&InboxPane, &d.snap, &PaneState::default(), 120, 12);
        assert!(out.contains("1 overdue"), "{out}");
        let row = out.lines().nth(row_of(&out, "C-0004")).unwrap();
        assert!(row.contains("+25m"), "{out}");
    }

    #[test]
    fn an_answer_to_a_folded_row_answers_every_member() {
        use crate::engine::Command;
        use crate::tui::action::{Key, KeyMap};
        use crate::tui::app::App;
        use crate::tui::theme::Theme;
        let mut d = Day::standard();
        for (id, at) in [("C-0005", 81), ("C-0006", 82)] {
            d.concern(
                at,
                id,
                ConcernSource::Agent,
                Some("auth-3"),
                "not sure at all",
                (0.2, Impact::High),
            );
        }
        let mut app = App::new(
            d.snap.clone(),
            Theme::builtin("dark").unwrap(),
            KeyMap::defaults(false),
            false,
        );
        app.focus = PaneId::Inbox;
        // The pause, the critical one, then the fold of three.
        for k in ["j", "j", "a"] {
            app.key(Key::parse(k).unwrap());
        }
        assert_eq!(
            app.outbox,
            ["C-0002", "C-0005", "C-0006"]
                .map(|c| Command::AckConcern(c.into()))
                .to_vec()
        );
        app.outbox.clear();
        for k in ["d", "d", "u", "p", "enter"] {
            app.key(Key::parse(k).unwrap());
        }
        assert_eq!(app.outbox.len(), 3, "{:?}", app.outbox);
        assert!(
            app.outbox
                .iter()
                .all(|c| matches!(c, Command::DismissConcern(_, r) if r == "dup"))
        );
    }

    #[test]
    fn draws_in_tiny_areas() {
        let d = Day::standard();
        for (w, h) in [(20, 5), (2, 2), (0, 0), (20, 3)] {
            let _ = pane_text(&InboxPane, &d.snap, &PaneState::default(), w, h);
        }
    }
}
