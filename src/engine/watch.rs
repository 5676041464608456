//! Keeping the watchdog's deadlines: which live sessions a tick must check.

use super::Engine;
use crate::domain::{AgentId, AgentPhase, SessionId};
use crate::watchdog;
use std::collections::BTreeSet;

impl Engine {
    /// Schedule `session`'s next check: at its next time-based deadline, or
    /// at the next tick when something may already trip (a flood, a loop) or
    /// when the check was skipped (frozen, held, not working) and must be
    /// looked at again once that ends.
    pub(super) fn schedule_checks(&mut self, session: &SessionId) {
        let Some((agent, _, started)) = self.live.sessions.get(session) else {
            return;
        };
        let cfg = &self.settings.watchdog;
        let at = match self.state.agents.get(agent) {
            None => return,
            Some(a)
                if self.live.frozen.contains(session)
                    || a.phase != AgentPhase::Working
                    || a.held
                    || a.output.flooded.is_some()
                    || (cfg.loop_repeats > 0 && a.repeats >= cfg.loop_repeats) =>
            {
                self.now
            }
            Some(a) => watchdog::next_deadline(
                *started,
                a.last_output_at,
                cfg.task_time_bound,
                cfg.stall_after,
            ),
        };
        self.live.deadlines.schedule(at, session);
    }

    /// After output: a session whose agent now floods or loops is checked at
    /// the next tick.
    pub(super) fn check_if_tripped(&mut self, session: &SessionId, agent: &AgentId) {
        let cfg = &self.settings.watchdog;
        let tripped = self.state.agents.get(agent).is_some_and(|a| {
            a.output.flooded.is_some() || (cfg.loop_repeats > 0 && a.repeats >= cfg.loop_repeats)
        });
        if tripped {
            self.live.deadlines.schedule(self.now, session);
        }
    }

    /// After a tick: the sessions it checked that are still live wait for
    /// their next deadline.
    pub(super) fn reschedule_checks(&mut self, checked: BTreeSet<SessionId>) {
        for s in checked {
            self.schedule_checks(&s);
        }
    }
}
