//! The review screens in the console (snapshots and keys): the evening
//! review (metrics against targets with their trend, the watchdog's alerts
//! by check, the calibration sample, the night shift) and the morning
//! review (failed work triaged from the keyboard). The standard day runs
//! once into a project kept under the test target's folder; the screens
//! read its real log, read-only. Times are shown in UTC.
//!
//! Accept changed snapshots with `INSTA_UPDATE=always cargo test --test
//! review_screens`, then read the `.snap` files in `tests/snapshots/`.

use shiftboss::config::{Config, Scenario};
use shiftboss::domain::{HOUR, TaskStatus};
use shiftboss::engine::Command;
use shiftboss::review::record::{REVIEWS, last_review};
use shiftboss::review::screen::{Kind, Source, Zone, failed_work};
use shiftboss::swarm::{Paths, RunOptions, Snapshot, Speed};
use shiftboss::tui::action::{Key, KeyMap, KeyName};
use shiftboss::tui::app::{App, Mode};
use shiftboss::tui::screenshot;
use shiftboss::tui::theme::Theme;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const W: u16 = 160;
const H: u16 = 48;
const AGENTS: usize = 12;
/// Far enough into the day for failed work, alerts and merges.
const HOURS: i64 = 8;

struct Day {
    /// Kept for the tests' whole run.
    _dir: tempfile::TempDir,
    project: PathBuf,
    config: Config,
    snap: Snapshot,
}

fn day() -> &'static Day {
    static DAY: OnceLock<Day> = OnceLock::new();
    DAY.get_or_init(|| {
        let mut scenario = Scenario::builtin("standard-day").expect("built in");
        scenario.config.swarm.agents = AGENTS;
        scenario.config.swarm.max_live = AGENTS;
        let dir = tempfile::Builder::new()
            .prefix("review-screens-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary folder");
        let project = dir.path().join("project");
        let mut swarm = shiftboss::cli::demo::open_demo(&project, &scenario, true)
            .expect("open the demo swarm");
        let started = swarm.engine().state().started_at;
        swarm
            .run(&RunOptions {
                until: Some(started + HOURS * HOUR),
                stop_when_idle: false,
                speed: Speed::Max,
                approve_all: false,
                progress: false,
            })
            .expect("run the day");
        let mut snap = swarm.snapshot();
        snap.speed = "60x".into();
        drop(swarm);
        Day {
            _dir: dir,
            project,
            config: scenario.config,
            snap,
        }
    })
}

/// A copy of the day's `.shiftboss/` for a test that writes there.
fn copy_of_state(into: &Path) -> PathBuf {
    let from = Paths::new(&day().project);
    let to = Paths::new(into);
    std::fs::create_dir_all(&to.dir).unwrap();
    for f in ["state.db", "config.toml"] {
        std::fs::copy(from.dir.join(f), to.dir.join(f)).unwrap();
    }
    into.to_path_buf()
}

fn console(project: &Path, readonly: bool) -> App {
    let d = day();
    let mut app = App::new(
        d.snap.clone(),
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(readonly),
        readonly,
    );
    app.review_source = Some(Source::new(
        &Paths::new(project),
        d.config.clone(),
        Zone::Utc,
    ));
    app
}

fn press(app: &mut App, keys: &str) {
    for k in keys.split_whitespace() {
        app.key(Key::parse(k).unwrap_or_else(|| panic!("not a key: {k}")));
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.key(Key {
            code: KeyName::Char(c),
            ctrl: false,
        });
    }
}

fn text(app: &App) -> String {
    screenshot::to_text(&screenshot::render(app, W, H))
}

fn check(name: &str, description: &str, snapshot: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_description(description);
    settings.set_omit_expression(true);
    settings.add_filter(r"\b[0-9a-f]{7,40}\b", "[hex]");
    settings.bind(|| insta::assert_snapshot!(name, snapshot));
}

#[test]
fn the_evening_review_opens_with_a_key_and_with_the_command_line() {
    let d = day();
    let mut app = console(&d.project, false);
    press(&mut app, "e");
    let r = app.review.as_ref().expect("the evening review is open");
    assert_eq!(r.kind, Kind::Evening);
    check(
        "review_evening",
        "the evening review of the standard day at 8h, 12 agents, 160x48, UTC",
        &text(&app),
    );
    press(&mut app, "esc");
    assert!(app.review.is_none());
    press(&mut app, ":");
    type_text(&mut app, "review morning");
    press(&mut app, "enter");
    assert_eq!(app.review.as_ref().map(|r| r.kind), Some(Kind::Morning));
}

#[test]
fn the_morning_review_lists_failed_work_with_its_findings() {
    let d = day();
    assert!(
        !failed_work(&d.snap.state).is_empty(),
        "the standard day has failed work by {HOURS}h"
    );
    let mut app = console(&d.project, false);
    press(&mut app, "M");
    check(
        "review_morning",
        "the morning review of the standard day at 8h (no review recorded: since yesterday's start), UTC",
        &text(&app),
    );
}

#[test]
fn failed_work_is_triaged_with_one_key_each_through_engine_commands() {
    let d = day();
    let work: Vec<_> = failed_work(&d.snap.state)
        .iter()
        .map(|t| t.spec.id.clone())
        .collect();
    let mut app = console(&d.project, false);
    press(&mut app, "M O");
    assert_eq!(app.outbox, vec![Command::ReassignTask(work[0].clone())]);
    app.outbox.clear();
    press(&mut app, "S");
    assert!(matches!(&app.mode, Mode::Respecify { task, .. } if *task == work[0]));
    // The editor holds the old spec; a new one replaces it.
    press(&mut app, "ctrl-u");
    type_text(&mut app, "only the parser; leave the CLI alone");
    press(&mut app, "enter");
    assert_eq!(
        app.outbox,
        vec![Command::RespecifyTask(
            work[0].clone(),
            "only the parser; leave the CLI alone".into()
        )]
    );
    app.outbox.clear();
    press(&mut app, "x");
    assert!(
        matches!(app.mode, Mode::Confirm { .. }),
        "archive asks first"
    );
    press(&mut app, "y");
    assert_eq!(app.outbox, vec![Command::ArchiveTask(work[0].clone())]);
}

#[test]
fn a_read_only_console_shows_the_reviews_and_changes_nothing() {
    let d = day();
    let dir = tempfile::tempdir().unwrap();
    let project = copy_of_state(dir.path());
    let mut app = console(&project, true);
    press(&mut app, "M O S x W");
    assert!(app.outbox.is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert!(!Paths::new(&project).dir.join(REVIEWS).exists());
    press(&mut app, "esc e v B t N W");
    assert!(app.outbox.is_empty());
    assert!(app.review.is_some());
    let _ = d;
}

#[test]
fn recording_the_evening_review_starts_the_next_morning_review_at_its_end() {
    let d = day();
    let dir = tempfile::tempdir().unwrap();
    let project = copy_of_state(dir.path());
    let mut app = console(&project, false);
    press(&mut app, "e");
    let period = app.review.as_ref().unwrap().report.period;
    press(&mut app, "W");
    assert!(app.review.as_ref().unwrap().recorded);
    let shiftboss_dir = Paths::new(&project).dir;
    assert_eq!(last_review(&shiftboss_dir), Some(period.until));
    // The day starts at 06:00 UTC; the period ends just after the day's now.
    assert_eq!(period.until, d.snap.now + 1);
    let src = app.review_source.clone().unwrap();
    let morning = src.period(Kind::Morning, d.snap.now + HOUR).unwrap();
    assert_eq!(morning.since, period.until);
}

#[test]
fn the_calibration_sample_is_judged_with_one_key() {
    let d = day();
    let mut app = console(&d.project, false);
    press(&mut app, "e");
    let sample = app.review_sample();
    assert!(!sample.is_empty(), "some of the day's merges are sampled");
    for id in &sample {
        assert_eq!(d.snap.state.tasks[id].status, TaskStatus::Merged);
    }
    // The four watchdog checks come first; then the sample.
    press(&mut app, "j j j j v B");
    assert_eq!(
        app.outbox,
        vec![
            Command::JudgeMerge(sample[0].clone(), true),
            Command::JudgeMerge(sample[1].clone(), false),
        ]
    );
}

#[test]
fn a_threshold_tuned_on_the_evening_review_goes_to_the_config_and_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let project = copy_of_state(dir.path());
    let config = Paths::new(&project).config;
    // A config with comments, as `init` writes it.
    std::fs::write(&config, Config::template()).unwrap();
    let mut app = console(&project, false);
    press(&mut app, "e t");
    assert!(matches!(
        &app.mode,
        Mode::Tune {
            key: "stall_after",
            ..
        }
    ));
    press(&mut app, "ctrl-u");
    type_text(&mut app, "25m");
    press(&mut app, "enter");
    assert_eq!(
        app.outbox,
        vec![Command::TuneWatchdog("stall_after".into(), "25m".into())]
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("stall_after = \"25m\""), "{text}");
    assert!(text.contains("# No output for longer than this => the agent is stalled."));
    assert_eq!(
        Config::load(&config).unwrap().watchdog.stall_after.0,
        25 * 60_000
    );
}

#[test]
fn the_night_shift_starts_from_the_evening_review_after_a_confirm() {
    let d = day();
    let mut app = console(&d.project, false);
    press(&mut app, "e N");
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    press(&mut app, "y");
    match app.outbox.as_slice() {
        [Command::StartNight { ends_at, .. }] => {
            assert!(*ends_at > d.snap.now);
            assert!(*ends_at - d.snap.now <= 24 * HOUR);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_review_screen_taller_than_the_console_scrolls_and_closes_back_to_the_top() {
    let d = day();
    let mut app = console(&d.project, false);
    press(&mut app, "M");
    // Drawn small, the morning review runs past the screen.
    let _ = screenshot::to_text(&screenshot::render(&app, 100, 20));
    let max = app.page_scroll_max.get();
    assert!(max > 0, "the morning review is longer than 20 rows");
    press(&mut app, "ctrl-d");
    assert_eq!(app.page_scroll, 10.min(max));
    let scrolled = screenshot::to_text(&screenshot::render(&app, 100, 20));
    assert!(scrolled.contains("line 11 of") || max < 10, "{scrolled}");
    press(&mut app, "esc");
    assert_eq!(app.page_scroll, 0, "closed, nothing is left scrolled");
    press(&mut app, "M");
    assert_eq!(app.page_scroll, 0);
}
