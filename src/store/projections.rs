//! The projections: tables derived from the event log, updated in the same
//! transaction as the append, one event at a time, so that they always agree
//! with [`SwarmState::apply`](crate::domain::SwarmState::apply) over the
//! same events.
//!
//! Every statement is a cached prepared statement; each event costs a few
//! single-row UPSERTs or UPDATEs keyed by primary key and no reads from Rust
//! (`usage_by_model` is summed per batch, see [`ModelUsage`]).

use crate::domain::{
    AgentPhase, Disposition, Event, EventKind, MergeOutcome, Money, PauseKind, PauseState,
    TaskStatus, Usage,
};
use rusqlite::{Connection, params};

/// Per-model usage of the batch being appended. `usage_by_model` is only
/// ever changed by `usage_recorded`, and only by addition, so the batch's
/// sums are written once per model at the end of the same transaction:
/// identical rows, one statement per model instead of one per event.
#[derive(Default)]
pub(super) struct ModelUsage {
    /// (model, [input, output, cache_read, cache_write, cost_pico]); a swarm
    /// uses a handful of models, so a linear scan beats hashing.
    sums: Vec<(String, [i64; 5])>,
}

impl ModelUsage {
    fn add(&mut self, model: &str, u: &Usage, cost: Money) -> rusqlite::Result<()> {
        let int = |n: u64| {
            i64::try_from(n).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
        };
        let add = [
            int(u.input)?,
            int(u.output)?,
            int(u.cache_read)?,
            int(u.cache_write)?,
            cost.0,
        ];
        let i = match self.sums.iter().position(|(m, _)| m == model) {
            Some(i) => i,
            None => {
                self.sums.push((model.to_string(), [0; 5]));
                self.sums.len() - 1
            }
        };
        for (sum, n) in self.sums[i].1.iter_mut().zip(add) {
            // SQLite turns an overflowing integer sum into a float; the
            // per-batch sum saturates instead (9.2e18 tokens: not a swarm).
            *sum = sum.saturating_add(n);
        }
        Ok(())
    }

    /// Write the batch's sums and forget them.
    pub(super) fn flush(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for (model, [input, output, cache_read, cache_write, cost]) in self.sums.drain(..) {
            conn.prepare_cached(
                "INSERT INTO usage_by_model (model, input, output, cache_read, cache_write, cost_pico)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(model) DO UPDATE SET
                    input = input + excluded.input, output = output + excluded.output,
                    cache_read = cache_read + excluded.cache_read,
                    cache_write = cache_write + excluded.cache_write,
                    cost_pico = cost_pico + excluded.cost_pico",
            )?
            .execute(params![model, input, output, cache_read, cache_write, cost])?;
        }
        Ok(())
    }
}

/// Fold one already-inserted event (`seq`) into the projections.
pub(super) fn apply(
    conn: &Connection,
    seq: i64,
    ev: &Event,
    by_model: &mut ModelUsage,
) -> rusqlite::Result<()> {
    let at = ev.at;
    let agent = ev.agent.as_ref().map(|a| a.as_str());
    let task = ev.task.as_ref().map(|t| t.as_str());
    let session = ev.session.as_ref().map(|s| s.as_str());
    match &ev.kind {
        EventKind::SwarmStarted { .. }
        | EventKind::SwarmResumed { .. }
        | EventKind::CommitMade { .. }
        | EventKind::AgentPrompted { .. }
        | EventKind::AgentSpawned { .. }
        | EventKind::TaskDeferred { .. }
        | EventKind::Handoff { .. }
        | EventKind::ApiTrouble { .. }
        | EventKind::CostReported { .. }
        | EventKind::UsageMismatch { .. }
        | EventKind::ProcessStats { .. }
        | EventKind::Progress { .. }
        | EventKind::BudgetReached { .. }
        | EventKind::SwarmFrozen { .. }
        | EventKind::ConvoyHeld { .. }
        | EventKind::BatchTested { .. }
        | EventKind::QueueMoved { .. }
        | EventKind::ConflictPredicted { .. }
        | EventKind::SpeedChanged { .. }
        | EventKind::DiskFull { .. }
        | EventKind::DiskSpaceReturned { .. } => {}

        EventKind::AttemptReturned { .. } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET attempts = max(attempts - 1, 0), updated_at = ?2
                     WHERE id = ?1",
                )?
                .execute(params![task, at])?;
            }
        }

        EventKind::AgentRegistered { model, runtime } => {
            if let Some(agent) = agent {
                // Registering (again) starts the agent afresh, as `apply` does.
                conn.prepare_cached(
                    "INSERT INTO agents (id, model, runtime, phase, registered_seq, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(id) DO UPDATE SET
                        model = excluded.model, runtime = excluded.runtime,
                        phase = excluded.phase, held = 0, task = NULL, session = NULL,
                        sessions = 0, cost_pico = 0, input_tokens = 0, output_tokens = 0,
                        cache_read_tokens = 0, cache_write_tokens = 0, tasks_merged = 0,
                        tasks_failed = 0, rework = 0, alerts = 0, last_alert = NULL,
                        last_alert_at = NULL, registered_seq = excluded.registered_seq,
                        updated_at = excluded.updated_at",
                )?
                .execute(params![
                    agent,
                    model,
                    runtime,
                    AgentPhase::Idle.as_str(),
                    seq,
                    at
                ])?;
            }
        }

        EventKind::TaskAdded { spec } => {
            // Adding a task again replaces it but keeps its place in the order.
            conn.prepare_cached(
                "INSERT INTO tasks (id, title, convoy, status, priority, added_seq, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET
                    title = excluded.title, convoy = excluded.convoy,
                    status = excluded.status, priority = excluded.priority,
                    agent = NULL, session = NULL, branch = NULL, attempts = 0,
                    gate_failures = 0, cost_pico = 0, started_at = NULL,
                    finished_at = NULL, merged_commit = NULL, reason = NULL,
                    queued_seq = NULL, waiting_on = NULL,
                    updated_at = excluded.updated_at",
            )?
            .execute(params![
                spec.id.as_str(),
                spec.title,
                spec.convoy.as_str(),
                TaskStatus::Pending.as_str(),
                spec.priority,
                seq,
                at
            ])?;
        }

        EventKind::TaskAssigned {
            branch, attempt, ..
        } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, agent = ?3, session = ?4, branch = ?5,
                        attempts = ?6, started_at = COALESCE(started_at, ?7), reason = NULL,
                        updated_at = ?7
                     WHERE id = ?1",
                )?
                .execute(params![
                    task,
                    TaskStatus::InProgress.as_str(),
                    agent,
                    session,
                    branch,
                    attempt,
                    at
                ])?;
            }
            if let Some(agent) = agent {
                conn.prepare_cached(
                    "UPDATE agents SET phase = ?2, task = ?3, session = ?4,
                        sessions = sessions + 1, updated_at = ?5
                     WHERE id = ?1",
                )?
                .execute(params![
                    agent,
                    AgentPhase::Working.as_str(),
                    task,
                    session,
                    at
                ])?;
            }
        }

        EventKind::UsageRecorded { usage, cost } => {
            if let Some(agent) = agent {
                conn.prepare_cached(
                    "UPDATE agents SET cost_pico = cost_pico + ?2,
                        input_tokens = input_tokens + ?3, output_tokens = output_tokens + ?4,
                        cache_read_tokens = cache_read_tokens + ?5,
                        cache_write_tokens = cache_write_tokens + ?6, updated_at = ?7
                     WHERE id = ?1",
                )?
                .execute(params![
                    agent,
                    cost.0,
                    usage.input,
                    usage.output,
                    usage.cache_read,
                    usage.cache_write,
                    at
                ])?;
            }
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET cost_pico = cost_pico + ?2, updated_at = ?3 WHERE id = ?1",
                )?
                .execute(params![task, cost.0, at])?;
            }
            if let Some(model) = &ev.model {
                by_model.add(model, usage, *cost)?;
            }
        }

        EventKind::TaskDone => set_task_status(conn, task, TaskStatus::Gating, at)?,

        EventKind::GateFinished { passed, .. } => {
            if !*passed && let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET gate_failures = gate_failures + 1, updated_at = ?2
                     WHERE id = ?1",
                )?
                .execute(params![task, at])?;
            }
        }

        EventKind::MergeQueued { seq: qseq } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, queued_seq = ?3, updated_at = ?4 WHERE id = ?1",
                )?
                .execute(params![task, TaskStatus::Queued.as_str(), qseq, at])?;
            }
        }

        EventKind::MergeFinished { outcome } => {
            let (name, commit, tier, files) = match outcome {
                MergeOutcome::Merged { commit, tier, .. } => {
                    ("merged", Some(commit.as_str()), Some(tier.as_str()), None)
                }
                MergeOutcome::Unchanged { .. } => ("unchanged", None, None, None),
                MergeOutcome::Conflicted { files, .. } => (
                    "conflicted",
                    None,
                    Some("reimagine"),
                    Some(serde_json::to_string(files).expect("strings serialize")),
                ),
                MergeOutcome::Refused { tier, files, .. } => (
                    "refused",
                    None,
                    Some(tier.as_str()),
                    Some(serde_json::to_string(files).expect("strings serialize")),
                ),
                MergeOutcome::Rejected { .. } => ("rejected", None, None, None),
            };
            // Agent and convoy from the event, else from the task's row
            // (before this event changes it).
            conn.prepare_cached(
                "INSERT INTO merges (seq, task, agent, convoy, outcome, commit_sha, tier, files, at)
                 VALUES (?1, ?2,
                    COALESCE(?3, (SELECT agent FROM tasks WHERE id = ?2)),
                    COALESCE(?4, (SELECT convoy FROM tasks WHERE id = ?2)),
                    ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                seq,
                task,
                agent,
                ev.convoy.as_ref().map(|c| c.as_str()),
                name,
                commit,
                tier,
                files,
                at
            ])?;
            if let Some(task) = task {
                match outcome {
                    MergeOutcome::Merged { commit, .. } => {
                        // Credit the agent the task belongs to, not the event's.
                        conn.prepare_cached(
                            "UPDATE agents SET tasks_merged = tasks_merged + 1, updated_at = ?2
                             WHERE id = (SELECT agent FROM tasks WHERE id = ?1)",
                        )?
                        .execute(params![task, at])?;
                        conn.prepare_cached(
                            "UPDATE tasks SET status = ?2, merged_commit = ?3, finished_at = ?4,
                                queued_seq = NULL, updated_at = ?4
                             WHERE id = ?1",
                        )?
                        .execute(params![
                            task,
                            TaskStatus::Merged.as_str(),
                            commit,
                            at
                        ])?;
                    }
                    MergeOutcome::Conflicted { .. }
                    | MergeOutcome::Refused { .. }
                    | MergeOutcome::Rejected { .. }
                    | MergeOutcome::Unchanged { .. } => {
                        conn.prepare_cached(
                            "UPDATE tasks SET queued_seq = NULL, updated_at = ?2 WHERE id = ?1",
                        )?
                        .execute(params![task, at])?;
                    }
                }
            }
        }

        EventKind::TaskReimagined { files, target } => {
            if let Some(task) = task {
                let reason = format!("conflicted in {}; redo on {target}", files.join(", "));
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, session = NULL, reason = ?3, updated_at = ?4
                     WHERE id = ?1",
                )?
                .execute(params![
                    task,
                    TaskStatus::Pending.as_str(),
                    reason,
                    at
                ])?;
            }
        }

        EventKind::TaskRequeued { reason } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, session = NULL, reason = ?3,
                        waiting_on = NULL, updated_at = ?4
                     WHERE id = ?1",
                )?
                .execute(params![
                    task,
                    TaskStatus::Pending.as_str(),
                    reason,
                    at
                ])?;
            }
        }

        EventKind::TaskReworked { reason } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE agents SET rework = rework + 1, updated_at = ?2
                     WHERE id = (SELECT agent FROM tasks WHERE id = ?1)",
                )?
                .execute(params![task, at])?;
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, session = NULL, reason = ?3, updated_at = ?4
                     WHERE id = ?1",
                )?
                .execute(params![
                    task,
                    TaskStatus::Pending.as_str(),
                    reason,
                    at
                ])?;
            }
        }

        EventKind::TaskFailed { reason } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE agents SET tasks_failed = tasks_failed + 1, updated_at = ?2
                     WHERE id = (SELECT agent FROM tasks WHERE id = ?1)",
                )?
                .execute(params![task, at])?;
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, reason = ?3, finished_at = ?4, session = NULL,
                        queued_seq = NULL, waiting_on = NULL, updated_at = ?4
                     WHERE id = ?1",
                )?
                .execute(params![
                    task,
                    TaskStatus::Failed.as_str(),
                    reason,
                    at
                ])?;
            }
        }

        EventKind::TaskBlocked { reason } => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, reason = ?3, session = NULL,
                        queued_seq = NULL, waiting_on = NULL, updated_at = ?4
                     WHERE id = ?1",
                )?
                .execute(params![
                    task,
                    TaskStatus::Blocked.as_str(),
                    reason,
                    at
                ])?;
            }
        }

        EventKind::TaskUnblocked => {
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET status = ?2, reason = NULL, updated_at = ?3 WHERE id = ?1",
                )?
                .execute(params![task, TaskStatus::Pending.as_str(), at])?;
            }
        }

        EventKind::SessionEnded { .. } => {
            // Only the agent's current session ends it; `session = NULL`
            // never matches, as `apply` ignores events without a session.
            if let Some(agent) = agent {
                conn.prepare_cached(
                    "UPDATE agents SET
                        phase = CASE WHEN phase = ?3 THEN phase ELSE ?4 END,
                        task = NULL, session = NULL, updated_at = ?5
                     WHERE id = ?1 AND session = ?2",
                )?
                .execute(params![
                    agent,
                    session,
                    AgentPhase::Retired.as_str(),
                    AgentPhase::Idle.as_str(),
                    at
                ])?;
            }
        }

        EventKind::WatchdogAlert { check, .. } => {
            if let Some(agent) = agent {
                conn.prepare_cached(
                    "UPDATE agents SET alerts = alerts + 1, last_alert = ?2, last_alert_at = ?3,
                        updated_at = ?3
                     WHERE id = ?1",
                )?
                .execute(params![agent, check.as_str(), at])?;
            }
        }

        EventKind::ConcernRaised {
            id,
            source,
            summary,
            confidence,
            impact,
            routing,
        } => {
            // A repeated id keeps the first concern, which is the one
            // `SwarmState::concern` finds and `ConcernDisposed` changes.
            conn.prepare_cached(
                "INSERT INTO concerns (id, source, summary, confidence, impact, routing,
                    disposition, agent, task, raised_at, raised_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![
                id.as_str(),
                source.as_str(),
                summary,
                confidence,
                impact.as_str(),
                routing.as_str(),
                Disposition::Open.as_str(),
                agent,
                task,
                at,
                seq
            ])?;
        }

        EventKind::ConcernDisposed { id, disposition } => {
            let reason = match disposition {
                Disposition::Dismissed(r) => Some(r.as_str()),
                _ => None,
            };
            conn.prepare_cached(
                "UPDATE concerns SET disposition = ?2, reason = ?3, disposed_at = ?4,
                    disposed_by = ?5
                 WHERE id = ?1",
            )?
            .execute(params![
                id.as_str(),
                disposition.as_str(),
                reason,
                at,
                ev.actor.as_str()
            ])?;
        }

        EventKind::PauseRequested { id, pause, reason } => {
            conn.prepare_cached(
                "INSERT INTO pause_points (id, kind, reason, agent, task, state, raised_at, raised_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![
                id.as_str(),
                pause.as_str(),
                reason,
                agent,
                task,
                PauseState::Waiting.as_str(),
                at,
                seq
            ])?;
            if let Some(task) = task {
                conn.prepare_cached(
                    "UPDATE tasks SET waiting_on = ?2, updated_at = ?3 WHERE id = ?1",
                )?
                .execute(params![task, id.as_str(), at])?;
            }
            if *pause == PauseKind::AgentRequest
                && let Some(agent) = agent
            {
                conn.prepare_cached(
                    "UPDATE agents SET phase = ?2, updated_at = ?4 WHERE id = ?1 AND phase = ?3",
                )?
                .execute(params![
                    agent,
                    AgentPhase::Waiting.as_str(),
                    AgentPhase::Working.as_str(),
                    at
                ])?;
            }
        }

        EventKind::PauseDecided { id, approved } => {
            let state = if *approved {
                PauseState::Approved
            } else {
                PauseState::Rejected
            };
            conn.prepare_cached(
                "UPDATE pause_points SET state = ?2, decided_at = ?3, decided_by = ?4 WHERE id = ?1",
            )?
            .execute(params![id.as_str(), state.as_str(), at, ev.actor.as_str()])?;
            conn.prepare_cached(
                "UPDATE tasks SET waiting_on = NULL, updated_at = ?2
                 WHERE id = (SELECT task FROM pause_points WHERE id = ?1) AND waiting_on = ?1",
            )?
            .execute(params![id.as_str(), at])?;
            conn.prepare_cached(
                "UPDATE agents SET phase = ?2, updated_at = ?4
                 WHERE id = (SELECT agent FROM pause_points WHERE id = ?1) AND phase = ?3",
            )?
            .execute(params![
                id.as_str(),
                AgentPhase::Working.as_str(),
                AgentPhase::Waiting.as_str(),
                at
            ])?;
        }

        EventKind::AgentHeld { held } => {
            if let Some(agent) = agent {
                conn.prepare_cached("UPDATE agents SET held = ?2, updated_at = ?3 WHERE id = ?1")?
                    .execute(params![agent, held, at])?;
            }
        }

        EventKind::AgentRetired { .. } => {
            if let Some(agent) = agent {
                conn.prepare_cached("UPDATE agents SET phase = ?2, updated_at = ?3 WHERE id = ?1")?
                    .execute(params![agent, AgentPhase::Retired.as_str(), at])?;
            }
        }
    }
    Ok(())
}

fn set_task_status(
    conn: &Connection,
    task: Option<&str>,
    status: TaskStatus,
    at: i64,
) -> rusqlite::Result<()> {
    if let Some(task) = task {
        conn.prepare_cached("UPDATE tasks SET status = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![task, status.as_str(), at])?;
    }
    Ok(())
}
