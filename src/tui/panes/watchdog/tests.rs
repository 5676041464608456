use super::super::testkit::{Kit, draw, draws_in_tiny_areas, lines};
use super::*;
use crate::domain::EventKind;
use crate::domain::{AgentId, Check};
use crate::domain::{HOUR, PauseId, PauseKind};

/// `n` agents; the first two work. builder-03 stalled a minute ago,
/// builder-05 waits at a pause point, builder-10 was retired.
fn kit(n: usize) -> Kit {
    let mut k = Kit::new();
    for i in 1..=n {
        k.agent(AgentId::builder(i).as_str(), "sonnet");
    }
    for t in ["auth-1", "auth-2", "auth-3", "auth-5"] {
        k.task(t, "auth");
    }
    k.assign("builder-01", "auth-1")
        .assign("builder-02", "auth-2");
    k.assign("builder-03", "auth-3")
        .assign("builder-05", "auth-5");
    k.at(10 * HOUR);
    k.ev(
        Some("builder-03"),
        Some("auth-3"),
        EventKind::WatchdogAlert {
            check: Check::Stalled,
            detail: "no output for 10 min".into(),
        },
    );
    k.ev(
        Some("builder-03"),
        Some("auth-3"),
        EventKind::SessionEnded {
            exit_code: None,
            reason: "stalled".into(),
        },
    );
    k.ev(
        None,
        Some("auth-3"),
        EventKind::TaskRequeued {
            reason: "stalled".into(),
        },
    );
    k.ev(
        Some("builder-05"),
        Some("auth-5"),
        EventKind::PauseRequested {
            id: PauseId::new("P-0001"),
            pause: PauseKind::AgentRequest,
            reason: "about to drop a table".into(),
        },
    );
    if n >= 10 {
        k.ev(
            Some("builder-10"),
            None,
            EventKind::AgentRetired {
                reason: "spent $10.02 of its $10.00 budget".into(),
            },
        );
    }
    k.at(10 * HOUR + MINUTE);
    k
}

#[test]
fn malformed_counts_are_on_the_agents_rows() {
    let mut k = kit(4);
    for (a, n) in [("builder-01", 7), ("builder-03", 2)] {
        k.snap
            .state
            .agents
            .get_mut(&AgentId::new(a))
            .unwrap()
            .malformed = n;
    }
    let l = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        120,
        14,
    ));
    let row = |a: &str| l.iter().find(|l| l.contains(a)).unwrap().clone();
    assert!(row("builder-01").contains("· 7 malformed"), "{l:?}");
    assert!(row("builder-03").contains("· 2 malformed"), "{l:?}");
    assert!(!row("builder-02").contains("malformed"), "{l:?}");
}

#[test]
fn above_eight_agents_healthy_ones_fold_into_teams() {
    let k = kit(12);
    let l = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        110,
        14,
    ));
    assert!(l[0].contains("1 T3 2 T1 9 healthy"), "{}", l[0]);
    assert!(l[1].contains("T3 waiting on you · 1"), "{}", l[1]);
    assert!(
        l[2].contains("builder-05  P-0001 on auth-5 1m → waits: approve or reject"),
        "{}",
        l[2]
    );
    assert!(
        l[3].contains("about to drop a table"),
        "detail below: {}",
        l[3]
    );
    // A retired agent waits on nobody: T1, not T3.
    assert!(l[4].contains("T1 anomaly · 2"), "{}", l[4]);
    assert!(
        l[5].contains(
            "builder-03  stalled 1m ago → restarted; auth-3 requeued, resumes from its branch"
        ),
        "{}",
        l[5]
    );
    assert!(l[6].contains("no output for 10 min"), "{}", l[6]);
    assert!(
        l[7].contains("builder-10  retired → out of the pool for good"),
        "{}",
        l[7]
    );
    assert!(
        l[8].contains("spent $10.02 of its $10.00 budget"),
        "{}",
        l[8]
    );
    assert!(l[9].contains("healthy · 9"), "{}", l[9]);
    assert!(
        l[10].contains("team 1   ●●○○○○    2 working, 4 idle · 2 above"),
        "{}",
        l[10]
    );
    assert!(
        l[11].contains("team 2   ○○○       0 working, 3 idle · 1 above"),
        "{}",
        l[11]
    );
    assert_eq!(
        WatchdogPane.targets(&k.snap, &PaneState::default()),
        ["builder-05", "builder-03", "builder-10"]
            .map(|a| Target::Agent(a.into()))
            .to_vec(),
        "team rows are not selectable"
    );
}

#[test]
fn eight_agents_or_fewer_are_all_listed() {
    let k = kit(8);
    let targets = WatchdogPane.targets(&k.snap, &PaneState::default());
    assert_eq!(targets.len(), 8);
    let l = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        110,
        16,
    ));
    assert!(
        l.iter().any(|l| l.contains("builder-01  working  auth-1")),
        "{l:#?}"
    );
    assert!(l.iter().any(|l| l.contains("builder-08  idle")), "{l:#?}");
    assert!(!l.iter().any(|l| l.contains("team")), "{l:#?}");
}

#[test]
fn a_short_pane_puts_details_on_the_row_and_scrolls_to_the_selection() {
    let k = kit(12);
    let state = PaneState {
        selected: 2,
        ..PaneState::default()
    };
    let l = lines(&draw(&WatchdogPane, &k.snap, &state, 140, 5));
    assert!(
        l.iter()
            .any(|l| l.contains("builder-03") && l.contains("· no output for 10 min")),
        "{l:#?}"
    );
}

#[test]
fn an_old_alert_is_healthy_again() {
    let mut k = kit(5);
    k.at(10 * HOUR + ALERT_RECENT + MINUTE);
    k.ev(
        None,
        None,
        EventKind::SpeedChanged {
            speed: "max".into(),
        },
    );
    let l = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        110,
        10,
    ));
    assert!(l[0].contains("1 T3 4 healthy"), "{}", l[0]);
}

#[test]
fn a_thousand_agents_fold_to_teams() {
    let k = kit(1000);
    let targets = WatchdogPane.targets(&k.snap, &PaneState::default());
    assert_eq!(targets.len(), 3);
    let rows = rows(&k.snap, &PaneState::default());
    let teams = rows.iter().filter(|r| matches!(r, Row::Team(_))).count();
    assert_eq!(teams, 125);
    let l = lines(&draw(&WatchdogPane, &k.snap, &PaneState::default(), 80, 12));
    assert!(l[0].contains("997 healthy"), "{}", l[0]);
}

#[test]
fn tiny_areas_do_not_panic() {
    draws_in_tiny_areas(&WatchdogPane, &kit(12).snap);
    draws_in_tiny_areas(&WatchdogPane, &Snapshot::default());
}

#[test]
fn the_t2_group_shows_what_triage_weighs_and_decided_and_t3_its_recommendation() {
    use crate::domain::triage::Verdict;
    use crate::domain::{ConcernId, ConcernSource, Disposition, Impact, Routing};
    let mut k = kit(4);
    let concern = |k: &mut Kit, agent: &str, task: &str, id: &str, summary: &str| {
        k.ev(
            Some(agent),
            Some(task),
            EventKind::ConcernRaised {
                id: ConcernId::new(id),
                source: ConcernSource::Watchdog,
                summary: summary.into(),
                confidence: 0.8,
                impact: Impact::Medium,
                routing: Routing::Triage,
            },
        );
    };
    let verdict = |k: &mut Kit, agent: &str, id: &str, v: Verdict, rec: &str, why: &str| {
        k.ev(
            Some(agent),
            None,
            EventKind::TriageVerdict {
                concern: ConcernId::new(id),
                verdict: v,
                action: None,
                recommendation: rec.into(),
                reasons: vec![why.into()],
            },
        );
    };
    // builder-01: waiting for a verdict. builder-02: resolved by triage.
    // builder-03: escalated, with a recommendation.
    concern(
        &mut k,
        "builder-01",
        "auth-1",
        "C-0001",
        "builder-01 restarted on auth-1",
    );
    concern(
        &mut k,
        "builder-02",
        "auth-2",
        "C-0002",
        "builder-02 restarted on auth-2",
    );
    verdict(
        &mut k,
        "builder-02",
        "C-0002",
        Verdict::Resolve,
        "",
        "restarted and working again",
    );
    k.ev(
        Some("builder-02"),
        None,
        EventKind::ConcernDisposed {
            id: ConcernId::new("C-0002"),
            disposition: Disposition::Resolved,
        },
    );
    concern(
        &mut k,
        "builder-03",
        "auth-3",
        "C-0003",
        "stalled on auth-3 again",
    );
    verdict(
        &mut k,
        "builder-03",
        "C-0003",
        Verdict::Escalate,
        "respecify auth-3",
        "stalled 3 times in a row on auth-3",
    );
    k.at(10 * HOUR + 5 * MINUTE);
    let l = lines(&draw(
        &WatchdogPane,
        &k.snap,
        &PaneState::default(),
        140,
        16,
    ));
    let row = |a: &str| l.iter().find(|l| l.contains(a)).unwrap().clone();
    assert!(l.iter().any(|l| l.contains("T2 in triage · 2")), "{l:?}");
    assert!(
        row("builder-01").contains(
            "C-0001 medium in triage 4m → triage decides: resolve, act, or escalate to you"
        ),
        "{l:?}"
    );
    assert!(
        row("builder-02").contains("C-0002 resolved 4m ago → triage: restarted and working again"),
        "{l:?}"
    );
    assert!(
        row("builder-03").contains("C-0003 medium → waits on you · triage: respecify auth-3"),
        "{l:?}"
    );
}

/// Two configured teams: a lead with three coders, one of them stalled,
/// its epic broken into tasks; a team the operator leads; one agent on none.
#[test]
fn configured_teams_group_their_agents_with_lead_progress_spend_and_wait() {
    use crate::domain::{Actor, ConvoyId, Event, TaskSpec};
    let mut k = Kit::new();
    for a in ["lead-core", "ada", "bo", "cy", "dee", "eve", "builder-01"] {
        k.agent(a, "sonnet");
    }
    let team = |name: &str, lead: Option<&str>, coders: &[&str]| EventKind::TeamStarted {
        team: name.into(),
        phase: 1,
        lead: lead.map(AgentId::new),
        coders: coders.iter().map(|c| AgentId::new(*c)).collect(),
        convoys: vec![ConvoyId::new(name)],
        branch: lead.map(|_| format!("shiftboss/team/{name}")),
    };
    k.ev(
        None,
        None,
        team("core", Some("lead-core"), &["ada", "bo", "cy"]),
    );
    k.ev(None, None, team("docs", None, &["dee", "eve"]));
    k.task("core", "core").task("docs-1", "docs");
    k.assign("lead-core", "core");
    // The lead's `::task` lines: tasks added by the agent.
    for id in ["core-1", "core-2", "core-3"] {
        let spec = TaskSpec {
            id: id.into(),
            title: id.into(),
            spec: String::new(),
            convoy: ConvoyId::new("core"),
            priority: 0,
            scope: Vec::new(),
            checks: Vec::new(),
            after: Vec::new(),
            tier: None,
            behaviour: None,
            night: false,
            issue: None,
        };
        k.snap.state.apply(&Event {
            at: 9 * HOUR,
            actor: Actor::Agent,
            agent: Some(AgentId::new("lead-core")),
            task: Some(id.into()),
            convoy: Some(ConvoyId::new("core")),
            model: None,
            session: Some("lead-core#1".into()),
            kind: EventKind::TaskAdded { spec },
        });
    }
    k.assign("ada", "core-1")
        .assign("bo", "core-2")
        .assign("dee", "docs-1");
    k.spend("lead-core", "core", 1.25)
        .spend("ada", "core-1", 2.0);
    // core-1 landed on the team's integration branch.
    k.ev(
        Some("ada"),
        Some("core-1"),
        EventKind::MergeQueued {
            seq: 1,
            onto: Some("shiftboss/team/core".into()),
        },
    );
    k.merged("core-1");
    k.at(10 * HOUR);
    k.ev(
        Some("bo"),
        Some("core-2"),
        EventKind::WatchdogAlert {
            check: Check::Stalled,
            detail: "no output for 10 min".into(),
        },
    );
    let core = &k.snap.state.team_figures()[0];
    assert_eq!(
        (core.tasks, core.merged, core.created_by_lead, core.epics),
        (4, 1, 3, 1)
    );
    assert_eq!((core.on_branch, core.awaiting_integration), (1, 1));
    let l = lines(&draw(&WatchdogPane, &k.snap, &PaneState::default(), 110, 9));
    insta::assert_snapshot!(l.join("\n"));
}

/// A team of the second phase has not started: its row shows its lead, its
/// coders and the first phase's teams it waits for; the agent of no team
/// folds under its own labelled row.
#[test]
fn a_team_not_started_keeps_its_row_and_says_what_it_waits_for() {
    use crate::domain::{ConvoyId, TeamPlan};
    let mut k = Kit::new();
    for a in [
        "lead-api",
        "ada",
        "bo",
        "lead-ui",
        "cy",
        "dee",
        "eve",
        "builder-01",
    ] {
        k.agent(a, "sonnet");
    }
    let plan = |name: &str, phase: u32, lead: &str, coders: &[&str]| TeamPlan {
        name: name.into(),
        phase,
        parallel: false,
        lead: Some(AgentId::new(lead)),
        coders: coders.iter().map(|c| AgentId::new(*c)).collect(),
        convoys: vec![ConvoyId::new(name)],
    };
    k.snap.teams = vec![
        plan("ui", 2, "lead-ui", &["cy", "dee", "eve"]),
        plan("api", 1, "lead-api", &["ada", "bo"]),
    ];
    let api = &k.snap.teams[1];
    k.ev(
        None,
        None,
        EventKind::TeamStarted {
            team: api.name.clone(),
            phase: 1,
            lead: api.lead.clone(),
            coders: api.coders.clone(),
            convoys: api.convoys.clone(),
            branch: Some("shiftboss/team/api".into()),
        },
    );
    k.task("api", "api").task("ui", "ui").task("misc-1", "misc");
    k.assign("lead-api", "api").assign("builder-01", "misc-1");
    k.at(10 * HOUR);
    let l = lines(&draw(&WatchdogPane, &k.snap, &PaneState::default(), 100, 7));
    assert!(
        l[3].contains("ui") && l[3].contains("waits for phase 1: api"),
        "{l:#?}"
    );
    insta::assert_snapshot!(l.join("\n"));
    // Filtered to the waiting team's name, its row stays; to another
    // agent's, it goes.
    let only = |f: &str| {
        let state = PaneState {
            filter: f.into(),
            ..PaneState::default()
        };
        lines(&draw(&WatchdogPane, &k.snap, &state, 100, 7)).join("\n")
    };
    assert!(only("ui").contains("waits for phase 1: api"));
    assert!(!only("builder").contains("lead-ui"));
    assert!(only("builder").contains("no team"));
}
