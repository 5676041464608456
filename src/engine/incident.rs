//! Incident records, opened by the operator from a T3 item (a concern that
//! reached the operator) or a task that failed for good, and their
//! follow-ups. The record says who decided; the write-up comes from the log.

use super::{Attr, Engine, Step};
use crate::domain::*;

/// Whether an incident record can be made of `source`; the reason if not.
pub fn check_open(s: &SwarmState, source: &IncidentSource) -> Result<(), String> {
    if let Some(i) = s.incident_of(source) {
        return Err(format!(
            "{} has its incident record already: {}",
            source.id(),
            i.id
        ));
    }
    match source {
        IncidentSource::Task(id) => match s.task(id) {
            None => Err(format!("no task {id}")),
            Some(t) if t.status == TaskStatus::Failed => Ok(()),
            Some(t) => Err(format!(
                "{id} is {}; incidents are made of tasks that failed for good and of concerns that reached the operator",
                t.status
            )),
        },
        IncidentSource::Concern(id) => match s.concern(id) {
            None => Err(format!("no concern {id}")),
            Some(c) if c.routing == Routing::Human => Ok(()),
            Some(c) => Err(format!(
                "{id} went to {}, not to the operator; incidents are made of T3 items and of tasks that failed for good",
                c.routing.as_str()
            )),
        },
    }
}

/// Whether a follow-up can be written to incident `id`.
pub fn check_follow_up(s: &SwarmState, id: &IncidentId, text: &str) -> Result<(), String> {
    if s.incident(id).is_none() {
        return Err(format!("no incident {id}"));
    }
    if text.trim().is_empty() {
        return Err("a follow-up needs some text".into());
    }
    Ok(())
}

/// The record's title and who made the decision it records.
fn title_and_decision(s: &SwarmState, source: &IncidentSource) -> (String, String) {
    match source {
        IncidentSource::Task(id) => {
            let t = &s.tasks[id];
            let why = t
                .reason
                .clone()
                .unwrap_or_else(|| "no reason recorded".into());
            (
                format!("{id}: {}", t.spec.title),
                format!("engine: failed for good ({why})"),
            )
        }
        IncidentSource::Concern(id) => {
            let c = s.concern(id).expect("checked");
            let decided = match c.disposed_by {
                Some(actor) => format!("{}: {}", actor.as_str(), c.disposition.as_str()),
                None => "nobody yet: still open".to_string(),
            };
            (format!("{id}: {}", c.summary), decided)
        }
    }
}

impl Engine {
    pub(crate) fn open_incident(&mut self, out: &mut Step, source: IncidentSource) {
        let (title, decided_by) = title_and_decision(&self.state, &source);
        let mut attr = Attr::by(Actor::Operator);
        match &source {
            IncidentSource::Task(t) => attr = attr.task(t),
            IncidentSource::Concern(c) => {
                let c = self.state.concern(c).expect("checked");
                attr.agent = c.agent.clone();
                attr.task = c.task.clone();
            }
        }
        let id = self.state.next_incident_id();
        self.emit(
            out,
            attr,
            EventKind::IncidentOpened {
                id,
                source,
                title,
                decided_by,
            },
        );
    }

    pub(crate) fn follow_up(&mut self, out: &mut Step, id: IncidentId, text: String) {
        let text = text.trim().to_string();
        self.emit(
            out,
            Attr::by(Actor::Operator),
            EventKind::IncidentFollowUp { id, text },
        );
    }
}
