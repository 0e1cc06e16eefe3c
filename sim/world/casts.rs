//! Broadcasts in flight: a message sent to every other validator costs one entry in the
//! queue and one slot here, not one event and one payload per receiver.
//!
//! Without jitter a receiver's delivery time depends only on its link group, its class within
//! its region (latency, transfer at the lower of the sender's upload and the receiver's
//! download, processing; see `net::classes`), so a broadcast keeps one time per set of link
//! groups that share it. Its receivers are delivered group by
//! group in time order and, within a group, in id order; the queue holds only the next one.
//! Each delivery keeps the key the receiver's own message would have had: the broadcast
//! reserves the sender's sequence numbers of all its receivers at once, the k-th receiver (in
//! id order, among those not lost at sending) getting the k-th, so the order of events — and
//! every output — is the same as with one message per receiver. Losses (link loss, partitions,
//! eclipses) are decided when the message is sent, as for single messages, and kept as a
//! bitset; a receiver down when its copy arrives is handled at delivery like any message.

use crate::engine::Time;

pub struct Cast<M> {
    pub from: u32,
    /// Receivers are the nodes with an id from `lo` and below `upto`: every node below
    /// `upto`, or those of one partition (see [`Casts::restrict`]).
    lo: u32,
    upto: u32,
    pub msg: M,
    pub bytes: u32,
    /// Sequence number of the first receiver's delivery.
    seq0: u32,
    /// Delivery times in increasing order, each with the link groups (a bit each) it applies
    /// to.
    groups: Vec<(Time, u64)>,
    /// Index in `groups` of the next delivery (32 bits: with `lo`, the slot stays 96 bytes).
    group: u32,
    /// Receivers lost when sent, a bit each; empty when none was.
    lost: Vec<u64>,
}

/// The broadcasts in flight, in reused slots.
pub struct Casts<M> {
    slots: Vec<Cast<M>>,
    free: Vec<u32>,
    /// Link group of each validator.
    group: Vec<u16>,
}

impl<M: Copy> Casts<M> {
    pub fn new(group: &[u16]) -> Self {
        Casts {
            slots: Vec::new(),
            free: Vec::new(),
            group: group.to_vec(),
        }
    }

    /// Opens a broadcast of `msg` from `from` to the nodes below `upto`: `times[g]` is when
    /// link group `g`'s receivers get it, `lost` who does not (a bit each, or empty). Returns its
    /// slot.
    pub fn open(
        &mut self,
        from: u32,
        upto: u32,
        msg: M,
        bytes: u32,
        times: &[Time],
        lost: &[u64],
    ) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Cast {
                    from,
                    lo: 0,
                    upto,
                    msg,
                    bytes,
                    seq0: 0,
                    groups: Vec::new(),
                    group: 0,
                    lost: Vec::new(),
                });
                self.slots.len() as u32 - 1
            }
        };
        let c = &mut self.slots[slot as usize];
        c.from = from;
        c.lo = 0;
        c.upto = upto;
        c.msg = msg;
        c.bytes = bytes;
        c.group = 0;
        c.groups.clear();
        for (r, &t) in times.iter().enumerate() {
            c.groups.push((t, 1 << r));
        }
        c.groups.sort_unstable();
        c.groups.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 |= later.1;
            }
            same
        });
        c.lost.clear();
        c.lost.extend_from_slice(lost);
        slot
    }

    pub fn get(&self, slot: u32) -> &Cast<M> {
        &self.slots[slot as usize]
    }

    /// Keeps the receivers with an id in `lo..upto` (those of one partition), back to the
    /// first group. Their sequence numbers stay their rank among all the broadcast's
    /// receivers, so each copy keeps its key whichever partition delivers it.
    pub fn restrict(&mut self, slot: u32, lo: u32, upto: u32) {
        let c = &mut self.slots[slot as usize];
        c.lo = lo;
        c.upto = c.upto.min(upto);
        c.group = 0;
    }

    /// Sets the sequence number of the broadcast's first delivery.
    pub fn set_seq0(&mut self, slot: u32, seq0: u32) {
        self.slots[slot as usize].seq0 = seq0;
    }

    fn is_lost(&self, c: &Cast<M>, v: u32) -> bool {
        !c.lost.is_empty() && c.lost[(v / 64) as usize] >> (v % 64) & 1 == 1
    }

    /// The first receiver at or after id `start` in the current group or a later one, with
    /// its delivery time and sequence number; `None` when every receiver has had its copy.
    /// `start` is at least the slot's first receiver (`Casts::restrict`).
    pub fn next(&mut self, slot: u32, start: u32) -> Option<(u32, Time, u32)> {
        let mut start = start;
        loop {
            let c = &self.slots[slot as usize];
            let n = c.upto;
            let &(at, groups) = c.groups.get(c.group as usize)?;
            let found = (start..n).find(|&v| {
                v != c.from && groups >> self.group[v as usize] & 1 == 1 && !self.is_lost(c, v)
            });
            if let Some(v) = found {
                return Some((v, at, c.seq0.wrapping_add(self.rank(c, v))));
            }
            let c = &mut self.slots[slot as usize];
            c.group += 1;
            start = c.lo;
        }
    }

    /// Receivers before `v` in id order that were not lost: `v`'s place among the deliveries.
    fn rank(&self, c: &Cast<M>, v: u32) -> u32 {
        let before = v - u32::from(v > c.from);
        let words = &c.lost[..c.lost.len().min(v as usize / 64)];
        let mut lost: u32 = words.iter().map(|w| w.count_ones()).sum();
        if let Some(w) = c.lost.get(v as usize / 64) {
            lost += (w & ((1u64 << (v % 64)) - 1)).count_ones();
        }
        // The sender is never marked lost, so it is not counted twice.
        before - lost
    }

    /// Back to the first group, after a walk over every receiver.
    pub fn rewind(&mut self, slot: u32) {
        self.slots[slot as usize].group = 0;
    }

    /// The broadcast has delivered its last copy: its slot is free again.
    pub fn close(&mut self, slot: u32) {
        self.free.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys in delivery order: `(time, seq, receiver)`.
    fn drain(c: &mut Casts<()>, slot: u32) -> Vec<(Time, u32, u32)> {
        let mut out = Vec::new();
        let mut start = c.get(slot).lo;
        while let Some((v, at, seq)) = c.next(slot, start) {
            out.push((at, seq, v));
            start = v + 1;
        }
        out
    }

    #[test]
    fn deliveries_follow_the_keys_single_messages_would_have() {
        // Regions of validators 0..6; sender 2; region 1 gets it first, regions 0 and 2 at
        // the same later time (merged: id order across both).
        let mut c = Casts::new(&[0, 1, 2, 1, 0, 2]);
        let lost = [1u64 << 4];
        let slot = c.open(2, 6, (), 100, &[50, 10, 50], &lost);
        c.set_seq0(slot, 7);
        // Per-message sends would number receivers 0, 1, 3, 5 (4 lost) as 7, 8, 9, 10.
        let got = drain(&mut c, slot);
        let mut want = vec![(10, 8, 1), (10, 9, 3), (50, 7, 0), (50, 10, 5)];
        want.sort();
        assert_eq!(got, want);
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted, "each next delivery has the smallest key left");
        c.close(slot);
        let again = c.open(0, 6, (), 1, &[5, 5, 5], &[]);
        assert_eq!(again, slot, "slots are reused");
        assert_eq!(drain(&mut c, again).len(), 5);
        c.close(again);
        // To the first four nodes only (a cluster): sender 2 reaches 0, 1 and 3, numbered as
        // three single messages would be.
        let cluster = c.open(2, 4, (), 1, &[50, 10, 50], &[]);
        c.set_seq0(cluster, 0);
        let mut want = vec![(10, 1, 1), (10, 2, 3), (50, 0, 0)];
        want.sort();
        assert_eq!(drain(&mut c, cluster), want);
        c.close(cluster);
        // Split between partitions 0..3 and 3..6: each half keeps the numbers the whole
        // broadcast gives its receivers.
        let low = c.open(2, 6, (), 100, &[50, 10, 50], &lost);
        c.restrict(low, 0, 3);
        c.set_seq0(low, 7);
        let high = c.open(2, 6, (), 100, &[50, 10, 50], &lost);
        c.restrict(high, 3, 6);
        c.set_seq0(high, 7);
        let mut halves = drain(&mut c, low);
        halves.extend(drain(&mut c, high));
        halves.sort();
        let mut whole = vec![(10, 8, 1), (10, 9, 3), (50, 7, 0), (50, 10, 5)];
        whole.sort();
        assert_eq!(halves, whole);
    }
}
