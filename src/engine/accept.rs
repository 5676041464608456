//! The operator accepts what triage proposed for a concern it escalated:
//! one key does it, as an *act* verdict of the operator's, through the same
//! path triage's own actions take; the concern is resolved.

use super::{Attr, Engine, Step};
use crate::domain::triage::{Action, Verdict};
use crate::domain::{
    Actor, AgentPhase, ConcernId, Disposition, EventKind, SwarmState, TaskId, TaskStatus,
};

/// The action triage proposed for `id` and its task, if it can be done now;
/// why not otherwise.
pub fn proposal(s: &SwarmState, id: &ConcernId) -> Result<(TaskId, Action), String> {
    let c = s.concern(id).ok_or_else(|| format!("no concern {id}"))?;
    let d = s
        .triage
        .verdict(id)
        .filter(|d| d.verdict == Verdict::Escalate)
        .ok_or_else(|| format!("triage escalated no recommendation for {id}"))?;
    let (Some(action), Some(task)) = (&d.action, &c.task) else {
        return Err(format!(
            "triage proposed nothing to do for {id}: ack, resolve or dismiss it"
        ));
    };
    let status = s.task(task).map(|t| t.status);
    let movable = matches!(
        status,
        Some(
            TaskStatus::Pending | TaskStatus::InProgress | TaskStatus::Failed | TaskStatus::Blocked
        )
    );
    match action {
        _ if !movable => Err(format!("{task} has moved on since: nothing to accept")),
        Action::Reassign { to } | Action::BiggerModel { to, .. }
            if s.agent(to).is_none_or(|a| a.phase == AgentPhase::Retired) =>
        {
            Err(format!("{to} is retired: pick another action"))
        }
        Action::RaiseBudget { .. } if status != Some(TaskStatus::Blocked) => {
            Err(format!("{task} is not stopped by its budget any more"))
        }
        a => Ok((task.clone(), a.clone())),
    }
}

impl Engine {
    pub(super) fn accept_triage(&mut self, out: &mut Step, id: &ConcernId) {
        let Ok((task, action)) = proposal(&self.state, id) else {
            return;
        };
        let c = self.state.concern(id).expect("checked").clone();
        let mut attr = Attr::by(Actor::Operator).task(&task);
        attr.agent = c.agent.clone();
        self.emit(
            out,
            attr.clone(),
            EventKind::TriageVerdict {
                concern: id.clone(),
                verdict: Verdict::Act,
                action: Some(action.clone()),
                recommendation: action.describe(),
                reasons: vec!["triage's recommendation, accepted by the operator".into()],
            },
        );
        self.triage_act(out, &task, &action);
        self.emit(
            out,
            attr,
            EventKind::ConcernDisposed {
                id: id.clone(),
                disposition: Disposition::Resolved,
            },
        );
    }
}
