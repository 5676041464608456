//! Exact usage from CLIs that report it more than once: the same API message
//! can appear in several output events carrying the same id and a usage that
//! grows. Counting per message id and emitting only what is new keeps every
//! token counted once, whatever model name each event gives. The final totals
//! a CLI reports are only compared with what was counted, never added: a CLI
//! may name the same model differently in its totals (the requested name
//! where the stream carries the dated id the API answered with).

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

    /// The CLI's own final totals for the run, over all its models: `None`
    /// if they equal what was counted, else (counted, reported). Nothing
    /// is counted here.
    pub fn compare(&self, reported: Usage) -> Option<(Usage, Usage)> {
        let counted = self.sum();
        (counted != reported).then_some((counted, reported))
    }

    /// Everything counted, over all models.
    pub fn sum(&self) -> Usage {
        let mut t = Usage::default();
        for u in self.by_model.values() {
            t += *u;
        }
        t
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
    fn final_totals_are_compared_never_added() {
        let mut l = Ledger::default();
        l.message("m-20250929", "msg_1", u(100, 1));
        l.message("m-20250929", "msg_1", u(100, 60));
        // The CLI names the model by its requested name: the same usage.
        assert_eq!(l.compare(u(100, 60)), None);
        assert_eq!(l.compare(u(100, 70)), Some((u(100, 60), u(100, 70))));
        assert_eq!(l.total("m-20250929"), u(100, 60));
        assert_eq!(l.total("m"), Usage::default());
        assert_eq!(l.sum(), u(100, 60));
    }
}
