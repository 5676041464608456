//! `shiftboss demo`: a simulated swarm on a small project made for the purpose.

use super::up::headless_end;
use super::{CliError, CliResult, parse_duration, parse_speed, user, write_atomic};
use crate::config::Runtime;
use crate::config::{Config, Scenario};
use crate::review::screen::{Source, Zone};
use crate::runtime::sim::{CONFLICT_PREFIX, conflict_path};
use crate::swarm::owner::OwnerLock;
use crate::swarm::{AgentRuntime, Paths, RunOptions, Speed, Swarm};
use clap::Args;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Size of the agent pool (overrides the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    agents: Option<u32>,
    /// A scenario file, or a built-in one by name (`standard-day`, `small`,
    /// `teams-day`); default: the built-in standard-day.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Seed of the simulator (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop after this much virtual time from the swarm's start; default: the scenario's day.
    #[arg(long, value_parser = parse_duration)]
    until: Option<i64>,
    /// How fast virtual time runs: a factor (60 = a minute per second) or `max`.
    #[arg(long, value_parser = parse_speed)]
    speed: Option<Speed>,
    /// Where to make the demo project; run again on it to resume. Default: a new temporary folder.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Run without the console and print a summary at the end.
    #[arg(long)]
    headless: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// Approve every pause point as it comes (otherwise they wait for the operator).
    #[arg(long)]
    approve_all: bool,
    /// Headless: leave the inbox unanswered even when the scenario has a simulated operator.
    #[arg(long)]
    no_operator: bool,
    /// Keep the temporary demo project when the demo ends (without --state-dir it is removed).
    #[arg(long, conflicts_with = "state_dir")]
    keep: bool,
    #[command(flatten)]
    look: super::LookArgs,
}

/// The files of the small project the demo swarm works on.
fn demo_files(conflict_files: &[String]) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "README.md".into(),
            "# acme\n\nA small service, built by a swarm of agents under shiftboss.\n".into(),
        ),
        (
            "src/lib.rs".into(),
            "//! acme: the service the demo swarm works on.\n\npub fn version() -> &'static str {\n    \"0.1.0\"\n}\n".into(),
        ),
    ];
    for f in conflict_files {
        files.push((
            f.clone(),
            format!(
                "//! Who registered last: several tasks edit this line, so their merges can conflict.\n\n{CONFLICT_PREFIX} \"nobody\";\n"
            ),
        ));
    }
    files
}

fn has_log(paths: &Paths) -> bool {
    paths.db.exists()
}

pub fn run(args: DemoArgs) -> CliResult {
    let console = if args.headless {
        None
    } else {
        super::need_terminal()?;
        Some(super::console_options(&args.look)?)
    };
    let mut scenario = load_scenario(args.scenario.as_deref(), args.seed)?;
    // On the built-in day, the console defaults to a swarm a person can follow.
    let agents = args
        .agents
        .or((console.is_some() && args.scenario.is_none()).then_some(12));
    if let Some(n) = agents {
        scenario.config.swarm.agents = n as usize;
        scenario.config.swarm.max_live = n as usize;
    }
    let quiet = args.json || console.is_some();
    let mut temp: Option<tempfile::TempDir> = None;
    let root = match &args.state_dir {
        Some(dir) => {
            if dir.exists() && !dir.is_dir() {
                return Err(user(format!("--state-dir {}: not a folder", dir.display())));
            }
            dir.clone()
        }
        None => {
            let dir = tempfile::Builder::new()
                .prefix("shiftboss-demo-")
                .tempdir()?;
            let path = dir.path().to_path_buf();
            // Removed when this function returns, unless asked to keep it.
            if args.keep {
                let _kept = dir.keep();
                if !args.json {
                    eprintln!("shiftboss: demo project in {} (kept)", path.display());
                }
            } else {
                temp = Some(dir);
            }
            path
        }
    };
    let mut swarm = open_demo(&root, &scenario, quiet)?;
    let _log = crate::logging::init(&swarm.paths().dir).map_err(user)?;
    let started = swarm.engine().state().started_at;
    let default_speed = if console.is_some() {
        Speed::Times(120.0)
    } else {
        Speed::Max
    };
    let opts = RunOptions {
        until: Some(started + args.until.unwrap_or(scenario.duration)),
        stop_when_idle: console.is_none(),
        speed: args.speed.unwrap_or(default_speed),
        approve_all: args.approve_all,
        progress: !quiet,
    };
    let console = console.map(|mut c| {
        c.review = Some(Source::new(
            swarm.paths(),
            scenario.config.clone(),
            Zone::Local,
        ));
        c
    });
    match console {
        None => {
            // Headless, nobody is at the console: the scenario's simulated
            // operator answers the inbox, when it has one.
            let operator = scenario.config.sim.operator.clone();
            let simulated = operator.enabled && !args.approve_all && !args.no_operator;
            // The operator's load is measured as the log grows: the log
            // so far read once, then each event as it is written.
            let load = if simulated {
                swarm.set_operator(operator);
                let measure = crate::tui::load::Measure::of_log(swarm.store())
                    .map_err(crate::swarm::SwarmError::from)?;
                let measure = std::sync::Arc::new(std::sync::Mutex::new(measure));
                let fed = measure.clone();
                swarm.tap(Box::new(move |ev| {
                    fed.lock().unwrap_or_else(|e| e.into_inner()).event(ev)
                }));
                Some(measure)
            } else {
                None
            };
            let mut summary = swarm.run(&opts)?;
            if let Some(measure) = load {
                let mut measure = measure.lock().unwrap_or_else(|e| e.into_inner());
                summary.operator_load = Some(measure.finish(swarm.now()));
            }
            headless_end(&summary, args.json)
        }
        Some(c) => {
            let summary = crate::tui::run(swarm, opts, c)?;
            if temp.is_none() {
                // Not println!: the terminal may be gone (the console ended
                // because it hung up).
                use std::io::Write;
                let _ = writeln!(
                    std::io::stdout(),
                    "shiftboss: left the swarm after {} of swarm time in {} (resume: shiftboss demo --state-dir {})",
                    summary.virtual_time,
                    root.display(),
                    root.display()
                );
            }
            drop(temp);
            Ok(())
        }
    }
}

pub(crate) fn load_scenario(path: Option<&Path>, seed: Option<u64>) -> Result<Scenario, CliError> {
    let mut scenario = match path {
        // A built-in scenario by name (`--scenario teams-day`) unless a file
        // of that name is here.
        Some(p) if !p.exists() && p.to_str().and_then(Scenario::builtin).is_some() => p
            .to_str()
            .and_then(Scenario::builtin)
            .expect("checked just above"),
        Some(p) => Scenario::load(p)?,
        None => Scenario::builtin("standard-day").expect("the standard day is compiled in"),
    };
    if let Some(seed) = seed {
        scenario.config.swarm.seed = seed;
    }
    Ok(scenario)
}

/// Open the demo swarm in `root`: resume the one there, or make a new
/// project for `scenario` in an empty or new folder.
pub fn open_demo(root: &Path, scenario: &Scenario, quiet: bool) -> Result<Swarm, CliError> {
    let paths = Paths::new(root);
    let (lock, config) = if has_log(&paths) {
        // Resume: the swarm's own config rules, not the scenario's.
        let config = Config::load(&paths.config)?;
        // A swarm of real agents is never resumed by the simulator: its
        // made-up work would merge onto the real target. (A running owner
        // is named by the lock instead.)
        if let Some(r) = std::iter::once(&config.swarm.runtime)
            .chain(config.agent.by_model.values())
            .find(|r| **r != Runtime::Sim)
            && crate::swarm::owner::holder(&paths.dir)?.is_none()
        {
            return Err(user(format!(
                "{}: {}: this swarm runs real agents ({}); `demo` would merge simulated work onto {}: use `shiftboss up` (or `up --simulate` for a rehearsal)",
                paths.config.display(),
                if config.swarm.runtime == Runtime::Sim {
                    "agent.by_model"
                } else {
                    "swarm.runtime"
                },
                r.as_str(),
                config.swarm.target
            )));
        }
        // One owner: taken before anything is written.
        let lock = OwnerLock::acquire(&paths.dir)?;
        if !quiet {
            eprintln!("shiftboss: resuming the swarm in {}", root.display());
        }
        (lock, config)
    } else {
        if root.exists() && fs::read_dir(root)?.next().is_some() {
            return Err(user(format!(
                "--state-dir {}: folder is not empty and holds no swarm; give an empty or new folder",
                root.display()
            )));
        }
        let lock = OwnerLock::acquire(&paths.dir)?;
        make_demo_project(&paths, scenario)?;
        (lock, scenario.config.clone())
    };
    Ok(Swarm::open_owned(
        lock,
        paths,
        config.engine_settings(),
        crate::swarm::Runtimes::only(AgentRuntime::Sim),
        config.sim_settings(),
        config.gates.timeout.as_std(),
        scenario.start,
        &scenario.backlog,
    )?)
}

fn make_demo_project(paths: &Paths, scenario: &Scenario) -> Result<(), CliError> {
    fs::create_dir_all(&paths.root)?;
    let mut registries: Vec<String> = scenario
        .backlog
        .iter()
        .map(|t| conflict_path(t, &scenario.config.sim.conflict_file))
        .collect();
    registries.sort();
    registries.dedup();
    let files = demo_files(&registries);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    crate::merge::init_demo_repo(
        &paths.root,
        &scenario.config.swarm.target,
        &refs,
        scenario.start,
    )?;
    fs::create_dir_all(&paths.dir)?;
    write_atomic(&paths.config, &scenario.config.to_toml())?;
    Ok(())
}
