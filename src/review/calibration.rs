//! Calibrating the gates: the deterministic sample of merged work the
//! evening review offers to be judged (`docs/metrics.md`).

use super::Period;
use super::screen::merged_in;
use crate::domain::{SwarmState, Task, TaskId};

/// FNV-1a, 64 bits: a hash that is the same on every machine and release.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether a task is in the sample of `share` (0–1).
pub fn in_sample(id: &TaskId, share: f64) -> bool {
    let cut = (share.clamp(0.0, 1.0) * 10_000.0).round() as u64;
    fnv1a(id.as_str().as_bytes()) % 10_000 < cut
}

/// The tasks merged in `period` that are in the sample, in merge order.
pub fn sample(s: &SwarmState, period: Period, share: f64) -> Vec<&Task> {
    merged_in(s, period)
        .into_iter()
        .filter(|t| in_sample(&t.spec.id, share))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_gives_the_published_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_sample_is_stable_and_near_its_share() {
        let ids: Vec<TaskId> = (0..2000)
            .map(|i| TaskId::new(format!("task-{i}")))
            .collect();
        let count = |share: f64| ids.iter().filter(|id| in_sample(id, share)).count();
        assert_eq!(count(0.0), 0);
        assert_eq!(count(1.0), ids.len());
        let fifth = count(0.2);
        assert!((300..=500).contains(&fifth), "{fifth} of 2000 at 20 %");
        // A task in the 10 % sample is in the 20 % one too.
        assert!(
            ids.iter()
                .filter(|id| in_sample(id, 0.1))
                .all(|id| in_sample(id, 0.2))
        );
    }
}
