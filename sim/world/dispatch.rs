//! The validators' event loop: each event popped goes to its handler, and the commands a
//! handler returns become events. It runs on a partition's view (`view.rs`); fault changes
//! and samples run on the whole world.

use super::view::View;
use super::{Ev, SYSTEM, World, node_source, traffic::Fate, typed};
use crate::consensus::{Ctx, Protocol};
use crate::engine::{Command, EventKey, Purpose, Time};
use crate::world::Progress;
use crate::world::faults::Change;

/// The key the validators' starts run under, before the first event; a view starts with it
/// until its first event sets one.
pub(super) fn start() -> EventKey {
    EventKey::new(0, SYSTEM, 0)
}

impl<P: Protocol> World<'_, P> {
    /// Runs the validators' events due at or before `until`.
    pub(super) fn process_until(&mut self, until: Time, shard_events: u64, progress: &Progress) {
        if self.parts.partitioned() {
            self.process_windows(until, shard_events, progress);
        } else {
            self.run_events(until, shard_events, progress);
        }
    }

    /// Runs the running partition's events due at or before `until`.
    pub(super) fn run_events(&mut self, until: Time, shard_events: u64, progress: &Progress) {
        let run = |view: &mut View<'_, P>| view.run_until(until, shard_events, progress);
        while let Some((key, ev)) = self.with_view(start(), run) {
            match ev {
                Ev::Fault(c) => self.fault(key, c),
                Ev::Sample => self.sample(),
                _ => unreachable!("run by the view"),
            }
            if self.part.sched.delivered() & 0xffff == 0 {
                let world = (self.metrics.reached, self.metrics.settled);
                self.part.show(world, shard_events, progress);
            }
        }
    }

    fn sample(&mut self) {
        let now = self.part.sched.now();
        self.metrics.sample(now, self.protocol.mempool_len());
        let next = now + self.metrics.window();
        if next < self.end {
            self.system(next, Ev::Sample);
        }
    }

    /// Runs one handler of validator `v` under `key`, in `v`'s partition, and turns its
    /// commands into events.
    pub(super) fn dispatch(
        &mut self,
        v: u32,
        key: EventKey,
        handler: impl FnOnce(&mut P, &mut P::Node, &mut Ctx<P::Msg, P::Timer>),
    ) {
        self.enter_node(v);
        self.with_view(key, |view| view.dispatch(v, handler));
    }

    fn fault(&mut self, key: EventKey, c: Change) {
        let was_down = self.faults.is_down(c.node);
        if !self.faults.apply(c) {
            if !was_down && self.faults.is_down(c.node) {
                let now = self.part.sched.now();
                self.protocol
                    .on_crash(&mut self.nodes[c.node as usize], now);
                if self.faults.for_good(&c) {
                    self.protocol
                        .on_down_for_good(&mut self.nodes[c.node as usize], now);
                }
            }
            return;
        }
        let v = c.node;
        let cur = self.parts.cur;
        if self.faults.started[v as usize] {
            self.dispatch(v, key, |p, node, ctx| p.on_recover(node, ctx));
        } else {
            self.faults.started[v as usize] = true;
            self.dispatch(v, key, |p, node, ctx| p.on_start(node, ctx));
        }
        // Each parked upload is handed under a number of its own, so the requests it makes
        // are named apart and in the order they are handed (`Ctx::key`).
        let now = self.part.sched.now();
        // `v`'s partition runs now (`dispatch` entered it).
        for batch in std::mem::take(self.part.faults.parked(v)) {
            let seq = self.part_mut(0).sched.reserve(SYSTEM, 1);
            let key = EventKey::new(now, SYSTEM, seq);
            self.with_view(key, |view| view.hand(v, batch));
        }
        if self.parts.partitioned() {
            // Alone, as in the sequential engine: what the handlers logged is replayed before
            // the next `SYSTEM` event (a sample reads what a recovery included).
            self.protocol.window_end(&mut self.part.metrics);
        }
        // The barrier goes on in the partition it ran in.
        self.enter(cur);
    }
}

impl<P: Protocol> View<'_, P> {
    /// Runs one event, popped with its key; returns it unrun if it needs the whole world.
    #[inline(always)]
    pub(super) fn event(
        &mut self,
        key: EventKey,
        ev: Ev<P::Msg, P::Timer>,
        shard_events: u64,
        progress: &Progress,
    ) -> Option<Ev<P::Msg, P::Timer>> {
        self.key = key;
        let ev = match ev {
            Ev::Cast { slot, to } => self.cast_due(slot, to),
            ev => ev,
        };
        match ev {
            Ev::Batch { node, batch } if self.faults.is_down(node) => {
                self.observe(node, batch);
                self.part.faults.counts.batches_held += 1;
                if self.faults.down_for_good(node, self.part.sched.now()) {
                    let txs = self.part.batches.take(batch);
                    self.part.faults.stranded_tx += txs.len() as u64;
                    let now = self.part.sched.now();
                    for t in &txs {
                        self.part.metrics.on_stranded(t.kind, now);
                    }
                    self.part.batches.give_back(txs);
                } else {
                    self.part.faults.parked(node).push(batch);
                }
            }
            Ev::Msg { to, msg, bytes, .. } if self.faults.is_down(to) => {
                self.part.faults.counts.msgs_to_down_node += 1;
                let kind = self.protocol.kind(&msg);
                self.part
                    .traffic
                    .ended(kind, to, u64::from(bytes), Fate::NodeDown);
            }
            Ev::Timer { node, .. } if self.faults.is_down(node) => {
                self.part.faults.counts.timers_of_down_node += 1;
            }
            Ev::Link { node, generation } => self.link_due(node, generation),
            Ev::Cast { .. } => unreachable!("turned into a message above"),
            ev @ (Ev::Fault(_) | Ev::Sample) => return Some(ev),
            Ev::Workload { entity } => self.workload_wake(entity),
            Ev::Batch { node, batch } => {
                self.observe(node, batch);
                self.hand(node, batch);
            }
            Ev::Msg {
                to,
                from,
                msg,
                bytes,
            } => {
                let kind = self.protocol.kind(&msg);
                self.part
                    .traffic
                    .ended(kind, to, u64::from(bytes), Fate::Delivered);
                self.dispatch_next(to, key, |p, n, ctx| p.on_message(n, ctx, from, msg))
            }
            Ev::Timer { node, timer } => {
                self.dispatch_next(node, key, |p, n, ctx| p.on_timer(n, ctx, timer))
            }
        }
        self.tick(shard_events, progress);
        None
    }

    /// Shows an upload reaching its validator to the privacy observers.
    fn observe(&mut self, node: u32, batch: u32) {
        if let Some(p) = &mut self.privacy {
            let now = self.part.sched.now();
            p.observe(now, node, self.part.batches.list(batch));
        }
    }

    /// Shows relayed transactions reaching watched validators to the privacy observers.
    fn observe_relayed(&mut self) {
        let (Some(p), Some(r)) = (&mut self.privacy, self.protocol.tx_relay_mut()) else {
            return;
        };
        r.drain_seen(|s, txs, had| p.observe_at((s.node, s.from, s.origin), s.at, txs, had));
    }

    /// Hands an upload's transactions to validator `v`, each marked with whether it touches
    /// the shared key: a draw keyed by the transaction alone, so the same transaction touches
    /// it in every run of the seed.
    pub(super) fn hand(&mut self, v: u32, batch: u32) {
        let mut txs = self.part.batches.take(batch);
        for t in &mut txs {
            self.part.metrics.on_handed(t.kind);
            let share = typed::group_of(self.groups, t.device).hot_key_share;
            if share > 0.0 {
                let index = (u64::from(t.seq) << 8) | t.kind.index() as u64;
                let u =
                    crate::engine::draw_unit(self.s.seed, t.device.into(), Purpose::HotKey, index);
                t.hot = u < share;
            }
        }
        self.dispatch(v, |p, n, ctx| p.on_transactions(n, ctx, &txs));
        self.part.batches.give_back(txs);
    }

    /// Runs one handler of validator `v` and turns its commands into events.
    pub(super) fn dispatch(
        &mut self,
        v: u32,
        handler: impl FnOnce(&mut P, &mut P::Node, &mut Ctx<P::Msg, P::Timer>),
    ) {
        let key = self.key;
        if let Some((seq, timer)) = self.handle(v, key, handler) {
            self.schedule_due(v, seq, timer);
        }
    }

    /// [`Self::dispatch`] where the loop pops the next event right after: a timer due at once
    /// (Nakamoto's `Validated`, one per block per node) whose event would be the next one
    /// popped runs at once instead, in the same order and counted as an event all the same.
    /// The event's key comes as an argument, not read back from `self.key`: the loop had just
    /// stored it there as two words, and a 16-byte load of two 8-byte stores cannot be
    /// forwarded (perf put two fifths of the loop's own samples on that load).
    fn dispatch_next(
        &mut self,
        v: u32,
        key: EventKey,
        handler: impl FnOnce(&mut P, &mut P::Node, &mut Ctx<P::Msg, P::Timer>),
    ) {
        let mut due = self.handle(v, key, handler);
        while let Some((seq, timer)) = due {
            if !self.part.sched.deliver_now(node_source(v), seq) {
                self.schedule_due(v, seq, timer);
                return;
            }
            let key = EventKey::new(self.part.sched.now(), node_source(v), seq);
            self.key = key;
            due = self.handle(v, key, |p, n, ctx| p.on_timer(n, ctx, timer));
        }
    }

    fn schedule_due(&mut self, v: u32, seq: u32, timer: P::Timer) {
        let (now, src) = (self.part.sched.now(), node_source(v));
        let ev = Ev::Timer { node: v, timer };
        self.part.sched.schedule_numbered(now, src, seq, ev);
    }

    /// Runs the handler and turns its commands into events, but for the first timer due at
    /// once, which it returns with its sequence number for the caller to schedule or run.
    /// `key` is the handler's (`Ctx::key`).
    fn handle(
        &mut self,
        v: u32,
        key: EventKey,
        handler: impl FnOnce(&mut P, &mut P::Node, &mut Ctx<P::Msg, P::Timer>),
    ) -> Option<(u32, P::Timer)> {
        let now = self.part.sched.now();
        let own = self.own(v);
        let part = &mut self.part;
        let mut ctx = Ctx {
            now,
            node: v,
            key,
            rng: &mut self.consensus_rng[own],
            net: self.net,
            reach: self.reach,
            metrics: &mut part.metrics,
            exec: &mut part.exec,
            settlements: &mut part.settlements,
            out: &mut part.out,
        };
        handler(self.protocol, &mut self.nodes[own], &mut ctx);
        part.settlements.replay(&mut part.exec, &mut part.metrics);
        // Most handlers log no typed transaction: the check costs less than the call.
        if !part.metrics.typed_log.is_empty() {
            self.workload_fates();
        }
        if self.privacy.is_some() {
            self.observe_relayed();
        }
        let src = node_source(v);
        let mut due = None;
        let mut out = std::mem::take(&mut self.part.out);
        let mut i = 0;
        while i < out.len() {
            let run = Self::run_len(&out[i..]);
            let cmd = out[i].clone();
            match cmd {
                Command::Send { to, msg, bytes } if run == 1 => self.send(v, to, msg, bytes),
                Command::Send { msg, bytes, .. } => self.send_run(v, msg, bytes, &out[i..i + run]),
                Command::Broadcast { msg, bytes, upto } => self.broadcast(v, msg, bytes, upto),
                Command::Timer { delay: 0, timer } if due.is_none() => {
                    due = Some((self.part.sched.reserve(src, 1), timer));
                }
                Command::Timer { delay, timer } => {
                    self.part
                        .sched
                        .schedule(now + delay, src, Ev::Timer { node: v, timer });
                }
            }
            i += run;
        }
        out.clear();
        self.part.out = out;
        due
    }
}
