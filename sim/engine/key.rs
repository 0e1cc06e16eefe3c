//! Event keys: `(time, source, sequence)`, as two 64-bit words, the time first, so a
//! comparison is the compare of one 128-bit integer on the hot path of the queue. Kept as
//! words rather than a `u128` for their 8-byte alignment: a queued event beside its key is
//! then padded to 8 bytes, not 16 (a validator's event with its key 40 bytes, not 48), and
//! the radix heap moves every event several times.

use super::Time;

/// Total order of events. `source` is the id of the entity that scheduled the event and
/// `seq` that entity's own running count, so ties at equal time are broken by the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    time: Time,
    /// `source` in the high half, `seq` in the low.
    order: u64,
}

impl EventKey {
    #[inline]
    pub fn new(time: Time, source: u32, seq: u32) -> Self {
        EventKey {
            time,
            order: (u64::from(source) << 32) | u64::from(seq),
        }
    }

    #[inline]
    pub fn time(self) -> Time {
        self.time
    }

    #[inline]
    pub fn source(self) -> u32 {
        (self.order >> 32) as u32
    }

    #[inline]
    pub fn seq(self) -> u32 {
        self.order as u32
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

    /// A queued validator event (24 bytes, 8-aligned) sits beside its key unpadded.
    #[test]
    fn an_event_beside_its_key_is_not_padded_to_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<(EventKey, [u64; 3])>(), 40);
    }
}
