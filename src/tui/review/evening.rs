//! The evening review: each metric of `docs/metrics.md` against its target
//! (green, amber, red, critical), its trend over the days before, and the
//! day's spend.

use super::{ReviewScreen, TUNABLE, grade_style, row};
use crate::review::alerts::threshold_key;
use crate::review::screen::night_work;
use crate::review::{Row, value};
use crate::tui::action::Action;
use crate::tui::detail::{Page, PageCtx, Section};
use ratatui::text::{Line, Span};

/// What each metric is held to, in short.
fn target(r: &Row) -> String {
    let parts: Vec<String> = [
        ("", &r.target.target),
        ("warn ", &r.target.warning),
        ("crit ", &r.target.critical),
    ]
    .into_iter()
    .filter_map(|(w, l)| l.as_ref().map(|l| format!("{w}{}", l.text)))
    .collect();
    parts.join(" · ")
}

fn metrics(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let mut s = Section::new("metrics against the targets");
    for row in &r.report.rows {
        s.line(Line::from(vec![
            Span::styled(format!("{:<27}", row.label), t.text()),
            Span::styled(format!("{:>9} ", value(row.unit, row.value)), t.text()),
            Span::styled(
                format!("{:<9}", row.grade.as_str()),
                grade_style(t, row.grade),
            ),
            Span::styled(target(row), t.dim()),
        ]));
    }
    s
}

fn trend(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let mut s = Section::new(format!(
        "trend: the {} days before, oldest first, then today",
        crate::review::TREND
    ));
    for row in &r.report.rows {
        let mut spans = vec![Span::styled(format!("{:<21.21}", row.label), t.dim())];
        for v in &row.trend {
            spans.push(Span::styled(format!("{:>6}", short(row, *v)), t.text()));
        }
        spans.push(Span::styled(
            format!("{:>8}", short(row, row.value)),
            grade_style(t, row.grade),
        ));
        s.line(Line::from(spans));
    }
    s
}

/// A value in at most seven columns (shares without decimals).
fn short(row: &Row, v: Option<f64>) -> String {
    match (row.unit, v) {
        (crate::review::Unit::Share, Some(v)) => format!("{:.0}%", v * 100.0),
        (u, v) => value(u, v),
    }
}

fn spend(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let f = &r.report.figures;
    let mut s = Section::new("spend by model and convoy");
    let mut models: Vec<_> = f.spend_by_model.iter().collect();
    models.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut convoys: Vec<_> = f.spend_by_convoy.iter().collect();
    convoys.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, m) in models.into_iter().chain(convoys.into_iter().take(5)) {
        s.line(Line::from(vec![
            Span::styled(format!("{name:<27}"), t.dim()),
            Span::styled(format!("{:>10}", m.to_string()), t.money()),
        ]));
    }
    s
}

/// The calibration sample: merged tasks to judge good or bad, one key each.
fn calibration(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let sample = ctx.app.review_sample();
    let judged = sample
        .iter()
        .filter(|id| ctx.snap.state.task(id).is_some_and(|t| t.judged.is_some()))
        .count();
    let mut s = Section::new(format!(
        "calibrating the gates: {judged} of {} judged ({} good · {} bad)",
        sample.len(),
        ctx.key(Action::JudgeGood),
        ctx.key(Action::JudgeBad),
    ));
    let sel = r.selected.checked_sub(TUNABLE.len());
    for (i, id) in sample.iter().enumerate() {
        let Some(task) = ctx.snap.state.task(id) else {
            continue;
        };
        let (word, style) = match task.judged {
            Some(true) => ("good", t.ok()),
            Some(false) => ("bad", t.error()),
            None => ("—", t.dim()),
        };
        let back = if task.gate_failures > 0 || task.merge_retries > 0 {
            "sent back · "
        } else {
            ""
        };
        s.line(row(
            t,
            sel == Some(i),
            vec![
                Span::styled(format!("{:<5}", word), style),
                Span::styled(format!("{:<18} ", id.as_str()), t.text()),
                Span::styled(format!("{back}{}", task.spec.title), t.dim()),
            ],
        ));
    }
    s
}

/// The day's T1 alerts by check, real or noise, and each check's threshold.
fn watchdog(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let mut s = Section::new(format!(
        "watchdog: T1 alerts by check ({} tunes the threshold)",
        ctx.key(Action::Tune)
    ));
    s.line(Line::styled(
        format!(
            "{:<14}{:>7}{:>6}{:>7}{:>6}  threshold",
            "check", "alerts", "real", "noise", "open"
        ),
        t.dim(),
    ));
    let settings = ctx
        .app
        .review_source
        .as_ref()
        .map(|src| src.config.engine_settings().watchdog);
    for (i, check) in TUNABLE.iter().enumerate() {
        let tally = r
            .report
            .alerts
            .iter()
            .find(|a| a.check == check.as_str())
            .cloned()
            .unwrap_or_default();
        let key = threshold_key(*check).unwrap_or("");
        let now = settings
            .as_ref()
            .and_then(|w| crate::watchdog::threshold_text(w, key))
            .unwrap_or_default();
        s.line(row(
            t,
            r.selected == i,
            vec![
                Span::styled(format!("{:<14}", check.as_str()), t.text()),
                Span::styled(format!("{:>7}", tally.alerts), t.text()),
                Span::styled(format!("{:>6}", tally.real), t.error()),
                Span::styled(format!("{:>7}", tally.noise), t.ok()),
                Span::styled(format!("{:>6}", tally.open), t.dim()),
                Span::styled(format!("  {key} = {now}"), t.dim()),
            ],
        ));
    }
    s
}

/// What is set up for the night and what it will cost at the day's rates.
fn night(ctx: &PageCtx, r: &ReviewScreen) -> Section {
    let t = ctx.theme;
    let state = &ctx.snap.state;
    let work: Vec<&crate::domain::Task> = state
        .task_order
        .iter()
        .filter_map(|id| state.tasks.get(id))
        .filter(|t| night_work(t))
        .collect();
    let key = ctx.key(Action::ToggleNight);
    let mut s = Section::new(match &state.night {
        Some(_) => format!("the night shift is under way ({key} ends it)"),
        None => format!(
            "the night shift: {} tasks set up ({key} starts it)",
            work.len()
        ),
    });
    let src = ctx.app.review_source.as_ref();
    if let Some(n) = &state.night {
        s.line(Line::from(vec![
            Span::styled(format!("{:<12}", "spent"), t.dim()),
            Span::styled(n.spent.to_string(), t.money()),
            Span::styled(
                format!(
                    " of {} · ends {}",
                    if n.budget > crate::domain::Money::ZERO {
                        n.budget.to_string()
                    } else {
                        "no budget".into()
                    },
                    src.map(|s| s.zone.stamp(n.ends_at)).unwrap_or_default()
                ),
                t.dim(),
            ),
        ]));
        if let Some(why) = &n.closed {
            s.line(Line::styled(
                format!("no new work starts: {why}"),
                t.pause(),
            ));
        }
    }
    let rate = r.report.figures.cost_per_merged_task;
    let cost = rate.map(|d| d * work.len() as f64);
    let budget = src.map_or(0.0, |s| s.config.night.budget);
    s.line(Line::from(vec![
        Span::styled(format!("{:<12}", "at today's"), t.dim()),
        Span::styled(
            match (rate, cost) {
                (Some(r), Some(c)) => format!("${r:.2} a merged task: about ${c:.2}"),
                _ => "no merged task today to price the night by".into(),
            },
            t.money(),
        ),
        Span::styled(
            if budget > 0.0 {
                format!(" · night budget ${budget:.2}")
            } else {
                " · no night budget ([night] budget)".into()
            },
            t.dim(),
        ),
    ]));
    for task in work {
        s.line(Line::from(vec![
            Span::styled(format!("{:<18} ", task.spec.id.as_str()), t.text()),
            Span::styled(task.spec.title.clone(), t.dim()),
        ]));
    }
    s
}

pub fn page(ctx: &PageCtx, r: &ReviewScreen) -> Page {
    Page {
        left: vec![metrics(ctx, r), night(ctx, r), spend(ctx, r)],
        right: vec![trend(ctx, r), watchdog(ctx, r), calibration(ctx, r)],
        lead: 2,
    }
}
