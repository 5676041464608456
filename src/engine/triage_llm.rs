//! T2 triage's model: asked about a concern no known pattern settles, as an
//! effect the executor performs (the engine does no I/O); its answer comes
//! back as an input. A verdict is acted on like a heuristic one; an answer
//! that is not one (malformed, an error, no answer in time) is refused
//! with a `triage_refused` event and the heuristics decide. What each call
//! cost is shiftboss's own spend, metered; no call is made once the day's
//! budget is spent, and none when nothing waits for triage.

use super::{Attr, Effect, Engine, Step};
use crate::domain::triage::{ModelVerdict, Verdict};
use crate::domain::{Actor, Concern, ConcernId, EventKind, ModelSpend, Money};
use crate::watchdog::llm;
use crate::watchdog::triage::{Judgement, TriagePolicy, concrete};

impl Engine {
    /// Whether the concern waits for triage's model: asked now, or asked
    /// and not answered while `triage_after` has not passed.
    pub(super) fn wait_for_model(
        &mut self,
        out: &mut Step,
        c: &Concern,
        policy: &TriagePolicy,
    ) -> bool {
        let Some(cfg) = &policy.llm else {
            return false;
        };
        if let Some(answered) = self.live.triage_asked.get(&c.id) {
            return !answered && self.now < c.raised_at + self.settings.watchdog.triage_after;
        }
        let day = self.settings.budget_day;
        if day > Money::ZERO && self.state.spend_day >= day {
            return false;
        }
        let session = c
            .task
            .as_ref()
            .and_then(|t| self.state.task(t))
            .and_then(|t| t.session.clone())
            .or_else(|| {
                c.agent
                    .as_ref()
                    .and_then(|a| self.state.agent(a))
                    .and_then(|a| a.session.clone())
            });
        self.live.triage_asked.insert(c.id.clone(), false);
        out.effects.push(Effect::AskTriage {
            concern: c.id.clone(),
            session,
            context: llm::context(&self.state, c, self.now),
            llm: cfg.clone(),
        });
        true
    }

    pub(super) fn on_triage_answer(
        &mut self,
        out: &mut Step,
        concern: ConcernId,
        answer: Result<ModelVerdict, String>,
        spent: Option<ModelSpend>,
    ) {
        self.live.triage_asked.insert(concern.clone(), true);
        let c = self.state.concern(&concern).cloned();
        if let Some(s) = spent {
            let task = c.as_ref().and_then(|c| c.task.clone());
            self.own_usage(out, task, s, "triage's model");
        }
        // Settled meanwhile (its time passed, the operator answered it).
        let Some(c) = c.filter(|c| self.state.triage.waiting.contains(&c.id)) else {
            return;
        };
        match answer {
            Err(why) => {
                let mut attr = Attr::by(Actor::Shiftboss);
                attr.agent = c.agent.clone();
                attr.task = c.task.clone();
                self.emit(out, attr, EventKind::TriageRefused { concern, why });
            }
            Ok(v) => {
                let policy = self.triage_policy();
                let j = self.model_judgement(&c, v, &policy);
                self.settle(out, c, j);
            }
        }
    }

    /// The model's verdict made concrete; an action that cannot be done (or
    /// acting is off) is escalated with the model's reasons and why not.
    fn model_judgement(&self, c: &Concern, v: ModelVerdict, policy: &TriagePolicy) -> Judgement {
        let model = policy.llm.as_ref().map_or("", |m| m.model.as_str());
        let mut reasons = v.reasons;
        reasons.push(format!("by {model}"));
        let name = match (v.verdict, v.action) {
            (Verdict::Act, Some(name)) => name,
            (verdict, _) => {
                return Judgement {
                    verdict,
                    action: None,
                    recommendation: v.recommendation,
                    reasons,
                };
            }
        };
        let done = match (&c.task, policy.act) {
            (_, false) => Err("acting is off".to_string()),
            (None, _) => Err("the concern has no task".to_string()),
            (Some(task), true) => concrete(&self.state, task, &name, policy, &|a, t| {
                self.may_take_id(a, t)
            }),
        };
        match done {
            Ok(action) => Judgement {
                verdict: Verdict::Act,
                recommendation: action.describe(),
                action: Some(action),
                reasons,
            },
            Err(why) => {
                reasons.push(format!("{name} not done: {why}"));
                let recommendation = match v.recommendation.is_empty() {
                    true => format!("the model suggests {name}"),
                    false => v.recommendation,
                };
                Judgement {
                    verdict: Verdict::Escalate,
                    action: None,
                    recommendation,
                    reasons,
                }
            }
        }
    }
}
