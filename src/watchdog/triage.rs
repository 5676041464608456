//! T2 triage's heuristics, pure over the state: for a concern routed to
//! triage, a verdict now, or none yet (wait and see). In order:
//! 1. the same check fired three times in a row on its task → act: move it
//!    to an idle agent of a bigger model (the next rung of the ladder that
//!    has one), else to another idle agent; escalate when both were tried
//!    or no agent is free;
//! 2. a budget stopped a task at 90 % progress or more → act: raise its
//!    budget within the policy's limit and what is left of the day's;
//!    escalate when it was raised once already or there is no room;
//! 3. the gate rejected exactly the same thing twice or more → act: restart
//!    it fresh, once; then escalate: the spec or the gate may be wrong;
//! 4. a watchdog concern whose task worked again after it (progress, a
//!    commit, usage) with no alert since → resolve: restarted and working;
//! 5. still open `triage_after` after it was raised → escalate: no clear
//!    cause, the operator decides.
//!
//! A concern whose task triage acted on since it was raised is resolved
//! first: the action answers it too. An escalation carries the action the
//! operator may accept with one key, when one can be done now (done before
//! or not).

use crate::domain::triage::{Action, TaskTrouble, Verdict};
use crate::domain::{
    AgentId, AgentPhase, Concern, ConcernSource, Millis, Money, SwarmState, TaskId, TaskStatus,
};

/// What triage may do on its own, from `[triage]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TriagePolicy {
    /// Act verdicts on (off: what it would do is escalated as a recommendation).
    pub act: bool,
    /// Models from smallest to biggest: "a bigger model" is a later rung.
    pub ladder: Vec<String>,
    /// A raise is at most this share of the task budget ...
    pub raise_share: f64,
    /// ... and at most this much (zero: no limit beside the share).
    pub raise_max: Money,
    /// The task budget and the day's (zero: none).
    pub budget_task: Money,
    pub budget_day: Money,
    /// The model asked for a verdict when no known pattern gives one.
    pub llm: Option<crate::merge::ai::AiSettings>,
}

impl Default for TriagePolicy {
    fn default() -> Self {
        TriagePolicy {
            act: true,
            ladder: Vec::new(),
            raise_share: 0.5,
            raise_max: Money::ZERO,
            budget_task: Money::ZERO,
            budget_day: Money::ZERO,
            llm: None,
        }
    }
}

/// Whether an agent may take a task by the engine's rules (teams: a lead
/// its epics, coders its tasks, agents of no team no team's convoys):
/// triage moves a task only to an agent that may take it.
pub type MayTake<'a> = &'a dyn Fn(&AgentId, &TaskId) -> bool;

/// Anyone may take anything (no teams).
pub fn anyone(_: &AgentId, _: &TaskId) -> bool {
    true
}

/// A verdict, its action (for `act`), its recommendation and its reasons.
pub struct Judgement {
    pub verdict: Verdict,
    pub action: Option<Action>,
    pub recommendation: String,
    pub reasons: Vec<String>,
}

fn escalate(recommendation: String, reasons: Vec<String>) -> Option<Judgement> {
    propose(recommendation, reasons, None)
}

/// Escalated with an action the operator can accept with one key.
fn propose(
    recommendation: String,
    reasons: Vec<String>,
    action: Option<Action>,
) -> Option<Judgement> {
    Some(Judgement {
        verdict: Verdict::Escalate,
        action,
        recommendation,
        reasons,
    })
}

fn act(action: Action, reasons: Vec<String>) -> Option<Judgement> {
    Some(Judgement {
        verdict: Verdict::Act,
        recommendation: action.describe(),
        action: Some(action),
        reasons,
    })
}

fn minutes(ms: Millis) -> String {
    format!("{}m", ms / 60_000)
}

/// A task's budget: the one triage raised it to, or the configured one.
pub fn task_budget(state: &SwarmState, task: &TaskId, configured: Money) -> Money {
    state
        .triage
        .budgets
        .get(task)
        .copied()
        .unwrap_or(configured)
}

pub fn judge(
    state: &SwarmState,
    c: &Concern,
    now: Millis,
    triage_after: Millis,
    policy: &TriagePolicy,
    may: MayTake,
) -> Option<Judgement> {
    judge_pattern(state, c, policy, may).or_else(|| judge_time(c, now, triage_after))
}

/// A verdict from a known pattern (or an action since), if one fits.
pub fn judge_pattern(
    state: &SwarmState,
    c: &Concern,
    policy: &TriagePolicy,
    may: MayTake,
) -> Option<Judgement> {
    if let Some(task) = &c.task
        && let Some((at, what)) = state.triage.last_act.get(task)
        && *at >= c.raised_at
    {
        return Some(Judgement {
            verdict: Verdict::Resolve,
            action: None,
            recommendation: String::new(),
            reasons: vec![format!(
                "triage acted on {task} since it was raised ({what})"
            )],
        });
    }
    let trouble = c.task.as_ref().and_then(|t| state.triage.tasks.get(t));
    let (Some(t), Some(id)) = (trouble, &c.task) else {
        return None;
    };
    by_pattern(state, c, id, t, policy, may)
}

/// No known pattern: the operator's once `triage_after` passed.
pub fn judge_time(c: &Concern, now: Millis, triage_after: Millis) -> Option<Judgement> {
    if now >= c.raised_at + triage_after {
        return escalate(
            "no clear cause: look at the task and decide".into(),
            vec![format!("no known pattern in {}", minutes(triage_after))],
        );
    }
    None
}

/// The known patterns, first match wins.
fn by_pattern(
    state: &SwarmState,
    c: &Concern,
    task: &TaskId,
    t: &TaskTrouble,
    policy: &TriagePolicy,
    may: MayTake,
) -> Option<Judgement> {
    let done = |word: &str| {
        state
            .triage
            .acted
            .get(task)
            .is_some_and(|a| a.contains(word))
    };
    let status = state.task(task).map(|t| t.status);
    let movable = policy.act
        && matches!(
            status,
            Some(
                TaskStatus::Pending
                    | TaskStatus::InProgress
                    | TaskStatus::Failed
                    | TaskStatus::Blocked
            )
        );
    if let Some((check, n)) = t.alerts_in_row
        && n >= 3
    {
        let why = vec![format!("{} {} times in a row on {task}", check.as_str(), n)];
        if movable {
            if !done("bigger_model")
                && let Some((to, model)) = bigger_model(state, task, &policy.ladder, may)
            {
                return act(Action::BiggerModel { to, model }, why);
            }
            if !done("reassign")
                && let Some(to) = other_agent(state, task, may)
            {
                return act(Action::Reassign { to }, why);
            }
        }
        let offer = concrete_now(state, task, "bigger_model", policy, may)
            .or_else(|_| concrete_now(state, task, "reassign", policy, may))
            .ok();
        return propose(
            format!("respecify {task}, or give it to another agent or a bigger model"),
            why,
            offer,
        );
    }
    if c.source == ConcernSource::Budget && t.progress >= 90 {
        let why = vec![format!(
            "a budget stopped {task} at {} % progress",
            t.progress
        )];
        if policy.act
            && status == Some(TaskStatus::Blocked)
            && !done("raise_budget")
            && let Some(limit) = raised_budget(state, task, policy)
        {
            return act(Action::RaiseBudget { limit }, why);
        }
        return propose(
            format!("raise {task}'s budget: it stopped at {} %", t.progress),
            why,
            concrete_now(state, task, "raise_budget", policy, may).ok(),
        );
    }
    if let Some((what, n)) = &t.same_rejection
        && *n >= 2
    {
        let why = vec![format!("rejected {n} times in a row for: {what}")];
        if movable && !done("restart_fresh") {
            return act(Action::RestartFresh, why);
        }
        return propose(
            format!("check {task}'s spec against the gate: the same rejection came back {n} times"),
            why,
            concrete_now(state, task, "restart_fresh", policy, may).ok(),
        );
    }
    if c.source == ConcernSource::Watchdog
        && t.last_work.is_some_and(|w| w > c.raised_at)
        && t.last_alert.is_none_or(|a| a <= c.raised_at)
    {
        let after = t.last_work.unwrap_or(c.raised_at) - c.raised_at;
        return Some(Judgement {
            verdict: Verdict::Resolve,
            action: None,
            recommendation: String::new(),
            reasons: vec![format!(
                "restarted and working again: work seen {} after the alert, no alert since",
                minutes(after)
            )],
        });
    }
    None
}

/// Idle agents no other task waits for that may take `task`, in pool order.
fn free_agents<'a>(
    state: &'a SwarmState,
    task: &'a TaskId,
    may: MayTake<'a>,
) -> impl Iterator<Item = &'a crate::domain::AgentState> {
    state.agents.values().filter(move |a| {
        a.phase == AgentPhase::Idle
            && !a.held
            && !state.triage.assign_to.values().any(|r| *r == a.id)
            && may(&a.id, task)
    })
}

/// An idle agent on the lowest rung above the task's last agent's model.
fn bigger_model(
    state: &SwarmState,
    task: &TaskId,
    ladder: &[String],
    may: MayTake,
) -> Option<(AgentId, String)> {
    let last = state.task(task)?.agent.as_ref()?;
    let model = &state.agent(last)?.model;
    let rung = ladder.iter().position(|m| m == model)?;
    free_agents(state, task, may)
        .filter_map(|a| {
            let r = ladder.iter().position(|m| *m == a.model)?;
            (r > rung).then_some((r, a))
        })
        .min_by_key(|(r, _)| *r)
        .map(|(_, a)| (a.id.clone(), a.model.clone()))
}

/// An idle agent other than the task's last one, one that never had the
/// task first.
fn other_agent(state: &SwarmState, task: &TaskId, may: MayTake) -> Option<AgentId> {
    let last = state.task(task)?.agent.clone();
    free_agents(state, task, may)
        .filter(|a| Some(&a.id) != last.as_ref())
        .min_by_key(|a| a.given.iter().any(|(t, _)| t == task))
        .map(|a| a.id.clone())
}

/// The task's budget raised by the policy's share (and at most its
/// maximum), never past what is left of the day's budget; none when no
/// raise is possible.
fn raised_budget(state: &SwarmState, task: &TaskId, p: &TriagePolicy) -> Option<Money> {
    if p.budget_task <= Money::ZERO {
        return None;
    }
    let t = state.task(task);
    let spent = t.map(|t| t.cost).unwrap_or_default();
    // The operator's extra budget counts once: in the limit now, and kept
    // out of the absolute limit triage records (`Task::budget` adds it).
    let extra = t.map(|t| t.extra_budget).unwrap_or_default();
    let now = (task_budget(state, task, p.budget_task) + extra).max(spent);
    let mut raise = Money::from_dollars(p.budget_task.dollars() * p.raise_share);
    if p.raise_max > Money::ZERO {
        raise = raise.min(p.raise_max);
    }
    if p.budget_day > Money::ZERO {
        raise = raise.min(p.budget_day - state.spend_day);
    }
    (raise > Money::ZERO).then(|| now + raise - extra)
}

/// The action a model named, made concrete for `task` the way the
/// heuristics would (which agent, which limit); why not, when it cannot be
/// done now or was done already.
pub fn concrete(
    state: &SwarmState,
    task: &TaskId,
    name: &str,
    policy: &TriagePolicy,
    may: MayTake,
) -> Result<Action, String> {
    if state
        .triage
        .acted
        .get(task)
        .is_some_and(|a| a.contains(name))
    {
        return Err(format!("{name} was done once on {task} already"));
    }
    concrete_now(state, task, name, policy, may)
}

/// As [`concrete`], done before or not (the operator may do it again).
pub fn concrete_now(
    state: &SwarmState,
    task: &TaskId,
    name: &str,
    policy: &TriagePolicy,
    may: MayTake,
) -> Result<Action, String> {
    let status = state.task(task).map(|t| t.status);
    if !matches!(
        status,
        Some(
            TaskStatus::Pending | TaskStatus::InProgress | TaskStatus::Failed | TaskStatus::Blocked
        )
    ) {
        return Err(format!("{task} is not a task triage can move now"));
    }
    match name {
        "restart_fresh" => Ok(Action::RestartFresh),
        "reassign" => other_agent(state, task, may)
            .map(|to| Action::Reassign { to })
            .ok_or_else(|| "no other agent is free".into()),
        "bigger_model" => bigger_model(state, task, &policy.ladder, may)
            .map(|(to, model)| Action::BiggerModel { to, model })
            .ok_or_else(|| "no agent of a bigger model is free".into()),
        "raise_budget" if status == Some(TaskStatus::Blocked) => raised_budget(state, task, policy)
            .map(|limit| Action::RaiseBudget { limit })
            .ok_or_else(|| "no room for a raise in the policy or the day's budget".into()),
        "raise_budget" => Err(format!("{task} is not stopped by its budget")),
        other => Err(format!("no action {other:?}")),
    }
}
