//! The owner's watch on `.shiftboss/inbox/`: a file written there (a hand-off
//! renamed into place, a backlog file copied in) wakes the runner at once,
//! through inotify (`notify`), instead of the folder being read every tick.
//! Where no watch can be set (no inotify instances left), the folder is read
//! every tick as before, and the log file says why.
//!
//! At full speed virtual time outruns the watch's thread, so the runner asks
//! at every tick instead ([`InboxWatch::take_at_full_speed`]): a watch of its
//! own, read without waiting, holds every change the kernel queued for the
//! folder, and a file renamed in is queued before the rename returns. The
//! folder is read at the tick after any change, as reading it at every tick
//! would find it.

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use rustix::fs::inotify;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct InboxWatch {
    /// Held for its thread; `None` when no watch could be set.
    watcher: Option<RecommendedWatcher>,
    /// Set by the watch's thread when a file is finished there.
    due: Arc<AtomicBool>,
    /// Set at first and when asked to look again (a file still settling).
    asked: AtomicBool,
    /// The changes asked for at full speed; `None` when no watch could be
    /// set or it ended (the folder was removed or moved).
    changes: Option<Changes>,
}

/// Every change to a folder the kernel queued, read without waiting.
struct Changes {
    fd: rustix::fd::OwnedFd,
}

impl Changes {
    fn watch(folder: &Path) -> Option<Changes> {
        use inotify::{CreateFlags, WatchFlags};
        let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok()?;
        let what = WatchFlags::CREATE
            | WatchFlags::CLOSE_WRITE
            | WatchFlags::MODIFY
            | WatchFlags::ATTRIB
            | WatchFlags::MOVED_FROM
            | WatchFlags::MOVED_TO
            | WatchFlags::DELETE
            | WatchFlags::DELETE_SELF
            | WatchFlags::MOVE_SELF;
        inotify::add_watch(&fd, folder, what).ok()?;
        Some(Changes { fd })
    }

    /// Whether anything changed since the last time; None when the watch
    /// ended (the folder was removed or moved) or cannot be read.
    fn take(&self) -> Option<bool> {
        use inotify::ReadFlags;
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut events = inotify::Reader::new(&self.fd, &mut buf);
        let mut changed = false;
        loop {
            match events.next() {
                Ok(e) => {
                    let gone = ReadFlags::IGNORED | ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF;
                    if e.events().intersects(gone) {
                        return None;
                    }
                    changed = true;
                }
                Err(rustix::io::Errno::AGAIN) => return Some(changed),
                Err(_) => return None,
            }
        }
    }
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
        let due = Arc::new(AtomicBool::new(false));
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
        let changes = Changes::watch(inbox);
        InboxWatch {
            watcher,
            due,
            asked: AtomicBool::new(true),
            changes,
        }
    }

    /// Read the inbox again at the next chance (a file there is still
    /// settling).
    pub fn again(&self) {
        self.asked.store(true, Ordering::SeqCst);
    }

    /// Whether the inbox should be read now: a file arrived since the last
    /// time (or there is no watch).
    pub fn take(&self) -> bool {
        let asked = self.asked.swap(false, Ordering::SeqCst);
        self.due.swap(false, Ordering::SeqCst) || asked || self.watcher.is_none()
    }

    /// As [`InboxWatch::take`], at full speed (see the module docs): asked
    /// to look, or anything changed in the folder since the last time, or
    /// no watch of its own (the folder is read at every tick). The watch's
    /// thread is not heard: it hears the same changes later.
    pub fn take_at_full_speed(&mut self) -> bool {
        let asked = self.asked.swap(false, Ordering::SeqCst);
        match self.changes.as_ref().map(Changes::take) {
            Some(Some(changed)) => asked || changed,
            Some(None) => {
                tracing::warn!("the inbox's own watch ended; reading it every tick");
                self.changes = None;
                true
            }
            None => true,
        }
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

    /// At full speed a change is seen at the next ask, with no wait: the
    /// kernel queued it before the rename or write returned. Nothing else
    /// makes the inbox due, and once the folder itself is gone it is read
    /// at every ask.
    #[test]
    fn at_full_speed_a_change_is_seen_at_the_next_ask() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox");
        let mut watch = InboxWatch::start(&inbox, || {});
        assert!(watch.take_at_full_speed(), "due at first");
        assert!(!watch.take_at_full_speed());
        assert!(!watch.take_at_full_speed());
        std::fs::write(dir.path().join("x.tmp"), "[]").unwrap();
        std::fs::rename(dir.path().join("x.tmp"), inbox.join("a.json")).unwrap();
        assert!(watch.take_at_full_speed(), "a file renamed in");
        assert!(!watch.take_at_full_speed());
        std::fs::remove_file(inbox.join("a.json")).unwrap();
        assert!(watch.take_at_full_speed(), "a file taken away");
        assert!(!watch.take_at_full_speed());
        std::fs::write(inbox.join("b.toml"), "[[convoy]]\n").unwrap();
        assert!(watch.take_at_full_speed(), "a file written in place");
        watch.again();
        assert!(watch.take_at_full_speed(), "asked to look again");
        assert!(!watch.take_at_full_speed());
        std::fs::remove_dir_all(&inbox).unwrap();
        std::fs::create_dir(&inbox).unwrap();
        assert!(watch.take_at_full_speed());
        assert!(
            watch.take_at_full_speed(),
            "the folder made anew has no watch: read at every ask"
        );
    }
}
