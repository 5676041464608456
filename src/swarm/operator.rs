//! The simulated operator: a policy (`[sim.operator]`) that answers the
//! inbox on the virtual clock, so a simulated day is a closed loop. It
//! acts only through the operator's commands, the ones the console sends,
//! and as one person: one decision at a time, each taking
//! `decision_time`.
//!
//! What it decides:
//! - a pause point waiting for the operator (not the checkout's, which ends
//!   by itself): approved after `answer_after.pause`, or rejected when its
//!   reason matches a `reject_when` rule;
//! - a concern that is the human's (routed to the human when raised, or
//!   escalated by triage) of medium impact or more: resolved after its
//!   impact's `answer_after`, with every true duplicate on its inbox row,
//!   as the console's one key on a folded row does;
//! - nothing else: low-impact concerns stay in the log, triage's stay with
//!   triage until it escalates them.

use super::timeline::{Timeline, Wake};
use super::{Swarm, SwarmError};
use crate::config::SimOperator;
use crate::domain::{
    ConcernId, Event, EventKind, Millis, PauseId, PauseKind, PauseState, Routing, SwarmState,
    fold_concerns,
};
use crate::engine::{Clock, Command};
use std::collections::BTreeSet;

/// What the operator will look at when its turn comes.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Pause(PauseId),
    Concern(ConcernId),
}

/// The policy and what it has already planned to answer.
pub struct Operator {
    policy: SimOperator,
    planned_pauses: BTreeSet<PauseId>,
    planned_concerns: BTreeSet<ConcernId>,
    /// When decisions are booked: each takes `decision_time`, one at a time.
    booked: BTreeSet<Millis>,
    /// Decisions on the timeline, not yet taken.
    pending: usize,
}

/// Whether a step's events may have given the operator something new.
pub fn news(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::ConcernRaised { .. }
                | EventKind::PauseRequested { .. }
                | EventKind::TriageVerdict { .. }
        )
    })
}

impl Operator {
    pub fn new(policy: SimOperator) -> Operator {
        Operator {
            policy,
            planned_pauses: BTreeSet::new(),
            planned_concerns: BTreeSet::new(),
            booked: BTreeSet::new(),
            pending: 0,
        }
    }

    /// Put what is newly the operator's on the timeline: each at its
    /// answer time, or when the operator is next free.
    pub fn plan(&mut self, s: &SwarmState, now: Millis, timeline: &mut Timeline) {
        let mut due: Vec<(Millis, Decision)> = Vec::new();
        for p in s.waiting_pauses() {
            if p.kind != PauseKind::Checkout && self.planned_pauses.insert(p.id.clone()) {
                let after = self.policy.answer_after.pause.millis();
                due.push((p.raised_at.max(now) + after, Decision::Pause(p.id.clone())));
            }
        }
        for c in s.open_concerns() {
            if c.routing != Routing::Human || self.planned_concerns.contains(&c.id) {
                continue;
            }
            if let Some(after) = self.policy.concern_delay(c.impact) {
                self.planned_concerns.insert(c.id.clone());
                due.push((now + after, Decision::Concern(c.id.clone())));
            }
        }
        due.sort_by_key(|(at, _)| *at);
        // What ended before now cannot be in the way of what comes.
        let len = self.policy.decision_time.millis();
        self.booked = self.booked.split_off(&(now - len));
        for (at, d) in due {
            let at = self.book(at);
            self.pending += 1;
            timeline.push(at, Wake::Operator(d));
        }
    }

    /// The first time from `due` on when the operator is free for a whole
    /// decision, booked.
    fn book(&mut self, due: Millis) -> Millis {
        let len = self.policy.decision_time.millis().max(1);
        let mut at = due;
        while let Some(&b) = self.booked.range(at - len + 1..at + len).next() {
            at = b + len;
        }
        self.booked.insert(at);
        at
    }

    /// The commands a decision comes to now: none when it was answered
    /// meanwhile (by the operator on a folded row, or by a rule).
    pub fn commands(&self, s: &SwarmState, d: &Decision) -> Vec<Command> {
        match d {
            Decision::Pause(id) => match s.pause(id) {
                Some(p) if p.state == PauseState::Waiting => {
                    if self.policy.rejects(&p.reason) {
                        vec![Command::RejectPause(id.clone())]
                    } else {
                        vec![Command::ApprovePause(id.clone())]
                    }
                }
                _ => Vec::new(),
            },
            Decision::Concern(id) => fold_concerns(s.open_concerns())
                .into_iter()
                .find(|f| f.members.iter().any(|m| &m.id == id))
                .map(|f| {
                    let mut ids = vec![id.clone()];
                    ids.extend(f.members.iter().map(|m| m.id.clone()).filter(|m| m != id));
                    ids.into_iter().map(Command::ResolveConcern).collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl Swarm {
    /// Let the simulated operator answer the inbox from now on.
    pub fn set_operator(&mut self, policy: SimOperator) {
        let mut op = Operator::new(policy);
        op.plan(self.engine.state(), self.clock.now(), &mut self.timeline);
        self.operator = Some(op);
    }

    /// Whether the simulated operator still has a decision to take (a run
    /// that stops when idle waits for it).
    pub(super) fn operator_pending(&self) -> bool {
        self.operator.as_ref().is_some_and(|op| op.pending > 0)
    }

    /// After a step: what is newly the operator's goes on the timeline.
    pub(super) fn operator_plans(&mut self, events: &[Event]) {
        if let Some(op) = self.operator.as_mut()
            && news(events)
        {
            op.plan(self.engine.state(), self.clock.now(), &mut self.timeline);
        }
    }

    /// The operator's turn: the decision's commands, through the console's
    /// own path (checked, then fed to the engine).
    pub(super) fn operator_decides(&mut self, d: Decision) -> Result<(), SwarmError> {
        let Some(op) = self.operator.as_mut() else {
            return Ok(());
        };
        op.pending = op.pending.saturating_sub(1);
        let cmds = op.commands(self.engine.state(), &d);
        for cmd in cmds {
            if let Err(why) = self.command(cmd)? {
                tracing::debug!(%why, "the simulated operator's command was refused");
            }
        }
        Ok(())
    }
}
