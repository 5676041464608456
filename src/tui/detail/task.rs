//! The task page, which is also what a merge-queue entry opens: the merge
//! facts (position, gate, conflicts) and the gate output come first on the
//! right, then the events behind the task.

use super::{Page, PageCtx, Section, Show, wrap};
use crate::domain::{TaskId, TaskStatus};
use crate::tui::panes::merge_queue::merge_facts;
use ratatui::text::{Line, Span};

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
    let spec = &task.spec;

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
    page.left.push(head);

    let mut body = Section::new("spec");
    for l in wrap(&spec.spec, ctx.width.saturating_sub(2)) {
        body.line(Line::styled(l, t.text()));
    }
    if spec.spec.trim().is_empty() {
        body.lines.clear();
    }
    page.left.push(body);

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
    page.left.push(deps);
    let mut scope = Section::new("scope");
    scope.lines = spec
        .scope
        .iter()
        .map(|g| Line::styled(g.clone(), t.text()))
        .collect();
    page.left.push(scope);
    let mut checks = Section::new("checks");
    checks.lines = spec
        .checks
        .iter()
        .map(|c| Line::styled(format!("$ {c}"), t.text()))
        .collect();
    page.left.push(checks);

    // The merge facts, prominent.
    let facts = merge_facts(snap.recent.iter().filter(|e| e.task.as_ref() == Some(id)));
    let f = facts.get(id);
    if let Some((files, at)) = f.and_then(|f| f.conflict.as_ref())
        && task.status != TaskStatus::Merged
    {
        let mut c = Section::new("conflicts");
        c.line(Line::styled(
            format!("the merge into {} conflicted {}", s.target, ctx.when(*at)),
            t.error(),
        ));
        for file in files {
            c.line(Line::styled(format!("  {file}"), t.error()));
        }
        if matches!(task.status, TaskStatus::Failed | TaskStatus::Blocked) {
            c.line(Line::styled(
                format!(
                    "{} retries: the task goes back to the queue, its branch kept",
                    ctx.key(crate::tui::action::Action::Retry)
                ),
                t.dim(),
            ));
        }
        page.right.push(c);
    }
    let mut merge = Section::new("merge");
    if let Some(pos) = snap.merge_queue.iter().position(|q| q == id) {
        merge.line(ctx.kv(
            "queue",
            format!("{} of {}", pos + 1, snap.merge_queue.len()),
            t.status(TaskStatus::Queued),
        ));
    }
    if let Some(at) = f.and_then(|f| f.queued_at) {
        merge.line(ctx.kv("queued", ctx.when(at), t.text()));
    }
    let gate = match (task.status, f.and_then(|f| f.last_gate.as_ref())) {
        (TaskStatus::Gating, _) => Some(("running".to_string(), t.status(TaskStatus::Gating))),
        (_, Some((true, g))) => Some((format!("{g} passed"), t.ok())),
        (_, Some((false, g))) => Some((
            format!("{g} failed ({}×)", task.gate_failures),
            t.status(TaskStatus::Failed),
        )),
        _ => None,
    };
    if let Some((g, style)) = gate {
        merge.line(ctx.kv("gate", g, style));
    }
    if let Some((tier, at)) = f.and_then(|f| f.merged.as_ref()) {
        merge.line(ctx.kv("merged", format!("tier {tier} {}", ctx.when(*at)), t.ok()));
    }
    if !merge.lines.is_empty() {
        page.right.push(merge);
    }
    let mut gate_out = Section::stream("gate output");
    if let Some(out) = snap.gate_output.get(id) {
        gate_out.lines = out
            .lines()
            .map(|l| Line::styled(l.to_string(), t.text()))
            .collect();
    }
    page.right.push(gate_out);
    let mut events = Section::stream("events");
    events.lines = ctx.events(|e| e.task.as_ref() == Some(id), Show::Agent);
    page.right.push(events);
    page
}
