//! A report as plain text (the terminal) or Markdown (to paste or keep).

use super::{Grade, Report, Row, Unit};
use crate::domain::{Millis, Money};
use chrono::TimeZone;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows of a spend list shown before the rest is summed up.
const SHOWN: usize = 12;

pub fn value(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    match unit {
        Unit::Share => format!("{:.1} %", v * 100.0),
        Unit::PerHour => format!("{v:.1}/h"),
        Unit::Dollars => format!("${v:.2}"),
        Unit::Millis => length(v as Millis),
    }
}

fn length(ms: Millis) -> String {
    let m = ms / 60_000;
    match m {
        0 => format!("{}s", ms / 1000),
        1..60 => format!("{m}m"),
        _ => format!("{}h{:02}m", m / 60, m % 60),
    }
}

fn stamp(zone: &impl TimeZone<Offset: std::fmt::Display>, at: Millis) -> String {
    zone.timestamp_millis_opt(at)
        .earliest()
        .map(|t| t.format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_else(|| at.to_string())
}

fn target(r: &Row) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &r.target.target {
        parts.push(format!("target {t}"));
    }
    if let Some(w) = &r.target.warning {
        parts.push(format!("warning {w}"));
    }
    if let Some(c) = &r.target.critical {
        parts.push(format!("critical {c}"));
    }
    parts.join(" · ")
}

fn trend(r: &Row) -> String {
    r.trend
        .iter()
        .map(|v| value(r.unit, *v))
        .collect::<Vec<_>>()
        .join(" ")
}

fn grade(g: Grade, markdown: bool) -> String {
    match (g, markdown) {
        (Grade::Red | Grade::Critical, true) => format!("**{}**", g.as_str()),
        _ => g.as_str().to_string(),
    }
}

fn spend(out: &mut String, title: &str, by: &BTreeMap<String, Money>, markdown: bool) {
    if by.is_empty() {
        return;
    }
    let mut rows: Vec<_> = by.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rest: Vec<_> = rows.split_off(rows.len().min(SHOWN));
    let rest_sum: Money = rest.iter().map(|(_, v)| **v).sum();
    let more = (!rest.is_empty()).then(|| format!("… {} more", rest.len()));
    if markdown {
        let _ = writeln!(
            out,
            "\n### Spend by {title}\n\n| {title} | spend |\n|---|---:|"
        );
        for (k, v) in rows {
            let _ = writeln!(out, "| {k} | {v} |");
        }
        if let Some(m) = &more {
            let _ = writeln!(out, "| {m} | {rest_sum} |");
        }
    } else {
        let _ = writeln!(out, "\nspend by {title}");
        for (k, v) in rows {
            let _ = writeln!(out, "  {k:<28} {v:>10}");
        }
        if let Some(m) = &more {
            let _ = writeln!(out, "  {m:<28} {rest_sum:>10}");
        }
    }
}

pub fn text(r: &Report, zone: &impl TimeZone<Offset: std::fmt::Display>, markdown: bool) -> String {
    let f = &r.figures;
    let mut out = String::new();
    let span = length(r.period.until - r.period.since);
    let head = format!(
        "{} → {} ({span})",
        stamp(zone, r.period.since),
        stamp(zone, r.period.until)
    );
    let totals = format!(
        "merged {} · failed {} · landings {} · spend {} · waiting {}",
        f.merged, f.failed, f.landings, f.spend, f.still_waiting
    );
    if markdown {
        let _ = writeln!(out, "# Review: {head}\n\n{totals}\n");
        let _ = writeln!(
            out,
            "| metric | value | grade | trend ({} earlier, oldest first) | target |\n|---|---:|---|---|---|",
            super::TREND
        );
    } else {
        let _ = writeln!(out, "review {head}\n{totals}\n");
        let _ = writeln!(
            out,
            "{:<28} {:>9}  {:<9} {:<58} target",
            "metric",
            "value",
            "grade",
            format!("trend ({} earlier, oldest first)", super::TREND),
        );
    }
    for row in &r.rows {
        let v = value(row.unit, row.value);
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {v} | {} | {} | {} |",
                row.label,
                grade(row.grade, true),
                trend(row),
                target(row)
            );
        } else {
            let _ = writeln!(
                out,
                "{:<28} {v:>9}  {:<9} {:<58} {}",
                row.label,
                grade(row.grade, false),
                trend(row),
                target(row)
            );
        }
    }
    alerts(&mut out, r, markdown);
    spend(&mut out, "convoy", &f.spend_by_convoy, markdown);
    spend(&mut out, "agent", &f.spend_by_agent, markdown);
    spend(&mut out, "model", &f.spend_by_model, markdown);
    out
}

/// The T1 alerts by check: real, noise, open.
fn alerts(out: &mut String, r: &Report, markdown: bool) {
    if markdown {
        let _ = writeln!(
            out,
            "\n### Watchdog alerts by check\n\n| check | alerts | real | noise | open |\n|---|---:|---:|---:|---:|"
        );
    } else {
        let _ = writeln!(
            out,
            "\nwatchdog alerts by check\n  {:<16} {:>6} {:>6} {:>6} {:>6}",
            "check", "alerts", "real", "noise", "open"
        );
    }
    for a in &r.alerts {
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                a.check, a.alerts, a.real, a.noise, a.open
            );
        } else {
            let _ = writeln!(
                out,
                "  {:<16} {:>6} {:>6} {:>6} {:>6}",
                a.check, a.alerts, a.real, a.noise, a.open
            );
        }
    }
}
