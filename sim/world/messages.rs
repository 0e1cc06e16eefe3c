//! The validators' messages on their way: single sends, through the upload queues or with
//! a drawn latency, broadcasts (see `casts`), and their delivery, which drops a copy
//! behind an earlier one with the same key.
//!
//! Runs of one message a handler sends to several validators in a row, such as a block's
//! `inv` to every peer that lacks it: 8.6 M of the 11.1 M messages of SimBlock's Bitcoin
//! scenario, most of them futile (`Protocol::futile`). A run is handled as the same
//! number of single sends would be, in the same order, but what the copies share (the kind,
//! the sender's counters, whether anything can be lost, the copy key) is looked up once, and
//! the receivers' futility is read for a stretch of the run before any copy is handled, so
//! those loads, a cache miss each at 10,000 nodes, may overlap.

use super::arrival::Arrival;
use super::traffic::Fate;
use super::view::View;
use super::{Ev, node_source};
use crate::consensus::{Kind, Protocol};
use crate::engine::Command;
use crate::scenario::{Jitter, UploadSharing};

/// Receivers read ahead at once.
const STRETCH: usize = 32;

/// What the latency's bounds say of a futile copy to a region: it surely arrives before the
/// end, or does when its jitter's uniform is at least the cut (all but one in a billion), or
/// the bounds cannot tell ([`Arrival::before`] decides).
#[derive(Clone, Copy)]
pub(super) enum Settle {
    Before,
    BeforeFrom(f64),
    Unknown,
}

/// The index of the next jitter draw of the validator whose count is `counts[own]` (see
/// [`crate::net::Network::latency`]), counted on.
fn next_index(counts: &mut [u64], own: usize) -> u64 {
    let c = &mut counts[own];
    *c += 1;
    *c - 1
}

impl<P: Protocol> View<'_, P> {
    /// One message from `v` to `to`: lost now, or queued for delivery.
    pub(super) fn send(&mut self, v: u32, to: u32, msg: P::Msg, bytes: u64) {
        let now = self.part.sched.now();
        let src = node_source(v);
        let kind = self.protocol.kind(&msg);
        self.part.traffic.sent(kind, v, bytes);
        let own = self.own(v);
        let rng = &mut self.latency_rng[own];
        if let Some(fate) = self
            .faults
            .lost(now, (v, to), rng, &mut self.part.faults.counts)
        {
            self.part.traffic.ended(kind, to, bytes, fate);
            return;
        }
        let at = match &mut self.uplinks {
            Some(up) if self.protocol.bulk(&msg) => {
                // Stop-and-wait holds the link until the copy arrives; FIFO only while sending.
                let holds = match up.sharing() {
                    UploadSharing::Fifo => false,
                    UploadSharing::StopAndWait => true,
                    UploadSharing::Fair => {
                        let bits = bytes as f64 * 8.0;
                        let bps = self.net.upload_bps(v);
                        let (due, generation) = up.start(v, now, bits, bps, (to, msg, bytes));
                        let ev = Ev::Link {
                            node: v,
                            generation,
                        };
                        self.part.sched.schedule(due, src, ev);
                        return;
                    }
                };
                let latency = self.net.latency(v, to, next_index(self.jitter_index, own));
                let transfer = self.part.transfers.time(self.net, v, to, bytes);
                let after = latency + self.net.processing(to) + self.faults.extra_delay;
                Arrival::At(up.queue(v, now, transfer, if holds { after } else { 0 }) + after)
            }
            _ => self.drawn(v, to, bytes),
        };
        self.deliver(v, to, msg, bytes, at);
    }

    /// The arrival of `v`'s next message to `to` outside the upload queues, its latency drawn
    /// when needed.
    fn drawn(&mut self, v: u32, to: u32, bytes: u64) -> Arrival {
        let index = next_index(self.jitter_index, self.own(v));
        self.drawn_at(v, to, bytes, index)
    }

    /// [`Self::drawn`] with the latency of `v`'s `index`-th message. Always inlined, as
    /// `Transfers::time` in it: a run of copies (`send_run`) calls it for every copy.
    #[inline(always)]
    fn drawn_at(&mut self, v: u32, to: u32, bytes: u64, index: u64) -> Arrival {
        Arrival::Drawn {
            rest: self.part.sched.now()
                + self.part.transfers.time(self.net, v, to, bytes)
                + self.net.processing(to)
                + self.faults.extra_delay,
            from: v,
            to,
            index,
        }
    }

    /// `msg` from `v` to every other validator with an id below `upto`, with the outcome of
    /// one [`Self::send`] to each in id order. Without jitter, upload queues or copy keys it
    /// is queued once (see `casts`); otherwise it is sent as single messages.
    pub(super) fn broadcast(&mut self, v: u32, msg: P::Msg, bytes: u64, upto: u32) {
        let n = self.net.nodes().min(upto);
        let receivers = n - u32::from(v < n);
        let compact = self.net.jitter == Jitter::None
            && !(self.uplinks.is_some() && self.protocol.bulk(&msg))
            && self.protocol.copy_key(&msg).is_none()
            && self.net.groups() <= 64;
        if !compact {
            for to in (0..n).filter(|&to| to != v) {
                self.send(v, to, msg, bytes);
            }
            return;
        }
        if receivers == 0 {
            return;
        }
        let now = self.part.sched.now();
        let kind = self.protocol.kind(&msg);
        self.part
            .traffic
            .sent_many(kind, v, bytes, u64::from(receivers));
        // Losses drawn in id order from the sender's stream, as single messages draw them.
        let mut lost = std::mem::take(&mut self.part.cast_lost);
        lost.clear();
        let mut copies = receivers;
        if self.faults.may_lose(now) {
            lost.resize(n.div_ceil(64) as usize, 0);
            let rng = &mut self.latency_rng[self.own(v)];
            for to in (0..n).filter(|&to| to != v) {
                let counts = &mut self.part.faults.counts;
                if let Some(fate) = self.faults.lost(now, (v, to), rng, counts) {
                    self.part.traffic.ended(kind, to, bytes, fate);
                    lost[(to / 64) as usize] |= 1 << (to % 64);
                    copies -= 1;
                }
            }
        }
        let mut times = std::mem::take(&mut self.part.cast_times);
        times.clear();
        let extra = self.faults.extra_delay;
        times.extend(
            (0..self.net.groups()).map(|g| now + self.net.delay_to_group(v, g, bytes) + extra),
        );
        let src = node_source(v);
        let bytes32 = u32::try_from(bytes).expect("a message under 4 GiB");
        let slot = self.part.casts.open(v, n, msg, bytes32, &times, &lost);
        let seq0 = self.part.sched.reserve(src, copies);
        self.part.casts.set_seq0(slot, seq0);
        if times.iter().any(|&t| t >= self.end) {
            // Copies due at or after the end are never delivered (scheduled all the same).
            let mut start = 0;
            while let Some((to, at, _)) = self.part.casts.next(slot, start) {
                if at >= self.end {
                    self.part.traffic.ended(kind, to, bytes, Fate::InFlight);
                }
                start = to + 1;
            }
            self.part.casts.rewind(slot);
        }
        if self.cut {
            self.split_cast(slot, (v, n), msg, bytes32, seq0, &times, &lost);
        }
        match self.part.casts.next(slot, self.part.lo) {
            Some((to, at, seq)) => {
                self.part
                    .sched
                    .schedule_numbered(at, src, seq, Ev::Cast { slot, to })
            }
            None => self.part.casts.close(slot),
        }
        self.part.cast_times = times;
        self.part.cast_lost = lost;
    }

    /// A broadcast's copy for `to` is due: queues its next copy, and hands this one over as
    /// the message it stands for.
    pub(super) fn cast_due(&mut self, slot: u32, to: u32) -> Ev<P::Msg, P::Timer> {
        let c = self.part.casts.get(slot);
        let (from, msg, bytes) = (c.from, c.msg, c.bytes);
        match self.part.casts.next(slot, to + 1) {
            Some((next, at, seq)) => {
                let ev = Ev::Cast { slot, to: next };
                self.part
                    .sched
                    .schedule_numbered(at, node_source(from), seq, ev);
            }
            None => self.part.casts.close(slot),
        }
        Ev::Msg {
            to,
            from,
            msg,
            bytes,
        }
    }

    /// Schedules the delivery of `msg` from `v` to `to` at `at`, unless an earlier copy with
    /// the same key is already on its way there.
    fn deliver(&mut self, v: u32, to: u32, msg: P::Msg, bytes: u64, arrival: Arrival) {
        let kind = self.protocol.kind(&msg);
        if self.part.copies.active() && self.protocol.futile(to, &msg) {
            self.part.copies.dropped += 1;
            self.left_out(kind, to, bytes, arrival);
            return;
        }
        let key = self.protocol.copy_key(&msg);
        self.deliver_kept(v, to, (msg, kind, key), bytes, arrival);
    }

    /// A copy delivered and ignored: never counted at its arrival, so now.
    fn left_out(&mut self, kind: Kind, to: u32, bytes: u64, arrival: Arrival) {
        let fate = if arrival.before(self.end, self.net) {
            Fate::Delivered
        } else {
            Fate::InFlight
        };
        self.part.traffic.ended(kind, to, bytes, fate);
    }

    /// [`Self::deliver`] of a copy that is not futile, with its kind and copy key.
    fn deliver_kept(
        &mut self,
        v: u32,
        to: u32,
        (msg, kind, key): (P::Msg, Kind, Option<u32>),
        bytes: u64,
        arrival: Arrival,
    ) {
        let src = node_source(v);
        if let Some(key) = key
            && self
                .part
                .copies
                .behind(to, key, arrival.earliest(self.net), src)
        {
            self.left_out(kind, to, bytes, arrival);
            return;
        }
        let at = arrival.at(self.net);
        if at >= self.end {
            // Never delivered: the loop stops before it. Scheduled all the same, so the event
            // count and every stream stay as they were.
            self.part.traffic.ended(kind, to, bytes, Fate::InFlight);
        }
        if let Some(key) = key
            && self.part.copies.redundant(to, key, at, src)
        {
            if at < self.end {
                self.part.traffic.ended(kind, to, bytes, Fate::Delivered);
            }
            return;
        }
        let bytes = u32::try_from(bytes).expect("a message under 4 GiB");
        let ev = Ev::Msg {
            to,
            from: v,
            msg,
            bytes,
        };
        if self.part.holds(to) {
            self.part.sched.schedule(at, src, ev);
        } else {
            self.send_out(to, at, src, ev);
        }
    }

    /// A fair-shared upload link's completion event: the transfers that ended travel on to
    /// their receivers (latency drawn now).
    pub(super) fn link_due(&mut self, v: u32, generation: u32) {
        let Some(up) = &mut self.uplinks else { return };
        let now = self.part.sched.now();
        let bps = self.net.upload_bps(v);
        let next = up.complete(v, now, generation, bps, &mut self.part.finished);
        if let Some((due, generation)) = next {
            let ev = Ev::Link {
                node: v,
                generation,
            };
            self.part.sched.schedule(due, node_source(v), ev);
        }
        let mut finished = std::mem::take(&mut self.part.finished);
        let own = self.own(v);
        for (to, msg, bytes) in finished.drain(..) {
            let latency = self.net.latency(v, to, next_index(self.jitter_index, own));
            let at = now + latency + self.net.processing(to) + self.faults.extra_delay;
            self.deliver(v, to, msg, bytes, Arrival::At(at));
        }
        self.part.finished = finished;
    }

    /// The commands that send `cmds[0]`'s message, of the same size, to one validator after
    /// another (1 when `cmds[0]` is not a send or the next one differs).
    pub(super) fn run_len(cmds: &[Command<P::Msg, P::Timer>]) -> usize {
        let Some(Command::Send { msg, bytes, .. }) = cmds.first() else {
            return 1;
        };
        let same = |c: &Command<_, _>| matches!(c, Command::Send { msg: m, bytes: b, .. } if m == msg && b == bytes);
        1 + cmds[1..].iter().take_while(|c| same(c)).count()
    }

    /// Sends `msg` of `bytes` from `v` to the receiver of each of `cmds` (sends of it, see
    /// [`Self::run_len`]), with the outcome of one [`Self::send`] to each in turn.
    pub(super) fn send_run(
        &mut self,
        v: u32,
        msg: P::Msg,
        bytes: u64,
        cmds: &[Command<P::Msg, P::Timer>],
    ) {
        let to = |c: &Command<_, _>| match *c {
            Command::Send { to, .. } => to,
            _ => unreachable!("a run holds sends only"),
        };
        // Queued uploads and losses are drawn per copy; a single send has nothing to share.
        let shared = cmds.len() > 1
            && !(self.uplinks.is_some() && self.protocol.bulk(&msg))
            && !self.faults.may_lose(self.part.sched.now());
        if !shared {
            for c in cmds {
                self.send(v, to(c), msg, bytes);
            }
            return;
        }
        let kind = self.protocol.kind(&msg);
        let key = self.protocol.copy_key(&msg);
        self.part
            .traffic
            .sent_many(kind, v, bytes, cmds.len() as u64);
        let active = self.part.copies.active();
        // The sender numbers its messages in the order of the run.
        let own = self.own(v);
        let first_index = self.jitter_index[own];
        self.jitter_index[own] += cmds.len() as u64;
        // Futile copies arriving before the end are only counted: by the slowest transfer and
        // processing and the latency's bounds, without their own transfer time, and the kind's
        // delivered count once for the run. What the bounds settle depends on the receiver's
        // region only, so it is worked out once per region.
        let mut settle = std::mem::take(&mut self.part.settle);
        settle.clear();
        if let Some(t) = self.part.transfers.slowest(self.net, v, bytes) {
            let rest_max = self.part.sched.now() + t + self.faults.extra_delay;
            settle.extend(self.net.bounds_from(v).iter().map(|b| {
                if rest_max.saturating_add(b.high) < self.end {
                    Settle::Before
                } else if rest_max.saturating_add(b.typical) < self.end {
                    Settle::BeforeFrom(b.cut)
                } else {
                    Settle::Unknown
                }
            }));
        }
        let (mut futile_copies, mut counted) = (0, 0);
        let mut index = first_index;
        for stretch in cmds.chunks(STRETCH) {
            let mut tos = [0; STRETCH];
            for (t, c) in tos.iter_mut().zip(stretch) {
                *t = to(c);
            }
            let tos = &tos[..stretch.len()];
            let mut futile = [false; STRETCH];
            if active {
                self.protocol
                    .futile_many(&msg, tos, &mut futile[..tos.len()]);
            }
            for (&f, &to) in futile.iter().zip(tos) {
                let i = index;
                index += 1;
                if !f {
                    let arrival = self.drawn_at(v, to, bytes, i);
                    self.deliver_kept(v, to, (msg, kind, key), bytes, arrival);
                    continue;
                }
                futile_copies += 1;
                let before = match settle.get(usize::from(self.net.region[to as usize])) {
                    Some(Settle::Before) => true,
                    Some(&Settle::BeforeFrom(cut)) => self.net.jitter_unit(v, i) >= cut,
                    _ => false,
                };
                if before {
                    self.part.traffic.received(to, bytes);
                    counted += 1;
                } else {
                    let arrival = self.drawn_at(v, to, bytes, i);
                    self.left_out(kind, to, bytes, arrival);
                }
            }
        }
        self.part.settle = settle;
        self.part.copies.dropped += futile_copies;
        self.part.traffic.delivered_many(kind, bytes, counted);
    }
}
