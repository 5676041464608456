//! A merge train: the queue's batches (cars) gated at once instead of one
//! after another. Each car's entries are merged in memory onto the car
//! before it (the first onto the target), so car k+1's candidate holds car
//! k's; up to `cars` candidates are gated together, each in a queue
//! worktree of its own (`_queue`, `_queue-2`, …, made once and kept).
//!
//! Results are taken in order. A car whose gates passed moves the target
//! (compare-and-swap from the car before it, which the target then is) and
//! the next car is built behind the last one in flight. A car that failed
//! goes back to an agent when it holds one entry, and is split in halves
//! otherwise: the halves are the next cars, so a bisection's halves are
//! gated at once too, the second on the first. Every car behind a failed
//! one was built on a tree the target will never be: what their gates said
//! is dropped, their entries are merged again on the new target and gated
//! again. The target only ever moves to a candidate whose gates
//! passed, and every candidate's objects are stored (`mem_odb.rs`) before
//! it is checked out.
//!
//! What a train does is a function of the gates' verdicts alone, never of
//! which gate ends first: a landing in virtual time stays deterministic.

use super::gate::GateReport;
use super::land::Included;
use super::{GitError, LandEntry, LandOptions, Landing, Repo, run_gates};
use crate::domain::{BatchRun, MergeOutcome, TaskId, shared_glob_set};
use git2::Oid;
use globset::GlobSet;
use std::collections::VecDeque;
use std::thread::{Scope, ScopedJoinHandle};

/// How a landing's entries go: in cars of `batch` entries, at most `cars`
/// gated at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Train {
    pub batch: usize,
    pub cars: usize,
}

impl Train {
    /// Every entry in one batch, gated alone: the queue without a train.
    pub const ONE: Train = Train {
        batch: usize::MAX,
        cars: 1,
    };
}

impl Default for Train {
    fn default() -> Self {
        Train::ONE
    }
}

/// One car: its entries merged onto the car ahead of it.
struct Car<'e, 's> {
    entries: Vec<&'e LandEntry>,
    base: Oid,
    candidate: Oid,
    included: Vec<Included<'e>>,
    /// Entries that could not be merged into it: true once every car
    /// ahead of it has landed, dropped with it otherwise.
    results: Vec<(TaskId, MergeOutcome)>,
    gate: Option<Gating<'s>>,
}

/// A car's gates running on a thread of their own.
struct Gating<'s> {
    slot: usize,
    /// When they end, in gate runs since the train started.
    ends: usize,
    run: ScopedJoinHandle<'s, GateReport>,
}

/// The cars in flight, oldest first, and the gates of dropped cars still
/// running (their worktrees taken until they end).
struct InFlight<'e, 's> {
    moving: VecDeque<Car<'e, 's>>,
    draining: VecDeque<Gating<'s>>,
}

/// A landing's train in motion.
struct Drive<'r, 'o, 'e> {
    repo: &'r Repo,
    opts: &'o LandOptions<'o>,
    append_only: std::sync::Arc<GlobSet>,
    cars: usize,
    waiting: VecDeque<Vec<&'e LandEntry>>,
    /// Queue worktrees no car is gated in.
    free: Vec<usize>,
    /// Gate runs waited for one after another so far.
    clock: usize,
}

impl Repo {
    /// Land `entries` (in queue order) as a train (see the module docs);
    /// with one car, or entries for one, this is [`Repo::land`].
    pub fn land_train(
        &self,
        entries: &[LandEntry],
        opts: &LandOptions<'_>,
        train: Train,
    ) -> Landing {
        let batch = train.batch.max(1);
        if train.cars <= 1 || entries.len() <= batch {
            return self.land(entries, opts);
        }
        let mut out = Landing::default();
        if self.landings_held(opts.onto, &mut out) {
            return out;
        }
        let mut drive = Drive {
            repo: self,
            opts,
            append_only: shared_glob_set(opts.append_only),
            cars: train.cars,
            waiting: entries.chunks(batch).map(|c| c.iter().collect()).collect(),
            free: (0..train.cars).rev().collect(),
            clock: 0,
        };
        if let Err(e) = std::thread::scope(|s| drive.run(s, &mut out)) {
            out.error = Some(e.to_string());
        }
        out.serial_runs = drive.clock;
        out
    }
}

impl<'e> Drive<'_, '_, 'e> {
    fn run<'s>(&mut self, s: &'s Scope<'s, '_>, out: &mut Landing) -> Result<(), GitError> {
        let mut flight = InFlight {
            moving: VecDeque::new(),
            draining: VecDeque::new(),
        };
        let result = self.cars_in_order(s, &mut flight, out);
        // However it ended, no gate is left running behind it.
        self.discard(&mut flight, false);
        while let Some(g) = flight.draining.pop_front() {
            let _ = self.wait(g);
        }
        result
    }

    fn cars_in_order<'s>(
        &mut self,
        s: &'s Scope<'s, '_>,
        flight: &mut InFlight<'e, 's>,
        out: &mut Landing,
    ) -> Result<(), GitError> {
        loop {
            while flight.moving.len() < self.cars && out.held.is_empty() {
                let Some(entries) = self.waiting.pop_front() else {
                    break;
                };
                let base = match flight.moving.back() {
                    Some(c) => c.candidate,
                    None => self.repo.dest_oid(self.opts.onto)?,
                };
                let car = self.build(s, base, entries, flight, out)?;
                flight.moving.push_back(car);
            }
            let Some(front) = flight.moving.pop_front() else {
                return Ok(());
            };
            self.arrive(front, flight, out)?;
        }
    }

    /// The car merged onto `base` in memory, its objects stored, and its
    /// gates started in a free queue worktree.
    fn build<'s>(
        &mut self,
        s: &'s Scope<'s, '_>,
        base: Oid,
        entries: Vec<&'e LandEntry>,
        flight: &mut InFlight<'e, 's>,
        out: &mut Landing,
    ) -> Result<Car<'e, 's>, GitError> {
        let (repo, opts) = (self.repo, self.opts);
        let mut own = Landing::default();
        let (candidate, included) = repo.objects_in_memory(|| {
            repo.candidate(base, &entries, opts, &self.append_only, &mut own)
        })?;
        // Money spent is spent, whatever becomes of the car.
        out.spent.append(&mut own.spent);
        if out.ai_unreachable.is_none() {
            out.ai_unreachable = own.ai_unreachable;
        }
        let mut car = Car {
            entries,
            base,
            candidate,
            included,
            results: own.results,
            gate: None,
        };
        if car.included.is_empty() || opts.checks.is_empty() || candidate == base {
            return Ok(car);
        }
        // Fewer cars in flight than worktrees: one is free, or a dropped
        // car's gates hold it until they end.
        if self.free.is_empty()
            && let Some(g) = flight.draining.pop_front()
        {
            let _ = self.wait(g);
        }
        let slot = self
            .free
            .pop()
            .expect("a queue worktree for every car in flight");
        let dir = match repo.queue_worktree_in(slot, candidate, opts.at) {
            Ok(dir) => dir,
            Err(e) => {
                self.free.push(slot);
                return Err(e);
            }
        };
        let (checks, env, timeout) = (opts.checks.to_vec(), opts.env.to_vec(), opts.timeout);
        car.gate = Some(Gating {
            slot,
            ends: self.clock + 1,
            run: s.spawn(move || run_gates(&dir, &checks, timeout, &env)),
        });
        Ok(car)
    }

    /// The car at the front: every car ahead of it has landed, so its base
    /// is the target. Passed, it lands; failed, its entry goes back or its
    /// halves are the next cars, and the cars behind it go back to wait.
    fn arrive<'s>(
        &mut self,
        mut front: Car<'e, 's>,
        flight: &mut InFlight<'e, 's>,
        out: &mut Landing,
    ) -> Result<(), GitError> {
        out.results.append(&mut front.results);
        let report = match front.gate.take() {
            Some(g) => Some(self.wait(g)?),
            None => None,
        };
        if front.included.is_empty() {
            return Ok(());
        }
        if let Some(r) = &report {
            out.runs.push(self.batch_run(&front, r));
        }
        let Some(r) = report.filter(|r| !r.passed) else {
            self.repo.land_passed(
                front.base,
                front.candidate,
                front.included,
                self.opts.onto,
                out,
            )?;
            if !out.held.is_empty() {
                self.discard(flight, false);
            }
            return Ok(());
        };
        self.discard(flight, true);
        if let [_] = front.included.as_slice() {
            // One entry: rejected with what the gate found.
            return self
                .repo
                .failed_batch(&r, &front.included, self.opts, &self.append_only, out);
        }
        let entries: Vec<&'e LandEntry> = front.included.iter().map(|i| i.0).collect();
        let (a, b) = entries.split_at(entries.len() / 2);
        self.waiting.push_front(b.to_vec());
        self.waiting.push_front(a.to_vec());
        Ok(())
    }

    fn batch_run(&self, car: &Car<'_, '_>, r: &GateReport) -> BatchRun {
        BatchRun {
            at: self.opts.at,
            tasks: car
                .included
                .iter()
                .map(|(e, _, _, _)| e.task.clone())
                .collect(),
            base: car.base.to_string(),
            passed: r.passed,
            gate: r.gate.clone(),
            output: r.output.clone(),
        }
    }

    /// A car's gates waited for; its queue worktree free again.
    fn wait(&mut self, g: Gating<'_>) -> Result<GateReport, GitError> {
        self.free.push(g.slot);
        self.clock = self.clock.max(g.ends);
        g.run.join().map_err(|_| GitError::Io {
            path: self.repo.root.clone(),
            action: "gate a merge train's car".into(),
            source: std::io::Error::other("the gates' thread ended without a report"),
        })
    }

    /// The cars in flight dropped (their gates left to end, what they say
    /// never read); `again`: their entries go back to wait (in order), to
    /// be merged on the new target.
    fn discard<'s>(&mut self, flight: &mut InFlight<'e, 's>, again: bool) {
        while let Some(car) = flight.moving.pop_back() {
            if let Some(g) = car.gate {
                flight.draining.push_front(g);
            }
            if again {
                self.waiting.push_front(car.entries);
            }
        }
    }
}
