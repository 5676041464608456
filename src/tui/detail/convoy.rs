//! The convoy page: progress by status, cost, its tasks, and those likely
//! to conflict (a prediction with files, not merged yet).

use super::{Page, PageCtx, Section};
use crate::domain::{ConvoyId, ConvoyProgress, TaskStatus};
use crate::tui::panes::convoys::likely_conflict;
use ratatui::text::{Line, Span};

pub fn page(ctx: &PageCtx, id: &ConvoyId) -> Page {
    let t = ctx.theme;
    let s = &ctx.snap.state;
    let mut page = Page::default();
    let Some(p) = s.convoy_progress().into_iter().find(|p| &p.convoy == id) else {
        let mut sec = Section::new("convoy");
        sec.line(Line::styled(format!("no convoy {id}"), t.error()));
        page.left.push(sec);
        return page;
    };
    page.left.push(progress(ctx, id, &p));
    page.right.push(tasks(ctx, id));
    page.left.extend(likely(ctx, id));
    page
}

/// Merged of total, counts by status, cost, held, stranded.
fn progress(ctx: &PageCtx, id: &ConvoyId, p: &ConvoyProgress) -> Section {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let mut head = Section::new("progress");
    let merged = p.count(TaskStatus::Merged);
    head.line(ctx.kv(
        "merged",
        format!(
            "{merged} of {} ({:.0}%)",
            p.total,
            if p.total > 0 {
                100.0 * merged as f64 / p.total as f64
            } else {
                0.0
            }
        ),
        t.status(TaskStatus::Merged),
    ));
    let mut spans = vec![Span::styled(format!("{:<12}", "by status"), t.dim())];
    for st in TaskStatus::ALL {
        let n = p.count(st);
        if n > 0 {
            spans.push(Span::styled(format!("{n} {}  ", st.as_str()), t.status(st)));
        }
    }
    head.line(Line::from(spans));
    head.line(ctx.kv("cost", p.cost.to_string(), t.money()));
    if s.held_convoys.contains(id) {
        head.line(ctx.kv("held", "no new task of it starts", t.pause()));
    }
    if p.is_stranded() {
        head.line(Line::styled(
            "stranded: a failed or blocked member keeps it from finishing",
            t.error(),
        ));
    }
    head
}

/// Its tasks: status, agent, cost, title.
fn tasks(ctx: &PageCtx, id: &ConvoyId) -> Section {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let mut tasks = Section::new("tasks (j/k select, enter opens)");
    let mine = s
        .task_order
        .iter()
        .filter(|t| &s.tasks[*t].spec.convoy == id);
    for (n, tid) in mine.enumerate() {
        let task = &s.tasks[tid];
        tasks.line(Line::from(vec![
            super::rows::marker(ctx, n),
            Span::styled(format!("{:<22} ", tid.as_str()), t.text()),
            Span::styled(
                format!("{:<12}", task.status.as_str()),
                t.status(task.status),
            ),
            Span::styled(
                format!(
                    "{:<11}",
                    task.agent.as_ref().map(|a| a.as_str()).unwrap_or("—")
                ),
                t.dim(),
            ),
            Span::styled(format!("{:>8} ", task.cost.to_string()), t.money()),
            Span::styled(task.spec.title.clone(), t.dim()),
        ]));
    }
    tasks
}

/// Its tasks likely to conflict (a prediction with files), if any.
fn likely(ctx: &PageCtx, id: &ConvoyId) -> Option<Section> {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let mut likely = Section::new("likely conflicts");
    for tid in &s.task_order {
        let task = &s.tasks[tid];
        if &task.spec.convoy != id || !likely_conflict(task) {
            continue;
        }
        let Some(p) = &task.prediction else { continue };
        let with: Vec<&str> = p.with.iter().map(|x| x.as_str()).collect();
        likely.line(Line::from(vec![
            Span::styled(format!("{:<24} ", tid.as_str()), t.text()),
            Span::styled(format!("with {} ", with.join(", ")), t.dim()),
            Span::styled(p.files.join(", "), t.status(TaskStatus::Blocked)),
            Span::styled(if p.delayed { " · delayed" } else { "" }, t.pause()),
        ]));
    }
    (!likely.lines.is_empty()).then_some(likely)
}
