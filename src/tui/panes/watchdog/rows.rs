//! The pane's rows: each agent's trouble (its tier, what was seen, what
//! happens next) from the state's facts, grouped by tier, healthy agents
//! folded into teams above [`SPAN`].

use super::{ALERT_RECENT, SPAN};
use crate::domain::triage::{Decided, Verdict};
use crate::domain::{
    AgentId, AgentPhase, AgentState, Check, Concern, PausePoint, Routing, TaskId, TaskStatus,
    TeamFigures,
};
use crate::swarm::Snapshot;
use crate::tui::format::age;
use crate::tui::panes::PaneState;
use std::collections::HashMap;

/// An agent in trouble: its tier, what was seen, what happens next.
pub(super) struct Trouble {
    pub(super) tier: u8,
    pub(super) seen: String,
    pub(super) next: String,
    pub(super) detail: String,
}

pub(super) enum Row<'a> {
    Header { tier: u8, count: usize },
    Agent(&'a AgentState, Option<Trouble>),
    Team(Team),
}

#[derive(Default)]
pub(super) struct Team {
    pub(super) number: usize,
    /// A configured team (`[[teams]]`): its figures (lead, progress, spend,
    /// what it waits for); `None` for a fold of eight by number.
    pub(super) figures: Option<crate::domain::TeamFigures>,
    pub(super) working: usize,
    pub(super) idle: usize,
    /// Members listed above, in trouble.
    pub(super) above: usize,
    /// The agents on no team, beside configured teams.
    pub(super) no_team: bool,
    /// A configured team's row is shown: no filter, or the filter names
    /// the team or one of its agents.
    pub(super) shown: bool,
}

/// What the pane looks at besides the agents, gathered in one pass each.
struct Facts<'a> {
    snap: &'a Snapshot,
    pauses: HashMap<&'a AgentId, &'a PausePoint>,
    concerns: HashMap<&'a AgentId, &'a Concern>,
    /// Open concerns T2 triage has not decided yet, per agent.
    triaging: HashMap<&'a AgentId, &'a Concern>,
    /// Triage's latest verdict about each agent's concerns.
    decided: HashMap<&'a AgentId, &'a Decided>,
    /// The latest alert per agent: (task, detail).
    alerts: HashMap<&'a AgentId, (Option<&'a TaskId>, &'a str)>,
    retired: HashMap<&'a AgentId, &'a str>,
}

impl<'a> Facts<'a> {
    fn new(snap: &'a Snapshot) -> Facts<'a> {
        let s = &snap.state;
        let pauses = s
            .waiting_pauses()
            .filter_map(|p| Some((p.agent.as_ref()?, p)))
            .collect();
        // The latest open concern for the human about each agent.
        let concerns = s
            .open_concerns()
            .filter(|c| c.routing == Routing::Human)
            .filter_map(|c| Some((c.agent.as_ref()?, c)))
            .collect();
        let triaging = s
            .triage
            .waiting
            .iter()
            .filter_map(|id| s.concern(id))
            .filter(|c| c.disposition.is_open())
            .filter_map(|c| Some((c.agent.as_ref()?, c)))
            .collect();
        let decided = s
            .triage
            .recent
            .iter()
            .filter_map(|id| Some((s.concern(id)?.agent.as_ref()?, s.triage.verdict(id)?)))
            .collect();
        // The facts the state keeps per agent, never a window of events.
        let alerts = s
            .agents
            .values()
            .filter_map(|a| {
                let (task, detail) = a.last_alert_about.as_ref()?;
                Some((&a.id, (task.as_ref(), detail.as_str())))
            })
            .collect();
        let retired = s
            .agents
            .values()
            .filter_map(|a| Some((&a.id, a.retired_because.as_deref()?)))
            .collect();
        Facts {
            snap,
            pauses,
            concerns,
            triaging,
            decided,
            alerts,
            retired,
        }
    }

    /// The agent's trouble at its highest tier, if any.
    fn trouble(&self, a: &AgentState) -> Option<Trouble> {
        self.for_you(a)
            .or_else(|| self.in_triage(a))
            .or_else(|| self.mechanical(a))
    }

    /// Tier 3, the operator's: a pause point waits, the agent is retired,
    /// or a concern waits on the human.
    fn for_you(&self, a: &AgentState) -> Option<Trouble> {
        let s = &self.snap.state;
        let now = self.snap.now;
        if let Some(p) = self.pauses.get(&a.id) {
            let on = p
                .task
                .as_ref()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
            return Some(Trouble {
                tier: 3,
                seen: format!("{}{on} {}", p.id, age(now - p.raised_at)),
                next: "waits: approve or reject".into(),
                detail: p.reason.clone(),
            });
        }
        // Out of the pool: nothing waits on the operator (not T3), but it
        // is not healthy either.
        if a.phase == AgentPhase::Retired {
            return Some(Trouble {
                tier: 1,
                seen: "retired".into(),
                next: "out of the pool for good".into(),
                detail: self
                    .retired
                    .get(&a.id)
                    .map_or_else(String::new, |r| (*r).to_string()),
            });
        }
        if let Some(c) = self.concerns.get(&a.id) {
            // Escalated by triage: its recommendation, the one thing to weigh.
            let next = match s.triage.verdict(&c.id) {
                Some(d) if !d.recommendation.is_empty() => {
                    format!("waits on you · triage: {}", d.recommendation)
                }
                _ => "waits: ack, resolve or dismiss".into(),
            };
            return Some(Trouble {
                tier: 3,
                seen: format!("{} {}", c.id, c.impact.as_str()),
                next,
                detail: c.summary.clone(),
            });
        }
        None
    }

    /// Tier 2, triage's: a concern it weighs now, or one it resolved or acted on lately.
    fn in_triage(&self, a: &AgentState) -> Option<Trouble> {
        let now = self.snap.now;
        if let Some(c) = self.triaging.get(&a.id) {
            return Some(Trouble {
                tier: 2,
                seen: format!(
                    "{} {} in triage {}",
                    c.id,
                    c.impact.as_str(),
                    age(now - c.raised_at)
                ),
                next: "triage decides: resolve, act, or escalate to you".into(),
                detail: c.summary.clone(),
            });
        }
        if let Some(d) = self.decided.get(&a.id)
            && d.verdict != Verdict::Escalate
            && now - d.at <= ALERT_RECENT
        {
            let (word, next) = match &d.action {
                Some(a) => (
                    "acted",
                    format!("triage: {} · {}", a.describe(), d.reasons.join("; ")),
                ),
                None => ("resolved", format!("triage: {}", d.reasons.join("; "))),
            };
            return Some(Trouble {
                tier: 2,
                seen: format!("{} {word} {} ago", d.concern, age(now - d.at)),
                next,
                detail: String::new(),
            });
        }
        None
    }

    /// Tier 1, mechanical: a recent alert, held, or frozen.
    fn mechanical(&self, a: &AgentState) -> Option<Trouble> {
        let s = &self.snap.state;
        let now = self.snap.now;
        if let Some((check, at)) = a.last_alert
            && now - at <= ALERT_RECENT
        {
            let (task, detail) = self.alerts.get(&a.id).copied().unwrap_or((None, ""));
            return Some(Trouble {
                tier: 1,
                seen: format!("{} {} ago", check.as_str(), age(now - at)),
                next: after_alert(a, check, task, s),
                detail: detail.to_string(),
            });
        }
        if a.held {
            return Some(Trouble {
                tier: 1,
                seen: "held".into(),
                next: match &a.task {
                    Some(t) => format!("frozen on {t} until released"),
                    None => "gets no work until released".into(),
                },
                detail: String::new(),
            });
        }
        if !s.frozen
            && let Some(session) = &a.session
            && self.snap.frozen_sessions.contains(session)
        {
            return Some(Trouble {
                tier: 1,
                seen: "frozen".into(),
                next: match &a.task {
                    Some(t) => format!("{t} resumes when thawed"),
                    None => "resumes when thawed".into(),
                },
                detail: String::new(),
            });
        }
        None
    }
}

/// What became of the agent's task after the engine acted on an alert.
fn after_alert(
    a: &AgentState,
    check: Check,
    task: Option<&TaskId>,
    s: &crate::domain::SwarmState,
) -> String {
    let acted = match check {
        Check::OverTime => "stopped",
        Check::OverBudget => "stopped",
        _ => "restarted",
    };
    let Some(t) = task.and_then(|t| s.task(t)) else {
        return acted.into();
    };
    let id = t.id();
    let now_on = match &a.task {
        Some(cur) if cur != id => format!("; now on {cur}"),
        _ => String::new(),
    };
    let what = match t.status {
        TaskStatus::Pending => format!("{id} requeued, resumes from its branch"),
        TaskStatus::InProgress if t.agent.as_ref() == Some(&a.id) => format!("resumed on {id}"),
        TaskStatus::InProgress => match &t.agent {
            Some(other) => format!("{id} moved to {other}"),
            None => format!("{id} in progress"),
        },
        TaskStatus::Gating => format!("{id} at the gates"),
        TaskStatus::Queued => format!("{id} in the merge queue"),
        TaskStatus::Merged => format!("{id} merged since"),
        TaskStatus::Failed => format!("{id} failed for good"),
        TaskStatus::Blocked => format!("{id} blocked, work kept on its branch"),
    };
    format!("{acted}; {what}{now_on}")
}

/// The team an agent belongs to (1-based): by its number when its id ends
/// in one, else by its position.
fn team_of(id: &AgentId, position: usize) -> usize {
    id.as_str()
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map_or(position / SPAN + 1, |n| (n - 1) / SPAN + 1)
}

/// Where a healthy agent folds: a configured team (its index in the
/// team rows), the row of agents on no team, or a team of [`SPAN`] by number.
fn fold_key(snap: &Snapshot, configured: &[TeamFigures], id: &AgentId, pos: usize) -> usize {
    let name = snap
        .teams
        .iter()
        .find(|p| p.has(id))
        .map(|p| p.name.as_str())
        .or_else(|| snap.state.team_of(id).map(|t| t.name.as_str()));
    match name.and_then(|n| configured.iter().position(|f| f.team == n)) {
        Some(i) => i,
        // With teams configured, the agents of none share one row.
        None if !configured.is_empty() => configured.len(),
        None => team_of(id, pos),
    }
}

/// The rows in display order.
pub(super) fn rows<'a>(snap: &'a Snapshot, state: &PaneState) -> Vec<Row<'a>> {
    let facts = Facts::new(snap);
    let agents: Vec<(usize, &AgentState)> = snap
        .state
        .agents
        .values()
        .enumerate()
        .filter(|(_, a)| state.passes(a.id.as_str()))
        .collect();
    // Configured teams, started or waiting, group their members whatever
    // their number and keep their row; agents of no team fold after them.
    let configured = snap.state.team_rows(&snap.teams);
    let fold = (agents.len() > SPAN || !configured.is_empty()) && !state.unfolded;
    let mut groups: [Vec<Row>; 3] = Default::default(); // T3, T2, T1
    let mut healthy: Vec<Row> = Vec::new();
    let mut teams: Vec<Team> = Vec::new();
    if fold {
        teams.extend(configured.iter().enumerate().map(|(i, f)| Team {
            number: i,
            figures: Some(f.clone()),
            shown: state.filter.is_empty() || state.passes(&f.team),
            ..Team::default()
        }));
    }
    let mut team_at: HashMap<usize, usize> = (0..teams.len()).map(|i| (i, i)).collect();
    let mut n_healthy = 0;
    for (pos, a) in agents {
        let trouble = facts.trouble(a);
        let team = fold.then(|| {
            let n = fold_key(snap, &configured, &a.id, pos);
            let i = *team_at.entry(n).or_insert_with(|| {
                teams.push(Team {
                    number: n,
                    no_team: !configured.is_empty(),
                    ..Team::default()
                });
                teams.len() - 1
            });
            &mut teams[i]
        });
        match trouble {
            Some(tr) => {
                if let Some(team) = team {
                    team.above += 1;
                    team.shown = true;
                }
                groups[3 - tr.tier as usize].push(Row::Agent(a, Some(tr)));
            }
            None => {
                n_healthy += 1;
                match team {
                    Some(team) if a.is_busy() => team.working += 1,
                    Some(team) => team.idle += 1,
                    None => healthy.push(Row::Agent(a, None)),
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, g) in groups.into_iter().enumerate() {
        if !g.is_empty() {
            out.push(Row::Header {
                tier: 3 - i as u8,
                count: g.len(),
            });
            out.extend(g);
        }
    }
    // A configured team keeps its row with no healthy member: it says
    // what it waits for.
    teams.retain(|t| t.working + t.idle > 0 || (t.figures.is_some() && t.shown));
    if n_healthy > 0 || !teams.is_empty() {
        out.push(Row::Header {
            tier: 0,
            count: n_healthy,
        });
        out.extend(healthy);
        teams.sort_by_key(|t| t.number);
        out.extend(teams.into_iter().map(Row::Team));
    }
    out
}
