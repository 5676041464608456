//! Mail: who may write to whom, and delivery into a recipient's next
//! session.
//!
//! The operator may write to any agent or team. An agent may write to its
//! lead (`lead`: its team's lead agent, or the operator when it has none),
//! to the operator, to its own team (a broadcast to the others in it), and
//! to an agent of its own team; mail between agents of different teams (or
//! of none) is refused unless `[mail] allow` lists the pair. Team
//! membership is a lookup ([`Roster`]), empty while no teams are
//! configured.

use super::{Attr, Engine, Step};
use crate::domain::*;

/// A team as mail sees it: its name, its lead agent (none: the operator
/// leads it) and its members.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MailTeam {
    pub name: String,
    pub lead: Option<AgentId>,
    pub members: Vec<AgentId>,
}

/// Who is in which team: the lookup mail uses (none configured: every
/// agent is in no team).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roster {
    pub teams: Vec<MailTeam>,
}

impl Roster {
    /// The team `agent` leads or belongs to.
    pub fn team_of(&self, agent: &AgentId) -> Option<&MailTeam> {
        self.teams
            .iter()
            .find(|t| t.lead.as_ref() == Some(agent) || t.members.contains(agent))
    }

    pub fn team(&self, name: &str) -> Option<&MailTeam> {
        self.teams.iter().find(|t| t.name == name)
    }
}

/// The `[mail]` section in engine terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MailSettings {
    /// Pairs of agents that may write to each other across teams (either
    /// way).
    pub allow: Vec<(AgentId, AgentId)>,
    pub roster: Roster,
}

impl MailSettings {
    fn allowed(&self, a: &AgentId, b: &AgentId) -> bool {
        self.allow
            .iter()
            .any(|(x, y)| (x == a && y == b) || (x == b && y == a))
    }
}

/// Who a message goes to: agents, and the operator.
#[derive(Debug, Default, PartialEq)]
pub struct Recipients {
    pub agents: Vec<AgentId>,
    pub operator: bool,
}

/// Where mail addressed as `to` goes, sent by `from` (`None`: the
/// operator), or why it may not.
pub fn resolve(
    s: &SwarmState,
    mail: &MailSettings,
    from: Option<&AgentId>,
    to: &str,
) -> Result<Recipients, String> {
    let to = to.trim();
    let agents = |v: Vec<AgentId>| Recipients {
        agents: v,
        operator: false,
    };
    let operator = Recipients {
        agents: Vec::new(),
        operator: true,
    };
    let Some(from) = from else {
        // The operator writes to any agent or team.
        if s.agents.contains_key(&AgentId::new(to)) {
            return Ok(agents(vec![AgentId::new(to)]));
        }
        return match mail.roster.team(to) {
            Some(t) => Ok(agents(team_members(t, None))),
            None => Err(format!("no agent or team named `{to}`")),
        };
    };
    let own = mail.roster.team_of(from);
    match to {
        "operator" => Ok(operator),
        "lead" => match own.and_then(|t| t.lead.clone()) {
            Some(lead) if lead != *from => Ok(agents(vec![lead])),
            _ => Ok(operator),
        },
        _ if to == from.as_str() => Err("mail to oneself is not sent".into()),
        _ if s.agents.contains_key(&AgentId::new(to)) => {
            let other = AgentId::new(to);
            let same_team = own.is_some_and(|t| mail.roster.team_of(&other) == Some(t));
            if same_team || mail.allowed(from, &other) {
                Ok(agents(vec![other]))
            } else {
                Err(format!(
                    "{from} and {other} are not in one team, and [mail] allow does not pair them"
                ))
            }
        }
        _ => match (mail.roster.team(to), own) {
            (Some(t), Some(mine)) if t == mine => Ok(Recipients {
                agents: team_members(t, Some(from)),
                operator: t.lead.is_none(),
            }),
            (Some(_), _) => Err(format!("{from} is not in team `{to}`")),
            (None, _) => Err(format!("no agent or team named `{to}`")),
        },
    }
}

/// A team's lead and members, without `but`.
fn team_members(t: &MailTeam, but: Option<&AgentId>) -> Vec<AgentId> {
    let mut v: Vec<AgentId> = t.lead.iter().chain(&t.members).cloned().collect();
    v.dedup();
    v.retain(|a| Some(a) != but);
    v
}

/// `text` cut to what a message keeps.
fn kept(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAIL_TEXT_MAX {
        return text.to_string();
    }
    let mut end = MAIL_TEXT_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} […]", &text[..end])
}

impl Engine {
    /// Send mail from `attr`'s agent (none: the operator) addressed as
    /// `to`: a `mail_sent`, or a `mail_refused` saying why not.
    pub(super) fn send_mail(&mut self, out: &mut Step, attr: Attr, to: &str, text: &str) {
        let from = attr.agent.clone();
        let text = kept(text);
        let resolved = match text.is_empty() {
            true => Err("mail needs a text".to_string()),
            false => resolve(&self.state, &self.settings.mail, from.as_ref(), to),
        };
        let kind = match resolved {
            Ok(r) if r.agents.is_empty() && !r.operator => EventKind::MailRefused {
                addressed: to.to_string(),
                reason: format!("nobody else is in `{to}`"),
            },
            Ok(r) => EventKind::MailSent {
                id: self.state.mailroom.next_id(),
                to: r.agents,
                to_operator: r.operator,
                addressed: to.to_string(),
                text,
            },
            Err(reason) => EventKind::MailRefused {
                addressed: to.to_string(),
                reason,
            },
        };
        self.emit(out, attr, kind);
    }

    /// The agent's mail not yet delivered, for `session`'s prompt. It is
    /// delivered (`mail_delivered`) only once the session has really
    /// started ([`Engine::mail_reached`]); a start that fails leaves it
    /// for the next session.
    pub(super) fn mail_for(&mut self, agent: &AgentId, session: &SessionId) -> Vec<Mail> {
        let mail: Vec<Mail> = self.state.mailroom.unread(agent).cloned().collect();
        if !mail.is_empty() {
            let ids = mail.iter().map(|m| m.id).collect();
            self.live.mail_pending.insert(session.clone(), ids);
        }
        mail
    }

    /// `session` has started (its process spawned, or the simulator took
    /// it): the mail its prompt carried is delivered.
    pub(super) fn mail_reached(&mut self, out: &mut Step, session: &SessionId) {
        let Some(ids) = self.live.mail_pending.remove(session) else {
            return;
        };
        let Some((agent, task, _)) = self.live.sessions.get(session).cloned() else {
            return;
        };
        self.emit(
            out,
            Attr::engine().agent(&agent).task(&task).session(session),
            EventKind::MailDelivered { ids },
        );
    }
}
