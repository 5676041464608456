//! Usage reports that cannot be true are refused, not counted: an agent's
//! `::usage` line claiming more context than its model has, more output
//! than one call returns, or a cost that does not fit in the books.

use super::settings::Settings;
use crate::domain::{Money, Usage};

/// Why a usage report one call of `model` could not have produced is
/// refused, or None when it could be true.
pub(crate) fn impossible_call(settings: &Settings, model: &str, u: &Usage) -> Option<String> {
    let window = settings.context_window(model);
    let context = u.context_tokens();
    if context > window {
        return Some(format!(
            "{context} tokens of context, over {model}'s window of {window}"
        ));
    }
    let limit = settings.output_limit(model);
    if u.output > limit {
        return Some(format!(
            "{} output tokens, over {model}'s limit of {limit} per call",
            u.output
        ));
    }
    None
}

/// The cost of `u` if it and the totals it joins fit (checked, never
/// saturated); else why not.
pub(crate) fn checked_cost(
    settings: &Settings,
    model: &str,
    u: &Usage,
    totals: &[Money],
) -> Result<Money, String> {
    let cost = settings
        .price(model)
        .checked_cost(u)
        .ok_or_else(|| format!("{} tokens cost more than the books can hold", u.total()))?;
    for t in totals {
        if t.0.checked_add(cost.0).is_none() {
            return Err(format!("{cost} would overflow a running total of {t}"));
        }
    }
    Ok(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_beyond_the_model_are_impossible() {
        let s = Settings::default();
        let m = "claude-sonnet-4-5";
        let ok = Usage {
            input: 1_200,
            output: 300,
            cache_read: 150_000,
            cache_write: 0,
        };
        assert_eq!(impossible_call(&s, m, &ok), None);
        let context = Usage {
            input: 999_999_999_999,
            ..ok
        };
        assert!(
            impossible_call(&s, m, &context)
                .unwrap()
                .contains("window of 200000")
        );
        let output = Usage {
            output: 64_001,
            ..ok
        };
        assert!(
            impossible_call(&s, m, &output)
                .unwrap()
                .contains("limit of 64000")
        );
    }

    #[test]
    fn costs_that_overflow_are_refused() {
        let s = Settings::default();
        let m = "claude-sonnet-4-5";
        let u = Usage {
            output: 1_000,
            ..Usage::default()
        };
        assert_eq!(
            checked_cost(&s, m, &u, &[Money::ZERO]),
            Ok(Money(15_000_000_000))
        );
        assert!(checked_cost(&s, m, &u, &[Money(i64::MAX - 1)]).is_err());
        let absurd = Usage {
            output: u64::MAX,
            ..Usage::default()
        };
        assert!(checked_cost(&s, m, &absurd, &[]).is_err());
    }
}
