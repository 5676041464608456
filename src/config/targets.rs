//! `[targets]` and `[review]`: what the evening review grades the day's
//! metrics against (`docs/metrics.md`), and when the operator's day starts.
//! A line is written as conditions: `"> 70%"`, `">= 5% and <= 20%"`,
//! `"> 30% or < 5%"`, `"<= 2h"`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

/// One comparison: `< 60%`. Shares are fractions (0.6), lengths
/// milliseconds, money dollars.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cond {
    pub op: Op,
    pub value: f64,
}

impl Cond {
    pub fn holds(&self, v: f64) -> bool {
        match self.op {
            Op::Lt => v < self.value,
            Op::Le => v <= self.value,
            Op::Gt => v > self.value,
            Op::Ge => v >= self.value,
        }
    }
}

/// Conditions joined by `and` (all hold) or by `or` (any holds); the text is
/// kept as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub any: bool,
    pub conds: Vec<Cond>,
}

impl Line {
    pub fn holds(&self, v: f64) -> bool {
        if self.any {
            self.conds.iter().any(|c| c.holds(v))
        } else {
            self.conds.iter().all(|c| c.holds(v))
        }
    }

    pub fn parse(text: &str) -> Result<Line, String> {
        let t = text.trim();
        let (any, parts): (bool, Vec<&str>) = if t.contains(" or ") {
            if t.contains(" and ") {
                return Err(format!("`{t}`: use either `and` or `or`, not both"));
            }
            (true, t.split(" or ").collect())
        } else {
            (false, t.split(" and ").collect())
        };
        let conds = parts.into_iter().map(cond).collect::<Result<Vec<_>, _>>()?;
        Ok(Line {
            text: t.to_string(),
            any,
            conds,
        })
    }
}

fn cond(s: &str) -> Result<Cond, String> {
    let s = s.trim();
    let (op, rest) = if let Some(r) = s.strip_prefix("<=") {
        (Op::Le, r)
    } else if let Some(r) = s.strip_prefix(">=") {
        (Op::Ge, r)
    } else if let Some(r) = s.strip_prefix('<') {
        (Op::Lt, r)
    } else if let Some(r) = s.strip_prefix('>') {
        (Op::Gt, r)
    } else {
        return Err(format!(
            "`{s}`: expected a comparison such as `> 70%`, `<= 2h` or `< $3`"
        ));
    };
    let v = rest.trim();
    let value = if let Some(pct) = v.strip_suffix('%') {
        pct.trim().parse::<f64>().map(|p| p / 100.0).ok()
    } else if let Some(d) = v.strip_prefix('$') {
        d.trim().parse::<f64>().ok()
    } else if v.ends_with(|c: char| c.is_ascii_alphabetic()) {
        humantime::parse_duration(v)
            .ok()
            .map(|d| d.as_millis() as f64)
    } else {
        v.parse::<f64>().ok()
    };
    match value {
        Some(value) if value.is_finite() => Ok(Cond { op, value }),
        _ => Err(format!(
            "`{s}`: expected a share (`70%`), a length (`2h`), money (`$3`) or a number after `{}`",
            &s[..s.len() - rest.len()]
        )),
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Line::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A metric's target, warning line and critical line; any may be absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grading {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<Line>,
}

fn line(s: &str) -> Option<Line> {
    Some(Line::parse(s).expect("a shipped line parses"))
}

fn grading(target: &str, warning: &str, critical: &str) -> Grading {
    let opt = |s: &str| if s.is_empty() { None } else { line(s) };
    Grading {
        target: opt(target),
        warning: opt(warning),
        critical: opt(critical),
    }
}

/// `[targets.<metric>]`, one per metric of `docs/metrics.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    pub first_try_success: Grading,
    pub integration_without_rework: Grading,
    pub escalation_rate: Grading,
    pub coordination_ratio: Grading,
    pub context_at_completion: Grading,
    pub throughput_per_hour: Grading,
    pub cycle_time_p50: Grading,
    pub cycle_time_p90: Grading,
    pub rework_share: Grading,
    pub agent_utilisation: Grading,
    pub time_to_clear_p50: Grading,
    pub cost_per_merged_task: Grading,
    pub false_pass_rate: Grading,
    pub false_reject_rate: Grading,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            first_try_success: grading("> 70%", "< 60%", "< 50%"),
            integration_without_rework: grading("> 90%", "< 80%", "< 70%"),
            escalation_rate: grading(">= 5% and <= 20%", "> 30% or < 5%", "> 50% or <= 0%"),
            coordination_ratio: grading(">= 15% and <= 30%", "> 40%", "> 50%"),
            context_at_completion: grading(">= 50% and <= 80%", "> 90% or < 30%", ""),
            throughput_per_hour: Grading::default(),
            cycle_time_p50: Grading::default(),
            cycle_time_p90: Grading::default(),
            rework_share: Grading::default(),
            agent_utilisation: Grading::default(),
            time_to_clear_p50: Grading::default(),
            cost_per_merged_task: Grading::default(),
            false_pass_rate: Grading::default(),
            false_reject_rate: Grading::default(),
        }
    }
}

/// `[review]`: when the operator's day starts (`morning`, `yesterday`),
/// and the share of merged work offered to calibrate the gates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewSettings {
    /// `HH:MM`, local time.
    #[serde(deserialize_with = "day_start")]
    pub day_starts: String,
    /// 0–1: the share of merged tasks in the calibration sample.
    #[serde(deserialize_with = "share")]
    pub calibration_share: f64,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        ReviewSettings {
            day_starts: "06:00".into(),
            calibration_share: 0.2,
        }
    }
}

fn share<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "{v}: expected a share from 0 to 1"
        )))
    }
}

impl ReviewSettings {
    pub fn day_start_time(&self) -> chrono::NaiveTime {
        chrono::NaiveTime::parse_from_str(&self.day_starts, "%H:%M").unwrap_or_default()
    }
}

fn day_start<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    chrono::NaiveTime::parse_from_str(&s, "%H:%M")
        .map(|_| s.clone())
        .map_err(|_| serde::de::Error::custom(format!("`{s}`: expected a time of day, HH:MM")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_shares_lengths_money_and_joins() {
        let l = Line::parse("> 30% or < 5%").unwrap();
        assert!(l.holds(0.31) && l.holds(0.04) && !l.holds(0.2));
        let l = Line::parse(">= 5% and <= 20%").unwrap();
        assert!(l.holds(0.05) && l.holds(0.2) && !l.holds(0.21) && !l.holds(0.0));
        assert!(Line::parse("<= 2h").unwrap().holds(7_200_000.0));
        assert!(!Line::parse("< $3").unwrap().holds(3.0));
        for bad in ["70%", "> lots", "> 1% and < 2% or > 3%", "=> 5%", "> 5xyz"] {
            assert!(Line::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_targets_are_the_documented_ones() {
        let t = Targets::default();
        let w = t.escalation_rate.warning.unwrap();
        assert_eq!(w.text, "> 30% or < 5%");
        assert!(t.escalation_rate.critical.unwrap().holds(0.0));
        assert!(t.context_at_completion.critical.is_none());
    }
}
