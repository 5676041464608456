//! Hand-made snapshots for pane tests: a few events folded into a
//! `SwarmState` (and kept as recent events, as the runner does), drawn into
//! a buffer whose text the tests read.

use super::{DrawCtx, Pane, PaneState};
use crate::domain::*;
use crate::swarm::Snapshot;
use crate::tui::screenshot::to_text;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub struct Kit {
    pub snap: Snapshot,
    at: Millis,
}

impl Kit {
    /// A swarm started at 09:00 on the epoch's first day.
    pub fn new() -> Kit {
        let mut k = Kit {
            snap: Snapshot::default(),
            at: 9 * HOUR,
        };
        k.ev(
            None,
            None,
            EventKind::SwarmStarted {
                target: "main".into(),
                seed: 1,
            },
        );
        k
    }

    /// Move the clock to `at` (the snapshot's `now` follows).
    pub fn at(&mut self, at: Millis) -> &mut Kit {
        self.at = at;
        self.snap.now = self.snap.now.max(at);
        self
    }

    pub fn ev(&mut self, agent: Option<&str>, task: Option<&str>, kind: EventKind) -> &mut Kit {
        let convoy = task
            .and_then(|t| self.snap.state.task(&TaskId::new(t)))
            .map(|t| t.spec.convoy.clone());
        let ev = Event {
            at: self.at,
            actor: Actor::Engine,
            agent: agent.map(AgentId::new),
            task: task.map(TaskId::new),
            convoy,
            model: agent
                .and_then(|a| self.snap.state.agent(&AgentId::new(a)))
                .map(|a| a.model.clone()),
            session: agent.map(|a| SessionId::new(format!("{a}#1"))),
            kind,
        };
        self.snap.state.apply(&ev);
        if !matches!(ev.kind, EventKind::UsageRecorded { .. }) {
            self.snap.recent.push_back(ev);
        }
        self.snap.now = self.snap.now.max(self.at);
        self
    }

    pub fn agent(&mut self, id: &str, model: &str) -> &mut Kit {
        self.ev(
            Some(id),
            None,
            EventKind::AgentRegistered {
                model: model.into(),
                runtime: "sim".into(),
            },
        )
    }

    pub fn task(&mut self, id: &str, convoy: &str) -> &mut Kit {
        let spec = TaskSpec {
            id: TaskId::new(id),
            title: id.into(),
            spec: String::new(),
            convoy: ConvoyId::new(convoy),
            priority: 0,
            scope: Vec::new(),
            checks: Vec::new(),
            after: Vec::new(),
            tier: None,
            behaviour: None,
            issue: None,
            night: false,
        };
        self.ev(None, None, EventKind::TaskAdded { spec })
    }

    pub fn assign(&mut self, agent: &str, task: &str) -> &mut Kit {
        self.ev(
            Some(agent),
            Some(task),
            EventKind::TaskAssigned {
                branch: format!("shiftboss/{agent}/{task}"),
                attempt: 1,
                resume: false,
            },
        )
    }

    pub fn spend(&mut self, agent: &str, task: &str, dollars: f64) -> &mut Kit {
        self.ev(
            Some(agent),
            Some(task),
            EventKind::UsageRecorded {
                usage: Usage::default(),
                cost: Money::from_dollars(dollars),
            },
        )
    }

    pub fn merged(&mut self, task: &str) -> &mut Kit {
        self.ev(
            None,
            Some(task),
            EventKind::MergeFinished {
                outcome: MergeOutcome::Merged {
                    commit: "abc".into(),
                    tier: "clean".into(),
                    removals: Vec::new(),
                },
            },
        )
    }

    pub fn failed(&mut self, task: &str) -> &mut Kit {
        self.ev(
            None,
            Some(task),
            EventKind::TaskFailed {
                reason: "gates failed 3 times".into(),
            },
        )
    }
}

/// Draw `pane` into a `w` × `h` buffer with the dark theme, focused.
pub fn draw(pane: &dyn Pane, snap: &Snapshot, state: &PaneState, w: u16, h: u16) -> Buffer {
    let theme = Theme::builtin("dark").expect("built in");
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    let ctx = DrawCtx {
        snap,
        theme: &theme,
        focused: true,
        state,
        number: pane.id().index() + 1,
    };
    pane.draw(&ctx, area, &mut buf);
    buf
}

/// The drawn text, one string per row, trailing spaces trimmed.
pub fn lines(buf: &Buffer) -> Vec<String> {
    to_text(buf).lines().map(str::to_string).collect()
}

/// Draw into every small size (zero included) and a few odd offsets: must
/// not panic.
pub fn draws_in_tiny_areas(pane: &dyn Pane, snap: &Snapshot) {
    let theme = Theme::builtin("dark").expect("built in");
    let state = PaneState::default();
    for w in 0..14u16 {
        for h in 0..8u16 {
            let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
            let ctx = DrawCtx {
                snap,
                theme: &theme,
                focused: w % 2 == 0,
                state: &state,
                number: pane.id().index() + 1,
            };
            pane.draw(&ctx, Rect::new(3, 1, w, h), &mut buf);
        }
    }
    // Narrow and tall, wide and flat.
    for (w, h) in [(1, 40), (2, 40), (120, 1), (120, 2), (120, 3)] {
        draw(pane, snap, &state, w, h);
    }
}
