//! The swarm runner: one owner of the engine, the event log and the
//! executor. It feeds the engine its inputs in time order, writes every event
//! to the log before the effects it led to are carried out (so a `kill -9`
//! loses nothing that happened), and performs those effects.
//!
//! It runs on its own thread: rusqlite and git2 block, and a deterministic
//! simulation wants one sequential owner rather than an async scheduler.

pub mod attach;
mod confine;
mod disk;
mod executor;
mod guard;
mod host;
pub mod inbox;
mod inbox_watch;
mod issue;
mod landing;
mod lead_spec;
pub mod load;
mod operator;
pub mod owner;
mod recover;
pub(crate) mod resume;
mod run;
mod runtimes;
mod snapshot;
mod speed;
mod summary;
mod timeline;
mod trace;
pub mod transcript;
mod triage_call;
pub mod watch;

pub use run::{RunOptions, stop_on_signals};
pub use snapshot::Snapshot;
pub use speed::{REAL_TIME, Speed};
pub use summary::Summary;

use crate::domain::sim_plan::SimSettings;
use crate::domain::{Millis, SessionId, TaskSpec};
use crate::engine::{Clock, Command, Effect, Engine, Input, Settings, Step, VirtualClock};
use crate::merge::{ConfigWatch, Repo};
use crate::store::Store;
use executor::{Executor, Sink};
pub use runtimes::{AgentRuntime, Runtimes};
use snapshot::Observed;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::{Duration, Instant};
use timeline::{Timeline, Wake};

/// Where a swarm keeps its files.
#[derive(Clone, Debug)]
pub struct Paths {
    pub root: PathBuf,
    pub dir: PathBuf,
    pub db: PathBuf,
    pub config: PathBuf,
    pub worktrees: PathBuf,
}

impl Paths {
    pub fn new(root: &Path) -> Paths {
        let dir = root.join(".shiftboss");
        Paths {
            root: root.to_path_buf(),
            db: dir.join("state.db"),
            config: dir.join("config.toml"),
            worktrees: dir.join("worktrees"),
            dir,
        }
    }
}

/// Events kept in memory before a write when no effect forces one.
const BATCH: usize = 512;
/// What the runner tells the console.
pub enum Published {
    Snapshot(Box<Snapshot>),
    /// A command was refused, with the reason.
    Notice(String),
}

pub type Observer = Box<dyn FnMut(Published) + Send>;

/// Handed each event once it is in the log, in the log's order.
pub type Tap = Box<dyn FnMut(&Event) + Send>;

/// What reaches the runner from other threads.
pub(crate) enum External {
    Command(Command),
    /// An input from an agent process's reader thread.
    Input(Input),
    /// The console closed.
    Close,
    /// A file arrived in `.shiftboss/inbox/`.
    Inbox,
    /// A console attached: it wants a snapshot now.
    Wake,
}

/// Inputs from other threads (agents' readers, gates, the console) waiting
/// for the runner, at most.
pub const INFLIGHT: usize = 64;

/// The console's way to the runner.
#[derive(Clone)]
pub struct Commands(SyncSender<External>);

impl Commands {
    /// Send an operator command; false if the runner is gone.
    pub fn send(&self, cmd: Command) -> bool {
        self.0.send(External::Command(cmd)).is_ok()
    }

    /// The console is closing: the run ends.
    pub fn close(&self) {
        let _ = self.0.send(External::Close);
    }

    /// A console attached: the runner publishes what it has (never
    /// waiting: a full channel means the runner is busy and publishes soon).
    pub fn wake(&self) {
        let _ = self.0.try_send(External::Wake);
    }
}

pub struct Swarm {
    engine: Engine,
    store: Store,
    exec: Executor,
    clock: VirtualClock,
    timeline: Timeline,
    inputs: VecDeque<Input>,
    buffer: Vec<Event>,
    paths: Paths,
    wall_start: Instant,
    resumed: bool,
    observed: Observed,
    observer: Option<Observer>,
    tap: Option<Tap>,
    dirty: bool,
    last_publish: Option<Instant>,
    /// How long the last snapshot took to make.
    snapshot_cost: Duration,
    speed: Speed,
    /// Where pacing is anchored: (virtual time, wall time).
    anchor: (Millis, Instant),
    /// The owner lock, held as long as the swarm is open.
    _owner: owner::OwnerLock,
    ext_tx: SyncSender<External>,
    ext_rx: Receiver<External>,
    closed: bool,
    /// The last write to the log failed for want of space: events wait in
    /// `buffer`, and the effects they led to wait here (events first, always).
    log_full: bool,
    held: Vec<Effect>,
    /// How many unwritten events may wait in memory (`disk::MAX_UNWRITTEN`).
    max_unwritten: usize,
    /// The repository's `.git/config`, recorded while real agents run.
    config_watch: ConfigWatch,
    inbox_watch: inbox_watch::InboxWatch,
    /// Task hand-offs refused in this run, for the summary.
    errors: Vec<String>,
    /// The simulated operator, when the scenario has one.
    operator: Option<operator::Operator>,
    /// The socket attached consoles reach the swarm through.
    hub: Option<attach::Hub>,
}

use crate::domain::Event;

#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Git(#[from] crate::merge::GitError),
    #[error("{0}")]
    DiskFull(String),
    #[error(transparent)]
    Owner(#[from] owner::OwnerError),
}

/// The runner's channel, the sink agents' readers send to, and the watches
/// that wake the runner.
struct Wires {
    ext_tx: SyncSender<External>,
    ext_rx: Receiver<External>,
    emit: Sink,
    config_watch: ConfigWatch,
    inbox_watch: inbox_watch::InboxWatch,
}

impl Wires {
    fn new(paths: &Paths, repo: &Repo) -> Wires {
        // Bounded: an agent's reader blocks when the runner is behind, so the
        // agent's pipe fills and the agent waits; nothing queues without limit
        // (lines are capped, so at most INFLIGHT MiB are in flight).
        let (ext_tx, ext_rx) = mpsc::sync_channel(INFLIGHT);
        let tx = ext_tx.clone();
        let emit: Sink = std::sync::Arc::new(move |input| {
            let _ = tx.send(External::Input(input));
        });
        let config_watch = ConfigWatch::new(&repo.config_file());
        let wake = ext_tx.clone();
        let inbox_watch = inbox_watch::InboxWatch::start(&inbox::folder(&paths.dir), move || {
            // Full: the runner has messages to take anyway, and the flag
            // stays set until it reads the inbox.
            let _ = wake.try_send(External::Inbox);
        });
        Wires {
            ext_tx,
            ext_rx,
            emit,
            config_watch,
            inbox_watch,
        }
    }
}

impl Swarm {
    /// Open the swarm in `paths`: a new one (bootstrapped at `start` with
    /// `backlog`) if the log is empty, else the one found there, reconciled.
    pub fn open(
        paths: Paths,
        settings: Settings,
        sim: SimSettings,
        gate_timeout: Duration,
        start: Millis,
        backlog: &[TaskSpec],
    ) -> Result<Swarm, SwarmError> {
        Swarm::open_with(
            paths,
            settings,
            Runtimes::only(AgentRuntime::Sim),
            sim,
            gate_timeout,
            start,
            backlog,
        )
    }

    /// Open with real agent processes (or the simulator) as the runtime,
    /// taking the swarm's owner lock first.
    pub fn open_with(
        paths: Paths,
        settings: Settings,
        runtimes: Runtimes,
        sim: SimSettings,
        gate_timeout: Duration,
        start: Millis,
        backlog: &[TaskSpec],
    ) -> Result<Swarm, SwarmError> {
        let lock = owner::OwnerLock::acquire(&paths.dir)?;
        Swarm::open_owned(
            lock,
            paths,
            settings,
            runtimes,
            sim,
            gate_timeout,
            start,
            backlog,
        )
    }

    /// Open with the owner lock already taken (by a caller that had to
    /// hold it before writing anything else).
    #[allow(clippy::too_many_arguments)]
    pub fn open_owned(
        lock: owner::OwnerLock,
        paths: Paths,
        settings: Settings,
        runtimes: Runtimes,
        sim: SimSettings,
        gate_timeout: Duration,
        start: Millis,
        backlog: &[TaskSpec],
    ) -> Result<Swarm, SwarmError> {
        // The repository first: a bad target or a folder that is not a
        // repository is refused before anything is written.
        let repo = Repo::open(&paths.root, &paths.worktrees, &settings.target)?;
        let mut store = Store::open(&paths.db)?;
        let seed = settings.seed;
        // A log may hold tasks added before the swarm's first start.
        let (engine, facts) = resume::engine(&mut store, settings)?;
        let resumed = !engine.state().target.is_empty();
        if resumed {
            // Nothing restarts while an agent of the last run still runs.
            recover::before_resume(&paths.root, &paths.worktrees, &facts.spawned);
        }
        drop(facts);
        // Resumed: where the log left off (or now, for real agents on the wall clock).
        let now = start.max(engine.state().now);
        let Wires {
            ext_tx,
            ext_rx,
            emit,
            config_watch,
            inbox_watch,
        } = Wires::new(&paths, &repo);
        let mut swarm = Swarm {
            log_full: false,
            held: Vec::new(),
            max_unwritten: disk::MAX_UNWRITTEN,
            config_watch,
            inbox_watch,
            clock: VirtualClock::starting_at(now),
            exec: Executor::new(
                repo,
                sim,
                seed,
                gate_timeout,
                runtimes,
                emit,
                paths.dir.join("prompts"),
            ),
            timeline: Timeline::default(),
            inputs: VecDeque::new(),
            buffer: Vec::new(),
            paths,
            wall_start: Instant::now(),
            resumed,
            observed: Observed {
                events_total: store.last_seq()?,
                ..Observed::default()
            },
            store,
            engine: Engine::new(Settings::default()),
            observer: None,
            tap: None,
            dirty: true,
            last_publish: None,
            snapshot_cost: Duration::ZERO,
            speed: Speed::Max,
            anchor: (now, Instant::now()),
            _owner: lock,
            ext_tx,
            ext_rx,
            closed: false,
            errors: Vec::new(),
            operator: None,
            hub: None,
        };
        swarm.begin(engine, now, backlog)?;
        Ok(swarm)
    }

    /// The first step: a new log bootstrapped, or a resumed one reconciled;
    /// hand-offs taken in; the first tick on the timeline.
    fn begin(
        &mut self,
        mut engine: Engine,
        now: Millis,
        backlog: &[TaskSpec],
    ) -> Result<(), SwarmError> {
        // Real agents: the wall clock's pace from the start.
        self.set_speed(Speed::Max);
        let step = if self.resumed {
            engine.reconcile(now, &[])
        } else {
            engine.bootstrap(now, backlog)
        };
        self.engine = engine;
        self.handle(step)?;
        // Hand-offs left by `task add` after the last owner's last tick.
        self.take_in_handed_tasks()?;
        // What the first starts answered (a process's pid) is logged now,
        // not at the first tick.
        self.drain()?;
        let tick = self.engine.settings().tick();
        self.timeline.push(now + tick, Wake::Tick);
        Ok(())
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn was_resumed(&self) -> bool {
        self.resumed
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Record a step's events and carry out its effects. Events reach the
    /// log before any effect they caused runs.
    fn handle(&mut self, step: Step) -> Result<(), SwarmError> {
        if !step.events.is_empty() {
            self.observed.events(&step.events);
            self.operator_plans(&step.events);
            self.dirty = true;
            if self.observer.is_none() {
                disk::announce(&step.events);
            }
        }
        // A process's pid is in the log at once: a restart must find it.
        let spawned = step
            .events
            .iter()
            .any(|e| matches!(e.kind, crate::domain::EventKind::AgentSpawned { .. }));
        self.buffer.extend(step.events);
        if spawned || !step.effects.is_empty() || self.buffer.len() >= BATCH {
            self.flush()?;
        }
        // Effects whose events are not in the log yet wait for space; once
        // it is back, they run in order before the new ones.
        self.held.extend(step.effects);
        if !self.log_full {
            let effects = std::mem::take(&mut self.held);
            self.perform(effects);
        } else if self.buffer.len() >= self.max_unwritten {
            // Memory is bounded too: the swarm stops, its log consistent
            // up to its last write.
            self.closed = true;
        }
        Ok(())
    }

    /// Carry out effects whose events are in the log.
    fn perform(&mut self, effects: Vec<Effect>) {
        let now = self.clock.now();
        for effect in effects {
            trace::effect(&effect);
            if let Effect::Start { model, .. } = &effect
                && self.exec.runs_processes(model)
            {
                self.config_watch.arm();
            }
            self.exec.execute(
                now,
                effect,
                self.engine.state(),
                &mut self.timeline,
                &mut self.inputs,
            );
        }
    }

    /// Write buffered events in one transaction. A write that fails for
    /// want of space keeps them (none half-written: the transaction rolls
    /// back) and is retried when space returns.
    pub fn flush(&mut self) -> Result<(), SwarmError> {
        if !self.buffer.is_empty() {
            match self.store.append(&self.buffer) {
                Ok(_) => {
                    if let Some(tap) = &mut self.tap {
                        self.buffer.iter().for_each(tap);
                    }
                    self.buffer.clear();
                    self.log_full = false;
                }
                Err(e) if disk::says_full(&e.to_string()) => {
                    if !self.log_full {
                        self.log_full = true;
                        self.inputs.push_back(self.disk_full_input());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Feed an input now and everything it sets off at the same instant.
    pub fn input(&mut self, input: Input) -> Result<(), SwarmError> {
        self.inputs.push_back(input);
        self.drain()
    }

    /// An operator command; refused with the reason if it makes no sense now.
    pub fn command(&mut self, cmd: Command) -> Result<Result<(), String>, SwarmError> {
        if let Err(why) = self.engine.check_command(&cmd) {
            return Ok(Err(why));
        }
        if let Command::SetSpeed(s) = &cmd {
            if self.real_time() {
                return Ok(Err(REAL_TIME.to_string()));
            }
            let Some(speed) = Speed::parse(s) else {
                return Ok(Err(format!(
                    "speed {s:?}: expected a factor such as 60, or max"
                )));
            };
            self.set_speed(speed);
        }
        self.input(Input::Operator(cmd))?;
        Ok(Ok(()))
    }

    fn drain(&mut self) -> Result<(), SwarmError> {
        while let Some(input) = self.inputs.pop_front() {
            if let Input::AgentLine { session, line } = &input
                && let Some((agent, _)) = session.as_str().split_once('#')
            {
                self.observed
                    .line(&crate::domain::AgentId::new(agent), line);
            }
            trace::input(&input);
            self.weather_before(&input)?;
            let step = self.engine.step(self.clock.now(), input);
            self.handle(step)?;
        }
        Ok(())
    }

    /// Process the next thing on the timeline, if it is due by `limit`.
    /// Returns false when nothing is left before `limit`.
    pub fn advance(&mut self, limit: Millis) -> Result<bool, SwarmError> {
        let Some(at) = self.timeline.peek_time() else {
            return Ok(false);
        };
        if at > limit {
            self.clock.advance_to(limit);
            return Ok(false);
        }
        let (at, wake) = self.timeline.pop().expect("peeked");
        self.clock.advance_to(at);
        match wake {
            Wake::Tick => {
                self.check_disk()?;
                // As fast as it goes, virtual time outruns the watch's
                // thread: the folder's changes are asked for at every
                // tick. On the wall clock, the watch says when a file came.
                let due = if self.speed == Speed::Max {
                    self.inbox_watch.take_at_full_speed()
                } else {
                    self.inbox_watch.take()
                };
                if due {
                    self.take_in_handed_tasks()?;
                }
                self.exec.tick();
                self.inputs.push_back(Input::Tick);
                let tick = self.engine.settings().tick();
                self.timeline.push(at + tick, Wake::Tick);
            }
            Wake::Session {
                session,
                generation,
            } => self.exec.run_session(
                at,
                &session,
                generation,
                &mut self.timeline,
                &mut self.inputs,
            ),
            Wake::Input(input) => self.inputs.push_back(input),
            Wake::Operator(d) => self.operator_decides(d)?,
        }
        self.drain()?;
        Ok(true)
    }

    /// Send the console the things it watches.
    pub fn observe(&mut self, observer: Observer) {
        self.observer = Some(observer);
        self.dirty = true;
    }

    /// Hand `tap` every event written from now on (the events before are
    /// the store's to read).
    pub fn tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }

    /// An owned picture of the swarm for the console.
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = self.observed.snapshot(
            &self.engine,
            self.clock.now(),
            self.speed.to_string(),
            self.real_time(),
        );
        snap.sandbox_off = self.exec.unconfined();
        snap
    }

    /// Serve attached consoles on `.shiftboss/run/owner.sock` for as long
    /// as the swarm is open.
    pub fn serve_consoles(&mut self) -> std::io::Result<&std::path::Path> {
        let hub = attach::Hub::start(&self.paths.dir, self.commands())?;
        Ok(self.hub.insert(hub).path())
    }

    /// How many consoles are attached over the socket.
    pub fn consoles(&self) -> usize {
        self.hub.as_ref().map_or(0, |h| h.consoles())
    }

    /// A handle other threads (the console) use to send commands.
    pub fn commands(&self) -> Commands {
        Commands(self.ext_tx.clone())
    }

    /// Sessions the executor is running.
    pub fn live_sessions(&self) -> Vec<SessionId> {
        self.exec.live_sessions()
    }

    pub(crate) fn wall_elapsed(&self) -> Duration {
        self.wall_start.elapsed()
    }

    pub(crate) fn commits(&self) -> u64 {
        self.exec.agent_commits(self.engine.state())
    }

    /// Task hand-offs refused in this run (`inbox.rs`).
    pub(crate) fn errors(&self) -> &[String] {
        &self.errors
    }
}
