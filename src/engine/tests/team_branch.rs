//! A team's integration branch on the virtual clock: coders' tasks start
//! from it, are gated against it and land on it; the lead's integration
//! starts from it and lands on the target; a batch never mixes the two.

use super::*;

const TEAM: &str = "shiftboss/team/infra";

fn infra(lead: Option<&str>) -> Settings {
    Settings {
        max_live: 20,
        teams: vec![TeamSettings {
            name: "infra".into(),
            lead: lead.map(AgentId::new),
            lead_prompt: String::new(),
            coders: vec![AgentId::new("ada"), AgentId::new("bo")],
            convoys: vec![ConvoyId::new("infra")],
            phase: 1,
            parallel: false,
            approve_integration: false,
        }],
        ..settings(1)
    }
}

/// (task, resume_from, base) of each session the step starts.
fn bases(step: &Step) -> Vec<(String, Option<String>, Option<String>)> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start {
                task,
                resume_from,
                base,
                ..
            } => Some((task.0.clone(), resume_from.clone(), base.clone())),
            _ => None,
        })
        .collect()
}

/// The gates' base of the step's `RunGates`.
fn gates_base(step: &Step) -> Option<Option<String>> {
    step.effects.iter().find_map(|e| match e {
        Effect::RunGates { base, .. } => Some(base.clone()),
        _ => None,
    })
}

/// The step's batch: where it lands, and (task, advance) of each entry.
type Batch = (Option<String>, Vec<(String, Option<String>)>);

fn batch(step: &Step) -> Option<Batch> {
    step.effects.iter().find_map(|e| match e {
        Effect::Land { entries, onto, .. } => Some((
            onto.clone(),
            entries
                .iter()
                .map(|e| (e.task.0.clone(), e.advance.clone()))
                .collect(),
        )),
        _ => None,
    })
}

fn landed(h: &mut Harness, tasks: &[&str]) -> Step {
    let results = tasks
        .iter()
        .map(|t| {
            let merged = MergeOutcome::Merged {
                commit: format!("c-{t}"),
                tier: "clean".into(),
                removals: Vec::new(),
            };
            (TaskId::new(*t), merged)
        })
        .collect();
    h.at(
        SECOND,
        Input::Landed {
            runs: Vec::new(),
            results,
            error: None,
            held: Vec::new(),
            ai_unreachable: None,
            spent: Vec::new(),
        },
    )
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn coders_land_on_the_team_branch_and_the_integration_on_the_target() {
    let (mut h, step) = Harness::new(infra(Some("lead-a")), &[task("epic", "infra", 0, &[])]);
    let started = h.log.iter().find_map(|e| match &e.kind {
        EventKind::TeamStarted { branch, .. } => Some(branch.clone()),
        _ => None,
    });
    assert_eq!(started, Some(some(TEAM)), "the log names the team branch");
    assert_eq!(bases(&step), [("epic".into(), None, None)]);

    // The coders' tasks start from the team branch.
    let step = h.line(MINUTE, "epic", "::task id=i-1 scope=src/infra/a/**::a");
    assert_eq!(bases(&step), [("i-1".into(), None, some(TEAM))]);
    let step = h.line(SECOND, "epic", "::task id=i-2 scope=src/infra/b/**::b");
    assert_eq!(bases(&step), [("i-2".into(), None, some(TEAM))]);
    h.line(SECOND, "epic", "::done::broken up");

    // Gated against the team branch, queued onto it, landed on it.
    let step = h.line(MINUTE, "i-1", "::done::ok");
    assert_eq!(gates_base(&step), Some(some(TEAM)));
    let step = h.gates_pass("i-1");
    let queued = step.events.iter().find_map(|e| match &e.kind {
        EventKind::MergeQueued { onto, .. } => Some(onto.clone()),
        _ => None,
    });
    assert_eq!(queued, Some(some(TEAM)));
    assert_eq!(
        h.e.state().tasks[&TaskId::new("i-1")].onto.as_deref(),
        Some(TEAM)
    );
    assert_eq!(batch(&step), Some((some(TEAM), vec![("i-1".into(), None)])));
    h.line(MINUTE, "i-2", "::done::ok");
    h.gates_pass("i-2");
    let step = landed(&mut h, &["i-1"]);
    assert_eq!(batch(&step), Some((some(TEAM), vec![("i-2".into(), None)])));
    assert_eq!(h.status("epic"), TaskStatus::Pending, "i-2 still to land");

    // The integration starts from the team branch, is measured against it
    // (its own changes), lands on the target and moves the team branch along.
    let step = landed(&mut h, &["i-2"]);
    assert_eq!(bases(&step), [("epic".into(), None, some(TEAM))]);
    let branch = h.e.state().tasks[&TaskId::new("epic")].branch.clone();
    assert_eq!(branch.as_deref(), Some("shiftboss/lead-a/epic-integration"));
    let step = h.line(MINUTE, "epic", "::done::integrated");
    assert_eq!(gates_base(&step), Some(some(TEAM)));
    let step = h.gates_pass("epic");
    assert_eq!(
        batch(&step),
        Some((None, vec![("epic".into(), some(TEAM))]))
    );
    landed(&mut h, &["epic"]);
    assert_eq!(h.status("epic"), TaskStatus::Merged);
}

#[test]
fn a_batch_never_mixes_the_team_branch_and_the_target() {
    let backlog = [task("epic", "infra", 0, &[]), task("misc", "misc", 0, &[])];
    let (mut h, _) = Harness::new(infra(Some("lead-a")), &backlog);
    for n in 1..=2 {
        let line = format!("::task id=i-{n} scope=src/infra/{n}/**::part {n}");
        h.line(SECOND, "epic", &line);
    }
    h.line(SECOND, "epic", "::done::broken up");
    // i-1 lands alone; meanwhile misc (the target) and i-2 (the team
    // branch) queue behind it.
    h.line(MINUTE, "i-1", "::done::ok");
    let step = h.gates_pass("i-1");
    assert_eq!(batch(&step).unwrap().1.len(), 1);
    for t in ["misc", "i-2"] {
        h.line(SECOND, t, "::done::ok");
        h.gates_pass(t);
    }
    let step = landed(&mut h, &["i-1"]);
    let (onto, first) = batch(&step).expect("the next batch");
    assert_eq!(first.len(), 1, "one destination a batch: {first:?}");
    let step = landed(&mut h, &[first[0].0.as_str()]);
    let (then, second) = batch(&step).expect("the other destination next");
    assert_ne!(onto, then);
    let mut both = [first[0].0.clone(), second[0].0.clone()];
    both.sort();
    assert_eq!(both, ["i-2", "misc"]);
    let dest = |t: &str| if t == "misc" { None } else { some(TEAM) };
    assert_eq!(onto, dest(&first[0].0));
    assert_eq!(then, dest(&second[0].0));
}

#[test]
fn an_operator_led_team_and_work_of_no_team_land_on_the_target() {
    let backlog = [task("i-1", "infra", 0, &[]), task("misc", "misc", 0, &[])];
    let (mut h, step) = Harness::new(infra(None), &backlog);
    assert!(bases(&step).iter().all(|(_, _, base)| base.is_none()));
    assert!(h.log.iter().all(|e| !matches!(
        &e.kind,
        EventKind::TeamStarted {
            branch: Some(_),
            ..
        }
    )));
    let step = h.line(MINUTE, "i-1", "::done::ok");
    assert_eq!(gates_base(&step), Some(None));
    let step = h.gates_pass("i-1");
    assert_eq!(batch(&step), Some((None, vec![("i-1".into(), None)])));
    let step = h.finish("misc");
    assert!(batch(&step).is_none_or(|(onto, _)| onto.is_none()));
}

#[test]
fn work_of_no_team_after_a_coders_task_waits_until_it_reaches_the_target() {
    let backlog = [task("epic", "infra", 0, &[])];
    let (mut h, _) = Harness::new(infra(Some("lead-a")), &backlog);
    h.line(SECOND, "epic", "::task id=i-1 scope=src/infra/a/**::a");
    h.line(
        SECOND,
        "epic",
        "::task id=i-2 scope=src/infra/b/** after=i-1::b",
    );
    h.line(SECOND, "epic", "::done::broken up");
    let add = Input::Operator(Command::AddTask(task("misc", "misc", 9, &["i-1"])));
    h.at(SECOND, add);
    // i-1 lands on the team branch: its teammate's task starts from there;
    // misc, which starts from the target, waits.
    h.line(MINUTE, "i-1", "::done::ok");
    h.gates_pass("i-1");
    let step = landed(&mut h, &["i-1"]);
    assert_eq!(bases(&step), [("i-2".into(), None, some(TEAM))]);
    assert_eq!(h.status("misc"), TaskStatus::Pending);
    h.finish("i-2");
    assert_eq!(
        h.status("misc"),
        TaskStatus::Pending,
        "the integration first"
    );
    h.line(MINUTE, "epic", "::done::integrated");
    h.gates_pass("epic");
    let step = landed(&mut h, &["epic"]);
    assert_eq!(bases(&step), [("misc".into(), None, None)]);
}

#[test]
fn a_second_epic_waits_until_the_first_epics_integration_reached_the_target() {
    let backlog = [task("e1", "infra", 0, &[]), task("e2", "infra", 0, &[])];
    let (mut h, step) = Harness::new(infra(Some("lead-a")), &backlog);
    let first = bases(&step)[0].0.clone();
    let second = if first == "e1" { "e2" } else { "e1" };
    h.line(SECOND, &first, "::task id=i-1 scope=src/infra/a/**::a");
    // The lead is free once the first epic is broken up, but the second
    // epic may not start: its coders would share the team branch and the
    // first integration would take their work to the target.
    let step = h.line(SECOND, &first, "::done::broken up");
    assert!(bases(&step).iter().all(|(t, _, _)| t != second), "{step:?}");
    h.line(MINUTE, "i-1", "::done::ok");
    h.gates_pass("i-1");
    let step = landed(&mut h, &["i-1"]);
    assert_eq!(bases(&step), [(first.clone(), None, some(TEAM))]);
    assert_eq!(h.status(second), TaskStatus::Pending);
    h.line(MINUTE, &first, "::done::integrated");
    h.gates_pass(&first);
    let step = landed(&mut h, &[first.as_str()]);
    assert_eq!(
        bases(&step),
        [(second.to_string(), None, None)],
        "now it starts"
    );
}

#[test]
fn a_team_branch_the_operator_has_checked_out_holds_its_landings_with_a_pause() {
    let (mut h, _) = Harness::new(infra(Some("lead-a")), &[task("epic", "infra", 0, &[])]);
    h.line(SECOND, "epic", "::task id=i-1 scope=src/infra/a/**::a");
    h.line(SECOND, "epic", "::done::broken up");
    h.line(MINUTE, "i-1", "::done::ok");
    h.gates_pass("i-1");
    // The executor found the team branch checked out in the operator's checkout.
    h.at(
        SECOND,
        Input::Landed {
            runs: Vec::new(),
            results: Vec::new(),
            error: None,
            held: vec![TEAM.into()],
            ai_unreachable: None,
            spent: Vec::new(),
        },
    );
    let pause =
        h.e.state()
            .waiting_pauses()
            .next()
            .map(|p| p.reason.clone());
    let pause = pause.expect("a pause point while the branch is checked out");
    assert!(
        pause.starts_with(&format!("landings on {TEAM} held")) && pause.contains("git switch main"),
        "{pause}"
    );
    assert_eq!(h.status("i-1"), TaskStatus::Queued, "held, not blocked");
    // Once a landing finds it free, the pause is decided and the work lands.
    let step = h.at(10 * SECOND, Input::Tick);
    assert_eq!(batch(&step), Some((some(TEAM), vec![("i-1".into(), None)])));
    landed(&mut h, &["i-1"]);
    assert!(h.e.state().waiting_pauses().next().is_none());
    assert_eq!(h.status("i-1"), TaskStatus::Merged);
}
