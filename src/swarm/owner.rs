//! One owner per swarm: the process that runs the engine holds an exclusive
//! OS lock (`flock`) on `.shiftboss/owner.lock` for its lifetime. The kernel
//! drops the lock when the process ends, however it ends, so a `kill -9`
//! never leaves a stale lock; the file's text (pid and start time) only
//! says who holds it. The descriptor is opened close-on-exec, so agent
//! processes never inherit the lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name under `.shiftboss/`.
pub const LOCK_FILE: &str = "owner.lock";

/// Held while this process owns the swarm; dropping it releases the lock.
#[derive(Debug)]
pub struct OwnerLock {
    _file: File,
    path: PathBuf,
}

/// Who holds the lock, as its file says.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub since: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.pid, &self.since) {
            (Some(pid), Some(since)) => write!(f, "pid {pid}, since {since}"),
            (Some(pid), None) => write!(f, "pid {pid}"),
            _ => f.write_str("a process that has not said who it is yet"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    #[error(
        "{}: a swarm runs here already ({holder}); one swarm has one owner: attach a console with `shiftboss up` (`--readonly` to watch), add work with `shiftboss task add`, or stop that process first",
        root.display()
    )]
    Held { root: PathBuf, holder: Holder },
    #[error("{}: cannot take the owner lock: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl OwnerLock {
    /// Take the lock of the swarm whose files are in `dir` (`.shiftboss/`),
    /// or say who holds it. Creates `dir` if needed; writes nothing else.
    pub fn acquire(dir: &Path) -> Result<OwnerLock, OwnerError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| OwnerError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let locked = rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive);
        if let Err(errno) = locked {
            let err = std::io::Error::from(errno);
            if err.kind() == std::io::ErrorKind::WouldBlock {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(OwnerError::Held {
                    root: dir.parent().unwrap_or(dir).to_path_buf(),
                    holder: parse_holder(&text),
                });
            }
            return Err(io(err));
        }
        let since = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
        let text = format!("pid = {}\nsince = \"{since}\"\n", std::process::id());
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        Ok(OwnerLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether some process owns the swarm in `dir`, and who. A probe writes
/// nothing: it creates neither the folder nor the lock file, and leaves a
/// free lock's text as it was (a shared lock, let go at once).
pub fn holder(dir: &Path) -> Result<Option<Holder>, OwnerError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| OwnerError::Io {
        path: path.clone(),
        source,
    };
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    // A shared lock, let go when the file closes on return.
    let err = match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockShared) {
        Ok(()) => return Ok(None),
        Err(errno) => std::io::Error::from(errno),
    };
    if err.kind() != std::io::ErrorKind::WouldBlock {
        return Err(io(err));
    }
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    Ok(Some(parse_holder(&text)))
}

fn parse_holder(text: &str) -> Holder {
    let value = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
    };
    Holder {
        pid: value("pid").and_then(|p| p.parse().ok()),
        since: value("since"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_and_names_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".shiftboss");
        let first = OwnerLock::acquire(&dir).unwrap();
        match OwnerLock::acquire(&dir) {
            Err(OwnerError::Held { holder, root }) => {
                assert_eq!(holder.pid, Some(std::process::id()));
                assert!(holder.since.is_some());
                assert_eq!(root, tmp.path());
            }
            other => panic!("expected Held, got {other:?}"),
        }
        assert!(holder(&dir).unwrap().is_some());
        drop(first);
        assert_eq!(holder(&dir).unwrap(), None, "released when dropped");
        let again = OwnerLock::acquire(&dir).unwrap();
        assert!(again.path().ends_with(LOCK_FILE));
    }

    #[test]
    fn probing_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".shiftboss");
        assert_eq!(holder(&dir).unwrap(), None);
        assert!(!dir.exists(), "a probe of a missing folder creates none");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(holder(&dir).unwrap(), None);
        assert!(!dir.join(LOCK_FILE).exists(), "nor a lock file");
        let old = "pid = 1\nsince = \"2026-01-01 10:00:00 UTC\"\n";
        std::fs::write(dir.join(LOCK_FILE), old).unwrap();
        assert_eq!(holder(&dir).unwrap(), None);
        assert_eq!(
            std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap(),
            old,
            "a free lock's text is left as it was"
        );
        let held = OwnerLock::acquire(&dir).unwrap();
        let who = holder(&dir).unwrap().expect("held");
        assert_eq!(who.pid, Some(std::process::id()));
        drop(held);
    }

    #[test]
    fn the_refusal_is_one_line() {
        let e = OwnerError::Held {
            root: PathBuf::from("/r"),
            holder: parse_holder("pid = 42\nsince = \"2026-01-01 10:00:00 UTC\"\n"),
        }
        .to_string();
        assert!(!e.contains('\n'));
        assert!(e.contains("pid 42, since 2026-01-01 10:00:00 UTC"), "{e}");
    }
}
