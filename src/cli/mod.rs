//! The command line. Errors a user can cause print one line and exit 2;
//! nothing is written before the input has been checked.

mod attach;
mod cv;
pub mod demo;
mod doctor;
mod incident;
mod logs;
mod manual;
mod programs;
mod report;
mod shot;
mod tasks;
mod up;

use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "shiftboss",
    version,
    about = "An operator console for a swarm of coding agents",
    long_about = "shiftboss runs a local scheduler for a swarm of 3-30 coding agents, \
                  each in its own git worktree, with a merge queue as the only way into \
                  the target branch and an SQLite event log as the source of truth."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a simulated swarm on a small real git project made for the purpose.
    Demo(demo::DemoArgs),
    /// Write .shiftboss/config.toml in this git repository, every setting at its default.
    Init {
        /// Overwrite an existing config file.
        #[arg(long)]
        force: bool,
    },
    /// Show the swarm of this repository.
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The review metrics of a period against their targets (docs/metrics.md).
    Report(report::ReportArgs),
    /// A real session's output (an agent's or a task's latest), --follow to keep printing it.
    Logs(logs::LogsArgs),
    /// Each agent's record here: tasks by kind, first-try success, rework, cost per merged task, by model.
    Cv(cv::CvArgs),
    /// Incident write-ups from the log.
    #[command(subcommand)]
    Incident(incident::IncidentCmd),
    /// Work for the swarm: add, import and list tasks.
    #[command(subcommand)]
    Task(tasks::TaskCmd),
    /// Run the swarm of this repository with the runtime its config names (--simulate: a rehearsal).
    Up(UpArgs),
    /// Check that this repository, its config and the runtime it names are ready.
    Doctor,
    /// Draw the console at a moment of a simulated day into an SVG or text file.
    Screenshot(shot::ShotArgs),
    /// Write a shell completion script to stdout (e.g. `shiftboss completions bash > ~/.local/share/bash-completion/completions/shiftboss`).
    Completions {
        /// The shell: bash, zsh or fish.
        #[arg(value_enum)]
        shell: manual::Shell,
    },
    /// Write the man page (roff) to stdout (e.g. `shiftboss man > shiftboss.1`).
    Man,
}

#[derive(Parser, Debug)]
pub struct UpArgs {
    /// Run without the console and print a summary at the end.
    #[arg(long)]
    headless: bool,
    /// Stop after this much (virtual) time, e.g. 8h or 90m.
    #[arg(long, value_parser = parse_duration, conflicts_with = "until_idle")]
    until: Option<i64>,
    /// Stop when no task can make progress without the operator.
    #[arg(long)]
    until_idle: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// Approve every pause point as it comes.
    #[arg(long)]
    approve_all: bool,
    /// Rehearse: every agent is the built-in simulated agent, whatever the
    /// config's runtime (its merges still land on the target branch).
    #[arg(long)]
    simulate: bool,
    /// How fast simulated time runs (with --simulate): a factor (60 = a minute per second) or `max`.
    /// Default: max headless, 60 in the console.
    #[arg(long, value_parser = parse_speed)]
    speed: Option<crate::swarm::Speed>,
    #[command(flatten)]
    look: LookArgs,
}

/// How the console looks and which keys it takes.
#[derive(Args, Debug, Default)]
pub struct LookArgs {
    /// A built-in theme (dark, light, high-contrast) or a theme file.
    #[arg(long, default_value = "dark")]
    theme: String,
    /// A key file patching the default bindings (default: ~/.config/shiftboss/keys.toml if it exists).
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Leave out every action that changes anything.
    #[arg(long)]
    readonly: bool,
    /// Symbols: unicode, ascii (for fonts that lack them), or auto (ascii
    /// when LC_ALL, LC_CTYPE or LANG names no UTF-8 locale). Default: the
    /// config's `[ui] glyphs`, else auto.
    #[arg(long, value_parser = ["auto", "unicode", "ascii"])]
    glyphs: Option<String>,
}

pub(crate) fn console_options(look: &LookArgs) -> Result<crate::tui::ConsoleOptions, CliError> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = crate::tui::theme::Theme::load(&look.theme)?.with_no_color(no_color);
    let user_keys = look.keys.clone().or_else(|| {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("shiftboss/keys.toml")).filter(|p| p.exists())
    });
    let keys = match user_keys {
        Some(p) => crate::tui::action::KeyMap::load(&p, look.readonly)?,
        None => crate::tui::action::KeyMap::defaults(look.readonly),
    };
    let glyphs = console_glyphs(look, crate::config::GlyphsSetting::Auto);
    Ok(crate::tui::ConsoleOptions {
        theme,
        keys,
        readonly: look.readonly,
        dir: None,
        review: None,
        glyphs,
    })
}

/// The console draws on a terminal: without one (output piped, no
/// controlling terminal), one line saying so and `--headless`, before
/// anything is written.
pub(crate) fn need_terminal() -> Result<(), CliError> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(user(
        "the console needs a terminal (stdin and stdout); run with --headless for none",
    ))
}

/// The console's symbols: `--glyphs` when given, else the config file's
/// `[ui] glyphs`; `auto` asks the locale.
pub(crate) fn console_glyphs(
    look: &LookArgs,
    file: crate::config::GlyphsSetting,
) -> crate::tui::glyphs::Glyphs {
    crate::tui::glyphs::Glyphs::choose(look.glyphs.as_deref(), file.as_str(), |k| {
        std::env::var(k).ok()
    })
}

/// Why a command stopped: a mistake in what the user gave (one line, exit
/// code 2) or a failure of the machine (exit code 1).
#[derive(Debug)]
pub enum CliError {
    User(String),
    Fatal(String),
    /// A headless run ended with failed tasks (the summary lists them): exit 3.
    TasksFailed(usize),
}

pub(crate) fn user(msg: impl Into<String>) -> CliError {
    CliError::User(msg.into())
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::User(e.to_string())
    }
}

macro_rules! fatal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::Fatal(e.to_string())
            }
        }
    )*};
}
fatal_from!(std::io::Error, crate::store::StoreError, serde_json::Error);

/// A repository shiftboss cannot work on (no target branch, not a
/// repository, a branch held elsewhere) is the user's to fix: exit 2.
impl From<crate::merge::GitError> for CliError {
    fn from(e: crate::merge::GitError) -> Self {
        match e {
            crate::merge::GitError::Io { .. } | crate::merge::GitError::Git { .. } => {
                CliError::Fatal(e.to_string())
            }
            _ => CliError::User(e.to_string()),
        }
    }
}

impl From<crate::swarm::SwarmError> for CliError {
    fn from(e: crate::swarm::SwarmError) -> Self {
        match e {
            crate::swarm::SwarmError::Git(g) => g.into(),
            crate::swarm::SwarmError::Owner(o) => o.into(),
            other => CliError::Fatal(other.to_string()),
        }
    }
}

/// A swarm owned by another process is the user's to sort out: exit 2.
impl From<crate::swarm::owner::OwnerError> for CliError {
    fn from(e: crate::swarm::owner::OwnerError) -> Self {
        match e {
            crate::swarm::owner::OwnerError::Held { .. } => CliError::User(e.to_string()),
            crate::swarm::owner::OwnerError::Io { .. } => CliError::Fatal(e.to_string()),
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// Write a file whole or not at all.
pub(crate) fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    humantime::parse_duration(s)
        .map(|d| d.as_millis() as i64)
        .map_err(|_| format!("expected a duration such as 8h, 90m or 30s, found {s:?}"))
}

pub(crate) fn parse_speed(s: &str) -> Result<crate::swarm::Speed, String> {
    crate::swarm::Speed::parse(s).ok_or_else(|| {
        format!("expected a factor from 0.01 to 1000000 such as 60, or max; found {s:?}")
    })
}

/// The top of the git repository holding the current folder.
pub(crate) fn repo_root() -> Result<PathBuf, CliError> {
    let cwd = std::env::current_dir()?;
    let repo = git2::Repository::discover(&cwd).map_err(|_| {
        user(format!(
            "{} is not inside a git repository: shiftboss runs a swarm on a repository (try `git init`, or `shiftboss demo`)",
            cwd.display()
        ))
    })?;
    repo.workdir().map(Path::to_path_buf).ok_or_else(|| {
        user(format!(
            "{} is a bare repository; shiftboss needs a working tree",
            cwd.display()
        ))
    })
}

pub fn main() -> ExitCode {
    crate::sys::tune_heap();
    let cli = Cli::parse();
    // The runs that log check the level before anything is written.
    let logs = matches!(cli.command, None | Some(Cmd::Demo(_)) | Some(Cmd::Up(_)));
    let level = match logs {
        true => crate::logging::filter_from_env().map(|_| ()).map_err(user),
        false => Ok(()),
    };
    let result = level.and_then(|()| match cli.command {
        None => up::up(UpArgs::parse_from(["up"])),
        Some(Cmd::Demo(args)) => demo::run(args),
        Some(Cmd::Init { force }) => tasks::init(force),
        Some(Cmd::Status { json }) => tasks::status(json),
        Some(Cmd::Report(args)) => report::run(args),
        Some(Cmd::Incident(cmd)) => incident::run(cmd),
        Some(Cmd::Logs(args)) => logs::run(args),
        Some(Cmd::Cv(args)) => cv::run(args),
        Some(Cmd::Task(cmd)) => tasks::run(cmd),
        Some(Cmd::Up(args)) => up::up(args),
        Some(Cmd::Screenshot(args)) => shot::run(args),
        Some(Cmd::Doctor) => doctor::run(),
        Some(Cmd::Completions { shell }) => manual::completions(shell),
        Some(Cmd::Man) => manual::man(),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::User(msg)) => {
            eprintln!("shiftboss: {msg}");
            ExitCode::from(2)
        }
        Err(CliError::Fatal(msg)) => {
            eprintln!("shiftboss: {msg}");
            ExitCode::FAILURE
        }
        Err(CliError::TasksFailed(n)) => {
            eprintln!("shiftboss: {n} task(s) failed (see the summary)");
            ExitCode::from(3)
        }
    }
}
