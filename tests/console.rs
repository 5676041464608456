//! Snapshots of the console (level 2 of the style guide's tests): every pane
//! and the whole floor at fixed virtual times of the standard day, in every
//! theme, plus the help, an agent's page, the inbox with a pause point, the
//! command line with a completion and the prompts. Beside them, behaviour
//! checks on the same screens: keys reach the outbox as engine commands.
//!
//! The simulated day runs once per time point (12 agents, to keep debug
//! builds quick); every test draws from that snapshot into buffers.
//!
//! Text snapshots cannot see colour, so the themes also get a style map:
//! one letter per cell naming its (fg, bg, modifiers), with a legend.
//!
//! Accept new or changed snapshots with `INSTA_UPDATE=always cargo test
//! --test console`, then read the `.snap` files in `tests/snapshots/`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use shiftboss::config::Scenario;
use shiftboss::domain::HOUR;
use shiftboss::engine::Command;
use shiftboss::swarm::{RunOptions, Snapshot, Speed};
use shiftboss::tui::action::{Action, Key, KeyMap, KeyName};
use shiftboss::tui::app::{App, Mode};
use shiftboss::tui::panes::{DrawCtx, PaneId, Target};
use shiftboss::tui::screenshot;
use shiftboss::tui::theme::Theme;
use std::sync::OnceLock;

/// The terminal the snapshots are drawn for.
const W: u16 = 160;
const H: u16 = 48;
const AGENTS: usize = 12;
const THEMES: [&str; 3] = ["dark", "light", "high-contrast"];

// ---------------------------------------------------------------------------
// The swarm, once per time point.

/// The standard day with `AGENTS` agents, run in a temporary folder to
/// `hours` of virtual time; its snapshot as the console would get it.
fn standard_day_at(hours: i64) -> Snapshot {
    let mut scenario = Scenario::builtin("standard-day").expect("built in");
    scenario.config.swarm.agents = AGENTS;
    scenario.config.swarm.max_live = AGENTS;
    let dir = tempfile::Builder::new()
        .prefix("shiftboss-console-test-")
        .tempdir()
        .expect("a temporary folder");
    let mut swarm = shiftboss::cli::demo::open_demo(&dir.path().join("project"), &scenario, true)
        .expect("open the demo swarm");
    let started = swarm.engine().state().started_at;
    swarm
        .run(&RunOptions {
            until: Some(started + hours * HOUR),
            stop_when_idle: false,
            speed: Speed::Max,
            approve_all: false,
            progress: false,
        })
        .expect("run the day");
    let mut snap = swarm.snapshot();
    // What a live console shows; a run at `max` would say `max`.
    snap.speed = "60x".into();
    snap
}

fn at_1h() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| standard_day_at(1))
}

fn at_4h() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| standard_day_at(4))
}

// ---------------------------------------------------------------------------
// Consoles, keys, pictures.

fn theme(name: &str) -> Theme {
    Theme::builtin(name).unwrap_or_else(|| panic!("no built-in theme {name}"))
}

fn console(snap: &Snapshot, theme_name: &str, readonly: bool) -> App {
    App::new(
        snap.clone(),
        theme(theme_name),
        KeyMap::defaults(readonly),
        readonly,
    )
}

/// Press keys written as key files write them, separated by spaces:
/// `"5 j d"`, `": tab"`, `"space"`, `"esc"`.
fn press(app: &mut App, keys: &str) {
    for k in keys.split_whitespace() {
        app.key(Key::parse(k).unwrap_or_else(|| panic!("not a key: {k}")));
    }
}

/// Type text into whatever has the keyboard.
fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.key(Key {
            code: KeyName::Char(c),
            ctrl: false,
        });
    }
}

fn draw(app: &App) -> Buffer {
    screenshot::render(app, W, H)
}

fn text(app: &App) -> String {
    screenshot::to_text(&draw(app))
}

/// One pane alone, focused, in a `w` × `h` area.
fn draw_pane(app: &App, id: PaneId, w: u16, h: u16) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    let ctx = DrawCtx {
        snap: &app.snap,
        theme: &app.theme,
        focused: true,
        state: app.state(id),
        number: id.index() + 1,
    };
    app.pane(id).draw(&ctx, area, &mut buf);
    buf
}

fn colour(c: Color) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("idx{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The buffer's styles: one letter per cell for its (fg, bg, modifiers),
/// then a legend. Compact enough to review, and it changes when a colour
/// or an emphasis does.
fn style_map(buf: &Buffer) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut legend: Vec<(Color, Color, Modifier)> = Vec::new();
    let mut grid = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            let style = (c.fg, c.bg, c.modifier);
            let i = legend.iter().position(|s| *s == style).unwrap_or_else(|| {
                legend.push(style);
                legend.len() - 1
            });
            grid.push(*LETTERS.get(i).expect("at most 62 styles on a screen") as char);
        }
        grid.push('\n');
    }
    grid.push('\n');
    for (i, (fg, bg, m)) in legend.iter().enumerate() {
        grid.push_str(&format!(
            "{} fg={} bg={} {:?}\n",
            LETTERS[i] as char,
            colour(*fg),
            colour(*bg),
            m
        ));
    }
    grid
}

// ---------------------------------------------------------------------------
// Snapshots, with what varies scrubbed.

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// A hex word of at least 7 characters with at least one letter: a commit
/// id, not a count of tokens. (The regex crate has no look-ahead, so the
/// first letter's position is spelled out.)
fn hex_id_pattern() -> String {
    let mut alts: Vec<String> = (0..6)
        .map(|k| format!("[0-9a-f]{{{k}}}[a-f][0-9a-f]{{{},}}", 6 - k))
        .collect();
    alts.push("[0-9a-f]{6,}[a-f][0-9a-f]*".into());
    format!(r"\b(?:{})\b", alts.join("|"))
}

/// A text snapshot, scrubbed of temporary paths and commit ids.
fn check(name: &str, description: &str, snapshot: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_description(description);
    settings.set_omit_expression(true);
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_string_lossy();
    let tmp = tmp.trim_end_matches('/');
    settings.add_filter(&format!(r"{}/\S*", regex_escape(tmp)), "[tmp]");
    settings.add_filter(r"/tmp/\S*", "[tmp]");
    settings.add_filter(&hex_id_pattern(), "[hex]");
    settings.bind(|| insta::assert_snapshot!(name, snapshot));
}

/// A style map: letters and colours only, nothing to scrub (and the hex
/// filter would eat rows of letters a–f).
fn check_styles(name: &str, description: &str, buf: &Buffer) {
    let mut settings = insta::Settings::clone_current();
    settings.set_description(description);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, style_map(buf)));
}

// ---------------------------------------------------------------------------
// The floor.

#[test]
fn floor_at_1h_and_4h() {
    for (name, snap) in [("floor_1h", at_1h()), ("floor_4h", at_4h())] {
        let mut app = console(snap, "dark", false);
        app.focus = PaneId::Convoys;
        check(
            name,
            "the whole floor, 160x48, convoy board focused, 12 agents",
            &text(&app),
        );
    }
}

#[test]
fn floor_in_a_small_terminal() {
    let mut app = console(at_4h(), "dark", false);
    app.focus = PaneId::Convoys;
    check(
        "floor_4h_80x24",
        "the floor at 4h in an 80x24 terminal",
        &screenshot::to_text(&screenshot::render(&app, 80, 24)),
    );
}

/// At 80x24 with the inbox focused: at least 40 characters of every
/// concern on screen, a cut list says how many more, the footer keeps
/// `? help` and `q quit`.
#[test]
fn inbox_in_a_small_terminal_shows_each_concern() {
    let snap = at_4h();
    let mut app = console(snap, "dark", false);
    app.focus = PaneId::Inbox;
    let screen = screenshot::to_text(&screenshot::render(&app, 80, 24));
    let lines: Vec<&str> = screen.lines().collect();
    let footer = lines.last().expect("a footer");
    assert!(
        footer.contains("? help") && footer.contains("q quit"),
        "{footer}"
    );
    let mut seen = 0;
    for c in snap.state.open_concerns() {
        let Some(row) = lines.iter().find(|l| l.contains(&format!("● {} ", c.id))) else {
            continue;
        };
        seen += 1;
        let want: String = c.summary.chars().take(40).collect();
        assert!(
            row.contains(&want),
            "{} shows less than 40 characters: {row}",
            c.id
        );
    }
    assert!(seen >= 2, "concern rows on screen:\n{screen}");
    assert!(
        screen.contains("more ─"),
        "the cut inbox says how many more:\n{screen}"
    );
    check(
        "inbox_4h_80x24",
        "the floor at 4h in an 80x24 terminal, the inbox focused",
        &screen,
    );
}

/// Where the font lacks the symbols: `--glyphs ascii` (or a locale without
/// UTF-8) draws every one as ASCII, text and all else as it was.
#[test]
fn floor_in_ascii_glyphs() {
    let mut app = console(at_4h(), "dark", false);
    app.focus = PaneId::Inbox;
    app.glyphs = shiftboss::tui::glyphs::Glyphs::Ascii;
    let screen = screenshot::to_text(&screenshot::render(&app, 80, 24));
    let odd: String = screen.chars().filter(|c| !c.is_ascii()).collect();
    assert!(odd.is_empty(), "not ASCII: {odd:?}\n{screen}");
    assert!(
        screen.contains("= P-0001"),
        "a pause point's mark:\n{screen}"
    );
    check(
        "floor_4h_80x24_ascii",
        "the floor at 4h in an 80x24 terminal, ASCII glyphs",
        &screen,
    );
}

#[test]
fn every_size_draws_without_panic() {
    // The sizes `shiftboss screenshot` accepts start at 40x12; a terminal
    // can be smaller still.
    let mut app = console(at_4h(), "dark", false);
    for (w, h) in [
        (1, 1),
        (20, 2),
        (20, 5),
        (40, 7),
        (40, 12),
        (41, 13),
        (80, 24),
        (120, 40),
        (300, 100),
    ] {
        for keys in ["1", "2", "3", "4", "5", "?", "esc X", "n 2 enter"] {
            press(&mut app, keys);
            let buf = screenshot::render(&app, w, h);
            assert_eq!(buf.area, Rect::new(0, 0, w, h));
        }
        press(&mut app, "esc");
    }
}

#[test]
fn a_one_row_terminal_draws_without_panic() {
    let app = console(at_4h(), "dark", false);
    for w in [5, 80] {
        screenshot::render(&app, w, 1);
    }
    for id in PaneId::ALL {
        draw_pane(&app, id, 10, 1);
    }
}

#[test]
fn floor_in_each_theme() {
    for name in THEMES {
        let mut app = console(at_4h(), name, false);
        app.focus = PaneId::Convoys;
        check_styles(
            &format!("floor_4h_styles_{name}"),
            &format!(
                "styles of the floor at 4h in the {name} theme: a letter per cell, legend below"
            ),
            &draw(&app),
        );
    }
}

#[test]
fn themes_change_colours_not_text() {
    let drawn: Vec<(Theme, Buffer)> = THEMES
        .iter()
        .map(|name| {
            let app = console(at_4h(), name, false);
            let buf = draw(&app);
            (app.theme, buf)
        })
        .collect();
    let texts: Vec<String> = drawn.iter().map(|(_, b)| screenshot::to_text(b)).collect();
    assert!(
        texts.iter().all(|t| *t == texts[0]),
        "a theme changed the text"
    );
    for i in 0..drawn.len() {
        for j in i + 1..drawn.len() {
            assert_ne!(
                style_map(&drawn[i].1),
                style_map(&drawn[j].1),
                "{} and {} look the same",
                drawn[i].0.name,
                drawn[j].0.name
            );
        }
    }
    for (theme, buf) in &drawn {
        let p = &theme.palette;
        // The header line is the theme's header colour, end to end.
        for x in 0..W {
            assert_eq!(buf[(x, 0)].bg, p.header, "{}: header cell {x}", theme.name);
        }
        // Most of the screen is the theme's background.
        let background = (0..H)
            .flat_map(|y| (0..W).map(move |x| (x, y)))
            .filter(|&xy| buf[xy].bg == p.background)
            .count();
        assert!(
            background > (W as usize * H as usize) / 2,
            "{}: {background} cells of background",
            theme.name
        );
    }
}

#[test]
fn no_color_leaves_every_cell_uncoloured() {
    // NO_COLOR: emphasis by modifiers only. A pane that names a colour of
    // its own instead of asking the theme shows up here.
    let mut app = console(at_4h(), "dark", false);
    app.theme = app.theme.clone().with_no_color(true);
    for keys in ["1", "2", "3", "4", "5", "?", "esc 2 enter", "esc X"] {
        press(&mut app, keys);
        let buf = draw(&app);
        for y in 0..H {
            for x in 0..W {
                let c = &buf[(x, y)];
                assert_eq!(
                    (c.fg, c.bg),
                    (Color::Reset, Color::Reset),
                    "after {keys:?}: cell ({x}, {y}) {:?} is coloured",
                    c.symbol()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Every pane alone.

#[test]
fn each_pane_at_1h_and_4h() {
    for (at, snap) in [("1h", at_1h()), ("4h", at_4h())] {
        let app = console(snap, "dark", false);
        for id in PaneId::ALL {
            let slug = id.title().replace(' ', "_");
            check(
                &format!("pane_{slug}_{at}"),
                &format!("the {} pane alone at {at}, 100x20, focused", id.title()),
                &screenshot::to_text(&draw_pane(&app, id, 100, 20)),
            );
        }
    }
}

#[test]
fn each_pane_in_a_tiny_area_draws_without_panic() {
    let app = console(at_4h(), "dark", false);
    for id in PaneId::ALL {
        for (w, h) in [(1, 1), (2, 1), (2, 2), (3, 3), (10, 2), (10, 3), (30, 4)] {
            draw_pane(&app, id, w, h);
        }
    }
}

// ---------------------------------------------------------------------------
// Overlays and pages.

#[test]
fn help_overlay() {
    let mut app = console(at_4h(), "dark", false);
    press(&mut app, "?");
    assert!(matches!(app.mode, Mode::Help { .. }));
    check("help_4h", "the help over the floor (? key)", &text(&app));
    press(&mut app, "esc");
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn help_lists_every_bound_action_and_only_those() {
    // The help is generated from the key table: every action a key reaches
    // is in it, and a read-only console's help offers nothing that changes
    // the swarm.
    for readonly in [false, true] {
        let mut app = console(at_4h(), "dark", readonly);
        press(&mut app, "?");
        let shown = screenshot::to_text(&screenshot::render(&app, W, 120));
        for a in Action::ALL {
            let bound = !app.keys.keys(*a).is_empty();
            assert_eq!(
                shown.contains(a.help()),
                bound,
                "readonly={readonly}: {:?} bound={bound} but the help {} it",
                a,
                if bound { "leaves out" } else { "shows" }
            );
        }
    }
}

#[test]
fn agent_detail_page() {
    let snap = at_4h();
    let mut app = console(snap, "dark", false);
    let busy = snap
        .state
        .agents
        .values()
        .find(|a| a.is_busy())
        .map(|a| a.id.clone())
        .expect("an agent at work at 4h");
    press(&mut app, "2");
    app.pages.push(Target::Agent(busy.clone()));
    check(
        "agent_detail_4h",
        &format!("the page of {busy}, the first agent at work at 4h"),
        &text(&app),
    );
    press(&mut app, "esc");
    assert!(app.pages.is_empty(), "esc goes back to the floor");
}

#[test]
fn enter_opens_the_selected_row_and_esc_goes_back() {
    let mut app = console(at_4h(), "dark", false);
    for pane in ["1", "2", "4", "5"] {
        press(&mut app, pane);
        let selected = app.selected();
        press(&mut app, "enter");
        assert_eq!(app.pages.last().cloned(), selected, "pane {pane}");
        press(&mut app, "esc");
        assert!(app.pages.is_empty(), "pane {pane}");
    }
}

#[test]
fn inbox_with_a_pause_point() {
    let snap = at_4h();
    assert!(
        snap.state.waiting_pauses().next().is_some(),
        "the standard day has a pause point waiting at 4h"
    );
    let mut app = console(snap, "dark", false);
    press(&mut app, "5");
    let first = app.selected().expect("the inbox has rows");
    assert!(
        matches!(first, Target::Pause(_)),
        "pause points come first in the inbox, found {first:?}"
    );
    check(
        "inbox_pause_4h",
        "the inbox focused at 4h: pause points on top, the first selected",
        &text(&app),
    );
    check_styles(
        "inbox_pause_4h_styles",
        "styles of the inbox pane alone at 4h, the first row selected (dark)",
        &draw_pane(&app, PaneId::Inbox, 100, 12),
    );
    // `y` on the pause row approves it.
    press(&mut app, "y");
    let Target::Pause(id) = first else {
        unreachable!()
    };
    assert_eq!(app.outbox, vec![Command::ApprovePause(id)]);
}

#[test]
fn command_line_with_a_completion() {
    let mut app = console(at_4h(), "dark", false);
    press(&mut app, ":");
    type_text(&mut app, "app");
    press(&mut app, "tab");
    let Mode::CommandLine(edit) = &app.mode else {
        panic!("the command line is open: {:?}", app.mode)
    };
    assert_eq!(edit.text(), "approve ", "tab completes the command");
    // `all` is a candidate too: a `P` picks the pause ids.
    type_text(&mut app, "P");
    press(&mut app, "tab");
    let Mode::CommandLine(edit) = &app.mode else {
        panic!("the command line is still open: {:?}", app.mode)
    };
    assert!(
        edit.text().starts_with("approve P-") && edit.text().len() > "approve P-".len(),
        "tab completes the pause ids' common prefix: {:?}",
        edit.text()
    );
    check(
        "command_line_completion_4h",
        "`:app` tab `P` tab: the command completed, then the common prefix of the pause ids",
        &text(&app),
    );
    // Finish the id and run it.
    let first = at_4h().state.waiting_pauses().next().unwrap().id.clone();
    let Mode::CommandLine(edit) = &app.mode else {
        unreachable!()
    };
    let rest = first.to_string()[edit.text().len() - "approve ".len()..].to_string();
    type_text(&mut app, &rest);
    press(&mut app, "enter");
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.outbox, vec![Command::ApprovePause(first)]);
}

#[test]
fn confirm_dialog_for_the_emergency_stop() {
    let mut app = console(at_4h(), "dark", false);
    press(&mut app, "X");
    assert!(matches!(app.mode, Mode::Confirm { .. }), "X asks first");
    assert!(app.outbox.is_empty(), "nothing happens before y");
    check(
        "confirm_emergency_stop_4h",
        "X: the emergency stop asks first",
        &text(&app),
    );
    // Keys other than y/n/esc leave the question open.
    press(&mut app, "j");
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    press(&mut app, "n");
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.outbox.is_empty(), "n cancels");
    press(&mut app, "X y");
    assert_eq!(app.outbox, vec![Command::Freeze]);
}

#[test]
fn quit_asks_while_agents_work() {
    let mut app = console(at_4h(), "dark", false);
    press(&mut app, "q");
    assert!(app.confirming_quit(), "12 agents are working: q asks first");
    assert!(!app.quit);
    press(&mut app, "esc");
    assert!(!app.quit);
    press(&mut app, "q y");
    assert!(app.quit);
    assert!(app.outbox.is_empty(), "quitting sends no command");
}

#[test]
fn dismissing_a_concern_asks_for_a_reason() {
    let snap = at_4h();
    let mut app = console(snap, "dark", false);
    press(&mut app, "5");
    // Pause points are on top: step down to the first concern.
    let pauses = snap.state.waiting_pauses().count();
    for _ in 0..pauses {
        press(&mut app, "j");
    }
    let Some(Target::Concern(id)) = app.selected() else {
        panic!(
            "a concern below the pause points, found {:?}",
            app.selected()
        )
    };
    press(&mut app, "d");
    type_text(&mut app, "a known flake");
    assert!(matches!(app.mode, Mode::Reason { .. }));
    check(
        "dismiss_reason_4h",
        "d on a concern: the reason prompt, partly typed",
        &text(&app),
    );
    press(&mut app, "enter");
    assert_eq!(
        app.outbox,
        vec![Command::DismissConcern(id, "a known flake".into())]
    );

    // An empty reason is refused and the prompt stays.
    app.outbox.clear();
    press(&mut app, "d enter");
    assert!(matches!(app.mode, Mode::Reason { .. }));
    assert!(app.outbox.is_empty());
    press(&mut app, "esc");
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.outbox.is_empty());
}

#[test]
fn readonly_console() {
    let mut app = console(at_4h(), "dark", true);
    check(
        "floor_4h_readonly",
        "--readonly: no key for anything that changes the swarm",
        &text(&app),
    );
    press(&mut app, "5 y n a d X K p P + R D");
    assert!(
        app.outbox.is_empty(),
        "read-only sends nothing: {:?}",
        app.outbox
    );
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, "q");
    assert!(app.quit, "read-only quits without asking");
}

#[test]
fn every_theme_draws_every_screen() {
    // One pass over the screens above in the other themes, checked for
    // text only: a theme changes colours, never what is drawn.
    for keys in ["1", "5", "?", "esc X", "n :", "esc 2 enter"] {
        let texts: Vec<String> = THEMES
            .iter()
            .map(|name| {
                let mut app = console(at_1h(), name, false);
                press(&mut app, keys);
                text(&app)
            })
            .collect();
        assert!(
            texts.iter().all(|t| *t == texts[0]),
            "after {keys:?} the themes draw different text"
        );
    }
}

#[test]
fn a_real_swarm_has_no_speed_keys_and_speed_says_why_not() {
    // Real agents run on the wall clock: no key, footer hint or help line
    // offers to change it, and `:speed` answers why not.
    let mut snap = at_4h().clone();
    let sim = console(&snap, "dark", false);
    assert!(text(&sim).contains("faster"), "a simulated day has the key");
    snap.real_time = true;
    let mut app = console(&snap, "dark", false);
    assert!(app.keys.bound().all(|a| !a.sets_speed()));
    let floor = text(&app);
    assert!(!floor.contains("faster"), "{floor}");
    press(&mut app, "?");
    let help = screenshot::to_text(&screenshot::render(&app, W, 120));
    assert!(!help.contains(Action::Faster.help()), "{help}");
    assert!(!help.contains(Action::Slower.help()), "{help}");
    assert!(!help.contains("speed N|max"), "{help}");
    press(&mut app, "esc + = -");
    assert!(app.outbox.is_empty(), "{:?}", app.outbox);
    press(&mut app, ":");
    type_text(&mut app, "speed 600");
    press(&mut app, "enter");
    assert!(app.outbox.is_empty(), "{:?}", app.outbox);
    assert_eq!(app.notice.as_deref(), Some(shiftboss::swarm::REAL_TIME));
}

#[test]
fn a_concern_escalated_by_triage_offers_its_recommendation_on_one_key() {
    use shiftboss::domain::triage::{Action as Act, Verdict};
    use shiftboss::domain::{Actor, ConcernId, Event, EventKind, TaskStatus};
    let mut snap = at_4h().clone();
    let s = &snap.state;
    // An open concern about a task still at work, escalated by triage with
    // a proposal: give the task to another agent.
    let (id, task, agent) = s
        .concerns
        .iter()
        .filter(|c| c.disposition.is_open())
        .find_map(|c| {
            let t = s.task(c.task.as_ref()?)?;
            (t.status == TaskStatus::InProgress)
                .then(|| (c.id.clone(), t.spec.id.clone(), c.agent.clone()))
        })
        .expect("an open concern about a task at work at 4h");
    let to = s
        .agents
        .values()
        .find(|a| Some(&a.id) != agent.as_ref())
        .map(|a| a.id.clone())
        .unwrap();
    let verdict = Event {
        at: snap.now,
        actor: Actor::Engine,
        agent,
        task: Some(task.clone()),
        convoy: None,
        model: None,
        session: None,
        kind: EventKind::TriageVerdict {
            concern: id.clone(),
            verdict: Verdict::Escalate,
            action: Some(Act::Reassign { to: to.clone() }),
            recommendation: format!(
                "respecify {task}, or give it to another agent or a bigger model"
            ),
            reasons: vec![format!("stalled 3 times in a row on {task}")],
        },
    };
    snap.state.apply(&verdict);
    let mut app = console(&snap, "dark", false);
    app.pages.push(Target::Concern(id.clone()));
    let page = text(&app);
    assert!(
        page.contains(&format!(
            "accept triage's recommendation: reassign it to {to}"
        )),
        "{page}"
    );
    check(
        "concern_with_triage_proposal_4h",
        "a concern triage escalated with a proposal: what happened, what T2 made of it, the one key",
        &page,
    );
    press(&mut app, "A");
    assert_eq!(
        app.outbox,
        vec![Command::AcceptTriage(ConcernId::new(id.as_str()))]
    );
}
