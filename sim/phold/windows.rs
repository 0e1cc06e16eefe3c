//! PHOLD over partitions in conservative time windows.
//!
//! The LPs are cut into a fixed number of contiguous partitions, each with its own queue. Every
//! event is sent at least `lookahead` after the event that caused it, so in a window
//! `[t, t + lookahead)` no partition can receive anything due inside the window: each runs
//! its window alone (under rayon), keeping what it sends to other partitions in per-destination
//! outboxes, which are handed over when the window ends. Events keep their `(time, source,
//! seq)` keys, so every LP processes exactly the sequence it would in the sequential engine,
//! whatever the partition count or the number of threads.

use super::{BATCH, Lp, Phold, PholdResult, Step, digest, process_until};
use crate::engine::{EventKey, RadixHeap, Time};
use rayon::prelude::*;

type Mail = Vec<(EventKey, u32)>;

struct Partition {
    index: usize,
    first: u32,
    lps: Vec<Lp>,
    queue: RadixHeap<u32>,
    /// Events for other partitions, by destination partition.
    outbox: Vec<Mail>,
    /// Events from other partitions, by source partition.
    inbox: Vec<Mail>,
    batch: Mail,
    committed: u64,
    remote: u64,
}

impl Partition {
    fn new(index: usize, first: u32, count: u32, parts: usize, p: &Phold, step: &Step) -> Self {
        let mut lps = vec![Lp::NEW; count as usize];
        let mut queue = RadixHeap::new();
        for (i, state) in lps.iter_mut().enumerate() {
            for s in step.start(first + i as u32, state, p.start_events) {
                queue.push(s.key, s.dest);
            }
        }
        Partition {
            index,
            first,
            lps,
            queue,
            outbox: vec![Vec::new(); parts],
            inbox: vec![Vec::new(); parts],
            batch: Vec::with_capacity(BATCH),
            committed: 0,
            remote: 0,
        }
    }

    /// Takes in the events handed over at the last window's end (in source-partition order)
    /// and processes every event due before `end`.
    fn run_window(&mut self, step: &Step, chunk: u32, end: Time) {
        for mail in &mut self.inbox {
            for (key, lp) in mail.drain(..) {
                self.queue.push(key, lp);
            }
        }
        let (index, outbox) = (self.index, &mut self.outbox);
        let (committed, remote) = process_until(
            &mut self.queue,
            &mut self.lps,
            self.first,
            step,
            end,
            &mut self.batch,
            |queue, s| {
                let to = (s.dest / chunk) as usize;
                if to == index {
                    queue.push(s.key, s.dest);
                } else {
                    // The window's soundness rests on this: nothing crosses into the present.
                    assert!(
                        s.key.time() >= end,
                        "event inside its window crossed partitions"
                    );
                    outbox[to].push((s.key, s.dest));
                }
            },
        );
        self.committed += committed;
        self.remote += remote;
    }
}

impl Phold {
    /// Runs in windows of width `lookahead` over `partitions` contiguous LP ranges, on the
    /// current rayon pool. The result equals [`Phold::run`]'s exactly.
    pub fn run_windows(&self, partitions: u32) -> Result<PholdResult, String> {
        let step = Step::new(self);
        if step.lookahead == 0 {
            return Err(format!(
                "phold: lookahead {} rounds to 0 ns; windows need a positive lookahead",
                self.lookahead
            ));
        }
        if partitions == 0 {
            return Err("phold: partitions must be >= 1".into());
        }
        let chunk = self.lps.div_ceil(partitions);
        let parts = self.lps.div_ceil(chunk) as usize;
        let mut parts: Vec<Partition> = (0..parts)
            .into_par_iter()
            .map(|i| {
                let first = i as u32 * chunk;
                let count = chunk.min(self.lps - first);
                Partition::new(i, first, count, parts, self, &step)
            })
            .collect();
        let end = self.end_time();
        let mut t: Time = 0;
        while t < end {
            let window_end = end.min(t.saturating_add(step.lookahead));
            parts
                .par_iter_mut()
                .for_each(|p| p.run_window(&step, chunk, window_end));
            hand_over(&mut parts);
            t = window_end;
        }
        Ok(PholdResult {
            committed: parts.iter().map(|p| p.committed).sum(),
            remote: parts.iter().map(|p| p.remote).sum(),
            population: parts
                .iter()
                .map(|p| p.queue.len() + p.inbox.iter().map(Vec::len).sum::<usize>())
                .sum::<usize>() as u64,
            digest: parts
                .iter()
                .fold(0u64, |acc, p| acc.wrapping_add(digest(&p.lps))),
        })
    }
}

/// Moves each outbox into its destination's inbox; the emptied inboxes go back as outboxes,
/// so their allocations are reused.
fn hand_over(parts: &mut [Partition]) {
    for src in 0..parts.len() {
        for dst in 0..parts.len() {
            if src != dst && !parts[src].outbox[dst].is_empty() {
                let out = std::mem::take(&mut parts[src].outbox[dst]);
                let emptied = std::mem::replace(&mut parts[dst].inbox[src], out);
                parts[src].outbox[dst] = emptied;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(remote: f64, seed: u64) -> Phold {
        Phold {
            lps: 600,
            start_events: 2,
            remote,
            mean: 1.0,
            lookahead: 0.1,
            end: 60.0,
            seed,
        }
    }

    fn on_threads(k: usize, f: impl FnOnce() -> PholdResult + Send) -> PholdResult {
        rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .expect("thread pool")
            .install(f)
    }

    // Same committed and remote counts, population and per-LP digest as the sequential engine,
    // at 1, 2 and 8 threads and for several partition counts (600 LPs do not divide evenly by
    // 7 or 16).
    #[test]
    fn windows_equal_the_sequential_engine_at_any_thread_count() {
        for (remote, seed) in [(0.1, 1), (0.5, 2), (1.0, 3)] {
            let m = model(remote, seed);
            let sequential = m.run();
            assert!(sequential.committed > 600 * 2 * 50, "{sequential:?}");
            assert!(sequential.remote > 0);
            for partitions in [1, 7, 16] {
                for threads in [1, 2, 8] {
                    let r = on_threads(threads, || m.run_windows(partitions).unwrap());
                    assert_eq!(r, sequential, "{partitions} partitions, {threads} threads");
                }
            }
        }
    }

    #[test]
    fn zero_lookahead_and_zero_partitions_are_refused() {
        let mut m = model(0.1, 1);
        assert!(m.run_windows(0).unwrap_err().contains("partitions"));
        m.lookahead = 0.0;
        assert!(m.run_windows(4).unwrap_err().contains("lookahead 0"));
    }
}
