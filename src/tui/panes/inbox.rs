//! The concern inbox: pause points waiting for the operator on top (oldest
//! first: they hold work), then concerns, folded and sorted.
//!
//! Order of concerns: open before acked; within each, by routing (human,
//! triage, log), then impact (critical first), then confidence (least sure
//! first: a shaky critical finding is the one a person must look at), then
//! newest first.
//!
//! Folding: concerns that say the same thing become one row with a count
//! (`×3`). Two concerns say the same thing when
//! - both come from the watchdog about the same task and the same T1 check
//!   (the check is read from the `watchdog_alert` that raised the concern;
//!   the summaries differ in counts and times, so text would not fold them);
//! - otherwise, they have the same source and the same summary text.
//!
//! Open and acked concerns never fold together: a repeat after an ack is
//! news. A folded row shows and targets its newest member.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{Concern, Disposition, PausePoint, TaskId};
use crate::swarm::Snapshot;
use crate::tui::format::{age, cell};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::collections::BTreeMap;

pub struct InboxPane;

/// What makes two concerns the same.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FoldKey {
    /// The same watchdog check on the same task.
    Check(&'static str, TaskId),
    /// The same source and summary.
    Text(String, String),
}

/// Watchdog concerns fold by the check behind them (kept by the state) and
/// their task; others by what they say.
pub fn fold_key(c: &Concern) -> FoldKey {
    match (c.check, &c.task) {
        (Some(check), Some(task)) => FoldKey::Check(check.as_str(), task.clone()),
        _ => FoldKey::Text(c.source.as_str().to_string(), c.summary.clone()),
    }
}

/// Concerns that say the same thing, newest last.
#[derive(Clone, Debug)]
pub struct Folded<'a> {
    pub members: Vec<&'a Concern>,
}

impl<'a> Folded<'a> {
    pub fn newest(&self) -> &'a Concern {
        self.members.last().expect("a fold has a member")
    }

    pub fn acked(&self) -> bool {
        self.newest().disposition == Disposition::Acked
    }

    pub fn count(&self) -> usize {
        self.members.len()
    }
}

/// Open and acked concerns, folded and in inbox order.
pub fn folded(snap: &Snapshot) -> Vec<Folded<'_>> {
    let mut groups: BTreeMap<(bool, FoldKey), Folded> = BTreeMap::new();
    let mut concerns: Vec<&Concern> = snap.state.open_concerns().collect();
    concerns.sort_by_key(|c| (c.raised_at, c.id.clone()));
    for c in concerns {
        let acked = c.disposition == Disposition::Acked;
        groups
            .entry((acked, fold_key(c)))
            .or_insert_with(|| Folded {
                members: Vec::new(),
            })
            .members
            .push(c);
    }
    let mut out: Vec<Folded> = groups.into_values().collect();
    out.sort_by(|a, b| {
        let (x, y) = (a.newest(), b.newest());
        a.acked()
            .cmp(&b.acked())
            .then(x.routing.cmp(&y.routing))
            .then(y.impact.cmp(&x.impact))
            .then(x.confidence.total_cmp(&y.confidence))
            .then(y.raised_at.cmp(&x.raised_at))
            .then(x.id.cmp(&y.id))
    });
    out
}

/// Pause points waiting for the operator, oldest first.
pub fn waiting(snap: &Snapshot) -> Vec<&PausePoint> {
    let mut v: Vec<&PausePoint> = snap.state.waiting_pauses().collect();
    v.sort_by_key(|p| (p.raised_at, p.id.clone()));
    v
}

fn pause_text(p: &PausePoint) -> String {
    format!(
        "{} {} {} {} {}",
        p.id,
        p.kind.as_str(),
        p.agent.as_ref().map(|a| a.as_str()).unwrap_or(""),
        p.task.as_ref().map(|t| t.as_str()).unwrap_or(""),
        p.reason
    )
}

fn concern_text(f: &Folded) -> String {
    let c = f.newest();
    format!(
        "{} {} {} {} {} {} {}",
        c.id,
        c.routing.as_str(),
        c.impact.as_str(),
        c.source.as_str(),
        c.agent.as_ref().map(|a| a.as_str()).unwrap_or(""),
        c.task.as_ref().map(|t| t.as_str()).unwrap_or(""),
        c.summary
    )
}

enum Row<'a> {
    Pause(&'a PausePoint),
    Concern(Folded<'a>),
}

impl Row<'_> {
    fn target(&self) -> Target {
        match self {
            Row::Pause(p) => Target::Pause(p.id.clone()),
            Row::Concern(f) => Target::Concern(f.newest().id.clone()),
        }
    }
}

fn visible<'a>(snap: &'a Snapshot, state: &PaneState) -> Vec<Row<'a>> {
    let pauses = waiting(snap)
        .into_iter()
        .filter(|p| state.passes(&pause_text(p)))
        .map(Row::Pause);
    let concerns = folded(snap)
        .into_iter()
        .filter(|f| state.passes(&concern_text(f)))
        .map(Row::Concern);
    pauses.chain(concerns).collect()
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
        let pauses = snap.state.waiting_pauses().count();
        let all = folded(snap);
        let mut by_routing = [0usize; 3];
        let mut acked = 0;
        for f in &all {
            if f.acked() {
                acked += f.count();
            } else {
                by_routing[f.newest().routing as usize] += f.count();
            }
        }
        let mut summary = vec![Span::styled(
            format!(" {pauses} pause{} ", if pauses == 1 { "" } else { "s" }),
            if pauses > 0 { t.pause() } else { t.dim() },
        )];
        for (n, word) in [
            (by_routing[0], "human"),
            (by_routing[1], "triage"),
            (by_routing[2], "log"),
            (acked, "acked"),
        ] {
            summary.push(Span::styled("·", t.dim()));
            summary.push(Span::styled(
                format!(" {n} {word} "),
                if n > 0 && word == "human" {
                    t.tier(3)
                } else {
                    t.dim()
                },
            ));
        }
        let inner = framed(ctx, Line::from(summary), area, buf);
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
        let height = inner.height as usize;
        let off = scroll_offset(ctx.state.selected, rows.len(), height);
        for (i, row) in rows.iter().enumerate().skip(off).take(height) {
            let target = row.target();
            let base = row_style(
                ctx,
                i == ctx.state.selected,
                ctx.state.marked.contains(&target),
            );
            let line = match row {
                Row::Pause(p) => Line::from(vec![
                    Span::styled("⏸ ", t.pause()),
                    Span::styled(cell(p.id.as_str(), 8), t.pause()),
                    Span::styled(cell("pause", 7), t.pause()),
                    Span::styled(cell(p.kind.as_str(), 15), t.pause()),
                    Span::styled(
                        cell(p.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"), 11),
                        t.dim(),
                    ),
                    Span::styled(format!("{:>6}    ", age(snap.now - p.raised_at)), t.dim()),
                    Span::styled(
                        p.task
                            .as_ref()
                            .map(|t| format!("{t} · "))
                            .unwrap_or_default(),
                        t.dim(),
                    ),
                    Span::styled(p.reason.clone(), t.text()),
                ]),
                Row::Concern(f) => {
                    let c = f.newest();
                    let dim = f.acked();
                    let style = |s| if dim { t.dim() } else { s };
                    let count = if f.count() > 1 {
                        format!("×{}", f.count())
                    } else {
                        String::new()
                    };
                    let mut spans = vec![
                        Span::styled(if dim { "○ " } else { "● " }, style(t.impact(c.impact))),
                        Span::styled(cell(c.id.as_str(), 8), style(t.text())),
                        Span::styled(cell(c.routing.as_str(), 7), style(t.text())),
                        Span::styled(cell(c.impact.as_str(), 9), style(t.impact(c.impact))),
                        Span::styled(format!("{:.2}  ", c.confidence), t.dim()),
                        Span::styled(cell(c.source.as_str(), 11), t.dim()),
                        Span::styled(format!("{:>6} ", age(snap.now - c.raised_at)), t.dim()),
                        Span::styled(format!("{:<3}", count), style(t.marked())),
                    ];
                    if let Some(task) = &c.task
                        && !c.summary.contains(task.as_str())
                    {
                        spans.push(Span::styled(format!("{task} · "), t.dim()));
                    }
                    spans.push(Span::styled(c.summary.clone(), style(t.text())));
                    if dim {
                        spans.push(Span::styled(" (acked)", t.dim()));
                    }
                    Line::from(spans)
                }
            };
            buf.set_line(
                inner.x,
                inner.y + (i - off) as u16,
                &line.style(base),
                inner.width,
            );
        }
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
    fn duplicates_fold_into_a_count_and_target_the_newest() {
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
        assert!(line.contains("×3") && line.contains("C-0006"), "{out}");
        let line = &out
            .lines()
            .nth(row_of(&out, "restarted on auth-3"))
            .unwrap()
            .to_string();
        assert!(line.contains("×2") && line.contains("C-0008"), "{out}");
        let targets = InboxPane.targets(&d.snap, &st);
        assert!(targets.contains(&Target::Concern("C-0006".into())));
        assert!(!targets.contains(&Target::Concern("C-0002".into())));
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
    fn draws_in_tiny_areas() {
        let d = Day::standard();
        for (w, h) in [(20, 5), (2, 2), (0, 0), (20, 3)] {
            let _ = pane_text(&InboxPane, &d.snap, &PaneState::default(), w, h);
        }
    }
}
