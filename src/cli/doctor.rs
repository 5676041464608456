//! `shiftboss doctor`: is this repository ready for a swarm? Checks the
//! config, the runtime it names, the API settings (names only, never
//! values), the event log and the worktrees.

use super::programs::{agent_programs, find};
use super::{CliError, CliResult, repo_root, user};
use crate::config::{Config, Runtime};
use crate::store::Store;
use crate::swarm::Paths;
use std::process::Command;

#[derive(Default)]
struct Report {
    failures: u32,
    warnings: u32,
}

impl Report {
    fn ok(&mut self, what: &str) {
        println!("ok    {what}");
    }
    fn warn(&mut self, what: &str) {
        self.warnings += 1;
        println!("warn  {what}");
    }
    fn fail(&mut self, what: &str) {
        self.failures += 1;
        println!("FAIL  {what}");
    }
}

/// The first line a program prints for `--version`, if it runs.
fn version(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .into_owned();
    text.lines().next().map(|l| l.trim().to_string())
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

pub fn run() -> CliResult {
    let root = repo_root()?;
    let paths = Paths::new(&root);
    let mut r = Report::default();
    r.ok(&format!("git repository at {}", root.display()));
    if !paths.config.exists() {
        return Err(user(format!(
            "{}: no config; run `shiftboss init` first",
            paths.config.display()
        )));
    }
    let config = Config::load(&paths.config)?;
    r.ok(&format!("config {} parses", paths.config.display()));

    target_branch(&mut r, &root, &config.swarm.target);
    git_config(&mut r, &root, &config.gates.allowed_git_config);

    sandbox(&mut r, &config);
    runtimes(&mut r, &root, &config);
    ai_and_prices(&mut r, &config);

    log_and_worktrees(&mut r, &root, &paths, &config)?;

    println!("\nproblems: {} · warnings: {}", r.failures, r.warnings);
    if r.failures > 0 {
        Err(CliError::Fatal(format!(
            "doctor found {} problems",
            r.failures
        )))
    } else {
        Ok(())
    }
}

/// The target branch exists, and this checkout is not on it.
fn target_branch(r: &mut Report, root: &std::path::Path, target: &str) {
    match git2::Repository::open(root) {
        Ok(repo) => {
            if repo.find_branch(target, git2::BranchType::Local).is_ok() {
                r.ok(&format!("target branch {target} exists"));
            } else {
                r.fail(&format!("target branch {target} does not exist"));
            }
            if repo
                .head()
                .ok()
                .and_then(|h| h.shorthand().ok().map(|s| s == target))
                .unwrap_or(false)
            {
                r.warn(&format!(
                    "this checkout is on {target}: the merge queue moves it under your files (`git switch --detach` avoids that)"
                ));
            }
        }
        Err(e) => r.fail(&format!("cannot open the repository: {e}")),
    }
}

/// The runtimes and what they need: every agent program there and
/// executable (`up` refuses to start otherwise), and the settings each
/// runtime reads from the environment (names only).
fn runtimes(r: &mut Report, root: &std::path::Path, config: &Config) {
    if config.swarm.runtime == Runtime::Sim
        || config.agent.by_model.values().any(|r| *r == Runtime::Sim)
    {
        r.fail(
            "runtime sim: simulated agents, which `shiftboss up` runs only with --simulate (a rehearsal); set swarm.runtime to claude, codex or command",
        );
    }
    for p in agent_programs(config, root) {
        let rt = p.runtime.as_str();
        match find(&p.program) {
            Err(why) => r.fail(&format!("runtime {rt}: {} {} {why}", p.key, p.program)),
            Ok(path) if p.runtime == Runtime::Command => {
                r.ok(&format!("runtime command: {} found", path.display()))
            }
            Ok(_) => match version(&p.program) {
                Some(v) => r.ok(&format!("runtime {rt}: {}: {v}", p.program)),
                None => r.warn(&format!(
                    "runtime {rt}: {0} found but `{0} --version` failed",
                    p.program
                )),
            },
        }
        match p.runtime {
            Runtime::Command => {
                for name in &config.agent.pass_env {
                    if env_set(name) {
                        r.ok(&format!(
                            "{name} is set (passed to agents; value not shown)"
                        ));
                    } else {
                        r.warn(&format!("{name} is listed in agent.pass_env but not set"));
                    }
                }
            }
            Runtime::Claude | Runtime::Codex => {
                let keys = if p.runtime == Runtime::Claude {
                    ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"]
                } else {
                    ["OPENAI_API_KEY", "OPENAI_BASE_URL"]
                };
                if env_set(keys[0]) {
                    r.ok(&format!("{} is set (value not shown)", keys[0]));
                } else {
                    r.fail(&format!("{} is not set", keys[0]));
                }
                if p.runtime == Runtime::Claude && !env_set(keys[1]) {
                    r.warn(&format!(
                        "{} is not set (the default endpoint is used)",
                        keys[1]
                    ));
                }
            }
            Runtime::Sim => {}
        }
    }
}

/// The merge queue's ai tier's key (its name), and a price for each model.
fn ai_and_prices(r: &mut Report, config: &Config) {
    let ai = &config.merge.ai;
    if ai.enabled() {
        let key = ai.key_env();
        if env_set(&key) {
            r.ok(&format!(
                "merge ai tier: {} {} at {}; {key} is set (value not shown)",
                ai.provider,
                ai.model,
                crate::http::redact_url(&ai.url())
            ));
        } else {
            r.warn(&format!(
                "merge ai tier: {key} is not set; conflicts auto cannot merge go back to agents"
            ));
        }
    }
    for m in &config.swarm.models {
        if config.price(m).is_some() {
            r.ok(&format!("price for {m}"));
        } else {
            r.fail(&format!(
                "no [prices.\"{m}\"] entry: its usage would cost nothing"
            ));
        }
    }
}

/// The event log (its count of events) and the agent branches.
fn log_and_worktrees(
    r: &mut Report,
    root: &std::path::Path,
    paths: &Paths,
    config: &Config,
) -> CliResult {
    if paths.db.exists() {
        match Store::open_readonly(&paths.db) {
            Ok(store) => {
                let events = store
                    .event_count()
                    .map_err(|e| CliError::Fatal(e.to_string()))?;
                r.ok(&format!(
                    "event log {}: {events} events",
                    paths.db.display()
                ));
            }
            Err(e) => r.fail(&e.to_string()),
        }
    } else {
        r.ok("no event log yet (made by the first `shiftboss up`)");
    }
    match crate::merge::Repo::open(root, &paths.worktrees, &config.swarm.target) {
        Ok(repo) => match repo.unmerged_branches() {
            Ok(b) if b.is_empty() => r.ok("no unmerged agent branches"),
            Ok(b) => r.ok(&format!(
                "{} agent branches hold unmerged work (kept)",
                b.len()
            )),
            Err(e) => r.warn(&format!("cannot list agent branches: {e}")),
        },
        Err(e) => r.fail(&e.to_string()),
    }
    Ok(())
}

/// Settings in the repository's own config that make git run a program:
/// each one not in `[gates] allowed_git_config` is a warning naming key and
/// value (an agent could have set it; the operator's next `git status`
/// would run it).
fn git_config(r: &mut Report, root: &std::path::Path, allowed: &[String]) {
    let Ok(repo) = git2::Repository::open(root) else {
        return;
    };
    let file = repo.commondir().join("config");
    let Ok(text) = std::fs::read_to_string(&file) else {
        return;
    };
    let allowed: Vec<String> = allowed.iter().map(|k| k.to_lowercase()).collect();
    let mut found = 0;
    for (key, value) in crate::merge::config_entries(&text) {
        let lower = key.to_lowercase();
        if !crate::merge::runs_a_program(&lower) || allowed.contains(&lower) {
            continue;
        }
        if lower == "core.fsmonitor" && matches!(value.as_str(), "false" | "0" | "no" | "off") {
            continue;
        }
        found += 1;
        r.warn(&format!(
            ".git/config sets {key} = {value} (git runs it; not in [gates] allowed_git_config)"
        ));
    }
    if found == 0 {
        r.ok(".git/config runs no programs (fsmonitor, hooksPath, filters, textconv)");
    }
}

/// The sandbox real agents run in: bwrap found, its version, the mode.
fn sandbox(r: &mut Report, config: &Config) {
    use crate::config::{Network, SandboxMode};
    let real = config.swarm.runtime != Runtime::Sim
        || config.agent.by_model.values().any(|rt| *rt != Runtime::Sim);
    let found = crate::runtime::sandbox::find_bwrap();
    let net = match config.sandbox.network {
        Network::On => "network on",
        Network::None => "no network",
    };
    match (config.sandbox.mode, found) {
        (SandboxMode::Off, _) if real => {
            r.warn("sandbox off ([sandbox] mode = \"off\"): agents run unconfined")
        }
        (SandboxMode::Off, _) => r.ok("sandbox off (simulated agents only)"),
        (SandboxMode::On, Some(bwrap)) => {
            let v = crate::runtime::sandbox::version(&bwrap)
                .unwrap_or_else(|| "version unknown".into());
            r.ok(&format!("sandbox on: {} ({v}), {net}", bwrap.display()));
        }
        (SandboxMode::On, None) if real => r.fail(
            "sandbox on but bwrap (bubblewrap) is not installed: `up` refuses; install it or set [sandbox] mode = \"off\"",
        ),
        (SandboxMode::On, None) => {
            r.warn("sandbox: bwrap (bubblewrap) is not installed; real agents will need it")
        }
    }
}
