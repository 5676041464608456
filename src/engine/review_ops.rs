//! The operator's commands from the review screens: failed work triaged
//! (reassign, respecify, archive) and merged work judged (calibrating the
//! gates). Each is one event, attributed to the operator.

use super::operator::Command;
use super::{Attr, Engine, Step};
use crate::domain::review::Triage;
use crate::domain::*;

/// Whether a review command makes sense in this state; the reason if not.
pub(super) fn check(s: &SwarmState, cmd: &Command) -> Result<(), String> {
    match cmd {
        Command::ReassignTask(id) | Command::ArchiveTask(id) => failed_work(s, id),
        Command::RespecifyTask(id, spec) => {
            if spec.trim().is_empty() {
                return Err(format!("{id}: a new spec cannot be empty"));
            }
            failed_work(s, id)
        }
        Command::JudgeMerge(id, _) => {
            let t = s.task(id).ok_or_else(|| format!("no task {id}"))?;
            match t.status {
                TaskStatus::Merged => Ok(()),
                st => Err(format!("{id} is {st}; only merged work is judged")),
            }
        }
        Command::TuneWatchdog(key, value) => {
            let mut w = super::Settings::default().watchdog;
            crate::watchdog::tune(&mut w, key, value)
        }
        Command::StartNight { ends_at, .. } => match &s.night {
            Some(_) => Err("a night shift is under way already".into()),
            None if *ends_at <= s.now => Err("the night's end time has passed".into()),
            None => Ok(()),
        },
        Command::EndNight => match &s.night {
            Some(_) => Ok(()),
            None => Err("no night shift is under way".into()),
        },
        _ => Ok(()),
    }
}

/// A failed or blocked task not archived yet.
fn failed_work(s: &SwarmState, id: &TaskId) -> Result<(), String> {
    let t = s.task(id).ok_or_else(|| format!("no task {id}"))?;
    if t.archived {
        return Err(format!("{id} is archived"));
    }
    match t.status {
        TaskStatus::Failed | TaskStatus::Blocked => Ok(()),
        st => Err(format!(
            "{id} is {st}; only failed or blocked work is triaged"
        )),
    }
}

impl Engine {
    /// Carry out a review command (already checked).
    pub(super) fn on_review_command(&mut self, out: &mut Step, cmd: Command) {
        let op = Attr::by(Actor::Operator);
        let (id, kind) = match cmd {
            Command::ReassignTask(id) => {
                let avoid = self.state.tasks[&id].agent.clone();
                (
                    id,
                    EventKind::TaskTriaged {
                        triage: Triage::Reassign { avoid },
                    },
                )
            }
            Command::RespecifyTask(id, spec) => (
                id,
                EventKind::TaskTriaged {
                    triage: Triage::Respecify { spec },
                },
            ),
            Command::ArchiveTask(id) => (
                id,
                EventKind::TaskTriaged {
                    triage: Triage::Archive,
                },
            ),
            Command::JudgeMerge(id, good) => (id, EventKind::MergeJudged { good }),
            Command::TuneWatchdog(key, value) => return self.tune_watchdog(out, key, value),
            Command::StartNight { ends_at, budget } => {
                return self.emit(out, op, EventKind::NightStarted { ends_at, budget });
            }
            Command::EndNight => return self.emit(out, op, EventKind::NightEnded),
            _ => return,
        };
        let requeued = matches!(
            &kind,
            EventKind::TaskTriaged {
                triage: Triage::Reassign { .. } | Triage::Respecify { .. }
            }
        );
        self.emit(out, op.task(&id), kind);
        if requeued {
            self.unblock_waiting(out, &id);
        }
    }
}

impl Engine {
    /// A threshold changed: the checks of every live session are scheduled
    /// again under it.
    fn tune_watchdog(&mut self, out: &mut Step, key: String, value: String) {
        if crate::watchdog::tune(&mut self.settings.watchdog, &key, &value).is_err() {
            return;
        }
        self.emit(
            out,
            Attr::by(Actor::Operator),
            EventKind::WatchdogTuned { key, value },
        );
        let live: Vec<SessionId> = self.live.sessions.keys().cloned().collect();
        for s in live {
            self.schedule_checks(&s);
        }
    }
}

impl Engine {
    /// On the tick: a night shift past its end time or its budget closes,
    /// once; from then on no new work starts.
    pub(super) fn close_night(&mut self, out: &mut Step) {
        let Some(n) = &self.state.night else {
            return;
        };
        if n.closed.is_some() {
            return;
        }
        let reason = if self.now >= n.ends_at {
            "the night's end time came".to_string()
        } else if n.spent_out() {
            format!("the night's budget of {} is spent", n.budget)
        } else {
            return;
        };
        self.emit(out, Attr::engine(), EventKind::NightClosed { reason });
    }
}
