//! A radix heap: a monotone priority queue for integer keys.
//!
//! It exploits that a discrete-event loop never schedules into the past: every event pushed is
//! due no earlier than the last one popped. Events live in 64 buckets by the highest bit in
//! which their time differs from the current time; a push is an append, and when nothing is
//! due now the smallest non-empty bucket is redistributed into lower ones. Each event moves
//! at most once per bit of its time, through sequential memory, where a comparison heap jumps
//! through memory on every level of every operation. Events due at the current time — which
//! may still arrive out of key order, from any source — wait in a small 4-ary heap.

use super::{EventKey, QuadHeap, Time};

pub struct RadixHeap<T> {
    now: Time,
    len: usize,
    due: QuadHeap<T>,
    buckets: Vec<Vec<(EventKey, T)>>,
}

impl<T> Default for RadixHeap<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Bucket of a time strictly after `now`: 1 + the highest differing bit, in `1..=64`.
fn bucket(t: Time, now: Time) -> usize {
    64 - (t ^ now).leading_zeros() as usize
}

impl<T> RadixHeap<T> {
    pub fn new() -> Self {
        RadixHeap {
            now: 0,
            len: 0,
            due: QuadHeap::new(),
            buckets: (0..65).map(|_| Vec::new()).collect(),
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
        if t == self.now {
            self.due.push(key, value);
        } else {
            self.buckets[bucket(t, self.now)].push((key, value));
        }
        self.len += 1;
    }

    pub fn peek_key(&mut self) -> Option<EventKey> {
        self.refill();
        self.due.peek_key()
    }

    /// The earliest key if it is due at or before `until`. Unlike [`RadixHeap::peek_key`] it
    /// never moves the heap's base past `until`, so events may still be pushed at any time
    /// after `until` — as a loop does that receives events from elsewhere between steps.
    pub fn peek_key_until(&mut self, until: Time) -> Option<EventKey> {
        if self.due.is_empty() && self.len > 0 {
            let i = self.lowest_bucket();
            let min = self.buckets[i].iter().map(|e| e.0.time()).min();
            if min.is_some_and(|m| m > until) {
                return None;
            }
        }
        self.peek_key().filter(|k| k.time() <= until)
    }

    fn lowest_bucket(&self) -> usize {
        (1..65)
            .find(|&i| !self.buckets[i].is_empty())
            .expect("len > 0")
    }

    pub fn pop(&mut self) -> Option<(EventKey, T)> {
        self.refill();
        let e = self.due.pop()?;
        self.len -= 1;
        Some(e)
    }

    /// Makes the due heap hold the earliest events, if anything is queued.
    fn refill(&mut self) {
        if !self.due.is_empty() || self.len == 0 {
            return;
        }
        let i = self.lowest_bucket();
        let mut moved = std::mem::take(&mut self.buckets[i]);
        self.now = moved
            .iter()
            .map(|e| e.0.time())
            .min()
            .expect("non-empty bucket");
        for (key, value) in moved.drain(..) {
            if key.time() == self.now {
                self.due.push(key, value);
            } else {
                self.buckets[bucket(key.time(), self.now)].push((key, value));
            }
        }
        // Keep the allocation: the bucket refills at the same scale soon.
        self.buckets[i] = moved;
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
    #[should_panic(expected = "must not decrease")]
    fn refuses_times_before_the_last_pop() {
        let mut heap = RadixHeap::new();
        heap.push(EventKey::new(10, 0, 0), ());
        heap.pop();
        heap.push(EventKey::new(9, 0, 0), ());
    }
}
