//! A console's side of attaching: a blocking connection to the owner's
//! socket, the hello answered, the first snapshot read; then a reader (on
//! the console's thread for snapshots) and a writer (for commands).

use super::serve::socket_path;
use super::wire::{self, PROTOCOL, ToConsole, ToOwner};
use crate::swarm::Snapshot;
use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("{}: cannot reach the swarm's owner: {source}", path.display())]
    Connect { path: PathBuf, source: io::Error },
    #[error("{}: the swarm's owner refused this console: {why}", path.display())]
    Refused { path: PathBuf, why: String },
    #[error("{}: the swarm's owner went away before the console could attach", path.display())]
    Gone { path: PathBuf },
}

/// An attached console's connection.
pub struct Connection {
    reader: UnixStream,
    writer: Writer,
    /// The owner's process id.
    pub pid: u32,
    /// The swarm when the console attached.
    pub first: Snapshot,
}

/// The sending half of a connection.
pub struct Writer(UnixStream);

impl Writer {
    pub fn send(&mut self, msg: &ToOwner) -> io::Result<()> {
        wire::write(&mut self.0, msg)
    }

    /// Close the connection both ways (the reader sees its end).
    pub fn close(&self) {
        let _ = self.0.shutdown(std::net::Shutdown::Both);
    }
}

/// Attach to the owner of the swarm in `dir` (`.shiftboss/`).
pub fn connect(dir: &Path, readonly: bool) -> Result<Connection, AttachError> {
    connect_speaking(dir, PROTOCOL, readonly)
}

/// Attach speaking `protocol` (another one is refused by the owner).
pub fn connect_speaking(
    dir: &Path,
    protocol: u32,
    readonly: bool,
) -> Result<Connection, AttachError> {
    let path = socket_path(dir);
    let failed = |source| AttachError::Connect {
        path: path.clone(),
        source,
    };
    let stream = UnixStream::connect(&path).map_err(failed)?;
    let mut writer = Writer(stream.try_clone().map_err(failed)?);
    writer
        .send(&ToOwner::Hello { protocol, readonly })
        .map_err(failed)?;
    let mut reader = stream;
    let gone = || AttachError::Gone { path: path.clone() };
    let pid = match wire::read::<ToConsole>(&mut reader).map_err(failed)? {
        Some(ToConsole::Welcome { pid, .. }) => pid,
        Some(ToConsole::Refused(why)) => {
            return Err(AttachError::Refused {
                path: path.clone(),
                why,
            });
        }
        Some(_) => {
            return Err(AttachError::Refused {
                path: path.clone(),
                why: "it did not answer the hello".into(),
            });
        }
        None => return Err(gone()),
    };
    let first = loop {
        match wire::read::<ToConsole>(&mut reader).map_err(failed)? {
            Some(ToConsole::Snapshot(s)) => break *s,
            Some(_) => continue,
            None => return Err(gone()),
        }
    };
    Ok(Connection {
        reader,
        writer,
        pid,
        first,
    })
}

impl Connection {
    pub fn send(&mut self, msg: &ToOwner) -> io::Result<()> {
        self.writer.send(msg)
    }

    /// The next message from the owner; `None` when it closed.
    pub fn recv(&mut self) -> io::Result<Option<ToConsole>> {
        wire::read(&mut self.reader)
    }

    /// How long `recv` waits before it fails (`None`: for ever).
    pub fn set_read_timeout(&self, limit: Option<std::time::Duration>) -> io::Result<()> {
        self.reader.set_read_timeout(limit)
    }

    /// The next notice (snapshots skipped); `None` when the owner closed.
    pub fn next_notice(&mut self) -> io::Result<Option<String>> {
        loop {
            match self.recv()? {
                Some(ToConsole::Notice(n)) => return Ok(Some(n)),
                Some(_) => continue,
                None => return Ok(None),
            }
        }
    }

    /// Reading and writing apart, for two threads.
    pub fn split(self) -> (Reader, Writer, Snapshot) {
        (Reader(self.reader), self.writer, self.first)
    }
}

/// The receiving half of a connection.
pub struct Reader(UnixStream);

impl Reader {
    /// The next message from the owner; `None` when it closed.
    pub fn recv(&mut self) -> io::Result<Option<ToConsole>> {
        wire::read(&mut self.0)
    }
}
