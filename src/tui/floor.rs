//! The whole screen: the header line, the five panes (or a drill-down
//! page), the footer of key hints, and overlays (help, command line,
//! confirm).

use super::action::{Action, Scope};
use super::app::{App, Mode};
use super::command_line::LineEdit;
use super::detail;
use super::panes::{DrawCtx, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

/// Draw the console into `buf`.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    buf.set_style(area, app.theme.base());
    let [header, body, footer] = split(area);
    super::header::draw(app, header, buf);
    if let Mode::Log(view) = &app.mode {
        view.draw(&app.theme, body, buf);
    } else if let Some(r) = &app.review {
        super::review::draw(app, r, body, buf);
    } else if let Some(target) = app.pages.last() {
        detail::draw(app, target, body, buf);
    } else {
        draw_panes(app, body, buf);
    }
    draw_footer(app, footer, buf);
    match &app.mode {
        Mode::Help { scroll } => draw_help(app, *scroll, area, buf),
        Mode::Confirm { prompt, .. } => {
            draw_prompt(app, " confirm ", &format!("{prompt}  [y/n]"), area, buf)
        }
        Mode::Reason { target, edit } => draw_prompt(
            app,
            " dismiss ",
            &format!(
                "reason for dismissing {}: {}",
                target.label(),
                plain_cursor(edit)
            ),
            area,
            buf,
        ),
        Mode::Tune { key, edit } => draw_prompt(
            app,
            " tune the watchdog ",
            &format!(
                "[watchdog] {key} (written to the config, in effect at once): {}",
                plain_cursor(edit)
            ),
            area,
            buf,
        ),
        Mode::FollowUp { id, edit } => draw_prompt(
            app,
            " follow-up ",
            &format!(
                "what the team will change after {id}: {}   enter keeps · esc cancels",
                plain_cursor(edit)
            ),
            area,
            buf,
        ),
        Mode::Respecify { task, edit } => draw_prompt(
            app,
            " respecify ",
            &format!(
                "new spec for {task} (enter requeues it): {}",
                plain_cursor(edit)
            ),
            area,
            buf,
        ),
        Mode::Amount { task, edit } => draw_prompt(
            app,
            " more budget ",
            &format!(
                "give {task} more budget (dollars, or a share such as 50%): {}   enter gives · esc cancels",
                plain_cursor(edit)
            ),
            area,
            buf,
        ),
        _ => {}
    }
    if app.glyphs == super::glyphs::Glyphs::Ascii {
        super::glyphs::to_ascii(buf, area);
    }
}

/// The header line, the body, the footer.
fn split(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The body under the header line and above the footer.
pub fn body_area(area: Rect) -> Rect {
    split(area)[1]
}

/// Where each of the five panes goes in the body.
pub fn pane_areas(area: Rect) -> [(PaneId, Rect); 5] {
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Percentage(40),
        Constraint::Percentage(28),
        Constraint::Percentage(32),
    ])
    .areas(area);
    let [convoys, watchdog] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    let [burn, merge] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);
    [
        (PaneId::Convoys, convoys),
        (PaneId::Watchdog, watchdog),
        (PaneId::Burn, burn),
        (PaneId::Merge, merge),
        (PaneId::Inbox, bottom),
    ]
}

fn draw_panes(app: &App, area: Rect, buf: &mut Buffer) {
    for (id, rect) in pane_areas(area) {
        let ctx = DrawCtx {
            snap: &app.snap,
            theme: &app.theme,
            focused: app.focus == id,
            state: app.state(id),
            number: id.index() + 1,
        };
        app.pane(id).draw(&ctx, rect, buf);
    }
}

fn draw_footer(app: &App, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        // A terminal shorter than the layout: the footer has no row.
        return;
    }
    let t = &app.theme;
    let line = match &app.mode {
        Mode::CommandLine(e) => Line::from(
            [Span::styled(":", t.key())]
                .into_iter()
                .chain(edit_spans(e))
                .chain([Span::styled(
                    if e.hint.is_empty() {
                        String::new()
                    } else {
                        format!("   {}", e.hint)
                    },
                    t.dim(),
                )])
                .collect::<Vec<_>>(),
        ),
        Mode::Filter(e) => Line::from(
            [Span::styled("/", t.key())]
                .into_iter()
                .chain(edit_spans(e))
                .collect::<Vec<_>>(),
        ),
        _ => {
            if let Some(n) = &app.notice {
                Line::from(Span::styled(format!(" {n}"), t.error()))
            } else {
                // Help first and quit last always stay; the hints between
                // are left out from the end when the line is too narrow.
                let hints: Vec<(String, &str)> = footer_actions(app)
                    .into_iter()
                    .filter_map(|a| app.keys.label(a).map(|k| (k, short(a))))
                    .collect();
                let width = |(k, w): &(String, &str)| k.chars().count() + w.chars().count() + 3;
                let mut room = area.width as usize;
                let mut keep = vec![false; hints.len()];
                let ends = [0, hints.len().saturating_sub(1)];
                for i in ends.into_iter().chain(1..hints.len()) {
                    if !keep[i] && width(&hints[i]) <= room {
                        keep[i] = true;
                        room -= width(&hints[i]);
                    } else if !keep[i] {
                        break;
                    }
                }
                let mut spans = Vec::new();
                for ((k, w), _) in hints.iter().zip(&keep).filter(|(_, k)| **k) {
                    spans.push(Span::styled(format!(" {k}"), t.key()));
                    spans.push(Span::styled(format!(" {w} "), t.dim()));
                }
                Line::from(spans)
            }
        }
    };
    buf.set_line(area.x, area.y, &line, area.width);
}

/// The hints that matter where the operator is.
fn footer_actions(app: &App) -> Vec<Action> {
    if let Some(r) = &app.review {
        let mut v = vec![Action::Help, Action::Down, Action::Up];
        if r.kind == crate::review::screen::Kind::Morning {
            v.extend([
                Action::Reassign,
                Action::Respecify,
                Action::Archive,
                Action::ToggleNight,
            ]);
        } else {
            v.extend([
                Action::Tune,
                Action::JudgeGood,
                Action::JudgeBad,
                Action::ToggleNight,
            ]);
        }
        v.extend([Action::RecordReview, Action::Back]);
        return v;
    }
    let mut pane = match app.focus {
        PaneId::Inbox => vec![
            Action::Approve,
            Action::Reject,
            Action::Ack,
            Action::Dismiss,
        ],
        PaneId::Watchdog => vec![
            Action::Logs,
            Action::Mail,
            Action::TogglePause,
            Action::Kill,
            Action::Unfold,
        ],
        PaneId::Convoys => vec![Action::TogglePause],
        PaneId::Merge => vec![
            Action::Retry,
            Action::Drop,
            Action::MoveFront,
            Action::MoveBack,
        ],
        PaneId::Burn => vec![],
    };
    // A task stopped at its budget (or its concern): more budget first.
    let s = &app.snap.state;
    let sel = app.selected();
    let stopped = sel
        .as_ref()
        .and_then(|t| super::app::task_of(s, t))
        .is_some_and(|t| s.task(&t).is_some_and(|t| t.stopped_at_budget()));
    if stopped {
        pane.insert(0, Action::RaiseBudget);
    }
    if matches!(
        app.pages.last(),
        Some(super::panes::Target::Incidents | super::panes::Target::Incident(_))
    ) {
        pane = vec![Action::FollowUp];
    }
    let mut v = vec![Action::Help, Action::CommandLine, Action::Open];
    v.extend(pane);
    v.extend([Action::EmergencyStop, Action::Faster, Action::Quit]);
    v
}

/// A footer's word for an action.
fn short(a: Action) -> &'static str {
    match a {
        Action::Help => "help",
        Action::CommandLine => "cmd",
        Action::Open => "open",
        Action::Approve => "approve",
        Action::Reject => "reject",
        Action::Ack => "ack",
        Action::Dismiss => "dismiss",
        Action::TogglePause => "pause",
        Action::Kill => "kill",
        Action::Retry => "retry",
        Action::RaiseBudget => "more budget",
        Action::Unfold => "unfold",
        Action::FollowUp => "follow-up",
        Action::OpenIncident => "incident",
        Action::Drop => "drop",
        Action::MoveFront => "front",
        Action::MoveBack => "back",
        Action::EmergencyStop => "stop all",
        Action::Down => "down",
        Action::Up => "up",
        Action::Back => "back",
        Action::Reassign => "reassign",
        Action::Respecify => "respecify",
        Action::Archive => "archive",
        Action::RecordReview => "record",
        Action::Tune => "tune",
        Action::ToggleNight => "night",
        Action::JudgeGood => "good",
        Action::JudgeBad => "bad",
        Action::Faster => "faster",
        Action::Quit => "quit",
        _ => a.name(),
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_prompt(app: &App, title: &str, text: &str, area: Rect, buf: &mut Buffer) {
    let rect = centered(area, 72, 5);
    Clear.render(rect, buf);
    Paragraph::new(text.to_string())
        .wrap(Wrap { trim: true })
        .style(app.theme.text())
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(app.theme.pause())
                .title(title.to_string()),
        )
        .render(rect, buf);
}

/// The help: every bound key, grouped by scope, from the same table that
/// dispatches keys.
fn draw_help(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let rect = centered(area, 86, area.height.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    for scope in [
        Scope::Global,
        Scope::Navigation,
        Scope::Inbox,
        Scope::Swarm,
        Scope::Queue,
        Scope::Review,
    ] {
        let actions: Vec<Action> = app.keys.bound().filter(|a| a.scope() == scope).collect();
        if actions.is_empty() {
            continue;
        }
        lines.push(Line::styled(scope.title().to_string(), t.title(true)));
        for a in actions {
            let keys: Vec<String> = app.keys.keys(a).iter().map(|k| k.label()).collect();
            let text = match a.dangerous() {
                true => format!("{}  (asks first)", a.help()),
                false => a.help().to_string(),
            };
            // Wrapped under its own column, never into the margin.
            let room = (rect.width as usize).saturating_sub(2 + HELP_KEYS);
            for (n, part) in detail::wrap(&text, room.max(10)).into_iter().enumerate() {
                let keys = if n == 0 {
                    keys.join(" ")
                } else {
                    String::new()
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<14}"), t.key()),
                    Span::styled(part, t.text()),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    // The command line's words, from the one action table.
    let words: Vec<String> = crate::tui::action::line_commands()
        .filter(|(w, _, _)| !(app.snap.real_time && *w == "speed"))
        .map(|(w, args, _)| format!("{w} {args}").trim_end().to_string())
        .collect();
    let commands = format!("command line: {}", words.join(" · "));
    for part in detail::wrap(&commands, (rect.width as usize).saturating_sub(2).max(10)) {
        lines.push(Line::styled(part, t.dim()));
    }
    let inside = rect.height.saturating_sub(2) as usize;
    let max = lines.len().saturating_sub(inside).min(u16::MAX as usize) as u16;
    app.help_scroll_max.set(max);
    let scroll = scroll.min(max);
    let title = match max {
        0 => " help · esc closes ".to_string(),
        m => format!(
            " help · line {} of {} · j/k ctrl-d/ctrl-u scroll · esc closes ",
            scroll + 1,
            m + 1
        ),
    };
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .scroll((scroll, 0))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Rounded)
                .border_style(t.border(true))
                .title(title),
        )
        .render(rect, buf);
}

/// The width of the help's key column.
const HELP_KEYS: usize = 16;

/// A line being typed, the character under the cursor drawn reversed.
fn edit_spans(e: &LineEdit) -> [Span<'_>; 3] {
    let (before, under, after) = e.around_cursor();
    let cursor = match after.is_empty() && under == " " {
        // At the end: a block, which text screenshots show too.
        true => Span::raw("█"),
        false => Span::styled(under, ratatui::style::Style::new().reversed()),
    };
    [Span::raw(before), cursor, Span::raw(after)]
}

/// The same in plain text: a block at the end, a bar before the cursor's
/// character elsewhere.
fn plain_cursor(e: &LineEdit) -> String {
    let (before, under, after) = e.around_cursor();
    if after.is_empty() && under == " " {
        format!("{before}█")
    } else {
        format!("{before}▏{under}{after}")
    }
}
