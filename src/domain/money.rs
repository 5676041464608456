//! Tokens and money, exact to the token.
//!
//! Money is an integer count of picodollars (10⁻¹² $): a price of $3.00 per
//! million tokens is exactly 3,000,000 picodollars per token, so a cost is a
//! sum of integer products and never drifts with floating point.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

const PICO_PER_DOLLAR: i64 = 1_000_000_000_000;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// From dollars, rounded to the nearest picodollar.
    pub fn from_dollars(d: f64) -> Money {
        Money((d * PICO_PER_DOLLAR as f64).round() as i64)
    }

    pub fn dollars(self) -> f64 {
        self.0 as f64 / PICO_PER_DOLLAR as f64
    }

    pub fn picodollars(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${:.2}", self.dollars())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, o: Money) {
        self.0 = self.0.saturating_add(o.0);
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// Token usage by kind, in the Anthropic convention: input excludes cache
/// reads and cache writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }

    /// Tokens that occupy the context window on the next call.
    pub fn context_tokens(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.input = self.input.saturating_add(o.input);
        self.output = self.output.saturating_add(o.output);
        self.cache_read = self.cache_read.saturating_add(o.cache_read);
        self.cache_write = self.cache_write.saturating_add(o.cache_write);
    }
}

/// A model's price, in picodollars per token for each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub input: i64,
    pub output: i64,
    pub cache_read: i64,
    pub cache_write: i64,
}

impl Price {
    /// From dollars per million tokens, as a price table states them.
    pub fn per_million(input: f64, output: f64, cache_read: f64, cache_write: f64) -> Price {
        let p = |d: f64| (d * 1_000_000.0).round() as i64;
        Price {
            input: p(input),
            output: p(output),
            cache_read: p(cache_read),
            cache_write: p(cache_write),
        }
    }

    /// The cost of `u`, or None when it does not fit in a Money (never a
    /// silently saturated figure).
    pub fn checked_cost(&self, u: &Usage) -> Option<Money> {
        let t = |n: u64, p: i64| i64::try_from(n).ok()?.checked_mul(p);
        t(u.input, self.input)?
            .checked_add(t(u.output, self.output)?)?
            .checked_add(t(u.cache_read, self.cache_read)?)?
            .checked_add(t(u.cache_write, self.cache_write)?)
            .map(Money)
    }

    pub fn cost(&self, u: &Usage) -> Money {
        let t = |n: u64, p: i64| i64::try_from(n).unwrap_or(i64::MAX).saturating_mul(p);
        Money(
            t(u.input, self.input)
                .saturating_add(t(u.output, self.output))
                .saturating_add(t(u.cache_read, self.cache_read))
                .saturating_add(t(u.cache_write, self.cache_write)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_exact_to_the_token() {
        let price = Price::per_million(3.0, 15.0, 0.3, 3.75);
        let u = Usage {
            input: 1_000_000,
            output: 1,
            cache_read: 10,
            cache_write: 0,
        };
        // $3 + $0.000015 + $0.000003
        assert_eq!(price.cost(&u), Money(3_000_018_000_000));
        assert_eq!(price.cost(&u).to_string(), "$3.00");
    }

    #[test]
    fn a_cost_that_does_not_fit_is_none_not_saturated() {
        let price = Price::per_million(15.0, 75.0, 1.5, 18.75);
        let huge = Usage {
            output: u64::MAX / 2,
            ..Usage::default()
        };
        assert_eq!(price.checked_cost(&huge), None);
        let ok = Usage {
            output: 1_000,
            ..Usage::default()
        };
        assert_eq!(price.checked_cost(&ok), Some(price.cost(&ok)));
    }

    #[test]
    fn money_adds_and_shows_dollars() {
        let m: Money = [Money::from_dollars(1.25), Money::from_dollars(2.5)]
            .into_iter()
            .sum();
        assert_eq!(m.to_string(), "$3.75");
        assert!((m.dollars() - 3.75).abs() < 1e-12);
    }
}
