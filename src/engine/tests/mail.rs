//! Mail on the virtual clock: sent, refused, delivered into the recipient's
//! next session, and folded back from the log.

use super::*;

fn mail_of(step: &Step) -> Vec<Mail> {
    step.effects
        .iter()
        .find_map(|e| match e {
            Effect::Start { mail, .. } => Some(mail.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn refused(step: &Step) -> Option<String> {
    step.events.iter().find_map(|e| match &e.kind {
        EventKind::MailRefused { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

fn sent(step: &Step) -> Option<(Vec<AgentId>, bool)> {
    step.events.iter().find_map(|e| match &e.kind {
        EventKind::MailSent {
            to, to_operator, ..
        } => Some((to.clone(), *to_operator)),
        _ => None,
    })
}

/// The log folded from scratch holds the engine's mail.
fn assert_replays(h: &Harness) {
    let mut s = SwarmState::default();
    for e in &h.log {
        s.apply(e);
    }
    assert_eq!(s.mailroom, h.e.state().mailroom);
}

#[test]
fn operator_mail_reaches_the_agents_next_session_once() {
    let (mut h, first) = Harness::new(
        settings(1),
        &[task("t1", "a", 1, &[]), task("t2", "a", 1, &["t1"])],
    );
    assert_eq!(starts(&first), ["t1"]);
    let b1 = AgentId::builder(1);
    let step = h.at(
        MINUTE,
        Input::Operator(Command::SendMail {
            to: "builder-01".into(),
            text: "t2 touches the session store: read docs/sessions.md first".into(),
        }),
    );
    assert_eq!(sent(&step), Some((vec![b1.clone()], false)));
    let ev = &step.events[0];
    assert_eq!((ev.actor, ev.agent.as_ref()), (Actor::Operator, None));
    assert_eq!(h.e.state().mailroom.unread(&b1).count(), 1);
    // The running session does not get it; the next one does.
    let step = h.finish("t1");
    assert_eq!(starts(&step), ["t2"]);
    let mail = mail_of(&step);
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].sender(), "operator");
    assert!(mail[0].text.contains("docs/sessions.md"));
    // Handed to the session, not delivered until its process is there.
    assert!(delivered(&step).is_none());
    assert_eq!(h.e.state().mailroom.unread(&b1).count(), 1);
    let session = h.session_of("t2");
    let step = h.at(
        SECOND,
        Input::Spawned {
            session: session.clone(),
            pid: 4242,
            start_time: 1,
        },
    );
    let delivered = delivered(&step).expect("delivered");
    assert_eq!(delivered.agent.as_ref(), Some(&b1));
    assert_eq!(delivered.task, Some(TaskId::new("t2")));
    assert_eq!(delivered.session, Some(session));
    assert_eq!(h.e.state().mailroom.unread(&b1).count(), 0);
    assert_eq!(h.e.state().mailroom.mail[0].delivered, Some(h.now));
    assert_replays(&h);
}

fn delivered(step: &Step) -> Option<&Event> {
    step.events
        .iter()
        .find(|e| matches!(e.kind, EventKind::MailDelivered { .. }))
}

/// The next `Start` effect of `step`, ticking until one comes.
fn next_start(h: &mut Harness, mut step: Step) -> (SessionId, Vec<Mail>) {
    for _ in 0..60 {
        if let Some(found) = step.effects.iter().find_map(|e| match e {
            Effect::Start { session, mail, .. } => Some((session.clone(), mail.clone())),
            _ => None,
        }) {
            return found;
        }
        step = h.at(MINUTE, Input::Tick);
    }
    panic!("no session started within an hour");
}

#[test]
fn mail_of_a_session_that_failed_to_start_goes_into_the_next_session() {
    let (mut h, _) = Harness::new(
        settings(1),
        &[task("t1", "a", 1, &[]), task("t2", "a", 1, &["t1"])],
    );
    let b1 = AgentId::builder(1);
    h.at(
        MINUTE,
        Input::Operator(Command::SendMail {
            to: "builder-01".into(),
            text: "the schema moved to v2".into(),
        }),
    );
    let step = h.finish("t1");
    let (first, mail) = next_start(&mut h, step);
    assert_eq!(mail.len(), 1);
    // Its worktree could not be made: the session never ran.
    let step = h.at(
        SECOND,
        Input::StartFailed {
            session: first.clone(),
            error: "worktree: disk quota".into(),
        },
    );
    assert!(delivered(&step).is_none());
    assert_eq!(h.e.state().mailroom.unread(&b1).count(), 1);
    let (second, mail) = next_start(&mut h, step);
    assert_ne!(second, first);
    assert_eq!(mail.len(), 1, "the mail goes into the next session");
    assert!(mail[0].text.contains("schema moved"));
    // A simulated session has started once the simulator took it.
    let step = h.at(
        SECOND,
        Input::Started {
            session: second.clone(),
        },
    );
    let ev = delivered(&step).expect("delivered into the next session");
    assert_eq!(ev.session, Some(second));
    assert_eq!(h.e.state().mailroom.unread(&b1).count(), 0);
    // Delivered once: a late start report of the failed session adds nothing.
    let step = h.at(SECOND, Input::Started { session: first });
    assert!(delivered(&step).is_none());
    assert_replays(&h);
}

#[test]
fn mail_between_agents_of_no_common_team_is_refused_unless_allowed() {
    let backlog = [task("t1", "a", 1, &[]), task("t2", "b", 1, &[])];
    let (mut h, _) = Harness::new(settings(2), &backlog);
    let step = h.line(MINUTE, "t1", "::mail to=builder-02::I renamed Session::id");
    let why = refused(&step).expect("refused");
    assert!(why.contains("[mail] allow"), "{why}");
    assert!(sent(&step).is_none());
    assert!(h.e.state().mailroom.mail.is_empty());
    assert_eq!(h.e.state().mailroom.refused.len(), 1);
    assert_replays(&h);

    let mut s = settings(2);
    s.mail.allow = vec![(AgentId::builder(2), AgentId::builder(1))];
    let (mut h, _) = Harness::new(s, &backlog);
    let step = h.line(MINUTE, "t1", "::mail to=builder-02::I renamed Session::id");
    assert_eq!(sent(&step), Some((vec![AgentId::builder(2)], false)));
    let ev = &step.events[0];
    assert_eq!(ev.actor, Actor::Agent);
    assert_eq!(ev.agent, Some(AgentId::builder(1)));
    assert_replays(&h);
}

#[test]
fn an_agent_without_a_team_writes_to_the_operator_as_its_lead() {
    let (mut h, _) = Harness::new(settings(2), &[task("t1", "a", 1, &[])]);
    let step = h.line(
        MINUTE,
        "t1",
        "::mail to=lead::the spec contradicts docs/api.md",
    );
    assert_eq!(sent(&step), Some((vec![], true)));
    let m = &h.e.state().mailroom.mail[0];
    assert_eq!((m.sender(), m.recipient()), ("builder-01", "operator"));
    for (line, says) in [
        ("::mail to=nobody::hello", "no agent or team named `nobody`"),
        ("::mail to=builder-01::note to self", "oneself"),
    ] {
        let step = h.line(SECOND, "t1", line);
        let why = refused(&step).expect("refused");
        assert!(why.contains(says), "{why}");
    }
    // A malformed mail line is a protocol concern, not mail.
    let step = h.line(SECOND, "t1", "::mail::to whom?");
    assert!(
        kinds(&step).contains(&"concern_raised"),
        "{:?}",
        kinds(&step)
    );
    assert_eq!(h.e.state().mailroom.mail.len(), 1);
}

#[test]
fn within_a_team_agents_write_to_each_other_their_lead_and_the_team() {
    let mut s = settings(4);
    s.mail.roster.teams = vec![MailTeam {
        name: "core".into(),
        lead: Some(AgentId::builder(1)),
        members: vec![AgentId::builder(2), AgentId::builder(3)],
    }];
    let backlog: Vec<TaskSpec> = (1..=4)
        .map(|n| task(&format!("t{n}"), "a", 1, &[]))
        .collect();
    let (mut h, _) = Harness::new(s, &backlog);
    let by = |h: &Harness, t: &str| h.e.state().tasks[&TaskId::new(t)].agent.clone().unwrap();
    let (a1, a2, a3, a4) = (by(&h, "t1"), by(&h, "t2"), by(&h, "t3"), by(&h, "t4"));
    assert_eq!(a2, AgentId::builder(2));
    let step = h.line(MINUTE, "t2", "::mail to=lead::blocked on the schema");
    assert_eq!(sent(&step), Some((vec![a1.clone()], false)));
    let step = h.line(SECOND, "t2", "::mail to=core::schema v2 is on my branch");
    assert_eq!(sent(&step), Some((vec![a1.clone(), a3.clone()], false)));
    let step = h.line(SECOND, "t2", "::mail to=builder-03::take the migration");
    assert_eq!(sent(&step), Some((vec![a3], false)));
    // builder-04 is in no team: neither the team nor its members.
    let step = h.line(SECOND, "t4", "::mail to=builder-02::hi");
    assert!(refused(&step).is_some());
    let step = h.line(SECOND, "t4", "::mail to=core::hi");
    assert!(refused(&step).unwrap().contains("not in team"));
    // The operator writes to the whole team.
    let step = h.at(
        SECOND,
        Input::Operator(Command::SendMail {
            to: "core".into(),
            text: "stop at noon".into(),
        }),
    );
    let (to, _) = sent(&step).unwrap();
    assert_eq!(
        to,
        [
            AgentId::builder(1),
            AgentId::builder(2),
            AgentId::builder(3)
        ]
    );
    assert_eq!(h.e.state().mailroom.unread(&a4).count(), 0);
    assert_replays(&h);
}
