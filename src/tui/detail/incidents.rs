//! Incident records: the list (`i`, `:incidents`), each row selectable, and
//! one record's page: what it is about, who decided, its follow-up, and how
//! to export it as Markdown.

use super::{Page, PageCtx, Section};
use crate::domain::{Incident, IncidentId};
use crate::tui::action::Action;
use crate::tui::format::cell;
use ratatui::text::{Line, Span};

pub fn list(ctx: &PageCtx) -> Page {
    let t = ctx.theme;
    let all = &ctx.snap.state.incidents;
    let mut sec = Section::new(format!("incident records ({})", all.len()));
    if all.is_empty() {
        sec.line(Line::styled(
            format!(
                "none yet: {} on a concern that reached you, or on a task that failed for good, opens one",
                ctx.key(Action::OpenIncident)
            ),
            t.dim(),
        ));
    }
    // Each record: its id and title on one line (cut with …), its
    // follow-up wrapped below.
    let room = ctx.width.saturating_sub(12);
    for (n, i) in all.iter().enumerate() {
        let sel = n == ctx.app.page_sel;
        sec.line(Line::from(vec![
            super::rows::marker(ctx, n),
            Span::styled(format!("{} ", i.id), t.title(sel)),
            Span::styled(cell(&i.title, room), t.text()),
        ]));
        let follow = if i.follow_up.is_empty() {
            "no follow-up yet".to_string()
        } else {
            format!("follow-up: {}", i.follow_up)
        };
        for l in super::wrap(&follow, room) {
            sec.line(Line::styled(format!("         {l}"), t.dim()));
        }
    }
    let mut page = Page::default();
    page.left.push(sec);
    page.left.push(hints(ctx));
    page
}

pub fn page(ctx: &PageCtx, id: &IncidentId) -> Page {
    let t = ctx.theme;
    let mut page = Page::default();
    let Some(i) = ctx.snap.state.incident(id) else {
        let mut sec = Section::new("incident");
        sec.line(Line::styled(format!("no incident {id}"), t.error()));
        page.left.push(sec);
        return page;
    };
    page.left.push(record(ctx, i));
    let mut follow = Section::new("follow-up");
    if i.follow_up.is_empty() {
        follow.line(Line::styled(
            format!("none yet: {} writes it", ctx.key(Action::FollowUp)),
            t.dim(),
        ));
    } else {
        for l in super::wrap(&i.follow_up, ctx.width.saturating_sub(2)) {
            follow.line(Line::styled(l, t.text()));
        }
        if let Some(at) = i.follow_up_at {
            follow.line(ctx.kv("written", ctx.when(at), t.dim()));
        }
    }
    page.left.push(follow);
    page.right.push(hints(ctx));
    page
}

fn record(ctx: &PageCtx, i: &Incident) -> Section {
    let t = ctx.theme;
    let mut sec = Section::new("record");
    sec.line(ctx.kv("about", i.source.id().to_string(), t.title(true)));
    for (n, l) in super::wrap(&i.title, ctx.width.saturating_sub(14))
        .into_iter()
        .enumerate()
    {
        sec.line(ctx.kv(if n == 0 { "what" } else { "" }, l, t.text()));
    }
    sec.line(ctx.kv("opened", ctx.when(i.opened_at), t.text()));
    sec.line(ctx.kv("decided by", i.decided_by.clone(), t.text()));
    sec
}

fn hints(ctx: &PageCtx) -> Section {
    let t = ctx.theme;
    let mut sec = Section::new("keys");
    let text = format!(
        "{} writes the follow-up · enter opens · shiftboss incident export ID writes it as Markdown",
        ctx.key(Action::FollowUp)
    );
    for l in super::wrap(&text, ctx.width.saturating_sub(2)) {
        sec.line(Line::styled(l, t.dim()));
    }
    sec
}
