//! The discrete-event timeline: what happens next, in time order, ties
//! broken by the order things were scheduled (so runs are deterministic).

use crate::domain::{Millis, SessionId};
use crate::engine::Input;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

#[derive(Clone, Debug, PartialEq)]
pub enum Wake {
    /// The engine's clock tick.
    Tick,
    /// The next action of a simulated session; stale if `generation` moved on.
    Session { session: SessionId, generation: u64 },
    /// An input that arrives later (gate and merge results).
    Input(Input),
    /// The simulated operator's turn to decide.
    Operator(super::operator::Decision),
}

#[derive(Default)]
pub struct Timeline {
    heap: BinaryHeap<Reverse<(Millis, u64)>>,
    wakes: BTreeMap<u64, Wake>,
    seq: u64,
}

impl Timeline {
    pub fn push(&mut self, at: Millis, wake: Wake) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq)));
        self.wakes.insert(self.seq, wake);
    }

    pub fn peek_time(&self) -> Option<Millis> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    pub fn pop(&mut self) -> Option<(Millis, Wake)> {
        let Reverse((at, seq)) = self.heap.pop()?;
        let wake = self.wakes.remove(&seq).expect("every entry has its wake");
        Some((at, wake))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_then_scheduling_order() {
        let mut t = Timeline::default();
        t.push(20, Wake::Tick);
        t.push(10, Wake::Input(Input::Tick));
        t.push(10, Wake::Tick);
        assert_eq!(t.pop(), Some((10, Wake::Input(Input::Tick))));
        assert_eq!(t.pop(), Some((10, Wake::Tick)));
        assert_eq!(t.peek_time(), Some(20));
        assert_eq!(t.len(), 1);
    }
}
