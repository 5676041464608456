//! `shiftboss report`: the review metrics of a period (`docs/metrics.md`),
//! read from the log without writing to it, beside a running owner or not.

use super::{CliError, CliResult, repo_root, user};
use crate::config::Config;
use crate::domain::Millis;
use crate::engine::{Clock, RealClock};
use crate::review::period::When;
use crate::review::record::{Recorded, last_review};
use crate::review::{Period, Report};
use crate::store::Store;
use crate::swarm::Paths;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::Path;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Where the period starts: morning, yesterday, last-review, 14:30,
    /// 2026-12-01, "2026-12-01 14:30" or a length back (8h); local time.
    #[arg(long, default_value = "morning")]
    since: String,
    /// Where it ends (the same forms); default: now.
    #[arg(long)]
    until: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Record this review, so that `--since last-review` starts where it ended.
    #[arg(long)]
    record: bool,
}

pub fn run(args: ReportArgs) -> CliResult {
    let paths = Paths::new(&repo_root()?);
    if !paths.db.exists() {
        return Err(user(format!(
            "{}: no swarm here yet; run `shiftboss up` first",
            paths.db.display()
        )));
    }
    let config = Config::load_or_default(&paths.config).map_err(|e| user(e.to_string()))?;
    let store = Store::open_readonly(&paths.db)?;
    // The fold (from its checkpoint): when the log ends, and whether its
    // agents are simulated. A simulated swarm keeps its own clock: its day
    // is the log's. Real agents run on the wall clock.
    let state = store.load()?.fold.state;
    let last = state.now;
    let simulated = state.agents.values().any(|a| a.runtime == "sim");
    let now = if simulated {
        last
    } else {
        RealClock.now().max(last)
    };
    let when = When {
        zone: &chrono::Local,
        now,
        day_starts: config.review.day_start_time(),
        last_review: last_review(&paths.dir),
    };
    let bad = |flag: &str, e: String| user(format!("--{flag}: {e}"));
    let since = when.parse(&args.since).map_err(|e| bad("since", e))?;
    let until = match &args.until {
        Some(u) => when.parse(u).map_err(|e| bad("until", e))?,
        None => now.max(last + 1),
    };
    if until <= since {
        return Err(user(format!(
            "--since {} is not before the period's end",
            args.since
        )));
    }
    // The log streamed through the fold, never held in memory.
    let mut failed = None;
    let report = Report::build(Period { since, until }, &config, |fold| {
        if let Err(e) = store.each_event_after(0, |_, ev| fold(&ev)) {
            failed = Some(e);
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let out = match args.format {
        Format::Text => report.to_text(&chrono::Local),
        Format::Markdown => report.to_markdown(&chrono::Local),
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    std::io::stdout().write_all(out.as_bytes())?;
    if args.record {
        record(&paths.dir, since, until)?;
    }
    Ok(())
}

fn record(dir: &Path, since: Millis, until: Millis) -> Result<(), CliError> {
    let r = Recorded {
        since,
        until,
        at: RealClock.now(),
    };
    crate::review::record::record(dir, &r)?;
    Ok(())
}
