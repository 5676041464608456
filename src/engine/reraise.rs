//! Nothing waits silently: on every tick, open concerns (not acknowledged:
//! an ack is an answer) and waiting pause points that have gone unanswered
//! past their time are raised again, each time after twice as long as the
//! last (1×, 3×, 7× … the configured time after they were raised). A pause
//! point waiting past the timeout is escalated with a critical concern; when
//! the config lists its kind it is also rejected (work kept, the step not
//! taken). Nothing is ever approved by a timeout.
//!
//! Events: `concern_reraised`, `pause_reraised`, `pause_timed_out` (then a
//! `concern_raised` from source `pause`, and a `pause_decided` by the engine
//! for a rejection).

use super::{Attr, Engine, Step};
use crate::domain::*;

/// The engine's view of the `[inbox]` section. Zero turns a rule off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InboxSettings {
    /// Re-raise times by impact: low, medium, high, critical.
    pub reraise_after: [Millis; 4],
    pub pause_reraise: Millis,
    pub pause_timeout: Millis,
    /// Pause kinds a timeout rejects (never a swarm-wide or checkout one).
    pub reject_on_timeout: Vec<PauseKind>,
}

/// `2h05m`, `40m`.
fn span(ms: Millis) -> String {
    let m = ms.max(0) / MINUTE;
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

/// When round `round` (from 1) of re-raising falls due: 1×, 3×, 7× … after.
fn due(raised: Millis, after: Millis, round: u32) -> Millis {
    let factor = (1i64 << round.min(30)) - 1;
    raised.saturating_add(after.saturating_mul(factor))
}

impl Engine {
    pub(crate) fn reraise(&mut self, out: &mut Step) {
        let rules = self.settings.inbox.clone();
        let now = self.now;
        let s = &self.state;
        // Concerns: the first of each id is the one its later events change.
        let concerns: Vec<Concern> = s
            .rows
            .concerns
            .values()
            .filter_map(|(i, _)| s.concerns.get(*i))
            .filter(|c| c.disposition == Disposition::Open)
            .filter(|c| {
                let after = rules.reraise_after[c.impact as usize];
                after > 0 && now >= due(c.raised_at, after, c.reraised + 1)
            })
            .cloned()
            .collect();
        let waiting: Vec<PausePoint> = s
            .waiting_pauses()
            .filter(|p| p.kind != PauseKind::Checkout)
            .cloned()
            .collect();
        for c in concerns {
            let mut attr = Attr::engine();
            attr.agent = c.agent;
            attr.task = c.task;
            let (round, waited) = (c.reraised + 1, now - c.raised_at);
            self.emit(
                out,
                attr,
                EventKind::ConcernReraised {
                    id: c.id,
                    round,
                    waited,
                },
            );
        }
        for p in waiting {
            let waited = now - p.raised_at;
            let mut attr = Attr::engine();
            attr.agent = p.agent.clone();
            attr.task = p.task.clone();
            if rules.pause_timeout > 0 && !p.timed_out && waited >= rules.pause_timeout {
                self.time_out(out, attr, &p, waited, &rules);
                continue;
            }
            if rules.pause_reraise > 0
                && now >= due(p.raised_at, rules.pause_reraise, p.reraised + 1)
            {
                self.emit(
                    out,
                    attr,
                    EventKind::PauseReraised {
                        id: p.id.clone(),
                        round: p.reraised + 1,
                        waited,
                    },
                );
            }
        }
    }

    /// A pause point past its timeout: escalated to the human with a
    /// critical concern, and rejected if its kind allows it.
    fn time_out(
        &mut self,
        out: &mut Step,
        attr: Attr,
        p: &PausePoint,
        waited: Millis,
        rules: &InboxSettings,
    ) {
        let rejected = rules.reject_on_timeout.contains(&p.kind)
            && !matches!(p.kind, PauseKind::Swarm | PauseKind::Checkout);
        self.emit(
            out,
            attr.clone(),
            EventKind::PauseTimedOut {
                id: p.id.clone(),
                waited,
                rejected,
            },
        );
        let then = if rejected {
            "rejected by the inbox's timeout rule; work kept"
        } else {
            "still waiting: it needs your decision"
        };
        let summary = format!(
            "{} ({}) undecided for {}: {} — {then}",
            p.id,
            p.kind.as_str(),
            span(waited),
            p.reason,
        );
        self.raise(
            out,
            attr,
            ConcernSource::Pause,
            Impact::Critical,
            1.0,
            summary,
        );
        if rejected {
            self.decide_as(out, &p.id, false, Actor::Engine);
        }
    }
}

#[cfg(test)]
#[path = "tests/reraise.rs"]
mod tests;
