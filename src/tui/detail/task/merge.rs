//! The task page's merge sections: what stopped the merge, the merge facts,
//! the predicted conflict, the gates on merged results.

use super::super::{PageCtx, Section, wrap};
use crate::domain::{Task, TaskId, TaskStatus};
use crate::tui::action::Action;
use crate::tui::format::{clock_hms, short_branch, short_commit};
use crate::tui::panes::merge_queue;
use ratatui::text::{Line, Span};

/// What stopped the merge: the conflicted files, the lines a refused
/// resolution would have lost.
pub(super) fn stopped(ctx: &PageCtx, task: &Task) -> Vec<Section> {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let mut out = Vec::new();
    // The merge facts, prominent: what went wrong first, then the queue.
    let f = Some(&task.merge_facts);
    let retry_hint = |c: &mut Section| {
        if matches!(task.status, TaskStatus::Failed | TaskStatus::Blocked) && !ctx.app.readonly {
            c.line(Line::styled(
                format!(
                    "{} retries: back to the queue, its branch kept",
                    ctx.key(Action::Retry)
                ),
                t.dim(),
            ));
        }
    };
    let conflict_files: Vec<String> = if !task.conflict_files.is_empty() {
        task.conflict_files.clone()
    } else {
        f.and_then(|f| f.conflict.as_ref())
            .map(|(files, _)| files.clone())
            .unwrap_or_default()
    };
    if !conflict_files.is_empty() && task.status != TaskStatus::Merged {
        let mut c = Section::new("conflicted files");
        let when = f
            .and_then(|f| f.conflict.as_ref())
            .map(|(_, at)| format!(" {}", ctx.when(*at)))
            .unwrap_or_default();
        let into = task.onto.as_deref().map_or(s.target.as_str(), short_branch);
        c.line(Line::styled(
            format!("the merge into {into} conflicted{when}"),
            t.error(),
        ));
        for file in &conflict_files {
            c.line(Line::styled(format!("  {file}"), t.error()));
        }
        if task.lines_at_risk.is_empty() {
            retry_hint(&mut c);
        }
        out.push(c);
    }
    if !task.lines_at_risk.is_empty() && task.status != TaskStatus::Merged {
        let tier = task.tier.map(|x| x.as_str()).unwrap_or("a");
        let mut c = Section::new(format!("lines at risk ({})", task.lines_at_risk.len()));
        c.line(Line::styled(
            format!("the {tier} tier would have dropped these lines; nothing merged"),
            t.error(),
        ));
        retry_hint(&mut c);
        let side_w = 7;
        for l in &task.lines_at_risk {
            c.line(Line::from(vec![
                Span::styled(format!("{:<side_w$}", l.side.as_str()), t.dim()),
                Span::styled(format!("{} ", l.file), t.text()),
                Span::styled(format!("- {}", l.line), t.error()),
            ]));
        }
        out.push(c);
    }
    out
}

/// The merge facts: position, gate, tier and outcome, sent back,
/// reimagined, why it came back.
pub(super) fn facts(ctx: &PageCtx, id: &TaskId, task: &Task) -> Option<Section> {
    let t = ctx.theme;
    let f = Some(&task.merge_facts);
    let mut merge = Section::new("merge");
    queue_lines(ctx, id, task, &mut merge);
    if let Some(b) = &task.onto {
        let to = format!("→ {} (its team's integration branch)", short_branch(b));
        merge.line(ctx.kv("lands on", to, t.text()));
    }
    if let Some(at) = f.and_then(|f| f.queued_at) {
        merge.line(ctx.kv("queued", ctx.when(at), t.text()));
    }
    let gate = match (task.status, f.and_then(|f| f.last_gate.as_ref())) {
        (TaskStatus::Gating, _) => Some(("running".to_string(), t.status(TaskStatus::Gating))),
        (_, Some((true, g))) => Some((format!("{g} passed"), t.ok())),
        (_, Some((false, g))) => Some((
            format!("{g} failed ({}×)", task.gate_failures),
            t.status(TaskStatus::Failed),
        )),
        _ => None,
    };
    if let Some((g, style)) = gate {
        merge.line(ctx.kv("gate", g, style));
    }
    if let Some(line) = last_merge(ctx, task) {
        merge.line(line);
    }
    if let Some((tier, at)) = f.and_then(|f| f.merged.as_ref()) {
        merge.line(ctx.kv("merged", format!("tier {tier} {}", ctx.when(*at)), t.ok()));
    }
    if task.merge_retries > 0 {
        merge.line(ctx.kv(
            "sent back",
            format!("{}× by the merge queue", task.merge_retries),
            t.status(TaskStatus::Blocked),
        ));
    }
    if task.reimagined > 0 {
        merge.line(ctx.kv(
            "reimagined",
            format!(
                "{}× redone on {}",
                task.reimagined,
                task.onto.as_deref().map_or("the target", short_branch)
            ),
            t.status(TaskStatus::Blocked),
        ));
    }
    if let Some(why) = &task.returned {
        let w = ctx.width.saturating_sub(14).max(10);
        for (i, l) in wrap(why, w).into_iter().enumerate() {
            merge.line(if i == 0 {
                ctx.kv("came back", l, t.text())
            } else {
                Line::styled(format!("{:<12}{l}", ""), t.text())
            });
        }
    }
    if !task.changed.is_empty() {
        merge.line(ctx.kv(
            "changed",
            format!(
                "{} file{}",
                task.changed.len(),
                if task.changed.len() == 1 { "" } else { "s" }
            ),
            t.text(),
        ));
    }
    (!merge.lines.is_empty()).then_some(merge)
}

/// The conflict predicted before the task started.
pub(super) fn prediction(ctx: &PageCtx, task: &Task) -> Option<Section> {
    let t = ctx.theme;
    if let Some(p) = &task.prediction {
        let mut sec = Section::new("predicted conflict");
        let with: Vec<&str> = p.with.iter().map(|x| x.as_str()).collect();
        sec.line(ctx.kv(
            "overlaps",
            if with.is_empty() {
                "—".to_string()
            } else {
                with.join(", ")
            },
            t.text(),
        ));
        sec.line(ctx.kv(
            "start",
            if p.delayed {
                "delayed until they are done"
            } else {
                "not delayed"
            },
            if p.delayed { t.pause() } else { t.dim() },
        ));
        if p.files.is_empty() {
            sec.line(Line::styled(
                "no changed file of theirs in its scope yet",
                t.dim(),
            ));
        }
        for file in &p.files {
            sec.line(Line::styled(
                format!("  {file}"),
                t.status(TaskStatus::Blocked),
            ));
        }
        return Some(sec);
    }
    None
}

/// The gates on merged results that held this entry, and a rejection.
pub(super) fn merged_result_gates(ctx: &PageCtx, id: &TaskId, task: &Task) -> Option<Section> {
    let (t, snap) = (ctx.theme, ctx.snap);
    let runs: Vec<&merge_queue::BatchRun> = snap
        .state
        .batch_runs
        .iter()
        .filter(|r| r.tasks.contains(id))
        .map(|r| &**r)
        .collect();
    let rejected = task.merge_facts.rejected.clone();
    if !runs.is_empty() || rejected.is_some() {
        let mut sec = Section::stream("merged-result gates");
        let last_failed = runs.iter().rposition(|r| !r.passed);
        for (i, r) in runs.iter().enumerate() {
            let others = r.tasks.len() - 1;
            let with = if others == 0 {
                "alone".to_string()
            } else {
                format!("with {others} other{}", if others == 1 { "" } else { "s" })
            };
            let (mark, style, what) = if r.passed {
                ("✓", t.ok(), "passed".to_string())
            } else {
                ("✗", t.error(), format!("failed `{}`", r.gate))
            };
            sec.line(Line::from(vec![
                Span::styled(format!("{} ", clock_hms(r.at)), t.dim()),
                Span::styled(format!("{mark} "), style),
                Span::styled(format!("{with} on {} ", short_commit(&r.base)), t.text()),
                Span::styled(what, style),
            ]));
            if Some(i) == last_failed && rejected.is_none() {
                for l in r.output.lines() {
                    sec.line(Line::styled(format!("  {l}"), t.text()));
                }
            }
        }
        if let Some((at, gate, output)) = &rejected {
            sec.line(Line::styled(
                format!(
                    "{} rejected: the merged result failed `{gate}`",
                    clock_hms(*at)
                ),
                t.error(),
            ));
            for l in output.lines() {
                sec.line(Line::styled(format!("  {l}"), t.text()));
            }
        }
        return Some(sec);
    }
    None
}

/// Its place in the queue and the keys that move it.
fn queue_lines(ctx: &PageCtx, id: &TaskId, task: &Task, merge: &mut Section) {
    let (t, snap) = (ctx.theme, ctx.snap);
    if let Some(pos) = snap.merge_queue.iter().position(|q| q == id) {
        let moved = match task.queue_key.signum() {
            -1 => " · moved to the front",
            1 => " · moved to the back",
            _ => "",
        };
        merge.line(ctx.kv(
            "queue",
            format!("{} of {}{moved}", pos + 1, snap.merge_queue.len()),
            t.status(TaskStatus::Queued),
        ));
        if !ctx.app.readonly {
            merge.line(Line::styled(
                format!(
                    "{} front · {} back · {} drop (branch kept)",
                    ctx.key(Action::MoveFront),
                    ctx.key(Action::MoveBack),
                    ctx.key(Action::Drop)
                ),
                t.dim(),
            ));
        }
    }
}

/// The last merge attempt: its tier and outcome.
fn last_merge<'a>(ctx: &PageCtx, task: &Task) -> Option<Line<'a>> {
    let t = ctx.theme;
    if task.tier.is_none() && task.outcome.is_none() {
        return None;
    }
    let mut spans = vec![Span::styled(format!("{:<12}", "last merge"), t.dim())];
    if let Some(tier) = task.tier {
        spans.push(Span::styled(
            format!("tier {tier}"),
            merge_queue::tier_style(tier, t),
        ));
    }
    if let Some(o) = &task.outcome {
        let style = match o.as_str() {
            "merged" => t.ok(),
            "refused" => t.status(TaskStatus::Blocked),
            _ => t.error(),
        };
        if task.tier.is_some() {
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled(o.clone(), style));
    }
    Some(Line::from(spans))
}
