//! `shiftboss logs AGENT|TASK|SESSION [--follow]`: a real session's whole
//! output from its transcript, and with `--follow` what it prints next, as
//! it comes (the file watched with notify), until the session ends.

use super::{CliError, CliResult, repo_root, user};
use crate::domain::{EventKind, SessionId};
use crate::store::Store;
use crate::swarm::{Paths, transcript};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct LogsArgs {
    /// An agent (its latest session), a task (its latest session) or a
    /// session (`builder-07#12`).
    target: String,
    /// Keep printing what the session prints until it ends.
    #[arg(long, short)]
    follow: bool,
}

/// The session `target` names: the latest one of an agent or a task, or
/// the session itself.
fn session_of(store: &Store, target: &str) -> Result<Option<SessionId>, CliError> {
    let mut found = None;
    store.each_event_after(0, |_, e| {
        if !matches!(e.kind, EventKind::TaskAssigned { .. }) {
            return;
        }
        let names = [
            e.agent.as_ref().map(|a| a.as_str()),
            e.task.as_ref().map(|t| t.as_str()),
            e.session.as_ref().map(|s| s.as_str()),
        ];
        if names.contains(&Some(target)) {
            found = e.session.clone();
        }
    })?;
    Ok(found)
}

pub fn run(args: LogsArgs) -> CliResult {
    let paths = Paths::new(&repo_root()?);
    if !paths.db.exists() {
        return Err(user(format!(
            "{}: no swarm here yet; run `shiftboss up` first",
            paths.db.display()
        )));
    }
    let store = Store::open_readonly(&paths.db)?;
    let session = session_of(&store, &args.target)?.ok_or_else(|| {
        user(format!(
            "{}: no agent, task or session of that name has run here",
            args.target
        ))
    })?;
    let file = transcript::path(&paths.dir, &session);
    let mut f = std::fs::File::open(&file).map_err(|_| {
        user(format!(
            "{session}: no transcript at {} (simulated sessions keep none)",
            file.display()
        ))
    })?;
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    f.read_to_string(&mut text)?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    if !args.follow || ended(&text) {
        return Ok(());
    }
    follow(&mut f, &file, &mut out)
}

fn ended(text: &str) -> bool {
    text.lines()
        .last()
        .is_some_and(|l| l.starts_with(transcript::END))
}

/// Print what is appended to `f` as it comes, until the session's end line.
fn follow(f: &mut std::fs::File, file: &std::path::Path, out: &mut impl Write) -> CliResult {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |_| {
        let _ = tx.send(());
    })
    .map_err(|e| CliError::Fatal(format!("cannot watch {}: {e}", file.display())))?;
    watcher
        .watch(file, notify::RecursiveMode::NonRecursive)
        .map_err(|e| CliError::Fatal(format!("cannot watch {}: {e}", file.display())))?;
    let mut tail = String::new();
    let mut pending: Vec<u8> = Vec::new();
    loop {
        // Bytes, printed up to the last whole line: a line caught half
        // written (mid-character even) waits for the rest.
        f.read_to_end(&mut pending)?;
        let whole = pending
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let more = String::from_utf8_lossy(&pending[..whole]).into_owned();
        pending.drain(..whole);
        if !more.is_empty() {
            out.write_all(more.as_bytes())?;
            out.flush()?;
            tail.push_str(&more);
            let keep = tail.len().saturating_sub(4096);
            tail.drain(..tail.floor_char_boundary(keep));
            if ended(&tail) {
                return Ok(());
            }
        }
        // A change, or a minute of quiet (a watch can miss a truncation).
        let _ = rx.recv_timeout(Duration::from_secs(60));
        while rx.try_recv().is_ok() {}
        if f.stream_position()? > f.metadata()?.len() {
            f.seek(SeekFrom::Start(0))?;
        }
    }
}
