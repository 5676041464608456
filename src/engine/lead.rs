//! A lead's `::task` line: a coder task enters the backlog as if the
//! operator had added it with `task add` (id, scope and dependency checks
//! included), attributed to the lead (the `task_added` event's agent), in the
//! convoy of the epic the lead is working. A line that fails a check is
//! refused with a concern; nothing is added.

use super::{Attr, Engine, Step};
use crate::config::names::{name_problem, scope_problem};
use crate::domain::protocol::NewTask;
use crate::domain::*;

impl Engine {
    pub(super) fn on_lead_task(
        &mut self,
        out: &mut Step,
        attr: Attr,
        lead: &AgentId,
        epic: &TaskId,
        new: NewTask,
    ) {
        let id = new.id.clone();
        match self.lead_task_spec(lead, epic, new) {
            Ok(spec) => {
                let attr = Attr {
                    actor: Actor::Agent,
                    task: Some(spec.id.clone()),
                    ..attr
                };
                self.emit(out, attr, EventKind::TaskAdded { spec });
            }
            Err(why) => self.raise(
                out,
                attr,
                ConcernSource::Protocol,
                Impact::Low,
                1.0,
                format!("task line for {id:?} refused: {why}"),
            ),
        }
    }

    /// The task a lead's line asks for, or why it cannot be added.
    fn lead_task_spec(
        &self,
        lead: &AgentId,
        epic: &TaskId,
        new: NewTask,
    ) -> Result<TaskSpec, String> {
        let leads = self
            .team_of_agent(lead)
            .is_some_and(|t| t.lead.as_ref() == Some(lead));
        if !leads {
            return Err(format!(
                "{lead} leads no team; only a team's lead adds tasks"
            ));
        }
        if let Some(why) = name_problem(&new.id) {
            return Err(format!("id: {why}"));
        }
        if self.state.tasks.contains_key(&TaskId::new(&new.id)) {
            return Err(format!("a task {} exists already", new.id));
        }
        if let Some(d) = new
            .after
            .iter()
            .find(|d| !self.state.tasks.contains_key(&TaskId::new(d.as_str())))
        {
            return Err(format!("after: unknown task {d}"));
        }
        if let Some((g, why)) = new
            .scope
            .iter()
            .find_map(|g| scope_problem(g).map(|why| (g, why)))
        {
            return Err(format!("scope {g:?}: {why}"));
        }
        let spec = match (&new.spec_file, new.spec) {
            (None, _) => String::new(),
            (Some(_), Some(Ok(text))) => text,
            (Some(f), Some(Err(e))) => return Err(format!("spec {f}: {e}")),
            (Some(f), None) => return Err(format!("spec {f}: not read")),
        };
        Ok(TaskSpec {
            id: TaskId::new(new.id),
            title: new.title,
            spec,
            convoy: self.state.tasks[epic].spec.convoy.clone(),
            priority: new.priority,
            scope: new.scope,
            checks: Vec::new(),
            after: new.after.into_iter().map(TaskId::new).collect(),
            tier: None,
            behaviour: None,
            night: false,
            issue: None,
        })
    }
}
