//! Teams in the fold: phases started, and tasks traced to the lead that
//! created them.

use super::*;

/// A started team as the log tells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamFacts {
    pub name: String,
    pub phase: u32,
    /// `None`: the operator leads.
    pub lead: Option<AgentId>,
    pub coders: Vec<AgentId>,
    pub convoys: Vec<ConvoyId>,
    pub started_at: Millis,
    /// Its integration branch, with an agent lead.
    #[serde(default)]
    pub branch: Option<String>,
}

impl SwarmState {
    pub(super) fn team_started(&mut self, ev: &Event) {
        let EventKind::TeamStarted {
            team,
            phase,
            lead,
            coders,
            convoys,
            branch,
        } = &ev.kind
        else {
            return;
        };
        if !self.has_team_started(team) {
            self.teams.push(TeamFacts {
                name: team.clone(),
                phase: *phase,
                lead: lead.clone(),
                coders: coders.clone(),
                convoys: convoys.clone(),
                started_at: ev.at,
                branch: branch.clone(),
            });
        }
    }

    pub fn has_team_started(&self, team: &str) -> bool {
        self.teams.iter().any(|t| t.name == team)
    }

    /// The started team `agent` is on (as lead or coder).
    pub fn team_of(&self, agent: &AgentId) -> Option<&TeamFacts> {
        self.teams
            .iter()
            .find(|t| t.lead.as_ref() == Some(agent) || t.coders.contains(agent))
    }

    /// A task an agent added (a lead's `::task` line) records the agent as
    /// its creator, and the task the agent was working as its epic.
    pub(super) fn created_by_lead(&self, ev: &Event, task: &mut Task) {
        if ev.actor != Actor::Agent {
            return;
        }
        let Some(lead) = &ev.agent else {
            return;
        };
        task.created_by = Some(lead.clone());
        task.epic = self.agents.get(lead).and_then(|a| a.task.clone());
    }

    /// Tasks a lead created, in the order they were added.
    pub fn tasks_created_by<'a>(&'a self, lead: &'a AgentId) -> impl Iterator<Item = &'a Task> {
        self.task_order
            .iter()
            .map(|id| &self.tasks[id])
            .filter(move |t| t.created_by.as_ref() == Some(lead))
    }
}

/// A started team's figures: progress, throughput, spend, coordination,
/// escalations and what it waits for (the summary's `teams`, the console's
/// team rows).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TeamFigures {
    pub team: String,
    pub phase: u32,
    /// Started; else it waits for the teams of an earlier phase.
    pub started: bool,
    /// The lead agent, or `operator`.
    pub lead: String,
    pub coders: usize,
    pub tasks: u32,
    pub merged: u32,
    /// Tasks its lead created with `::task` lines.
    pub created_by_lead: u32,
    /// Its integration branch (with an agent lead), and how many of its
    /// coders' tasks have landed there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub on_branch: u32,
    /// Of those, the ones whose epic's integration has not reached the
    /// target yet: the work only the team branch holds.
    #[serde(default)]
    pub awaiting_integration: u32,
    /// Tasks of its convoys its lead did not create (the epics).
    pub epics: u32,
    /// Tasks merged per hour from the team's start to its last merge (to
    /// now while it has work left).
    pub merged_per_hour: f64,
    /// What its lead and coders spent.
    pub spend_usd: f64,
    pub tokens: u64,
    /// The lead's share of the team's tokens.
    pub coordination_ratio: f64,
    /// Concerns routed to the operator and pause points, about its tasks or agents.
    pub escalations: u32,
    /// `landed`, or what holds it up.
    pub waits_for: String,
}

impl SwarmState {
    /// The figures of every started team, in the order they started.
    pub fn team_figures(&self) -> Vec<TeamFigures> {
        self.teams.iter().map(|t| self.figures_of(t)).collect()
    }

    pub(super) fn figures_of(&self, t: &TeamFacts) -> TeamFigures {
        let tasks: Vec<&Task> = self
            .task_order
            .iter()
            .map(|id| &self.tasks[id])
            .filter(|task| t.convoys.contains(&task.spec.convoy))
            .collect();
        let merged = tasks
            .iter()
            .filter(|x| x.status == TaskStatus::Merged)
            .count() as u32;
        let by_lead = tasks
            .iter()
            .filter(|x| x.created_by.is_some() && x.created_by == t.lead)
            .count() as u32;
        let on_branch = tasks
            .iter()
            .filter(|x| x.status == TaskStatus::Merged && x.onto.is_some() && x.onto == t.branch)
            .collect::<Vec<_>>();
        let awaiting_integration = on_branch
            .iter()
            .filter(|x| {
                x.epic
                    .as_ref()
                    .and_then(|e| self.tasks.get(e))
                    .is_none_or(|e| e.status != TaskStatus::Merged)
            })
            .count() as u32;
        let on_branch = on_branch.len() as u32;
        let members: Vec<&AgentState> = t
            .lead
            .iter()
            .chain(&t.coders)
            .filter_map(|a| self.agents.get(a))
            .collect();
        let tokens: u64 = members.iter().map(|a| a.usage.total()).sum();
        let lead_tokens = t
            .lead
            .as_ref()
            .and_then(|l| self.agents.get(l))
            .map_or(0, |a| a.usage.total());
        let spend: Money = members.iter().map(|a| a.cost).sum();
        let ours = |task: Option<&TaskId>, agent: Option<&AgentId>| {
            task.is_some_and(|id| tasks.iter().any(|x| x.spec.id == *id))
                || agent.is_some_and(|a| t.lead.as_ref() == Some(a) || t.coders.contains(a))
        };
        let concerns = self
            .concerns
            .iter()
            .filter(|c| c.routing == Routing::Human && ours(c.task.as_ref(), c.agent.as_ref()))
            .count();
        let pauses = self
            .pauses
            .iter()
            .filter(|p| ours(p.task.as_ref(), p.agent.as_ref()))
            .count();
        // Throughput over the team's working time: from its start to its
        // last merge once it has landed, else to now.
        let end = if merged as usize == tasks.len() {
            tasks.iter().filter_map(|x| x.finished_at).max()
        } else {
            None
        };
        let hours = (end.unwrap_or(self.now) - t.started_at).max(1) as f64 / HOUR as f64;
        TeamFigures {
            team: t.name.clone(),
            phase: t.phase,
            started: true,
            lead: t.lead.as_ref().map_or("operator".into(), |l| l.to_string()),
            coders: t.coders.len(),
            tasks: tasks.len() as u32,
            merged,
            created_by_lead: by_lead,
            branch: t.branch.clone(),
            on_branch,
            awaiting_integration,
            epics: tasks.len() as u32 - by_lead,
            merged_per_hour: (merged as f64 / hours * 100.0).round() / 100.0,
            spend_usd: (spend.dollars() * 100.0).round() / 100.0,
            tokens,
            coordination_ratio: if tokens == 0 {
                0.0
            } else {
                (lead_tokens as f64 / tokens as f64 * 1000.0).round() / 1000.0
            },
            escalations: (concerns + pauses) as u32,
            waits_for: self.team_waits_for(t, &tasks),
        }
    }

    /// `landed`, or what holds the team up: the operator (a pause point),
    /// its coders (tasks of its lead's making still to land), its lead.
    fn team_waits_for(&self, t: &TeamFacts, tasks: &[&Task]) -> String {
        let open: Vec<&&Task> = tasks
            .iter()
            .filter(|x| x.status != TaskStatus::Merged)
            .collect();
        if open.is_empty() {
            return "landed".into();
        }
        if let Some(p) = open.iter().find_map(|x| x.waiting_on.as_ref()) {
            return format!("the operator ({p})");
        }
        let stuck = open
            .iter()
            .filter(|x| matches!(x.status, TaskStatus::Failed | TaskStatus::Blocked))
            .count();
        if stuck > 0 {
            return format!("the operator ({stuck} failed or blocked)");
        }
        let coders = open.iter().filter(|x| x.created_by.is_some()).count();
        if coders > 0 {
            return format!("its coders ({coders} to land)");
        }
        match &t.lead {
            Some(l) => format!("its lead {l}"),
            None => "its coders".into(),
        }
    }
}
