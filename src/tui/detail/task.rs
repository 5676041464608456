//! The task page, which is also what a merge-queue entry opens: on the
//! right, first what stopped the merge (conflicted files, the lines a refused
//! resolution would have lost), then the merge facts (position, gate, tier
//! and outcome, sent back, reimagined, why it came back), the gate findings,
//! the conflict predicted before it started, the branch's gate output, the
//! gates on merged results that held it, and the events behind the task.

use super::{Page, PageCtx, Section, Show, wrap};
use crate::domain::{Task, TaskId};
use ratatui::text::{Line, Span};

mod merge;

pub fn page(ctx: &PageCtx, id: &TaskId) -> Page {
    let t = ctx.theme;
    let snap = ctx.snap;
    let s = &snap.state;
    let mut page = Page::default();
    let Some(task) = s.task(id) else {
        let mut sec = Section::new("task");
        sec.line(Line::styled(format!("no task {id}"), t.error()));
        page.left.push(sec);
        return page;
    };
    page.left.push(head(ctx, task));
    page.left.extend(super::rows::section(
        ctx,
        &crate::tui::panes::Target::Task(id.clone()),
    ));
    page.left.extend(spec_sections(ctx, task));
    page.right.extend(merge::stopped(ctx, task));
    page.right.extend(merge::facts(ctx, id, task));
    page.right.extend(findings(ctx, task));
    page.right.extend(merge::prediction(ctx, task));
    let mut gate_out = Section::stream("gate output (branch)");
    if let Some(out) = snap.gate_output.get(id) {
        gate_out.lines = out
            .lines()
            .map(|l| Line::styled(l.to_string(), t.text()))
            .collect();
    }
    page.right.push(gate_out);

    page.right.extend(merge::merged_result_gates(ctx, id, task));
    let mut events = Section::stream("events");
    events.lines = ctx.events(|e| e.task.as_ref() == Some(id), Show::Agent);
    page.right.push(events);
    page
}

/// Title, status, convoy, priority, agent, branch, attempts, cost, times.
fn head(ctx: &PageCtx, task: &Task) -> Section {
    let (t, snap, spec) = (ctx.theme, ctx.snap, &task.spec);
    let mut head = Section::new("task");
    head.line(Line::styled(spec.title.clone(), t.title(true)));
    head.line(Line::from(vec![
        Span::styled(format!("{:<12}", "status"), t.dim()),
        Span::styled(task.status.as_str(), t.status(task.status)),
        Span::styled(
            task.reason
                .as_ref()
                .map(|r| format!(" · {r}"))
                .unwrap_or_default(),
            t.dim(),
        ),
    ]));
    head.line(ctx.kv("convoy", spec.convoy.to_string(), t.text()));
    head.line(ctx.kv(
        "priority",
        format!(
            "{}{}",
            spec.priority,
            spec.tier
                .as_ref()
                .map(|x| format!(" · model tier {x}"))
                .unwrap_or_default()
        ),
        t.text(),
    ));
    head.line(ctx.kv(
        "agent",
        format!(
            "{} · session {}",
            task.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"),
            task.session.as_ref().map(|a| a.as_str()).unwrap_or("—")
        ),
        t.text(),
    ));
    head.line(ctx.kv(
        "branch",
        task.branch.clone().unwrap_or_else(|| "—".into()),
        t.text(),
    ));
    head.line(ctx.kv(
        "attempts",
        format!("{} · {} gate failures", task.attempts, task.gate_failures),
        t.text(),
    ));
    if snap.budget_task.0 > 0 {
        let share = task.cost.dollars() / snap.budget_task.dollars();
        head.line(ctx.kv(
            "cost",
            format!(
                "{} of {} ({:.0}%)",
                task.cost,
                snap.budget_task,
                share * 100.0
            ),
            t.burn(share),
        ));
    } else {
        head.line(ctx.kv("cost", task.cost.to_string(), t.money()));
    }
    if let Some(p) = &task.waiting_on {
        head.line(ctx.kv("waits on", format!("pause point {p}"), t.pause()));
    }
    if let Some(at) = task.started_at {
        head.line(ctx.kv("started", ctx.when(at), t.text()));
    }
    if let Some(at) = task.finished_at {
        head.line(ctx.kv("finished", ctx.when(at), t.text()));
    }
    if let Some(c) = &task.merged_commit {
        head.line(ctx.kv("commit", c.clone(), t.text()));
    }
    head
}

/// The spec, the dependencies with their status, the scope and the checks.
fn spec_sections(ctx: &PageCtx, task: &Task) -> Vec<Section> {
    let (t, s, spec) = (ctx.theme, &ctx.snap.state, &task.spec);
    let mut out = Vec::new();
    let mut body = Section::new("spec");
    for l in wrap(&spec.spec, ctx.width.saturating_sub(2)) {
        body.line(Line::styled(l, t.text()));
    }
    if spec.spec.trim().is_empty() {
        body.lines.clear();
    }
    out.push(body);

    let mut deps = Section::new("dependencies");
    for d in &spec.after {
        deps.line(match s.task(d) {
            Some(x) => Line::from(vec![
                Span::styled(format!("{:<24} ", d.as_str()), t.text()),
                Span::styled(x.status.as_str(), t.status(x.status)),
            ]),
            None => Line::styled(format!("{d} (unknown)"), t.error()),
        });
    }
    out.push(deps);
    let mut scope = Section::new("scope");
    scope.lines = spec
        .scope
        .iter()
        .map(|g| Line::styled(g.clone(), t.text()))
        .collect();
    out.push(scope);
    let mut checks = Section::new("checks");
    checks.lines = spec
        .checks
        .iter()
        .map(|c| Line::styled(format!("$ {c}"), t.text()))
        .collect();
    out.push(checks);
    out
}

/// The gate's findings.
fn findings(ctx: &PageCtx, task: &Task) -> Option<Section> {
    let t = ctx.theme;
    if !task.findings.is_empty() {
        let mut sec = Section::new(format!("findings ({})", task.findings.len()));
        sec.lines = task
            .findings
            .iter()
            .map(|x| Line::styled(x.to_string(), t.error()))
            .collect();
        return Some(sec);
    }
    None
}
