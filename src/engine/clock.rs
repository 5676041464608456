//! Time for the engine: real when live, virtual in simulation and tests.

use crate::domain::Millis;
use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now(&self) -> Millis;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to: a whole working day runs in
/// seconds, and a run is the same every time for the same seed.
#[derive(Clone, Debug, Default)]
pub struct VirtualClock {
    now: Cell<Millis>,
}

impl VirtualClock {
    pub fn starting_at(at: Millis) -> Self {
        VirtualClock { now: Cell::new(at) }
    }

    /// Move to `at`; time never goes backwards.
    pub fn advance_to(&self, at: Millis) {
        if at > self.now.get() {
            self.now.set(at);
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Millis {
        self.now.get()
    }
}
