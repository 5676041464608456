//! Exact usage from CLIs that report it more than once: the same API message
//! can appear in several output events carrying the same id and a usage that
//! grows. Counting per message id and emitting only what is new keeps every
//! token counted once; the final totals a CLI reports reconcile the rest.

use crate::domain::Usage;
use std::collections::BTreeMap;

/// Usage seen so far, per message and per model.
#[derive(Debug, Default)]
pub struct Ledger {
    by_message: BTreeMap<String, Usage>,
    by_model: BTreeMap<String, Usage>,
}

fn grow(old: &Usage, new: &Usage) -> Usage {
    Usage {
        input: new.input.saturating_sub(old.input),
        output: new.output.saturating_sub(old.output),
        cache_read: new.cache_read.saturating_sub(old.cache_read),
        cache_write: new.cache_write.saturating_sub(old.cache_write),
    }
}

fn max(a: &Usage, b: &Usage) -> Usage {
    Usage {
        input: a.input.max(b.input),
        output: a.output.max(b.output),
        cache_read: a.cache_read.max(b.cache_read),
        cache_write: a.cache_write.max(b.cache_write),
    }
}

impl Ledger {
    /// A message's usage so far (cumulative, as CLIs report it). Returns the
    /// part not counted before, or `None` if nothing is new.
    pub fn message(&mut self, model: &str, id: &str, usage: Usage) -> Option<Usage> {
        let seen = self.by_message.entry(id.to_string()).or_default();
        let new = grow(seen, &usage);
        *seen = max(seen, &usage);
        self.count(model, new)
    }

    /// Usage that stands alone (a turn's total, not repeated).
    pub fn add(&mut self, model: &str, usage: Usage) -> Option<Usage> {
        self.count(model, usage)
    }

    fn count(&mut self, model: &str, new: Usage) -> Option<Usage> {
        if new.total() == 0 {
            return None;
        }
        *self.by_model.entry(model.to_string()).or_default() += new;
        Some(new)
    }

    /// The CLI's own final totals for a model: whatever they exceed what was
    /// counted is counted now, so the log ends equal to the CLI's figures.
    pub fn reconcile(&mut self, model: &str, total: Usage) -> Option<Usage> {
        let seen = self.by_model.get(model).copied().unwrap_or_default();
        let missing = grow(&seen, &total);
        self.count(model, missing)
    }

    pub fn total(&self, model: &str) -> Usage {
        self.by_model.get(model).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(i: u64, o: u64) -> Usage {
        Usage {
            input: i,
            output: o,
            ..Usage::default()
        }
    }

    #[test]
    fn one_message_in_several_events_is_counted_once() {
        let mut l = Ledger::default();
        assert_eq!(l.message("m", "msg_1", u(100, 1)), Some(u(100, 1)));
        assert_eq!(
            l.message("m", "msg_1", u(100, 1)),
            None,
            "the same block again"
        );
        assert_eq!(
            l.message("m", "msg_1", u(100, 40)),
            Some(u(0, 39)),
            "output grew"
        );
        assert_eq!(l.message("m", "msg_2", u(120, 5)), Some(u(120, 5)));
        assert_eq!(l.total("m"), u(220, 45));
    }

    #[test]
    fn final_totals_fill_what_the_stream_did_not_show() {
        let mut l = Ledger::default();
        l.message("m", "msg_1", u(100, 1));
        assert_eq!(l.reconcile("m", u(100, 60)), Some(u(0, 59)));
        assert_eq!(l.reconcile("m", u(100, 60)), None);
        assert_eq!(l.total("m"), u(100, 60));
    }
}
