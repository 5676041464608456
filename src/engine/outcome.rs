//! What each merge outcome but a plain merge or a rejection does to its
//! task: removals by the `ai` tier reviewed, a branch with no change
//! blocked, a conflict redone (`reimagine`) or failed after too many, lines
//! at risk stopping the merge. All with a concern where a person should look.

use super::{Attr, Engine, Step};
use crate::domain::*;

/// Times a task is sent back to be redone on the target before it fails.
const MAX_REIMAGINE: u32 = 2;
/// Lines at risk named in a concern's summary.
const RISK_SHOWN: usize = 5;

/// The first few of `items`, then how many more.
fn some(items: &[String], total: usize) -> String {
    let more = total.saturating_sub(RISK_SHOWN);
    let shown = items.join(" | ");
    if more > 0 {
        format!("{shown}; … {more} more")
    } else {
        shown
    }
}

impl Engine {
    /// The `ai` tier merged, leaving lines out with reasons: a concern to review them.
    pub(super) fn on_ai_removals(
        &mut self,
        out: &mut Step,
        attr: Attr,
        task: &TaskId,
        removals: &[Removal],
    ) {
        let shown: Vec<String> = removals
            .iter()
            .take(RISK_SHOWN)
            .map(|r| r.to_string())
            .collect();
        self.raise(
            out,
            attr,
            ConcernSource::Merge,
            Impact::Medium,
            0.8,
            format!(
                "{task}: the ai tier removed {} lines when it merged; review: {}",
                removals.len(),
                some(&shown, removals.len())
            ),
        );
    }

    /// The branch adds nothing to the target: nothing merged, the task blocked.
    pub(super) fn on_unchanged(&mut self, out: &mut Step, attr: Attr, task: &TaskId, commit: &str) {
        let target = self.dest_name(task);
        let short: String = commit.chars().take(10).collect();
        self.emit(
            out,
            attr.clone(),
            EventKind::TaskBlocked {
                reason: format!(
                    "no change: its branch adds nothing to {target} (already in {short}); nothing merged"
                ),
            },
        );
        self.raise(
            out,
            attr,
            ConcernSource::Merge,
            Impact::Medium,
            1.0,
            format!(
                "{task} finished with no change to {target}: nothing merged (retry to redo it; dismiss if the work was already there)"
            ),
        );
        self.block_dependents(out, task);
    }

    /// No tier could merge it: redone on the target, or failed after too many redos.
    pub(super) fn on_conflicted(
        &mut self,
        out: &mut Step,
        attr: Attr,
        task: &TaskId,
        files: Vec<String>,
    ) {
        let t = &self.state.tasks[task];
        if t.reimagined < MAX_REIMAGINE {
            let target = self.dest_name(task);
            self.emit(out, attr, EventKind::TaskReimagined { files, target });
            return;
        }
        self.emit(
            out,
            attr.clone(),
            EventKind::TaskFailed {
                reason: format!(
                    "conflicts in {} again after {} redos; work kept on its branch",
                    files.join(", "),
                    t.reimagined
                ),
            },
        );
        self.raise(
            out,
            attr,
            ConcernSource::Merge,
            Impact::Medium,
            1.0,
            format!(
                "{task} keeps conflicting with {} in {}",
                self.dest_name(task),
                files.join(", ")
            ),
        );
        self.block_dependents(out, task);
    }

    /// A resolution would drop lines: nothing merged, the task blocked.
    pub(super) fn on_refused(
        &mut self,
        out: &mut Step,
        attr: Attr,
        task: &TaskId,
        tier: ResolveTier,
        files: &[String],
        lines_at_risk: &[LineAtRisk],
    ) {
        let shown: Vec<String> = lines_at_risk
            .iter()
            .take(RISK_SHOWN)
            .map(|l| format!("{} ({}): {}", l.file, l.side.as_str(), l.line))
            .collect();
        self.emit(
            out,
            attr.clone(),
            EventKind::TaskBlocked {
                reason: format!(
                    "the {tier} resolution of {} would drop {} lines; nothing merged, branch kept",
                    files.join(", "),
                    lines_at_risk.len()
                ),
            },
        );
        self.raise(
            out,
            attr,
            ConcernSource::Merge,
            Impact::High,
            1.0,
            format!(
                "{task}: the {tier} tier would lose {} lines in {}: {}",
                lines_at_risk.len(),
                files.join(", "),
                some(&shown, lines_at_risk.len())
            ),
        );
        self.block_dependents(out, task);
    }
}
