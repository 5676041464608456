//! The `tasks` and `agents` tables read back as rows, and the task counts
//! by status word.

use super::{Store, StoreError};
use crate::domain::{
    AgentId, AgentPhase, ConvoyId, Millis, Money, PauseId, SessionId, TaskId, TaskStatus, Usage,
};

/// One row of the `tasks` projection.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    pub id: TaskId,
    pub title: String,
    pub convoy: ConvoyId,
    pub status: TaskStatus,
    pub priority: i32,
    pub agent: Option<AgentId>,
    pub session: Option<SessionId>,
    pub branch: Option<String>,
    pub attempts: u32,
    pub gate_failures: u32,
    pub cost: Money,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub merged_commit: Option<String>,
    pub reason: Option<String>,
    pub queued_seq: Option<u64>,
    pub waiting_on: Option<PauseId>,
    /// Seq of the `task_added` event that first added the task.
    pub added_seq: u64,
    /// Time of the last event that changed this row.
    pub updated_at: Millis,
}

/// One row of the `agents` projection.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRow {
    pub id: AgentId,
    pub model: String,
    pub runtime: String,
    pub phase: AgentPhase,
    pub held: bool,
    pub task: Option<TaskId>,
    pub session: Option<SessionId>,
    pub sessions: u32,
    pub cost: Money,
    pub usage: Usage,
    pub tasks_merged: u32,
    pub tasks_failed: u32,
    pub rework: u32,
    pub alerts: u32,
    pub last_alert: Option<String>,
    pub last_alert_at: Option<Millis>,
    /// Seq of the `agent_registered` event that last (re)registered it.
    pub registered_seq: u64,
    pub updated_at: Millis,
}

impl Store {
    /// The `tasks` projection in the order tasks were added.
    pub fn task_rows(&self) -> Result<Vec<TaskRow>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, title, convoy, status, priority, agent, session, branch, attempts,
                    gate_failures, cost_pico, started_at, finished_at, merged_commit, reason,
                    queued_seq, waiting_on, added_seq, updated_at
                 FROM tasks ORDER BY added_seq",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                let status: String = r.get(3)?;
                Ok(TaskRow {
                    id: TaskId(r.get(0)?),
                    title: r.get(1)?,
                    convoy: ConvoyId(r.get(2)?),
                    status: parse_status(&status).ok_or_else(|| bad_word(3, &status))?,
                    priority: r.get(4)?,
                    agent: r.get::<_, Option<String>>(5)?.map(AgentId),
                    session: r.get::<_, Option<String>>(6)?.map(SessionId),
                    branch: r.get(7)?,
                    attempts: r.get(8)?,
                    gate_failures: r.get(9)?,
                    cost: Money(r.get(10)?),
                    started_at: r.get(11)?,
                    finished_at: r.get(12)?,
                    merged_commit: r.get(13)?,
                    reason: r.get(14)?,
                    queued_seq: r.get(15)?,
                    waiting_on: r.get::<_, Option<String>>(16)?.map(PauseId),
                    added_seq: r.get(17)?,
                    updated_at: r.get(18)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// The `agents` projection in id order.
    pub fn agent_rows(&self) -> Result<Vec<AgentRow>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, model, runtime, phase, held, task, session, sessions, cost_pico,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                    tasks_merged, tasks_failed, rework, alerts, last_alert, last_alert_at,
                    registered_seq, updated_at
                 FROM agents ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                let phase: String = r.get(3)?;
                Ok(AgentRow {
                    id: AgentId(r.get(0)?),
                    model: r.get(1)?,
                    runtime: r.get(2)?,
                    phase: parse_phase(&phase).ok_or_else(|| bad_word(3, &phase))?,
                    held: r.get(4)?,
                    task: r.get::<_, Option<String>>(5)?.map(TaskId),
                    session: r.get::<_, Option<String>>(6)?.map(SessionId),
                    sessions: r.get(7)?,
                    cost: Money(r.get(8)?),
                    usage: Usage {
                        input: r.get(9)?,
                        output: r.get(10)?,
                        cache_read: r.get(11)?,
                        cache_write: r.get(12)?,
                    },
                    tasks_merged: r.get(13)?,
                    tasks_failed: r.get(14)?,
                    rework: r.get(15)?,
                    alerts: r.get(16)?,
                    last_alert: r.get(17)?,
                    last_alert_at: r.get(18)?,
                    registered_seq: r.get(19)?,
                    updated_at: r.get(20)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Task counts for every status word, in [`TaskStatus::ALL`] order
    /// (zeros included).
    pub fn counts_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let err = self.sql_err();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, COUNT(*) FROM tasks GROUP BY status")
            .map_err(&err)?;
        let found = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        let mut out: Vec<(String, u64)> = TaskStatus::ALL
            .iter()
            .map(|s| {
                let n = found
                    .iter()
                    .find(|(w, _)| w == s.as_str())
                    .map_or(0, |(_, n)| *n);
                (s.as_str().to_string(), n)
            })
            .collect();
        // A word this code does not know (a newer writer): show it, don't hide it.
        out.extend(found.into_iter().filter(|(w, _)| parse_status(w).is_none()));
        Ok(out)
    }
}

pub(super) fn parse_status(s: &str) -> Option<TaskStatus> {
    TaskStatus::ALL.into_iter().find(|x| x.as_str() == s)
}

fn parse_phase(s: &str) -> Option<AgentPhase> {
    [
        AgentPhase::Idle,
        AgentPhase::Working,
        AgentPhase::Waiting,
        AgentPhase::Retired,
    ]
    .into_iter()
    .find(|x| x.as_str() == s)
}

fn bad_word(col: usize, word: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("unknown word {word:?}").into(),
    )
}
