//! The projections: the tables users query (`docs/event-log.md`), written
//! from [`SwarmState`], the one fold of the log. After a batch is folded the
//! store writes, in the same transaction as the append, the full row of each
//! entity the batch touched ([`Touched`]), read off the state — no event is
//! interpreted here, so a new event kind changes `SwarmState::apply` only.
//!
//! Every statement is a cached prepared statement and a single-row UPSERT
//! keyed by primary key; a batch writes each touched row once however many
//! of its events touched it.

use crate::domain::{Disposition, MergeOutcome, SwarmState, Touched};
use rusqlite::{Connection, params};

/// Which row could not be written.
#[derive(Debug)]
pub(super) struct RowError {
    pub what: String,
    pub source: rusqlite::Error,
}

fn row<T>(what: impl FnOnce() -> String, r: rusqlite::Result<T>) -> Result<T, RowError> {
    r.map_err(|source| RowError {
        what: what(),
        source,
    })
}

/// Write the rows of everything in `touched` from `state`.
pub(super) fn write(
    conn: &Connection,
    state: &SwarmState,
    touched: &Touched,
) -> Result<(), RowError> {
    for id in &touched.tasks {
        row(|| format!("tasks row {id}"), write_task(conn, state, id))?;
    }
    for id in &touched.agents {
        row(|| format!("agents row {id}"), write_agent(conn, state, id))?;
    }
    for id in &touched.concerns {
        row(
            || format!("concerns row {id}"),
            write_concern(conn, state, id),
        )?;
    }
    for id in &touched.pauses {
        row(
            || format!("pause_points row {id}"),
            write_pause(conn, state, id),
        )?;
    }
    for &i in &touched.merges {
        let rec = &state.merge_log[i];
        row(|| format!("merges row {}", rec.seq), write_merge(conn, rec))?;
    }
    for m in &touched.models {
        row(
            || format!("usage_by_model row {m}"),
            write_model(conn, state, m),
        )?;
    }
    Ok(())
}

fn write_task(
    conn: &Connection,
    state: &SwarmState,
    id: &crate::domain::TaskId,
) -> rusqlite::Result<()> {
    let (Some(t), Some(stamp)) = (state.tasks.get(id), state.rows.tasks.get(id)) else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO tasks (id, title, convoy, status, priority, agent, session, branch,
            attempts, gate_failures, cost_pico, started_at, finished_at, merged_commit,
            reason, queued_seq, waiting_on, added_seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(id) DO UPDATE SET
            title = excluded.title, convoy = excluded.convoy, status = excluded.status,
            priority = excluded.priority, agent = excluded.agent, session = excluded.session,
            branch = excluded.branch, attempts = excluded.attempts,
            gate_failures = excluded.gate_failures, cost_pico = excluded.cost_pico,
            started_at = excluded.started_at, finished_at = excluded.finished_at,
            merged_commit = excluded.merged_commit, reason = excluded.reason,
            queued_seq = excluded.queued_seq, waiting_on = excluded.waiting_on,
            added_seq = excluded.added_seq, updated_at = excluded.updated_at",
    )?
    .execute(params![
        id.as_str(),
        t.spec.title,
        t.spec.convoy.as_str(),
        t.status.as_str(),
        t.spec.priority,
        t.agent.as_ref().map(|a| a.as_str()),
        t.session.as_ref().map(|s| s.as_str()),
        t.branch,
        t.attempts,
        t.gate_failures,
        t.cost.0,
        t.started_at,
        t.finished_at,
        t.merged_commit,
        t.reason,
        t.queued_seq,
        t.waiting_on.as_ref().map(|p| p.as_str()),
        stamp.seq,
        stamp.updated_at,
    ])?;
    Ok(())
}

fn write_agent(
    conn: &Connection,
    state: &SwarmState,
    id: &crate::domain::AgentId,
) -> rusqlite::Result<()> {
    let (Some(a), Some(stamp)) = (state.agents.get(id), state.rows.agents.get(id)) else {
        return Ok(());
    };
    let (last_alert, last_alert_at) = match a.last_alert {
        Some((check, at)) => (Some(check.as_str()), Some(at)),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO agents (id, model, runtime, phase, held, task, session, sessions,
            cost_pico, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            tasks_merged, tasks_failed, rework, alerts, last_alert, last_alert_at,
            registered_seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21)
         ON CONFLICT(id) DO UPDATE SET
            model = excluded.model, runtime = excluded.runtime, phase = excluded.phase,
            held = excluded.held, task = excluded.task, session = excluded.session,
            sessions = excluded.sessions, cost_pico = excluded.cost_pico,
            input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
            cache_read_tokens = excluded.cache_read_tokens,
            cache_write_tokens = excluded.cache_write_tokens,
            tasks_merged = excluded.tasks_merged, tasks_failed = excluded.tasks_failed,
            rework = excluded.rework, alerts = excluded.alerts,
            last_alert = excluded.last_alert, last_alert_at = excluded.last_alert_at,
            registered_seq = excluded.registered_seq, updated_at = excluded.updated_at",
    )?
    .execute(params![
        id.as_str(),
        a.model,
        a.runtime,
        a.phase.as_str(),
        a.held,
        a.task.as_ref().map(|t| t.as_str()),
        a.session.as_ref().map(|s| s.as_str()),
        a.sessions,
        a.cost.0,
        a.usage.input,
        a.usage.output,
        a.usage.cache_read,
        a.usage.cache_write,
        a.tasks_merged,
        a.tasks_failed,
        a.rework,
        a.alerts,
        last_alert,
        last_alert_at,
        stamp.seq,
        stamp.updated_at,
    ])?;
    Ok(())
}

fn write_concern(
    conn: &Connection,
    state: &SwarmState,
    id: &crate::domain::ConcernId,
) -> rusqlite::Result<()> {
    let (Some(c), Some((_, seq))) = (state.concern(id), state.rows.concerns.get(id)) else {
        return Ok(());
    };
    let reason = match &c.disposition {
        Disposition::Dismissed(r) => Some(r.as_str()),
        _ => None,
    };
    conn.prepare_cached(
        "INSERT INTO concerns (id, source, summary, confidence, impact, routing,
            disposition, reason, agent, task, raised_at, raised_seq, disposed_at, disposed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(id) DO UPDATE SET
            routing = excluded.routing, disposition = excluded.disposition, reason = excluded.reason,
            disposed_at = excluded.disposed_at, disposed_by = excluded.disposed_by",
    )?
    .execute(params![
        id.as_str(),
        c.source.as_str(),
        c.summary,
        c.confidence,
        c.impact.as_str(),
        c.routing.as_str(),
        c.disposition.as_str(),
        reason,
        c.agent.as_ref().map(|a| a.as_str()),
        c.task.as_ref().map(|t| t.as_str()),
        c.raised_at,
        seq,
        c.disposed_at,
        c.disposed_by.map(|a| a.as_str()),
    ])?;
    Ok(())
}

fn write_pause(
    conn: &Connection,
    state: &SwarmState,
    id: &crate::domain::PauseId,
) -> rusqlite::Result<()> {
    let (Some(p), Some((_, seq))) = (state.pause(id), state.rows.pauses.get(id)) else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO pause_points (id, kind, reason, agent, task, state, raised_at, raised_seq,
            decided_at, decided_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(id) DO UPDATE SET
            state = excluded.state, decided_at = excluded.decided_at,
            decided_by = excluded.decided_by",
    )?
    .execute(params![
        id.as_str(),
        p.kind.as_str(),
        p.reason,
        p.agent.as_ref().map(|a| a.as_str()),
        p.task.as_ref().map(|t| t.as_str()),
        p.state.as_str(),
        p.raised_at,
        seq,
        p.decided_at,
        p.decided_by.map(|a| a.as_str()),
    ])?;
    Ok(())
}

/// The `merges` columns of one outcome: (commit, tier, conflicted files).
pub(super) fn merge_columns(o: &MergeOutcome) -> (Option<&str>, Option<&str>, Option<String>) {
    let files = |f: &Vec<String>| Some(serde_json::to_string(f).expect("strings serialize"));
    match o {
        MergeOutcome::Merged { commit, tier, .. } => (Some(commit), Some(tier), None),
        MergeOutcome::Unchanged { .. } => (None, None, None),
        MergeOutcome::Conflicted { files: f, .. } => (None, Some("reimagine"), files(f)),
        MergeOutcome::Refused { tier, files: f, .. } => (None, Some(tier.as_str()), files(f)),
        MergeOutcome::Rejected { .. } => (None, None, None),
    }
}

fn write_merge(conn: &Connection, rec: &crate::domain::MergeRecord) -> rusqlite::Result<()> {
    let (commit, tier, files) = merge_columns(&rec.outcome);
    conn.prepare_cached(
        "INSERT INTO merges (seq, task, agent, convoy, outcome, commit_sha, tier, files, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        rec.seq,
        rec.task.as_ref().map(|t| t.as_str()),
        rec.agent.as_ref().map(|a| a.as_str()),
        rec.convoy.as_ref().map(|c| c.as_str()),
        rec.outcome.word(),
        commit,
        tier,
        files,
        rec.at,
    ])?;
    Ok(())
}

fn write_model(conn: &Connection, state: &SwarmState, model: &str) -> rusqlite::Result<()> {
    let u = state.usage_by_model.get(model).copied().unwrap_or_default();
    let cost = state.spend_by_model.get(model).copied().unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO usage_by_model (model, input, output, cache_read, cache_write, cost_pico)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(model) DO UPDATE SET
            input = excluded.input, output = excluded.output,
            cache_read = excluded.cache_read, cache_write = excluded.cache_write,
            cost_pico = excluded.cost_pico",
    )?
    .execute(params![
        model,
        u.input,
        u.output,
        u.cache_read,
        u.cache_write,
        cost.0
    ])?;
    Ok(())
}
