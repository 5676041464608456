//! Capability routing and model tiers, both off unless configured.
//!
//! Routing: among idle agents, the one whose record on the task's kind fits
//! best (first-try passes over finished tasks of that kind, smoothed, plus
//! a little for experience) takes the task; every `explore_every`-th
//! routed start goes instead to the idle agent with the fewest finished
//! tasks, so new agents get work. Ties go to the first agent by name: the
//! same log routes the same way.
//!
//! Tiers: a task runs on the model of the tier its kind asks for (its own
//! `tier` first); sent back `rework_up` times, it moves up a tier. Where a
//! task went, on which model and why is a `task_routed` event.

use super::{Attr, Engine, Step};
use crate::domain::*;
use std::collections::BTreeMap;

/// The tier words, cheapest first.
pub const TIERS: [&str; 3] = ["fast", "standard", "deep"];

/// Routing and tiers in engine terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutingSettings {
    /// Prefer the idle agent whose record fits the task's kind.
    pub by_cv: bool,
    /// Every Nth routed start explores (0: never).
    pub explore_every: u32,
    pub tiers: Option<TierSettings>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TierSettings {
    /// The model of each tier, in [`TIERS`] order.
    pub models: [String; 3],
    /// Kind → tier (an index into [`TIERS`]); kinds not listed take
    /// [`default_tier`].
    pub kinds: BTreeMap<String, usize>,
    /// Times sent back before a task moves up a tier (0: never).
    pub rework_up: u32,
}

/// Mechanical work on the fast tier, orchestration, review and migrations
/// on the deep one, the rest on the standard one.
pub fn default_tier(kind: &str) -> usize {
    match kind {
        "docs" | "tests" | "ops" => 0,
        "migration" | "orchestration" | "review" => 2,
        _ => 1,
    }
}

impl TierSettings {
    /// The tier a task of `kind` sent back `reworks` times runs on, and why.
    pub fn tier_for(&self, spec: &TaskSpec, kind: &str, reworks: u32) -> (usize, String) {
        let asked = spec
            .tier
            .as_deref()
            .and_then(|t| TIERS.iter().position(|x| *x == t));
        let (base, why) = match asked {
            Some(i) => (i, format!("the task asks for the {} tier", TIERS[i])),
            None => {
                let i = self
                    .kinds
                    .get(kind)
                    .copied()
                    .unwrap_or_else(|| default_tier(kind));
                (i, format!("{kind} runs on the {} tier", TIERS[i]))
            }
        };
        let steps = match self.rework_up {
            0 => 0,
            n => (reworks / n) as usize,
        };
        let tier = (base + steps).min(TIERS.len() - 1);
        if tier > base {
            let why = format!("{why}; sent back {reworks} times, up to {}", TIERS[tier]);
            return (tier, why);
        }
        (base, why)
    }
}

/// How well a record on a kind fits: first-try passes over finished tasks
/// (smoothed so one lucky task is not a record), plus a little for
/// experience.
fn fit(r: KindRecord) -> f64 {
    let share = (r.first_try as f64 + 1.0) / (r.finished() as f64 + 2.0);
    share + 0.02 * r.merged.min(10) as f64
}

impl Engine {
    fn routing_on(&self) -> bool {
        let r = &self.settings.routing;
        r.by_cv || r.tiers.is_some()
    }

    /// The idle agent that takes `task` (the first one when routing is
    /// off), and why it was chosen.
    pub(super) fn route_agent(
        &self,
        task: &TaskId,
        idle: &[AgentId],
    ) -> Option<(AgentId, Option<String>)> {
        let first = idle.first()?.clone();
        let r = &self.settings.routing;
        if !r.by_cv {
            return Some((first, None));
        }
        let fit_facts = &self.state.fit;
        let kind = kind_of(&self.state.tasks[task].spec);
        let started: u32 = self.state.agents.values().map(|a| a.sessions).sum();
        if r.explore_every > 0 && (started + 1).is_multiple_of(r.explore_every) {
            let newest = idle
                .iter()
                .min_by_key(|a| fit_facts.finished(a))
                .unwrap_or(&first);
            let done = fit_facts.finished(newest);
            return Some((
                newest.clone(),
                Some(format!("exploring: {newest} has finished {done} tasks")),
            ));
        }
        let mut best = (first.clone(), f64::MIN);
        for a in idle {
            let score = fit(fit_facts.record(a, kind));
            if score > best.1 {
                best = (a.clone(), score);
            }
        }
        let rec = fit_facts.record(&best.0, kind);
        let why = format!(
            "{} fits {kind} best: {} of {} finished first try",
            best.0,
            rec.first_try,
            rec.finished()
        );
        Some((best.0, Some(why)))
    }

    /// The model `agent` runs `task` on; with routing or tiers on, a
    /// `task_routed` event says which and why (`chosen`: why the agent).
    pub(super) fn route_model(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: &AgentId,
        chosen: Option<String>,
    ) -> String {
        let own = self.state.agents[agent].model.clone();
        if !self.routing_on() {
            return own;
        }
        let t = &self.state.tasks[task];
        let kind = kind_of(&t.spec).to_string();
        let reworks = self.state.fit.reworks(task);
        let (model, tier, why_model) = match &self.settings.routing.tiers {
            Some(tiers) => {
                let (i, why) = tiers.tier_for(&t.spec, &kind, reworks);
                let model = match tiers.models[i].as_str() {
                    "" => own.clone(),
                    m => m.to_string(),
                };
                let (model, why) = self.over_triage(task, agent, tiers, (model, why), i);
                (model, Some(TIERS[i].to_string()), why)
            }
            None => (own.clone(), None, format!("{agent}'s own model")),
        };
        let why = match chosen {
            Some(c) => format!("{c}; {why_model}"),
            None => why_model,
        };
        self.emit(
            out,
            Attr::engine().agent(agent).task(task).model(&model),
            EventKind::TaskRouted {
                task_kind: kind,
                model: model.clone(),
                tier,
                why,
            },
        );
        model
    }
}

impl Engine {
    /// The model triage moved `task` to, when it did (`bigger_model`) and
    /// `agent` is the one it reserved: that agent's own model.
    fn triage_model(&self, task: &TaskId, agent: &AgentId) -> Option<String> {
        let triage = &self.state.triage;
        let moved = triage
            .acted
            .get(task)
            .is_some_and(|a| a.contains("bigger_model"));
        (moved && triage.assign_to.get(task) == Some(agent))
            .then(|| self.state.agents[agent].model.clone())
    }

    /// Whether model `a` is bigger than `b`: by triage's model ladder, else
    /// by the tiers' order; `None` when neither holds both.
    fn bigger_than(&self, a: &str, b: &str, tiers: &TierSettings) -> Option<bool> {
        let rank = |list: &[String]| {
            let at = |m: &str| list.iter().position(|x| x == m);
            Some((at(a)?, at(b)?))
        };
        rank(&self.settings.triage.ladder)
            .or_else(|| rank(&tiers.models))
            .map(|(x, y)| x > y)
    }

    /// The tier's model and why, unless triage moved the task to a bigger
    /// model: the bigger of the two wins (triage's when they cannot be
    /// compared: it chose that model for this task).
    fn over_triage(
        &self,
        task: &TaskId,
        agent: &AgentId,
        tiers: &TierSettings,
        (model, why): (String, String),
        tier: usize,
    ) -> (String, String) {
        let Some(moved) = self.triage_model(task, agent).filter(|m| *m != model) else {
            return (model, why);
        };
        let word = TIERS[tier];
        match self.bigger_than(&model, &moved, tiers) {
            Some(true) => {
                let why = format!(
                    "{why}; the {word} tier's {model} is bigger than {moved}, the model triage moved it to"
                );
                (model, why)
            }
            _ => {
                let why = format!(
                    "{why}; triage moved it to a bigger model: {moved} over the {word} tier's {model}"
                );
                (moved, why)
            }
        }
    }
}
