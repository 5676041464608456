//! Incident records: opened, and their follow-up written.

use super::*;
use crate::domain::{Incident, IncidentId};

impl SwarmState {
    pub fn incident(&self, id: &IncidentId) -> Option<&Incident> {
        self.incidents.iter().find(|i| &i.id == id)
    }

    /// The record made of a task or a concern, if one was.
    pub fn incident_of(&self, source: &crate::domain::IncidentSource) -> Option<&Incident> {
        self.incidents.iter().find(|i| &i.source == source)
    }

    pub fn next_incident_id(&self) -> IncidentId {
        IncidentId(format!("I-{:04}", self.incidents.len() + 1))
    }

    pub(super) fn incident_event(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::IncidentOpened {
                id,
                source,
                title,
                decided_by,
            } if self.incident(id).is_none() => {
                self.incidents.push(Incident {
                    id: id.clone(),
                    source: source.clone(),
                    title: title.clone(),
                    decided_by: decided_by.clone(),
                    opened_at: ev.at,
                    follow_up: String::new(),
                    follow_up_at: None,
                });
            }
            EventKind::IncidentFollowUp { id, text } => {
                if let Some(i) = self.incidents.iter_mut().find(|i| &i.id == id) {
                    i.follow_up = text.clone();
                    i.follow_up_at = Some(ev.at);
                }
            }
            _ => {}
        }
    }
}
