//! The review metrics of `docs/metrics.md`, computed from events in one pass
//! for several periods at once (the period under review and the ones before
//! it, for the trend). Each definition there is implemented here once.

use crate::domain::{
    AgentId, ConvoyId, Event, EventKind, MergeOutcome, Millis, Money, Routing, SessionId, TaskId,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// `[since, until)`, in ms since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub since: Millis,
    pub until: Millis,
}

impl Period {
    fn holds(&self, at: Millis) -> bool {
        self.since <= at && at < self.until
    }

    fn hours(&self) -> f64 {
        (self.until - self.since).max(1) as f64 / 3_600_000.0
    }
}

/// One period's figures. A `None` has no denominator (nothing to measure).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub merged: u64,
    pub failed: u64,
    pub landings: u64,
    pub first_try_success: Option<f64>,
    pub integration_without_rework: Option<f64>,
    pub escalation_rate: Option<f64>,
    pub coordination_ratio: Option<f64>,
    pub context_at_completion: Option<f64>,
    pub throughput_per_hour: Option<f64>,
    /// Milliseconds.
    pub cycle_time_p50: Option<f64>,
    pub cycle_time_p90: Option<f64>,
    pub rework_share: Option<f64>,
    pub agent_utilisation: Option<f64>,
    /// Milliseconds, over concerns for the human and pause points answered.
    pub time_to_clear_p50: Option<f64>,
    /// Concerns for the human and pause points raised in the period and
    /// still waiting at its end.
    pub still_waiting: u64,
    pub spend: Money,
    pub spend_by_convoy: BTreeMap<String, Money>,
    pub spend_by_agent: BTreeMap<String, Money>,
    pub spend_by_model: BTreeMap<String, Money>,
    /// Dollars.
    pub cost_per_merged_task: Option<f64>,
    /// Tasks judged in the period (calibrating the gates) and of them the
    /// ones judged bad.
    pub judged: u64,
    pub judged_bad: u64,
    pub false_pass_rate: Option<f64>,
    /// Judged tasks that a gate had sent back, and of them the ones judged good.
    pub judged_sent_back: u64,
    pub judged_sent_back_good: u64,
    pub false_reject_rate: Option<f64>,
}

/// The actor name shiftboss's own model calls are shown under.
pub const SHIFTBOSS: &str = "shiftboss";

#[derive(Default)]
struct TaskHistory {
    convoy: Option<ConvoyId>,
    first_assigned: Option<Millis>,
    first_gate_passed: Option<bool>,
    reworked: bool,
    first_human_concern: Option<Millis>,
    last_session: Option<SessionId>,
    /// A gate sent it back before it merged.
    sent_back: bool,
    merged: bool,
    /// Its `merge_judged` events: at, good.
    judgements: Vec<(Millis, bool)>,
}

struct SessionRun {
    started: Millis,
    ended: Option<Millis>,
    continues_handoff: bool,
    calls: u64,
    /// Context tokens of the last call and the model that served it.
    last_context: Option<(u64, String)>,
}

#[derive(Default)]
struct Tally {
    merged: Vec<TaskId>,
    finished: Vec<TaskId>,
    landings: u64,
    clean_landings: u64,
    tokens: u64,
    coordination: u64,
    contexts: Vec<f64>,
    cycles: Vec<f64>,
    spend: Money,
    by_convoy: BTreeMap<String, Money>,
    by_agent: BTreeMap<String, Money>,
    by_model: BTreeMap<String, Money>,
    first_try: u64,
    reworked: u64,
}

/// Folds events into figures for `periods`. `window` gives a model's context
/// window in tokens (the price table's `context`).
pub struct Review<'a> {
    periods: Vec<Period>,
    window: &'a dyn Fn(&str) -> Option<u64>,
    tasks: HashMap<TaskId, TaskHistory>,
    sessions: HashMap<SessionId, SessionRun>,
    /// Tasks whose next session continues a hand-off.
    handed_off: HashSet<TaskId>,
    /// Agents: registered at, retired at.
    agents: BTreeMap<AgentId, (Millis, Option<Millis>)>,
    /// Concerns for the human and pause points: raised at, answered at.
    waits: HashMap<String, (Millis, Option<Millis>)>,
    tallies: Vec<Tally>,
    /// Team leads (`team_started`): their tokens are coordination.
    leads: HashSet<AgentId>,
}

impl<'a> Review<'a> {
    pub fn new(periods: Vec<Period>, window: &'a dyn Fn(&str) -> Option<u64>) -> Self {
        let tallies = periods.iter().map(|_| Tally::default()).collect();
        Review {
            periods,
            window,
            tasks: HashMap::new(),
            sessions: HashMap::new(),
            handed_off: HashSet::new(),
            agents: BTreeMap::new(),
            waits: HashMap::new(),
            tallies,
            leads: HashSet::new(),
        }
    }

    fn tally_at(&mut self, at: Millis) -> Option<&mut Tally> {
        let i = self.periods.iter().position(|p| p.holds(at))?;
        Some(&mut self.tallies[i])
    }

    /// Take the next event of the log (in order).
    pub fn fold(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::AgentRegistered { .. } => {
                if let Some(a) = &ev.agent {
                    self.agents.entry(a.clone()).or_insert((ev.at, None)).1 = None;
                }
            }
            EventKind::AgentRetired { .. } => {
                if let Some(a) = &ev.agent
                    && let Some(entry) = self.agents.get_mut(a)
                {
                    entry.1 = Some(ev.at);
                }
            }
            EventKind::TaskAdded { spec } => {
                let t = self.tasks.entry(spec.id.clone()).or_default();
                t.convoy = Some(spec.convoy.clone());
            }
            EventKind::TaskAssigned { resume, .. } => self.assigned(ev, *resume),
            EventKind::TeamStarted {
                lead: Some(lead), ..
            } => {
                self.leads.insert(lead.clone());
            }
            EventKind::Handoff { .. } => {
                if let Some(t) = &ev.task {
                    self.handed_off.insert(t.clone());
                }
            }
            EventKind::SessionEnded { .. } => {
                if let Some(s) = ev.session.as_ref().and_then(|s| self.sessions.get_mut(s)) {
                    s.ended.get_or_insert(ev.at);
                }
            }
            EventKind::UsageRecorded { usage, cost } => self.usage(ev, usage, *cost),
            EventKind::GateFinished { passed, .. } => {
                if let Some(t) = ev
                    .task
                    .as_ref()
                    .map(|t| self.tasks.entry(t.clone()).or_default())
                {
                    t.first_gate_passed.get_or_insert(*passed);
                    t.sent_back |= !*passed && !t.merged;
                }
            }
            EventKind::MergeJudged { good } => {
                if let Some(t) = ev
                    .task
                    .as_ref()
                    .map(|t| self.tasks.entry(t.clone()).or_default())
                {
                    t.judgements.push((ev.at, *good));
                }
            }
            EventKind::TaskReworked { .. } | EventKind::TaskReimagined { .. } => {
                if let Some(t) = ev
                    .task
                    .as_ref()
                    .map(|t| self.tasks.entry(t.clone()).or_default())
                {
                    t.reworked = true;
                }
            }
            EventKind::MergeFinished { outcome } => self.merge(ev, outcome),
            EventKind::TaskFailed { .. } => {
                if let (Some(task), Some(tally)) = (ev.task.clone(), self.tally_at(ev.at)) {
                    tally.finished.push(task);
                }
            }
            EventKind::ConcernRaised { id, routing, .. } if *routing == Routing::Human => {
                self.waits.insert(id.as_str().to_string(), (ev.at, None));
                if let Some(t) = ev
                    .task
                    .as_ref()
                    .map(|t| self.tasks.entry(t.clone()).or_default())
                {
                    t.first_human_concern.get_or_insert(ev.at);
                }
            }
            // Escalated by T2 triage: the operator's from the verdict on.
            EventKind::TriageVerdict {
                concern,
                verdict: crate::domain::triage::Verdict::Escalate,
                ..
            } => {
                self.waits
                    .entry(concern.as_str().to_string())
                    .or_insert((ev.at, None));
                if let Some(t) = ev
                    .task
                    .as_ref()
                    .map(|t| self.tasks.entry(t.clone()).or_default())
                {
                    t.first_human_concern.get_or_insert(ev.at);
                }
            }
            EventKind::ConcernDisposed { id, .. } => self.answered(id.as_str(), ev.at),
            EventKind::PauseRequested { id, .. } => {
                self.waits.insert(id.as_str().to_string(), (ev.at, None));
            }
            EventKind::PauseDecided { id, .. } => self.answered(id.as_str(), ev.at),
            _ => {}
        }
    }

    fn assigned(&mut self, ev: &Event, resume: bool) {
        let (Some(session), Some(task)) = (&ev.session, &ev.task) else {
            return;
        };
        let continues_handoff = resume && self.handed_off.remove(task);
        self.tasks.entry(task.clone()).or_default();
        let t = self.tasks.get_mut(task).expect("inserted above");
        t.first_assigned.get_or_insert(ev.at);
        t.last_session = Some(session.clone());
        self.sessions.insert(
            session.clone(),
            SessionRun {
                started: ev.at,
                ended: None,
                continues_handoff,
                calls: 0,
                last_context: None,
            },
        );
    }

    fn usage(&mut self, ev: &Event, usage: &crate::domain::Usage, cost: Money) {
        let tokens = usage.total();
        let own = ev.actor != crate::domain::Actor::Agent;
        let lead = ev.agent.as_ref().is_some_and(|a| self.leads.contains(a));
        let mut first_of_handoff = false;
        if let Some(s) = ev.session.as_ref().and_then(|s| self.sessions.get_mut(s)) {
            first_of_handoff = s.continues_handoff && s.calls == 0;
            s.calls += 1;
            if let Some(m) = &ev.model {
                s.last_context = Some((usage.context_tokens(), m.clone()));
            }
        }
        let convoy = ev.convoy.clone().or_else(|| {
            ev.task
                .as_ref()
                .and_then(|t| self.tasks.get(t))
                .and_then(|t| t.convoy.clone())
        });
        let Some(tally) = self.tally_at(ev.at) else {
            return;
        };
        tally.tokens += tokens;
        if own || first_of_handoff || lead {
            tally.coordination += tokens;
        }
        tally.spend += cost;
        let agent = match (&ev.agent, own) {
            (Some(a), false) => a.as_str().to_string(),
            _ => SHIFTBOSS.to_string(),
        };
        *tally.by_agent.entry(agent).or_default() += cost;
        if let Some(c) = convoy {
            *tally.by_convoy.entry(c.as_str().to_string()).or_default() += cost;
        }
        if let Some(m) = &ev.model {
            *tally.by_model.entry(m.clone()).or_default() += cost;
        }
    }

    fn merge(&mut self, ev: &Event, outcome: &MergeOutcome) {
        let Some(task) = ev.task.clone() else {
            return;
        };
        let landing = !matches!(outcome, MergeOutcome::Unchanged { .. });
        let merged = matches!(outcome, MergeOutcome::Merged { .. });
        let history = self.tasks.entry(task.clone()).or_default();
        history.sent_back |= matches!(outcome, MergeOutcome::Rejected { .. }) && !history.merged;
        history.merged |= merged;
        let first_try = history.first_gate_passed == Some(true);
        let reworked = history.reworked;
        let cycle = history.first_assigned.map(|a| (ev.at - a) as f64);
        let context = history
            .last_session
            .as_ref()
            .and_then(|s| self.sessions.get(s))
            .and_then(|s| s.last_context.clone())
            .and_then(|(tokens, model)| {
                let w = (self.window)(&model)?;
                (w > 0).then(|| tokens as f64 / w as f64)
            });
        let Some(tally) = self.tally_at(ev.at) else {
            return;
        };
        if landing {
            tally.landings += 1;
        }
        if !merged {
            return;
        }
        tally.clean_landings += 1;
        tally.merged.push(task.clone());
        tally.finished.push(task);
        tally.first_try += u64::from(first_try);
        tally.reworked += u64::from(reworked);
        tally.cycles.extend(cycle);
        tally.contexts.extend(context);
    }

    fn answered(&mut self, id: &str, at: Millis) {
        if let Some(w) = self.waits.get_mut(id)
            && w.1.is_none()
        {
            w.1 = Some(at);
        }
    }

    /// The figures of each period, in the order given.
    pub fn finish(self) -> Vec<Figures> {
        let Review {
            periods,
            tasks,
            sessions,
            agents,
            waits,
            tallies,
            ..
        } = self;
        periods
            .iter()
            .zip(tallies)
            .map(|(p, t)| figures(p, t, &tasks, &sessions, &agents, &waits))
            .collect()
    }
}

fn share(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Nearest-rank percentile.
pub fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

fn figures(
    p: &Period,
    mut t: Tally,
    tasks: &HashMap<TaskId, TaskHistory>,
    sessions: &HashMap<SessionId, SessionRun>,
    agents: &BTreeMap<AgentId, (Millis, Option<Millis>)>,
    waits: &HashMap<String, (Millis, Option<Millis>)>,
) -> Figures {
    let merged = t.merged.len() as u64;
    t.finished.sort();
    t.finished.dedup();
    let escalated = t
        .finished
        .iter()
        .filter(|id| {
            tasks
                .get(*id)
                .and_then(|h| h.first_human_concern)
                .is_some_and(|at| at < p.until)
        })
        .count() as u64;
    let busy: Millis = sessions
        .values()
        .map(|s| {
            let end = s.ended.unwrap_or(p.until).min(p.until);
            (end - s.started.max(p.since)).max(0)
        })
        .sum();
    let pool = agents
        .values()
        .filter(|(reg, retired)| *reg < p.until && retired.is_none_or(|r| r >= p.since))
        .count() as i64;
    let length = (p.until - p.since).max(1);
    let judged = judged_in(p, tasks);
    let mut cleared: Vec<f64> = Vec::new();
    let mut still_waiting = 0;
    for (raised, answered) in waits.values() {
        if !p.holds(*raised) {
            continue;
        }
        match answered {
            Some(a) if *a < p.until => cleared.push((a - raised) as f64),
            _ => still_waiting += 1,
        }
    }
    Figures {
        merged,
        failed: t.finished.len() as u64 - merged,
        landings: t.landings,
        first_try_success: share(t.first_try, merged),
        integration_without_rework: share(t.clean_landings, t.landings),
        escalation_rate: share(escalated, t.finished.len() as u64),
        coordination_ratio: share(t.coordination, t.tokens),
        context_at_completion: percentile(&mut t.contexts, 0.5),
        throughput_per_hour: (pool > 0).then(|| merged as f64 / p.hours()),
        cycle_time_p50: percentile(&mut t.cycles, 0.5),
        cycle_time_p90: percentile(&mut t.cycles, 0.9),
        rework_share: share(t.reworked, merged),
        agent_utilisation: (pool > 0).then(|| busy as f64 / (length * pool) as f64),
        time_to_clear_p50: percentile(&mut cleared, 0.5),
        still_waiting,
        spend: t.spend,
        spend_by_convoy: t.by_convoy,
        spend_by_agent: t.by_agent,
        spend_by_model: t.by_model,
        cost_per_merged_task: (merged > 0).then(|| t.spend.dollars() / merged as f64),
        judged: judged.all,
        judged_bad: judged.bad,
        false_pass_rate: share(judged.bad, judged.all),
        judged_sent_back: judged.sent_back,
        judged_sent_back_good: judged.sent_back_good,
        false_reject_rate: share(judged.sent_back_good, judged.sent_back),
    }
}

#[derive(Default)]
struct Judged {
    all: u64,
    bad: u64,
    sent_back: u64,
    sent_back_good: u64,
}

/// Tasks whose judgement (their last `merge_judged` before `until`) falls
/// in the period (`docs/metrics.md`, calibrating the gates).
fn judged_in(p: &Period, tasks: &HashMap<TaskId, TaskHistory>) -> Judged {
    let mut j = Judged::default();
    for h in tasks.values() {
        let Some((at, good)) = h.judgements.iter().rev().find(|(at, _)| *at < p.until) else {
            continue;
        };
        if *at < p.since {
            continue;
        }
        j.all += 1;
        j.bad += u64::from(!good);
        if h.sent_back {
            j.sent_back += 1;
            j.sent_back_good += u64::from(*good);
        }
    }
    j
}
