//! Telling a full disk from a failure: free space by `statvfs`, and the
//! words an `ENOSPC` / `EDQUOT` leaves in an error. A failure seen while the
//! disk is full is weather: the runner tells the engine the disk is full
//! before the failure, so the work is set back without counting.

use super::{Swarm, SwarmError};
use crate::engine::Clock;
use crate::engine::Input;
use std::path::Path;

const MIB: u64 = 1024 * 1024;
/// Below this much free space the disk counts as full.
pub(super) const FULL_BELOW: u64 = MIB;
/// Work goes on once this much is free again (a margin over `FULL_BELOW`,
/// so a swarm does not flap at the edge).
pub(super) const RESUME_AT: u64 = 4 * MIB;

/// Unwritten events kept in memory while the log cannot be written; past
/// this the swarm stops instead of growing without bound.
pub(super) const MAX_UNWRITTEN: usize = 100_000;

/// Bytes free for an unprivileged writer on the file system holding `path`.
pub(super) fn free_bytes(path: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

pub(super) fn mib(bytes: u64) -> u64 {
    bytes / MIB
}

/// Does this error text come from a full disk or an exceeded quota?
pub(super) fn says_full(text: &str) -> bool {
    const WORDS: [&str; 6] = [
        "No space left on device",
        "os error 28",
        "Disk quota exceeded",
        "os error 122",
        "database or disk is full",
        "ENOSPC",
    ];
    WORDS.iter().any(|w| text.contains(w))
}

/// The text of a failure that a full disk may have caused, if `input` is
/// one, and whether shiftboss's own writes under the repository wrote it
/// (a gate's output is its program's: it may say "No space left on device"
/// of another file system, or as a test's words).
pub(super) fn failure_text(input: &Input) -> Option<(&str, bool)> {
    match input {
        Input::StartFailed { error, .. } | Input::ExecutorFailed { error, .. } => {
            Some((error, true))
        }
        Input::AgentExited {
            exit_code: Some(0), ..
        } => None,
        Input::AgentExited { .. } => Some(("", false)),
        Input::GatesFinished {
            passed: false,
            output,
            ..
        } => Some((output, false)),
        Input::Landed { error: Some(e), .. } => Some((e, true)),
        _ => None,
    }
}

/// Without a console (headless runs), a full disk and its end are said on
/// stderr as they happen: the log itself may not take them until later.
pub(super) fn announce(events: &[crate::domain::Event]) {
    use crate::domain::EventKind;
    for ev in events {
        match &ev.kind {
            EventKind::DiskFull { path, free_mb } => eprintln!(
                "shiftboss: disk full: {free_mb} MB free on {path}; new work waits for space"
            ),
            EventKind::DiskSpaceReturned { path, free_mb } => {
                eprintln!("shiftboss: space returned on {path} ({free_mb} MB free); work goes on")
            }
            _ => {}
        }
    }
}

impl Swarm {
    /// The engine's input for a full disk under the repository.
    pub(super) fn disk_full_input(&self) -> Input {
        let free = free_bytes(&self.paths.root).unwrap_or(0);
        Input::DiskFull {
            path: self.paths.root.display().to_string(),
            free_mb: mib(free),
        }
    }

    /// Before a failure reaches the engine: if a full disk may have caused
    /// it, the engine hears of the full disk first.
    pub(super) fn weather_before(&mut self, input: &Input) -> Result<(), SwarmError> {
        if self.engine.state().disk_full.is_some() {
            return Ok(());
        }
        let Some((text, own)) = failure_text(input) else {
            return Ok(());
        };
        // A program's words count only while the repository's disk is short
        // of room too: else a gate that says so would be re-run as weather
        // at every tick, without end.
        let free = free_bytes(&self.paths.root);
        let low = free.is_some_and(|f| f < FULL_BELOW);
        let short = free.is_none_or(|f| f < RESUME_AT);
        if low || (says_full(text) && (own || short)) {
            let step = self.engine.step(self.clock.now(), self.disk_full_input());
            self.handle(step)?;
        }
        Ok(())
    }

    /// On each tick: a disk that filled up stops new work; one with space
    /// again gets the waiting events written, their effects performed, and
    /// the engine told.
    pub(super) fn check_disk(&mut self) -> Result<(), SwarmError> {
        let Some(free) = free_bytes(&self.paths.root) else {
            return Ok(());
        };
        let full = self.log_full || self.engine.state().disk_full.is_some();
        if !full {
            if free < FULL_BELOW {
                self.inputs.push_back(self.disk_full_input());
            }
            return Ok(());
        }
        if free < RESUME_AT {
            return Ok(());
        }
        self.flush()?;
        if self.log_full {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        self.perform(held);
        if self.engine.state().disk_full.is_some() {
            self.inputs
                .push_back(Input::DiskSpace { free_mb: mib(free) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disk_words() {
        assert!(says_full(
            "write src/a: No space left on device (os error 28)"
        ));
        assert!(says_full("event log x: database or disk is full"));
        assert!(says_full("Disk quota exceeded (os error 122)"));
        assert!(!says_full("exit status 1: assertion failed"));
    }

    /// The built-in small day, opened as a swarm in a project under `dir`.
    fn small_day(dir: &std::path::Path) -> (crate::config::Scenario, crate::swarm::Swarm) {
        use crate::swarm::{Paths, Swarm};
        let root = dir.join("project");
        let scenario = crate::config::Scenario::builtin("small").unwrap();
        let c = &scenario.config;
        crate::merge::init_demo_repo(
            &root,
            &c.swarm.target,
            &[("README.md", "demo\n")],
            scenario.start,
        )
        .unwrap();
        let paths = Paths::new(&root);
        std::fs::create_dir_all(&paths.dir).unwrap();
        let swarm = Swarm::open(
            paths,
            c.engine_settings(),
            c.sim_settings(),
            c.gates.timeout.as_std(),
            scenario.start,
            &scenario.backlog,
        )
        .unwrap();
        (scenario, swarm)
    }

    /// A log append that finds no room is kept whole in memory, the
    /// effects it led to wait, and both go on when room returns: the log
    /// ends up exactly the engine's history, without a gap.
    #[test]
    fn a_log_write_that_finds_no_room_is_kept_and_written_later() {
        use crate::domain::HOUR;
        let tmp = tempfile::tempdir().unwrap();
        let (scenario, mut swarm) = small_day(tmp.path());
        let end = scenario.start + 2 * HOUR;
        swarm.flush().unwrap();
        swarm.store.cap_size(true);
        let written = swarm.store.event_count().unwrap();
        let mut steps = 0;
        while !swarm.log_full {
            assert!(swarm.advance(end).unwrap(), "the log never filled");
            steps += 1;
            assert!(steps < 200_000);
        }
        assert!(swarm.engine.state().disk_full.is_some());
        assert!(!swarm.buffer.is_empty());
        // Nothing half-written: the failed transaction left no row.
        assert_eq!(swarm.store.event_count().unwrap(), written);
        // Time goes on (ticks come and go); the log stays as it was.
        for _ in 0..50 {
            swarm.advance(end).unwrap();
        }
        assert!(swarm.log_full);
        assert_eq!(swarm.store.event_count().unwrap(), written);
        // Room again: the next tick writes everything and work goes on.
        swarm.store.cap_size(false);
        while swarm.log_full || swarm.engine.state().disk_full.is_some() {
            assert!(swarm.advance(end).unwrap());
        }
        assert!(swarm.held.is_empty());
        swarm.flush().unwrap();
        let events = swarm.store.load_events().unwrap();
        let kinds = |k: &str| events.iter().filter(|e| e.kind.name() == k).count();
        assert_eq!(kinds("disk_full"), 1);
        assert_eq!(kinds("disk_space_returned"), 1);
        assert_eq!(swarm.store.last_seq().unwrap(), events.len() as u64);
        assert_eq!(events.len() as u64, swarm.engine.state().events);
        let merged_before = swarm.engine.state().merges;
        swarm
            .run(&crate::swarm::RunOptions {
                until: Some(end),
                stop_when_idle: false,
                speed: crate::swarm::Speed::Max,
                approve_all: true,
                progress: false,
            })
            .unwrap();
        assert!(swarm.engine.state().merges > merged_before, "work went on");
    }

    /// While the log cannot be written, events wait in memory, but not
    /// without bound: past the limit the swarm stops (its agents stopped,
    /// no effect of an unwritten event performed) and says why, and the log
    /// holds everything up to its last write.
    #[test]
    fn unwritten_events_are_bounded_and_the_swarm_stops_past_the_bound() {
        use crate::domain::HOUR;
        let tmp = tempfile::tempdir().unwrap();
        let (scenario, mut swarm) = small_day(tmp.path());
        swarm.flush().unwrap();
        swarm.store.cap_size(true);
        let written = swarm.store.event_count().unwrap();
        swarm.max_unwritten = 50;
        let err = swarm
            .run(&crate::swarm::RunOptions {
                until: Some(scenario.start + 8 * HOUR),
                stop_when_idle: true,
                speed: crate::swarm::Speed::Max,
                approve_all: true,
                progress: false,
            })
            .expect_err("the log never took the events");
        // At most one step's events past the bound.
        assert!(swarm.buffer.len() <= 60, "{}", swarm.buffer.len());
        assert!(
            swarm.clock.now() < scenario.start + 8 * HOUR,
            "stopped early"
        );
        let text = err.to_string();
        assert!(text.contains("disk full"), "{text}");
        assert!(text.contains("shiftboss up"), "{text}");
        assert_eq!(swarm.store.event_count().unwrap(), written);
    }

    #[test]
    fn free_space_of_a_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).is_some());
        assert!(free_bytes(&dir.path().join("missing/deeper")).is_none());
    }
}
