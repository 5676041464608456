//! `--since` / `--until` for the reviews: `morning`, `yesterday`,
//! `last-review`, `14:30`, `2026-12-01`, `2026-12-01 14:30`, or a length back
//! from now (`8h`), read in the operator's time zone (`docs/metrics.md`).

use crate::domain::Millis;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// Where "now" and "today" are, and when the day starts.
pub struct When<'a, Z: TimeZone> {
    pub zone: &'a Z,
    pub now: Millis,
    pub day_starts: NaiveTime,
    pub last_review: Option<Millis>,
}

impl<Z: TimeZone> When<'_, Z> {
    fn local(&self, at: NaiveDateTime) -> Option<Millis> {
        match self.zone.from_local_datetime(&at) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.timestamp_millis()),
            // A time skipped by a clock change: the first moment after it.
            LocalResult::None => self
                .zone
                .from_local_datetime(&(at + Duration::hours(1)))
                .earliest()
                .map(|t| t.timestamp_millis()),
        }
    }

    fn today(&self) -> NaiveDate {
        let now: DateTime<Z> = self
            .zone
            .timestamp_millis_opt(self.now)
            .earliest()
            .unwrap_or_else(|| self.zone.timestamp_millis_opt(0).unwrap());
        // Before the day starts (a late night), it is still the day before.
        match now.time() < self.day_starts {
            true => now.date_naive() - Duration::days(1),
            false => now.date_naive(),
        }
    }

    /// The moment `spec` names, or what was expected.
    pub fn parse(&self, spec: &str) -> Result<Millis, String> {
        let s = spec.trim();
        let at = match s {
            "morning" | "today" => self.local(self.today().and_time(self.day_starts)),
            "yesterday" => self.local((self.today() - Duration::days(1)).and_time(self.day_starts)),
            "now" => Some(self.now),
            "last-review" => {
                return self
                    .last_review
                    .ok_or_else(|| "no review has been recorded yet (`report --record`)".into());
            }
            _ => self.absolute(s),
        };
        at.ok_or_else(|| {
            format!(
                "`{s}`: expected morning, yesterday, last-review, a time (14:30), a date (2026-12-01), a date and time (2026-12-01 14:30) or a length back from now (8h)"
            )
        })
    }

    fn absolute(&self, s: &str) -> Option<Millis> {
        if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M") {
            return self.local(self.today().and_time(t));
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return self.local(d.and_time(self.day_starts));
        }
        for f in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                return self.local(t);
            }
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.timestamp_millis());
        }
        let back = humantime::parse_duration(s).ok()?;
        self.now
            .checked_sub(Millis::try_from(back.as_millis()).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn at(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn names_of_moments_in_the_operators_zone() {
        let zone = FixedOffset::east_opt(3600).unwrap();
        let w = When {
            zone: &zone,
            now: at("2026-12-01T20:00:00+01:00"),
            day_starts: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
            last_review: Some(at("2026-12-01T08:15:00+01:00")),
        };
        assert_eq!(w.parse("morning"), Ok(at("2026-12-01T06:00:00+01:00")));
        assert_eq!(w.parse("yesterday"), Ok(at("2026-11-30T06:00:00+01:00")));
        assert_eq!(w.parse("14:30"), Ok(at("2026-12-01T14:30:00+01:00")));
        assert_eq!(w.parse("2026-11-29"), Ok(at("2026-11-29T06:00:00+01:00")));
        assert_eq!(
            w.parse("2026-11-29 23:10"),
            Ok(at("2026-11-29T23:10:00+01:00"))
        );
        assert_eq!(w.parse("8h"), Ok(at("2026-12-01T12:00:00+01:00")));
        assert!(w.parse("300000000000y").is_err(), "too far back: refused");
        // At 02:00 the operator's day has not started: morning is yesterday's.
        let late = When {
            now: at("2026-12-02T02:00:00+01:00"),
            ..w
        };
        assert_eq!(late.parse("morning"), Ok(at("2026-12-01T06:00:00+01:00")));
        assert_eq!(late.parse("yesterday"), Ok(at("2026-11-30T06:00:00+01:00")));
        assert_eq!(w.parse("last-review"), Ok(at("2026-12-01T08:15:00+01:00")));
        let e = w.parse("teatime").unwrap_err();
        assert!(e.starts_with("`teatime`: expected morning"), "{e}");
        let none = When {
            zone: &Utc,
            now: 0,
            day_starts: NaiveTime::MIN,
            last_review: None,
        };
        assert!(none.parse("last-review").unwrap_err().contains("no review"));
    }
}
