//! `shiftboss cv [AGENT] [--json]`: each agent's record on this repository
//! (`review::cv`), folded from the log and cached in `.shiftboss/cvs.json`.

use super::{CliResult, repo_root, user, write_atomic};
use crate::review::cv::Cvs;
use crate::store::Store;
use crate::swarm::Paths;

#[derive(clap::Args, Debug)]
pub struct CvArgs {
    /// One agent (`builder-07`); default: all.
    agent: Option<String>,
    /// The CVs as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: CvArgs) -> CliResult {
    let paths = Paths::new(&repo_root()?);
    if !paths.db.exists() {
        return Err(user(format!(
            "{}: no swarm here yet; run `shiftboss up` first",
            paths.db.display()
        )));
    }
    let cache = paths.dir.join("cvs.json");
    // A missing or unreadable cache is folded again from the start.
    let mut cvs: Cvs = std::fs::read_to_string(&cache)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let store = Store::open_readonly(&paths.db)?;
    if cvs.through_seq > 0
        && store.row_mark(cvs.through_seq)?.as_deref() != Some(cvs.through_mark.as_str())
    {
        cvs = Cvs::default();
    }
    let from = cvs.through_seq;
    store.each_event_after(from, |seq, ev| cvs.fold(seq, &ev))?;
    if cvs.through_seq != from {
        cvs.through_mark = store.row_mark(cvs.through_seq)?.unwrap_or_default();
        let _ = write_atomic(&cache, &serde_json::to_string(&cvs)?);
    }
    if let Some(a) = &args.agent {
        cvs.agents.retain(|name, _| name == a);
        if cvs.agents.is_empty() {
            return Err(user(format!("{a}: no agent of that name has worked here")));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cvs.agents)?);
        return Ok(());
    }
    println!(
        "{:<14} {:<28} {:>6} {:>6} {:>9} {:>6} {:>12}  kinds",
        "agent", "model", "merged", "failed", "first-try", "rework", "cost/merged"
    );
    for (agent, models) in &cvs.agents {
        for (model, r) in models {
            let share = r
                .first_try_share()
                .map_or("—".to_string(), |s| format!("{:.0} %", s * 100.0));
            let per = r
                .cost_per_merged()
                .map_or("—".to_string(), |m| m.to_string());
            let kinds: Vec<String> = r.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!(
                "{agent:<14} {model:<28} {:>6} {:>6} {share:>9} {:>6} {per:>12}  {}",
                r.merged,
                r.failed,
                r.reworked,
                kinds.join(", ")
            );
        }
    }
    Ok(())
}
