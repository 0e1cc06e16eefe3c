//! The validators in partitions run in conservative windows (`sim/README.md`, validators in
//! parallel): each partition runs its events up to the window's end, no wider than the least
//! delay of a message between partitions (`Network::lookahead`), then hands the others what
//! its validators sent them. `SYSTEM`'s events (samples, fault changes) are barriers: every
//! partition has run the events before one, and it runs alone, first of its instant, as in
//! the sequential engine. Every event keeps the key the sequential engine gives it, so each
//! validator handles the same events in the same order whatever the partition count.
//!
//! On one thread for now: the partitions take turns within a window.

use super::copies::FirstCopies;
use super::part::{Handed, Part, Split};
use super::view::View;
use super::{Ev, World};
use crate::consensus::{Protocol, TxIn};
use crate::engine::{EventKey, Time};
use crate::world::Progress;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The partitions not running now, and how the validators are cut.
pub(super) struct Parts<M, T> {
    /// Every partition but the one running (`World::part`), whose place holds an empty
    /// stand-in; empty with one partition.
    pub rest: Vec<Part<M, T>>,
    /// The partition running now.
    pub cur: usize,
    /// Validators per partition: `v / chunk` is `v`'s (the last may hold fewer).
    pub chunk: u32,
    /// The widest a window may be.
    lookahead: Time,
    /// Where the next window starts: every partition has run the events before it.
    clock: Time,
    /// Times of `SYSTEM`'s events not yet run: window ends.
    barriers: BinaryHeap<Reverse<Time>>,
}

impl<M, T> Parts<M, T> {
    /// One partition: the sequential engine.
    pub fn one() -> Self {
        Parts {
            rest: Vec::new(),
            cur: 0,
            chunk: u32::MAX,
            lookahead: Time::MAX,
            clock: 0,
            barriers: BinaryHeap::new(),
        }
    }

    pub fn partitioned(&self) -> bool {
        !self.rest.is_empty()
    }

    /// The partition holding validator `v`.
    pub fn of(&self, v: u32) -> usize {
        (v / self.chunk) as usize
    }

    /// Notes one of `SYSTEM`'s events at `at`: a window ends there.
    pub fn barrier(&mut self, at: Time) {
        if self.partitioned() {
            self.barriers.push(Reverse(at));
        }
    }
}

impl<P: Protocol> World<'_, P> {
    /// Cuts the validators into `k` partitions of consecutive ids when the family and the
    /// scenario allow it; otherwise they stay one. Outputs do not depend on it. Before the run.
    pub(super) fn partition(&mut self, k: u32) {
        let n = self.net.nodes();
        // What reacts inside a handler to other validators' records, or reads them in one
        // partition's order, runs with one partition (`sim/README.md`): typed workloads,
        // privacy observers, receipts, gossip's futile copies, settlements through the
        // shared execution timeline, and the upload links of announced blocks and
        // transactions (every sender's queue in one `Uplinks`).
        let shared = self.workloads.is_some()
            || self.privacy.is_some()
            || self.receipts.is_some()
            || self.protocol.gossip().is_some()
            || self.s.validators.execution.is_some()
            || self.uplinks.is_some();
        let Some(lookahead) = self.net.lookahead(k).filter(|&l| l > 0) else {
            return;
        };
        let chunk = n.div_ceil(k);
        let bounds: Vec<u32> = (0..n.div_ceil(chunk)).map(|q| q * chunk).collect();
        if shared || bounds.len() < 2 || !self.protocol.partition(&bounds) {
            return;
        }
        let sources = 1 + n as usize;
        // Without `validators.execution` the executor keeps nothing: one each. The copy
        // filters are fresh (no copy was sent yet) and no handler writes their records.
        let copies = if self.part.copies.active() { n } else { 0 };
        let part = |lo: u32, hi: u32| {
            let own = (Default::default(), FirstCopies::new(copies));
            Part::new(&self.metrics, &self.net, lo..hi, sources, own)
        };
        let mut rest: Vec<_> = bounds
            .iter()
            .map(|&lo| part(lo, (lo + chunk).min(n)))
            .collect();
        self.part = std::mem::replace(&mut rest[0], part(0, 0));
        self.parts = Parts {
            rest,
            cur: 0,
            chunk,
            lookahead,
            clock: 0,
            barriers: BinaryHeap::new(),
        };
    }

    /// Partition `p`, running or not.
    pub(super) fn part_mut(&mut self, p: usize) -> &mut Part<P::Msg, P::Timer> {
        if p == self.parts.cur {
            &mut self.part
        } else {
            &mut self.parts.rest[p]
        }
    }

    /// Makes partition `p` the running one.
    pub(super) fn enter(&mut self, p: usize) {
        let cur = self.parts.cur;
        if p != cur {
            std::mem::swap(&mut self.part, &mut self.parts.rest[cur]);
            std::mem::swap(&mut self.part, &mut self.parts.rest[p]);
            self.parts.cur = p;
        }
    }

    /// Makes the partition of validator `v` the running one, before one of its handlers.
    #[inline]
    pub(super) fn enter_node(&mut self, v: u32) {
        if self.parts.partitioned() {
            self.enter(self.parts.of(v));
        }
    }

    /// Runs `f` on every partition.
    pub(super) fn each_part(&mut self, mut f: impl FnMut(&mut Part<P::Msg, P::Timer>)) {
        f(&mut self.part);
        let cur = self.parts.cur;
        for (p, part) in self.parts.rest.iter_mut().enumerate() {
            if p != cur {
                f(part);
            }
        }
    }

    /// Moves every partition's records into the world's recorder and counts.
    pub(super) fn flush(&mut self) {
        let (metrics, faults) = (&mut self.metrics, &mut self.faults);
        let copies = &mut self.copies_dropped;
        self.part.flush(metrics, faults, copies);
        let cur = self.parts.cur;
        for (p, part) in self.parts.rest.iter_mut().enumerate() {
            if p != cur {
                part.flush(metrics, faults, copies);
            }
        }
    }

    /// Hands an upload to validator `node` at `at`, under the number its sender (a device or
    /// a gateway) gave it: `fill` writes its transactions into a list of `node`'s partition's
    /// batches, and the event goes into that partition's scheduler.
    pub(super) fn hand_over(
        &mut self,
        at: Time,
        (source, seq): (u32, u32),
        node: u32,
        fill: impl FnOnce(&mut Vec<TxIn>),
    ) {
        let part = self.part_mut(self.parts.of(node));
        part.hand_over(at, (source, seq), node, fill);
    }

    /// Hands every partition's outbox to the partitions it is for, at the end `end` of a
    /// window. Each event keeps its key, so the order of handing changes nothing.
    fn hand_outboxes(&mut self, end: Time) {
        for p in 0..self.parts.rest.len() {
            let mut outbox = std::mem::take(&mut self.part_mut(p).outbox);
            for (q, handed) in outbox.drain(..) {
                self.part_mut(q).receive(handed, end);
            }
            self.part_mut(p).outbox = outbox;
        }
    }

    /// The partitioned [`Self::process_until`]: windows up to `until`, and the barriers in
    /// them. A partition's queue is never looked into beyond the window running: its radix
    /// heap would move its clock there, and a later window may still hand it an earlier event.
    pub(super) fn process_windows(&mut self, until: Time, shard_events: u64, progress: &Progress) {
        let k = self.parts.rest.len();
        // Every partition has run its events before `clock`.
        while self.parts.clock <= until {
            let start = self.parts.clock;
            let barrier = self.parts.barriers.peek().map(|b| b.0);
            debug_assert!(barrier.is_none_or(|b| b >= start), "a barrier passed");
            if barrier == Some(start) {
                // `SYSTEM`'s events are partition 0's first of their instant; its others at
                // `start` follow them, as they would in the window. A fault's handlers run in
                // their validators' partitions, which it leaves again (`World::fault`).
                self.each_part(|p| p.sched.advance_to(start));
                self.enter(0);
                self.run_events(start, shard_events, progress);
                while self.parts.barriers.peek().is_some_and(|b| b.0 == start) {
                    self.parts.barriers.pop();
                }
            }
            let end = start
                .saturating_add(self.parts.lookahead)
                .min(until.saturating_add(1))
                .min(self.parts.barriers.peek().map_or(Time::MAX, |b| b.0));
            for p in 0..k {
                self.enter(p);
                self.run_events(end - 1, shard_events, progress);
            }
            self.hand_outboxes(end);
            self.protocol.window_end(&mut self.part.metrics);
            self.parts.clock = end;
        }
    }
}

impl<P: Protocol> View<'_, P> {
    /// Puts `v`'s event `ev` for another partition's validator `to`, due at `at`, in the
    /// outbox under the key `v`'s next number gives it.
    pub(super) fn send_out(&mut self, to: u32, at: Time, src: u32, ev: Ev<P::Msg, P::Timer>) {
        let key = EventKey::new(at, src, self.part.sched.reserve(src, 1));
        let q = (to / self.chunk) as usize;
        self.part.outbox.push((q, Handed::Event(key, ev)));
    }

    /// Puts the parts of broadcast `slot` from `from` to the nodes below `upto` (opened with
    /// `times` and `lost`, numbered from `seq0`) that other partitions hold in the outbox, and
    /// keeps the running partition's receivers in the slot.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn split_cast(
        &mut self,
        slot: u32,
        (from, upto): (u32, u32),
        msg: P::Msg,
        bytes: u32,
        seq0: u32,
        times: &[Time],
        lost: &[u64],
    ) {
        let chunk = self.chunk;
        for q in 0..upto.div_ceil(chunk) {
            if q as usize == self.cur {
                continue;
            }
            let split = Split {
                from,
                lo: q * chunk,
                upto: ((q + 1) * chunk).min(upto),
                msg,
                bytes,
                seq0,
                times: times.to_vec(),
                lost: lost.to_vec(),
            };
            self.part.outbox.push((q as usize, Handed::Cast(split)));
        }
        let (lo, len) = (self.part.lo, self.part.len);
        self.part.casts.restrict(slot, lo, lo + len);
    }
}
