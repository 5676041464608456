//! A task imported from a GitHub issue: when the config asks, its merge is
//! said on the issue (an effect the executor performs off the engine; a
//! failure is a concern, never a stop).

use super::{Attr, Effect, Engine, Step};
use crate::domain::*;

/// The executor's action word for a comment that could not be made.
pub const COMMENT: &str = "issue comment";

impl Engine {
    /// `task` merged as `commit`: a comment on its issue, if it has one and
    /// the config asks.
    pub(super) fn comment_on_merge(&mut self, out: &mut Step, task: &TaskId, commit: &str) {
        if !self.settings.comment_on_merge {
            return;
        }
        let Some(t) = self.state.tasks.get(task) else {
            return;
        };
        let Some(issue) = t.spec.issue.clone() else {
            return;
        };
        let by = t
            .agent
            .as_ref()
            .map_or(String::new(), |a| format!(" (agent {a})"));
        let body = format!(
            "Merged into `{}` as {commit} by shiftboss: task `{task}`{by}.",
            self.settings.target
        );
        self.live.commenting.insert(task.clone());
        out.effects.push(Effect::CommentIssue {
            task: task.clone(),
            issue,
            body,
        });
    }

    /// The comment is on the issue.
    pub(super) fn on_issue_commented(&mut self, out: &mut Step, task: &TaskId, url: String) {
        self.live.commenting.remove(task);
        let Some(issue) = self
            .state
            .tasks
            .get(task)
            .and_then(|t| t.spec.issue.clone())
        else {
            return;
        };
        self.emit(
            out,
            Attr::engine().task(task),
            EventKind::IssueCommented {
                repo: issue.repo,
                number: issue.number,
                url,
            },
        );
    }
}
