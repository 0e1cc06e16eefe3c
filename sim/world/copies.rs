//! Copies of an idempotent message that would reach a validator after another copy already on
//! its way there change nothing when delivered (see [`Protocol::copy_key`]). In flooding
//! protocols they are most of the events: about 80 % of SimBlock's Bitcoin run. The world
//! still draws their loss and delay and counts what they cost to send, so results and every
//! random stream stay as they were; it only leaves them out of the queue.
//!
//! [`Protocol::copy_key`]: crate::consensus::Protocol::copy_key

use crate::engine::Time;

/// The earliest copy on its way to one validator.
#[derive(Clone, Copy)]
struct First {
    key: u32,
    at: Time,
    source: u32,
}

const NONE: First = First {
    key: u32::MAX,
    at: Time::MAX,
    source: u32::MAX,
};

pub struct FirstCopies {
    slots: Vec<First>,
    /// Copies left out of the queue.
    pub dropped: u64,
}

impl FirstCopies {
    /// Only valid when every scheduled message is delivered: a copy dropped because an earlier
    /// one is in flight would be lost with it if the validator were down when that one arrives.
    /// Without crash schedules nothing is dropped at delivery; otherwise pass `nodes = 0`.
    pub fn new(nodes: u32) -> Self {
        FirstCopies {
            slots: vec![NONE; nodes as usize],
            dropped: 0,
        }
    }

    /// Whether copies may be left out at all (no crash schedules).
    pub fn active(&self) -> bool {
        !self.slots.is_empty()
    }

    /// Whether the copy keyed `key` that would reach `to` at `at`, sent by `source`, is
    /// redundant: a copy with the same key reaches `to` earlier, or at the same time from a
    /// source delivered first (a source's own events keep their order, so a later copy from the
    /// same source comes second). Otherwise it becomes the copy on record. One record per
    /// validator suffices: a record overwritten by another key only lets copies through.
    #[inline]
    pub fn redundant(&mut self, to: u32, key: u32, at: Time, source: u32) -> bool {
        if self.behind(to, key, at, source) {
            return true;
        }
        if let Some(slot) = self.slots.get_mut(to as usize) {
            *slot = First { key, at, source };
        }
        false
    }

    /// Whether a copy keyed `key` from `source` that reaches `to` at `earliest` or later is
    /// redundant whatever its arrival time (then counted as [`Self::redundant`] counts it); the
    /// record stays as it is either way.
    #[inline]
    pub fn behind(&mut self, to: u32, key: u32, earliest: Time, source: u32) -> bool {
        let Some(slot) = self.slots.get(to as usize) else {
            return false;
        };
        let behind = slot.key == key && (slot.at, slot.source) <= (earliest, source);
        self.dropped += u64::from(behind);
        behind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_copies_behind_the_first_of_the_same_key_are_redundant() {
        let mut c = FirstCopies::new(2);
        assert!(!c.redundant(0, 7, 100, 3));
        assert!(
            c.redundant(0, 7, 100, 3),
            "same time and source: queued behind"
        );
        assert!(c.redundant(0, 7, 100, 4), "same time, later source");
        assert!(
            !c.redundant(0, 7, 100, 2),
            "same time, earlier source goes first"
        );
        assert!(c.redundant(0, 7, 100, 3), "now behind source 2's copy");
        assert!(!c.redundant(0, 7, 90, 9), "earlier copy");
        assert!(!c.redundant(1, 7, 500, 1), "another validator");
        assert!(!c.redundant(0, 8, 500, 1), "another key");
        assert!(
            !c.redundant(0, 7, 600, 1),
            "record overwritten: let through"
        );
        assert_eq!(c.dropped, 3);
        assert!(
            c.behind(0, 7, 600, 2),
            "behind the record of source 1 at 600"
        );
        assert!(!c.behind(0, 7, 599, 2), "may arrive first");
        assert!(
            !c.redundant(0, 7, 599, 2),
            "and does: the record is now 599"
        );
        assert!(c.behind(0, 7, 599, 2));
        assert_eq!(c.dropped, 5);
        let mut off = FirstCopies::new(0);
        assert!(!off.redundant(0, 7, 100, 3));
        assert!(!off.redundant(0, 7, 100, 3));
    }
}
