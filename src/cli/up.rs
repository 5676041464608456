//! `shiftboss up`: the swarm of this repository, with the runtime its config
//! names (or simulated, `--simulate`), in the console or headless, serving
//! consoles that attach; a console attached to the swarm when one runs here;
//! and `up --readonly` with no owner, a console on the log.

use super::{CliError, CliResult, UpArgs, repo_root, user, write_atomic};
use crate::config::{Config, Runtime};
use crate::domain::Millis;
use crate::engine::{Clock, RealClock};
use crate::review::screen::{Source, Zone};
use crate::swarm::owner::OwnerLock;
use crate::swarm::{AgentRuntime, Paths, RunOptions, Speed, Summary, Swarm};
use std::fs;
use std::path::Path;

pub fn up(args: UpArgs) -> CliResult {
    let console = if args.headless {
        None
    } else {
        super::need_terminal()?;
        Some(super::console_options(&args.look)?)
    };
    let root = repo_root()?;
    let paths = Paths::new(&root);
    let console = console.map(|c| crate::tui::ConsoleOptions {
        dir: Some(paths.dir.clone()),
        ..c
    });
    if !paths.config.exists() {
        return Err(user(format!(
            "{}: no config; run `shiftboss init` first",
            paths.config.display()
        )));
    }
    let config = Config::load(&paths.config)?;
    let console = console.map(|c| crate::tui::ConsoleOptions {
        glyphs: super::console_glyphs(&args.look, config.ui.glyphs),
        ..c
    });
    // A swarm runs here: a console attaches to it (a second headless owner
    // is refused below, as ever).
    let console = match console {
        Some(mut c) if crate::swarm::owner::holder(&paths.dir)?.is_some() => {
            c.review = Some(Source::new(&paths, config.clone(), Zone::Local));
            return super::attach::console(&paths, c);
        }
        c => c,
    };
    if args.look.readonly {
        return watch(&paths, &config, console);
    }
    let sandbox = check_runtimes(&args, &config, &root, &paths)?;
    // One owner: the lock before anything is written.
    let lock = OwnerLock::acquire(&paths.dir)?;
    let _log = crate::logging::init(&paths.dir).map_err(user)?;
    let now: Millis = RealClock.now();
    let (runtime, speed) = runtimes(&args, console.is_some(), sandbox, &config, &root, &paths)?;
    let console = console.map(|mut c| {
        c.review = Some(Source::new(&paths, config.clone(), Zone::Local));
        c
    });
    let mut swarm = Swarm::open_owned(
        lock,
        paths,
        config.engine_settings(),
        runtime,
        config.sim_settings(),
        config.gates.timeout.as_std(),
        now,
        &[],
    )?;
    if let Err(e) = swarm.serve_consoles() {
        tracing::warn!(error = %e, "consoles cannot attach");
        eprintln!(
            "shiftboss: {}: consoles cannot attach: {e}",
            crate::swarm::attach::socket_path(&swarm.paths().dir).display()
        );
    }
    let started = swarm.engine().state().started_at;
    let opts = RunOptions {
        until: args.until.map(|u| started + u),
        stop_when_idle: console.is_none() && (args.until_idle || args.until.is_none()),
        speed,
        approve_all: args.approve_all,
        progress: !args.json && console.is_none(),
    };
    match console {
        None => {
            crate::swarm::stop_on_signals();
            headless_end(&swarm.run(&opts)?, args.json)
        }
        Some(c) => print_summary(&crate::tui::run(swarm, opts, c)?, args.json),
    }
}

/// What `up` refuses before anything is written: a simulated runtime named
/// for real work, `--speed` with real agents, agent programs that cannot
/// run, a sandbox that cannot be made. Gives the sandbox real agents run in.
fn check_runtimes(
    args: &UpArgs,
    config: &Config,
    root: &Path,
    paths: &Paths,
) -> Result<Option<crate::runtime::sandbox::Sandbox>, CliError> {
    let sim_named = config.swarm.runtime == Runtime::Sim
        || config.agent.by_model.values().any(|r| *r == Runtime::Sim);
    if args.simulate {
        if !args.json {
            eprintln!(
                "shiftboss: a rehearsal: every agent is simulated, and what they make still merges onto {}",
                config.swarm.target
            );
        }
    } else {
        if sim_named {
            let key = if config.swarm.runtime == Runtime::Sim {
                "swarm.runtime"
            } else {
                "agent.by_model"
            };
            return Err(user(format!(
                "{}: {key}: \"sim\" runs simulated agents; set a real runtime (\"claude\", \"codex\" or \"command\") for real work, or pass --simulate for a rehearsal",
                paths.config.display()
            )));
        }
        if args.speed.is_some() {
            return Err(user(
                "--speed: real agents run in real time; it is for --simulate rehearsals only",
            ));
        }
        super::programs::check_all(config, root, &paths.config).map_err(user)?;
    }
    // The sandbox real agents run in: without bwrap, refused unless the
    // config turns it off.
    if args.simulate {
        return Ok(None);
    }
    crate::runtime::sandbox::Sandbox::from_config(&config.sandbox, root)
        .map_err(|e| user(format!("{}: {e}", paths.config.display())))
}

/// The runtimes agents start with and the pace of time: all simulated for a
/// rehearsal (fast headless, a minute a second in the console), else the
/// config's real runtimes in real time.
fn runtimes(
    args: &UpArgs,
    console: bool,
    sandbox: Option<crate::runtime::sandbox::Sandbox>,
    config: &Config,
    root: &Path,
    paths: &Paths,
) -> Result<(crate::swarm::Runtimes, Speed), CliError> {
    Ok(if args.simulate {
        (
            crate::swarm::Runtimes::only(AgentRuntime::Sim),
            args.speed.unwrap_or(if console {
                Speed::Times(60.0)
            } else {
                Speed::Max
            }),
        )
    } else {
        let by_model = config
            .agent
            .by_model
            .iter()
            .map(|(m, r)| Ok((m.clone(), real_runtime(*r, config, root, paths)?)))
            .collect::<Result<Vec<_>, CliError>>()?;
        (
            crate::swarm::Runtimes {
                default: real_runtime(config.swarm.runtime, config, root, paths)?,
                by_model,
                sandbox,
                leads: config
                    .teams
                    .iter()
                    .filter(|t| t.lead != crate::config::teams::OPERATOR)
                    .map(|t| (crate::domain::AgentId::new(&t.lead), t.lead_prompt.clone()))
                    .collect(),
            },
            Speed::Times(1.0),
        )
    })
}

/// `up --readonly`: a console on the log, read-only, beside a running
/// owner or none; it never takes the owner lock or starts a scheduler.
fn watch(paths: &Paths, config: &Config, console: Option<crate::tui::ConsoleOptions>) -> CliResult {
    let Some(console) = console else {
        return Err(user(
            "--readonly is a console; without one, `shiftboss status` shows the swarm",
        ));
    };
    if !paths.db.exists() {
        return Err(user(format!(
            "{}: no swarm here yet; nothing to watch",
            paths.db.display()
        )));
    }
    let real_time = config.swarm.runtime != Runtime::Sim;
    let watcher = crate::swarm::watch::Watcher::open(paths, config.engine_settings(), real_time)?;
    let mut console = console;
    console.review = Some(Source::new(paths, config.clone(), Zone::Local));
    crate::tui::watch(watcher, console)?;
    Ok(())
}

/// How agents of a real runtime start, from the config.
fn real_runtime(
    kind: Runtime,
    config: &Config,
    root: &Path,
    paths: &Paths,
) -> Result<AgentRuntime, CliError> {
    let resolve = |program: &str| super::programs::resolve(root, program);
    let a = &config.agent;
    Ok(match kind {
        Runtime::Sim => AgentRuntime::Sim,
        Runtime::Command => AgentRuntime::Command {
            program: resolve(&a.command[0]),
            args: a.command[1..].to_vec(),
            pass_env: a.pass_env.clone(),
            stop_grace: a.stop_grace.as_std(),
        },
        Runtime::Codex => {
            let codex_home = paths.dir.join("codex");
            fs::create_dir_all(&codex_home)?;
            write_atomic(
                &codex_home.join("config.toml"),
                &crate::runtime::codex::config_toml(&a.codex_base_url),
            )?;
            AgentRuntime::Codex {
                bin: resolve(&a.codex),
                codex_home,
                sandbox: a.codex_sandbox.clone(),
                pass_env: a.pass_env.clone(),
                stop_grace: a.stop_grace.as_std(),
            }
        }
        Runtime::Claude => AgentRuntime::Claude {
            bin: resolve(&a.claude),
            allowed_tools: a.allowed_tools.clone(),
            permission_mode: a.permission_mode.clone(),
            pass_env: a.pass_env.clone(),
            stop_grace: a.stop_grace.as_std(),
        },
    })
}

pub(super) fn print_summary(summary: &Summary, json: bool) -> CliResult {
    if json {
        println!("{}", serde_json::to_string(summary)?);
    } else {
        print!("{summary}");
    }
    Ok(())
}

/// A headless run's end: the summary, and exit 3 when a task failed.
pub(super) fn headless_end(summary: &Summary, json: bool) -> CliResult {
    print_summary(summary, json)?;
    if summary.any_failed() {
        return Err(CliError::TasksFailed(summary.failed.len()));
    }
    Ok(())
}
