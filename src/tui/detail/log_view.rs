//! Following an agent's output, like `kubectl logs -f` or k9s's log view:
//! the whole of its latest session from the transcript
//! (`.shiftboss/transcripts/`), growing as the agent prints, on to its next
//! session when it starts one. Scrolled up it holds still; `G` follows
//! again; `/` searches, `n`/`N` go to the next or previous match.
//!
//! The transcript is read when the view opens and then only what was
//! appended, as new snapshots arrive (a small read, never on a draw).
//! Simulated agents keep no transcript: their last lines are shown, said
//! as such, or a line saying there is nothing to show.

use crate::domain::{AgentId, SessionId};
use crate::swarm::{Snapshot, transcript};
use crate::tui::action::{Key, KeyName};
use crate::tui::command_line::{Edited, LineEdit};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Lines kept in the view; older ones are dropped (and counted).
const KEPT: usize = 20_000;
/// The most read from a transcript at once.
const READ_MAX: u64 = 8 * 1024 * 1024;

/// Where the lines come from.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    /// A session's transcript, read up to `read` bytes; a line not yet
    /// ended is held in `partial`.
    File {
        path: PathBuf,
        read: u64,
        partial: String,
    },
    /// The last lines the console keeps (a simulated agent).
    Tail,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogView {
    pub agent: AgentId,
    /// The session shown (its latest).
    pub session: Option<SessionId>,
    source: Source,
    pub lines: Vec<String>,
    /// Lines dropped at the front to stay within [`KEPT`].
    pub dropped: usize,
    /// The first line shown when scrolled up; `None` follows the end.
    pub top: Option<usize>,
    /// The last search, and the line of its current match.
    pub search: String,
    pub found: Option<usize>,
    /// A search being typed.
    pub typing: Option<LineEdit>,
    /// A line about what is shown (no transcript, no match).
    pub note: String,
    /// Rows the last draw had for lines (for paging).
    pub rows: std::cell::Cell<usize>,
}

/// The transcripts of the swarm in `dir` (`.shiftboss/`), if known.
fn latest_session(snap: &Snapshot, agent: &AgentId) -> Option<SessionId> {
    let a = snap.state.agent(agent)?;
    a.session
        .clone()
        .or_else(|| (a.sessions > 0).then(|| SessionId(format!("{agent}#{}", a.sessions))))
}

impl LogView {
    /// The view of `agent`'s output; `dir` is the swarm's `.shiftboss/`.
    pub fn open(agent: AgentId, snap: &Snapshot, dir: Option<&Path>) -> LogView {
        let mut v = LogView {
            agent,
            session: None,
            source: Source::Tail,
            lines: Vec::new(),
            dropped: 0,
            top: None,
            search: String::new(),
            found: None,
            typing: None,
            note: String::new(),
            rows: std::cell::Cell::new(20),
        };
        v.refresh(snap, dir);
        v
    }

    /// Take in what the agent printed since the last look.
    pub fn refresh(&mut self, snap: &Snapshot, dir: Option<&Path>) {
        let session = latest_session(snap, &self.agent);
        if session != self.session {
            self.switch(snap, dir, session);
        }
        match &mut self.source {
            Source::File {
                path,
                read,
                partial,
            } => {
                let got = read_from(path, read, partial);
                self.push(got);
            }
            Source::Tail => {
                let tail: Vec<String> = snap
                    .tails
                    .get(&self.agent)
                    .map(|t| t.iter().cloned().collect())
                    .unwrap_or_default();
                self.lines = tail;
                self.dropped = 0;
                self.note = match (self.lines.is_empty(), &self.session) {
                    (true, None) => format!("no transcript: {} has run no session", self.agent),
                    (true, Some(_)) => format!(
                        "no transcript: {} is simulated and printed nothing kept",
                        self.agent
                    ),
                    (false, _) => format!(
                        "no transcript (simulated sessions keep none): the last {} lines the console kept",
                        self.lines.len()
                    ),
                };
            }
        }
    }

    /// The agent started another session: on to its transcript.
    fn switch(&mut self, snap: &Snapshot, dir: Option<&Path>, session: Option<SessionId>) {
        let file = match (dir, &session) {
            (Some(d), Some(s)) => Some(transcript::path(d, s)),
            _ => None,
        };
        self.session = session.clone();
        match file.filter(|f| f.exists()) {
            Some(path) => {
                if matches!(self.source, Source::File { .. }) {
                    let task = snap
                        .state
                        .agent(&self.agent)
                        .and_then(|a| a.task.clone())
                        .map_or(String::new(), |t| format!(" on {t}"));
                    let s = session.map_or(String::new(), |s| s.to_string());
                    self.push(vec![format!("── {s}{task}")]);
                } else {
                    self.lines.clear();
                }
                self.note.clear();
                self.source = Source::File {
                    path,
                    read: 0,
                    partial: String::new(),
                };
            }
            None => self.source = Source::Tail,
        }
    }

    fn push(&mut self, got: Vec<String>) {
        self.lines.extend(got);
        if self.lines.len() > KEPT {
            let cut = self.lines.len() - KEPT;
            self.lines.drain(..cut);
            self.dropped += cut;
            self.top = self.top.map(|t| t.saturating_sub(cut));
        }
    }

    /// One key; `false` closes the view.
    pub fn key(&mut self, key: Key) -> bool {
        if let Some(mut edit) = self.typing.take() {
            match edit.key(key) {
                Edited::Entered(text) => {
                    self.search = text;
                    self.find(true, true);
                }
                Edited::Cancelled => {}
                Edited::Typing => self.typing = Some(edit),
            }
            return true;
        }
        let last = self.lines.len().saturating_sub(self.rows.get().max(1));
        let top = self.top.unwrap_or(last);
        let page = self.rows.get().max(2) / 2;
        match key.code {
            KeyName::Esc | KeyName::Char('q') => return false,
            KeyName::Char('j') | KeyName::Down => self.scroll_to(top + 1),
            KeyName::Char('k') | KeyName::Up => self.scroll_to(top.saturating_sub(1)),
            KeyName::PageDown | KeyName::Char(' ') => self.scroll_to(top + page * 2),
            KeyName::Char('d') if key.ctrl => self.scroll_to(top + page),
            KeyName::PageUp => self.scroll_to(top.saturating_sub(page * 2)),
            KeyName::Char('u') if key.ctrl => self.scroll_to(top.saturating_sub(page)),
            KeyName::Char('g') | KeyName::Home => self.scroll_to(0),
            KeyName::Char('G') | KeyName::End => self.top = None,
            KeyName::Char('/') => self.typing = Some(LineEdit::default()),
            KeyName::Char('n') => self.find(true, false),
            KeyName::Char('N') => self.find(false, false),
            _ => {}
        }
        true
    }

    /// Show from line `top`; at the end, follow.
    fn scroll_to(&mut self, top: usize) {
        let last = self.lines.len().saturating_sub(self.rows.get().max(1));
        self.top = (top < last).then_some(top);
    }

    /// The next (or previous) line holding the search, from the current
    /// match (`fresh`: from the top of what is shown).
    fn find(&mut self, forward: bool, fresh: bool) {
        if self.search.is_empty() {
            return;
        }
        let needle = self.search.to_lowercase();
        let hit = |l: &String| l.to_lowercase().contains(&needle);
        let n = self.lines.len();
        let from = match (self.found, fresh) {
            (Some(f), false) => f,
            _ => self.top.unwrap_or(n.saturating_sub(self.rows.get())),
        };
        let found = if forward {
            let start = if fresh { from } else { from + 1 };
            (start..n).find(|&i| hit(&self.lines[i]))
        } else {
            (0..from).rev().find(|&i| hit(&self.lines[i]))
        };
        match found {
            Some(i) => {
                self.found = Some(i);
                self.note.clear();
                // The match a third of the way down, where the eye is.
                self.scroll_to(i.saturating_sub(self.rows.get() / 3));
            }
            None => self.note = format!("no more lines with {:?}", self.search),
        }
    }

    /// The view over `area`: a title line, the lines, a status line.
    pub fn draw(&self, t: &Theme, area: Rect, buf: &mut Buffer) {
        if area.height < 3 || area.width < 10 {
            return;
        }
        buf.set_style(area, t.base());
        let rows = area.height as usize - 2;
        self.rows.set(rows);
        let following = self.top.is_none();
        let session = self
            .session
            .as_ref()
            .map_or("no session".to_string(), |s| s.to_string());
        let title = Line::from(vec![
            Span::styled("▌ ", t.border(true)),
            Span::styled(
                format!("output of {} · {session}", self.agent),
                t.title(true),
            ),
            Span::styled(
                if following {
                    "  following"
                } else {
                    "  held (G follows)"
                },
                t.dim(),
            ),
        ]);
        buf.set_line(area.x, area.y, &title, area.width);
        let n = self.lines.len();
        let top = self.top.unwrap_or(n.saturating_sub(rows));
        let needle = self.search.to_lowercase();
        for (row, i) in (top..n).take(rows).enumerate() {
            let line = &self.lines[i];
            let style = if Some(i) == self.found {
                t.selected()
            } else if !needle.is_empty() && line.to_lowercase().contains(&needle) {
                t.key()
            } else if line.starts_with("::") || line.starts_with("──") {
                t.dim()
            } else {
                t.text()
            };
            let y = area.y + 1 + row as u16;
            buf.set_line(
                area.x + 1,
                y,
                &Line::styled(line.clone(), style),
                area.width - 1,
            );
        }
        let status = match &self.typing {
            Some(edit) => format!("/{}█", edit.text()),
            None if !self.note.is_empty() => self.note.clone(),
            None => format!(
                "lines {}–{} of {}{} · j/k scroll · g top · G follow · / search · n/N next/previous · Esc back",
                (top + 1).min(n + self.dropped),
                (top + rows).min(n) + self.dropped,
                n + self.dropped,
                if self.dropped > 0 {
                    format!(" ({} earliest not kept)", self.dropped)
                } else {
                    String::new()
                }
            ),
        };
        let y = area.y + area.height - 1;
        buf.set_line(area.x, y, &Line::styled(status, t.dim()), area.width);
    }
}

/// Whole lines appended to `path` since byte `read` (at most [`READ_MAX`]
/// at once); a line not yet ended waits in `partial`.
fn read_from(path: &Path, read: &mut u64, partial: &mut String) -> Vec<String> {
    let Ok(mut f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut bytes = Vec::new();
    let ok = f
        .seek(SeekFrom::Start(*read))
        .and_then(|_| f.take(READ_MAX).read_to_end(&mut bytes));
    if ok.is_err() || bytes.is_empty() {
        return Vec::new();
    }
    *read += bytes.len() as u64;
    partial.push_str(&String::from_utf8_lossy(&bytes));
    let Some(end) = partial.rfind('\n') else {
        return Vec::new();
    };
    let rest = partial.split_off(end + 1);
    let done = std::mem::replace(partial, rest);
    done.lines().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Day, app, text};
    use super::*;
    use crate::tui::panes::Target;
    use std::io::Write;

    fn session_file(d: &Day, dir: &Path) -> PathBuf {
        let s = latest_session(&d.snap, &AgentId::from("builder-01")).unwrap();
        let f = transcript::path(dir, &s);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        f
    }

    fn shown(v: &LogView, w: u16, h: u16) -> String {
        let theme = Theme::builtin("dark").unwrap();
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        v.draw(&theme, area, &mut buf);
        text(&buf)
    }

    fn press(v: &mut LogView, keys: &str) {
        for c in keys.chars() {
            let k = match c {
                '\n' => Key::parse("enter"),
                c => Key::parse(&c.to_string()),
            };
            assert!(v.key(k.unwrap()));
        }
    }

    #[test]
    fn the_whole_session_is_shown_followed_and_searched() {
        let d = Day::standard();
        let dir = tempfile::tempdir().unwrap();
        let file = session_file(&d, dir.path());
        let mut f = std::fs::File::create(&file).unwrap();
        for i in 1..=40 {
            writeln!(f, "step {i}: compiling crate {i}").unwrap();
        }
        writeln!(f, "::progress 50::half way").unwrap();
        write!(f, "a line not yet ended").unwrap();
        f.flush().unwrap();
        let mut v = LogView::open("builder-01".into(), &d.snap, Some(dir.path()));
        assert_eq!(v.lines.len(), 41, "the unended line waits");
        insta::assert_snapshot!("log_view_following", shown(&v, 72, 10));
        // It grows as the agent prints; following keeps the end in view.
        writeln!(f, " and now it is").unwrap();
        writeln!(f, "tests passed").unwrap();
        f.flush().unwrap();
        v.refresh(&d.snap, Some(dir.path()));
        let out = shown(&v, 72, 10);
        assert!(out.contains("a line not yet ended and now it is"), "{out}");
        assert!(out.contains("tests passed"), "{out}");
        // Search from the top: the first match, held there.
        press(&mut v, "g/7:\n");
        assert_eq!(v.found, Some(6));
        let out = shown(&v, 72, 10);
        assert!(out.contains("step 7: compiling crate 7"), "{out}");
        assert!(out.contains("held (G follows)"), "{out}");
        press(&mut v, "n");
        assert_eq!(v.found, Some(16), "step 17 is the next match");
        press(&mut v, "N");
        assert_eq!(v.found, Some(6));
        press(&mut v, "N");
        assert!(v.note.contains("no more lines"), "{}", v.note);
        // G follows again; new lines show at once.
        press(&mut v, "G");
        writeln!(f, "the very last line").unwrap();
        f.flush().unwrap();
        v.refresh(&d.snap, Some(dir.path()));
        assert!(shown(&v, 72, 10).contains("the very last line"));
        assert!(!v.key(Key::parse("esc").unwrap()), "Esc closes");
    }

    #[test]
    fn a_simulated_agent_shows_its_kept_lines_or_says_there_is_none() {
        let d = Day::standard();
        let v = LogView::open("builder-01".into(), &d.snap, None);
        let out = shown(&v, 100, 12);
        assert!(out.contains("simulated sessions keep none"), "{out}");
        assert!(out.contains("output line 4"), "{out}");
        let v = LogView::open("nobody".into(), &d.snap, None);
        assert!(shown(&v, 100, 12).contains("no transcript: nobody has run no session"));
    }

    #[test]
    fn one_key_on_an_agent_page_opens_its_output_and_esc_goes_back() {
        let d = Day::standard();
        let mut a = app(d.snap.clone());
        a.pages.push(Target::Agent("builder-01".into()));
        a.key(Key::parse("l").unwrap());
        assert!(matches!(a.mode, crate::tui::app::Mode::Log(_)));
        let screen = crate::tui::screenshot::to_text(&crate::tui::screenshot::render(&a, 120, 30));
        assert!(screen.contains("output of builder-01"), "{screen}");
        a.key(Key::parse("esc").unwrap());
        assert!(matches!(a.mode, crate::tui::app::Mode::Normal));
        assert_eq!(a.pages.len(), 1, "back on the agent page");
    }
}
