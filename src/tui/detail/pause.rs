//! The pause point page: what waits, since when, and what approving or
//! rejecting will do.

use super::{Page, PageCtx, Section, Show, wrap};
use crate::domain::{PauseId, PauseKind, PausePoint, PauseState};
use crate::tui::action::Action;
use ratatui::text::{Line, Span};

/// What approve and reject do, by kind (see `engine/operator.rs`).
fn outcomes(kind: &PauseKind) -> (&'static str, &'static str) {
    match kind {
        PauseKind::AgentRequest => (
            "the agent is told yes and takes the step it asked about",
            "the agent is told no and must go on without that step",
        ),
        PauseKind::Merge => (
            "the branch merges into the target when the queue reaches it",
            "the task is blocked, its branch kept; retry puts it back",
        ),
        PauseKind::Spend => (
            "the frozen session thaws and keeps spending",
            "the session stops; the task is blocked (work kept on its branch) and so are tasks after it",
        ),
        PauseKind::Swarm => (
            "the swarm takes new work again",
            "the swarm takes new work again (nothing was waiting on a yes)",
        ),
        PauseKind::Checkout => (
            "nothing: commit, stash or detach the checkout and landings resume by themselves",
            "nothing: commit, stash or detach the checkout and landings resume by themselves",
        ),
    }
}

pub fn page(ctx: &PageCtx, id: &PauseId) -> Page {
    let t = ctx.theme;
    let s = &ctx.snap.state;
    let mut page = Page::default();
    let Some(p) = s.pause(id) else {
        let mut sec = Section::new("pause point");
        sec.line(Line::styled(format!("no pause point {id}"), t.error()));
        page.left.push(sec);
        return page;
    };
    page.left.push(head(ctx, p));

    page.left.push(decide(ctx, p));
    page.lead = 2;

    let mut events = Section::stream("events behind it");
    events.lines = ctx.events(
        |e| match &p.task {
            Some(task) => e.task.as_ref() == Some(task),
            None => e.agent.is_some() && e.agent == p.agent,
        },
        Show::Agent,
    );
    page.right.push(events);
    page
}

/// The reason, kind, state, agent, task and since when; a swarm pause's
/// readiness and whether it is overdue.
fn head(ctx: &PageCtx, p: &PausePoint) -> Section {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let mut head = Section::new("pause point");
    for l in wrap(&p.reason, ctx.width.saturating_sub(2)) {
        head.line(Line::styled(l, t.pause()));
    }
    head.line(ctx.kv("kind", p.kind.as_str(), t.text()));
    head.line(ctx.kv(
        "state",
        p.state.as_str(),
        if p.state == PauseState::Waiting {
            t.pause()
        } else {
            t.dim()
        },
    ));
    head.line(ctx.kv(
        "agent",
        p.agent.as_ref().map(|a| a.as_str()).unwrap_or("—"),
        t.text(),
    ));
    match p.task.as_ref().and_then(|id| s.task(id)) {
        Some(task) => head.line(Line::from(vec![
            Span::styled(format!("{:<12}", "task"), t.dim()),
            Span::styled(format!("{} ", task.id()), t.text()),
            Span::styled(task.status.as_str(), t.status(task.status)),
            Span::styled(format!(" · {}", task.spec.title), t.dim()),
        ])),
        None => head.line(ctx.kv("task", "—", t.dim())),
    }
    head.line(ctx.kv(
        if p.state == PauseState::Waiting {
            "waiting"
        } else {
            "raised"
        },
        format!("since {}", ctx.when(p.raised_at)),
        t.text(),
    ));
    if p.kind == PauseKind::Swarm && p.state == PauseState::Waiting {
        let (ready, total) = crate::domain::swarm_readiness(s);
        head.line(ctx.kv(
            "ready",
            format!("{ready} of {total} agents finished their work and wait"),
            if ready == total { t.ok() } else { t.pause() },
        ));
    }
    if let Some(since) = p.overdue_since.filter(|_| p.state == PauseState::Waiting) {
        head.line(ctx.kv(
            "overdue",
            format!(
                "since {} (raised again {}×{})",
                ctx.when(since),
                p.reraised,
                if p.timed_out { ", timed out" } else { "" }
            ),
            t.error(),
        ));
    }
    head
}

/// What approving or rejecting does, with the keys; or what was decided.
fn decide(ctx: &PageCtx, p: &PausePoint) -> Section {
    let t = ctx.theme;
    let mut decide = Section::new("what your answer does");
    let (yes, no) = outcomes(&p.kind);
    if p.state == PauseState::Waiting {
        for (a, word, what) in [
            (Action::Approve, "approve", yes),
            (Action::Reject, "reject", no),
        ] {
            decide.line(Line::from(vec![
                Span::styled(format!("{:<4}", ctx.key(a)), t.key()),
                Span::styled(format!("{word:<8}"), t.text()),
                Span::styled(what, t.dim()),
            ]));
        }
    } else {
        decide.line(Line::styled(
            format!(
                "{}: {}",
                p.state.as_str(),
                if p.state == PauseState::Approved {
                    yes
                } else {
                    no
                }
            ),
            t.dim(),
        ));
    }
    decide
}
