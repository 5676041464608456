//! When each live session next needs a T1 check, in time order, so a watchdog
//! tick touches only the sessions whose moment has come instead of every agent.
//!
//! Entries are lazy: a session's deadline is computed when it is scheduled
//! (start time + time bound, last output + stall threshold, whichever comes
//! first). Output only moves the stall deadline later, so an entry is never
//! late: at worst it comes due early, the check finds nothing, and the session
//! is scheduled again at its new deadline. What can trip a check at any moment
//! (an output flood, a loop) schedules the session for the next tick.

use crate::domain::{Millis, SessionId};
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default)]
pub struct Deadlines {
    queue: BTreeSet<(Millis, SessionId)>,
}

impl Deadlines {
    /// Check `session` at the first tick at or after `at`. A session may be
    /// scheduled more than once; it is checked once per tick.
    pub fn schedule(&mut self, at: Millis, session: &SessionId) {
        if at != Millis::MAX {
            self.queue.insert((at, session.clone()));
        }
    }

    /// Take every session due at `now` (deadline at or before it), each once,
    /// in session order.
    pub fn take_due(&mut self, now: Millis) -> BTreeSet<SessionId> {
        let mut due = BTreeSet::new();
        while let Some(first) = self.queue.first() {
            if first.0 > now {
                break;
            }
            let (_, s) = self.queue.pop_first().expect("non-empty");
            due.insert(s);
        }
        due
    }

    /// Entries waiting (a session scheduled twice counts twice).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// The earliest moment a time-based check (over time, stalled) can trip for a
/// session started at `started` whose agent last spoke at `last_output`;
/// `Millis::MAX` when both checks are off. A check trips once `now` is past it.
pub fn next_deadline(
    started: Millis,
    last_output: Millis,
    time_bound: Millis,
    stall_after: Millis,
) -> Millis {
    let over = if time_bound > 0 {
        started.saturating_add(time_bound)
    } else {
        Millis::MAX
    };
    let stall = if stall_after > 0 {
        last_output.saturating_add(stall_after)
    } else {
        Millis::MAX
    };
    over.min(stall)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: &str) -> SessionId {
        SessionId::from(n)
    }

    #[test]
    fn only_what_is_due_comes_out_once_in_session_order() {
        let mut d = Deadlines::default();
        d.schedule(30, &s("b"));
        d.schedule(10, &s("c"));
        d.schedule(20, &s("c"));
        d.schedule(10, &s("a"));
        d.schedule(40, &s("d"));
        let due: Vec<_> = d.take_due(25).into_iter().collect();
        assert_eq!(due, vec![s("a"), s("c")]);
        assert_eq!(d.len(), 2);
        let due: Vec<_> = d.take_due(100).into_iter().collect();
        assert_eq!(due, vec![s("b"), s("d")]);
        assert!(d.is_empty());
    }

    #[test]
    fn the_earlier_check_sets_the_deadline_and_off_means_never() {
        assert_eq!(next_deadline(0, 50, 100, 30), 80);
        assert_eq!(next_deadline(0, 90, 100, 30), 100);
        assert_eq!(next_deadline(0, 90, 0, 30), 120);
        assert_eq!(next_deadline(0, 90, 0, 0), Millis::MAX);
        let mut d = Deadlines::default();
        d.schedule(Millis::MAX, &s("a"));
        assert!(d.is_empty());
    }
}
