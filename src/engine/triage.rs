//! T2 triage on the tick: each concern waiting for triage gets the verdict
//! `watchdog::triage::judge` gives, as a `triage_verdict` event; a resolved
//! one is disposed of, an escalated one is the operator's (the fold routes
//! it to the human).

use super::{Attr, Engine, Step};
use crate::domain::triage::Verdict;
use crate::domain::{Disposition, EventKind};
use crate::watchdog::triage::judge;

impl Engine {
    pub(super) fn triage(&mut self, out: &mut Step) {
        let after = self.settings.watchdog.triage_after;
        if after <= 0 {
            return;
        }
        let due: Vec<_> = self
            .state
            .triage
            .waiting
            .iter()
            .filter_map(|id| self.state.concern(id))
            .filter_map(|c| judge(&self.state, c, self.now, after).map(|j| (c.clone(), j)))
            .collect();
        for (c, j) in due {
            let mut attr = Attr::engine();
            if let Some(a) = &c.agent {
                attr = attr.agent(a);
            }
            if let Some(t) = &c.task {
                attr = attr.task(t);
            }
            let resolve = j.verdict == Verdict::Resolve;
            self.emit(
                out,
                attr.clone(),
                EventKind::TriageVerdict {
                    concern: c.id.clone(),
                    verdict: j.verdict,
                    recommendation: j.recommendation,
                    reasons: j.reasons,
                },
            );
            if resolve {
                self.emit(
                    out,
                    attr,
                    EventKind::ConcernDisposed {
                        id: c.id,
                        disposition: Disposition::Resolved,
                    },
                );
            }
        }
    }
}
