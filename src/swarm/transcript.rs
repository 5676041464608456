//! Each real session's output, as the console shows it (redacted, protocol
//! lines included), kept in `.shiftboss/transcripts/<session>.log` so it can
//! be read back whole and followed as it grows (`shiftboss logs`). Outside
//! the agent's worktree and HOME: an agent cannot rewrite what it said. A
//! transcript stops growing at [`CAP`] bytes, saying so.

use crate::domain::SessionId;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes kept per session.
pub const CAP: u64 = 64 * 1024 * 1024;

/// The line a transcript ends with when its session's process is gone.
pub const END: &str = "── session ended";

/// Where the transcript of `session` is, for the swarm in `dir` (`.shiftboss/`).
pub fn path(dir: &Path, session: &SessionId) -> PathBuf {
    dir.join("transcripts")
        .join(format!("{}.log", session.as_str().replace('#', "-")))
}

pub struct Transcript {
    out: Mutex<(BufWriter<File>, u64)>,
}

impl Transcript {
    /// A new transcript for `session` (an earlier one of the same name is
    /// replaced). `None` when the file cannot be made: the session runs
    /// without one, and the log file says why.
    pub fn create(dir: &Path, session: &SessionId) -> Option<Transcript> {
        let file = path(dir, session);
        let made = std::fs::create_dir_all(file.parent().expect("in a folder"))
            .and_then(|()| File::create(&file));
        match made {
            Ok(f) => Some(Transcript {
                out: Mutex::new((BufWriter::new(f), 0)),
            }),
            Err(e) => {
                tracing::warn!(session = %session, file = %file.display(), error = %e, "no transcript");
                None
            }
        }
    }

    /// One line, written through so a follower sees it at once.
    pub fn line(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let (w, written) = &mut *out;
        if *written >= CAP {
            return;
        }
        *written += line.len() as u64 + 1;
        let r = if *written >= CAP {
            writeln!(w, "── transcript cut at {} MiB", CAP / (1024 * 1024))
        } else {
            writeln!(w, "{line}")
        };
        let _ = r.and_then(|()| w.flush());
    }

    /// The process is gone.
    pub fn end(&self, exit_code: Option<i32>) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let (w, _) = &mut *out;
        let code = exit_code.map_or("no exit code".to_string(), |c| format!("exit {c}"));
        let _ = writeln!(w, "{END} ({code})").and_then(|()| w.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_go_through_to_the_file_and_the_end_is_marked() {
        let dir = tempfile::tempdir().unwrap();
        let s = SessionId::new("builder-01#3");
        let t = Transcript::create(dir.path(), &s).unwrap();
        t.line("hello");
        assert_eq!(
            std::fs::read_to_string(path(dir.path(), &s)).unwrap(),
            "hello\n"
        );
        t.end(Some(0));
        let text = std::fs::read_to_string(path(dir.path(), &s)).unwrap();
        assert_eq!(text, format!("hello\n{END} (exit 0)\n"));
        assert!(path(dir.path(), &s).ends_with("transcripts/builder-01-3.log"));
    }
}
