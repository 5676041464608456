//! `shiftboss up` (or `shiftboss`) beside a running owner: a console
//! attached to it over its socket, read-only with `--readonly`.

use super::{CliError, CliResult, user};
use crate::swarm::Paths;
use crate::swarm::attach::wire::{ToConsole, ToOwner};
use crate::swarm::attach::{self, AttachError, Connection};
use std::time::{Duration, Instant};

/// How long a console waits for an owner that holds the lock but has not
/// opened its socket yet (it is still starting).
const STARTING: Duration = Duration::from_secs(15);

pub(super) fn console(paths: &Paths, console: crate::tui::ConsoleOptions) -> CliResult {
    let conn = connect_while_held(paths, console.readonly)?;
    crate::tui::attach(conn, console)?;
    Ok(())
}

/// Attach to the owner; while it holds the lock and its socket is not
/// there yet, look again.
pub(super) fn connect_while_held(paths: &Paths, readonly: bool) -> Result<Connection, CliError> {
    let since = Instant::now();
    loop {
        match attach::connect(&paths.dir, readonly) {
            Ok(c) => return Ok(c),
            Err(AttachError::Connect { source, .. })
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) && since.elapsed() < STARTING
                    && crate::swarm::owner::holder(&paths.dir)?.is_some() =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(user(e.to_string())),
        }
    }
}

/// How long `task add` waits for the owner to take its tasks in.
const TAKE_IN: Duration = Duration::from_secs(60);

/// Tasks added through the running owner's socket, taken in when the
/// swarm it publishes has them; the owner's pid. `None`: no socket to
/// reach (an owner still starting, or one that serves none): the caller
/// hands the tasks over through the inbox instead.
pub(super) fn add_tasks(
    paths: &Paths,
    tasks: &[crate::domain::TaskSpec],
) -> Result<Option<u32>, CliError> {
    let Ok(mut conn) = attach::connect(&paths.dir, false) else {
        return Ok(None);
    };
    for t in tasks {
        conn.send(&ToOwner::Command(Box::new(
            crate::engine::Command::AddTask(t.clone()),
        )))?;
    }
    conn.set_read_timeout(Some(TAKE_IN))?;
    let pid = conn.pid;
    let gone = || {
        user(format!(
            "the swarm's owner (pid {pid}) did not take the tasks in; `shiftboss task list` shows which it has"
        ))
    };
    loop {
        match conn.recv().map_err(|_| gone())? {
            Some(ToConsole::Snapshot(s))
                if tasks.iter().all(|t| s.state.tasks.contains_key(&t.id)) =>
            {
                return Ok(Some(pid));
            }
            Some(ToConsole::Notice(why)) => return Err(user(format!("task add: {why}"))),
            Some(_) => {}
            None => return Err(gone()),
        }
    }
}
