//! The rows a page offers: `j`/`k` select one, `Enter` opens it. A convoy
//! page's rows are its tasks; a task page's, its agent, the tasks it waits
//! on, the concerns about it and its incident record; the incident list's,
//! its records.

use super::{PageCtx, Section};
use crate::domain::TaskId;
use crate::swarm::Snapshot;
use crate::tui::panes::Target;
use ratatui::text::{Line, Span};

/// The selectable rows of `page`, in the order they are drawn.
pub fn rows(snap: &Snapshot, page: &Target) -> Vec<Target> {
    let s = &snap.state;
    match page {
        Target::Incidents => s
            .incidents
            .iter()
            .map(|i| Target::Incident(i.id.clone()))
            .collect(),
        Target::Convoy(c) => s
            .task_order
            .iter()
            .filter(|t| &s.tasks[*t].spec.convoy == c)
            .map(|t| Target::Task(t.clone()))
            .collect(),
        Target::Task(id) => task_rows(snap, id),
        _ => Vec::new(),
    }
}

fn task_rows(snap: &Snapshot, id: &TaskId) -> Vec<Target> {
    let s = &snap.state;
    let Some(t) = s.task(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(a) = &t.agent {
        out.push(Target::Agent(a.clone()));
    }
    out.extend(
        t.spec
            .after
            .iter()
            .filter(|d| s.tasks.contains_key(*d))
            .map(|d| Target::Task(d.clone())),
    );
    out.extend(
        s.concerns
            .iter()
            .filter(|c| c.task.as_ref() == Some(id))
            .map(|c| Target::Concern(c.id.clone())),
    );
    let source = crate::domain::IncidentSource::Task(id.clone());
    out.extend(
        s.incident_of(&source)
            .map(|i| Target::Incident(i.id.clone())),
    );
    out
}

/// The marker in front of a row: `▶` on the selected one.
pub fn marker(ctx: &PageCtx, n: usize) -> Span<'static> {
    let sel = n == ctx.app.page_sel;
    Span::styled(if sel { "▶ " } else { "  " }, ctx.theme.key())
}

/// A task page's rows as a section of their own.
pub fn section(ctx: &PageCtx, page: &Target) -> Option<Section> {
    let (t, s) = (ctx.theme, &ctx.snap.state);
    let rows = rows(ctx.snap, page);
    if rows.is_empty() {
        return None;
    }
    let mut sec = Section::new("go to (j/k select, enter opens)");
    for (n, r) in rows.iter().enumerate() {
        let (kind, what) = match r {
            Target::Agent(a) => ("agent", a.to_string()),
            Target::Task(d) => (
                "waits on",
                format!(
                    "{d} · {}",
                    s.task(d).map(|x| x.status.as_str()).unwrap_or("?")
                ),
            ),
            Target::Concern(c) => (
                "concern",
                s.concern(c)
                    .map(|x| format!("{c} {}", x.summary))
                    .unwrap_or_else(|| c.to_string()),
            ),
            Target::Incident(i) => ("incident", i.to_string()),
            other => ("", other.label()),
        };
        sec.line(Line::from(vec![
            marker(ctx, n),
            Span::styled(format!("{kind:<10}"), t.dim()),
            Span::styled(what, t.text()),
        ]));
    }
    Some(sec)
}
