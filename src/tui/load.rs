//! Operator load measured from the log (`swarm::load::OperatorLoad`). The
//! log is folded once, event by event, with the one fold; at the moments
//! that matter the console itself is asked:
//! - before each decision, the inbox's real rows say where its row stood:
//!   the operator keeps the inbox focused (the console's default) with the
//!   selection on the top row, so a decision costs a `down` key per row
//!   above its own, its action's key from the key table, and the confirm
//!   key when the action asks for one (a dismissal: its reason typed and
//!   `enter`);
//! - once the instant an unsure high-impact concern reached the human is
//!   over, the whole console is drawn at 80×24 and 160×48 with the real
//!   layout, and the concern must stand on a row of its own (its row's lead
//!   is it or a true duplicate of the same impact) among the rows drawn in
//!   the inbox.
//!
//! A decision is the operator's answers at one instant: a folded row
//! answered with one key answers every member at once. Only the inbox's
//! decisions count (pause points and concerns).

use super::action::{Action, KeyMap};
use super::app::App;
use super::floor::{body_area, pane_areas};
use super::panes::PaneId;
use super::panes::inbox::{folded, waiting_in};
use super::screenshot::{render, to_text};
use super::theme::Theme;
use crate::domain::triage::Verdict;
use crate::domain::{
    Actor, ConcernId, Disposition, Event, EventKind, HOUR, Impact, Millis, PauseKind, Routing,
    SwarmState, fold_concerns,
};
use crate::store::{Store, StoreError};
use crate::swarm::Snapshot;
use crate::swarm::load::{OperatorLoad, Waits};
use ratatui::layout::Rect;

/// Below this confidence a concern is unsure (the routing table's first
/// column).
pub const UNSURE: f64 = 0.5;

/// The console sizes a concern must be visible at.
pub const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Operator load of the run in `store`, up to `end`.
pub fn measure(store: &Store, end: Millis) -> Result<OperatorLoad, StoreError> {
    Ok(Measure::of_log(store)?.finish(end))
}

/// Whether a concern is unsure and of high or critical impact.
pub fn unsure_high(impact: Impact, confidence: f64) -> bool {
    impact >= Impact::High && confidence < UNSURE
}

/// The measure as the log grows: the events written so far read once
/// ([`Measure::of_log`]), then each new one as it is written
/// ([`Measure::event`], a swarm's tap), so a run's end reads nothing again.
pub struct Measure {
    state: SwarmState,
    keys: KeyMap,
    theme: Theme,
    /// The instant of the last decision seen.
    decision_at: Option<Millis>,
    /// (when, keys) per decision.
    decisions: Vec<(Millis, usize)>,
    /// Concerns to look for on screen once their instant is over.
    to_check: Vec<ConcernId>,
    check_at: Millis,
    surfaced: [usize; 2],
}

impl Measure {
    /// The measure of every event `store` holds so far.
    pub fn of_log(store: &Store) -> Result<Measure, StoreError> {
        let mut m = Measure::new();
        store.each_event_after(0, |_, ev| m.event(&ev))?;
        Ok(m)
    }

    fn new() -> Measure {
        Measure {
            state: SwarmState::default(),
            keys: KeyMap::defaults(false),
            theme: Theme::builtin("dark").expect("the dark theme is compiled in"),
            decision_at: None,
            decisions: Vec::new(),
            to_check: Vec::new(),
            check_at: 0,
            surfaced: [0; 2],
        }
    }

    /// The next event of the log.
    pub fn event(&mut self, ev: &Event) {
        if !self.to_check.is_empty() && ev.at != self.check_at {
            self.check_screens();
        }
        if ev.actor == Actor::Operator
            && self.decision_at != Some(ev.at)
            && let Some(keys) = self.decision_keys(&ev.kind)
        {
            self.decision_at = Some(ev.at);
            self.decisions.push((ev.at, keys));
        }
        self.state.apply(ev);
        let reached = match &ev.kind {
            EventKind::ConcernRaised { id, routing, .. } if *routing == Routing::Human => Some(id),
            EventKind::TriageVerdict {
                concern,
                verdict: Verdict::Escalate,
                ..
            } => Some(concern),
            _ => None,
        };
        if let Some(id) = reached
            && let Some(c) = self.state.concern(id)
            && unsure_high(c.impact, c.confidence)
        {
            self.to_check.push(id.clone());
            self.check_at = ev.at;
        }
    }

    fn snapshot(&self, now: Millis) -> Snapshot {
        Snapshot {
            state: self.state.clone(),
            now,
            ..Snapshot::default()
        }
    }

    /// Keys a decision's first event cost, from the state before it; `None`
    /// for what is not an inbox decision.
    fn decision_keys(&self, kind: &EventKind) -> Option<usize> {
        let (row, action, typed) = match kind {
            EventKind::PauseDecided { id, approved } => {
                let row = waiting_in(&self.state).iter().position(|p| &p.id == id)?;
                let action = if *approved {
                    Action::Approve
                } else {
                    Action::Reject
                };
                (row, action, 0)
            }
            EventKind::ConcernDisposed { id, disposition } => {
                let pauses = waiting_in(&self.state).len();
                let row = fold_concerns(self.state.open_concerns())
                    .iter()
                    .position(|f| f.members.iter().any(|m| &m.id == id))?;
                let (action, typed) = match disposition {
                    Disposition::Acked => (Action::Ack, 0),
                    Disposition::Resolved => (Action::Resolve, 0),
                    // The reason, then `enter`.
                    Disposition::Dismissed(r) => (Action::Dismiss, r.chars().count() + 1),
                    Disposition::Open => return None,
                };
                (pauses + row, action, typed)
            }
            _ => return None,
        };
        Some(row * self.key_cost(Action::Down) + self.key_cost(action) + typed)
    }

    /// One key when the table binds the action (plus the confirm key when
    /// it asks first); its `:` command line typed out when no key does.
    fn key_cost(&self, action: Action) -> usize {
        let confirm = usize::from(action.dangerous());
        if !self.keys.keys(action).is_empty() {
            return 1 + confirm;
        }
        let word = action.line_words().first().map_or(0, |(w, _)| w.len());
        // `:`, the word, a space, an id of six characters, `enter`.
        1 + word + 1 + 6 + 1 + confirm
    }

    /// Draw the console as it was when the checked concerns reached the
    /// human and look for each on a row of its own in the inbox.
    fn check_screens(&mut self) {
        let ids = std::mem::take(&mut self.to_check);
        let snap = self.snapshot(self.check_at);
        let app = App::new(snap, self.theme.clone(), self.keys.clone(), false);
        for (n, (w, h)) in SIZES.iter().enumerate() {
            let area = Rect::new(0, 0, *w, *h);
            let text = to_text(&render(&app, *w, *h));
            let inbox = pane_areas(body_area(area))
                .into_iter()
                .find(|(id, _)| *id == PaneId::Inbox)
                .map(|(_, r)| r)
                .expect("the floor has an inbox");
            let rows: Vec<&str> = text
                .lines()
                .skip(usize::from(inbox.y) + 1)
                .take(usize::from(inbox.height.saturating_sub(2)))
                .collect();
            for id in &ids {
                if own_row(&app.snap, id, &rows) {
                    self.surfaced[n] += 1;
                }
            }
        }
    }

    /// The load of the events seen, up to `end`.
    pub fn finish(&mut self, end: Millis) -> OperatorLoad {
        if !self.to_check.is_empty() {
            self.check_screens();
        }
        let s = &self.state;
        let start = s.started_at;
        let hours = ((end - start).max(0) as f64 / HOUR as f64).max(1.0);
        let mut per_hour: std::collections::BTreeMap<Millis, usize> = Default::default();
        for (at, _) in &self.decisions {
            *per_hour.entry((at - start) / HOUR).or_default() += 1;
        }
        let keys: Vec<usize> = self.decisions.iter().map(|(_, k)| *k).collect();
        let unsure: Vec<_> = s
            .concerns
            .iter()
            .filter(|c| unsure_high(c.impact, c.confidence))
            .collect();
        let reached = unsure
            .iter()
            .filter(|c| c.routing == Routing::Human)
            .count();
        let surfaced = self.surfaced[0].min(self.surfaced[1]);
        OperatorLoad {
            decisions: self.decisions.len(),
            decisions_worst_hour: per_hour.values().copied().max().unwrap_or(0),
            decisions_per_hour_mean: round2(self.decisions.len() as f64 / hours),
            keys_mean: round2(if keys.is_empty() {
                0.0
            } else {
                keys.iter().sum::<usize>() as f64 / keys.len() as f64
            }),
            keys_max: keys.iter().copied().max().unwrap_or(0),
            concern_wait: Waits::of(
                s.concerns
                    .iter()
                    .filter(|c| c.routing == Routing::Human)
                    .map(|c| c.disposed_at.unwrap_or(end) - c.raised_at)
                    .collect(),
            ),
            pause_wait: Waits::of(
                s.pauses
                    .iter()
                    .filter(|p| p.kind != PauseKind::Checkout)
                    .map(|p| p.decided_at.unwrap_or(end) - p.raised_at)
                    .collect(),
            ),
            unsure_high: unsure.len(),
            reached_human: reached,
            surfaced_80x24: self.surfaced[0],
            surfaced_160x48: self.surfaced[1],
            surfaced_pct: if unsure.is_empty() {
                100.0
            } else {
                round2(100.0 * surfaced as f64 / unsure.len() as f64)
            },
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Whether `id` stands on a row of its own among the drawn inbox rows: the
/// row of its fold is drawn, led by it or by a true duplicate of the same
/// impact.
fn own_row(snap: &Snapshot, id: &ConcernId, rows: &[&str]) -> bool {
    let Some(c) = snap.state.concern(id) else {
        return false;
    };
    let folds = folded(snap);
    let Some(f) = folds.iter().find(|f| f.members.iter().any(|m| &m.id == id)) else {
        return false;
    };
    if f.impact() != c.impact {
        return false;
    }
    let lead = f.lead().id.as_str();
    rows.iter().any(|r| {
        r.match_indices(lead).any(|(i, _)| {
            !r[i + lead.len()..]
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphanumeric())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConcernSource, PauseKind, SECOND};

    fn ev(at: Millis, actor: Actor, kind: EventKind) -> Event {
        Event {
            at: at * SECOND,
            actor,
            agent: None,
            task: None,
            convoy: None,
            model: None,
            session: None,
            kind,
        }
    }

    /// A day with `pauses` pause points waiting, then a critical concern at
    /// confidence 0.30 at second 100.
    fn day(pauses: usize) -> Measure {
        let mut m = Measure::new();
        m.event(&ev(
            0,
            Actor::Engine,
            EventKind::SwarmStarted {
                target: "main".into(),
                seed: 7,
            },
        ));
        for n in 1..=pauses {
            m.event(&ev(
                n as Millis,
                Actor::Agent,
                EventKind::PauseRequested {
                    id: format!("P-{n:04}").as_str().into(),
                    pause: PauseKind::AgentRequest,
                    reason: "about to delete the legacy handlers".into(),
                },
            ));
        }
        m.event(&ev(
            100,
            Actor::Agent,
            EventKind::ConcernRaised {
                id: "C-0001".into(),
                source: ConcernSource::Agent,
                summary: "the migration drops a column another service may still read".into(),
                confidence: 0.3,
                impact: Impact::Critical,
                routing: Routing::Human,
            },
        ));
        m
    }

    #[test]
    fn an_unsure_critical_concern_counts_only_where_the_inbox_draws_it() {
        let load = day(0).finish(200 * SECOND);
        assert_eq!((load.unsure_high, load.reached_human), (1, 1), "{load:?}");
        assert_eq!((load.surfaced_80x24, load.surfaced_160x48), (1, 1));
        assert_eq!(load.surfaced_pct, 100.0);
        // Six pause points stand above it: off an 80×24 inbox, on a 160×48 one.
        let load = day(6).finish(200 * SECOND);
        assert_eq!((load.surfaced_80x24, load.surfaced_160x48), (0, 1));
        assert_eq!(load.surfaced_pct, 0.0);
        assert!(!load.goal_met());
    }

    #[test]
    fn a_decision_costs_a_key_per_row_above_its_own_and_its_confirm() {
        let mut m = day(3);
        // The third pause point approved: two rows down, then `y`.
        m.event(&ev(
            400,
            Actor::Operator,
            EventKind::PauseDecided {
                id: "P-0003".into(),
                approved: true,
            },
        ));
        // The first rejected: `n`, then the confirm.
        m.event(&ev(
            500,
            Actor::Operator,
            EventKind::PauseDecided {
                id: "P-0001".into(),
                approved: false,
            },
        ));
        // The concern, now under one pause point, resolved (two events at
        // one instant: one decision).
        for _ in 0..2 {
            m.event(&ev(
                600,
                Actor::Operator,
                EventKind::ConcernDisposed {
                    id: "C-0001".into(),
                    disposition: Disposition::Resolved,
                },
            ));
        }
        let load = m.finish(2 * HOUR);
        assert_eq!(
            m_keys(&load),
            (3, 2.33, 3),
            "decisions, keys mean, keys max: {load:?}"
        );
        assert_eq!(load.decisions_worst_hour, 3);
        assert_eq!(load.decisions_per_hour_mean, 1.5);
        assert_eq!(load.pause_wait.count, 3);
        assert_eq!(load.pause_wait.max_ms, 2 * HOUR - 2 * SECOND);
        assert_eq!(load.concern_wait.max_ms, 500 * SECOND);
    }

    fn m_keys(l: &OperatorLoad) -> (usize, f64, usize) {
        (l.decisions, l.keys_mean, l.keys_max)
    }
}
