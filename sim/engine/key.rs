//! Event keys: `(time, source, sequence)`, packed into one `u128` so a comparison is one
//! integer compare on the hot path of the queue.

use super::Time;

/// Total order of events. `source` is the id of the entity that scheduled the event and
/// `seq` that entity's own running count, so ties at equal time are broken by the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey(u128);

impl EventKey {
    pub fn new(time: Time, source: u32, seq: u32) -> Self {
        EventKey(((time as u128) << 64) | ((source as u128) << 32) | seq as u128)
    }

    pub fn time(self) -> Time {
        (self.0 >> 64) as Time
    }

    pub fn source(self) -> u32 {
        (self.0 >> 32) as u32
    }

    pub fn seq(self) -> u32 {
        self.0 as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_source_then_seq() {
        let a = EventKey::new(5, 9, 9);
        let b = EventKey::new(6, 0, 0);
        let c = EventKey::new(6, 1, 0);
        let d = EventKey::new(6, 1, 1);
        assert!(a < b && b < c && c < d);
        assert_eq!((d.time(), d.source(), d.seq()), (6, 1, 1));
        let max = EventKey::new(u64::MAX, u32::MAX, u32::MAX);
        assert_eq!(
            (max.time(), max.source(), max.seq()),
            (u64::MAX, u32::MAX, u32::MAX)
        );
    }
}
