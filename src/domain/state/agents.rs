//! An agent's own events: registered, its reports, sessions, alerts, holds and retirement.

use super::*;

impl SwarmState {
    pub(super) fn agent_registered(&mut self, ev: &Event) {
        let EventKind::AgentRegistered { model, runtime } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(id) = agent {
            let stamp = Stamp {
                seq: self.events,
                updated_at: ev.at,
            };
            self.rows.agents.insert(id.clone(), stamp);
            if let Some(touched) = &mut self.touched {
                mark(&mut touched.agents, &id);
            }
            self.agents.insert(
                id.clone(),
                AgentState::new(id, model.clone(), runtime.clone(), ev.at),
            );
        }
    }

    pub(super) fn cost_reported(&mut self, ev: &Event) {
        let EventKind::CostReported { reported, .. } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.reported_cost += *reported;
        }
    }

    pub(super) fn process_stats(&mut self, ev: &Event) {
        let EventKind::ProcessStats { peak_rss_kib, .. } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.peak_rss_kib = a.peak_rss_kib.max(*peak_rss_kib);
        }
    }

    pub(super) fn handoff(&mut self, ev: &Event) {
        let EventKind::Handoff { .. } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.handoffs += 1;
            a.context_tokens = 0;
        }
    }

    pub(super) fn api_trouble(&mut self, ev: &Event) {
        let EventKind::ApiTrouble { .. } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.api_troubles += 1;
        }
    }

    pub(super) fn session_ended(&mut self, ev: &Event) {
        let EventKind::SessionEnded { .. } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at)
            && ev.session.is_some()
            && a.session == ev.session
        {
            if a.phase != AgentPhase::Retired {
                a.phase = AgentPhase::Idle;
            }
            a.task = None;
            a.session = None;
        }
    }

    pub(super) fn watchdog_alert(&mut self, ev: &Event) {
        let EventKind::WatchdogAlert { check, detail } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        let task = ev.task.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.alerts += 1;
            a.last_alert = Some((*check, ev.at));
            a.last_alert_about = Some((task.clone(), detail.clone()));
        }
        if let Some(t) = self.task_mut(task.as_ref(), ev.at) {
            t.last_alert = Some((*check, agent.clone()));
        }
    }

    pub(super) fn agent_held(&mut self, ev: &Event) {
        let EventKind::AgentHeld { held } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.held = *held;
        }
    }

    pub(super) fn agent_retired(&mut self, ev: &Event) {
        let EventKind::AgentRetired { reason } = &ev.kind else {
            return;
        };
        let agent = ev.agent.clone();
        if let Some(a) = self.agent_mut(agent.as_ref(), ev.at) {
            a.phase = AgentPhase::Retired;
            a.retired_because = Some(reason.clone());
        }
    }
}
