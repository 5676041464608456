//! What the inbox reads: which concerns are true duplicates (the fold
//! rules), the order that puts what needs the operator first, how long a
//! concern or pause point has been overdue, and how ready the swarm is for
//! a swarm-wide pause. Pure functions over the state's facts.
//!
//! Fold rules. Two concerns fold into one row only when they are the same
//! kind with the same fingerprint:
//! - a watchdog concern: the same T1 check on the same task (or, without a
//!   task, the same agent);
//! - any other: the same source saying the same text about the same task
//!   (or, without a task, the same agent).
//!
//! A concern that must reach the human (high or critical impact, routed to
//! the human: the source is unsure, or it is critical) folds only with
//! duplicates of the same impact: it is never folded under a lower-impact
//! row. Open and acknowledged concerns never fold together (a repeat after
//! an ack is news). A folded row shows its highest impact, its lowest
//! confidence and its most urgent routing, and holds all its members.
//!
//! Order: open before acknowledged; then impact (critical first), routing
//! (human, triage, log), age (oldest first: it waited longest).

use super::*;

/// Who a concern is about, for its fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Task(TaskId),
    Agent(AgentId),
    Nobody,
}

impl Subject {
    fn of(c: &Concern) -> Subject {
        match (&c.task, &c.agent) {
            (Some(t), _) => Subject::Task(t.clone()),
            (None, Some(a)) => Subject::Agent(a.clone()),
            (None, None) => Subject::Nobody,
        }
    }
}

/// What makes two concerns the same.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FoldKey {
    /// The same watchdog check on the same task or agent.
    Check {
        check: &'static str,
        subject: Subject,
        guard: Option<Impact>,
    },
    /// The same source and text about the same task or agent.
    Text {
        source: &'static str,
        subject: Subject,
        summary: String,
        guard: Option<Impact>,
    },
}

/// High or critical impact routed to the human: never folded under, or
/// sorted below, a lower-impact row.
pub fn must_reach_human(c: &Concern) -> bool {
    c.impact >= Impact::High && c.routing == Routing::Human
}

impl FoldKey {
    pub fn of(c: &Concern) -> FoldKey {
        let guard = must_reach_human(c).then_some(c.impact);
        let subject = Subject::of(c);
        match (c.source == ConcernSource::Watchdog, c.check) {
            (true, Some(check)) => FoldKey::Check {
                check: check.as_str(),
                subject,
                guard,
            },
            _ => FoldKey::Text {
                source: c.source.as_str(),
                subject,
                summary: c.summary.clone(),
                guard,
            },
        }
    }
}

/// Concerns that are true duplicates: one row of the inbox.
#[derive(Clone, Debug)]
pub struct Fold<'a> {
    /// Oldest first.
    pub members: Vec<&'a Concern>,
}

impl<'a> Fold<'a> {
    /// The member the row stands for and acts on: the highest impact, then
    /// the least sure, then the oldest.
    pub fn lead(&self) -> &'a Concern {
        self.members
            .iter()
            .copied()
            .min_by(|a, b| {
                b.impact
                    .cmp(&a.impact)
                    .then(a.confidence.total_cmp(&b.confidence))
                    .then(a.raised_at.cmp(&b.raised_at))
            })
            .expect("a fold has a member")
    }

    pub fn newest(&self) -> &'a Concern {
        self.members.last().expect("a fold has a member")
    }

    pub fn oldest(&self) -> &'a Concern {
        self.members[0]
    }

    pub fn impact(&self) -> Impact {
        self.members.iter().map(|c| c.impact).max().expect("member")
    }

    pub fn confidence(&self) -> f64 {
        self.members
            .iter()
            .map(|c| c.confidence)
            .fold(f64::INFINITY, f64::min)
    }

    /// The most urgent routing of its members.
    pub fn routing(&self) -> Routing {
        self.members
            .iter()
            .map(|c| c.routing)
            .min()
            .expect("member")
    }

    pub fn acked(&self) -> bool {
        self.members[0].disposition == Disposition::Acked
    }

    pub fn count(&self) -> usize {
        self.members.len()
    }

    /// Since when the row is overdue: its earliest overdue member's time.
    pub fn overdue_since(&self) -> Option<Millis> {
        self.members.iter().filter_map(|c| c.overdue_since).min()
    }
}

/// Open and acknowledged concerns folded into rows, in inbox order.
pub fn fold_concerns<'a>(concerns: impl IntoIterator<Item = &'a Concern>) -> Vec<Fold<'a>> {
    let mut all: Vec<&Concern> = concerns
        .into_iter()
        .filter(|c| c.disposition.is_open())
        .collect();
    all.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then(a.id.cmp(&b.id)));
    let mut groups: BTreeMap<(bool, FoldKey), Fold> = BTreeMap::new();
    for c in all {
        let acked = c.disposition == Disposition::Acked;
        groups
            .entry((acked, FoldKey::of(c)))
            .or_insert_with(|| Fold {
                members: Vec::new(),
            })
            .members
            .push(c);
    }
    let mut rows: Vec<Fold> = groups.into_values().collect();
    rows.sort_by(|a, b| {
        a.acked()
            .cmp(&b.acked())
            .then(b.impact().cmp(&a.impact()))
            .then(a.routing().cmp(&b.routing()))
            .then(a.oldest().raised_at.cmp(&b.oldest().raised_at))
            .then(a.lead().id.cmp(&b.lead().id))
    });
    rows
}

/// A swarm-wide pause's readiness: agents that finished their work and
/// hold no session, of the agents in the pool (retired ones left out).
pub fn swarm_readiness(s: &SwarmState) -> (usize, usize) {
    let pool = s.agents.values().filter(|a| a.phase != AgentPhase::Retired);
    let (mut ready, mut total) = (0, 0);
    for a in pool {
        total += 1;
        if !a.is_busy() {
            ready += 1;
        }
    }
    (ready, total)
}

use std::collections::BTreeMap;

#[cfg(test)]
mod tests {
    use super::*;

    fn concern(id: &str, task: &str, summary: &str, conf: f64, impact: Impact) -> Concern {
        Concern {
            id: ConcernId::new(id),
            source: ConcernSource::Agent,
            summary: summary.into(),
            confidence: conf,
            impact,
            routing: Routing::for_concern(conf, impact),
            disposition: Disposition::Open,
            agent: None,
            task: Some(TaskId::new(task)),
            raised_at: id[2..].parse::<i64>().unwrap() * MINUTE,
            disposed_at: None,
            disposed_by: None,
            check: None,
            reraised: 0,
            overdue_since: None,
        }
    }

    fn ids<'a>(rows: &'a [Fold<'a>]) -> Vec<Vec<&'a str>> {
        rows.iter()
            .map(|f| f.members.iter().map(|c| c.id.as_str()).collect())
            .collect()
    }

    /// The standard day's row `C-0027 log low 0.79 ×5`: five concerns
    /// with the same text, two of them critical at 0.30 and one high.
    #[test]
    fn a_critical_unsure_concern_among_five_of_the_same_text_stays_on_its_own_row() {
        let text = "the acceptance check may not cover the edge case";
        let cs = [
            concern("C-0001", "search-4", text, 0.79, Impact::Low),
            concern("C-0002", "search-6", text, 0.30, Impact::Critical),
            concern("C-0003", "billing-2", text, 0.79, Impact::Low),
            concern("C-0004", "search-4", text, 0.60, Impact::High),
            concern("C-0005", "search-4", text, 0.79, Impact::Low),
        ];
        let rows = fold_concerns(&cs);
        // Other tasks never fold; on search-4 the low ones fold, the high
        // unsure one keeps a row of its own.
        assert_eq!(
            ids(&rows),
            [
                vec!["C-0002"],
                vec!["C-0004"],
                vec!["C-0001", "C-0005"],
                vec!["C-0003"]
            ]
        );
        let crit = &rows[0];
        assert_eq!(
            (crit.impact(), crit.routing(), crit.confidence()),
            (Impact::Critical, Routing::Human, 0.30)
        );
        let human = rows
            .iter()
            .filter(|f| f.routing() == Routing::Human)
            .count();
        assert_eq!(human, 2, "the critical and the high one count as human");
    }

    #[test]
    fn a_fold_shows_its_highest_impact_and_lowest_confidence() {
        // Same text from the same task, none of it a must-reach concern:
        // a medium sure one and a low one fold; the row reads medium and
        // the lower confidence, routed as its most urgent member.
        let cs = [
            concern("C-0001", "auth-1", "flaky test", 0.9, Impact::Low),
            concern("C-0002", "auth-1", "flaky test", 0.6, Impact::Medium),
            concern("C-0003", "auth-1", "flaky test", 0.95, Impact::Low),
        ];
        let rows = fold_concerns(&cs);
        assert_eq!(ids(&rows), [vec!["C-0001", "C-0002", "C-0003"]]);
        let f = &rows[0];
        assert_eq!(f.impact(), Impact::Medium);
        assert_eq!(f.confidence(), 0.6);
        assert_eq!(f.routing(), Routing::Triage);
        assert_eq!(f.lead().id.as_str(), "C-0002");
        assert_eq!(f.newest().id.as_str(), "C-0003");
    }

    #[test]
    fn must_reach_concerns_fold_only_with_their_own_impact() {
        let cs = [
            concern("C-0001", "auth-1", "drops a table", 0.3, Impact::Critical),
            concern("C-0002", "auth-1", "drops a table", 0.2, Impact::Critical),
            concern("C-0003", "auth-1", "drops a table", 0.4, Impact::High),
        ];
        let rows = fold_concerns(&cs);
        assert_eq!(ids(&rows), [vec!["C-0001", "C-0002"], vec!["C-0003"]]);
    }

    #[test]
    fn watchdog_concerns_fold_by_check_and_subject_not_text() {
        let mut a = concern(
            "C-0001",
            "auth-3",
            "restarted: 20 repeats",
            0.8,
            Impact::Medium,
        );
        let mut b = concern(
            "C-0002",
            "auth-3",
            "restarted: 21 repeats",
            0.8,
            Impact::Medium,
        );
        let mut c = concern(
            "C-0003",
            "auth-4",
            "restarted: 21 repeats",
            0.8,
            Impact::Medium,
        );
        let mut d = concern("C-0004", "auth-3", "stalled for 10m", 0.8, Impact::Medium);
        for x in [&mut a, &mut b, &mut c, &mut d] {
            x.source = ConcernSource::Watchdog;
            x.check = Some(Check::Looping);
        }
        d.check = Some(Check::Stalled);
        let all = [a, b, c, d];
        let rows = fold_concerns(&all);
        assert_eq!(
            ids(&rows),
            [vec!["C-0001", "C-0002"], vec!["C-0003"], vec!["C-0004"]]
        );
    }

    #[test]
    fn order_is_impact_then_routing_then_age_and_acked_last() {
        let mut acked = concern("C-0001", "a", "old critical", 0.9, Impact::Critical);
        acked.disposition = Disposition::Acked;
        let cs = [
            acked,
            concern("C-0002", "b", "high sure (triage)", 0.9, Impact::High),
            concern("C-0003", "c", "high unsure (human)", 0.5, Impact::High),
            concern("C-0004", "d", "medium unsure", 0.3, Impact::Medium),
            concern("C-0005", "e", "medium unsure too", 0.3, Impact::Medium),
            concern("C-0006", "f", "critical", 0.9, Impact::Critical),
        ];
        let rows = fold_concerns(&cs);
        let lead: Vec<&str> = rows.iter().map(|f| f.lead().id.as_str()).collect();
        assert_eq!(
            lead,
            ["C-0006", "C-0003", "C-0002", "C-0004", "C-0005", "C-0001"]
        );
        // An ack is news: the same critical again stands apart, open.
        let mut again = cs.to_vec();
        let mut second = concern("C-0007", "a", "old critical", 0.9, Impact::Critical);
        second.raised_at = 8 * MINUTE;
        again.push(second);
        let rows = fold_concerns(&again);
        assert_eq!(rows.len(), 7);
        assert!(!rows[0].acked() && rows[6].acked());
    }
}
