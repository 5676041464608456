//! Teams: a lead over a few coders, owning convoys, started in phase order.
//!
//! * Who may take a task: a team's coders take the tasks of its convoys
//!   that its lead created; the lead takes the others (the epics it breaks
//!   up); with the operator as lead the coders take them all. Agents of no
//!   team take only tasks of convoys no team owns.
//! * When: a team starts (`team_started`) at once when `parallel` or in the
//!   first phase, else once every team of an earlier phase has landed its
//!   convoys (all their tasks merged).
//! * An epic its lead broke up integrates after its coders: when the lead's
//!   session ends with tasks of its making still to land, the epic goes back
//!   to wait for them and the lead takes it again once they merged.
//! * Where work lands: a team with an agent lead has an integration branch
//!   (`shiftboss/team/<team>`). Its coders' branches start from it, are
//!   gated against it and land on it through the queue; the lead's
//!   integration starts from it, is gated against it (its own changes) and
//!   lands on the target (through the pause point when the config asks),
//!   and the team branch then follows it.
//!   Operator-led teams and tasks of no team land on the target.
//!
//! With no teams configured none of this applies and no event is written.

use super::{Attr, Engine, Step};
use crate::domain::*;

/// One team, in engine terms.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamSettings {
    pub name: String,
    /// The lead agent; `None` when the operator leads.
    pub lead: Option<AgentId>,
    /// Added to the lead's prompt.
    pub lead_prompt: String,
    pub coders: Vec<AgentId>,
    pub convoys: Vec<ConvoyId>,
    pub phase: u32,
    pub parallel: bool,
    /// The lead's integration stops at a pause point before it lands.
    pub approve_integration: bool,
}

impl TeamSettings {
    /// The lead (if an agent) and the coders.
    pub fn members(&self) -> impl Iterator<Item = &AgentId> {
        self.lead.iter().chain(&self.coders)
    }

    /// Whether `task` is lead work: a task of the team's convoys its lead
    /// did not create.
    pub fn is_lead_work(&self, task: &Task) -> bool {
        self.lead.is_some() && task.created_by.as_ref() != self.lead.as_ref()
    }

    /// The team's integration branch, when an agent leads it.
    pub fn branch(&self) -> Option<String> {
        self.lead
            .as_ref()
            .map(|_| crate::merge::team_branch(&self.name))
    }
}

/// What a task is to its team's integration branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TeamRole {
    /// Lands on the branch.
    Coder,
    /// Starts from the branch and takes it to the target.
    Integration,
}

impl Engine {
    pub(crate) fn team_of_convoy(&self, convoy: &ConvoyId) -> Option<&TeamSettings> {
        self.settings
            .teams
            .iter()
            .find(|t| t.convoys.contains(convoy))
    }

    pub(crate) fn team_of_agent(&self, agent: &AgentId) -> Option<&TeamSettings> {
        self.settings
            .teams
            .iter()
            .find(|t| t.members().any(|m| m == agent))
    }

    /// May `agent` take `task`? Always, without teams.
    pub(super) fn may_take(&self, agent: &AgentId, task: &Task) -> bool {
        if self.settings.teams.is_empty() {
            return true;
        }
        match self.team_of_convoy(&task.spec.convoy) {
            None => self.team_of_agent(agent).is_none(),
            Some(t) if t.is_lead_work(task) => t.lead.as_ref() == Some(agent),
            Some(t) => t.coders.contains(agent),
        }
    }

    /// Whether `task` may start as far as teams go: its team has started;
    /// for an epic its lead broke up, every task of the lead's making has
    /// landed; and a new epic waits while another of the team's is broken
    /// up and not yet on the target (one epic at a time shares the team's
    /// integration branch, so an integration takes only its own coders'
    /// work to the target).
    pub(super) fn team_allows(&self, task: &Task) -> bool {
        if self.settings.teams.is_empty() {
            return true;
        }
        let Some(team) = self.team_of_convoy(&task.spec.convoy) else {
            return true;
        };
        if !self.state.has_team_started(&team.name) || !self.children_landed(&task.spec.id) {
            return false;
        }
        !(team.branch().is_some()
            && team.is_lead_work(task)
            && !self.is_broken_up(&task.spec.id)
            && self.other_epic_in_flight(team, &task.spec.id))
    }

    /// Another epic of `team` than `epic` that its lead broke up and that
    /// has not merged on the target.
    fn other_epic_in_flight(&self, team: &TeamSettings, epic: &TaskId) -> bool {
        self.state.tasks.values().any(|t| {
            t.epic.as_ref().is_some_and(|e| {
                e != epic
                    && team.convoys.contains(&t.spec.convoy)
                    && self
                        .state
                        .tasks
                        .get(e)
                        .is_some_and(|e| e.status != TaskStatus::Merged)
            })
        })
    }

    /// Every task created by a lead while working `epic` is merged.
    pub(super) fn children_landed(&self, epic: &TaskId) -> bool {
        self.state
            .tasks
            .values()
            .filter(|t| t.epic.as_ref() == Some(epic))
            .all(|t| t.status == TaskStatus::Merged)
    }

    /// An epic its lead broke up: tasks were created while working it.
    pub(super) fn is_broken_up(&self, epic: &TaskId) -> bool {
        !self.settings.teams.is_empty()
            && self
                .state
                .tasks
                .values()
                .any(|t| t.epic.as_ref() == Some(epic))
    }

    /// After an epic's session ended done: `true` (and the epic back to wait)
    /// when tasks its lead created in it have yet to land.
    pub(super) fn epic_waits(&mut self, out: &mut Step, task: &TaskId) -> bool {
        if self.settings.teams.is_empty() || self.children_landed(task) {
            return false;
        }
        self.emit(
            out,
            Attr::engine().task(task),
            EventKind::TaskRequeued {
                reason: "broken up: integrates once its coders' tasks have landed".into(),
            },
        );
        true
    }

    /// Teams whose phase has come start.
    pub(super) fn start_teams(&mut self, out: &mut Step) {
        let due: Vec<EventKind> = self
            .settings
            .teams
            .iter()
            .filter(|t| !self.state.has_team_started(&t.name))
            .filter(|t| {
                t.parallel
                    || self
                        .settings
                        .teams
                        .iter()
                        .filter(|o| o.phase < t.phase)
                        .all(|o| self.team_landed(o))
            })
            .map(|t| EventKind::TeamStarted {
                team: t.name.clone(),
                phase: t.phase,
                lead: t.lead.clone(),
                coders: t.coders.clone(),
                convoys: t.convoys.clone(),
                branch: t.branch(),
            })
            .collect();
        for kind in due {
            self.emit(out, Attr::engine(), kind);
        }
    }

    /// A team has started and every task of its convoys is merged.
    fn team_landed(&self, team: &TeamSettings) -> bool {
        self.state.team_has_landed(&team.name, &team.convoys)
    }

    /// Agents the teams name that the pool (`builder-NN`) does not hold, in
    /// the order the config names them.
    pub(super) fn team_agents_outside_pool(&self) -> Vec<AgentId> {
        let pool: Vec<AgentId> = (1..=self.settings.agents).map(AgentId::builder).collect();
        let mut out: Vec<AgentId> = Vec::new();
        for a in self.settings.teams.iter().flat_map(|t| t.members()) {
            if !pool.contains(a) && !out.contains(a) {
                out.push(a.clone());
            }
        }
        out
    }

    /// What `task` is to its team's integration branch: a coder's task
    /// (one its agent lead created while working an epic) or the lead's
    /// integration of an epic it broke up; none for anything else
    /// (operator-led teams, work of no team, an epic not broken up).
    fn on_team_branch(&self, task: &Task) -> Option<(&TeamSettings, TeamRole)> {
        let team = self.team_of_convoy(&task.spec.convoy)?;
        team.lead.as_ref()?;
        let role = if !team.is_lead_work(task) {
            task.epic.as_ref().map(|_| TeamRole::Coder)
        } else if self.is_broken_up(&task.spec.id) {
            Some(TeamRole::Integration)
        } else {
            None
        };
        role.map(|r| (team, r))
    }

    /// The team's integration branch a coder's task lands on; none: the target.
    pub(crate) fn team_branch_of(&self, task: &Task) -> Option<String> {
        match self.on_team_branch(task)? {
            (team, TeamRole::Coder) => team.branch(),
            _ => None,
        }
    }

    /// Where a new branch of `task` starts, and what its gates measure it
    /// against: a coder's task and its lead's integration start from the
    /// team's integration branch (teammates' landed work in it); else the
    /// target.
    pub(crate) fn base_of(&self, task: &TaskId) -> Option<String> {
        let t = self.state.tasks.get(task)?;
        self.on_team_branch(t)?.0.branch()
    }

    /// Whether `dep`, which `task` comes after, is merged where `task`
    /// starts: a coder's task landed on its team branch is, for its
    /// teammates and its lead's integration (they start from that branch);
    /// for anyone else only once the team's integration of it reached the
    /// target.
    pub(super) fn dependency_met(&self, task: &Task, dep: &Task) -> bool {
        if dep.status != TaskStatus::Merged {
            return false;
        }
        let Some(on) = &dep.onto else {
            return true;
        };
        if self.base_of(&task.spec.id).as_ref() == Some(on) {
            return true;
        }
        dep.epic
            .as_ref()
            .and_then(|e| self.state.tasks.get(e))
            .is_some_and(|e| e.status == TaskStatus::Merged)
    }

    /// The branch an integration's landing on the target fast-forwards:
    /// its team's integration branch, so that branch is what went to the target.
    pub(crate) fn advances(&self, task: &Task) -> Option<String> {
        match self.on_team_branch(task)? {
            (team, TeamRole::Integration) => team.branch(),
            _ => None,
        }
    }

    /// The team's pause point before a lead's integration lands, when asked for.
    pub(super) fn integration_needs_approval(&self, task: &TaskId) -> bool {
        let Some(t) = self.state.tasks.get(task) else {
            return false;
        };
        matches!(
            self.on_team_branch(t),
            Some((team, TeamRole::Integration)) if team.approve_integration
        )
    }
}
