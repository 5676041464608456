//! The convoy board: convoys as rows with progress by task status.
//!
//! Exception first: stranded convoys (a failed or blocked member, so they
//! cannot finish on their own) sort to the top, most failures first, marked
//! `✗` with their failed and blocked counts; then convoys in flight, then
//! those not started, and finished ones last. A held convoy keeps its place,
//! is marked `‖` and shows `held` where the estimate would be.
//!
//! A row: marker, name, a stacked bar of the convoy's tasks by status
//! (merged · queued · gating · in progress · failed · blocked · pending), the
//! merged count `9/14`, trouble counts, cost so far, and the estimated finish
//! from the convoy's merge rate so far (merged tasks over the time since its
//! first task started) at the current virtual time, or `—` before the first
//! merge. A convoy with members that may conflict (the scheduler saw
//! in-flight tasks change files in their scope before they started, and
//! they are not merged yet) shows `~N may conflict` after its trouble. Narrow
//! panes drop the estimate, the cost and that count, then the bar.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{ConvoyId, ConvoyProgress, HOUR, Millis, TaskStatus};
use crate::swarm::Snapshot;
use crate::tui::format::clock_hm;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::collections::HashMap;

pub struct ConvoysPane;

/// Bar segments, left to right: done work, work on its way, trouble, and
/// the pending track.
const BAR_ORDER: [TaskStatus; 7] = [
    TaskStatus::Merged,
    TaskStatus::Queued,
    TaskStatus::Gating,
    TaskStatus::InProgress,
    TaskStatus::Failed,
    TaskStatus::Blocked,
    TaskStatus::Pending,
];

/// The longest name shown before it is cut with `…`.
const NAME_MAX: usize = 18;

/// Where a convoy stands, in board order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    Stranded,
    InFlight,
    NotStarted,
    Done,
}

/// When a convoy will be done, as far as anyone can tell.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Finish {
    Done(Millis),
    Stranded,
    Held,
    Unknown,
    At(Millis),
}

struct Row {
    progress: ConvoyProgress,
    standing: Standing,
    held: bool,
    finish: Finish,
    /// Members likely to conflict: a prediction with files, not merged yet.
    likely: usize,
}

/// Whether a task is likely to conflict: before it started, in-flight
/// tasks changed files in its scope, and it is not merged yet.
pub fn likely_conflict(t: &crate::domain::Task) -> bool {
    t.status != TaskStatus::Merged && t.prediction.as_ref().is_some_and(|p| !p.files.is_empty())
}

impl Row {
    fn trouble(&self) -> u32 {
        self.progress.count(TaskStatus::Failed) + self.progress.count(TaskStatus::Blocked)
    }
}

/// The board in display order: one pass over the tasks for the times, one
/// sort over the convoys.
fn board(snap: &Snapshot) -> Vec<Row> {
    let s = &snap.state;
    let progress = s.convoy_progress();
    let index: HashMap<&ConvoyId, usize> = progress
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.convoy, i))
        .collect();
    // (first start, last merge) per convoy.
    let mut times: Vec<(Option<Millis>, Option<Millis>)> = vec![(None, None); progress.len()];
    let mut likely = vec![0usize; progress.len()];
    for t in s.tasks.values() {
        let Some(&i) = index.get(&t.spec.convoy) else {
            continue;
        };
        if likely_conflict(t) {
            likely[i] += 1;
        }
        let (first, last) = &mut times[i];
        if let Some(at) = t.started_at {
            *first = Some(first.map_or(at, |f| f.min(at)));
        }
        if t.status == TaskStatus::Merged
            && let Some(at) = t.finished_at
        {
            *last = Some(last.map_or(at, |l| l.max(at)));
        }
    }
    let mut rows: Vec<Row> = progress
        .into_iter()
        .zip(times)
        .zip(likely)
        .map(|((p, (first, last)), likely)| {
            let held = s.held_convoys.contains(&p.convoy);
            let merged = p.count(TaskStatus::Merged);
            let standing = if p.is_stranded() {
                Standing::Stranded
            } else if p.total > 0 && merged == p.total {
                Standing::Done
            } else if p.count(TaskStatus::Pending) == p.total {
                Standing::NotStarted
            } else {
                Standing::InFlight
            };
            let finish = estimate(&p, standing, held, first, last, snap.now);
            Row {
                progress: p,
                standing,
                held,
                finish,
                likely,
            }
        })
        .collect();
    // Stable: convoys keep their backlog order within a standing.
    rows.sort_by_key(|r| {
        (
            r.standing,
            if r.standing == Standing::Stranded {
                u32::MAX - r.trouble()
            } else {
                0
            },
        )
    });
    rows
}

/// The estimated finish: the merge rate so far (merged tasks over the time
/// since the first one started) applied to what is left.
fn estimate(
    p: &ConvoyProgress,
    standing: Standing,
    held: bool,
    first_start: Option<Millis>,
    last_merge: Option<Millis>,
    now: Millis,
) -> Finish {
    let merged = p.count(TaskStatus::Merged) as i64;
    match standing {
        Standing::Done => return last_merge.map_or(Finish::Unknown, Finish::Done),
        Standing::Stranded => return Finish::Stranded,
        _ if held => return Finish::Held,
        _ => {}
    }
    match first_start {
        Some(start) if merged > 0 && now > start => {
            let left = p.total as i64 - merged;
            let per_task = (now - start) / merged;
            Finish::At(now.saturating_add(per_task.saturating_mul(left)))
        }
        _ => Finish::Unknown,
    }
}

/// `14:20`, or `+1d 09:10` when it falls on a later day.
fn when(at: Millis, now: Millis) -> String {
    let days = at.div_euclid(24 * HOUR) - now.div_euclid(24 * HOUR);
    if days > 0 {
        format!("+{days}d {}", clock_hm(at))
    } else {
        clock_hm(at)
    }
}

fn finish_span(f: Finish, now: Millis, t: &Theme) -> Span<'static> {
    match f {
        Finish::Done(at) => Span::styled(format!("done {}", clock_hm(at)), t.ok()),
        Finish::Stranded => Span::styled("stranded", t.status(TaskStatus::Failed)),
        Finish::Held => Span::styled("held", t.pause()),
        Finish::Unknown => Span::styled("eta —", t.dim()),
        Finish::At(at) => Span::styled(format!("eta {}", when(at, now)), t.text()),
    }
}

/// Cells per status for a bar `width` wide, in `BAR_ORDER`: proportional by
/// largest remainder, and a failed or blocked task always gets a cell.
fn bar_cells(p: &ConvoyProgress, width: usize) -> [(TaskStatus, usize); 7] {
    let mut cells = BAR_ORDER.map(|s| (s, 0usize));
    let total = p.total as usize;
    if total == 0 || width == 0 {
        return cells;
    }
    let mut rem = [0usize; 7];
    let mut used = 0;
    for (i, (s, n)) in cells.iter_mut().enumerate() {
        let c = p.count(*s) as usize * width;
        *n = c / total;
        rem[i] = c % total;
        used += *n;
    }
    while used < width {
        let i = (0..7).max_by_key(|&i| (rem[i], 7 - i)).expect("seven");
        cells[i].1 += 1;
        rem[i] = 0;
        used += 1;
    }
    for trouble in [4, 5] {
        if cells[trouble].1 == 0 && p.count(cells[trouble].0) > 0 {
            let (big, _) = cells
                .iter()
                .enumerate()
                .max_by_key(|(_, (_, n))| *n)
                .expect("seven");
            if cells[big].1 > 1 {
                cells[big].1 -= 1;
                cells[trouble].1 += 1;
            }
        }
    }
    cells
}

fn bar_spans(p: &ConvoyProgress, width: usize, t: &Theme) -> Vec<Span<'static>> {
    bar_cells(p, width)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            // Colour carries the status; without colour the glyph does.
            let glyph = match (t.monochrome, s) {
                (_, TaskStatus::Pending) => "░",
                (false, _) | (true, TaskStatus::Merged) => "█",
                (true, TaskStatus::Queued | TaskStatus::Gating) => "▓",
                (true, TaskStatus::InProgress) => "▒",
                (true, TaskStatus::Failed) => "x",
                (true, TaskStatus::Blocked) => "!",
            };
            Span::styled(glyph.repeat(n), t.status(s))
        })
        .collect()
}

fn name_cell(name: &str, w: usize) -> String {
    if name.chars().count() > w {
        let mut s: String = name.chars().take(w.saturating_sub(1)).collect();
        s.push('…');
        s
    } else {
        format!("{name:<w$}")
    }
}

fn trouble_text(p: &ConvoyProgress) -> String {
    let (f, b) = (p.count(TaskStatus::Failed), p.count(TaskStatus::Blocked));
    match (f, b) {
        (0, 0) => String::new(),
        (f, 0) => format!("{f} failed"),
        (0, b) => format!("{b} blocked"),
        (f, b) => format!("{f} failed {b} blocked"),
    }
}

fn likely_text(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("~{n} may conflict")
    }
}

fn summary<'a>(rows: &[Row], t: &Theme) -> Line<'a> {
    let n = |st| rows.iter().filter(|r| r.standing == st).count();
    let held = rows.iter().filter(|r| r.held).count();
    let mut spans = vec![Span::styled(
        format!(
            " {} convoy{} ",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        ),
        t.text(),
    )];
    let stranded = n(Standing::Stranded);
    if stranded > 0 {
        spans.push(Span::styled(
            format!("· {stranded} stranded "),
            t.status(TaskStatus::Failed),
        ));
    }
    if held > 0 {
        spans.push(Span::styled(format!("· {held} held "), t.pause()));
    }
    let done = n(Standing::Done);
    if done > 0 {
        spans.push(Span::styled(format!("· {done} done "), t.dim()));
    }
    Line::from(spans)
}

impl Pane for ConvoysPane {
    fn id(&self) -> PaneId {
        PaneId::Convoys
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        board(snap)
            .into_iter()
            .filter(|r| state.passes(r.progress.convoy.as_str()))
            .map(|r| Target::Convoy(r.progress.convoy))
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let all = board(ctx.snap);
        let inner = framed(ctx, summary(&all, t), area, buf);
        if inner.is_empty() {
            return;
        }
        let rows: Vec<&Row> = all
            .iter()
            .filter(|r| ctx.state.passes(r.progress.convoy.as_str()))
            .collect();
        let cols = Cols::fit(&rows, inner.width as usize, ctx.snap.now, t);
        let height = inner.height as usize;
        let off = scroll_offset(ctx.state.selected, rows.len(), height);
        for (i, r) in rows.iter().enumerate().skip(off).take(height) {
            let target = Target::Convoy(r.progress.convoy.clone());
            let style = row_style(
                ctx,
                i == ctx.state.selected,
                ctx.state.marked.contains(&target),
            );
            let line = Line::from(cols.spans(r, ctx.snap.now, t)).style(style);
            super::set_line_cut(buf, inner.x, inner.y + (i - off) as u16, &line, inner.width);
        }
        super::more_below(ctx, area, rows.len().saturating_sub(height), buf);
    }
}

/// The columns' widths for the rows shown, and which optional columns fit.
struct Cols {
    name_w: usize,
    count_w: usize,
    trouble_w: usize,
    cost_w: usize,
    likely_w: usize,
    show_finish: bool,
    show_cost: bool,
    show_likely: bool,
    /// 0: no bar.
    bar_w: usize,
}

impl Cols {
    /// Marker, name and count always; the rest while the bar keeps 6 cells.
    fn fit(rows: &[&Row], width: usize, now: Millis, t: &Theme) -> Cols {
        let widest = |f: &dyn Fn(&Row) -> usize| rows.iter().map(|r| f(r)).max().unwrap_or(0);
        let name_w = widest(&|r| r.progress.convoy.as_str().chars().count()).min(NAME_MAX);
        let count_w = widest(&|r| {
            format!(
                "{}/{}",
                r.progress.count(TaskStatus::Merged),
                r.progress.total
            )
            .len()
        });
        let trouble_w = widest(&|r| trouble_text(&r.progress).len());
        let cost_w = widest(&|r| r.progress.cost.to_string().len());
        let likely_w = widest(&|r| likely_text(r.likely).chars().count());
        let finish_w = widest(&|r| finish_span(r.finish, now, t).width());
        let fixed = 2 + name_w + 1 + count_w + if trouble_w > 0 { trouble_w + 1 } else { 0 };
        let mut show_finish = true;
        let mut show_cost = true;
        let mut show_likely = likely_w > 0;
        let extra = |f: bool, c: bool, l: bool| {
            (if f { finish_w + 1 } else { 0 })
                + (if c { cost_w + 1 } else { 0 })
                + (if l { likely_w + 1 } else { 0 })
        };
        if width < fixed + 1 + extra(true, true, show_likely) + 6 {
            show_finish = false;
        }
        if width < fixed + 1 + extra(false, true, show_likely) + 6 {
            show_cost = false;
        }
        if width < fixed + 1 + extra(false, false, show_likely) + 6 {
            show_likely = false;
        }
        let bar_w = width
            .saturating_sub(fixed + 1 + extra(show_finish, show_cost, show_likely))
            .min(40);
        let bar_w = if bar_w < 3 { 0 } else { bar_w };
        Cols {
            name_w,
            count_w,
            trouble_w,
            cost_w,
            likely_w,
            show_finish,
            show_cost,
            show_likely,
            bar_w,
        }
    }

    /// One convoy's row.
    fn spans(&self, r: &Row, now: Millis, t: &Theme) -> Vec<Span<'static>> {
        let p = &r.progress;
        let (marker, marker_style) = if r.standing == Standing::Stranded {
            ("✗ ", t.status(TaskStatus::Failed))
        } else if r.held {
            ("‖ ", t.pause())
        } else if r.standing == Standing::Done {
            ("✓ ", t.ok())
        } else {
            ("  ", Style::default())
        };
        let name_style = if r.held { t.pause() } else { t.text() };
        let mut spans = vec![
            Span::styled(marker, marker_style),
            Span::styled(name_cell(p.convoy.as_str(), self.name_w), name_style),
            Span::raw(" "),
        ];
        if self.bar_w > 0 {
            spans.extend(bar_spans(p, self.bar_w, t));
            spans.push(Span::raw(" "));
        }
        let count_w = self.count_w;
        spans.push(Span::styled(
            format!(
                "{:>count_w$}",
                format!("{}/{}", p.count(TaskStatus::Merged), p.total)
            ),
            t.text(),
        ));
        if self.trouble_w > 0 {
            let (tt, trouble_w) = (trouble_text(p), self.trouble_w);
            let st = if p.count(TaskStatus::Failed) > 0 {
                t.status(TaskStatus::Failed)
            } else {
                t.status(TaskStatus::Blocked)
            };
            spans.push(Span::styled(format!(" {tt:<trouble_w$}"), st));
        }
        if self.show_likely {
            let (lt, likely_w) = (likely_text(r.likely), self.likely_w);
            spans.push(Span::styled(
                format!(" {lt:<likely_w$}"),
                t.status(TaskStatus::Blocked),
            ));
        }
        if self.show_cost {
            let cost_w = self.cost_w;
            spans.push(Span::styled(
                format!(" {:>cost_w$}", p.cost.to_string()),
                t.money(),
            ));
        }
        if self.show_finish {
            spans.push(Span::raw(" "));
            spans.push(finish_span(r.finish, now, t));
        }
        spans
    }
}

#[cfg(test)]
mod tests;
