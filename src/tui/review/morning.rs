//! The morning review: since the last review, what merged, what failed and
//! why (the gates' findings), incidents, what waits for the operator, and
//! the spend; failed work is triaged here, one key per task.

use super::{ReviewScreen, row};
use crate::domain::Routing;
use crate::review::screen::{failed_work, incidents, merged_in};
use crate::tui::action::Action;
use crate::tui::detail::{Page, PageCtx, Section};
use crate::tui::format::clock_hm;
use ratatui::text::{Line, Span};

/// Findings shown under the selected failed task.
const FINDINGS: usize = 4;

fn failed(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let keys: Vec<String> = [
        (Action::Reassign, "reassign"),
        (Action::Respecify, "respecify"),
        (Action::Archive, "archive"),
    ]
    .iter()
    .map(|(a, w)| format!("{} {w}", ctx.key(*a)))
    .collect();
    let work = failed_work(&ctx.snap.state);
    let mut s = Section::new(format!(
        "failed work: {} to triage ({})",
        work.len(),
        keys.join(" · ")
    ));
    let sel = r.selected.min(work.len().saturating_sub(1));
    for (i, task) in work.iter().enumerate() {
        let reason = task.reason.clone().unwrap_or_default();
        s.line(row(
            t,
            i == sel,
            vec![
                Span::styled(format!("{:<18} ", task.spec.id.as_str()), t.text()),
                Span::styled(
                    format!("{:<8}", task.status.as_str()),
                    t.status(task.status),
                ),
                Span::styled(reason, t.dim()),
            ],
        ));
        if i != sel {
            continue;
        }
        s.line(Line::from(vec![
            Span::styled("    spec ", t.dim()),
            Span::styled(first_line(&task.spec.spec, &task.spec.title), t.text()),
        ]));
        for f in task.findings.iter().take(FINDINGS) {
            s.line(Line::from(vec![
                Span::styled("    found ", t.dim()),
                Span::styled(f.to_string(), t.error()),
            ]));
        }
        if task.findings.len() > FINDINGS {
            s.line(Line::styled(
                format!("    … {} more findings", task.findings.len() - FINDINGS),
                t.dim(),
            ));
        }
    }
    s
}

fn first_line(spec: &str, title: &str) -> String {
    spec.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(title)
        .to_string()
}

fn merged(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let list = merged_in(&ctx.snap.state, r.report.period);
    let mut s = Section::new(format!("merged: {}", list.len()));
    // The latest first: what landed last is what the day builds on.
    for task in list.iter().rev() {
        s.line(Line::from(vec![
            Span::styled(
                format!("{} ", task.finished_at.map(clock_hm).unwrap_or_default()),
                t.dim(),
            ),
            Span::styled(format!("{:<18} ", task.spec.id.as_str()), t.text()),
            Span::styled(task.spec.title.clone(), t.dim()),
        ]));
    }
    s
}

fn incidents_section(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let list = incidents(&ctx.snap.state, r.report.period);
    let mut s = Section::new(format!("incidents: {}", list.len()));
    for c in list.iter().rev() {
        s.line(Line::from(vec![
            Span::styled(format!("{} ", clock_hm(c.raised_at)), t.dim()),
            Span::styled(format!("{:<9}", c.impact.as_str()), t.impact(c.impact)),
            Span::styled(format!("{} ", c.id), t.text()),
            Span::styled(c.summary.clone(), t.dim()),
        ]));
    }
    s
}

fn waiting(ctx: &PageCtx) -> Section {
    let t = ctx.theme;
    let s_ = &ctx.snap.state;
    let pauses: Vec<_> = s_.waiting_pauses().collect();
    let concerns: Vec<_> = s_
        .open_concerns()
        .filter(|c| c.routing == Routing::Human)
        .collect();
    let mut s = Section::new(format!(
        "waiting for you: {} pause points · {} concerns",
        pauses.len(),
        concerns.len()
    ));
    for p in pauses {
        s.line(Line::from(vec![
            Span::styled(format!("{} ", p.id), t.pause()),
            Span::styled(p.reason.clone(), t.dim()),
        ]));
    }
    for c in concerns {
        s.line(Line::from(vec![
            Span::styled(format!("{} ", c.id), t.impact(c.impact)),
            Span::styled(c.summary.clone(), t.dim()),
        ]));
    }
    s
}

fn spend(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let f = &r.report.figures;
    let mut s = Section::new("spend since the last review");
    s.line(Line::from(vec![
        Span::styled(format!("{:<12}", "spent"), t.dim()),
        Span::styled(f.spend.to_string(), t.money()),
        Span::styled(
            format!(" · {} merged · {} failed", f.merged, f.failed),
            t.dim(),
        ),
    ]));
    match &ctx.snap.state.night {
        Some(n) => {
            let share = if n.budget > crate::domain::Money::ZERO {
                format!(
                    " of the night budget {} ({:.0} %)",
                    n.budget,
                    n.spent.dollars() / n.budget.dollars() * 100.0
                )
            } else {
                " (the night has no budget of its own)".into()
            };
            s.line(Line::from(vec![
                Span::styled(format!("{:<12}", "the night"), t.dim()),
                Span::styled(n.spent.to_string(), t.money()),
                Span::styled(share, t.dim()),
            ]));
            s.line(Line::styled(
                format!(
                    "{}; {} ends the night",
                    n.closed
                        .as_deref()
                        .unwrap_or("the night shift is still under way"),
                    ctx.key(Action::ToggleNight)
                ),
                t.dim(),
            ));
        }
        None => s.line(Line::styled("no night shift under way", t.dim())),
    }
    s
}

pub fn page(ctx: &PageCtx, r: &ReviewScreen) -> Page {
    Page {
        left: vec![failed(ctx, r), merged(ctx, r)],
        right: vec![spend(ctx, r), incidents_section(ctx, r), waiting(ctx)],
        lead: 2,
    }
}
