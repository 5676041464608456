//! Incident records from the keyboard: `I` makes one of the selected T3
//! concern or failed task, `f` writes its follow-up, `i` lists them.

use super::{App, Mode};
use crate::domain::{IncidentSource, SwarmState};
use crate::engine::Command;
use crate::tui::command_line::LineEdit;
use crate::tui::detail;
use crate::tui::panes::Target;

/// What an incident command will do, for the status line.
pub fn said(s: &SwarmState, cmd: &Command) -> Option<String> {
    match cmd {
        Command::OpenIncident(source) => Some(format!(
            "incident {} opened for {}: i lists the records, f writes its follow-up",
            s.next_incident_id(),
            source.id()
        )),
        Command::FollowUp(id, _) => Some(format!("{id}'s follow-up written")),
        _ => None,
    }
}

/// The incident record a row stands for, or the one made of it.
fn incident_of(s: &SwarmState, t: &Target) -> Option<crate::domain::IncidentId> {
    let source = match t {
        Target::Incident(i) => return Some(i.clone()),
        Target::Task(id) => IncidentSource::Task(id.clone()),
        Target::Concern(id) => IncidentSource::Concern(id.clone()),
        _ => return None,
    };
    s.incident_of(&source).map(|i| i.id.clone())
}

impl App {
    /// The rows of the open page, when it has rows to select.
    pub(super) fn page_rows(&self) -> Vec<Target> {
        self.pages
            .last()
            .map(|p| detail::rows(&self.snap, p))
            .unwrap_or_default()
    }

    /// Scroll the open page, within what its last draw could show.
    pub(super) fn scroll_page(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let n = self.page_scroll_max.get() as usize + 1;
        self.page_scroll = to(self.page_scroll as usize, n).min(n - 1) as u16;
    }

    /// `I`: an incident record of the selected concern or task.
    pub(super) fn open_incident(&mut self, sel: Option<Target>) {
        let source = match sel {
            Some(Target::Concern(c)) => IncidentSource::Concern(c),
            Some(Target::Task(t)) => IncidentSource::Task(t),
            _ => {
                return self.say(
                    "select a concern that reached you, or a task that failed for good, to open an incident",
                );
            }
        };
        self.send_said(Command::OpenIncident(source));
    }

    /// `f`: write the follow-up of the selected incident (or of the one made
    /// of the selected concern or task), starting from what it says now.
    pub(super) fn ask_follow_up(&mut self, sel: Option<Target>) {
        let s = &self.snap.state;
        let Some(id) = sel.as_ref().and_then(|t| incident_of(s, t)) else {
            return self.say("select an incident record (i lists them) to write its follow-up");
        };
        let now = s
            .incident(&id)
            .map(|i| i.follow_up.clone())
            .unwrap_or_default();
        self.mode = Mode::FollowUp {
            id,
            edit: LineEdit::with(&now),
        };
    }
}
