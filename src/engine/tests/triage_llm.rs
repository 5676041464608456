//! Triage's model on the virtual clock: asked once (an effect) about a
//! concern no pattern settles, never when the day's budget is spent or
//! nothing waits; its verdict made concrete and acted on, a refused answer
//! logged and left to the heuristics, an answer that never comes not
//! waited for past `triage_after`.

use super::*;
use crate::domain::triage::{Action, ModelVerdict, Verdict};
use crate::domain::{ConcernId, Disposition, ModelSpend, Routing, Usage};
use crate::merge::ai::{AiSettings, Provider};

fn llm_settings(agents: usize) -> Settings {
    let mut s = settings(agents);
    s.watchdog.triage_after = 30 * MINUTE;
    s.triage.llm = Some(AiSettings::new(Provider::Anthropic, "claude-sonnet-4-5"));
    s
}

fn asks(step: &Step) -> Vec<ConcernId> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::AskTriage { concern, .. } => Some(concern.clone()),
            _ => None,
        })
        .collect()
}

/// An agent's own concern, routed to triage; no pattern fits it.
fn concern(h: &mut Harness) -> ConcernId {
    h.line(
        SECOND,
        "t1",
        "::concern impact=medium confidence=0.9::the cache key looks wrong",
    );
    let c = h.e.state().concerns.last().unwrap().clone();
    assert_eq!(c.routing, Routing::Triage);
    c.id
}

fn answer(verdict: Verdict, action: Option<&str>) -> ModelVerdict {
    ModelVerdict {
        verdict,
        action: action.map(str::to_string),
        reasons: vec!["the agent is going in circles".into()],
        recommendation: String::new(),
    }
}

fn spent() -> Option<ModelSpend> {
    Some(ModelSpend {
        model: "claude-sonnet-4-5-20250929".into(),
        usage: Usage {
            input: 1000,
            output: 100,
            ..Usage::default()
        },
    })
}

fn kinds_of(h: &Harness, kind: &str) -> usize {
    h.log.iter().filter(|e| e.kind.name() == kind).count()
}

#[test]
fn nothing_waiting_asks_nothing() {
    let (mut h, _) = Harness::new(llm_settings(1), &[task("t1", "a", 0, &[])]);
    for _ in 0..5 {
        let step = h.at(MINUTE, Input::Tick);
        assert!(asks(&step).is_empty());
    }
}

#[test]
fn the_model_is_asked_once_and_its_action_is_done() {
    let (mut h, _) = Harness::new(llm_settings(2), &[task("t1", "a", 0, &[])]);
    let id = concern(&mut h);
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(asks(&step), std::slice::from_ref(&id));
    let Some(Effect::AskTriage { context, .. }) = step.effects.first() else {
        panic!("asked")
    };
    assert!(context.contains("the cache key looks wrong"), "{context}");
    assert!(h.e.can_progress(), "the run waits for the answer");
    let step = h.at(SECOND, Input::Tick);
    assert!(asks(&step).is_empty(), "asked once");
    let step = h.at(
        SECOND,
        Input::TriageAnswered {
            concern: id.clone(),
            answer: Ok(answer(Verdict::Act, Some("reassign"))),
            spent: spent(),
        },
    );
    let own: Vec<_> = step
        .events
        .iter()
        .filter(|e| e.actor == Actor::Shiftboss && e.kind.name() == "usage_recorded")
        .collect();
    assert_eq!(own.len(), 1, "metered as shiftboss's own");
    assert!(h.e.state().spend_own > Money::ZERO);
    let v = step
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TriageVerdict {
                action, reasons, ..
            } => Some((action.clone(), reasons.clone())),
            _ => None,
        })
        .expect("a verdict");
    assert_eq!(
        v.0,
        Some(Action::Reassign {
            to: AgentId::new("builder-02")
        })
    );
    assert_eq!(
        v.1,
        ["the agent is going in circles", "by claude-sonnet-4-5"]
    );
    assert_eq!(
        h.e.state().concern(&id).unwrap().disposition,
        Disposition::Resolved
    );
    assert_eq!(
        h.e.sessions()
            .find(|s| s.2.as_str() == "t1")
            .map(|s| s.1.to_string()),
        Some("builder-02".into())
    );
}

#[test]
fn an_action_that_cannot_be_done_is_escalated_with_why() {
    let (mut h, _) = Harness::new(llm_settings(1), &[task("t1", "a", 0, &[])]);
    let id = concern(&mut h);
    h.at(SECOND, Input::Tick);
    h.at(
        SECOND,
        Input::TriageAnswered {
            concern: id.clone(),
            answer: Ok(answer(Verdict::Act, Some("reassign"))),
            spent: spent(),
        },
    );
    let c = h.e.state().concern(&id).unwrap();
    assert_eq!(c.routing, Routing::Human);
    let d = h.e.state().triage.verdict(&id).unwrap();
    assert_eq!(d.verdict, Verdict::Escalate);
    assert!(
        d.reasons
            .iter()
            .any(|r| r == "reassign not done: no other agent is free"),
        "{:?}",
        d.reasons
    );
}

#[test]
fn a_refused_answer_is_logged_and_the_heuristics_decide_in_time() {
    let (mut h, _) = Harness::new(llm_settings(1), &[task("t1", "a", 0, &[])]);
    let id = concern(&mut h);
    h.at(SECOND, Input::Tick);
    h.at(
        SECOND,
        Input::TriageAnswered {
            concern: id.clone(),
            answer: Err("the model's answer is not a verdict: not one JSON object".into()),
            spent: spent(),
        },
    );
    assert_eq!(kinds_of(&h, "triage_refused"), 1);
    assert_eq!(kinds_of(&h, "triage_verdict"), 0);
    // Not asked again; escalated when its time is up.
    for _ in 0..6 {
        h.line(5 * MINUTE, "t1", "::progress 10::working");
        let step = h.at(SECOND, Input::Tick);
        assert!(asks(&step).is_empty());
    }
    let d = h.e.state().triage.verdict(&id).expect("a verdict in time");
    assert_eq!(d.verdict, Verdict::Escalate);
    assert_eq!(d.reasons, ["no known pattern in 30m"]);
}

#[test]
fn an_answer_that_never_comes_is_not_waited_for() {
    let (mut h, _) = Harness::new(llm_settings(1), &[task("t1", "a", 0, &[])]);
    let id = concern(&mut h);
    h.at(SECOND, Input::Tick);
    h.at(31 * MINUTE, Input::Tick);
    let d = h.e.state().triage.verdict(&id).expect("escalated in time");
    assert_eq!(d.verdict, Verdict::Escalate);
    // A late answer changes nothing but is paid for.
    h.at(
        SECOND,
        Input::TriageAnswered {
            concern: id,
            answer: Ok(answer(Verdict::Resolve, None)),
            spent: spent(),
        },
    );
    assert_eq!(kinds_of(&h, "triage_verdict"), 1);
    assert!(h.e.state().spend_own > Money::ZERO);
}

#[test]
fn no_call_once_the_days_budget_is_spent() {
    let mut s = llm_settings(2);
    s.budget_day = Money::from_dollars(0.10);
    s.budget_task = Money::ZERO;
    let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[]), task("t2", "b", 0, &[])]);
    let id = concern(&mut h);
    h.line(SECOND, "t2", "::usage input=40000::"); // $0.12: the day is spent
    let step = h.at(SECOND, Input::Tick);
    assert!(asks(&step).is_empty(), "no call past the day's budget");
    h.at(31 * MINUTE, Input::Tick);
    assert_eq!(
        h.e.state().triage.verdict(&id).map(|d| d.verdict.clone()),
        Some(Verdict::Escalate)
    );
}
