//! A radix heap: a monotone priority queue for integer keys.
//!
//! It exploits that a discrete-event loop never schedules into the past: every event pushed is
//! due no earlier than the last one popped. Events live in 64 buckets by the highest bit in
//! which their time differs from the current time; a push is an append, and when nothing is
//! due now the smallest non-empty bucket is redistributed into lower ones. Each event moves
//! at most once per bit of its time, through sequential memory, where a comparison heap jumps
//! through memory on every level of every operation. Events due at the current time — which
//! may still arrive out of key order, from any source — wait in a small 4-ary heap.
//!
//! A bucket no wider than [`HEAPED_BITS`] goes to that heap whole instead of being spread
//! further: in SimBlock's Bitcoin scenario messages due 0.1–1 s ahead, tens of microseconds
//! apart, moved about seven times each, the last few between buckets of a handful of events,
//! where a heap of a handful orders them in fewer instructions.

use super::{EventKey, QuadHeap, Time};

/// Buckets of times that differ from the clock in no higher bit (2^17 ns, 131 µs) are heaped
/// whole. Spreading the events of 4.6 M deliveries of SimBlock's Bitcoin scenario in a replay
/// of their pattern took 2.77 G instructions; heaping buckets from 2^12, 2^16, 2^18, 2^20 and
/// 2^22 ns down: 2.76, 2.69, 2.60, 2.63 and 2.76 G.
const HEAPED_BITS: usize = 18;

/// With `LEAN` set, a spread bucket whose room is above a page frees it, even while a higher
/// bucket holds events, and is never the spare: for a queue whose events are mostly far
/// ahead, such as a fleet's wakes a reading interval ahead, where a large bucket refills only
/// when the next higher one is spread, long after. Kept in place there, each bucket held the
/// most it was ever spread into, and together they held six times the events queued (the
/// shards of 10,000,000 ten-minute wakes: 950 MB of room for 160 MB of events). Without it
/// (the default), a bucket refilled at the same scale soon after it is spread, as in the
/// validators' queue, is not grown again.
pub struct RadixHeap<T, const LEAN: bool = false> {
    now: Time,
    len: usize,
    due: QuadHeap<T>,
    /// Bit `i − 1` set when bucket `i` holds events: finding the next bucket is one
    /// instruction instead of a walk over 64 vector headers on every refill.
    occupied: u64,
    buckets: Vec<Vec<(EventKey, T)>>,
    /// The earliest time in each bucket (`Time::MAX` when empty), kept on push: finding the
    /// next time is then one load instead of a pass over the bucket before it is spread.
    earliest: [Time; 65],
    /// The allocation of the highest bucket last spread empty, handed to the next bucket that
    /// fills from nothing. A bucket spread while some higher one holds events keeps its own,
    /// as it refills at the same scale soon. The highest does not: after it is spread the
    /// clock has its bit set, so it takes nothing more until the clock passes the next multiple
    /// of its width, and for a bucket wider than the queue's reach that is rare. Kept in place,
    /// each such bucket held a whole queue's worth from the one time the clock crossed its
    /// power of two: the memory grew with the run's length (pos-meters' queue 5.5 MB of heap
    /// at 3,600 s, 13.4 MB at 28,800 s).
    spare: Vec<(EventKey, T)>,
    /// `due` holds every event whose bucket would be this one or lower (0: only those due at
    /// the clock); those buckets are empty.
    due_bits: usize,
}

/// A radix heap whose spread buckets give up their room (see [`RadixHeap`]).
pub type LeanRadixHeap<T> = RadixHeap<T, true>;

impl<T, const LEAN: bool> Default for RadixHeap<T, LEAN> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T> RadixHeap<T> {
    pub fn new() -> Self {
        Self::empty()
    }
}

impl<T> LeanRadixHeap<T> {
    pub fn lean() -> Self {
        Self::empty()
    }
}

/// Bucket of a time after `now`: 1 + the highest differing bit, in `1..=64` (0 for `now`).
fn bucket(t: Time, now: Time) -> usize {
    64 - (t ^ now).leading_zeros() as usize
}

impl<T, const LEAN: bool> RadixHeap<T, LEAN> {
    /// The most room a lean bucket keeps after it is spread, in events: a page. The low
    /// buckets refill at every spread, and growing each again from nothing took five
    /// allocations a device in the fleet's hour; a page each, the 64 buckets and the spare
    /// of a shard keep at most 260 KiB.
    const LEAN_KEPT: usize = 4096 / std::mem::size_of::<(EventKey, T)>();

    fn empty() -> Self {
        RadixHeap {
            now: 0,
            len: 0,
            due: QuadHeap::new(),
            occupied: 0,
            buckets: (0..65).map(|_| Vec::new()).collect(),
            earliest: [Time::MAX; 65],
            spare: Vec::new(),
            due_bits: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// # Panics
    /// If `key` is due before the last event popped: the queue is monotone in time.
    pub fn push(&mut self, key: EventKey, value: T) {
        let t = key.time();
        assert!(
            t >= self.now,
            "radix heap times must not decrease: {t} < {}",
            self.now
        );
        let b = bucket(t, self.now);
        if b <= self.due_bits {
            self.due.push(key, value);
        } else {
            self.put(b, key, value);
        }
        self.len += 1;
    }

    pub fn peek_key(&mut self) -> Option<EventKey> {
        self.refill();
        self.due.peek_key()
    }

    /// The earliest key in the heap of events due next, without looking further: nothing
    /// queued elsewhere comes before it (or before the clock when it is `None`).
    pub fn first_due(&self) -> Option<EventKey> {
        self.due.peek_key()
    }

    pub fn pop(&mut self) -> Option<(EventKey, T)> {
        self.refill();
        let e = self.due.pop()?;
        self.len -= 1;
        Some(e)
    }

    /// The earliest event if it is due strictly before `limit`. Unlike [`Self::peek_key`], a
    /// refusal leaves the clock where it was, so events earlier than the one refused (but not
    /// earlier than the last popped) may still be pushed: what a time window needs when
    /// events from other partitions arrive after it has run to its end.
    pub fn pop_before(&mut self, limit: Time) -> Option<(EventKey, T)> {
        if self.due.is_empty() {
            let (i, earliest) = self.next_bucket()?;
            if earliest >= limit {
                return None;
            }
            self.redistribute(i, earliest);
        } else if self.due.peek_key().is_some_and(|k| k.time() >= limit) {
            return None;
        }
        let e = self.due.pop()?;
        self.len -= 1;
        Some(e)
    }

    /// The earliest key if it is due at or before `until`. Like [`Self::pop_before`] it never
    /// moves the clock past `until`, so a loop that receives events from elsewhere between
    /// steps may still push them at any time after `until`.
    pub fn peek_key_until(&mut self, until: Time) -> Option<EventKey> {
        if self.due.is_empty() {
            let (i, earliest) = self.next_bucket()?;
            if earliest > until {
                return None;
            }
            self.redistribute(i, earliest);
        }
        self.due.peek_key().filter(|k| k.time() <= until)
    }

    /// The smallest non-empty bucket and its earliest time.
    fn next_bucket(&self) -> Option<(usize, Time)> {
        if self.occupied == 0 {
            return None;
        }
        let i = self.occupied.trailing_zeros() as usize + 1;
        Some((i, self.earliest[i]))
    }

    /// Appends to bucket `i`.
    #[inline(always)]
    fn put(&mut self, i: usize, key: EventKey, value: T) {
        self.occupied |= 1 << (i - 1);
        self.earliest[i] = self.earliest[i].min(key.time());
        let b = &mut self.buckets[i];
        if b.capacity() == 0 {
            *b = std::mem::take(&mut self.spare);
        }
        b.push((key, value));
    }

    /// Makes the due heap hold the earliest events, if anything is queued.
    fn refill(&mut self) {
        if !self.due.is_empty() {
            return;
        }
        if let Some((i, earliest)) = self.next_bucket() {
            self.redistribute(i, earliest);
        }
    }

    /// Advances the clock to `now`, the earliest time of bucket `i` (the smallest non-empty
    /// one), and spreads that bucket over the lower ones, or heaps it whole when it is no
    /// wider than [`HEAPED_BITS`].
    fn redistribute(&mut self, i: usize, now: Time) {
        self.now = now;
        let mut moved = std::mem::take(&mut self.buckets[i]);
        self.occupied &= !(1 << (i - 1));
        self.earliest[i] = Time::MAX;
        if i <= HEAPED_BITS {
            // Each event differs from the clock below bit i − 1: in bucket i − 1 or lower.
            self.due_bits = i - 1;
            for (key, value) in moved.drain(..) {
                self.due.push(key, value);
            }
        } else {
            self.due_bits = 0;
            for (key, value) in moved.drain(..) {
                if key.time() == now {
                    self.due.push(key, value);
                } else {
                    self.put(bucket(key.time(), now), key, value);
                }
            }
        }
        if LEAN && moved.capacity() > Self::LEAN_KEPT {
            return;
        }
        let higher = self.occupied.checked_shr(i as u32).unwrap_or(0) != 0;
        if higher {
            self.buckets[i] = moved;
        } else if moved.capacity() > self.spare.capacity() {
            self.spare = moved;
        }
    }

    /// Event slots allocated, in buckets and spare.
    #[cfg(test)]
    fn allocated(&self) -> usize {
        self.buckets.iter().map(Vec::capacity).sum::<usize>() + self.spare.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn hold_model_pops_in_key_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut heap = RadixHeap::new();
        let mut reference = std::collections::BTreeSet::new();
        for i in 0..2000u32 {
            let k = EventKey::new(rng.random_range(0..1000), rng.random_range(0..4), i);
            heap.push(k, i);
            reference.insert(k);
        }
        for step in 0..20_000u32 {
            let (k, _) = heap.pop().unwrap();
            assert_eq!(Some(k), reference.pop_first());
            let next = EventKey::new(k.time() + rng.random_range(0..500), step % 7, 10_000 + step);
            heap.push(next, 0);
            reference.insert(next);
        }
        assert_eq!(heap.len(), reference.len());
    }

    /// Delays of every magnitude, from none to days in nanoseconds, with peeks and refusals
    /// between pops: buckets are spread and heaped whole, and events keep arriving inside the
    /// span of a heaped bucket.
    #[test]
    fn delays_of_every_magnitude_pop_in_key_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut heap = RadixHeap::new();
        let mut reference = std::collections::BTreeSet::new();
        let delay = |rng: &mut ChaCha8Rng| {
            let bits = rng.random_range(0..50u32);
            rng.random_range(0..1u64 << bits)
        };
        for i in 0..3000u32 {
            let k = EventKey::new(delay(&mut rng), i % 5, i);
            heap.push(k, i);
            reference.insert(k);
        }
        let mut last = 0;
        for step in 0..60_000u32 {
            if step % 3 == 0 {
                let until = last + delay(&mut rng);
                let want = reference.first().filter(|k| k.time() <= until).copied();
                assert_eq!(heap.peek_key_until(until), want);
                let limit = last + delay(&mut rng);
                if reference.first().is_some_and(|k| k.time() >= limit) {
                    assert!(heap.pop_before(limit).is_none());
                }
            }
            let (k, _) = heap.pop().unwrap();
            assert_eq!(Some(k), reference.pop_first());
            if let Some(f) = heap.first_due() {
                assert_eq!(Some(&f), reference.first(), "nothing queued comes first");
            }
            last = k.time();
            for j in 0..step % 3 {
                let next = EventKey::new(last + delay(&mut rng), j, 10_000 + step);
                heap.push(next, 0);
                reference.insert(next);
            }
        }
        assert_eq!(heap.len(), reference.len());
    }

    #[test]
    fn peeking_up_to_a_time_leaves_room_for_later_pushes_before_the_next_event() {
        let mut heap = RadixHeap::new();
        heap.push(EventKey::new(1000, 0, 0), "late");
        assert_eq!(heap.peek_key_until(10), None);
        heap.push(EventKey::new(20, 0, 0), "early");
        assert_eq!(heap.peek_key_until(19), None);
        assert_eq!(heap.peek_key_until(20).map(|k| k.time()), Some(20));
        assert_eq!(heap.pop().map(|e| e.1), Some("early"));
        assert_eq!(heap.pop().map(|e| e.1), Some("late"));
    }

    #[test]
    fn pop_before_refuses_without_moving_the_clock() {
        let mut heap = RadixHeap::new();
        heap.push(EventKey::new(100, 0, 0), 'a');
        heap.push(EventKey::new(900, 0, 1), 'b');
        assert_eq!(heap.pop_before(101).map(|e| e.1), Some('a'));
        assert_eq!(heap.pop_before(500), None);
        // Earlier than the refused event, later than the last popped: still accepted.
        heap.push(EventKey::new(300, 1, 0), 'c');
        heap.push(EventKey::new(300, 0, 2), 'd');
        assert_eq!(heap.pop_before(301).map(|e| e.1), Some('d'));
        assert_eq!(heap.pop_before(301).map(|e| e.1), Some('c'));
        assert_eq!(heap.pop_before(900), None);
        assert_eq!(heap.pop_before(901).map(|e| e.1), Some('b'));
        assert_eq!(heap.pop_before(u64::MAX), None);
        assert!(heap.is_empty());
    }

    /// The fleet's uploads a window ahead (20,000 every 512 s, due over the window after) and
    /// short timers: the most event slots allocated at once, and the most events queued.
    fn upload_model(hours: u64) -> (usize, usize) {
        const S: u64 = 1_000_000_000;
        let (window, per_window, end) = (512 * S, 20_000, hours * 3600 * S);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut heap = RadixHeap::new();
        let (mut next_window, mut id, mut longest, mut most) = (0, 0u32, 0, 0);
        loop {
            if heap.now >= next_window && next_window < end {
                for _ in 0..per_window {
                    id += 1;
                    let at = next_window + window + rng.random_range(0..window);
                    heap.push(EventKey::new(at, 0, id), ());
                }
                next_window += window;
            }
            longest = longest.max(heap.len());
            if id % 64 == 0 {
                most = most.max(heap.allocated());
            }
            let Some((k, ())) = heap.pop() else { break };
            if k.time() % 3 == 0 {
                id += 1;
                let at = k.time() + rng.random_range(0..5 * S);
                heap.push(EventKey::new(at, 1, id), ());
            }
        }
        (most, longest)
    }

    /// The same load for one hour and for eight: the allocation follows the queue, not the
    /// hours run. Each bucket keeping the most it ever held, it grew with every power of two
    /// the clock crossed.
    #[test]
    fn allocation_follows_the_queue_not_the_run() {
        let (short, queued_short) = upload_model(1);
        let (long, queued_long) = upload_model(8);
        eprintln!("1 h: {short} slots for {queued_short} events; 8 h: {long} for {queued_long}");
        assert!(queued_long <= queued_short + queued_short / 10);
        assert!(
            long <= short + short / 10,
            "{short} slots after 1 h, {long} after 8 h"
        );
    }

    /// A fleet's wakes: `devices` readings every ten minutes at random phases for an hour,
    /// a tenth of them followed by a short radio wake a second or two later. The most event
    /// slots allocated at once and the most events queued.
    fn wake_model<const LEAN: bool>(devices: u32) -> (usize, usize) {
        const S: u64 = 1_000_000_000;
        let (period, end) = (600 * S, 3600 * S);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut heap = RadixHeap::<u32, LEAN>::empty();
        for d in 0..devices {
            heap.push(EventKey::new(rng.random_range(0..period), d, 0), d);
        }
        let (mut most, mut longest, mut step) = (0, 0, 0u32);
        while let Some((k, d)) = heap.pop() {
            step += 1;
            longest = longest.max(heap.len());
            if step % 256 == 0 {
                most = most.max(heap.allocated());
            }
            if k.seq() == 1 {
                continue;
            }
            let next = k.time() + period - S + rng.random_range(0..2 * S);
            if next < end {
                heap.push(EventKey::new(next, d, 0), d);
            }
            if d % 10 == 0 {
                heap.push(
                    EventKey::new(k.time() + S + rng.random_range(0..S), d, 1),
                    d,
                );
            }
        }
        (most, longest)
    }

    /// The wakes a bucket was spread into are not kept a reading interval for the next
    /// spread: the room follows the events queued. Kept, it was 5.3 times them.
    #[test]
    fn lean_room_follows_the_wakes_queued() {
        let (kept, queued) = wake_model::<false>(200_000);
        let (lean, queued_lean) = wake_model::<true>(200_000);
        eprintln!("{queued} wakes queued at most: {kept} slots kept, {lean} lean");
        assert_eq!(queued, queued_lean);
        assert!(lean <= 2 * queued, "{lean} slots for {queued} wakes");
    }

    #[test]
    #[should_panic(expected = "must not decrease")]
    fn refuses_times_before_the_last_pop() {
        let mut heap = RadixHeap::new();
        heap.push(EventKey::new(10, 0, 0), ());
        heap.pop();
        heap.push(EventKey::new(9, 0, 0), ());
    }
}
