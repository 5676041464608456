//! Teams as configured, started or not: a team waiting for an earlier
//! phase is shown with its lead, its members and the teams it waits for,
//! from the same fold as the started ones.

use super::teams::TeamFacts;
use super::*;

/// A configured team (`[[teams]]`), as the console is told it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamPlan {
    pub name: String,
    pub phase: u32,
    /// Starts at once, whatever its phase.
    pub parallel: bool,
    /// `None`: the operator leads.
    pub lead: Option<AgentId>,
    pub coders: Vec<AgentId>,
    pub convoys: Vec<ConvoyId>,
}

impl TeamPlan {
    /// Whether `agent` leads the team or codes in it.
    pub fn has(&self, agent: &AgentId) -> bool {
        self.lead.as_ref() == Some(agent) || self.coders.contains(agent)
    }
}

impl SwarmState {
    /// Every team's figures: the configured ones in phase order (started
    /// or waiting), then any started team the plan does not name.
    pub fn team_rows(&self, plan: &[TeamPlan]) -> Vec<TeamFigures> {
        let mut ordered: Vec<&TeamPlan> = plan.iter().collect();
        ordered.sort_by_key(|p| p.phase);
        let mut out: Vec<TeamFigures> = ordered
            .iter()
            .map(|p| match self.teams.iter().find(|t| t.name == p.name) {
                Some(started) => self.figures_of(started),
                None => self.waiting_figures(p, plan),
            })
            .collect();
        out.extend(
            self.teams
                .iter()
                .filter(|t| !plan.iter().any(|p| p.name == t.name))
                .map(|t| self.figures_of(t)),
        );
        out
    }

    /// A team not started yet: its lead, coders and tasks, and the
    /// teams of earlier phases still to land, phase by phase.
    fn waiting_figures(&self, p: &TeamPlan, plan: &[TeamPlan]) -> TeamFigures {
        let facts = TeamFacts {
            name: p.name.clone(),
            phase: p.phase,
            lead: p.lead.clone(),
            coders: p.coders.clone(),
            convoys: p.convoys.clone(),
            started_at: self.now,
            branch: None,
        };
        let mut f = self.figures_of(&facts);
        f.started = false;
        f.merged_per_hour = 0.0;
        f.waits_for = self.phases_before(p, plan);
        f
    }

    /// `phase 1: infra, api; phase 2: ui`: the earlier phases' teams not
    /// landed yet; `its start` when none holds it up.
    fn phases_before(&self, p: &TeamPlan, plan: &[TeamPlan]) -> String {
        let mut pending: Vec<&TeamPlan> = plan
            .iter()
            .filter(|o| !p.parallel && o.phase < p.phase && !self.team_landed(o))
            .collect();
        if pending.is_empty() {
            return "its start".into();
        }
        pending.sort_by_key(|o| o.phase);
        let mut parts: Vec<String> = Vec::new();
        for chunk in pending.chunk_by(|a, b| a.phase == b.phase) {
            let names: Vec<&str> = chunk.iter().map(|o| o.name.as_str()).collect();
            parts.push(format!("phase {}: {}", chunk[0].phase, names.join(", ")));
        }
        parts.join("; ")
    }

    /// A team has started and every task of its convoys is merged.
    pub fn team_landed(&self, p: &TeamPlan) -> bool {
        self.team_has_landed(&p.name, &p.convoys)
    }

    /// The team `name` has started and every task of `convoys` (its own)
    /// is merged: the rule a later phase waits on, for the engine and the
    /// console alike.
    pub fn team_has_landed(&self, name: &str, convoys: &[ConvoyId]) -> bool {
        self.has_team_started(name)
            && self
                .tasks
                .values()
                .filter(|t| convoys.contains(&t.spec.convoy))
                .all(|t| t.status == TaskStatus::Merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str, phase: u32, parallel: bool) -> TeamPlan {
        TeamPlan {
            name: name.into(),
            phase,
            parallel,
            lead: Some(AgentId::new(format!("lead-{name}"))),
            coders: vec![AgentId::new(format!("{name}-1"))],
            convoys: vec![ConvoyId::new(name)],
        }
    }

    fn started(s: &mut SwarmState, p: &TeamPlan) {
        s.apply(&Event {
            at: 0,
            actor: Actor::Engine,
            agent: None,
            task: None,
            convoy: None,
            model: None,
            session: None,
            kind: EventKind::TeamStarted {
                team: p.name.clone(),
                phase: p.phase,
                lead: p.lead.clone(),
                coders: p.coders.clone(),
                convoys: p.convoys.clone(),
                branch: None,
            },
        });
    }

    #[test]
    fn a_team_not_started_says_which_earlier_teams_it_waits_for() {
        let teams = [
            plan("infra", 1, false),
            plan("api", 1, false),
            plan("ops", 2, true),
            plan("workers", 2, false),
            plan("ui", 3, false),
        ];
        let mut s = SwarmState::default();
        for p in &teams[..3] {
            started(&mut s, p);
        }
        let rows = s.team_rows(&teams);
        let said: Vec<(&str, bool, &str)> = rows
            .iter()
            .map(|f| (f.team.as_str(), f.started, f.waits_for.as_str()))
            .collect();
        // Teams with no tasks yet have landed once started.
        assert_eq!(
            said,
            [
                ("infra", true, "landed"),
                ("api", true, "landed"),
                ("ops", true, "landed"),
                ("workers", false, "its start"),
                ("ui", false, "phase 2: workers"),
            ]
        );
        let s = SwarmState::default();
        let rows = s.team_rows(&teams);
        assert_eq!(
            rows[4].waits_for,
            "phase 1: infra, api; phase 2: ops, workers"
        );
        assert_eq!(rows[3].waits_for, "phase 1: infra, api");
        assert_eq!((rows[4].lead.as_str(), rows[4].coders), ("lead-ui", 1));
    }
}
