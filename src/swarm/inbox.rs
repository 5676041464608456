//! Tasks handed to a running swarm. `shiftboss task add` and `task import`
//! beside a running owner never write the log: they drop one file per
//! hand-off into `.shiftboss/inbox/` (written whole, then renamed into
//! place), and the owner takes the files in at its next tick, in the order
//! they came, writing each task to the log itself.

use super::{Published, Swarm, SwarmError};
use crate::domain::{Actor, Event, EventKind, TaskId, TaskSpec};
use crate::engine::Clock;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The inbox folder of the swarm whose files are in `dir` (`.shiftboss/`).
pub fn folder(dir: &Path) -> PathBuf {
    dir.join("inbox")
}

/// One hand-off as the owner finds it.
pub struct Delivery {
    pub file: PathBuf,
    pub tasks: Result<Vec<TaskSpec>, String>,
}

/// Drop `tasks` into the inbox as one file. Returns the file.
pub fn hand_off(dir: &Path, tasks: &[TaskSpec]) -> std::io::Result<PathBuf> {
    let inbox = folder(dir);
    fs::create_dir_all(&inbox)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
    let first = tasks.first().map(|t| t.id.as_str()).unwrap_or("none");
    let name = format!("{stamp}-{}-{first}.json", std::process::id());
    let tmp = inbox.join(format!(".{name}.tmp"));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(serde_json::to_string_pretty(tasks)?.as_bytes())?;
    f.sync_all()?;
    drop(f);
    let path = inbox.join(name);
    fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Hand-offs waiting in the inbox, oldest first: `.json` hand-offs from
/// `task add`/`task import`, and `.toml` backlog files an operator (or a
/// script) dropped in, read like `task import` reads them (`after` may name
/// `known` tasks). Hidden files (being written) and other names are left
/// alone.
pub fn pending(dir: &Path, known: &[TaskId]) -> Vec<Delivery> {
    scan(dir, known).0
}

/// [`pending`], and whether a backlog file was left to settle (one look at
/// the folder for both).
pub fn scan(dir: &Path, known: &[TaskId]) -> (Vec<Delivery>, bool) {
    let Ok(entries) = fs::read_dir(folder(dir)) else {
        return (Vec::new(), false);
    };
    let mut settling = false;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            match p.extension().and_then(|x| x.to_str()) {
                _ if hidden => false,
                Some("json") => true,
                // A backlog file being copied in may be read while another
                // file's arrival wakes the owner: left until it has content
                // and has not changed for a moment.
                Some("toml") => {
                    let ready = settled(p);
                    settling |= !ready;
                    ready
                }
                _ => false,
            }
        })
        .collect();
    files.sort();
    let deliveries = files
        .into_iter()
        .map(|file| {
            let tasks = match file.extension().is_some_and(|x| x == "toml") {
                // The backlog reader's own one-line errors (file:line: key).
                true => crate::config::read_text(&file)
                    .and_then(|t| crate::config::parse_backlog(&t, &file, known))
                    .map_err(|e| e.to_string()),
                false => fs::read_to_string(&file)
                    .map_err(|e| e.to_string())
                    .and_then(|t| {
                        serde_json::from_str::<Vec<TaskSpec>>(&t)
                            .map_err(|e| format!("not a list of tasks: {e}"))
                    }),
            };
            Delivery { file, tasks }
        })
        .collect();
    (deliveries, settling)
}

/// How long a `.toml` dropped into the inbox must be left unchanged before
/// it is read (a copy in progress is not read half-written).
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

fn settled(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| {
        m.len() > 0
            && m.modified()
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= SETTLE)
    })
}

/// A hand-off the owner could not read is kept beside the inbox, renamed
/// so it is not read again, and named in the reason.
pub fn reject(delivery: &Delivery, why: &str) -> String {
    let bad = delivery.file.with_extension("rejected");
    let _ = fs::rename(&delivery.file, &bad);
    format!("{}: {why}", bad.display())
}

/// A hand-off whose tasks are in the log.
pub fn done(delivery: &Delivery) -> std::io::Result<()> {
    match fs::remove_file(&delivery.file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Swarm {
    /// Tasks handed over by `shiftboss task add` / `task import` while this
    /// swarm runs (files in `.shiftboss/inbox/`) join the backlog at the next
    /// tick: written to the log by this owner, then the file is removed. A
    /// task known already is not added twice (a hand-off taken in just
    /// before a crash is only removed at the next start); a different task
    /// under a known id is refused with a line in the errors.
    pub(super) fn take_in_handed_tasks(&mut self) -> Result<(), SwarmError> {
        let (deliveries, settling) = scan(&self.paths.dir, &self.engine.state().task_order);
        for delivery in deliveries {
            let tasks = match &delivery.tasks {
                Ok(t) => t,
                Err(why) => {
                    let line = reject(&delivery, why);
                    self.errors.push(line.clone());
                    if let Some(obs) = self.observer.as_mut() {
                        obs(Published::Notice(line));
                    }
                    continue;
                }
            };
            let at = self.clock.now();
            let mut events: Vec<Event> = Vec::new();
            // Another task holds the id (two `task add`s picked the same
            // next id): said, not dropped in silence.
            let mut taken: Vec<String> = Vec::new();
            for t in tasks {
                let same = match self.engine.state().tasks.get(&t.id) {
                    Some(known) => Some(known.spec == *t),
                    None => events
                        .iter()
                        .find(|e| e.task.as_ref() == Some(&t.id))
                        .map(|e| matches!(&e.kind, EventKind::TaskAdded { spec } if spec == t)),
                };
                match same {
                    // Taken in already (just before a crash): nothing to do.
                    Some(true) => {}
                    Some(false) => taken.push(t.id.to_string()),
                    None => events.push(Event {
                        at,
                        actor: Actor::Operator,
                        agent: None,
                        task: Some(t.id.clone()),
                        convoy: Some(t.convoy.clone()),
                        model: None,
                        session: None,
                        kind: EventKind::TaskAdded { spec: t.clone() },
                    }),
                }
            }
            if !taken.is_empty() {
                let line = format!(
                    "{}: not added, a task with that id exists: {}",
                    delivery.file.display(),
                    taken.join(", ")
                );
                self.errors.push(line.clone());
                if let Some(obs) = self.observer.as_mut() {
                    obs(Published::Notice(line));
                }
            }
            for ev in &events {
                self.engine.absorb_task(ev);
            }
            if !events.is_empty() {
                self.observed.events(&events);
                self.dirty = true;
                self.buffer.extend(events);
            }
            // In the log before the hand-off is gone.
            self.flush()?;
            if let Err(e) = done(&delivery) {
                self.errors
                    .push(format!("{}: {e}", delivery.file.display()));
            }
        }
        // A file still being written: look again at the next tick.
        if settling {
            self.inbox_watch.again();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConvoyId, TaskId};

    fn task(id: &str) -> TaskSpec {
        TaskSpec {
            id: TaskId::new(id),
            title: format!("task {id}"),
            spec: String::new(),
            convoy: ConvoyId::new("backlog"),
            priority: 0,
            scope: vec![],
            checks: vec![],
            after: vec![],
            tier: None,
            behaviour: None,
            issue: None,
            night: false,
        }
    }

    #[test]
    fn hand_offs_come_back_in_order_and_half_written_files_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        hand_off(dir, &[task("a-1"), task("a-2")]).unwrap();
        hand_off(dir, &[task("b-1")]).unwrap();
        fs::write(folder(dir).join(".x.json.tmp"), "[").unwrap();
        fs::write(folder(dir).join("zz-garbage.json"), "{not json").unwrap();
        let got = pending(dir, &[]);
        assert_eq!(got.len(), 3);
        let ids: Vec<_> = got[..2]
            .iter()
            .flat_map(|d| d.tasks.as_ref().unwrap().iter().map(|t| t.id.to_string()))
            .collect();
        assert_eq!(ids, ["a-1", "a-2", "b-1"]);
        let why = reject(&got[2], got[2].tasks.as_ref().unwrap_err());
        assert!(why.contains("zz-garbage.rejected"), "{why}");
        done(&got[0]).unwrap();
        done(&got[1]).unwrap();
        assert!(pending(dir, &[]).is_empty());
    }
}
