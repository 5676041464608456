//! What a clock tick checks: the watchdog's T1 checks on live sessions, and
//! tasks that can no longer start because what they wait on cannot finish.

use super::{Attr, Engine, Step};
use crate::domain::*;
use crate::watchdog;

impl Engine {
    /// Block every task that (transitively) waits on a failed or blocked one.
    pub(crate) fn block_dependents(&mut self, out: &mut Step, failed: &TaskId) {
        let mut frontier = vec![failed.clone()];
        while let Some(f) = frontier.pop() {
            let dependents: Vec<TaskId> = self
                .state
                .task_order
                .iter()
                .filter(|id| {
                    let t = &self.state.tasks[*id];
                    t.status == TaskStatus::Pending && t.spec.after.contains(&f)
                })
                .cloned()
                .collect();
            for d in dependents {
                self.emit(
                    out,
                    Attr::engine().task(&d),
                    EventKind::TaskBlocked {
                        reason: format!("waits on {f}, which cannot finish"),
                    },
                );
                frontier.push(d);
            }
        }
    }

    /// A pending task whose dependency failed or is blocked cannot start:
    /// it is blocked too (a task added after its dependency failed).
    pub(super) fn block_orphans(&mut self, out: &mut Step) {
        // Only a changed status or a new task can make an orphan.
        if std::mem::replace(&mut self.live.tasks.orphans_checked, true) {
            return;
        }
        let orphans: Vec<(TaskId, TaskId)> = self
            .state
            .task_order
            .iter()
            .filter_map(|id| {
                let t = &self.state.tasks[id];
                if t.status != TaskStatus::Pending {
                    return None;
                }
                t.spec
                    .after
                    .iter()
                    .find(|d| {
                        self.state.tasks.get(*d).is_some_and(|d| {
                            matches!(d.status, TaskStatus::Failed | TaskStatus::Blocked)
                        })
                    })
                    .map(|d| (id.clone(), d.clone()))
            })
            .collect();
        for (t, d) in orphans {
            self.emit(
                out,
                Attr::engine().task(&t),
                EventKind::TaskBlocked {
                    reason: format!("waits on {d}, which cannot finish"),
                },
            );
        }
    }

    pub(super) fn on_tick(&mut self, out: &mut Step) {
        self.block_orphans(out);
        self.close_night(out);
        // Nothing waits silently, frozen or not.
        self.reraise(out);
        if self.state.frozen {
            return;
        }
        self.triage(out);
        let due = self.live.deadlines.take_due(self.now);
        let alerts = watchdog::t1_checks(
            &self.state,
            &self.settings.watchdog,
            self.now,
            due.iter()
                .filter(|s| !self.live.frozen.contains(*s))
                .filter_map(|s| self.live.sessions.get_key_value(s))
                .map(|(s, (a, t, at))| (s, a, t, *at)),
        );
        for f in alerts {
            let attr = Attr::engine()
                .agent(&f.agent)
                .task(&f.task)
                .session(&f.session);
            self.emit(
                out,
                attr.clone(),
                EventKind::WatchdogAlert {
                    check: f.check,
                    detail: f.detail.clone(),
                },
            );
            match f.check {
                Check::OverTime => {
                    self.stop_session(out, &f.session, f.detail.clone());
                    self.emit(
                        out,
                        Attr::engine().task(&f.task),
                        EventKind::TaskBlocked {
                            reason: format!("{}; work kept on its branch", f.detail),
                        },
                    );
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Watchdog,
                        Impact::High,
                        0.6,
                        format!("{} stopped on {}: {}", f.agent, f.task, f.detail),
                    );
                    self.block_dependents(out, &f.task);
                }
                _ => {
                    self.stop_session(out, &f.session, f.detail.clone());
                    self.retry_or_fail(out, &f.task, &f.agent, f.detail.clone());
                    self.raise(
                        out,
                        attr,
                        ConcernSource::Watchdog,
                        Impact::Medium,
                        0.8,
                        format!("{} restarted on {}: {}", f.agent, f.task, f.detail),
                    );
                }
            }
        }
        self.reschedule_checks(due);
    }
}
