//! When an agent's API says no: the backoff between retries, and where it
//! ends (a task refused too often or for too long fails with a concern that
//! says what the API answered). Also where handoffs end: a fresh session
//! over its context threshold before it made progress fails its task
//! instead of handing off again.

use super::{Attr, Engine, Step};
use crate::domain::*;

/// A requeue after API trouble gives this reason, followed by the answer
/// (the fold of refusals in a row, [`Streak`], looks for it).
const REQUEUED: &str = crate::domain::REQUEUED_AFTER_TROUBLE;

impl Engine {
    /// After API trouble: back to the queue, not before a backoff that grows
    /// with each trouble in a row and is spread per agent and task, so agents
    /// refused together do not come back together. A trouble that persists
    /// becomes a concern; past the refusal limit (a count or a time, which
    /// comes first) the task fails. `answer` is what the API said last.
    pub(crate) fn defer_after_trouble(
        &mut self,
        out: &mut Step,
        task: &TaskId,
        agent: &AgentId,
        answer: String,
    ) {
        let now = self.now;
        let Streak { refusals: n, since } = {
            let e = self
                .live
                .trouble_streak
                .entry(task.clone())
                .or_insert(Streak {
                    refusals: 0,
                    since: now,
                });
            e.refusals += 1;
            e.clone()
        };
        let answer: String = answer.chars().take(200).collect();
        let attr = Attr::engine().agent(agent).task(task);
        let max = self.settings.api_max_refusals;
        let bound = self.settings.api_refusal_time;
        let over_count = max > 0 && n >= max;
        let over_time = bound > 0 && now - since >= bound;
        if over_count || over_time {
            self.live.trouble_streak.remove(task);
            let why = if over_count {
                format!("refused {n} times in a row")
            } else {
                format!(
                    "refused for {} ({n} times in a row)",
                    humantime::format_duration(std::time::Duration::from_secs(
                        ((now - since) / SECOND).max(0) as u64
                    ))
                )
            };
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskFailed {
                    reason: format!("the API {why}; it answered: {answer}"),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Watchdog,
                Impact::High,
                0.9,
                format!("{task} failed: the API {why} ({agent}); it answered: {answer}"),
            );
            self.block_dependents(out, task);
            return;
        }
        let until = now + backoff(agent, task, n);
        self.emit(
            out,
            attr.clone(),
            EventKind::TaskRequeued {
                reason: format!("{REQUEUED}{answer}); retries after a backoff"),
            },
        );
        self.emit(out, attr.clone(), EventKind::TaskDeferred { until });
        if n == 3 {
            self.raise(
                out,
                attr,
                ConcernSource::Watchdog,
                Impact::High,
                0.9,
                format!("{task}: the API refused {agent} {n} times in a row ({answer}); retrying with backoff"),
            );
        }
    }

    /// A session started by a handoff reached the threshold before it made
    /// progress: another handoff would start over the threshold again, and
    /// pay for it. The task fails with a concern instead.
    pub(crate) fn handoff_refused(
        &mut self,
        out: &mut Step,
        session: &SessionId,
        agent: &AgentId,
        task: &TaskId,
        share: f64,
    ) {
        let pct = share * 100.0;
        let limit = self.settings.watchdog.handoff_at * 100.0;
        self.stop_session(
            out,
            session,
            format!("at {pct:.0}% of its context window right after a handoff"),
        );
        let attr = Attr::engine().agent(agent).task(task);
        let reason = format!(
            "a session started by a handoff was at {pct:.0}% of its context window \
             (handoff at {limit:.0}%) before it made progress; work kept on its branch"
        );
        self.emit(
            out,
            attr.clone(),
            EventKind::TaskFailed {
                reason: reason.clone(),
            },
        );
        self.raise(
            out,
            attr,
            ConcernSource::Watchdog,
            Impact::High,
            0.9,
            format!("{task} failed: {reason}; no second handoff"),
        );
        self.block_dependents(out, task);
    }
}

/// The wait after the `n`th refusal in a row: 30 s doubling up to 10 min,
/// plus up to half again, spread by agent and task so agents do not
/// restart in a herd (a pure function: the same run waits the same).
fn backoff(agent: &AgentId, task: &TaskId, n: u32) -> Millis {
    const BASE: Millis = 30 * SECOND;
    const CAP: Millis = 10 * MINUTE;
    let backoff = (BASE << (n - 1).min(8)).min(CAP);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in agent
        .as_str()
        .bytes()
        .chain(task.as_str().bytes())
        .chain(n.to_le_bytes())
    {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let jitter = (h % (backoff as u64 / 2).max(1)) as Millis;
    backoff + jitter
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Harness, kinds, settings, starts, task};
    use super::super::{Effect, Input};
    use crate::domain::protocol::Signal;
    use crate::domain::*;

    /// The API refuses `task`'s session with a 529, and its CLI exits 1.
    fn refuse(h: &mut Harness, task: &str) {
        let s = h.session_of(task);
        h.at(
            0,
            Input::AgentSignal {
                session: s.clone(),
                signal: Signal::ApiTrouble {
                    trouble: "overloaded",
                    detail: "API Error: 529 Overloaded".into(),
                },
            },
        );
        h.at(
            0,
            Input::AgentSignal {
                session: s,
                signal: Signal::Failed {
                    reason: "API Error: 529 Overloaded".into(),
                    exit_code: Some(1),
                },
            },
        );
    }

    /// Wait out the task's backoff; its next session starts.
    fn wait_out(h: &mut Harness, task: &str) {
        let nb = h.e.state().tasks[&TaskId::new(task)]
            .not_before
            .expect("deferred");
        let step = h.at(nb - h.now, Input::Tick);
        assert_eq!(starts(&step), vec![task.to_string()]);
    }

    fn count(h: &Harness, kind: &str) -> usize {
        h.log.iter().filter(|e| e.kind.name() == kind).count()
    }

    #[test]
    fn an_api_that_always_refuses_fails_the_task_after_the_refusal_limit() {
        let backlog = [task("t1", "a", 0, &[]), task("t2", "a", 0, &["t1"])];
        let (mut h, _) = Harness::new(settings(1), &backlog);
        for _ in 0..5 {
            refuse(&mut h, "t1");
            assert_eq!(h.status("t1"), TaskStatus::Pending);
            assert!(h.e.can_progress(), "a backoff is not the end of the run");
            wait_out(&mut h, "t1");
        }
        refuse(&mut h, "t1");
        assert_eq!(h.status("t1"), TaskStatus::Failed);
        assert_eq!(h.status("t2"), TaskStatus::Blocked);
        assert_eq!(count(&h, "task_deferred"), 5);
        assert!(!h.e.can_progress(), "the run ends");
        let failed = h.log.iter().rev().find_map(|e| match &e.kind {
            EventKind::TaskFailed { reason } => Some(reason.clone()),
            _ => None,
        });
        let failed = failed.expect("task_failed");
        assert!(failed.contains("refused 6 times in a row"), "{failed}");
        assert!(failed.contains("529 Overloaded"), "{failed}");
        let c = h.e.state().concerns.last().expect("a concern");
        assert!(c.summary.contains("t1 failed"), "{}", c.summary);
        assert!(c.summary.contains("529 Overloaded"), "{}", c.summary);
        // The session ended with the CLI's exit code.
        assert!(h.log.iter().any(|e| matches!(
            e.kind,
            EventKind::SessionEnded {
                exit_code: Some(1),
                ..
            }
        )));
    }

    #[test]
    fn a_restart_keeps_the_refusals_in_a_row() {
        let backlog = [task("t1", "a", 0, &[])];
        let (mut h, _) = Harness::new(settings(1), &backlog);
        for _ in 0..5 {
            refuse(&mut h, "t1");
            // shiftboss stops while the task waits out its backoff, and a
            // new one opens the same log.
            h.e = super::super::Engine::from_events(settings(1), &h.log);
            let step = h.e.reconcile(h.now, &[]);
            h.log.extend(step.events.iter().cloned());
            assert_eq!(h.status("t1"), TaskStatus::Pending);
            wait_out(&mut h, "t1");
        }
        refuse(&mut h, "t1");
        assert_eq!(
            h.status("t1"),
            TaskStatus::Failed,
            "the sixth refusal in a row fails the task, restarts or not"
        );
        assert!(!h.e.can_progress(), "the run ends");
    }

    #[test]
    fn time_while_shiftboss_was_stopped_is_not_time_refused() {
        let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
        refuse(&mut h, "t1");
        wait_out(&mut h, "t1");
        refuse(&mut h, "t1");
        // Stopped for three hours, then opened again on the same log.
        h.now += 3 * HOUR;
        h.e = super::super::Engine::from_events(settings(1), &h.log);
        let step = h.e.reconcile(h.now, &[]);
        h.log.extend(step.events.iter().cloned());
        // The backoff ran out while it was stopped: the task starts at once.
        assert_eq!(starts(&step), vec!["t1".to_string()]);
        refuse(&mut h, "t1");
        assert_eq!(
            h.status("t1"),
            TaskStatus::Pending,
            "three refusals in a few minutes of running are not 30 min refused"
        );
        // A second restart replays the first one's resume too.
        h.e = super::super::Engine::from_events(settings(1), &h.log);
        let step = h.e.reconcile(h.now, &[]);
        h.log.extend(step.events.iter().cloned());
        wait_out(&mut h, "t1");
        refuse(&mut h, "t1");
        assert_eq!(h.status("t1"), TaskStatus::Pending);
    }

    #[test]
    fn a_refusal_time_ends_the_row_before_the_count_does() {
        let s = crate::engine::Settings {
            api_max_refusals: 100,
            api_refusal_time: 10 * MINUTE,
            ..settings(1)
        };
        let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
        let first = h.now;
        // Every refusal before the bound defers the task; the first one at
        // or after it fails the task.
        loop {
            let at = h.now - first;
            refuse(&mut h, "t1");
            if h.status("t1") == TaskStatus::Failed {
                assert!(at >= 10 * MINUTE, "failed early, at {at} ms");
                break;
            }
            assert!(at < 10 * MINUTE, "deferred past the time bound, at {at} ms");
            wait_out(&mut h, "t1");
        }
        let refusals = count(&h, "task_deferred") + 1;
        assert!(refusals < 100, "{refusals}");
        let c = h.e.state().concerns.last().expect("a concern");
        assert!(c.summary.contains("refused for"), "{}", c.summary);
        assert!(!h.e.can_progress());
    }

    #[test]
    fn a_served_call_breaks_the_row() {
        let s = crate::engine::Settings {
            api_max_refusals: 2,
            ..settings(1)
        };
        let (mut h, _) = Harness::new(s, &[task("t1", "a", 0, &[])]);
        refuse(&mut h, "t1");
        wait_out(&mut h, "t1");
        h.line(MINUTE, "t1", "::usage input=100 output=10::");
        refuse(&mut h, "t1");
        assert_eq!(h.status("t1"), TaskStatus::Pending, "one refusal in a row");
        wait_out(&mut h, "t1");
        refuse(&mut h, "t1");
        assert_eq!(h.status("t1"), TaskStatus::Failed, "two in a row");
    }

    #[test]
    fn a_fresh_session_over_the_threshold_at_once_fails_instead_of_handing_off_again() {
        let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
        let step = h.line(MINUTE, "t1", "::usage input=10000 cache_read=150000::");
        assert!(kinds(&step).contains(&"handoff"));
        let fresh = h.session_of("t1");
        // Its first call is over the threshold already.
        let step = h.line(SECOND, "t1", "::usage input=10000 cache_read=154000::");
        assert!(!kinds(&step).contains(&"handoff"), "{:?}", kinds(&step));
        assert!(starts(&step).is_empty(), "no third session");
        assert!(
            step.effects
                .iter()
                .any(|e| matches!(e, Effect::Stop { session, .. } if *session == fresh))
        );
        assert_eq!(h.status("t1"), TaskStatus::Failed);
        assert_eq!(h.e.state().agents[&AgentId::builder(1)].handoffs, 1);
        let c = h.e.state().concerns.last().expect("a concern");
        assert!(c.summary.contains("no second handoff"), "{}", c.summary);
        assert!(c.summary.contains("82%"), "{}", c.summary);
        assert!(!h.e.can_progress(), "the run ends");
    }

    #[test]
    fn a_fresh_session_that_made_progress_may_hand_off_again() {
        let (mut h, _) = Harness::new(settings(1), &[task("t1", "a", 0, &[])]);
        h.line(MINUTE, "t1", "::usage input=10000 cache_read=150000::");
        // The fresh session's first call fits; later ones grow past the threshold.
        h.line(MINUTE, "t1", "::usage input=10000 cache_read=30000::");
        let step = h.line(MINUTE, "t1", "::usage input=10000 cache_read=155000::");
        assert!(kinds(&step).contains(&"handoff"), "{:?}", kinds(&step));
        assert_eq!(starts(&step), vec!["t1".to_string()]);
        assert_eq!(h.e.state().agents[&AgentId::builder(1)].handoffs, 2);
        assert_eq!(h.status("t1"), TaskStatus::InProgress);
    }
}
