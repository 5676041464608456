//! A watchdog tick looks only at sessions whose deadline came (or that
//! flood or loop): what it finds must be what checking every session finds.

use super::*;

/// What checking every live, unfrozen session would find now, by session.
fn full_scan(h: &Harness, now: Millis) -> Vec<(SessionId, Check)> {
    if h.e.state.frozen {
        return Vec::new();
    }
    crate::watchdog::t1_checks(
        &h.e.state,
        &h.e.settings.watchdog,
        now,
        h.e.live
            .sessions
            .iter()
            .filter(|(s, _)| !h.e.live.frozen.contains(*s))
            .map(|(s, (a, t, at))| (s, a, t, *at)),
    )
    .into_iter()
    .map(|f| (f.session, f.check))
    .collect()
}

fn alerts(step: &Step) -> Vec<(SessionId, Check)> {
    step.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WatchdogAlert { check, .. } => Some((e.session.clone()?, *check)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_tick_finds_what_checking_every_session_finds() {
    let mut s = settings(12);
    s.max_attempts = 50;
    s.watchdog.stall_after = 4 * MINUTE;
    s.watchdog.task_time_bound = 40 * MINUTE;
    s.watchdog.loop_repeats = 6;
    let backlog: Vec<TaskSpec> = (0..60)
        .map(|i| task(&format!("t{i}"), &format!("c{}", i % 6), 0, &[]))
        .collect();
    let (mut h, _) = Harness::new(s, &backlog);
    // A fixed pseudo-random day: agents speak, repeat themselves, go quiet,
    // ask for pause points, get frozen and thawed; a tick every 30 s.
    let mut seed: u64 = 0x5eed;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut found = Vec::new();
    let mut held: Vec<AgentId> = Vec::new();
    for round in 0..600 {
        let live: Vec<SessionId> = h.e.live.sessions.keys().cloned().collect();
        for s in &live {
            let line = match next(20) {
                0..=9 => continue, // quiet this round
                10..=13 => format!("step {}", next(1000)),
                14..=17 => "retrying the same fix".to_string(),
                18 => "::pause::about to drop a table".to_string(),
                _ => "::progress 50::halfway".to_string(),
            };
            h.at(
                0,
                Input::AgentLine {
                    session: s.clone(),
                    line,
                },
            );
        }
        if round % 47 == 5 && !live.is_empty() {
            let s = &live[next(live.len() as u64) as usize];
            let agent = h.e.live.sessions[s].0.clone();
            h.at(0, Input::Operator(Command::HoldAgent(agent.clone())));
            held.push(agent);
        }
        if round % 47 == 30 {
            for agent in held.drain(..) {
                h.at(0, Input::Operator(Command::ReleaseAgent(agent)));
            }
            h.at(0, Input::Operator(Command::ApproveAll));
        }
        if round % 150 == 100 {
            h.at(0, Input::Operator(Command::Freeze));
        }
        if round % 150 == 110 {
            h.at(0, Input::Operator(Command::Thaw));
        }
        let now = h.now + 30 * SECOND;
        let expected = full_scan(&h, now);
        let step = h.at(30 * SECOND, Input::Tick);
        assert_eq!(alerts(&step), expected, "round {round}");
        found.extend(expected.into_iter().map(|(_, c)| c));
    }
    // The day tripped every time-based and output check more than once.
    for check in [Check::Stalled, Check::Looping, Check::OverTime] {
        let n = found.iter().filter(|c| **c == check).count();
        assert!(n >= 2, "{check:?} found {n} times: {found:?}");
    }
}
