//! The owner's watch on `.shiftboss/inbox/`: a file written there (a hand-off
//! renamed into place, a backlog file copied in) wakes the runner at once,
//! through inotify (`notify`), instead of the folder being read every tick.
//! Where no watch can be set (no inotify instances left), the folder is read
//! every tick as before, and the log file says why.

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct InboxWatch {
    /// Held for its thread; `None` when no watch could be set.
    watcher: Option<RecommendedWatcher>,
    due: Arc<AtomicBool>,
}

/// A file is whole when it was closed after writing or renamed into place;
/// its creation alone is not enough (a copy is created empty, then written).
fn finished_file(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(_))
    )
}

impl InboxWatch {
    /// Watch `inbox` (made if missing); `wake` is called from the watch's
    /// thread when a file there is finished. Due at first, so what waits
    /// already is taken in.
    pub fn start(inbox: &Path, wake: impl Fn() + Send + 'static) -> InboxWatch {
        let due = Arc::new(AtomicBool::new(true));
        let flag = due.clone();
        let watcher = std::fs::create_dir_all(inbox)
            .map_err(notify::Error::io)
            .and_then(|()| {
                let mut w =
                    notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
                        // An error (the queue overflowed): look at the folder.
                        if ev.as_ref().map_or(true, |e| finished_file(&e.kind)) {
                            flag.store(true, Ordering::SeqCst);
                            wake();
                        }
                    })?;
                w.watch(inbox, RecursiveMode::NonRecursive)?;
                Ok(w)
            });
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(inbox = %inbox.display(), error = %e, "no watch on the inbox; reading it every tick");
                None
            }
        };
        InboxWatch { watcher, due }
    }

    /// Read the inbox again at the next chance (a file there is still
    /// settling).
    pub fn again(&self) {
        self.due.store(true, Ordering::SeqCst);
    }

    /// Whether the inbox should be read now: a file arrived since the last
    /// time (or there is no watch).
    pub fn take(&self) -> bool {
        self.due.swap(false, Ordering::SeqCst) || self.watcher.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_file_written_or_renamed_into_the_inbox_wakes_the_owner_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox");
        let (tx, rx) = mpsc::channel();
        let watch = InboxWatch::start(&inbox, move || {
            let _ = tx.send(());
        });
        assert!(watch.take(), "due at first: what waits is taken in");
        assert!(!watch.take(), "then not until a file comes");
        // A rename into place (how `task add` hands off).
        std::fs::write(dir.path().join("x.tmp"), "[]").unwrap();
        std::fs::rename(dir.path().join("x.tmp"), inbox.join("a.json")).unwrap();
        rx.recv_timeout(Duration::from_secs(60)).expect("woken");
        assert!(watch.take());
        while rx.try_recv().is_ok() {}
        assert!(!watch.take());
        // A file written in place wakes it once it is closed.
        std::fs::write(inbox.join("b.toml"), "[[convoy]]\n").unwrap();
        rx.recv_timeout(Duration::from_secs(60)).expect("woken");
        assert!(watch.take());
    }
}
