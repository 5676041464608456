//! T2 triage's moves kept within the scheduler's rules on the virtual
//! clock: a task goes only to an agent that may take it by the team rules,
//! and with `[tiers]` a task triage moved to a bigger model does not start
//! on its tier's smaller one.

use super::triage_act::{HAIKU, SONNET, act_settings, acts, stall, started};
use super::*;
use crate::domain::triage::{Action, Verdict};

const OPUS: &str = "claude-opus-4-1";

/// The `why` of the last `task_routed` event for `task`.
fn last_routed_why(h: &Harness, task: &str) -> String {
    h.log
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::TaskRouted { why, .. } if e.task == Some(TaskId::new(task)) => {
                Some(why.clone())
            }
            _ => None,
        })
        .expect("routed")
}

/// A team the operator leads, coders `ada` and `cy` on the small model;
/// builder-01, on no team, runs the bigger one.
fn api_team() -> Settings {
    let mut s = act_settings(1);
    // builder-01 first, then the team's agents in turn.
    s.models = vec![SONNET.into(), HAIKU.into(), HAIKU.into()];
    s.triage.ladder = vec![HAIKU.into(), SONNET.into()];
    s.max_live = 5;
    s.teams = vec![TeamSettings {
        name: "api".into(),
        lead: None,
        lead_prompt: String::new(),
        coders: vec![AgentId::new("ada"), AgentId::new("cy")],
        convoys: vec![ConvoyId::new("api")],
        phase: 1,
        parallel: false,
        approve_integration: false,
    }];
    s
}

#[test]
fn triage_moves_a_team_task_only_to_an_agent_of_the_team() {
    let (mut h, first) = Harness::new(api_team(), &[task("api-1", "api", 0, &[])]);
    assert_eq!(started(&first, "api-1").unwrap().0, "ada");
    assert_eq!(h.e.state().agents[&AgentId::builder(1)].model, SONNET);
    for _ in 0..3 {
        stall(&mut h);
    }
    let step = h.at(SECOND, Input::Tick);
    // builder-01 runs a bigger model and is free, but it is on no team: the
    // task goes to the team's other coder.
    assert_eq!(
        acts(&h),
        [Action::Reassign {
            to: AgentId::new("cy")
        }]
    );
    assert_eq!(started(&step, "api-1"), Some(("cy".into(), HAIKU.into())));
    // cy stalls too (a fourth stall in a row): no one else of the team is
    // free, so the operator decides, and nothing is proposed that breaks
    // the team's rule.
    stall(&mut h);
    h.at(SECOND, Input::Tick);
    assert_eq!(acts(&h).len(), 1);
    let last = h
        .log
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::TriageVerdict {
                verdict, action, ..
            } => Some((verdict.clone(), action.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(last.0, Verdict::Escalate);
    assert!(
        !matches!(&last.1, Some(Action::Reassign { to } | Action::BiggerModel { to, .. }) if to.as_str() == "builder-01"),
        "{last:?}"
    );
    assert!(
        h.log
            .iter()
            .filter(|e| e.kind.name() == "task_assigned")
            .all(|e| e.agent.as_ref().map(AgentId::as_str) != Some("builder-01")),
        "builder-01 never took api-1"
    );
}

/// Two agents, builder-01 on haiku and builder-02 on sonnet; tiers
/// `[fast, standard, deep]` = `[haiku, standard, opus]`; the ladder haiku,
/// sonnet, opus.
fn tiered(standard: &str) -> Settings {
    let mut s = act_settings(2);
    s.models = vec![HAIKU.into(), SONNET.into()];
    s.triage.ladder = vec![HAIKU.into(), SONNET.into(), OPUS.into()];
    s.routing.tiers = Some(TierSettings {
        models: [HAIKU.into(), standard.into(), OPUS.into()],
        kinds: Default::default(),
        rework_up: 0,
    });
    s
}

/// A third stall moves t1 to builder-02's bigger model; the model its next
/// session runs on, and why.
fn moved_by_triage(standard: &str) -> (String, String) {
    let (mut h, first) = Harness::new(tiered(standard), &[task("t1", "a", 0, &[])]);
    assert_eq!(
        started(&first, "t1"),
        Some(("builder-01".into(), standard.into()))
    );
    for _ in 0..3 {
        stall(&mut h);
    }
    let step = h.at(SECOND, Input::Tick);
    assert_eq!(
        acts(&h),
        [Action::BiggerModel {
            to: AgentId::builder(2),
            model: SONNET.into()
        }]
    );
    let (agent, model) = started(&step, "t1").expect("started again");
    assert_eq!(agent, "builder-02");
    (model, last_routed_why(&h, "t1"))
}

#[test]
fn a_task_triage_moved_to_a_bigger_model_does_not_start_on_its_tiers_smaller_one() {
    // The standard tier's haiku is smaller than sonnet: sonnet wins.
    let (model, why) = moved_by_triage(HAIKU);
    assert_eq!(model, SONNET);
    assert!(
        why.contains("runs on the standard tier")
            && why.contains(&format!(
                "triage moved it to a bigger model: {SONNET} over the standard tier's {HAIKU}"
            )),
        "{why}"
    );
    // The standard tier's opus is bigger than sonnet: the tier wins.
    let (model, why) = moved_by_triage(OPUS);
    assert_eq!(model, OPUS);
    assert!(
        why.contains(&format!(
            "the standard tier's {OPUS} is bigger than {SONNET}, the model triage moved it to"
        )),
        "{why}"
    );
}
