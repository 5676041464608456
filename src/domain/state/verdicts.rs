//! T2 triage's verdicts: an escalated concern is the operator's now.

use super::*;
use crate::domain::triage::Verdict;

impl SwarmState {
    pub(super) fn triage_verdict(&mut self, ev: &Event) {
        let EventKind::TriageVerdict {
            concern, verdict, ..
        } = &ev.kind
        else {
            return;
        };
        if *verdict == Verdict::Escalate
            && let Some(c) = self.concern_mut(concern)
        {
            c.routing = Routing::Human;
        }
    }
}
