//! `[night]`: the night shift's budget and end time. The operator starts a
//! night from the evening review; only night work (`night = true`) runs,
//! until the end time or the budget, whichever comes first.

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NightSettings {
    /// Dollars the night may spend (0: no budget of its own; the day's
    /// budgets still hold).
    #[serde(deserialize_with = "dollars")]
    pub budget: f64,
    /// `HH:MM`, local time: no new work starts from then on.
    #[serde(deserialize_with = "clock")]
    pub ends: String,
}

impl Default for NightSettings {
    fn default() -> Self {
        NightSettings {
            budget: 0.0,
            ends: "06:00".into(),
        }
    }
}

impl NightSettings {
    pub fn end_time(&self) -> chrono::NaiveTime {
        chrono::NaiveTime::parse_from_str(&self.ends, "%H:%M").unwrap_or_default()
    }
}

fn dollars<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "{v}: expected dollars, 0 or more"
        )))
    }
}

fn clock<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    chrono::NaiveTime::parse_from_str(&s, "%H:%M")
        .map(|_| s.clone())
        .map_err(|_| serde::de::Error::custom(format!("`{s}`: expected a time of day, HH:MM")))
}
