//! The operator's log file: `.shiftboss/logs/shiftboss.YYYY-MM-DD.log`, one
//! file a day, written by a background thread so a slow disk never holds
//! up the swarm. Level from `SHIFTBOSS_LOG` (`info` unless set; any
//! `tracing` filter such as `debug` or `shiftboss::merge=debug,info`).
//! Nothing is ever logged to stdout or stderr: the console owns the terminal.

use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// The variable holding the log level or filter.
pub const LEVEL_VAR: &str = "SHIFTBOSS_LOG";

const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Keeps the log writer alive: lines still queued are written when it drops.
#[must_use = "the log is written only while the guard lives"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// The folder of a swarm's log files.
pub fn log_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("logs")
}

/// The filter `SHIFTBOSS_LOG` asks for, or why it cannot be read.
pub fn filter_from_env() -> Result<EnvFilter, String> {
    let v = match std::env::var(LEVEL_VAR) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => return Ok(EnvFilter::new("info")),
    };
    let expected = || {
        format!(
            "{LEVEL_VAR}: expected a level (off, error, warn, info, debug, trace) or a filter such as shiftboss::merge=debug,info, found {v:?}"
        )
    };
    // A lone word is a level (`tracing` would read a misspelt one as a module name and log nothing).
    let word = v.trim();
    if !word.contains(['=', ',', '[']) && !LEVELS.contains(&word.to_ascii_lowercase().as_str()) {
        return Err(expected());
    }
    EnvFilter::try_new(word).map_err(|_| expected())
}

/// Start logging into `state_dir/logs/` (the folder is made if missing).
/// A process logs to one place: a second call keeps the first and returns
/// a guard holding nothing.
pub fn init(state_dir: &Path) -> Result<LogGuard, String> {
    let filter = filter_from_env()?;
    let dir = log_dir(state_dir);
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("shiftboss")
        .filename_suffix("log")
        .build(&dir)
        .map_err(|e| format!("{}: could not open the log: {e}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let installed = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    Ok(LogGuard {
        _writer: installed.then_some(guard),
    })
}
