//! A console attached to a running owner over its socket: it draws the
//! snapshots the owner sends and sends the operator's commands back (none
//! when read-only). Quitting detaches and the swarm runs on; `:stop`,
//! confirmed, stops it.

use super::app::{App, Ending};
use super::{ConsoleOptions, UiMsg, console_loop};
use crate::swarm::attach::Connection;
use crate::swarm::attach::wire::{ToConsole, ToOwner};
use crate::swarm::{Published, SwarmError};
use std::sync::mpsc;

/// How an attached console ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detached {
    /// The console went; the swarm runs on.
    Detached,
    /// The operator stopped the swarm.
    Stopped,
    /// The owner ended (or went away) while the console was attached.
    OwnerGone,
}

/// Run a console on the connection until the operator detaches or the
/// owner goes; says on stderr how it ended.
pub fn attach(conn: Connection, opts: ConsoleOptions) -> Result<Detached, SwarmError> {
    let pid = conn.pid;
    let (mut reader, mut writer, first) = conn.split();
    let (ui_tx, ui_rx) = mpsc::channel::<UiMsg>();
    let mut app = App::new(first, opts.theme, opts.keys, opts.readonly);
    app.review_source = opts.review;
    app.attached = true;
    let tx = ui_tx.clone();
    std::thread::Builder::new()
        .name("shiftboss-attached".into())
        .spawn(move || {
            while let Ok(Some(msg)) = reader.recv() {
                let p = match msg {
                    ToConsole::Snapshot(s) => Published::Snapshot(s),
                    ToConsole::Notice(n) => Published::Notice(n),
                    _ => continue,
                };
                if tx.send(UiMsg::Published(p)).is_err() {
                    return;
                }
            }
            let _ = tx.send(UiMsg::SwarmGone);
        })
        .expect("spawn the attached console's reader");
    let mut lost = false;
    let ending = console_loop(app, ui_tx, ui_rx, |cmd| {
        lost |= writer.send(&ToOwner::Command(Box::new(cmd))).is_err();
    })?;
    let how = match ending {
        Ending::Gone => Detached::OwnerGone,
        Ending::Stop if writer.send(&ToOwner::Stop).is_ok() => Detached::Stopped,
        Ending::Stop => Detached::OwnerGone,
        Ending::Quit | Ending::Detach => Detached::Detached,
    };
    writer.close();
    match how {
        Detached::Detached => eprintln!(
            "shiftboss: detached; the swarm runs on (pid {pid}): `shiftboss up` attaches again"
        ),
        Detached::Stopped => eprintln!("shiftboss: the swarm (pid {pid}) is stopping"),
        Detached::OwnerGone => eprintln!("shiftboss: the swarm's owner (pid {pid}) ended"),
    }
    if lost {
        tracing::warn!("commands were lost: the owner went away");
    }
    Ok(how)
}
