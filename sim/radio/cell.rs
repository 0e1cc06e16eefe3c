//! A cell's capacity, simply: at most `max_connections` RRC connections at once, and one
//! uplink of a given rate that serves data in the order it is ready. A connection asked for
//! while every slot is held waits, first come first served, for the earliest release.
//!
//! Requests must come in non-decreasing time (a shard handles its devices' wakes in key
//! order, and a cell's devices all live in one shard), which makes first-come-first-served
//! over K slots exact: the next request takes the slot that frees first.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::cellular::transfer;
use crate::engine::Time;

#[derive(Clone, Debug)]
pub struct Cell {
    max: Option<u32>,
    uplink_bps: f64,
    /// Release times of the held slots. A device that sends again while connected keeps its
    /// slot only to the release of the connection it opened: the extension is not booked
    /// (rare when devices report far less often than the inactivity timer; it undercounts
    /// occupancy slightly then).
    slots: BinaryHeap<Reverse<Time>>,
    uplink_free: Time,
    pub stats: CellStats,
}

/// What waiting a cell caused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CellStats {
    pub connections: u64,
    /// Connections that waited for a slot, and their total and longest wait.
    pub waited: u64,
    pub wait: Time,
    pub max_wait: Time,
    /// Total time data waited for the cell's uplink.
    pub uplink_wait: Time,
    /// The most connections held at once.
    pub peak: u32,
}

impl CellStats {
    pub fn add(&mut self, o: &CellStats) {
        self.connections += o.connections;
        self.waited += o.waited;
        self.wait += o.wait;
        self.max_wait = self.max_wait.max(o.max_wait);
        self.uplink_wait += o.uplink_wait;
        self.peak = self.peak.max(o.peak);
    }
}

impl Cell {
    /// `max_connections: None` and an infinite rate make a cell that never makes anyone wait.
    pub fn new(max_connections: Option<u32>, uplink_bps: f64) -> Self {
        Cell {
            max: max_connections,
            uplink_bps,
            slots: BinaryHeap::new(),
            uplink_free: 0,
            stats: CellStats::default(),
        }
    }

    /// When a new connection asked for at `now` gets its slot, which it then holds until
    /// `release` (the caller calls [`Cell::hold`]).
    pub fn grant(&mut self, now: Time) -> Time {
        self.stats.connections += 1;
        let Some(max) = self.max else {
            return now;
        };
        while self.slots.peek().is_some_and(|r| r.0 <= now) {
            self.slots.pop();
        }
        if (self.slots.len() as u64) < max as u64 {
            return now;
        }
        let granted = self.slots.pop().expect("every slot is held").0;
        let wait = granted - now;
        self.stats.waited += 1;
        self.stats.wait += wait;
        self.stats.max_wait = self.stats.max_wait.max(wait);
        granted
    }

    /// Books the slot just granted until `release`.
    pub fn hold(&mut self, release: Time) {
        if self.max.is_none() {
            return;
        }
        self.slots.push(Reverse(release));
        self.stats.peak = self.stats.peak.max(self.slots.len() as u32);
    }

    /// The cell's uplink: data of `bits` ready at `ready` may start at the returned time,
    /// after the data ahead of it.
    pub fn uplink(&mut self, ready: Time, bits: u64) -> Time {
        if self.uplink_bps.is_infinite() {
            return ready;
        }
        let start = ready.max(self.uplink_free);
        self.stats.uplink_wait += start - ready;
        self.uplink_free = start + transfer(bits, self.uplink_bps);
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Devices connect at 0, 1, 2, 3, each for 10; with K = 2 the third waits for the first
    /// release (10) and the fourth for the second (11).
    #[test]
    fn more_connections_than_slots_wait_first_come_first_served() {
        let mut cell = Cell::new(Some(2), f64::INFINITY);
        let mut granted = Vec::new();
        for t in 0..4 {
            let g = cell.grant(t);
            cell.hold(g + 10);
            granted.push(g);
        }
        assert_eq!(granted, [0, 1, 10, 11]);
        assert_eq!(cell.stats.waited, 2);
        assert_eq!(cell.stats.wait, (10 - 2) + (11 - 3));
        assert_eq!(cell.stats.peak, 2);
        // Released slots are free again: at 25 all are.
        assert_eq!(cell.grant(25), 25);
        // Without a limit nobody waits.
        let mut free = Cell::new(None, f64::INFINITY);
        for t in 0..4 {
            assert_eq!(free.grant(t), t);
        }
        assert_eq!(free.stats.waited, 0);
    }

    #[test]
    fn the_uplink_serves_in_turn() {
        // 1,000 bits at 1,000 bit/s: a second each.
        let mut cell = Cell::new(None, 1_000.0);
        let s = crate::engine::NS_PER_S;
        assert_eq!(cell.uplink(0, 1_000), 0);
        assert_eq!(cell.uplink(0, 1_000), s);
        assert_eq!(cell.uplink(5 * s, 1_000), 5 * s);
        assert_eq!(cell.stats.uplink_wait, s);
    }
}
