//! What the review screens read: the period of a morning or an evening
//! review, its report streamed from the log (opened read-only, never held
//! in memory), and the record written when the operator says it is done.

use super::period::When;
use super::record::{self, Recorded};
use super::{Period, Report};
use crate::config::Config;
use crate::domain::Millis;
use crate::store::Store;
use chrono::TimeZone;
use std::path::PathBuf;

/// Which review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Since the last review: what merged, what failed, what waits.
    Morning,
    /// The day so far against the targets.
    Evening,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Morning => "morning",
            Kind::Evening => "evening",
        }
    }
}

/// The time zone reviews are read in: the operator's, or UTC (for
/// pictures and tests that must come out the same anywhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    Local,
    Utc,
}

impl Zone {
    /// `2026-03-02 06:00`.
    pub fn stamp(self, at: Millis) -> String {
        fn f<Z: TimeZone>(z: &Z, at: Millis) -> String
        where
            Z::Offset: std::fmt::Display,
        {
            z.timestamp_millis_opt(at)
                .earliest()
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| at.to_string())
        }
        match self {
            Zone::Local => f(&chrono::Local, at),
            Zone::Utc => f(&chrono::Utc, at),
        }
    }
}

/// Where a console finds its swarm's log, config and review record.
#[derive(Clone, Debug)]
pub struct Source {
    /// `.shiftboss/`, where `reviews.jsonl` lives.
    pub dir: PathBuf,
    pub db: PathBuf,
    pub config: Config,
    pub zone: Zone,
}

impl Source {
    pub fn new(paths: &crate::swarm::Paths, config: Config, zone: Zone) -> Source {
        Source {
            dir: paths.dir.clone(),
            db: paths.db.clone(),
            config,
            zone,
        }
    }

    /// The period a review covers at `now`: the evening's from the start of
    /// the day; the morning's from the end of the last recorded review, or
    /// yesterday's start when none was recorded.
    pub fn period(&self, kind: Kind, now: Millis) -> Result<Period, String> {
        let last = record::last_review(&self.dir);
        let day_starts = self.config.review.day_start_time();
        let word = match (kind, last) {
            (Kind::Evening, _) => "morning",
            (Kind::Morning, Some(_)) => "last-review",
            (Kind::Morning, None) => "yesterday",
        };
        let since = match self.zone {
            Zone::Local => When {
                zone: &chrono::Local,
                now,
                day_starts,
                last_review: last,
            }
            .parse(word),
            Zone::Utc => When {
                zone: &chrono::Utc,
                now,
                day_starts,
                last_review: last,
            }
            .parse(word),
        }?;
        Ok(Period {
            since: since.min(now),
            until: now + 1,
        })
    }

    /// The report of the review at `now`, streamed from the log.
    pub fn load(&self, kind: Kind, now: Millis) -> Result<Report, String> {
        let period = self.period(kind, now)?;
        let store = Store::open_readonly(&self.db).map_err(|e| e.to_string())?;
        let mut failed = None;
        let report = Report::build(period, &self.config, |fold| {
            if let Err(e) = store.each_event_after(0, |_, ev| fold(&ev)) {
                failed = Some(e);
            }
        });
        match failed {
            Some(e) => Err(e.to_string()),
            None => Ok(report),
        }
    }

    /// The first moment at or after `now` when the clock reads the night's
    /// end time (`[night] ends`) in this zone.
    pub fn night_end(&self, now: Millis) -> Millis {
        fn next<Z: TimeZone>(z: &Z, now: Millis, t: chrono::NaiveTime) -> Option<Millis> {
            let local = z.timestamp_millis_opt(now).earliest()?.naive_local();
            let mut day = local.date();
            for _ in 0..3 {
                if let Some(at) = z.from_local_datetime(&day.and_time(t)).earliest() {
                    let ms = at.timestamp_millis();
                    if ms > now {
                        return Some(ms);
                    }
                }
                day = day.succ_opt()?;
            }
            None
        }
        let t = self.config.night.end_time();
        let at = match self.zone {
            Zone::Local => next(&chrono::Local, now, t),
            Zone::Utc => next(&chrono::Utc, now, t),
        };
        at.unwrap_or(now + crate::domain::HOUR * 12)
    }

    /// Record the review of `period`: "since the last review" starts at its end.
    pub fn record(&self, period: Period, at: Millis) -> std::io::Result<()> {
        record::record(
            &self.dir,
            &Recorded {
                since: period.since,
                until: period.until,
                at,
            },
        )
    }
}

/// Failed or blocked work not archived, in the order tasks were added:
/// what the morning review triages.
pub fn failed_work(s: &crate::domain::SwarmState) -> Vec<&crate::domain::Task> {
    use crate::domain::TaskStatus;
    s.task_order
        .iter()
        .filter_map(|id| s.tasks.get(id))
        .filter(|t| matches!(t.status, TaskStatus::Failed | TaskStatus::Blocked) && !t.archived)
        .collect()
}

/// Tasks merged in `period`, in the order they merged.
pub fn merged_in(s: &crate::domain::SwarmState, period: Period) -> Vec<&crate::domain::Task> {
    use crate::domain::TaskStatus;
    let mut v: Vec<&crate::domain::Task> = s
        .tasks
        .values()
        .filter(|t| t.status == TaskStatus::Merged)
        .filter(|t| {
            t.finished_at
                .is_some_and(|at| period.since <= at && at < period.until)
        })
        .collect();
    v.sort_by_key(|t| (t.finished_at, t.spec.id.clone()));
    v
}

/// Concerns of high or critical impact raised in `period`, oldest first.
pub fn incidents(s: &crate::domain::SwarmState, period: Period) -> Vec<&crate::domain::Concern> {
    use crate::domain::Impact;
    s.concerns
        .iter()
        .filter(|c| matches!(c.impact, Impact::High | Impact::Critical))
        .filter(|c| period.since <= c.raised_at && c.raised_at < period.until)
        .collect()
}

/// Work set up for the night: marked `night`, not started yet.
pub fn night_work(t: &crate::domain::Task) -> bool {
    t.spec.night && t.status == crate::domain::TaskStatus::Pending
}
