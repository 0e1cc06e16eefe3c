//! The loop's clock and queue. Sources own their sequence numbers, so the scheduler only
//! stores one counter per source id and never invents a tie-break of its own.

use super::{EventKey, RadixHeap, Time};

pub struct Scheduler<E> {
    queue: RadixHeap<E>,
    seqs: Vec<u32>,
    now: Time,
    popped: u64,
}

impl<E> Scheduler<E> {
    /// A scheduler for sources `0..sources`.
    pub fn new(sources: usize) -> Self {
        Scheduler {
            queue: RadixHeap::new(),
            seqs: vec![0; sources],
            now: 0,
            popped: 0,
        }
    }

    pub fn now(&self) -> Time {
        self.now
    }

    /// Events delivered so far.
    pub fn delivered(&self) -> u64 {
        self.popped
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Schedules `event` at `time` on behalf of `source`.
    ///
    /// # Panics
    /// If `time` lies in the past: that is a model bug that would silently reorder history.
    pub fn schedule(&mut self, time: Time, source: u32, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time} < {}",
            self.now
        );
        let seq = &mut self.seqs[source as usize];
        let key = EventKey::new(time, source, *seq);
        *seq = seq.wrapping_add(1);
        self.queue.push(key, event);
    }

    /// Schedules `event` with a sequence number its source keeps itself, for sources outside
    /// `0..sources` that number their own events (increasing, and unique at equal time).
    ///
    /// # Panics
    /// If `time` lies in the past.
    pub fn schedule_numbered(&mut self, time: Time, source: u32, seq: u32, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time} < {}",
            self.now
        );
        self.queue.push(EventKey::new(time, source, seq), event);
    }

    /// Reserves the next `k` sequence numbers of `source` for events it schedules later with
    /// [`Self::schedule_numbered`] (a broadcast's deliveries); returns the first.
    pub fn reserve(&mut self, source: u32, k: u32) -> u32 {
        let seq = &mut self.seqs[source as usize];
        let first = *seq;
        *seq = seq.wrapping_add(k);
        first
    }

    /// Whether the event of `source` numbered `seq` (reserved), due now, would be the next
    /// one delivered; if so it counts as delivered, for the caller runs it instead of queueing
    /// it. Events queued later are due later, so only those due now can come first.
    pub fn deliver_now(&mut self, source: u32, seq: u32) -> bool {
        let key = EventKey::new(self.now, source, seq);
        if self.queue.first_due().is_some_and(|k| k < key) {
            return false;
        }
        self.popped += 1;
        true
    }

    /// The next event due at or before `until`, advancing the clock to its time.
    #[inline]
    pub fn pop_until(&mut self, until: Time) -> Option<(EventKey, E)> {
        self.queue.peek_key_until(until)?;
        let (key, event) = self.queue.pop()?;
        self.now = key.time();
        self.popped += 1;
        Some((key, event))
    }

    /// Moves the clock forward without an event (e.g. to the end of the run).
    pub fn advance_to(&mut self, time: Time) {
        self.now = self.now.max(time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simultaneous_events_follow_sender_then_sequence() {
        let mut s = Scheduler::new(3);
        s.schedule(10, 2, "c0");
        s.schedule(10, 1, "b0");
        s.schedule(10, 2, "c1");
        s.schedule(5, 0, "a0");
        s.schedule(20, 0, "late");
        let order: Vec<_> = std::iter::from_fn(|| s.pop_until(15).map(|e| e.1)).collect();
        assert_eq!(order, ["a0", "b0", "c0", "c1"]);
        assert_eq!(s.now(), 10);
        assert_eq!(s.pending(), 1);
    }

    #[test]
    fn an_event_runs_at_once_only_when_it_would_be_next() {
        let mut s = Scheduler::new(4);
        s.schedule(10, 2, "a");
        s.schedule(10, 3, "b");
        s.schedule(12, 0, "later");
        assert_eq!(s.pop_until(100).map(|e| e.1), Some("a"));
        // Source 1 comes before the queued source 3 at time 10; source 3's next number too.
        let seq = s.reserve(1, 1);
        assert!(s.deliver_now(1, seq));
        let seq = s.reserve(3, 1);
        assert!(!s.deliver_now(3, seq), "b is due first");
        assert_eq!(s.pop_until(100).map(|e| e.1), Some("b"));
        let seq = s.reserve(3, 1);
        assert!(s.deliver_now(3, seq), "only later times are queued");
        assert_eq!(s.delivered(), 4);
        assert_eq!(s.pop_until(100).map(|e| e.1), Some("later"));
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_refused() {
        let mut s = Scheduler::new(1);
        s.schedule(10, 0, ());
        s.pop_until(100);
        s.schedule(5, 0, ());
    }
}
