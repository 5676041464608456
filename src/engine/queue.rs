//! Gates and the merge queue. A finished task's branch passes its gates
//! (commands, owned scope, protected paths) and joins the queue; the queue
//! lands entries in batches on the target (a coder's task of a team with an
//! agent lead: on the team's integration branch; a batch never mixes the
//! two), where the merged result is gated again before the branch moves.
//! Conflicts go through the tiers (`clean`, `auto`, `ai`) and, when none
//! merges them, back to an agent (`reimagine`). Workers never touch the
//! target; only this queue moves it.

use super::{Attr, Effect, Engine, Step};
use crate::domain::*;
use crate::merge::{LandEntry, Train};

/// Gate output kept in the log per run; the full output stays with the executor.
const GATE_OUTPUT_KEPT: usize = 4000;
/// How often a checkout holding landings is looked at again.
const CHECKOUT_RECHECK: Millis = 5_000;

/// Up to five names, then how many more.
fn some_of(files: &[String]) -> String {
    let mut s = files.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if files.len() > 5 {
        s.push_str(&format!(" and {} more", files.len() - 5));
    }
    s
}

fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

fn last_line(output: &str) -> String {
    output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}

/// The structured context a rejected task goes back with.
fn rejection_context(gate: &str, findings: &[GateFinding], output: &str) -> String {
    let mut s = format!("rejected by the gate `{gate}`");
    if findings.is_empty() {
        let last = last_line(output);
        if !last.is_empty() {
            s.push_str(&format!(": {last}"));
        }
    }
    for f in findings {
        s.push_str(&format!("\n- {f}"));
    }
    s
}

impl Engine {
    pub(super) fn task_attr(&self, task: &TaskId) -> Attr {
        match &self.state.tasks[task].agent {
            Some(a) => Attr::engine().agent(a).task(task),
            None => Attr::engine().task(task),
        }
    }

    pub(crate) fn start_gates(&mut self, out: &mut Step, task: &TaskId) {
        let t = &self.state.tasks[task];
        let (Some(agent), Some(branch)) = (t.agent.clone(), t.branch.clone()) else {
            return;
        };
        let mut checks = self.settings.gates.clone();
        checks.extend(t.spec.checks.iter().cloned());
        let scope = if self.settings.scope_check {
            t.spec.scope.clone()
        } else {
            Vec::new()
        };
        // A coder's branch, and its lead's integration, are measured
        // against the team branch they started from: the integration's own
        // changes, the coders' having passed their own gates.
        let base = self.base_of(task);
        self.live.gating.insert(task.clone());
        out.effects.push(Effect::RunGates {
            task: task.clone(),
            agent,
            branch,
            checks,
            scope,
            protected: self.settings.protected.clone(),
            base,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_gates(
        &mut self,
        out: &mut Step,
        task: TaskId,
        passed: bool,
        gate: String,
        output: String,
        findings: Vec<GateFinding>,
        changed: Vec<String>,
    ) {
        if !self.live.gating.remove(&task) {
            return;
        }
        let attr = self.task_attr(&task);
        if !passed && self.state.disk_full.is_some() {
            // Void, not a rejection: the task stays gating and its gates run
            // again when space returns.
            return;
        }
        self.emit(
            out,
            attr.clone(),
            EventKind::GateFinished {
                passed,
                gate: gate.clone(),
                output: tail(&output, GATE_OUTPUT_KEPT),
                findings: findings.clone(),
                changed,
            },
        );
        if passed {
            let seq = self.state.merge_seq + 1;
            let onto = self.team_branch_of(&self.state.tasks[&task]);
            self.emit(out, attr, EventKind::MergeQueued { seq, onto });
            return;
        }
        self.send_back(out, &task, rejection_context(&gate, &findings, &output));
    }

    /// A gate rejected the task's work: back to its agent with the context,
    /// or failed with a concern after too many rejections.
    fn send_back(&mut self, out: &mut Step, task: &TaskId, reason: String) {
        let attr = self.task_attr(task);
        let failures = self.state.tasks[task].gate_failures;
        if failures >= self.settings.max_rejections {
            let first = reason.lines().next().unwrap_or("").to_string();
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskFailed {
                    reason: format!("{reason}\n({failures} rejections)"),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Gate,
                Impact::High,
                0.9,
                format!("{task} rejected by the gates {failures} times; last: {first}"),
            );
            self.block_dependents(out, task);
        } else {
            self.emit(out, attr, EventKind::TaskReworked { reason });
            self.recurring_to_triage(out, task, true);
        }
    }

    /// The order key of a queue entry: the operator's moves, then priority
    /// (less a point per time the queue sent it back), the convoy's age,
    /// and arrival.
    fn queue_key(&self, t: &Task) -> (i64, i64, usize, u64) {
        let convoy_age = self
            .state
            .convoys
            .iter()
            .position(|c| *c == t.spec.convoy)
            .unwrap_or(usize::MAX);
        (
            t.queue_key,
            -(t.spec.priority as i64 - t.merge_retries as i64),
            convoy_age,
            t.queued_seq.unwrap_or(u64::MAX),
        )
    }

    /// The entries waiting to merge, in the order they will go.
    pub fn merge_queue(&self) -> Vec<&Task> {
        let mut q: Vec<&Task> = self
            .state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Queued)
            .collect();
        q.sort_by_key(|t| self.queue_key(t));
        q
    }

    /// The open pause point of a checkout holding landings.
    fn checkout_pause(&self) -> Option<PauseId> {
        self.state
            .waiting_pauses()
            .find(|p| p.kind == PauseKind::Checkout)
            .map(|p| p.id.clone())
    }

    /// Whether the queue has an entry it could land now.
    pub(crate) fn queue_ready(&self) -> bool {
        self.live.landing.is_empty()
            && !self.state.frozen
            && self.state.disk_full.is_none()
            && (self.now >= self.live.recheck_at || self.checkout_pause().is_none())
            && self
                .live
                .tasks
                .queued
                .iter()
                .any(|t| self.state.tasks[t].waiting_on.is_none())
    }

    fn merge_approved(&self, task: &TaskId) -> bool {
        self.state.pauses.iter().any(|p| {
            p.kind == PauseKind::Merge
                && p.task.as_ref() == Some(task)
                && p.state == PauseState::Approved
        })
    }

    /// Where a queued task lands, as its `merge_queued` said: a team's
    /// integration branch, or the target.
    fn dest_of(&self, task: &TaskId) -> Option<String> {
        self.state.tasks[task].onto.clone()
    }

    /// The branch a queued task lands on, by name.
    pub(super) fn dest_name(&self, task: &TaskId) -> String {
        self.dest_of(task)
            .unwrap_or_else(|| self.settings.target.clone())
    }

    /// A batch of the queue's first entries that may land now, all onto
    /// one branch (the first entry's): an entry bound elsewhere waits for
    /// a later batch.
    pub(crate) fn advance_queue(&mut self, out: &mut Step) {
        if !self.queue_ready() {
            return;
        }
        let order: Vec<TaskId> = self
            .merge_queue()
            .into_iter()
            .filter(|t| t.waiting_on.is_none())
            .map(|t| t.spec.id.clone())
            .collect();
        let mut entries: Vec<LandEntry> = Vec::new();
        let mut onto: Option<Option<String>> = None;
        for task in order {
            if entries.len() >= self.settings.merge.batch * self.settings.merge.train.max(1) {
                break;
            }
            if self.merge_waits_for_approval(out, &task) {
                continue;
            }
            let dest = self.dest_of(&task);
            if onto.as_ref().is_some_and(|o| *o != dest) {
                continue;
            }
            if let Some(e) = self.queue_entry(out, &task) {
                onto = Some(dest);
                entries.push(e);
            }
        }
        if entries.is_empty() {
            return;
        }
        // The merged result passes every gate its entries would.
        let mut checks = self.settings.gates.clone();
        for e in &entries {
            for c in &self.state.tasks[&e.task].spec.checks {
                if !checks.contains(c) {
                    checks.push(c.clone());
                }
            }
        }
        self.live.landing = entries.iter().map(|e| e.task.clone()).collect();
        out.effects.push(Effect::Land {
            entries,
            onto: onto.flatten(),
            checks,
            append_only: self.settings.merge.append_only.clone(),
            ai: self.settings.merge.ai.clone(),
            train: self.train(),
        });
    }

    /// How the entries of a landing go: one batch, or a train of them.
    fn train(&self) -> Train {
        match self.settings.merge.train {
            0 | 1 => Train::ONE,
            cars => Train {
                batch: self.settings.merge.batch.max(1),
                cars,
            },
        }
    }

    /// A merge the operator must approve first (`pause_before_merge`, or a
    /// team's integration): the pause point is asked for, and `true` until
    /// it is approved.
    fn merge_waits_for_approval(&mut self, out: &mut Step, task: &TaskId) -> bool {
        if !(self.settings.pause_before_merge || self.integration_needs_approval(task))
            || self.merge_approved(task)
        {
            return false;
        }
        let id = self.state.next_pause_id();
        let reason = format!(
            "merge {task} ({}) into {}",
            self.state.tasks[task].spec.title,
            self.dest_name(task)
        );
        let attr = self.task_attr(task);
        self.emit(
            out,
            attr,
            EventKind::PauseRequested {
                id,
                pause: PauseKind::Merge,
                reason,
            },
        );
        true
    }

    /// The queue entry of `task`; none (and the task failed) without a branch.
    fn queue_entry(&mut self, out: &mut Step, task: &TaskId) -> Option<LandEntry> {
        let t = &self.state.tasks[task];
        let Some(branch) = t.branch.clone() else {
            self.emit(
                out,
                Attr::engine().task(task),
                EventKind::TaskFailed {
                    reason: "queued without a branch".into(),
                },
            );
            return None;
        };
        let agent = t.agent.clone().map(|a| a.0).unwrap_or_default();
        let message = format!(
            "Merge {task}: {}\n\nShiftboss-Task: {task}\nShiftboss-Agent: {agent}\nShiftboss-Convoy: {}\n",
            t.spec.title, t.spec.convoy
        );
        Some(LandEntry {
            task: task.clone(),
            branch,
            message,
            context: format!("{}: {}\n{}", task, t.spec.title, t.spec.spec),
            advance: self.advances(t),
        })
    }

    pub(crate) fn on_landed(
        &mut self,
        out: &mut Step,
        runs: Vec<BatchRun>,
        results: Vec<(TaskId, MergeOutcome)>,
        error: Option<String>,
        held: Vec<String>,
    ) {
        let landing = std::mem::take(&mut self.live.landing);
        if landing.is_empty() {
            return;
        }
        let onto = landing.first().and_then(|t| self.dest_of(t));
        self.on_checkout(out, &held, onto.as_deref());
        for run in runs {
            self.emit(
                out,
                Attr::engine(),
                EventKind::BatchTested {
                    tasks: run.tasks,
                    base: run.base,
                    passed: run.passed,
                    gate: run.gate,
                    output: tail(&run.output, GATE_OUTPUT_KEPT),
                },
            );
        }
        for (task, outcome) in results {
            if !landing.contains(&task) || self.state.tasks[&task].status != TaskStatus::Queued {
                continue;
            }
            self.on_outcome(out, &task, outcome);
        }
        let Some(e) = error else { return };
        if self.state.disk_full.is_some() {
            // The entries stay queued and land when space returns.
            return;
        }
        for task in landing {
            if self.state.tasks[&task].status != TaskStatus::Queued {
                continue;
            }
            let attr = self.task_attr(&task);
            self.emit(
                out,
                attr.clone(),
                EventKind::TaskBlocked {
                    reason: format!("merge failed: {e}"),
                },
            );
            self.raise(
                out,
                attr,
                ConcernSource::Merge,
                Impact::High,
                0.7,
                format!("merging {task} failed: {e}"),
            );
            self.block_dependents(out, &task);
        }
    }

    /// One concern while the `ai` tier's endpoint cannot be reached (not
    /// one per conflict): until then every conflict it would have resolved
    /// goes back to an agent as paid rework.
    pub(crate) fn on_ai_unreachable(&mut self, out: &mut Step, endpoint: Option<String>) {
        let Some(endpoint) = endpoint else { return };
        let summary = format!(
            "the merge queue's ai tier at {endpoint} cannot be reached: conflicts go back to agents as rework until it answers"
        );
        if self.state.open_concerns().any(|c| c.summary == summary) {
            return;
        }
        self.raise(
            out,
            Attr::engine(),
            ConcernSource::Merge,
            Impact::High,
            1.0,
            summary,
        );
    }

    /// One pause point for as long as the operator's checkout holds
    /// landings (on the target: changes to `held`; on a team branch `onto`:
    /// that branch checked out); decided by the engine once a landing finds
    /// it clean.
    fn on_checkout(&mut self, out: &mut Step, held: &[String], onto: Option<&str>) {
        let open = self.checkout_pause();
        if held.is_empty() {
            if let Some(id) = open {
                self.emit(
                    out,
                    Attr::engine(),
                    EventKind::PauseDecided { id, approved: true },
                );
            }
            return;
        }
        self.live.recheck_at = self.now + CHECKOUT_RECHECK;
        if open.is_none() {
            let id = self.state.next_pause_id();
            let target = &self.settings.target;
            let reason = match onto {
                Some(branch) => format!(
                    "landings on {branch} held: your checkout has it checked out; `git switch {target}` (or any other branch) and they resume"
                ),
                None => format!(
                    "landings held: your checkout of {target} has changes to {}; commit, stash or `git switch --detach` and they resume",
                    some_of(held)
                ),
            };
            self.emit(
                out,
                Attr::engine(),
                EventKind::PauseRequested {
                    id,
                    pause: PauseKind::Checkout,
                    reason,
                },
            );
        }
    }

    fn on_outcome(&mut self, out: &mut Step, task: &TaskId, outcome: MergeOutcome) {
        let attr = self.task_attr(task);
        let kept = match &outcome {
            MergeOutcome::Rejected {
                gate,
                output,
                findings,
            } => MergeOutcome::Rejected {
                gate: gate.clone(),
                output: tail(output, GATE_OUTPUT_KEPT),
                findings: findings.clone(),
            },
            o => o.clone(),
        };
        self.emit(
            out,
            attr.clone(),
            EventKind::MergeFinished { outcome: kept },
        );
        if let MergeOutcome::Merged { commit, .. } = &outcome {
            self.comment_on_merge(out, task, commit);
        }
        match outcome {
            MergeOutcome::Merged { removals, .. } if !removals.is_empty() => {
                self.on_ai_removals(out, attr, task, &removals)
            }
            MergeOutcome::Merged { .. } => {}
            MergeOutcome::Unchanged { commit } => self.on_unchanged(out, attr, task, &commit),
            MergeOutcome::Conflicted { files, .. } => self.on_conflicted(out, attr, task, files),
            MergeOutcome::Refused {
                tier,
                files,
                lines_at_risk,
            } => self.on_refused(out, attr, task, tier, &files, &lines_at_risk),
            MergeOutcome::Rejected {
                gate,
                output,
                findings,
            } => {
                let reason = format!(
                    "the merged result on {}: {}",
                    self.dest_name(task),
                    rejection_context(&gate, &findings, &output)
                );
                self.send_back(out, task, reason);
            }
        }
    }
}
