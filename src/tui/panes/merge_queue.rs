//! The merge queue: branches in merge order, then entries at the gate, then
//! recent failures, conflicts and refusals that wait for a retry, then the
//! last few merges (dim) so the operator sees the queue move; under them,
//! when there is room, the last run of the gates on a merged result.
//!
//! Columns: position (with `↑`/`↓` when the operator moved the entry and `↻`
//! when the queue sent it back before), task, agent, tier (how the last
//! merge attempt was or was not resolved), gate, wait, then the conflicted
//! files and the lines at risk (or a note: moved, sent back, why it waits).
//! The wait is the time since the entry reached its row's state: queued (the
//! `merge_queued` event), gating (`task_done`), failed/blocked, merged.
//! Narrow panes drop the agent, then the gate and the wait.

use super::{DrawCtx, Pane, PaneId, PaneState, Target, framed, row_style, scroll_offset};
use crate::domain::{AgentId, MergeOutcome, MergeRecord, Millis, Task, TaskId, TaskStatus, Tier};
use crate::swarm::Snapshot;
use crate::tui::format::{age, cell, short_commit};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::sync::Arc;

/// Recent merges shown (dim) under the queue.
pub const MERGED_SHOWN: usize = 3;

pub struct MergeQueuePane;

/// Why an entry is in the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Waiting to merge, 1-based position in merge order.
    Queued(usize),
    /// Its gates are running.
    Gating,
    /// The merge conflicted; the task failed and waits for a retry.
    Conflicted,
    /// A resolution would have dropped lines; nothing merged, it waits for
    /// the operator (retry puts it back in the queue).
    Refused,
    /// Failed or blocked for another reason; waits for a retry.
    Failed,
    /// Merged recently.
    Merged,
}

// The facts of a task's way through the gate and the queue, and the gate
// runs on merged results, are the state's (kept by the fold).
pub use crate::domain::{BatchRun, MergeFacts};

/// The last landing's runs (one landing's runs share their time): the
/// first is the whole batch, later ones its bisection.
pub fn last_landing(runs: &[Arc<BatchRun>]) -> &[Arc<BatchRun>] {
    let Some(last) = runs.last() else {
        return &[];
    };
    let start = runs
        .iter()
        .rposition(|r| r.at != last.at)
        .map_or(0, |i| i + 1);
    &runs[start..]
}

/// One line for the last landing: what the merged result's gates said.
pub fn landing_line(
    runs: &[Arc<BatchRun>],
    merges: &[Arc<MergeRecord>],
    t: &Theme,
) -> Option<Line<'static>> {
    let first = runs.first()?;
    let n = first.tasks.len();
    let who = if n == 1 {
        first.tasks[0].to_string()
    } else {
        format!("{n} entries")
    };
    let mut spans = vec![Span::styled("batch ", t.dim())];
    if first.passed {
        spans.push(Span::styled("✓ ", t.ok()));
        spans.push(Span::styled(
            format!("{who} passed on {}", short_commit(&first.base)),
            t.text(),
        ));
        return Some(Line::from(spans));
    }
    spans.push(Span::styled("✗ ", t.error()));
    spans.push(Span::styled(
        format!("{who} failed `{}`", first.gate),
        t.status(TaskStatus::Failed),
    ));
    if runs.len() > 1 {
        spans.push(Span::styled(" · bisected", t.dim()));
    }
    let culprits: Vec<String> = merges
        .iter()
        .rev()
        .take_while(|m| m.at >= first.at)
        .filter(|m| m.at == first.at && matches!(m.outcome, MergeOutcome::Rejected { .. }))
        .filter_map(|m| m.task.as_ref().map(|t| t.to_string()))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if !culprits.is_empty() && n > 1 {
        spans.push(Span::styled(
            format!(" → {} rejected", culprits.join(", ")),
            t.error(),
        ));
    }
    Some(Line::from(spans))
}

/// One row of the pane.
#[derive(Clone, Debug)]
pub struct QueueRow {
    pub task: TaskId,
    pub place: Place,
    pub agent: Option<AgentId>,
    /// How the last merge attempt was (or was not) resolved, when known.
    pub tier: Option<Tier>,
    pub gate: String,
    /// Conflicted files (conflicted, refused and failed rows).
    pub files: Vec<String>,
    /// Lines a refused resolution would have dropped.
    pub at_risk: usize,
    /// The operator's move: negative to the front, positive to the back.
    pub moved: i64,
    /// Times the queue sent it back (refused, rejected, redone).
    pub retries: u32,
    /// A word on the row when there are no files to show.
    pub note: String,
    /// Since when the entry is in its state.
    pub since: Option<Millis>,
}

impl QueueRow {
    fn filter_text(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.task,
            self.agent.as_ref().map(|a| a.as_str()).unwrap_or(""),
            self.tier.map(|t| t.as_str()).unwrap_or(""),
            self.gate,
            self.files.join(" "),
            self.note
        )
    }

    /// The marks after the position: moved to the front or back, sent back.
    pub fn marks(&self) -> String {
        let mut m = String::new();
        if self.moved < 0 {
            m.push('↑');
        } else if self.moved > 0 {
            m.push('↓');
        }
        if self.retries > 0 {
            m.push('↻');
        }
        m
    }
}

/// Blocked for a reason that the merge queue caused (a failed merge, a
/// refused resolution, a rejected merge pause, dropped from the queue).
fn blocked_by_merge(t: &Task) -> bool {
    t.status == TaskStatus::Blocked
        && (t.outcome.as_deref() == Some("refused")
            || t.reason
                .as_deref()
                .is_some_and(|r| r.to_lowercase().contains("merge")))
}

fn gate_word(t: &Task, facts: Option<&MergeFacts>) -> String {
    if t.status == TaskStatus::Gating {
        return "running".into();
    }
    if t.status == TaskStatus::Failed && t.gate_failures > 0 {
        return format!("failed {}×", t.gate_failures);
    }
    match facts.and_then(|f| f.last_gate.as_ref()) {
        Some((true, _)) => "passed".into(),
        Some((false, _)) => format!("failed {}×", t.gate_failures.max(1)),
        None => "—".into(),
    }
}

/// What the row says about a queued entry: moved, sent back before.
fn queued_note(t: &Task) -> String {
    let mut parts = Vec::new();
    if t.queue_key < 0 {
        parts.push("moved to the front".to_string());
    } else if t.queue_key > 0 {
        parts.push("moved to the back".to_string());
    }
    if t.merge_retries > 0 {
        let last = t
            .outcome
            .as_deref()
            .filter(|o| *o != "merged")
            .map(|o| format!(", last {o}"))
            .unwrap_or_default();
        parts.push(format!("sent back {}×{last}", t.merge_retries));
    }
    parts.join(" · ")
}

/// Every row of the pane in display order, before the filter.
pub fn rows(snap: &Snapshot) -> Vec<QueueRow> {
    let s = &snap.state;
    let row = |t: &Task, place: Place, since: Option<Millis>| {
        let f = Some(&t.merge_facts);
        let merged_tier = f
            .and_then(|f| f.merged.as_ref())
            .map(|(x, _)| match x.as_str() {
                "auto" => Tier::Auto,
                "ai" => Tier::Ai,
                _ => Tier::Clean,
            });
        let tier = match place {
            Place::Merged => t.tier.or(merged_tier),
            Place::Gating => None,
            _ => t.tier,
        };
        let files = match place {
            Place::Conflicted | Place::Refused | Place::Failed => {
                if t.conflict_files.is_empty() {
                    f.and_then(|f| f.conflict.as_ref())
                        .filter(|_| place == Place::Conflicted)
                        .map(|(files, _)| files.clone())
                        .unwrap_or_default()
                } else {
                    t.conflict_files.clone()
                }
            }
            _ => Vec::new(),
        };
        let note = match place {
            Place::Queued(_) => queued_note(t),
            Place::Failed | Place::Refused | Place::Conflicted => {
                t.reason.clone().unwrap_or_default()
            }
            _ => String::new(),
        };
        QueueRow {
            task: t.id().clone(),
            agent: t.agent.clone(),
            tier,
            gate: gate_word(t, f),
            at_risk: if place == Place::Refused {
                t.lines_at_risk.len()
            } else {
                0
            },
            files,
            moved: if matches!(place, Place::Queued(_)) {
                t.queue_key
            } else {
                0
            },
            retries: if matches!(place, Place::Queued(_)) {
                t.merge_retries
            } else {
                0
            },
            note,
            place,
            since,
        }
    };
    let mut out = Vec::new();
    for (i, id) in snap.merge_queue.iter().enumerate() {
        if let Some(t) = s.task(id) {
            let since = t.merge_facts.queued_at;
            out.push(row(t, Place::Queued(i + 1), since));
        }
    }
    for id in &s.task_order {
        let t = &s.tasks[id];
        if t.status == TaskStatus::Gating {
            out.push(row(t, Place::Gating, t.merge_facts.done_at));
        }
    }
    // Waiting for a retry: newest first.
    let mut attention: Vec<(Millis, QueueRow)> = Vec::new();
    let mut merged: Vec<(Millis, QueueRow)> = Vec::new();
    let blocked_place = |t: &Task| {
        if t.outcome.as_deref() == Some("refused") {
            Place::Refused
        } else {
            Place::Failed
        }
    };
    for t in s.tasks.values() {
        let f = &t.merge_facts;
        match t.status {
            TaskStatus::Failed => {
                let at = f.failed_at.or(t.finished_at).unwrap_or(0);
                let conflicted = f.conflict.as_ref().is_some_and(|(_, c)| *c <= at);
                let place = if conflicted {
                    Place::Conflicted
                } else {
                    Place::Failed
                };
                if f.failed_at.is_some() || conflicted {
                    attention.push((at, row(t, place, Some(at))));
                }
            }
            TaskStatus::Blocked if blocked_by_merge(t) => {
                attention.push((
                    f.blocked_at.unwrap_or(0),
                    row(t, blocked_place(t), f.blocked_at),
                ));
            }
            TaskStatus::Merged => {
                if let Some((_, at)) = f.merged {
                    merged.push((at, row(t, Place::Merged, Some(at))));
                }
            }
            _ => {}
        }
    }
    attention.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.task.cmp(&b.1.task)));
    merged.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.task.cmp(&b.1.task)));
    out.extend(attention.into_iter().map(|(_, r)| r));
    out.extend(merged.into_iter().take(MERGED_SHOWN).map(|(_, r)| r));
    out
}

fn visible(snap: &Snapshot, state: &PaneState) -> Vec<QueueRow> {
    rows(snap)
        .into_iter()
        .filter(|r| state.passes(&r.filter_text()))
        .collect()
}

/// `s` in a column `w` wide that keeps a space before the next one.
fn col(s: &str, w: usize) -> String {
    if w == 0 {
        String::new()
    } else {
        format!("{} ", cell(s, w - 1))
    }
}

/// The conflicted files in `room` columns: whole paths if they fit, else
/// file names.
fn files(files: &[String], room: usize) -> String {
    let whole = files.join(", ");
    if whole.chars().count() <= room {
        return whole;
    }
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap_or(f))
        .collect();
    cell(&names.join(", "), room).trim_end().to_string()
}

/// A tier's colour: clean is routine, the resolving tiers draw the eye,
/// reimagine means the work is being redone.
pub fn tier_style(tier: Tier, t: &Theme) -> Style {
    match tier {
        Tier::Clean => t.dim(),
        Tier::Auto => t.text(),
        Tier::Ai => t.impact(crate::domain::Impact::Medium),
        Tier::Reimagine => t.status(TaskStatus::Blocked),
    }
}

/// Column widths for an inner width (0 hides a column); the rest of the
/// row is the conflicts column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cols {
    pos: usize,
    task: usize,
    agent: usize,
    tier: usize,
    gate: usize,
    wait: usize,
}

impl Cols {
    fn for_width(w: usize) -> Cols {
        if w >= 90 {
            Cols {
                pos: 5,
                task: 24,
                agent: 11,
                tier: 10,
                gate: 10,
                wait: 7,
            }
        } else if w >= 78 {
            Cols {
                pos: 5,
                task: 17,
                agent: 11,
                tier: 10,
                gate: 10,
                wait: 7,
            }
        } else if w >= 56 {
            Cols {
                pos: 5,
                task: 17,
                agent: 0,
                tier: 10,
                gate: 10,
                wait: 7,
            }
        } else {
            Cols {
                pos: 4,
                task: 13,
                agent: 0,
                tier: 6,
                gate: 0,
                wait: 0,
            }
        }
    }

    fn used(&self) -> usize {
        self.pos + self.task + self.agent + self.tier + self.gate + self.wait
    }
}

impl Pane for MergeQueuePane {
    fn id(&self) -> PaneId {
        PaneId::Merge
    }

    fn targets(&self, snap: &Snapshot, state: &PaneState) -> Vec<Target> {
        visible(snap, state)
            .into_iter()
            .map(|r| Target::Task(r.task))
            .collect()
    }

    fn draw(&self, ctx: &DrawCtx, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let all = rows(ctx.snap);
        let count = |f: fn(&Place) -> bool| all.iter().filter(|r| f(&r.place)).count();
        let queued = count(|p| matches!(p, Place::Queued(_)));
        let gating = count(|p| *p == Place::Gating);
        let conflicted = count(|p| *p == Place::Conflicted);
        let refused = count(|p| *p == Place::Refused);
        let failed = count(|p| *p == Place::Failed);
        let mut summary = vec![Span::styled(
            format!(" {queued} queued "),
            t.status(TaskStatus::Queued),
        )];
        let mut part = |n: usize, word: &str, style: Style| {
            if n > 0 {
                summary.push(Span::styled("·", t.dim()));
                summary.push(Span::styled(format!(" {n} {word} "), style));
            }
        };
        part(gating, "gating", t.status(TaskStatus::Gating));
        part(conflicted, "conflicted", t.error());
        part(refused, "refused", t.status(TaskStatus::Blocked));
        part(failed, "failed", t.status(TaskStatus::Failed));
        summary.push(Span::styled("·", t.dim()));
        summary.push(Span::styled(
            format!(" {} merged ", ctx.snap.state.merges),
            t.status(TaskStatus::Merged),
        ));
        // The summary must not cover the pane's title: " 4 merge queue ".
        let room = (area.width as usize).saturating_sub(PaneId::Merge.title().len() + 6);
        let mut summary = Line::from(summary);
        if summary.width() > room {
            summary = Line::styled(
                format!(
                    " {queued}q {gating}g {}✗ {}✓ ",
                    conflicted + refused + failed,
                    ctx.snap.state.merges
                ),
                t.dim(),
            );
        }
        if summary.width() > room {
            summary = Line::default();
        }
        let inner = framed(ctx, summary, area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let c = Cols::for_width(inner.width as usize);
        let mut head = format!("{}{}", cell("#", c.pos), cell("task", c.task));
        if c.agent > 0 {
            head.push_str(&cell("agent", c.agent));
        }
        head.push_str(&cell("tier", c.tier));
        if c.gate > 0 {
            head.push_str(&cell("gate", c.gate));
        }
        if c.wait > 0 {
            head.push_str(&format!("{:>w$} ", "wait", w = c.wait - 1));
        }
        let room = (inner.width as usize).saturating_sub(c.used());
        head.push_str(if room >= 19 {
            "conflicts · at risk"
        } else {
            "conflicts"
        });
        buf.set_line(inner.x, inner.y, &Line::styled(head, t.dim()), inner.width);
        let body = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        let rows = visible(ctx.snap, ctx.state);
        // The last merged-result run, on the bottom row when there is room.
        let s = &ctx.snap.state;
        let landing = landing_line(last_landing(&s.batch_runs), &s.merge_log, t);
        let mut height = body.height as usize;
        if let Some(l) = &landing
            && height >= 2
            && (rows.len() < height || height >= 6)
        {
            height -= 1;
            buf.set_line(body.x, body.y + height as u16, l, body.width);
        }
        if rows.is_empty() && height > 0 {
            buf.set_line(
                body.x,
                body.y,
                &Line::styled("nothing queued, gating or waiting for a retry", t.dim()),
                body.width,
            );
            return;
        }
        let room = (body.width as usize).saturating_sub(c.used());
        let off = scroll_offset(ctx.state.selected, rows.len(), height);
        for (i, r) in rows.iter().enumerate().skip(off).take(height) {
            let target = Target::Task(r.task.clone());
            let selected = i == ctx.state.selected;
            let base = row_style(ctx, selected, ctx.state.marked.contains(&target));
            let (pos, pos_style) = match &r.place {
                Place::Queued(n) => (format!("{n}{}", r.marks()), t.status(TaskStatus::Queued)),
                Place::Gating if c.pos > 4 => ("gate".into(), t.status(TaskStatus::Gating)),
                Place::Gating => ("g".into(), t.status(TaskStatus::Gating)),
                Place::Conflicted => ("✗".into(), t.error()),
                Place::Refused => ("⊘".into(), t.status(TaskStatus::Blocked)),
                Place::Failed => ("!".into(), t.status(TaskStatus::Failed)),
                Place::Merged => ("✓".into(), t.status(TaskStatus::Merged)),
            };
            let dim = r.place == Place::Merged;
            let text = |s: Style| if dim { t.dim() } else { s };
            let gate_style = if r.gate.starts_with("failed") {
                t.status(TaskStatus::Failed)
            } else if r.gate == "running" {
                t.status(TaskStatus::Gating)
            } else {
                t.dim()
            };
            let mut spans = vec![
                Span::styled(col(&pos, c.pos), text(pos_style)),
                Span::styled(col(r.task.as_str(), c.task), text(t.text())),
            ];
            if c.agent > 0 {
                spans.push(Span::styled(
                    col(r.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"), c.agent),
                    t.dim(),
                ));
            }
            spans.push(match r.tier {
                Some(tier) => Span::styled(col(tier.as_str(), c.tier), text(tier_style(tier, t))),
                None => Span::styled(col("—", c.tier), t.dim()),
            });
            if c.gate > 0 {
                spans.push(Span::styled(col(&r.gate, c.gate), text(gate_style)));
            }
            if c.wait > 0 {
                let wait = r
                    .since
                    .map(|at| age(ctx.snap.now - at))
                    .unwrap_or_else(|| "—".into());
                spans.push(Span::styled(
                    format!("{wait:>w$} ", w = c.wait - 1),
                    t.dim(),
                ));
            }
            if r.at_risk > 0 && room < 24 {
                // Narrow: the count first, the files in what is left.
                let risk = format!("{} at risk ", r.at_risk);
                let left = room.saturating_sub(risk.chars().count());
                spans.push(Span::styled(
                    cell(&risk, room).trim_end().to_string() + " ",
                    t.error(),
                ));
                spans.push(Span::styled(files(&r.files, left), t.error()));
            } else if !r.files.is_empty() || r.at_risk > 0 {
                let risk = if r.at_risk > 0 {
                    format!(" · {} at risk", r.at_risk)
                } else {
                    String::new()
                };
                let risk_w = risk.chars().count();
                let shown = files(&r.files, room.saturating_sub(risk_w));
                spans.push(Span::styled(shown, t.error()));
                spans.push(Span::styled(risk, t.error()));
            } else if !r.note.is_empty() {
                spans.push(Span::styled(cell(&r.note, room), t.dim()));
            }
            let line = Line::from(spans).style(base);
            super::set_line_cut(buf, body.x, body.y + (i - off) as u16, &line, body.width);
        }
        super::more_below(ctx, area, rows.len().saturating_sub(height), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;
    use crate::tui::detail::tests::{Day, pane_text};

    #[test]
    fn queue_then_gate_then_conflicts_then_merged() {
        let d = Day::standard();
        let st = PaneState::default();
        let ids: Vec<String> = MergeQueuePane
            .targets(&d.snap, &st)
            .iter()
            .map(|t| t.label())
            .collect();
        assert_eq!(ids, ["auth-4", "auth-3", "auth-2", "auth-1"]);
        let out = pane_text(&MergeQueuePane, &d.snap, &st, 100, 8);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].contains("1 queued · 1 gating · 1 conflicted · 1 merged"),
            "{out}"
        );
        assert!(
            lines[2].contains("auth-4") && lines[2].contains("passed"),
            "{out}"
        );
        assert!(
            lines[3].contains("auth-3") && lines[3].contains("running"),
            "{out}"
        );
        assert!(
            lines[4].contains("auth-2") && lines[4].contains("src/shared/registry.rs"),
            "{out}"
        );
        assert!(
            lines[5].contains("auth-1") && lines[5].contains("clean"),
            "{out}"
        );
    }

    #[test]
    fn a_narrow_pane_still_names_the_conflicted_file() {
        let d = Day::standard();
        let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 70, 8);
        assert!(out.contains("registry.rs"), "{out}");
    }

    #[test]
    fn wait_counts_from_the_queue_event() {
        let d = Day::standard();
        let rows = rows(&d.snap);
        assert_eq!(rows[0].since, Some(64 * crate::domain::SECOND));
        let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 8);
        assert!(out.lines().nth(2).unwrap().contains("36s"), "{out}");
    }

    #[test]
    fn draws_in_tiny_areas() {
        let d = Day::standard();
        for (w, h) in [(20, 5), (2, 2), (0, 0), (20, 3)] {
            let _ = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), w, h);
        }
    }

    #[test]
    fn tiers_marks_lines_at_risk_and_the_last_batch() {
        let d = Day::deep();
        let st = PaneState::default();
        let ids: Vec<String> = MergeQueuePane
            .targets(&d.snap, &st)
            .iter()
            .map(|t| t.label())
            .collect();
        assert_eq!(
            ids,
            ["auth-7", "auth-4", "auth-3", "auth-6", "auth-2", "auth-1"]
        );
        let out = pane_text(&MergeQueuePane, &d.snap, &st, 100, 12);
        let l: Vec<&str> = out.lines().collect();
        assert!(
            l[0].contains("1 conflicted · 1 refused · 1 merged"),
            "{out}"
        );
        assert!(l[1].contains("tier") && l[1].contains("conflicts · at risk"));
        assert!(l[2].starts_with("┃1↑↻  auth-7"), "moved, sent back: {out}");
        assert!(l[2].contains("moved to the front · sent back"), "{out}");
        assert!(l[3].starts_with("┃2    auth-4"), "{out}");
        assert!(l[5].starts_with("┃⊘    auth-6"), "refused: {out}");
        assert!(l[5].contains(" auto "), "{out}");
        assert!(l[5].contains("src/auth/login.rs · 3 at risk"), "{out}");
        assert!(l[6].contains(" reimagine "), "{out}");
        assert!(l[7].contains(" clean "), "{out}");
        assert!(
            l[10].contains("batch ✗ 2 entries failed `cargo test` · bisected → auth-7 rejected"),
            "{out}"
        );
        // Narrow (the 80x24 floor): the count of lines at risk stays.
        let out = pane_text(&MergeQueuePane, &d.snap, &st, 36, 7);
        assert!(
            out.lines()
                .any(|l| l.contains("auth-6") && l.contains("3 at risk")),
            "{out}"
        );
        assert!(out.contains("1↑↻ auth-7"), "{out}");
        // A filter finds rows by tier.
        let st = PaneState {
            filter: "reimagine".into(),
            ..PaneState::default()
        };
        let ids: Vec<Target> = MergeQueuePane.targets(&d.snap, &st);
        assert_eq!(ids, vec![Target::Task("auth-2".into())]);
    }

    #[test]
    fn a_passing_batch_says_so() {
        let mut d = Day::standard();
        d.ev(
            99,
            None,
            None,
            EventKind::BatchTested {
                tasks: vec!["auth-4".into()],
                base: "fedcba9876543210".into(),
                passed: true,
                gate: String::new(),
                output: String::new(),
            },
        );
        let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 10);
        assert!(out.contains("batch ✓ auth-4 passed on fedcba98"), "{out}");
        // No room to spare: the rows come first.
        let out = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), 100, 6);
        assert!(!out.contains("batch"), "{out}");
    }

    #[test]
    fn deep_queue_draws_in_tiny_areas() {
        let d = Day::deep();
        for w in 0..110 {
            for h in [0, 1, 2, 3, 5, 8] {
                let _ = pane_text(&MergeQueuePane, &d.snap, &PaneState::default(), w, h);
            }
        }
    }
}
