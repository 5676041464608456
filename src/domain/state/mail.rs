//! Mail: messages from the operator to agents, between an agent and its
//! lead, and within a team. Each recipient's copy is one [`Mail`], kept in
//! send order; it is delivered into the recipient's next session (its
//! prompt and its mailbox file).

use super::*;

/// Longest mail text kept, in bytes (a longer one is cut).
pub const MAIL_TEXT_MAX: usize = 4 * 1024;

/// One recipient's copy of a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    /// 1, 2, … in send order, one per recipient.
    pub id: u64,
    pub at: Millis,
    /// The sending agent; `None`: the operator.
    pub from: Option<AgentId>,
    /// The receiving agent; `None`: the operator.
    pub to: Option<AgentId>,
    /// How the sender addressed it: an agent, a team, `lead`, `operator`.
    pub addressed: String,
    pub text: String,
    /// When it went into a session of its recipient (never, for the
    /// operator's mail: the console shows it).
    pub delivered: Option<Millis>,
}

impl Mail {
    /// The sender's name as a mailbox shows it.
    pub fn sender(&self) -> &str {
        self.from.as_ref().map_or("operator", |a| a.as_str())
    }

    /// The recipient's name as a mailbox shows it.
    pub fn recipient(&self) -> &str {
        self.to.as_ref().map_or("operator", |a| a.as_str())
    }
}

/// Mail refused (an unknown recipient, or agents of different teams the
/// config does not pair): kept so the sender's page says why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefusedMail {
    pub at: Millis,
    pub from: Option<AgentId>,
    pub addressed: String,
    pub reason: String,
}

/// Every message, in send order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mailroom {
    #[serde(with = "crate::domain::shared_vec")]
    pub mail: Vec<std::sync::Arc<Mail>>,
    #[serde(with = "crate::domain::shared_vec")]
    pub refused: Vec<std::sync::Arc<RefusedMail>>,
}

impl Mailroom {
    /// The id the next message's first copy gets.
    pub fn next_id(&self) -> u64 {
        self.mail.len() as u64 + 1
    }

    /// Mail to `agent` not yet delivered, oldest first.
    pub fn unread<'a>(&'a self, agent: &'a AgentId) -> impl Iterator<Item = &'a Mail> + 'a {
        self.mail
            .iter()
            .map(|m| &**m)
            .filter(move |m| m.to.as_ref() == Some(agent) && m.delivered.is_none())
    }

    /// Mail to or from `agent` (`None`: the operator), oldest first.
    pub fn of<'a>(&'a self, agent: Option<&'a AgentId>) -> impl Iterator<Item = &'a Mail> + 'a {
        self.mail
            .iter()
            .map(|m| &**m)
            .filter(move |m| m.to.as_ref() == agent || m.from.as_ref() == agent)
    }
}

impl SwarmState {
    pub(super) fn mail_sent(&mut self, ev: &Event) {
        let EventKind::MailSent {
            id,
            to,
            to_operator,
            addressed,
            text,
        } = &ev.kind
        else {
            return;
        };
        let recipients = to
            .iter()
            .map(|a| Some(a.clone()))
            .chain(to_operator.then_some(None));
        for (n, to) in recipients.enumerate() {
            if let Some(a) = &to
                && let Some(touched) = &mut self.touched
            {
                mark(&mut touched.agents, a);
            }
            self.mailroom.mail.push(std::sync::Arc::new(Mail {
                id: id + n as u64,
                at: ev.at,
                from: ev.agent.clone(),
                to,
                addressed: addressed.clone(),
                text: text.clone(),
                delivered: None,
            }));
        }
    }

    pub(super) fn mail_delivered(&mut self, ev: &Event) {
        let EventKind::MailDelivered { ids } = &ev.kind else {
            return;
        };
        for id in ids {
            // Ids are 1-based positions.
            let Some(m) = (*id as usize)
                .checked_sub(1)
                .and_then(|i| self.mailroom.mail.get_mut(i))
            else {
                continue;
            };
            if m.id == *id && m.delivered.is_none() {
                std::sync::Arc::make_mut(m).delivered = Some(ev.at);
            }
        }
    }

    pub(super) fn mail_refused(&mut self, ev: &Event) {
        let EventKind::MailRefused { addressed, reason } = &ev.kind else {
            return;
        };
        self.mailroom.refused.push(std::sync::Arc::new(RefusedMail {
            at: ev.at,
            from: ev.agent.clone(),
            addressed: addressed.clone(),
            reason: reason.clone(),
        }));
    }
}
