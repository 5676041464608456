//! A simulated team lead's first attempt at its epic: it reads the work,
//! then breaks it into coder tasks, one `::task` line every two minutes
//! (each in its own folder under the epic's scope; every third waits on the
//! one before), and ends. Its next attempt, once the coders' tasks landed,
//! is an ordinary one: the integration.

use super::{Rng, Script, first_glob};
use crate::domain::sim_plan::{Action, Behaviour, Plan, SimSettings};
use crate::domain::{AgentId, MINUTE, SECOND, TaskSpec};
use std::collections::VecDeque;

/// How many coder tasks an epic becomes.
const TASKS: (u64, u64) = (5, 8);

pub(super) fn plan(
    s: &SimSettings,
    rng: &mut Rng,
    task: &TaskSpec,
    agent: &AgentId,
    model: &str,
) -> Plan {
    let mut script = Script {
        steps: VecDeque::new(),
        last: 0,
    };
    let id = task.id.as_str();
    script.push(
        2 * SECOND,
        Action::Line(format!("{agent} reading epic {id} to break it up")),
    );
    let area = first_glob(task)
        .map(|(dir, _)| dir)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "src/tasks".into());
    let n = rng.range(TASKS.0, TASKS.1);
    for k in 1..=n {
        let at = (2 * k) as i64 * MINUTE;
        let t = s.tokens_per_minute * (80 + rng.range(0, 40)) / 100;
        script.push(
            at,
            Action::Line(format!(
                "::usage model={model} input={} output={} cache_read={} cache_write={}::",
                t * 20 / 100,
                t * 10 / 100,
                t * 60 / 100,
                t * 10 / 100
            )),
        );
        let after = if k % 3 == 0 {
            format!(" after={id}-{}", k - 1)
        } else {
            String::new()
        };
        script.push(
            at + SECOND,
            Action::Line(format!(
                "::task id={id}-{k} scope={area}/part-{k}/**{after}::{}: part {k} of {n}",
                task.title
            )),
        );
    }
    script.push(
        (2 * n + 1) as i64 * MINUTE,
        Action::Line(format!("::done::{id} broken into {n} coder tasks")),
    );
    Plan {
        behaviour: Some(Behaviour::Lead),
        steps: script.steps,
    }
}
