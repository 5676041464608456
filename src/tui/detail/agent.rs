//! The agent page: what it does now, what it spent, its record, its past
//! tasks, and its live output.

use super::{CONTEXT_WINDOW, Page, PageCtx, Section, Show};
use crate::domain::{AgentId, AgentState};
use crate::tui::format::tokens;
use ratatui::text::{Line, Span};

pub fn page(ctx: &PageCtx, id: &AgentId) -> Page {
    let t = ctx.theme;
    let snap = ctx.snap;
    let mut page = Page::default();
    let Some(a) = snap.state.agent(id) else {
        let mut s = Section::new("agent");
        s.line(Line::styled(format!("no agent {id}"), t.error()));
        page.left.push(s);
        return page;
    };

    page.left.push(now_section(ctx, a));
    page.left.push(spend_section(ctx, id, a));
    page.left.push(record_section(ctx, a));
    page.left.push(tasks_section(ctx, id));
    page.right.push(super::mailbox::section(ctx, id));
    page.right.push(output_section(ctx, id));
    let mut events = Section::stream("events");
    events.lines = ctx.events(|e| e.agent.as_ref() == Some(id), Show::Task);
    page.left.push(events);
    page
}

/// Its phase, task, session, model and last output.
fn now_section(ctx: &PageCtx, a: &AgentState) -> Section {
    let (t, snap) = (ctx.theme, ctx.snap);
    let mut now = Section::new("now");
    let frozen = a
        .session
        .as_ref()
        .is_some_and(|s| snap.frozen_sessions.contains(s));
    let mut phase = vec![Span::styled(a.phase.as_str(), t.text())];
    if a.held {
        phase.push(Span::styled(" · held", t.pause()));
    }
    if frozen {
        phase.push(Span::styled(" · frozen", t.error()));
    }
    now.line(Line::from(
        [
            vec![Span::styled(format!("{:<12}", "phase"), t.dim())],
            phase,
        ]
        .concat(),
    ));
    match a.task.as_ref().and_then(|id| snap.state.task(id)) {
        Some(task) => {
            now.line(Line::from(vec![
                Span::styled(format!("{:<12}", "task"), t.dim()),
                Span::styled(format!("{} ", task.id()), t.text()),
                Span::styled(task.status.as_str(), t.status(task.status)),
                Span::styled(format!(" · {}", task.spec.title), t.dim()),
            ]));
        }
        None => now.line(ctx.kv("task", "—", t.dim())),
    }
    now.line(
        ctx.kv(
            "session",
            a.session
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or("—".into()),
            t.text(),
        ),
    );
    now.line(ctx.kv(
        "model",
        format!("{} on {} · {} sessions", a.model, a.runtime, a.sessions),
        t.text(),
    ));
    now.line(ctx.kv("last output", ctx.when(a.last_output_at), t.text()));
    now
}

/// Tokens, cost against its budget, context use and what went wrong on the way.
fn spend_section(ctx: &PageCtx, id: &AgentId, a: &AgentState) -> Section {
    let (t, snap) = (ctx.theme, ctx.snap);
    let mut spend = Section::new("spend");
    let u = &a.usage;
    spend.line(ctx.kv(
        "tokens",
        format!(
            "in {} · out {} · cache read {} · cache write {} · total {}",
            tokens(u.input),
            tokens(u.output),
            tokens(u.cache_read),
            tokens(u.cache_write),
            tokens(u.total())
        ),
        t.text(),
    ));
    let limit = snap.budget_agent;
    if limit.0 > 0 {
        let share = a.cost.dollars() / limit.dollars();
        spend.line(ctx.kv(
            "cost",
            format!("{} of {} ({:.0}%)", a.cost, limit, share * 100.0),
            t.burn(share),
        ));
    } else {
        spend.line(ctx.kv("cost", a.cost.to_string(), t.money()));
    }
    spend.line(context_line(ctx, id, a));
    if a.reported_cost > crate::domain::Money::ZERO {
        // The CLI's own figure beside ours; a gap means the price table is off.
        let gap = (a.reported_cost.0 - a.cost.0).abs();
        let (text, style) = if gap <= 1_000_000 {
            (format!("{} (agrees)", a.reported_cost), t.money())
        } else {
            (
                format!(
                    "{} vs {} computed: check the price table",
                    a.reported_cost, a.cost
                ),
                t.error(),
            )
        };
        spend.line(ctx.kv("CLI's cost", text, style));
    }
    if a.peak_rss_kib > 0 {
        spend.line(ctx.kv(
            "memory",
            format!("{} MiB peak", a.peak_rss_kib / 1024),
            t.text(),
        ));
    }
    if a.handoffs > 0 {
        spend.line(ctx.kv("handoffs", a.handoffs.to_string(), t.text()));
    }
    if a.api_troubles > 0 {
        spend.line(ctx.kv("API refusals", a.api_troubles.to_string(), t.error()));
    }
    if a.malformed > 0 {
        spend.line(ctx.kv(
            "malformed",
            format!("{} protocol lines or usage reports refused", a.malformed),
            t.error(),
        ));
    }
    if a.dropped_bytes > 0 {
        spend.line(ctx.kv(
            "output cut",
            format!("{} bytes past the 1 MiB line cap dropped", a.dropped_bytes),
            t.error(),
        ));
    }
    spend
}

/// What the agent's last call held, against its model's window.
fn context_line<'a>(ctx: &PageCtx, id: &AgentId, a: &AgentState) -> Line<'a> {
    let (t, snap) = (ctx.theme, ctx.snap);
    let window = snap
        .context_windows
        .get(id)
        .copied()
        .unwrap_or(CONTEXT_WINDOW);
    if a.context_tokens > 0 {
        let share = a.context_tokens as f64 / window as f64;
        let handoff = if snap.handoff_at > 0.0 {
            format!(", hands off at {:.0}%", snap.handoff_at * 100.0)
        } else {
            String::new()
        };
        ctx.kv(
            "context",
            format!(
                "{:.0}% of {}k ({} tokens at the last call{handoff})",
                share * 100.0,
                window / 1000,
                tokens(a.context_tokens)
            ),
            t.burn(share / snap.handoff_at.max(0.01)),
        )
    } else {
        ctx.kv("context", "—", t.dim())
    }
}

/// Tasks merged and failed, rework, alerts.
fn record_section(ctx: &PageCtx, a: &AgentState) -> Section {
    let t = ctx.theme;
    let mut record = Section::new("record");
    record.line(ctx.kv(
        "tasks",
        format!(
            "{} merged · {} failed · {} rework · {} alerts",
            a.tasks_merged, a.tasks_failed, a.rework, a.alerts
        ),
        t.text(),
    ));
    if a.tasks_merged > 0 {
        record.line(ctx.kv(
            "cost/merged",
            crate::domain::Money(a.cost.0 / i64::from(a.tasks_merged)).to_string(),
            t.money(),
        ));
    }
    // Its CV in this swarm, by kind of work: what routing weighs.
    if let Some(kinds) = ctx.snap.state.fit.agents.get(&a.id) {
        for (i, (kind, r)) in kinds.iter().enumerate() {
            record.line(ctx.kv(
                if i == 0 { "by kind" } else { "" },
                format!(
                    "{kind}: {} merged ({} first try) · {} failed",
                    r.merged, r.first_try, r.failed
                ),
                t.text(),
            ));
        }
    }
    if let Some((check, at)) = a.last_alert {
        record.line(ctx.kv(
            "last alert",
            format!("{} {}", check.as_str(), ctx.when(at)),
            t.tier(1),
        ));
    }
    record
}

/// Tasks it was given, newest first.
fn tasks_section(ctx: &PageCtx, id: &AgentId) -> Section {
    let (t, snap) = (ctx.theme, ctx.snap);
    let mut past = Section::new("tasks");
    let given = snap
        .state
        .agent(id)
        .map(|a| a.given.as_slice())
        .unwrap_or(&[]);
    for (task, attempt) in given.iter().rev() {
        let (status, title) = snap
            .state
            .task(task)
            .map(|x| (Some(x.status), x.spec.title.clone()))
            .unwrap_or((None, String::new()));
        past.line(Line::from(vec![
            Span::styled(format!("{:<24} ", task.as_str()), t.text()),
            match status {
                Some(s) => Span::styled(format!("{:<12}", s.as_str()), t.status(s)),
                None => Span::styled(format!("{:<12}", "?"), t.dim()),
            },
            Span::styled(format!("attempt {attempt} · {title}"), t.dim()),
        ]));
    }
    past
}

/// Its live output.
fn output_section(ctx: &PageCtx, id: &AgentId) -> Section {
    let (t, snap) = (ctx.theme, ctx.snap);
    let mut out = Section::stream("output");
    if let Some(tail) = snap.tails.get(id) {
        out.lines.extend(tail.iter().map(|l| {
            // Protocol lines are bookkeeping; what the agent says stands out.
            let style = if l.starts_with("::") {
                t.dim()
            } else {
                t.text()
            };
            Line::styled(l.clone(), style)
        }));
    }
    out
}
