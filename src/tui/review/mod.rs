//! The review screens: the evening review (the day's metrics against the
//! targets, with their trend) and the morning review (since the last
//! review: what merged, what failed and why, incidents, what waits, spend;
//! failed work triaged from the keyboard). A screen fills the body like a
//! page; its report is read from the log when it opens, its lists from the
//! swarm's fold as it changes.

mod evening;
mod morning;

use super::app::App;
use super::detail::{self, Section};
use super::theme::Theme;
use crate::review::screen::Kind;
use crate::review::{Grade, Report};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The watchdog checks the evening review tunes, in its list's order
/// (their rows come before the calibration sample's).
pub const TUNABLE: [crate::domain::Check; 4] = [
    crate::domain::Check::Stalled,
    crate::domain::Check::Looping,
    crate::domain::Check::OverTime,
    crate::domain::Check::OutputFlood,
];

/// An open review screen.
#[derive(Clone, Debug)]
pub struct ReviewScreen {
    pub kind: Kind,
    /// Read from the log when the screen opened.
    pub report: Report,
    /// The row under the cursor in the screen's list (failed work on the
    /// morning, the calibration sample in the evening).
    pub selected: usize,
    /// The review was recorded from this screen.
    pub recorded: bool,
}

impl ReviewScreen {
    pub fn new(kind: Kind, report: Report) -> ReviewScreen {
        ReviewScreen {
            kind,
            report,
            selected: 0,
            recorded: false,
        }
    }
}

/// How a grade looks.
pub fn grade_style(t: &Theme, g: Grade) -> Style {
    match g {
        Grade::Green => t.ok(),
        Grade::Amber => t.burn(0.9),
        Grade::Red => t.error(),
        Grade::Critical => t.error().add_modifier(Modifier::REVERSED),
        Grade::NoData | Grade::Ungraded => t.dim(),
    }
}

/// A row of a screen's list, highlighted when it is under the cursor.
pub(super) fn row(t: &Theme, selected: bool, spans: Vec<Span<'static>>) -> Line<'static> {
    let line = Line::from(spans);
    if selected {
        line.style(t.selected())
    } else {
        line
    }
}

/// The review's totals: the period and what it holds.
fn period_section(app: &App, r: &ReviewScreen) -> Section {
    let t = &app.theme;
    let zone = app
        .review_source
        .as_ref()
        .map(|s| s.zone)
        .unwrap_or(crate::review::screen::Zone::Local);
    let p = r.report.period;
    let f = &r.report.figures;
    let mut s = Section::new(format!("{} review", r.kind.word()));
    s.line(Line::from(vec![
        Span::styled(format!("{:<12}", "period"), t.dim()),
        Span::styled(
            format!("{} → {}", zone.stamp(p.since), zone.stamp(p.until)),
            t.text(),
        ),
    ]));
    s.line(Line::from(vec![
        Span::styled(format!("{:<12}", "totals"), t.dim()),
        Span::styled(
            format!(
                "merged {} · failed {} · landings {} · waiting {}",
                f.merged, f.failed, f.landings, f.still_waiting
            ),
            t.text(),
        ),
    ]));
    s.line(Line::from(vec![
        Span::styled(format!("{:<12}", "spend"), t.dim()),
        Span::styled(f.spend.to_string(), t.money()),
    ]));
    let key = app
        .keys
        .label(super::action::Action::RecordReview)
        .unwrap_or_default();
    s.line(if r.recorded {
        Line::styled("recorded: the next review starts here", t.ok())
    } else {
        Line::from(vec![
            Span::styled(key, t.key()),
            Span::styled(" records this review (the next one starts here)", t.dim()),
        ])
    });
    s
}

/// Draw the open review screen into the body.
pub fn draw(app: &App, r: &ReviewScreen, area: Rect, buf: &mut Buffer) {
    let label = match r.kind {
        Kind::Morning => "since the last review",
        Kind::Evening => "the day against the targets",
    };
    detail::draw_with(
        app,
        &format!("{} review", r.kind.word()),
        label,
        area,
        buf,
        |ctx| {
            let mut page = match r.kind {
                Kind::Evening => evening::page(ctx, r),
                Kind::Morning => morning::page(ctx, r),
            };
            page.left.insert(0, period_section(app, r));
            page
        },
    );
}
