//! An agent's mailbox on its page: mail to it (waiting for its next
//! session, or delivered), mail it sent, and mail refused, newest first.

use super::{PageCtx, Section};
use crate::domain::{AgentId, Mail};
use crate::tui::action::Action;
use crate::tui::format::clock_hm;
use ratatui::text::{Line, Span};

/// Messages shown on a page, newest first.
const SHOWN: usize = 12;

pub fn section(ctx: &PageCtx, id: &AgentId) -> Section {
    let t = ctx.theme;
    let room = &ctx.snap.state.mailroom;
    let unread = room.unread(id).count();
    let title = match unread {
        0 => "mail".to_string(),
        n => format!("mail · {n} unread"),
    };
    let mut s = Section::new(title);
    let mine: Vec<&Mail> = room.of(Some(id)).collect();
    let refused: Vec<_> = room
        .refused
        .iter()
        .filter(|r| r.from.as_ref() == Some(id))
        .collect();
    if mine.is_empty() && refused.is_empty() {
        s.line(Line::styled(
            format!("no mail · {} writes to {id}", ctx.key(Action::Mail)),
            t.dim(),
        ));
        return s;
    }
    for m in mine.iter().rev().take(SHOWN) {
        let incoming = m.to.as_ref() == Some(id);
        let (arrow, who) = if incoming {
            ("←", m.sender())
        } else {
            ("→", m.addressed.as_str())
        };
        let state = match (incoming, m.delivered) {
            (true, None) => Span::styled(" unread ", t.pause()),
            (true, Some(_)) => Span::styled(" read   ", t.dim()),
            (false, _) => Span::styled(" sent   ", t.dim()),
        };
        s.line(Line::from(vec![
            Span::styled(format!("{} ", clock_hm(m.at)), t.dim()),
            Span::styled(format!("{arrow} {who:<12}"), t.text()),
            state,
            Span::styled(m.text.clone(), t.text()),
        ]));
    }
    for r in refused.iter().rev().take(SHOWN) {
        s.line(Line::from(vec![
            Span::styled(format!("{} ", clock_hm(r.at)), t.dim()),
            Span::styled(format!("→ {:<12}", r.addressed), t.text()),
            Span::styled(" refused ", t.error()),
            Span::styled(r.reason.clone(), t.dim()),
        ]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Day, page_text};
    use crate::domain::{AgentId, EventKind};
    use crate::tui::panes::Target;

    #[test]
    fn the_agent_page_shows_its_mailbox_with_unread_counts() {
        let mut d = Day::standard();
        let mail = |to: &[&str], addressed: &str, text: &str| EventKind::MailSent {
            id: 0,
            to: to.iter().map(|a| AgentId::from(*a)).collect(),
            to_operator: false,
            addressed: addressed.into(),
            text: text.into(),
        };
        let page = || Target::Agent("builder-01".into());
        let out = page_text(&d.snap, &page(), 160, 48);
        assert!(out.contains("▌ mail"), "{out}");
        assert!(out.contains("no mail · m writes to builder-01"), "{out}");
        // From the operator (no agent on the event), and from builder-02.
        let mut first = mail(&["builder-01"], "builder-01", "read docs/sessions.md first");
        if let EventKind::MailSent { id, .. } = &mut first {
            *id = d.snap.state.mailroom.next_id();
        }
        d.ev(100, None, None, first);
        let id = d.snap.state.mailroom.next_id();
        let mut second = mail(&["builder-01"], "builder-01", "I renamed Session::id");
        if let EventKind::MailSent { id: i, .. } = &mut second {
            *i = id;
        }
        d.ev(110, Some("builder-02"), None, second);
        d.ev(
            120,
            Some("builder-01"),
            None,
            EventKind::MailRefused {
                addressed: "builder-09".into(),
                reason: "builder-01 and builder-09 are not in one team".into(),
            },
        );
        let out = page_text(&d.snap, &page(), 160, 48);
        assert!(out.contains("▌ mail · 2 unread"), "{out}");
        assert!(
            out.contains("← operator     unread read docs/sessions.md first"),
            "{out}"
        );
        assert!(
            out.contains("← builder-02   unread I renamed Session::id"),
            "{out}"
        );
        assert!(out.contains("→ builder-09   refused"), "{out}");
        // Delivered into its next session: read.
        d.ev(
            130,
            Some("builder-01"),
            None,
            EventKind::MailDelivered { ids: vec![1] },
        );
        let out = page_text(&d.snap, &page(), 160, 48);
        assert!(out.contains("▌ mail · 1 unread"), "{out}");
        assert!(out.contains("read   read docs/sessions.md first"), "{out}");
        // Builder-02 sees what it sent.
        let out = page_text(&d.snap, &Target::Agent("builder-02".into()), 160, 48);
        assert!(
            out.contains("→ builder-01   sent   I renamed Session::id"),
            "{out}"
        );
    }
}
