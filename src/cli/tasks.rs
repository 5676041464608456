//! `shiftboss init`, `status` and `task …`.

use super::write_atomic;
use super::{CliError, CliResult, repo_root, user};
use crate::config::{Config, names, parse_backlog};
use crate::domain::{Actor, ConvoyId, Event, EventKind, TaskId, TaskSpec};
use crate::engine::{Clock, RealClock};
use crate::store::Store;
use crate::swarm::inbox;
use crate::swarm::owner::{Holder, OwnerError, OwnerLock};
use crate::swarm::{Paths, Summary};
use clap::Subcommand;
use std::fs;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum TaskCmd {
    /// Add one task to the backlog.
    Add {
        /// What the task is, in a line.
        title: String,
        /// The task's id; default: T-0001, T-0002, …
        #[arg(long)]
        id: Option<String>,
        /// The full spec.
        #[arg(long, conflicts_with = "spec_file")]
        spec: Option<String>,
        /// Read the spec from a file.
        #[arg(long)]
        spec_file: Option<PathBuf>,
        /// Owned file scope (a glob); repeat for several.
        #[arg(long)]
        scope: Vec<String>,
        /// An acceptance check (a shell command run by the gate); repeat for several.
        #[arg(long)]
        check: Vec<String>,
        /// The convoy the task belongs to.
        #[arg(long, default_value = "backlog")]
        convoy: String,
        /// Higher runs first.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        priority: i32,
        /// A task that must be merged first; repeat for several.
        #[arg(long)]
        after: Vec<String>,
        /// Work for the night shift: while one runs, only such tasks start.
        #[arg(long)]
        night: bool,
    },
    /// Add the tasks of a TOML backlog file (the scenario's `[[convoy]]` format).
    /// From a beads export (`.jsonl`) or GitHub issues (`--github owner/repo`), too.
    Import {
        /// A TOML backlog file, or a beads export (`.beads/issues.jsonl`).
        #[arg(required_unless_present = "github")]
        file: Option<PathBuf>,
        /// Open GitHub issues of this repository (`owner/name`), through the
        /// REST API with the token in GITHUB_TOKEN (or GH_TOKEN), if any.
        #[arg(long, conflicts_with = "file")]
        github: Option<String>,
        /// Only issues with this label; the convoy is named after it.
        #[arg(long, requires = "github")]
        label: Option<String>,
        /// The API's base URL (GitHub Enterprise); default: GITHUB_API_URL,
        /// else https://api.github.com.
        #[arg(long, requires = "github")]
        api_url: Option<String>,
    },
    /// List the tasks.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn init(force: bool) -> CliResult {
    let root = repo_root()?;
    let paths = Paths::new(&root);
    if paths.config.exists() && !force {
        return Err(user(format!(
            "{}: exists already (use --force to overwrite it)",
            paths.config.display()
        )));
    }
    // A running owner's config is not rewritten under it (the probe
    // writes nothing).
    if let Some(holder) = crate::swarm::owner::holder(&paths.dir)? {
        return Err(user(format!(
            "{}: a swarm runs here ({holder}); `init --force` would rewrite its config: stop that process first",
            paths.config.display()
        )));
    }
    let runtime = super::programs::first_agent_cli();
    fs::create_dir_all(&paths.dir)?;
    write_atomic(&paths.config, &Config::template_for(runtime))?;
    // Keep shiftboss's folder out of the operator's `git status`.
    let exclude = root.join(".git/info/exclude");
    if exclude.parent().is_some_and(|p| p.is_dir()) {
        let text = fs::read_to_string(&exclude).unwrap_or_default();
        if !text.lines().any(|l| l.trim() == ".shiftboss/") {
            let mut f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&exclude)?;
            writeln!(f, ".shiftboss/")?;
        }
    }
    println!("wrote {}", paths.config.display());
    match runtime {
        Some(r) => println!(
            "runtime {0}: found {0} on PATH; `shiftboss doctor` checks what it needs",
            r.as_str()
        ),
        None => println!(
            "runtime command: neither claude nor codex is on PATH; set agent.command to the program that runs your agent (an example is in the file), then `shiftboss doctor`"
        ),
    }
    Ok(())
}

/// The swarm's log, which must exist.
fn open_log(paths: &Paths) -> Result<Store, CliError> {
    if !paths.db.exists() {
        return Err(user(format!(
            "{}: no swarm here yet; run `shiftboss init`, add tasks, then `shiftboss up`",
            paths.db.display()
        )));
    }
    Ok(Store::open_readonly(&paths.db)?)
}

pub fn status(json: bool) -> CliResult {
    let paths = Paths::new(&repo_root()?);
    let store = open_log(&paths)?;
    // From the newest checkpoint and the events after it; why one was
    // passed over goes to stderr.
    let loaded = store.load()?;
    crate::swarm::resume::tell(&loaded);
    let state = &loaded.fold.state;
    let mut summary = Summary::from_state(state, state.now);
    summary.state_dir = paths.root.display().to_string();
    // Real agents run on the wall clock: their swarm's time is wall time,
    // and they commit themselves: their tasks' branches are counted.
    if !state.agents.is_empty() && state.agents.values().all(|a| a.runtime != "sim") {
        summary.wall_ms = summary.virtual_ms.max(0) as u128;
        let branches: Vec<String> = state
            .tasks
            .values()
            .filter_map(|t| t.branch.clone())
            .collect();
        if let Ok(repo) = crate::merge::Repo::open(&paths.root, &paths.worktrees, &state.target)
            && let Ok(n) = repo.branch_commits(&branches)
        {
            summary.commits = n;
        }
    }
    summary.events = loaded.fold.seq();
    summary.log_digest = loaded.fold.digest();
    if json {
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    print!("{summary}");
    println!();
    println!(
        "{:<22} {:>5} {:>7} {:>7} {:>6} {:>7}  cost",
        "convoy", "tasks", "merged", "active", "failed", "blocked"
    );
    for p in state.convoy_progress() {
        use crate::domain::TaskStatus as S;
        let active = p.count(S::InProgress) + p.count(S::Gating) + p.count(S::Queued);
        println!(
            "{:<22} {:>5} {:>7} {:>7} {:>6} {:>7}  {}{}",
            p.convoy.as_str(),
            p.total,
            p.count(S::Merged),
            active,
            p.count(S::Failed),
            p.count(S::Blocked),
            p.cost,
            if p.is_stranded() { "  stranded" } else { "" }
        );
    }
    let pauses: Vec<_> = state.waiting_pauses().collect();
    if !pauses.is_empty() {
        println!("\npause points waiting");
        for p in pauses {
            println!(
                "  {}  {:<14} {}",
                p.id,
                p.task.as_ref().map(|t| t.as_str()).unwrap_or("-"),
                p.reason
            );
        }
    }
    Ok(())
}

/// Where new tasks go: the log, when no swarm runs (written under the
/// owner lock, so no owner can start meanwhile), or the running owner's
/// inbox, which it takes in at its next tick.
enum Destination {
    Log { _lock: OwnerLock },
    Owner(Holder),
}

fn destination(paths: &Paths) -> Result<Destination, CliError> {
    match OwnerLock::acquire(&paths.dir) {
        Ok(lock) => Ok(Destination::Log { _lock: lock }),
        Err(OwnerError::Held { holder, .. }) => Ok(Destination::Owner(holder)),
        Err(e) => Err(e.into()),
    }
}

pub fn run(cmd: TaskCmd) -> CliResult {
    let paths = Paths::new(&repo_root()?);
    if let TaskCmd::List { json } = cmd {
        return list(&paths, json);
    }
    need_config(&paths)?;
    // Checked before the lock is taken: refused input writes nothing, not
    // even the owner lock's text.
    let tasks = match cmd {
        TaskCmd::List { .. } => unreachable!("listed above"),
        TaskCmd::Add {
            title,
            id,
            spec,
            spec_file,
            scope,
            check,
            convoy,
            priority,
            after,
            night,
        } => {
            let known = known_tasks(&paths)?;
            let spec_text = match (spec, spec_file) {
                (Some(s), _) => s,
                (None, Some(f)) => crate::config::read_text(&f)?,
                (None, None) => String::new(),
            };
            let id = id.unwrap_or_else(|| free_id(&known));
            let task = TaskSpec {
                id: TaskId::new(&id),
                title,
                spec: spec_text,
                convoy: ConvoyId::new(convoy),
                priority,
                scope,
                checks: check,
                after: after.into_iter().map(TaskId::new).collect(),
                tier: None,
                behaviour: None,
                issue: None,
                night,
            };
            check_task(&task, &known)?;
            vec![task]
        }
        TaskCmd::Import {
            file,
            github,
            label,
            api_url,
        } => imported(&paths, file, github, label, api_url)?,
    };
    let dest = destination(&paths)?;
    // Another `task add` may have written the same id meanwhile.
    let known = known_tasks(&paths)?;
    if let Some(t) = tasks.iter().find(|t| known.contains(&t.id)) {
        return Err(user(format!(
            "task {}: a task with that id exists already",
            t.id
        )));
    }
    add_tasks(&paths, dest, tasks)
}

/// The first of T-0001, T-0002, … no task has yet.
fn free_id(known: &[TaskId]) -> String {
    (known.len() + 1..)
        .map(|n| format!("T-{n:04}"))
        .find(|c| !known.iter().any(|k| k.as_str() == c))
        .expect("some id is free")
}

/// The tasks `task import` adds: from GitHub issues, a beads export
/// (`.jsonl`) or a TOML backlog file; none at all is an error.
fn imported(
    paths: &Paths,
    file: Option<PathBuf>,
    github: Option<String>,
    label: Option<String>,
    api_url: Option<String>,
) -> Result<Vec<TaskSpec>, CliError> {
    let known = known_tasks(paths)?;
    let (tasks, from) = match (file, github) {
        (_, Some(repo)) => {
            let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let source = crate::intake::github::Source {
                api: api_url
                    .or_else(|| env("GITHUB_API_URL"))
                    .unwrap_or_else(|| "https://api.github.com".into()),
                repo: repo.clone(),
                label,
                token: env("GITHUB_TOKEN").or_else(|| env("GH_TOKEN")),
            };
            let got = crate::intake::github::fetch(&source, &known).map_err(user)?;
            (got.tasks, format!("{repo}: no open issues"))
        }
        (Some(file), None) if file.extension().is_some_and(|x| x == "jsonl") => {
            let text = crate::config::read_text(&file)?;
            let got = crate::intake::beads::parse(&text, &file, &known).map_err(user)?;
            (got.tasks, format!("{}: no open issues", file.display()))
        }
        (Some(file), None) => {
            let text = crate::config::read_text(&file)?;
            let tasks = parse_backlog(&text, &file, &known)?;
            (tasks, format!("{}: no tasks in the file", file.display()))
        }
        (None, None) => {
            return Err(user("task import: name a file or --github owner/repo"));
        }
    };
    if tasks.is_empty() {
        return Err(user(from));
    }
    Ok(tasks)
}

fn check_task(task: &TaskSpec, known: &[TaskId]) -> CliResult {
    if task.title.trim().is_empty() {
        return Err(user("task add: the title is empty"));
    }
    let id = task.id.as_str();
    let branch_ok =
        git2::Reference::is_valid_name(&format!("refs/heads/shiftboss/builder-01/{id}"));
    if let Some(why) = names::name_problem(id)
        .or_else(|| (!branch_ok).then(|| "git refuses it in a branch name".to_string()))
    {
        return Err(user(format!(
            "task add: --id {id:?}: expected letters, digits, '-', '_' or '.', at most {} characters (it names a git branch): {why}",
            names::MAX_NAME
        )));
    }
    let convoy = task.convoy.as_str();
    if let Some(why) = names::name_problem(convoy) {
        return Err(user(format!(
            "task add: --convoy {convoy:?}: expected letters, digits, '-', '_' or '.', at most {} characters: {why}",
            names::MAX_NAME
        )));
    }
    if known.contains(&task.id) {
        return Err(user(format!(
            "task add: --id {}: a task with that id exists",
            task.id
        )));
    }
    for a in &task.after {
        if !known.contains(a) {
            return Err(user(format!("task add: --after {a}: no such task")));
        }
    }
    for g in &task.scope {
        if let Some(why) = names::scope_problem(g) {
            return Err(user(format!(
                "task add: --scope {g:?}: expected a glob relative to the repository root (like \"src/auth/**\"): {why}"
            )));
        }
    }
    Ok(())
}

fn need_config(paths: &Paths) -> CliResult {
    if !paths.config.exists() {
        return Err(user(format!(
            "{}: no config; run `shiftboss init` first",
            paths.config.display()
        )));
    }
    Ok(())
}

/// Tasks in the log and those handed to a running owner not yet taken in.
fn known_tasks(paths: &Paths) -> Result<Vec<TaskId>, CliError> {
    let mut known = if paths.db.exists() {
        Store::open_readonly(&paths.db)?
            .load()?
            .fold
            .state
            .task_order
    } else {
        Vec::new()
    };
    for d in inbox::pending(&paths.dir, &known.clone()) {
        for t in d.tasks.unwrap_or_default() {
            if !known.contains(&t.id) {
                known.push(t.id);
            }
        }
    }
    Ok(known)
}

fn add_tasks(paths: &Paths, dest: Destination, tasks: Vec<TaskSpec>) -> CliResult {
    if let Destination::Owner(holder) = dest {
        // Through the owner's socket when it serves one: the tasks are in
        // its log when this returns. Otherwise its inbox.
        if let Some(pid) = super::attach::add_tasks(paths, &tasks)? {
            for t in &tasks {
                println!("added {}  {}", t.id, t.title);
            }
            println!("shiftboss: added to the swarm running here (pid {pid})");
            return Ok(());
        }
        inbox::hand_off(&paths.dir, &tasks)?;
        for t in &tasks {
            println!("handed {}  {}", t.id, t.title);
        }
        println!(
            "shiftboss: a swarm runs here ({holder}); it takes the task{} in at its next tick",
            if tasks.len() == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    let mut store = Store::open(&paths.db)?;
    // The store keeps this fold for the append: the log is read once.
    let state = store.resume()?.fold.state;
    let at = RealClock.now().max(state.now);
    let events: Vec<Event> = tasks
        .iter()
        .map(|t| Event {
            at,
            actor: Actor::Operator,
            agent: None,
            task: Some(t.id.clone()),
            convoy: Some(t.convoy.clone()),
            model: None,
            session: None,
            kind: EventKind::TaskAdded { spec: t.clone() },
        })
        .collect();
    store.append(&events)?;
    for t in &tasks {
        println!("added {}  {}", t.id, t.title);
    }
    Ok(())
}

fn list(paths: &Paths, json: bool) -> CliResult {
    let state = open_log(paths)?.load()?.fold.state;
    let tasks: Vec<_> = state.task_order.iter().map(|id| &state.tasks[id]).collect();
    if json {
        let rows: Vec<serde_json::Value> = tasks
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.spec.id, "title": t.spec.title, "convoy": t.spec.convoy,
                    "status": t.status.as_str(), "priority": t.spec.priority,
                    "agent": t.agent, "branch": t.branch, "attempts": t.attempts,
                    "cost_usd": t.cost.dollars(), "after": t.spec.after, "scope": t.spec.scope,
                    "reason": t.reason,
                })
            })
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    println!(
        "{:<18} {:<12} {:<16} {:>4} {:<12} {:>8}  title",
        "id", "status", "convoy", "prio", "agent", "cost"
    );
    for t in tasks {
        println!(
            "{:<18} {:<12} {:<16} {:>4} {:<12} {:>8}  {}",
            t.spec.id.as_str(),
            t.status.as_str(),
            t.spec.convoy.as_str(),
            t.spec.priority,
            t.agent.as_ref().map(|a| a.as_str()).unwrap_or("-"),
            t.cost.to_string(),
            t.spec.title
        );
    }
    Ok(())
}
