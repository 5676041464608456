//! The convoy page: progress by status, cost, and its tasks.

use super::{Page, PageCtx, Section};
use crate::domain::{ConvoyId, TaskStatus};
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
    page.left.push(head);

    let mut tasks = Section::new("tasks");
    for tid in &s.task_order {
        let task = &s.tasks[tid];
        if &task.spec.convoy != id {
            continue;
        }
        tasks.line(Line::from(vec![
            Span::styled(format!("{:<24} ", tid.as_str()), t.text()),
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
    page.right.push(tasks);
    page
}
