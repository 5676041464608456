//! Teams on the virtual clock: who takes what, phases, leads' `::task`
//! lines, and an epic integrated after its coders.

use super::*;

fn team(name: &str, lead: Option<&str>, coders: &[&str], convoys: &[&str]) -> TeamSettings {
    TeamSettings {
        name: name.into(),
        lead: lead.map(AgentId::new),
        lead_prompt: String::new(),
        coders: coders.iter().map(|c| AgentId::new(*c)).collect(),
        convoys: convoys.iter().map(|c| ConvoyId::new(*c)).collect(),
        phase: 1,
        parallel: false,
        approve_integration: false,
    }
}

fn with_teams(pool: usize, teams: Vec<TeamSettings>) -> Settings {
    Settings {
        max_live: 20,
        teams,
        ..settings(pool)
    }
}

/// (task, agent) of each session the step starts.
fn started(step: &Step) -> Vec<(String, String)> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start { task, agent, .. } => Some((task.0.clone(), agent.0.clone())),
            _ => None,
        })
        .collect()
}

fn count(h: &Harness, kind: &str) -> usize {
    h.log.iter().filter(|e| e.kind.name() == kind).count()
}

#[test]
fn the_lead_takes_the_epic_coders_take_its_tasks_and_others_stay_out() {
    let s = with_teams(
        1,
        vec![team("infra", Some("lead-a"), &["ada", "bo"], &["infra"])],
    );
    let backlog = [
        task("infra-epic", "infra", 0, &[]),
        task("misc-1", "misc", 0, &[]),
    ];
    let (mut h, step) = Harness::new(s, &backlog);
    let agents: Vec<&str> = h.e.state().agents.keys().map(AgentId::as_str).collect();
    assert_eq!(
        agents,
        ["ada", "bo", "builder-01", "lead-a"],
        "team members join the pool"
    );
    assert_eq!(
        started(&step),
        [
            ("infra-epic".to_string(), "lead-a".to_string()),
            ("misc-1".to_string(), "builder-01".to_string())
        ]
    );

    // The lead breaks the epic up: each line a task in the epic's convoy, by the lead.
    let step = h.line(
        MINUTE,
        "infra-epic",
        "::task id=infra-1 scope=src/infra/a/**::first part",
    );
    assert_eq!(started(&step), [("infra-1".to_string(), "ada".to_string())]);
    let added = step
        .events
        .iter()
        .find(|e| e.kind.name() == "task_added")
        .unwrap();
    assert_eq!(added.actor, Actor::Agent);
    assert_eq!(added.agent.as_ref().unwrap().as_str(), "lead-a");
    assert_eq!(added.convoy.as_ref().unwrap().as_str(), "infra");
    let step = h.line(
        SECOND,
        "infra-epic",
        "::task id=infra-2 scope=src/infra/b/** after=infra-1 priority=3::second part",
    );
    assert!(started(&step).is_empty(), "infra-2 waits for infra-1");
    let t = &h.e.state().tasks[&TaskId::new("infra-2")];
    assert_eq!(t.created_by.as_ref().unwrap().as_str(), "lead-a");
    assert_eq!(t.epic.as_ref().unwrap().as_str(), "infra-epic");
    assert_eq!(t.spec.priority, 3);
    assert_eq!(
        h.e.state()
            .tasks_created_by(&AgentId::new("lead-a"))
            .count(),
        2
    );

    // The lead's session ends; the epic waits for its coders, the lead
    // takes none of their work, and builder-01 (no team) none of the team's.
    h.line(MINUTE, "infra-epic", "::done::broken up");
    assert_eq!(h.status("infra-epic"), TaskStatus::Pending);
    let step = h.finish("infra-1");
    assert_eq!(started(&step), [("infra-2".to_string(), "ada".to_string())]);
    let step = h.finish("infra-2");
    assert_eq!(
        started(&step),
        [("infra-epic".to_string(), "lead-a".to_string())],
        "the lead integrates once its coders' tasks landed"
    );
    h.finish("infra-epic");
    assert_eq!(h.status("infra-epic"), TaskStatus::Merged);
    h.finish("misc-1");
    assert!(!h.e.can_progress());
}

#[test]
fn bad_task_lines_are_refused_with_a_concern_and_add_nothing() {
    let s = with_teams(0, vec![team("infra", Some("lead-a"), &["ada"], &["infra"])]);
    let (mut h, _) = Harness::new(s, &[task("infra-epic", "infra", 0, &[])]);
    let before = h.e.state().tasks.len();
    for (line, why) in [
        ("::task id=infra-epic::again", "exists already"),
        ("::task id=x/y::slash", "id:"),
        ("::task id=x scope=/etc/**::abs", "absolute path"),
        ("::task id=x after=nope::dep", "unknown task nope"),
        ("::task id=x spec=x.md::unread", "spec x.md: not read"),
    ] {
        h.line(SECOND, "infra-epic", line);
        let c = h.e.state().concerns.last().unwrap();
        assert!(c.summary.contains(why), "{line}: {}", c.summary);
    }
    assert_eq!(h.e.state().tasks.len(), before);
    // A coder is not a lead.
    h.line(SECOND, "infra-epic", "::task id=infra-1::ok");
    let step = h.line(SECOND, "infra-1", "::task id=infra-9::not mine to add");
    assert!(!kinds(&step).contains(&"task_added"));
    assert!(
        h.e.state()
            .concerns
            .last()
            .unwrap()
            .summary
            .contains("ada leads no team")
    );
}

#[test]
fn without_teams_a_task_line_is_refused() {
    let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
    let step = h.line(SECOND, "t1", "::task id=t2::more");
    assert!(kinds(&step).contains(&"concern_raised"));
    assert!(!h.e.state().tasks.contains_key(&TaskId::new("t2")));
    assert_eq!(count(&h, "team_started"), 0);
}

#[test]
fn phases_start_in_order_and_parallel_teams_at_once() {
    let a = team("a", None, &["a1"], &["a"]);
    let b = TeamSettings {
        phase: 2,
        ..team("b", None, &["b1"], &["b"])
    };
    let c = TeamSettings {
        phase: 3,
        parallel: true,
        ..team("c", None, &["c1"], &["c"])
    };
    let s = with_teams(0, vec![a, b, c]);
    let backlog = [
        task("a-1", "a", 0, &[]),
        task("b-1", "b", 0, &[]),
        task("c-1", "c", 0, &[]),
    ];
    let (mut h, step) = Harness::new(s, &backlog);
    let teams: Vec<_> = h
        .log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TeamStarted { team, phase, .. } => Some((team.clone(), *phase)),
            _ => None,
        })
        .collect();
    assert_eq!(teams, [("a".to_string(), 1), ("c".to_string(), 3)]);
    // With the operator as lead the coders take every task of the convoy.
    assert_eq!(
        started(&step),
        [
            ("a-1".to_string(), "a1".to_string()),
            ("c-1".to_string(), "c1".to_string())
        ]
    );
    assert!(h.e.can_progress());
    let step = h.finish("a-1");
    assert!(kinds(&step).contains(&"team_started"));
    assert_eq!(started(&step), [("b-1".to_string(), "b1".to_string())]);
    assert!(h.e.state().has_team_started("b"));
    let b = h.e.state().team_of(&AgentId::new("b1")).unwrap();
    assert_eq!((b.name.as_str(), b.phase, b.lead.clone()), ("b", 2, None));
}

#[test]
fn an_integration_the_config_asks_to_approve_waits_at_a_pause_point() {
    let t = TeamSettings {
        approve_integration: true,
        ..team("infra", Some("lead-a"), &["ada"], &["infra"])
    };
    let (mut h, _) = Harness::new(
        with_teams(0, vec![t]),
        &[task("infra-epic", "infra", 0, &[])],
    );
    h.line(
        MINUTE,
        "infra-epic",
        "::task id=infra-1 scope=src/infra/**::part",
    );
    h.line(MINUTE, "infra-epic", "::done::broken up");
    let step = h.finish("infra-1");
    assert_eq!(
        h.status("infra-1"),
        TaskStatus::Merged,
        "coders' work needs no approval"
    );
    assert_eq!(
        started(&step),
        [("infra-epic".to_string(), "lead-a".to_string())]
    );
    h.line(MINUTE, "infra-epic", "::done::integrated");
    let step = h.gates_pass("infra-epic");
    assert!(
        !step
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Land { .. }))
    );
    let p = h.e.state().waiting_pauses().next().unwrap();
    assert_eq!(p.kind, PauseKind::Merge);
    let p = p.id.clone();
    let step = h.at(MINUTE, Input::Operator(Command::ApprovePause(p)));
    assert!(
        step.effects
            .iter()
            .any(|e| matches!(e, Effect::Land { .. }))
    );
}
