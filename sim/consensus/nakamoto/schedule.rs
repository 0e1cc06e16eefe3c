//! Fixed block intervals (`block_intervals: fixed`): block k of the network is found at
//! exactly k · `block_interval_s`, by a miner drawn by hash share from the slot's own draw, so
//! who finds each slot depends on the seed and the shares only, never on what ran before.

use crate::engine::{Purpose, Time, draw_unit};

pub struct Schedule {
    interval: Time,
    /// The slots (k ≥ 1) each validator finds, ascending.
    slots: Vec<Vec<u64>>,
}

impl Schedule {
    /// Every slot due by `end`, given each validator's hash share.
    pub fn new(shares: &[f64], interval: Time, end: Time, seed: u64) -> Self {
        let interval = interval.max(1);
        let cumulative: Vec<f64> = shares
            .iter()
            .scan(0.0, |acc, &s| {
                *acc += s.max(0.0);
                Some(*acc)
            })
            .collect();
        let total = cumulative.last().copied().unwrap_or(0.0);
        let mut slots = vec![Vec::new(); shares.len()];
        if total > 0.0 {
            // The last validator with a share takes a draw that rounding put at the total.
            let last = cumulative.partition_point(|&c| c < total);
            for k in 1..=end / interval {
                let target = draw_unit(seed, k, Purpose::BlockFinder, 0) * total;
                let v = cumulative.partition_point(|&c| c <= target).min(last);
                slots[v].push(k);
            }
        }
        Schedule { interval, slots }
    }

    /// When validator `v` next finds a block strictly after `now`.
    pub fn next(&self, v: u32, now: Time) -> Option<Time> {
        let s = &self.slots[v as usize];
        let i = s.partition_point(|&k| k * self.interval <= now);
        s.get(i).map(|&k| k * self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_has_one_finder_with_a_share() {
        let s = Schedule::new(&[0.0, 2.0, 0.0, 1.0, 0.0], 10, 1000, 3);
        let found: Vec<usize> = s.slots.iter().map(Vec::len).collect();
        assert_eq!(found.iter().sum::<usize>(), 100, "{found:?}");
        assert_eq!((found[0], found[2], found[4]), (0, 0, 0), "{found:?}");
        let mut all: Vec<u64> = s.slots.concat();
        all.sort_unstable();
        assert_eq!(all, (1..=100).collect::<Vec<_>>());
    }

    #[test]
    fn finders_follow_hash_share() {
        let s = Schedule::new(&[3.0, 1.0], 1, 20_000, 7);
        let first = s.slots[0].len() as f64 / 20_000.0;
        // Binomial: 3 sd of 20,000 draws at p = 0.75 is 0.0092.
        assert!((first - 0.75).abs() < 0.01, "{first}");
    }

    #[test]
    fn next_is_the_first_own_slot_strictly_after_now() {
        let s = Schedule::new(&[1.0], 10, 35, 1);
        assert_eq!(s.next(0, 0), Some(10));
        assert_eq!(s.next(0, 10), Some(20));
        assert_eq!(s.next(0, 29), Some(30));
        assert_eq!(s.next(0, 30), None);
    }
}
