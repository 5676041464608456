//! `shiftboss incident export ID`: an incident write-up for a task, a
//! concern or an incident record, from the log, as Markdown on stdout.

use super::{CliResult, repo_root, user};
use crate::review::incident::{Incident, Subject};
use crate::store::Store;
use crate::swarm::Paths;
use clap::Subcommand;
use std::io::Write;

#[derive(Subcommand, Debug)]
pub enum IncidentCmd {
    /// Write the incident for a task (its id), a concern (C-0007) or an
    /// incident record (I-0001) as Markdown: summary, impact, detection,
    /// timeline, root cause, what was tried, resolution, follow-ups.
    Export { id: String },
}

pub fn run(cmd: IncidentCmd) -> CliResult {
    let IncidentCmd::Export { id } = cmd;
    let paths = Paths::new(&repo_root()?);
    if !paths.db.exists() {
        return Err(user(format!(
            "{}: no swarm here yet; run `shiftboss up` first",
            paths.db.display()
        )));
    }
    let store = Store::open_readonly(&paths.db)?;
    let subject = Subject::parse(&id);
    let mut failed = None;
    let incident = Incident::gather(&subject, |keep| {
        if let Err(e) = store.each_event_after(0, |_, ev| keep(&ev)) {
            failed.get_or_insert(e);
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let incident = incident.ok_or_else(|| {
        user(format!(
            "{id}: no task, concern or incident of that id in {}",
            paths.db.display()
        ))
    })?;
    std::io::stdout().write_all(incident.markdown(&chrono::Local).as_bytes())?;
    Ok(())
}
