//! The reviews' numbers: the metrics of `docs/metrics.md` over a period,
//! graded against `[targets]`, with the trend of the periods before it.
//! `shiftboss report` prints them; the review screens draw them.

pub mod alerts;
pub mod calibration;
pub mod cv;
pub mod incident;
pub mod metrics;
pub mod period;
pub mod record;
mod render;
pub mod screen;

use crate::config::Config;
use crate::config::targets::Grading;
use crate::domain::Event;
pub use metrics::{Figures, Period, Review};
pub use render::value;
use serde::Serialize;

/// Earlier periods shown beside each metric.
pub const TREND: usize = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Green,
    Amber,
    Red,
    Critical,
    /// Nothing to measure (no denominator).
    NoData,
    /// No target configured.
    Ungraded,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Green => "green",
            Grade::Amber => "amber",
            Grade::Red => "red",
            Grade::Critical => "critical",
            Grade::NoData => "no data",
            Grade::Ungraded => "",
        }
    }
}

/// Past the critical line, past the warning line, inside the target, or
/// between (`docs/metrics.md`).
pub fn grade(g: &Grading, value: Option<f64>) -> Grade {
    let Some(v) = value else {
        return Grade::NoData;
    };
    if g.critical.as_ref().is_some_and(|l| l.holds(v)) {
        Grade::Critical
    } else if g.warning.as_ref().is_some_and(|l| l.holds(v)) {
        Grade::Red
    } else if let Some(t) = &g.target {
        if t.holds(v) {
            Grade::Green
        } else {
            Grade::Amber
        }
    } else if g.warning.is_some() || g.critical.is_some() {
        Grade::Green
    } else {
        Grade::Ungraded
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Share,
    Millis,
    PerHour,
    Dollars,
}

/// One metric of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub metric: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub value: Option<f64>,
    pub grade: Grade,
    pub target: Grading,
    /// The same metric over the earlier periods, oldest first.
    pub trend: Vec<Option<f64>>,
}

/// The report of one period.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub period: Period,
    pub figures: Figures,
    pub rows: Vec<Row>,
    /// The period's T1 alerts by check: real, noise, open.
    pub alerts: Vec<alerts::CheckTally>,
}

type Pick = fn(&Figures) -> Option<f64>;

/// The metrics in report order: name, label, unit, value, grading.
fn table(c: &Config) -> Vec<(&'static str, &'static str, Unit, Pick, &Grading)> {
    let t = &c.targets;
    vec![
        (
            "first_try_success",
            "first-try success",
            Unit::Share,
            |f| f.first_try_success,
            &t.first_try_success,
        ),
        (
            "integration_without_rework",
            "integration without rework",
            Unit::Share,
            |f| f.integration_without_rework,
            &t.integration_without_rework,
        ),
        (
            "escalation_rate",
            "escalation rate",
            Unit::Share,
            |f| f.escalation_rate,
            &t.escalation_rate,
        ),
        (
            "coordination_ratio",
            "coordination ratio",
            Unit::Share,
            |f| f.coordination_ratio,
            &t.coordination_ratio,
        ),
        (
            "context_at_completion",
            "context use at completion",
            Unit::Share,
            |f| f.context_at_completion,
            &t.context_at_completion,
        ),
        (
            "throughput_per_hour",
            "merged per hour",
            Unit::PerHour,
            |f| f.throughput_per_hour,
            &t.throughput_per_hour,
        ),
        (
            "cycle_time_p50",
            "cycle time p50",
            Unit::Millis,
            |f| f.cycle_time_p50,
            &t.cycle_time_p50,
        ),
        (
            "cycle_time_p90",
            "cycle time p90",
            Unit::Millis,
            |f| f.cycle_time_p90,
            &t.cycle_time_p90,
        ),
        (
            "rework_share",
            "rework",
            Unit::Share,
            |f| f.rework_share,
            &t.rework_share,
        ),
        (
            "agent_utilisation",
            "agent utilisation",
            Unit::Share,
            |f| f.agent_utilisation,
            &t.agent_utilisation,
        ),
        (
            "time_to_clear_p50",
            "time to clear blockers p50",
            Unit::Millis,
            |f| f.time_to_clear_p50,
            &t.time_to_clear_p50,
        ),
        (
            "false_pass_rate",
            "gates' false passes",
            Unit::Share,
            |f| f.false_pass_rate,
            &t.false_pass_rate,
        ),
        (
            "false_reject_rate",
            "gates' false rejects",
            Unit::Share,
            |f| f.false_reject_rate,
            &t.false_reject_rate,
        ),
        (
            "cost_per_merged_task",
            "cost per merged task",
            Unit::Dollars,
            |f| f.cost_per_merged_task,
            &t.cost_per_merged_task,
        ),
    ]
}

impl Report {
    /// Fold the whole log, in order (`each` hands every event to the fold
    /// it is given, streamed), into the report of `period` and the trend of
    /// the [`TREND`] periods of the same length before it.
    pub fn build(
        period: Period,
        config: &Config,
        each: impl FnOnce(&mut dyn FnMut(&Event)),
    ) -> Report {
        let len = (period.until - period.since).max(1);
        let mut periods: Vec<Period> = (1..=TREND as i64)
            .rev()
            .map(|k| Period {
                since: period.since - k * len,
                until: period.since - (k - 1) * len,
            })
            .collect();
        periods.push(period);
        let window = |model: &str| config.prices.get(model).map(|p| p.context);
        let mut review = Review::new(periods, &window);
        let mut alerts = alerts::Alerts::new(period);
        each(&mut |ev| {
            review.fold(ev);
            alerts.fold(ev);
        });
        let mut all = review.finish();
        let figures = all.pop().expect("the period itself is last");
        let rows = table(config)
            .into_iter()
            .map(|(metric, label, unit, pick, g)| Row {
                metric,
                label,
                unit,
                value: pick(&figures),
                grade: grade(g, pick(&figures)),
                target: g.clone(),
                trend: all.iter().map(pick).collect(),
            })
            .collect();
        Report {
            period,
            figures,
            rows,
            alerts: alerts.finish(),
        }
    }

    pub fn to_text(&self, zone: &impl chrono::TimeZone<Offset: std::fmt::Display>) -> String {
        render::text(self, zone, false)
    }

    pub fn to_markdown(&self, zone: &impl chrono::TimeZone<Offset: std::fmt::Display>) -> String {
        render::text(self, zone, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::targets::Line;

    fn g(t: &str, w: &str, c: &str) -> Grading {
        let l = |s: &str| (!s.is_empty()).then(|| Line::parse(s).unwrap());
        Grading {
            target: l(t),
            warning: l(w),
            critical: l(c),
        }
    }

    #[test]
    fn grades_follow_the_target_the_warning_and_the_critical_line() {
        let esc = g(">= 5% and <= 20%", "> 30% or < 5%", "> 50% or <= 0%");
        assert_eq!(grade(&esc, Some(0.10)), Grade::Green);
        assert_eq!(grade(&esc, Some(0.25)), Grade::Amber);
        assert_eq!(grade(&esc, Some(0.35)), Grade::Red);
        assert_eq!(grade(&esc, Some(0.03)), Grade::Red);
        assert_eq!(grade(&esc, Some(0.0)), Grade::Critical);
        assert_eq!(grade(&esc, Some(0.6)), Grade::Critical);
        assert_eq!(grade(&esc, None), Grade::NoData);
        assert_eq!(grade(&Grading::default(), Some(1.0)), Grade::Ungraded);
        let first = g("> 70%", "< 60%", "< 50%");
        assert_eq!(grade(&first, Some(0.65)), Grade::Amber);
        assert_eq!(grade(&first, Some(0.70)), Grade::Amber);
        assert_eq!(grade(&first, Some(0.55)), Grade::Red);
    }
}
