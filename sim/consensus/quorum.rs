//! Vote bookkeeping shared by the BFT families (PBFT, HotStuff, Tendermint, the XRP Ledger's
//! validations, the notary's BFT cluster): how many votes each key — a (view or height,
//! phase, value) of the family's choosing — has gathered, and, for families that count each
//! sender once, which senders they came from.
//!
//! Keys live in one vector sorted by key, each with a counter and, when senders are tracked, a
//! bitset of `⌈n / 64⌉` words in a shared arena. Released keys give their bitset back to a free
//! list and the vectors keep their capacity, so once a replica has seen its busiest moment a
//! vote allocates nothing. Families release keys as soon as a decision makes them moot, so the
//! state of a replica is bounded by the keys live at once, never by the simulated time:
//! [`Tally::peak_bytes`] is at most `peak_keys × (size_of::<K>() + 8 + 8·⌈n / 64⌉)` plus the
//! vectors' rounding up of capacity.

use std::ops::{Bound, RangeBounds};

/// Where a key's bitset starts in the arena, when senders are tracked.
const NO_SLOT: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Tally<K> {
    entries: Vec<(K, Entry)>,
    /// Words per key's sender bitset; 0 when every vote counts, whoever sends it.
    words: usize,
    bits: Vec<u64>,
    free: Vec<u32>,
    peak_keys: usize,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    count: u32,
    slot: u32,
}

impl<K: Ord + Copy> Tally<K> {
    /// Counts every vote received, as PBFT, HotStuff and the XRP Ledger count messages.
    pub fn counting() -> Self {
        Self::with_words(0)
    }

    /// Counts each of `n` senders once per key.
    pub fn per_sender(n: u32) -> Self {
        Self::with_words((n as usize).div_ceil(64).max(1))
    }

    fn with_words(words: usize) -> Self {
        Tally {
            entries: Vec::new(),
            words,
            bits: Vec::new(),
            free: Vec::new(),
            peak_keys: 0,
        }
    }

    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// Index of `key`'s entry, created with no votes if absent.
    fn entry(&mut self, key: K) -> usize {
        match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                let slot = if self.words == 0 {
                    NO_SLOT
                } else if let Some(s) = self.free.pop() {
                    s
                } else {
                    let s = (self.bits.len() / self.words) as u32;
                    self.bits.resize(self.bits.len() + self.words, 0);
                    s
                };
                self.entries.insert(i, (key, Entry { count: 0, slot }));
                self.peak_keys = self.peak_keys.max(self.entries.len());
                i
            }
        }
    }

    fn set(&self, slot: u32) -> &[u64] {
        let start = slot as usize * self.words;
        &self.bits[start..start + self.words]
    }

    /// Records `from`'s vote for `key`: the key's count after it, or `None` when senders are
    /// tracked and `from` already voted for `key` (the vote is then ignored).
    #[inline]
    pub fn add(&mut self, key: K, from: u32) -> Option<u32> {
        let i = self.entry(key);
        let e = &mut self.entries[i].1;
        if e.slot != NO_SLOT {
            let w = &mut self.bits[e.slot as usize * self.words + (from / 64) as usize];
            let bit = 1u64 << (from % 64);
            if *w & bit != 0 {
                return None;
            }
            *w |= bit;
        }
        e.count += 1;
        Some(e.count)
    }

    /// Votes `key` gathered (0 when it has none or was released).
    #[inline]
    pub fn count(&self, key: &K) -> u32 {
        self.find(key).map_or(0, |i| self.entries[i].1.count)
    }

    /// Whether `from` voted for `key` (senders tracked only).
    pub fn has(&self, key: &K, from: u32) -> bool {
        self.find(key).is_ok_and(|i| {
            let s = self.entries[i].1.slot;
            s != NO_SLOT && self.set(s)[(from / 64) as usize] >> (from % 64) & 1 == 1
        })
    }

    /// Senders that voted for `a`, for `b` or for both (senders tracked only).
    pub fn senders_of_either(&self, a: &K, b: &K) -> u32 {
        let slot = |k| self.find(k).map(|i| self.entries[i].1.slot).ok();
        match (slot(a), slot(b)) {
            (Some(x), Some(y)) => self
                .set(x)
                .iter()
                .zip(self.set(y))
                .map(|(p, q)| (p | q).count_ones())
                .sum(),
            (Some(x), None) | (None, Some(x)) => self.set(x).iter().map(|w| w.count_ones()).sum(),
            (None, None) => 0,
        }
    }

    /// Keys in `range` with their counts, in key order.
    pub fn range<R: RangeBounds<K>>(&self, range: R) -> impl DoubleEndedIterator<Item = (K, u32)> {
        let lo = match range.start_bound() {
            Bound::Included(k) => self.entries.partition_point(|(x, _)| x < k),
            Bound::Excluded(k) => self.entries.partition_point(|(x, _)| x <= k),
            Bound::Unbounded => 0,
        };
        let hi = match range.end_bound() {
            Bound::Included(k) => self.entries.partition_point(|(x, _)| x <= k),
            Bound::Excluded(k) => self.entries.partition_point(|(x, _)| x < k),
            Bound::Unbounded => self.entries.len(),
        };
        self.entries[lo..hi.max(lo)]
            .iter()
            .map(|(k, e)| (*k, e.count))
    }

    /// Releases every key below `key`.
    pub fn release_below(&mut self, key: &K) {
        let end = self.entries.partition_point(|(k, _)| k < key);
        self.release(0..end);
    }

    /// Releases one key.
    pub fn release_key(&mut self, key: &K) {
        if let Ok(i) = self.find(key) {
            self.release(i..i + 1);
        }
    }

    /// Releases every key.
    pub fn clear(&mut self) {
        self.release(0..self.entries.len());
    }

    fn release(&mut self, range: std::ops::Range<usize>) {
        for (_, e) in self.entries.drain(range) {
            if e.slot != NO_SLOT {
                let start = e.slot as usize * self.words;
                self.bits[start..start + self.words].fill(0);
                self.free.push(e.slot);
            }
        }
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Most keys held at once so far.
    pub fn peak_keys(&self) -> usize {
        self.peak_keys
    }

    /// Bytes this tally holds on the heap now (capacity, not length: what the allocator gave).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(K, Entry)>()
            + self.bits.capacity() * 8
            + self.free.capacity() * 4
    }

    /// The bound of [`Self::heap_bytes`] that the busiest moment so far implies, before the
    /// vectors round their capacity up: `peak_keys × (key + counter + bitset)`.
    pub fn peak_bytes(&self) -> usize {
        self.peak_keys * (std::mem::size_of::<(K, Entry)>() + 8 * self.words + 4)
    }

    pub fn usage(&self) -> Usage {
        Usage {
            heap_bytes: self.heap_bytes(),
            peak_bytes: self.peak_bytes(),
            peak_keys: self.peak_keys,
        }
    }
}

/// What vote bookkeeping holds, summed over tallies and replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Heap bytes held at the end of the run.
    pub heap_bytes: usize,
    /// Sum of [`Tally::peak_bytes`]: what the busiest moment of each tally needed.
    pub peak_bytes: usize,
    /// The most keys one tally held at once.
    pub peak_keys: usize,
}

impl std::ops::Add for Usage {
    type Output = Usage;
    fn add(self, o: Usage) -> Usage {
        Usage {
            heap_bytes: self.heap_bytes + o.heap_bytes,
            peak_bytes: self.peak_bytes + o.peak_bytes,
            peak_keys: self.peak_keys.max(o.peak_keys),
        }
    }
}

impl std::iter::Sum for Usage {
    fn sum<I: Iterator<Item = Usage>>(it: I) -> Usage {
        it.fold(Usage::default(), |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_counts_every_vote_and_per_sender_each_sender_once() {
        let mut c = Tally::counting();
        assert_eq!(c.add((1u64, 2u32), 5), Some(1));
        assert_eq!(c.add((1, 2), 5), Some(2));
        let mut s = Tally::per_sender(130);
        assert_eq!(s.add(7u64, 129), Some(1));
        assert_eq!(s.add(7, 129), None);
        assert_eq!(s.add(7, 0), Some(2));
        assert!(s.has(&7, 129) && s.has(&7, 0) && !s.has(&7, 64) && !s.has(&8, 0));
        assert_eq!(s.count(&7), 2);
        assert_eq!(s.count(&9), 0);
    }

    #[test]
    fn released_keys_start_afresh_and_reuse_their_bitset() {
        let mut s = Tally::per_sender(64);
        for k in 0..10u64 {
            s.add(k, k as u32);
        }
        s.release_below(&8);
        assert_eq!(s.range(..).map(|(k, _)| k).collect::<Vec<_>>(), [8, 9]);
        for k in 10..18u64 {
            assert_eq!(s.add(k, 0), Some(1), "a reused bitset starts empty");
        }
        // The free list got its capacity in the first release: from here on, nothing grows.
        let bytes = s.heap_bytes();
        s.release_below(&16);
        for k in 18..26u64 {
            s.add(k, 1);
        }
        assert_eq!(
            s.heap_bytes(),
            bytes,
            "no allocation once the peak was seen"
        );
        assert_eq!(s.peak_keys(), 10);
        s.release_key(&9);
        assert_eq!(s.count(&9), 0);
        s.clear();
        assert!(s.is_empty());
        assert!(s.heap_bytes() <= s.peak_bytes() * 2);
    }

    #[test]
    fn ranges_and_unions_follow_key_order() {
        let mut s = Tally::per_sender(200);
        s.add((1u64, false), 3);
        s.add((1, true), 3);
        s.add((1, true), 150);
        s.add((2, false), 4);
        assert_eq!(s.senders_of_either(&(1, false), &(1, true)), 2);
        assert_eq!(s.senders_of_either(&(2, false), &(2, true)), 1);
        assert_eq!(s.senders_of_either(&(3, false), &(3, true)), 0);
        let keys: Vec<_> = s.range((1, true)..).rev().collect();
        assert_eq!(keys, [((2, false), 1), ((1, true), 2)]);
        assert_eq!(s.range((1, false)..(1, true)).count(), 1);
        assert_eq!(s.range((3, false)..(0, false)).count(), 0);
    }
}
