//! Capability routing and model tiers on the virtual clock: the agent with
//! the best record on a task's kind takes it, exploration gives new agents
//! work, and a task sent back twice moves up a tier.

use super::*;

fn gates_fail(h: &mut Harness, task: &str) -> Step {
    let mut step = h.line(MINUTE, task, "::done::ok");
    step.extend(h.at(
        SECOND,
        Input::GatesFinished {
            task: TaskId::new(task),
            passed: false,
            gate: "cargo test".into(),
            output: "1 failed".into(),
            findings: Vec::new(),
            changed: Vec::new(),
        },
    ));
    step
}

fn routed(step: &Step) -> Vec<(AgentId, String, Option<String>, String)> {
    step.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskRouted {
                model, tier, why, ..
            } => Some((
                e.agent.clone().unwrap(),
                model.clone(),
                tier.clone(),
                why.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn started(step: &Step) -> Vec<(AgentId, TaskId, String)> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start {
                agent, task, model, ..
            } => Some((agent.clone(), task.clone(), model.clone())),
            _ => None,
        })
        .collect()
}

/// Four agents; builder-01 and builder-02 needed a rework on their first
/// task, builder-03 passed first try, builder-04 has done nothing. Then a
/// new implementation task arrives.
fn after_a_morning(explore_every: u32) -> (Harness, Step) {
    let mut s = settings(4);
    s.routing.by_cv = true;
    s.routing.explore_every = explore_every;
    let backlog: Vec<TaskSpec> = (1..=3)
        .map(|n| task(&format!("t{n}"), &format!("c{n}"), 1, &[]))
        .collect();
    let (mut h, first) = Harness::new(s, &backlog);
    let firsts: Vec<AgentId> = started(&first).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(
        firsts,
        [
            AgentId::builder(1),
            AgentId::builder(2),
            AgentId::builder(3)
        ]
    );
    for t in ["t1", "t2"] {
        let again = gates_fail(&mut h, t);
        assert_eq!(started(&again).len(), 1, "{t} goes back to its agent");
        h.finish(t);
    }
    h.finish("t3");
    let fit = &h.e.state().fit;
    assert_eq!(
        fit.record(&AgentId::builder(3), "implementation").first_try,
        1
    );
    assert_eq!(fit.record(&AgentId::builder(1), "implementation").merged, 1);
    assert_eq!(
        fit.record(&AgentId::builder(1), "implementation").first_try,
        0
    );
    let step = h.at(
        MINUTE,
        Input::Operator(Command::AddTask(task("t4", "c4", 1, &[]))),
    );
    (h, step)
}

#[test]
fn the_agent_whose_record_fits_the_kind_best_takes_the_task() {
    let (h, step) = after_a_morning(0);
    let s = started(&step);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, AgentId::builder(3));
    let r = routed(&step);
    assert_eq!(r.len(), 1);
    assert!(
        r[0].3
            .contains("builder-03 fits implementation best: 1 of 1 finished first try"),
        "{}",
        r[0].3
    );
    // Without tiers the agent's own model runs it.
    assert_eq!(r[0].1, "claude-sonnet-4-5");
    assert_eq!(r[0].2, None);
    // The fold of the log routes the same way.
    let mut replayed = SwarmState::default();
    for e in &h.log {
        replayed.apply(e);
    }
    assert_eq!(replayed.fit, h.e.state().fit);
}

#[test]
fn exploration_gives_an_agent_without_a_record_work() {
    // Five sessions so far: the sixth start explores when every third does.
    let (_, step) = after_a_morning(3);
    let s = started(&step);
    assert_eq!(s[0].0, AgentId::builder(4));
    assert!(
        routed(&step)[0]
            .3
            .contains("exploring: builder-04 has finished 0 tasks")
    );
}

#[test]
fn routing_off_keeps_the_first_idle_agent_and_logs_nothing() {
    let (mut h, first) = Harness::new(settings(2), &[task("t1", "a", 1, &[])]);
    assert!(routed(&first).is_empty());
    h.finish("t1");
    let step = h.at(
        MINUTE,
        Input::Operator(Command::AddTask(task("t2", "a", 1, &[]))),
    );
    assert_eq!(started(&step)[0].0, AgentId::builder(1));
    assert!(h.log.iter().all(|e| e.kind.name() != "task_routed"));
}

#[test]
fn a_task_runs_on_its_kinds_tier_and_moves_up_after_two_reworks() {
    let mut s = settings(2);
    s.routing.tiers = Some(TierSettings {
        models: ["fast-model".into(), "mid-model".into(), "deep-model".into()],
        kinds: Default::default(),
        rework_up: 2,
    });
    let mut guide = task("g1", "docs", 1, &[]);
    guide.title = "Write the operator guide".into();
    guide.scope = vec!["docs/**".into()];
    let (mut h, first) = Harness::new(s, &[task("t1", "a", 1, &[]), guide]);
    let models: Vec<(TaskId, String)> = started(&first)
        .into_iter()
        .map(|(_, t, m)| (t, m))
        .collect();
    assert_eq!(
        models,
        [
            (TaskId::new("t1"), "mid-model".to_string()),
            (TaskId::new("g1"), "fast-model".to_string())
        ]
    );
    let r = routed(&first);
    assert_eq!(r[0].2.as_deref(), Some("standard"));
    assert!(
        r[0].3.contains("implementation runs on the standard tier"),
        "{}",
        r[0].3
    );
    assert!(r[1].3.contains("docs runs on the fast tier"), "{}", r[1].3);
    // What the session spends is priced and attributed to the tier's model.
    let step = h.line(
        SECOND,
        "t1",
        "::usage input=100 output=10 cache_read=0 cache_write=0::",
    );
    let usage = step
        .events
        .iter()
        .find(|e| e.kind.name() == "usage_recorded")
        .unwrap();
    assert_eq!(usage.model.as_deref(), Some("mid-model"));
    // Sent back once: still standard. Twice: deep.
    let again = gates_fail(&mut h, "t1");
    assert_eq!(started(&again)[0].2, "mid-model");
    let again = gates_fail(&mut h, "t1");
    assert_eq!(started(&again)[0].2, "deep-model");
    let r = routed(&again);
    assert_eq!(r[0].2.as_deref(), Some("deep"));
    assert!(
        r[0].3.contains("sent back 2 times, up to deep"),
        "{}",
        r[0].3
    );
    let assigned = again
        .events
        .iter()
        .find(|e| e.kind.name() == "task_assigned")
        .unwrap();
    assert_eq!(assigned.model.as_deref(), Some("deep-model"));
}
