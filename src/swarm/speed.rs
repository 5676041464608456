//! How fast a swarm's virtual time runs, and its pacing against the wall
//! clock (a swarm with real agents keeps to the wall clock).

use super::Swarm;
use crate::domain::Millis;
use crate::engine::Clock;
use std::time::Instant;

/// How fast virtual time runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// As fast as the machine goes.
    Max,
    /// This many virtual seconds per wall second.
    Times(f64),
}

impl std::fmt::Display for Speed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Speed::Max => f.write_str("max"),
            Speed::Times(x) => write!(f, "{x}x"),
        }
    }
}

impl Speed {
    /// The next step up or down the usual ladder (1x … 3600x, then max).
    pub fn step(self, up: bool) -> Speed {
        const LADDER: [f64; 8] = [1.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0];
        match (self, up) {
            (Speed::Max, true) => Speed::Max,
            (Speed::Max, false) => Speed::Times(LADDER[LADDER.len() - 1]),
            (Speed::Times(x), true) => LADDER
                .iter()
                .find(|l| **l > x)
                .map(|l| Speed::Times(*l))
                .unwrap_or(Speed::Max),
            (Speed::Times(x), false) => Speed::Times(
                LADDER
                    .iter()
                    .rev()
                    .find(|l| **l < x)
                    .copied()
                    .unwrap_or(LADDER[0]),
            ),
        }
    }

    pub fn parse(s: &str) -> Option<Speed> {
        if s == "max" {
            return Some(Speed::Max);
        }
        match s.trim_end_matches('x').parse::<f64>() {
            Ok(x) if (0.01..=1_000_000.0).contains(&x) => Some(Speed::Times(x)),
            _ => None,
        }
    }
}

/// Why a real swarm's speed does not change.
pub const REAL_TIME: &str =
    "speed: real agents run in real time; the swarm's clock is the wall clock";

impl Swarm {
    /// Real agents anywhere in the swarm: the clock is the wall clock.
    pub fn real_time(&self) -> bool {
        self.exec.real_time()
    }

    /// Change how fast virtual time runs, from now on. A swarm of real
    /// agents keeps to the wall clock whatever it is asked.
    pub fn set_speed(&mut self, speed: Speed) {
        self.speed = if self.real_time() {
            Speed::Times(1.0)
        } else {
            speed
        };
        self.anchor = (self.clock.now(), Instant::now());
        self.dirty = true;
    }

    pub fn speed(&self) -> Speed {
        self.speed
    }

    /// The virtual time that corresponds to this wall-clock instant.
    pub(super) fn paced_now(&self) -> Millis {
        match self.speed {
            Speed::Max => self.clock.now(),
            Speed::Times(x) => {
                let (v0, w0) = self.anchor;
                v0 + (w0.elapsed().as_secs_f64() * 1000.0 * x) as Millis
            }
        }
    }
}
