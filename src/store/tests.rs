//! The store's tests: the helpers they share here, the days they append in
//! `days.rs`, and one file a topic: the log, its tables, opening it.

use super::*;
use crate::domain::{
    Actor, AgentId, AgentPhase, BudgetScope, Check, ConcernId, ConcernSource, ConvoyId,
    Disposition, Event, EventKind, Impact, MergeOutcome, Millis, Money, PauseId, PauseKind,
    Routing, SessionId, SwarmState, TaskId, TaskSpec, TaskStatus, Usage,
};
use tempfile::TempDir;

mod days;
mod log;
mod open;
mod tables;
use days::{random_events, scenario};
use tables::assert_projections_match;

fn db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    (dir, path)
}

fn spec(id: &str, convoy: &str, priority: i32) -> TaskSpec {
    TaskSpec {
        id: TaskId::new(id),
        title: format!("do {id}"),
        spec: "make it so".into(),
        convoy: ConvoyId::new(convoy),
        priority,
        scope: vec!["src/**".into()],
        checks: vec!["cargo test".into()],
        after: vec![],
        tier: Some("standard".into()),
        behaviour: None,
        issue: None,
        night: false,
    }
}

fn ev(at: Millis, actor: Actor, agent: Option<&str>, task: Option<&str>, kind: EventKind) -> Event {
    Event {
        at,
        actor,
        agent: agent.map(AgentId::new),
        task: task.map(TaskId::new),
        convoy: None,
        model: agent.map(|_| "claude-sonnet".to_string()),
        session: None,
        kind,
    }
}

fn with_session(mut e: Event, s: &str) -> Event {
    e.session = Some(SessionId::new(s));
    e
}

fn usage(i: u64) -> EventKind {
    EventKind::UsageRecorded {
        usage: Usage {
            input: 100 + i,
            output: 20 + i,
            cache_read: 1000,
            cache_write: 7,
        },
        cost: Money(1_000_000 * (i as i64 + 1)),
    }
}

fn append_in_batches(store: &mut Store, events: &[Event], batch: usize) {
    for chunk in events.chunks(batch) {
        store.append(chunk).unwrap();
    }
}
