//! The concern page: what happened, what was tried, the events behind it,
//! and what the operator can do.

use super::{Page, PageCtx, Section, Show, wrap};
use crate::domain::{Concern, ConcernId, Disposition, Event, EventKind};
use crate::tui::action::Action;
use crate::tui::panes::inbox::folded;
use ratatui::text::{Line, Span};

/// Earlier attempts at a fix: watchdog alerts, requeues, reworks, ends.
fn tried(e: &Event) -> bool {
    matches!(
        e.kind,
        EventKind::WatchdogAlert { .. }
            | EventKind::TaskRequeued { .. }
            | EventKind::TaskReworked { .. }
            | EventKind::TaskFailed { .. }
            | EventKind::TaskBlocked { .. }
            | EventKind::SessionEnded { .. }
            | EventKind::PauseDecided { .. }
    )
}

pub fn page(ctx: &PageCtx, id: &ConcernId) -> Page {
    let t = ctx.theme;
    let snap = ctx.snap;
    let mut page = Page::default();
    let Some(c) = snap.state.concern(id) else {
        let mut sec = Section::new("concern");
        sec.line(Line::styled(format!("no concern {id}"), t.error()));
        page.left.push(sec);
        return page;
    };

    page.left.push(what_happened(ctx, c));
    if let Some(same) = the_same_concern(ctx, id) {
        page.left.push(same);
    }
    if let Some(triage) = what_triage_decided(ctx, c) {
        page.left.push(triage);
    }
    page.left.push(what_you_can_do(ctx, c));

    // The same task, or else the same agent.
    let same = |e: &Event| match (&c.task, &c.agent) {
        (Some(task), _) => e.task.as_ref() == Some(task),
        (None, Some(agent)) => e.agent.as_ref() == Some(agent),
        (None, None) => false,
    };
    let mut was_tried = Section::stream("what was tried");
    was_tried.lines = ctx.events(|e| same(e) && tried(e), Show::Agent);
    page.right.push(was_tried);
    let mut events = Section::stream("events behind it");
    events.lines = ctx.events(same, Show::Agent);
    page.right.push(events);
    page
}

/// The summary, source, impact, routing, disposition, who, when, and since
/// when it is overdue.
fn what_happened(ctx: &PageCtx, c: &Concern) -> Section {
    let t = ctx.theme;
    let mut what = Section::new("what happened");
    for l in wrap(&c.summary, ctx.width.saturating_sub(2)) {
        what.line(Line::styled(l, t.impact(c.impact)));
    }
    what.line(ctx.kv("source", c.source.as_str(), t.text()));
    what.line(Line::from(vec![
        Span::styled(format!("{:<12}", "impact"), t.dim()),
        Span::styled(c.impact.as_str(), t.impact(c.impact)),
        Span::styled(format!(" · confidence {:.2}", c.confidence), t.text()),
        Span::styled(format!(" · routed to {}", c.routing.as_str()), t.text()),
    ]));
    let disposition = match &c.disposition {
        Disposition::Dismissed(r) => format!("dismissed: {r}"),
        d => d.as_str().to_string(),
    };
    what.line(ctx.kv(
        "disposition",
        disposition,
        if c.disposition.is_open() {
            t.text()
        } else {
            t.dim()
        },
    ));
    what.line(ctx.kv(
        "agent · task",
        format!(
            "{} · {}",
            c.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"),
            c.task.as_ref().map(|a| a.as_str()).unwrap_or("—")
        ),
        t.text(),
    ));
    what.line(ctx.kv("raised", ctx.when(c.raised_at), t.text()));
    if let Some(since) = c.overdue_since.filter(|_| c.disposition.is_open()) {
        what.line(ctx.kv(
            "overdue",
            format!("since {} (raised again {}×)", ctx.when(since), c.reraised),
            t.error(),
        ));
    }
    what
}

/// A folded row opens to all its members: each with its impact,
/// confidence, routing and when it was raised.
fn the_same_concern(ctx: &PageCtx, id: &ConcernId) -> Option<Section> {
    let t = ctx.theme;
    let f = folded(ctx.snap)
        .into_iter()
        .find(|f| f.members.iter().any(|m| &m.id == id))
        .filter(|f| f.count() > 1)?;
    let mut same = Section::new(format!("the same concern, {}×", f.count()));
    for m in &f.members {
        same.line(Line::from(vec![
            Span::styled(format!("{:<8}", m.id.as_str()), t.text()),
            Span::styled(format!("{:<9}", m.impact.as_str()), t.impact(m.impact)),
            Span::styled(format!("{:.2}  ", m.confidence), t.dim()),
            Span::styled(format!("{:<7}", m.routing.as_str()), t.text()),
            Span::styled(ctx.when(m.raised_at), t.dim()),
        ]));
    }
    Some(same)
}

/// T2 triage's verdict, its reasons and its recommendation: what T1 and T2
/// made of it before it reached the operator (or why it never had to).
fn what_triage_decided(ctx: &PageCtx, c: &Concern) -> Option<Section> {
    let t = ctx.theme;
    let state = &ctx.snap.state;
    if state.triage.waiting.contains(&c.id) {
        let mut s = Section::new("triage");
        s.line(Line::styled(
            format!(
                "deciding since {}: resolve, act, or escalate to you",
                ctx.when(c.raised_at)
            ),
            t.dim(),
        ));
        return Some(s);
    }
    let d = state.triage.verdict(&c.id)?;
    let mut s = Section::new("triage");
    s.line(ctx.kv(
        "verdict",
        format!("{} at {}", d.verdict.as_str(), ctx.when(d.at)),
        t.text(),
    ));
    if d.verdict == crate::domain::triage::Verdict::Act
        && let Some(a) = &d.action
    {
        s.line(ctx.kv("did", a.describe(), t.text()));
    }
    for r in &d.reasons {
        s.line(ctx.kv("because", r.clone(), t.text()));
    }
    if !d.recommendation.is_empty() {
        s.line(ctx.kv("recommends", d.recommendation.clone(), t.pause()));
    }
    if d.verdict == crate::domain::triage::Verdict::Escalate
        && let Some(a) = &d.action
    {
        s.line(ctx.kv("proposes", a.describe(), t.pause()));
    }
    Some(s)
}

/// The keys that close an open concern.
fn what_you_can_do(ctx: &PageCtx, c: &Concern) -> Section {
    let t = ctx.theme;
    let mut keys = Section::new("what you can do");
    if c.disposition.is_open() {
        // Triage's proposal first: the one key that accepts it.
        if let Ok((_, action)) = crate::engine::accept::proposal(&ctx.snap.state, &c.id) {
            keys.line(Line::from(vec![
                Span::styled(format!("{:<6}", ctx.key(Action::Accept)), t.key()),
                Span::styled(
                    format!("accept triage's recommendation: {}", action.describe()),
                    t.pause(),
                ),
            ]));
        }
        for (a, what) in [
            (Action::Ack, "acknowledge: it stays in the inbox, dimmer"),
            (Action::Resolve, "resolve: it was dealt with"),
            (
                Action::Dismiss,
                "dismiss with a reason: it was not a problem",
            ),
        ] {
            keys.line(Line::from(vec![
                Span::styled(format!("{:<6}", ctx.key(a)), t.key()),
                Span::styled(what, t.text()),
            ]));
        }
    } else {
        keys.line(Line::styled("nothing: it is closed", t.dim()));
    }
    keys
}
