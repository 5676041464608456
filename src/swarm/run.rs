//! The run: the loop that takes messages from other threads, waits for the
//! wall clock when paced, advances the timeline and publishes snapshots;
//! and the end of a run.

use super::summary::{self, Summary};
use super::{External, Published, SessionId, Speed, Swarm, SwarmError, trace};
use crate::domain::protocol::Signal;
use crate::domain::{HOUR, Millis};
use crate::engine::{Clock, Command, Input};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Stop at this virtual time (ms since the epoch).
    pub until: Option<Millis>,
    /// Stop when nothing can make progress without the operator.
    pub stop_when_idle: bool,
    pub speed: Speed,
    /// Approve every pause point as it comes (headless runs).
    pub approve_all: bool,
    /// Print a line per virtual hour to stderr.
    pub progress: bool,
}

/// Set by SIGINT or SIGTERM once `stop_on_signals` was called.
static STOP: std::sync::LazyLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
    std::sync::LazyLock::new(Default::default);

/// Make SIGINT and SIGTERM end a run cleanly (agents' work kept, agents
/// stopped, the log written) instead of killing shiftboss under them.
pub fn stop_on_signals() {
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, std::sync::Arc::clone(&STOP)) {
            tracing::warn!(signal, error = %e, "could not take over a stop signal");
        }
    }
}

fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// The console gets at most one snapshot per this long.
const PUBLISH_EVERY: Duration = Duration::from_millis(16);

/// What the loop does after a wait.
enum Go {
    /// Look again (a message came, or the wall clock is not there yet).
    Wait,
    /// The run is over.
    End,
    /// Step the timeline.
    Step,
}

impl Swarm {
    fn publish(&mut self, force: bool) {
        let remote = self.hub.as_ref().is_some_and(|h| h.wanted());
        if !self.dirty || (self.observer.is_none() && !remote) {
            return;
        }
        // At most ~60 a second, and never more than a fifth of the engine's
        // time: a snapshot of a thousand agents costs milliseconds.
        let every = PUBLISH_EVERY.max(self.snapshot_cost * 4);
        if !force && self.last_publish.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        let started = Instant::now();
        let snap = self.snapshot();
        self.snapshot_cost = started.elapsed();
        match (self.observer.as_mut(), self.hub.as_ref().filter(|_| remote)) {
            (Some(obs), Some(hub)) => {
                hub.publish(snap.clone());
                obs(Published::Snapshot(Box::new(snap)));
            }
            (Some(obs), None) => obs(Published::Snapshot(Box::new(snap))),
            (None, Some(hub)) => hub.publish(snap),
            (None, None) => {}
        }
        self.dirty = false;
        self.last_publish = Some(Instant::now());
    }

    fn apply_command(&mut self, cmd: Command) -> Result<(), SwarmError> {
        if let Err(why) = self.command(cmd)? {
            if let Some(hub) = &self.hub {
                hub.notice(why.clone());
            }
            if let Some(obs) = self.observer.as_mut() {
                obs(Published::Notice(why));
            }
        }
        Ok(())
    }

    fn external(&mut self, msg: External) -> Result<(), SwarmError> {
        match msg {
            External::Command(cmd) => self.apply_command(cmd)?,
            External::Input(input) => {
                // It happened now: move virtual time to the wall clock's
                // reading of it.
                let now = self.paced_now();
                self.clock.advance_to(now);
                if let Input::AgentLine { session, line } = &input
                    && line.starts_with("::pause::")
                {
                    self.exec.clear_decision(session);
                }
                if let Input::AgentExited { session, .. } = &input
                    && let Some((peak_rss_kib, wall_ms)) = self.exec.forget(session)
                {
                    let others = self.exec.has_processes();
                    self.check_repo_config(session.clone(), others)?;
                    self.input(Input::AgentSignal {
                        session: session.clone(),
                        signal: Signal::Resources {
                            peak_rss_kib,
                            wall_ms,
                        },
                    })?;
                }
                self.input(input)?
            }
            External::Close => self.closed = true,
            External::Wake => self.dirty = true,
            External::Inbox => {
                if self.inbox_watch.take() {
                    self.take_in_handed_tasks()?;
                }
            }
        }
        Ok(())
    }

    /// After the run: keep taking commands (the operator may still act on
    /// what is left) until the console closes.
    pub fn serve_until_closed(&mut self) -> Result<(), SwarmError> {
        while !self.closed && !stop_requested() {
            match self.ext_rx.recv_timeout(Duration::from_millis(250)) {
                Ok(msg) => self.external(msg)?,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.flush()?;
            self.publish(true);
        }
        Ok(())
    }

    /// Run until the options say stop or the console closes. Commands and
    /// agents' output from other threads are applied between steps.
    pub fn run(&mut self, opts: &RunOptions) -> Result<Summary, SwarmError> {
        let until = opts.until.unwrap_or(Millis::MAX);
        self.set_speed(opts.speed);
        let mut next_report = (self.clock.now() / HOUR + 1) * HOUR;
        while !self.closed {
            if opts.approve_all
                && self
                    .engine
                    .state()
                    .waiting_pauses()
                    .any(|p| p.kind != crate::domain::PauseKind::Checkout)
            {
                self.input(Input::Operator(Command::ApproveAll))?;
            }
            // An attached console's operator may still act: the run waits.
            if opts.stop_when_idle
                && self.consoles() == 0
                && !self.engine.can_progress()
                && !self.operator_pending()
                && self.inputs.is_empty()
                && !self.exec.has_processes()
            {
                break;
            }
            let Some(next) = self.timeline.peek_time() else {
                break;
            };
            // Up to the next thing on the timeline, or the end of the run.
            let at = next.min(until);
            if stop_requested() {
                tracing::info!("a stop signal came: ending the run");
                break;
            }
            let go = match self.speed {
                Speed::Times(x) => self.wait_paced(x, at, next > until)?,
                Speed::Max => self.take_messages(at, next > until)?,
            };
            match go {
                Go::Wait => continue,
                Go::End => break,
                Go::Step => {}
            }
            self.advance(until)?;
            self.publish(false);
            if opts.progress && self.clock.now() >= next_report {
                self.report_progress()?;
                next_report += HOUR;
            }
        }
        self.publish(true);
        self.finish()
    }

    /// Paced: wait for the wall clock to reach `at`, taking messages
    /// meanwhile. What happened so far is in the log before any wait: a
    /// kill during the wait loses nothing.
    fn wait_paced(&mut self, x: f64, at: Millis, past_end: bool) -> Result<Go, SwarmError> {
        self.flush()?;
        self.publish(true);
        let (v0, w0) = self.anchor;
        let due = w0 + Duration::from_secs_f64((at - v0).max(0) as f64 / 1000.0 / x);
        // Wake at least every quarter second to notice a stop request.
        let wait = due
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(250));
        match self.ext_rx.recv_timeout(wait) {
            Ok(msg) => {
                self.external(msg)?;
                return Ok(Go::Wait);
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() < due => return Ok(Go::Wait),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(Go::End),
        }
        if past_end {
            self.clock.advance_to(at);
            return Ok(Go::End);
        }
        Ok(Go::Step)
    }

    /// As fast as it goes: take what other threads sent, then step.
    fn take_messages(&mut self, at: Millis, past_end: bool) -> Result<Go, SwarmError> {
        if past_end {
            self.clock.advance_to(at);
            return Ok(Go::End);
        }
        while let Ok(msg) = self.ext_rx.try_recv() {
            self.external(msg)?;
        }
        Ok(if self.closed { Go::End } else { Go::Step })
    }

    /// A line per virtual hour on stderr.
    fn report_progress(&mut self) -> Result<(), SwarmError> {
        self.flush()?;
        let s = self.engine.state();
        eprintln!(
            "shiftboss: {} virtual · {} merged · {} in progress · {} events",
            summary::clock_span(s.started_at, self.clock.now()),
            s.merges,
            s.busy_agents(),
            self.observed.events_total
        );
        Ok(())
    }

    fn finish(&mut self) -> Result<Summary, SwarmError> {
        tracing::info!("the run ends: stopping every agent");
        self.exec
            .stop_all(self.clock.now(), &mut self.timeline, &mut self.inputs);
        self.record_last_failures()?;
        self.check_repo_config(SessionId::new("shutdown".to_string()), false)?;
        self.flush()?;
        if self.log_full {
            return Err(SwarmError::DiskFull(format!(
                "{}: disk full: {} events could not be written to the log; \
                 free space and run `shiftboss up` to go on from its last write",
                self.paths.db.display(),
                self.buffer.len()
            )));
        }
        Summary::gather(self)
    }

    /// What failed as the last agents stopped (their work could not be
    /// kept) reaches the log; the run is over, so nothing it sets off runs.
    fn record_last_failures(&mut self) -> Result<(), SwarmError> {
        while let Some(input) = self.inputs.pop_front() {
            trace::input(&input);
            let step = self.engine.step(self.clock.now(), input);
            if !step.effects.is_empty() {
                tracing::warn!(
                    effects = step.effects.len(),
                    "after the run: effects not performed"
                );
            }
            self.observed.events(&step.events);
            self.buffer.extend(step.events);
        }
        Ok(())
    }
}
