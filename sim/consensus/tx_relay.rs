//! Client transactions relayed as messages (`network.tx_relay: announce`): what each validator
//! knows of each relayed batch, when it got it, and the announce → request → transfer hop
//! every family that relays this way shares (Nakamoto, proof of stake).
//!
//! The transactions of one upload reach their validator together, and travel on together: the
//! batch is announced to every peer that does not hold it yet (an inventory of hashes), a peer
//! that lacks it and has not asked for it yet asks the first announcer, which sends the
//! transactions through its upload link, shared with its block transfers (`network.upload`).
//! Relaying per batch rather than per transaction keeps the events to announcements × peers per
//! upload; bytes are counted per transaction, at the family's own entry sizes ([`Wire`]). A
//! request that goes unanswered (a lost message, a crashed peer) is sent to the next peer that
//! holds the batch after the family's timeout.
//!
//! Each batch keeps one arrival per validator, 4 bytes each: nanoseconds after the batch
//! entered at its origin, or a marker (not heard of, asked for, arrived later than 4.29 s:
//! such arrivals are kept exactly in a side table). A batch is released when the last of its
//! transactions leaves the pool; messages about a released batch are ignored.
//!
//! Privacy observers sit at some validators (`TxRelay::watch`): a batch's arrival at one of
//! them is logged with the peer it came from, and the batch's transactions are kept until
//! every watched validator has them (or the batch is released), so that the observers see
//! what this relay delivers, when and from whom, rather than the fastest path.

use super::{Ctx, TxIn};
use crate::engine::{NS_PER_S, Time};
use std::collections::{BTreeMap, VecDeque};

/// One inventory vector per transaction, in the announcement and in the request alike: a
/// 4-byte type and a 32-byte hash (Bitcoin P2P protocol, "Inventory Vectors").
pub const HASH_BYTES: u64 = 36;
/// How long a node waits for requested transactions before asking another peer that has
/// them: Bitcoin Core's `GETDATA_TX_INTERVAL` (net_processing.cpp, 60 s).
pub const STALL: Time = 60 * NS_PER_S;

/// Bitcoin's transaction relay: `inv` and `getdata` of 36-byte inventory vectors, another
/// peer asked after `STALL`.
pub const BITCOIN: Wire = Wire {
    announce_bytes: HASH_BYTES,
    request_bytes: HASH_BYTES,
    stall: STALL,
};

/// Ethereum's: devp2p eth/68 `NewPooledTransactionHashes` (type 1 B, size 4 B, hash 32 B per
/// entry) and `GetPooledTransactions` (32-byte hashes); go-ethereum's transaction fetcher
/// asks another peer after `txFetchTimeout` (eth/fetcher/tx_fetcher.go, 5 s). Its wait of
/// `txArriveTimeout` (500 ms) for a direct push before requesting, and the direct push of
/// whole transactions to the square root of the peers, are left out.
pub const ETHEREUM: Wire = Wire {
    announce_bytes: 37,
    request_bytes: 32,
    stall: 5 * NS_PER_S,
};

/// A family's entry sizes and request timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire {
    /// Bytes per transaction in an announcement.
    pub announce_bytes: u64,
    /// Bytes per transaction in a request.
    pub request_bytes: u64,
    /// How long a request waits for its answer before another peer is asked.
    pub stall: Time,
}

/// One step of a hop, about one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The sender holds the batch (its hashes).
    Announce,
    /// The sender asks the receiver for the batch.
    Request,
    /// The batch itself.
    Send,
}

/// A family's message for each step of a hop about batch `b`.
pub trait RelayMsg {
    fn relay(step: Step, b: u32) -> Self;
}

/// A family's timer for a request about batch `b` sent to `asked` that went unanswered.
pub trait StallTimer {
    fn stalled(b: u32, asked: u32) -> Self;
}

const NOT_HEARD: u32 = u32::MAX;
const ASKED: u32 = u32::MAX - 1;
/// Arrived more than `LATE` − 1 ns after the batch entered: the time is in `TxRelay::late`.
const LATE: u32 = u32::MAX - 2;

struct Batch {
    origin: u32,
    entered: Time,
    bytes: u64,
    count: u32,
    /// Transactions of the batch still in the pool.
    live: u32,
    at: Box<[u32]>,
}

/// Batch `batch`, which entered at `origin`, reached watched validator `node` from peer
/// `from` at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub batch: u32,
    pub origin: u32,
    pub node: u32,
    pub from: u32,
    pub at: Time,
}

/// What the watched validators are to be told.
struct Watch {
    watched: Vec<bool>,
    count: u32,
    /// Arrivals at watched validators not yet handed on ([`TxRelay::drain_seen`]).
    log: Vec<Seen>,
    /// Each batch that some watched validator still lacks: how many lack it, and its
    /// transactions.
    held: BTreeMap<u32, (u32, Vec<TxIn>)>,
}

pub struct TxRelay {
    nodes: u32,
    wire: Wire,
    /// Whether requests arm a stall timer: only when messages can be lost or meet a crashed
    /// validator (a timer per request costs events for nothing otherwise).
    stall_timers: bool,
    /// Batches from id `first` on; `None` once released.
    batches: VecDeque<Option<Batch>>,
    first: u32,
    /// The batch of each pool slot's transaction.
    of_slot: Vec<u32>,
    late: BTreeMap<(u32, u32), Time>,
    /// `None` without observers at validators.
    watch: Option<Watch>,
}

impl TxRelay {
    pub fn new(nodes: u32, wire: Wire, stall_timers: bool) -> Self {
        TxRelay {
            nodes,
            wire,
            stall_timers,
            batches: VecDeque::new(),
            first: 0,
            of_slot: Vec::new(),
            late: BTreeMap::new(),
            watch: None,
        }
    }

    /// Observers sit at `nodes`: their arrivals are logged from now on.
    pub fn watch(&mut self, nodes: &[u32]) {
        let mut watched = vec![false; self.nodes as usize];
        for &v in nodes {
            watched[v as usize] = true;
        }
        let count = watched.iter().filter(|&&w| w).count() as u32;
        self.watch = (count > 0).then(|| Watch {
            watched,
            count,
            log: Vec::new(),
            held: BTreeMap::new(),
        });
    }

    /// Hands each arrival at a watched validator since the last call to `f`, with the batch's
    /// transactions and whether another validator had the batch before it (it arrived there
    /// earlier, or entered there); forgets a batch's transactions once every watched
    /// validator has it.
    pub fn drain_seen(&mut self, mut f: impl FnMut(&Seen, &[TxIn], &dyn Fn(u32) -> bool)) {
        if self.watch.as_ref().is_none_or(|w| w.log.is_empty()) {
            return;
        }
        let Some(mut w) = self.watch.take() else {
            return;
        };
        for s in w.log.drain(..) {
            let Some((lacking, txs)) = w.held.get_mut(&s.batch) else {
                continue;
            };
            f(&s, txs, &|v| {
                v != s.node && self.arrival(s.batch, v).is_some()
            });
            *lacking -= 1;
            if *lacking == 0 {
                w.held.remove(&s.batch);
            }
        }
        self.watch = Some(w);
    }
    /// A new batch of transactions that entered at `origin` now (held there from now on).
    pub fn open(&mut self, origin: u32, now: Time) -> u32 {
        let mut at = vec![NOT_HEARD; self.nodes as usize].into_boxed_slice();
        at[origin as usize] = 0;
        let id = self.first + self.batches.len() as u32;
        if let Some(w) = &mut self.watch {
            let lacking = w.count - u32::from(w.watched[origin as usize]);
            if lacking > 0 {
                w.held.insert(id, (lacking, Vec::new()));
            }
        }
        self.batches.push_back(Some(Batch {
            origin,
            entered: now,
            bytes: 0,
            count: 0,
            live: 0,
            at,
        }));
        id
    }

    /// The pool's transaction `tx`, in `slot`, belongs to batch `b`.
    pub fn add(&mut self, b: u32, slot: u32, tx: &TxIn) {
        let bytes = tx.bytes;
        if let Some((_, txs)) = self.watch.as_mut().and_then(|w| w.held.get_mut(&b)) {
            txs.push(*tx);
        }
        if self.of_slot.len() <= slot as usize {
            self.of_slot.resize(slot as usize + 1, u32::MAX);
        }
        self.of_slot[slot as usize] = b;
        let batch = self.get_mut(b).expect("an open batch");
        batch.bytes += u64::from(bytes);
        batch.count += 1;
        batch.live += 1;
    }

    fn get(&self, b: u32) -> Option<&Batch> {
        let i = b.checked_sub(self.first)?;
        self.batches.get(i as usize)?.as_ref()
    }

    fn get_mut(&mut self, b: u32) -> Option<&mut Batch> {
        let i = b.checked_sub(self.first)?;
        self.batches.get_mut(i as usize)?.as_mut()
    }

    /// Transactions and their bytes in batch `b`; `None` once released.
    pub fn size(&self, b: u32) -> Option<(u32, u64)> {
        self.get(b).map(|x| (x.count, x.bytes))
    }

    /// When `node` got batch `b`; `None` if it has not (yet), or the batch is released.
    pub fn arrival(&self, b: u32, node: u32) -> Option<Time> {
        let batch = self.get(b)?;
        match batch.at[node as usize] {
            NOT_HEARD | ASKED => None,
            LATE => self.late.get(&(b, node)).copied(),
            off => Some(batch.entered + Time::from(off)),
        }
    }

    /// `node` heard of batch `b`: whether it should ask for it (it neither holds it nor has
    /// asked already). It counts as asked from now on.
    fn heard(&mut self, b: u32, node: u32) -> bool {
        match self.get_mut(b) {
            Some(batch) if batch.at[node as usize] == NOT_HEARD => {
                batch.at[node as usize] = ASKED;
                true
            }
            _ => false,
        }
    }

    /// Whether `node` asked for batch `b` and has not got it.
    fn asked(&self, b: u32, node: u32) -> bool {
        self.get(b).is_some_and(|x| x.at[node as usize] == ASKED)
    }

    /// `node`'s request for `b` found nobody to answer it: it asks again when next announced.
    fn forget_ask(&mut self, b: u32, node: u32) {
        if let Some(batch) = self.get_mut(b)
            && batch.at[node as usize] == ASKED
        {
            batch.at[node as usize] = NOT_HEARD;
        }
    }

    /// `node` restarted after a crash: its requests in flight are lost with their stall timers
    /// (which fell due while it was down), so each batch it had asked for and not got counts
    /// as not heard of, and the next announcement of it makes the node ask again. Without
    /// this it would stay "asked" and ignore every later announcement of those batches.
    pub fn restarted(&mut self, node: u32) {
        for batch in self.batches.iter_mut().flatten() {
            if batch.at[node as usize] == ASKED {
                batch.at[node as usize] = NOT_HEARD;
            }
        }
    }

    /// Batch `b` reached `node` from `from` now: whether that is news (the node relays it
    /// on).
    fn arrived(&mut self, b: u32, node: u32, from: u32, now: Time) -> bool {
        let Some(batch) = self.get_mut(b) else {
            return false;
        };
        let origin = batch.origin;
        if !matches!(batch.at[node as usize], NOT_HEARD | ASKED) {
            return false;
        }
        let off = now - batch.entered;
        if off < Time::from(LATE) {
            batch.at[node as usize] = off as u32;
        } else {
            batch.at[node as usize] = LATE;
            self.late.insert((b, node), now);
        }
        if let Some(w) = &mut self.watch
            && w.watched[node as usize]
        {
            w.log.push(Seen {
                batch: b,
                origin,
                node,
                from,
                at: now,
            });
        }
        true
    }

    /// The transaction in pool `slot` left the pool.
    pub fn released(&mut self, slot: u32) {
        let b = self.of_slot[slot as usize];
        let batch = self.get_mut(b).expect("a pooled transaction's batch");
        batch.live -= 1;
        if batch.live > 0 {
            return;
        }
        let i = (b - self.first) as usize;
        self.batches[i] = None;
        let gone: Vec<(u32, u32)> = self
            .late
            .range((b, 0)..(b + 1, 0))
            .map(|(&k, _)| k)
            .collect();
        for k in gone {
            self.late.remove(&k);
        }
        if let Some(w) = &mut self.watch {
            w.held.remove(&b);
        }
        while let Some(None) = self.batches.front() {
            self.batches.pop_front();
            self.first += 1;
        }
    }

    /// The batch of the pool's transaction in `slot`.
    pub fn batch_of(&self, slot: u32) -> u32 {
        self.of_slot[slot as usize]
    }

    /// When the pool's transaction in `slot` reached `node`; `None` if it has not.
    pub fn tx_arrival(&self, slot: u32, node: u32) -> Option<Time> {
        self.arrival(self.batch_of(slot), node)
    }

    /// The validator batch `b` entered at.
    pub fn origin(&self, b: u32) -> Option<u32> {
        self.get(b).map(|x| x.origin)
    }

    /// Announces batch `b`, just received from `from` (`None`: from the fleet), to every peer
    /// but `from` that does not hold it yet (one that does has announced it to this node, and
    /// nodes do not announce back what a peer announced: Bitcoin's known-inventory filter,
    /// go-ethereum's known-transactions set). A light node (`relay: false`) passes on only
    /// what entered at it, as it does blocks.
    pub fn announce<M: RelayMsg, T>(&self, b: u32, from: Option<u32>, ctx: &mut Ctx<M, T>) {
        if from.is_some() && !ctx.net.relays(ctx.node) {
            return;
        }
        let Some((count, _)) = self.size(b) else {
            return;
        };
        let bytes = self.wire.announce_bytes * u64::from(count);
        for &p in ctx.net.peers(ctx.node) {
            if Some(p) != from && self.arrival(b, p).is_none() {
                ctx.send(p, M::relay(Step::Announce, b), bytes);
            }
        }
    }

    /// What `ctx.node` does with `step` about batch `b` from `from`. Messages about a batch
    /// whose transactions have all settled are ignored.
    pub fn on_step<M: RelayMsg, T: StallTimer>(
        &mut self,
        step: Step,
        b: u32,
        from: u32,
        ctx: &mut Ctx<M, T>,
    ) {
        let node = ctx.node;
        match step {
            Step::Announce => {
                if self.heard(b, node) {
                    self.request(b, from, ctx);
                }
            }
            Step::Request => {
                if let Some((_, bytes)) = self.size(b) {
                    ctx.send(from, M::relay(Step::Send, b), bytes);
                }
            }
            Step::Send => {
                if self.arrived(b, node, from, ctx.now) {
                    self.announce(b, Some(from), ctx);
                }
            }
        }
    }

    fn request<M: RelayMsg, T: StallTimer>(&self, b: u32, from: u32, ctx: &mut Ctx<M, T>) {
        let Some((count, _)) = self.size(b) else {
            return;
        };
        let bytes = self.wire.request_bytes * u64::from(count);
        ctx.send(from, M::relay(Step::Request, b), bytes);
        if self.stall_timers {
            ctx.timer(self.wire.stall, T::stalled(b, from));
        }
    }

    /// A request for batch `b` sent to `asked` went unanswered: ask the next peer, in id order
    /// after it, that holds the batch; with none, wait for the next announcement.
    pub fn stalled<M: RelayMsg, T: StallTimer>(&mut self, b: u32, asked: u32, ctx: &mut Ctx<M, T>) {
        if !self.asked(b, ctx.node) {
            return;
        }
        let peers = ctx.net.peers(ctx.node);
        let start = peers.partition_point(|&p| p <= asked);
        let next = peers[start..]
            .iter()
            .chain(&peers[..start])
            .copied()
            .find(|&p| {
                self.arrival(b, p).is_some() && (ctx.net.relays(p) || self.origin(b) == Some(p))
            });
        match next {
            Some(p) => self.request(b, p, ctx),
            None => self.forget_ask(b, ctx.node),
        }
    }
}

#[cfg(test)]
#[path = "tx_relay_tests.rs"]
mod tests;
