//! T2 triage's verdicts: an escalated concern is the operator's now; a
//! task restarted fresh starts its next session without the note of why
//! it came back (nothing carried over).

use super::*;
use crate::domain::triage::{Action, Verdict};

impl SwarmState {
    pub(super) fn triage_verdict(&mut self, ev: &Event) {
        let EventKind::TriageVerdict {
            concern,
            verdict,
            action,
            ..
        } = &ev.kind
        else {
            return;
        };
        if *action == Some(Action::RestartFresh)
            && let Some(t) = self.task_mut(ev.task.as_ref(), ev.at)
        {
            t.returned = None;
        }
        if *verdict == Verdict::Escalate
            && let Some(c) = self.concern_mut(concern)
        {
            c.routing = Routing::Human;
        }
    }
}
