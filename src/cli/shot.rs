//! `shiftboss screenshot`: the console at a moment of a simulated day, drawn
//! into an SVG (or plain text with `.txt`), made from fixtures so the
//! pictures in the README can be made again.

use super::demo::{load_scenario, open_demo};
use super::{CliResult, LookArgs, console_options, parse_duration, user};
use crate::domain::AgentPhase;
use crate::review::screen::{Kind, Source, Zone};
use crate::swarm::{Paths, RunOptions, Speed};
use crate::tui::app::{App, Mode};
use crate::tui::panes::{PaneId, Target};
use crate::tui::screenshot;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum View {
    /// The five panes.
    Floor,
    /// The inbox focused, pause points on top.
    Inbox,
    /// The detail of the first agent at work.
    Agent,
    /// The help over the floor.
    Help,
    /// The evening review of the day so far.
    Evening,
    /// The morning review (since the last review), failed work first.
    Morning,
}

#[derive(Args, Debug)]
pub struct ShotArgs {
    /// A scenario file; default: the built-in standard-day.
    #[arg(long)]
    scenario: Option<PathBuf>,
    #[arg(long)]
    seed: Option<u64>,
    /// Size of the agent pool (overrides the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    agents: Option<u32>,
    /// The virtual time into the day to draw, e.g. 3h.
    #[arg(long, value_parser = parse_duration, default_value = "3h")]
    at: i64,
    #[arg(long, default_value_t = 160)]
    width: u16,
    #[arg(long, default_value_t = 48)]
    height: u16,
    /// What to draw.
    #[arg(long, value_enum, default_value = "floor")]
    view: View,
    #[command(flatten)]
    look: LookArgs,
    /// The picture: .svg, or .txt for plain text.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: ShotArgs) -> CliResult {
    if !(40..=500).contains(&args.width) || !(12..=300).contains(&args.height) {
        return Err(user("--width must be 40–500 and --height 12–300 cells"));
    }
    let svg = match args.out.extension().and_then(|e| e.to_str()) {
        Some("svg") => true,
        Some("txt") => false,
        _ => {
            return Err(user(format!(
                "--out {}: expected a .svg or .txt file",
                args.out.display()
            )));
        }
    };
    let console = console_options(&args.look)?;
    let mut scenario = load_scenario(args.scenario.as_deref(), args.seed)?;
    if let Some(n) = args.agents {
        scenario.config.swarm.agents = n as usize;
        scenario.config.swarm.max_live = n as usize;
    }
    let dir = tempfile::Builder::new()
        .prefix("shiftboss-shot-")
        .tempdir()?;
    let mut swarm = open_demo(&dir.path().join("project"), &scenario, true)?;
    let started = swarm.engine().state().started_at;
    swarm.run(&RunOptions {
        until: Some(started + args.at),
        stop_when_idle: false,
        speed: Speed::Max,
        approve_all: false,
        progress: false,
    })?;
    let mut snap = swarm.snapshot();
    snap.speed = "60x".into();
    let mut app = App::new(snap, console.theme, console.keys, console.readonly);
    app.review_source = Some(Source::new(
        &Paths::new(&dir.path().join("project")),
        scenario.config.clone(),
        Zone::Local,
    ));
    app.glyphs = console.glyphs;
    match args.view {
        View::Floor => app.focus = PaneId::Convoys,
        View::Inbox => app.focus = PaneId::Inbox,
        View::Help => app.mode = Mode::Help { scroll: 0 },
        View::Evening => app.open_review(Kind::Evening),
        View::Morning => app.open_review(Kind::Morning),
        View::Agent => {
            app.focus = PaneId::Watchdog;
            let busy = app
                .snap
                .state
                .agents
                .values()
                .find(|a| a.phase == AgentPhase::Working)
                .map(|a| a.id.clone());
            if let Some(a) = busy {
                app.pages.push(Target::Agent(a));
            }
        }
    }
    let buf = screenshot::render(&app, args.width, args.height);
    let text = if svg {
        let p = &app.theme.palette;
        screenshot::to_svg(&buf, p.background, p.text)
    } else {
        screenshot::to_text(&buf)
    };
    super::write_atomic(&args.out, &text)?;
    eprintln!("shiftboss: wrote {}", args.out.display());
    Ok(())
}
