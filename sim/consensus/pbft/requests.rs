//! Client requests as replicas see them: the transactions one upload brought to a validator,
//! forwarded as one request. Shared content (every replica can name a request by id); what
//! each replica knows or executed lives in its own state.
//!
//! A request is kept while it can still matter and released once it cannot (see
//! [`Requests::release`]), so memory follows the unsettled work, not the length of the run.
//! Ids stay unique over the run and keep their order.
//!
//! A request's id is the key its origin's handler ran under when it made the request
//! (`Ctx::key`), so no counter is shared between validators: keys grow from one handler to
//! the next, and a handler makes at most one request, so ids order as a counter in creation
//! order would (`sim/README.md`, validators in parallel). `(time, origin, origin's count)`
//! would not: uploads reach different validators at the same nanosecond, and then creation
//! follows the uploads' sources, not the origins.

use crate::consensus::{Ctx, TxIn};
use crate::engine::{EventKey, Time};
use crate::ledger::{TxKind, TxTag};
use std::collections::{BTreeSet, VecDeque};

/// Request header on the wire (client id, timestamp, signature).
pub const REQUEST_HEADER: u64 = 100;

/// A request's id: `(time, source, sequence)` of the key it was made under, as four 32-bit
/// words in that order (the array's order is the key's), 4-aligned so that a message
/// carrying one stays 24 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId([u32; 4]);

impl ReqId {
    pub fn of(key: EventKey) -> Self {
        let t = key.time();
        ReqId([(t >> 32) as u32, t as u32, key.source(), key.seq()])
    }
}

impl std::fmt::Display for ReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [hi, lo, source, seq] = self.0;
        let time = (u64::from(hi) << 32) | u64::from(lo);
        write!(f, "({time} ns, {source}, {seq})")
    }
}

pub struct Request {
    pub id: ReqId,
    pub origin: u32,
    pub bytes: u64,
    /// When it reached its origin.
    pub reached: Time,
    /// Sequence number at which it was first executed (0: not yet). Every correct replica
    /// executes the same sequence, so the first execution is at the same number everywhere.
    pub first_seq: u64,
    /// Its transactions: `Requests::txs` from this index on.
    first_tx: u64,
    tx_count: u32,
    released: bool,
}

/// Requests in id order from `base` on, their transactions in the same order from `tx_base`
/// on. Released requests leave from the front. One executed everywhere that never settles
/// (its origin down for good before executing it) is released too, its unsettled
/// transactions kept as two counts: otherwise it would hold back every request after it, and
/// memory would grow with the run as if nothing were released.
#[derive(Default)]
pub struct Requests {
    list: VecDeque<Request>,
    /// Requests added before the front of `list`.
    base: u32,
    txs: VecDeque<Tx>,
    tx_base: u64,
    /// Requests added, by origin.
    by_origin: Vec<u64>,
    /// Whether the family releases requests (see [`Requests::releasing`]).
    releasing: bool,
    /// Executed somewhere and not yet released: `(first_seq, id)`; kept only when releasing.
    executed: BTreeSet<(u64, ReqId)>,
    /// Most requests held at once.
    peak: usize,
    settled: u64,
    /// Transactions invalidated at validation (see [`Requests::invalidate`]) and dropped.
    invalid_dropped: u64,
    /// `(waiting, proposed)` transactions of released requests that will never settle.
    stranded: (u64, u64),
}

#[derive(Clone, Copy)]
struct Tx {
    tag: TxTag,
    created: Time,
    included: bool,
    /// Settled, dropped as invalid, or counted in `Requests::stranded`: resolved any way.
    settled: bool,
    hot: bool,
    invalid: bool,
}

impl Requests {
    /// Requests of a family that calls [`Requests::release`]; others keep every request and
    /// spend nothing on tracking what could go.
    pub fn releasing() -> Self {
        Requests {
            releasing: true,
            ..Requests::default()
        }
    }

    /// Registers the transactions that reached `origin` together; returns the request id.
    pub fn add<M, T>(&mut self, origin: u32, txs: &[TxIn], ctx: &mut Ctx<M, T>) -> ReqId {
        let id = ReqId::of(ctx.key);
        assert!(
            self.list.back().is_none_or(|q| q.id < id),
            "request {id} made out of key order"
        );
        let first_tx = self.tx_base + self.txs.len() as u64;
        let mut bytes = REQUEST_HEADER;
        for tx in txs {
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            bytes += u64::from(tx.bytes);
            self.txs.push_back(Tx {
                tag: tx.tag(),
                created: tx.created,
                included: false,
                settled: false,
                hot: tx.hot,
                invalid: false,
            });
        }
        let o = origin as usize;
        if self.by_origin.len() <= o {
            self.by_origin.resize(o + 1, 0);
        }
        self.by_origin[o] += 1;
        self.list.push_back(Request {
            id,
            origin,
            bytes,
            reached: ctx.now,
            first_seq: 0,
            first_tx,
            tx_count: txs.len() as u32,
            released: false,
        });
        self.peak = self.peak.max(self.list.len());
        id
    }

    /// Requests added so far (released ones included).
    pub fn count(&self) -> u32 {
        self.base + self.list.len() as u32
    }

    /// Requests added at `origin` so far.
    pub fn added_by(&self, origin: u32) -> u64 {
        self.by_origin.get(origin as usize).copied().unwrap_or(0)
    }

    /// The requests not yet released, by id. A released request is settled.
    pub fn live(&self) -> impl Iterator<Item = (ReqId, &Request)> {
        self.list.iter().filter(|q| !q.released).map(|q| (q.id, q))
    }

    /// Requests held now (released ones behind an unreleased one included), and the most
    /// held at once over the run.
    pub fn live_len(&self) -> usize {
        self.list.len()
    }

    pub fn peak_live(&self) -> usize {
        self.peak
    }

    /// Where `r` sits in `list` (kept in id order), if still there.
    fn index(&self, r: ReqId) -> Option<usize> {
        self.list.binary_search_by(|q| q.id.cmp(&r)).ok()
    }

    fn slot(&self, r: ReqId) -> Option<&Request> {
        let q = &self.list[self.index(r)?];
        (!q.released).then_some(q)
    }

    fn slot_mut(&mut self, r: ReqId) -> Option<&mut Request> {
        let i = self.index(r)?;
        let q = &mut self.list[i];
        (!q.released).then_some(q)
    }

    /// The transactions of a request still kept.
    fn txs_of(&self, q: &Request) -> std::collections::vec_deque::Iter<'_, Tx> {
        let from = (q.first_tx - self.tx_base) as usize;
        self.txs.range(from..from + q.tx_count as usize)
    }

    /// Whether every transaction of `r` is settled (a released request is).
    pub fn is_settled(&self, r: ReqId) -> bool {
        self.slot(r)
            .is_none_or(|q| self.txs_of(q).all(|t| t.settled))
    }

    /// Whether `r` is still kept.
    pub fn kept(&self, r: ReqId) -> bool {
        self.slot(r).is_some()
    }

    /// A request still kept; callers only name requests that can still matter.
    pub fn get(&self, r: ReqId) -> &Request {
        self.slot(r)
            .unwrap_or_else(|| panic!("request {r} used after its release"))
    }

    /// Bytes of the requests of a batch, as a proposal carries them.
    pub fn bytes_of(&self, batch: &[ReqId]) -> u64 {
        batch.iter().map(|&r| self.get(r).bytes).sum()
    }

    /// How many of `r`'s transactions are of each kind, added to `into`.
    pub fn count_kinds(&self, r: ReqId, into: &mut [u32; TxKind::COUNT]) {
        let range = self.tx_range(r).expect("asked while kept");
        for t in self.txs.range(range) {
            into[t.tag.kind.index()] += 1;
        }
    }

    pub fn tx_count(&self, r: ReqId) -> u32 {
        self.get(r).tx_count
    }

    /// Positions in `txs` of the transactions of kept request `r`.
    fn tx_range(&self, r: ReqId) -> Option<std::ops::Range<usize>> {
        let q = self.slot(r)?;
        let from = (q.first_tx - self.tx_base) as usize;
        Some(from..from + q.tx_count as usize)
    }

    /// Marks the request proposed; records inclusion of transactions proposed for the first
    /// time. A released request was proposed before: nothing to record.
    pub fn on_proposed<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>) {
        let Some(range) = self.tx_range(r) else {
            return;
        };
        for t in self.txs.range_mut(range) {
            if !t.included {
                t.included = true;
                ctx.metrics.on_included(t.created, ctx.now);
            }
        }
    }

    /// Whether replica state executed through `exec_upto` has executed `r`. Released
    /// requests were executed by every replica, so by any state a replica holds.
    pub fn executed(&self, r: ReqId, exec_upto: u64) -> bool {
        self.slot(r).is_none_or(|q| {
            let s = q.first_seq;
            s != 0 && s <= exec_upto
        })
    }

    /// Whether some replica has executed `r`.
    pub fn executed_anywhere(&self, r: ReqId) -> bool {
        self.slot(r).is_none_or(|q| q.first_seq != 0)
    }

    /// Executes `r` at sequence `seq`; true when this is its first execution (a request may be
    /// ordered twice around a view change; the second copy is a no-op). A released request
    /// was executed everywhere below `seq`.
    pub fn execute(&mut self, r: ReqId, seq: u64) -> bool {
        let Some(q) = self.slot_mut(r) else {
            return false;
        };
        let first = q.first_seq == 0;
        if first {
            q.first_seq = seq;
        }
        let at = q.first_seq;
        if first && self.releasing {
            self.executed.insert((seq, r));
        }
        at == seq
    }

    /// Settles the request's transactions (once each): the origin has executed it. Those
    /// invalidated at validation are dropped instead. Returns how many settled.
    pub fn settle<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>) -> u64 {
        self.settle_as(r, ctx, false)
    }

    /// As `settle`, for a family whose replicas executed the request's transactions
    /// themselves before (`Ctx::execute_part`): they settle now.
    pub fn settle_executed<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>) -> u64 {
        self.settle_as(r, ctx, true)
    }

    fn settle_as<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>, executed: bool) -> u64 {
        let mut n = 0;
        let range = self.tx_range(r).expect("settled once, while kept");
        let batch = range.len() as u32;
        for t in self.txs.range_mut(range) {
            if !t.settled {
                t.settled = true;
                if t.invalid {
                    ctx.metrics.on_dropped_tx(t.tag, ctx.now);
                    self.invalid_dropped += 1;
                } else {
                    if executed {
                        ctx.settle_executed(t.tag, t.created, batch);
                    } else {
                        ctx.settle(t.tag, t.created, batch);
                    }
                    n += 1;
                }
            }
        }
        self.settled += n;
        n
    }

    /// Releases the requests first executed at or below `everywhere`, the sequence
    /// number every replica has executed. Nothing can then ask about them but the questions
    /// the methods above answer for released ones: whether executed (yes, at every replica's
    /// state, since executed points only grow), executed for the first time at a later
    /// sequence (no), settled (yes). Their bytes are not asked: messages that may name one
    /// after its release carry the size themselves, and batches keep their totals. A
    /// request executed everywhere but unsettled (its origin down for good before executing
    /// it, or, in Byzantine runs, executing another batch at that sequence) is pending for
    /// good: it settles only when its origin executes it at its first sequence, and executed
    /// points only grow. It is released all the same, its unsettled transactions counted
    /// where [`Requests::pending`] finds them, included or not as they stand: executed
    /// everywhere, it is in no replica's waiting set, so nothing proposes it again.
    pub fn release(&mut self, everywhere: u64) {
        while let Some(&(s, r)) = self.executed.first()
            && s <= everywhere
        {
            self.executed.pop_first();
            let Some(range) = self.tx_range(r) else {
                continue;
            };
            for t in self.txs.range_mut(range).filter(|t| !t.settled) {
                t.settled = true;
                if t.included {
                    self.stranded.1 += 1;
                } else {
                    self.stranded.0 += 1;
                }
            }
            let i = self.index(r).expect("kept until released");
            self.list[i].released = true;
        }
        while self.list.front().is_some_and(|q| q.released) {
            let q = self.list.pop_front().expect("present");
            self.base += 1;
            self.txs.drain(..q.tx_count as usize);
            self.tx_base += u64::from(q.tx_count);
        }
    }

    /// The transactions of `r` that touch the shared key (`TxIn::hot`), by position in `r`.
    pub fn hot(&self, r: ReqId) -> impl Iterator<Item = usize> + use<'_> {
        self.txs_of(self.get(r))
            .enumerate()
            .filter(|(_, t)| t.hot)
            .map(|(i, _)| i)
    }

    /// Marks transaction `i` of `r` invalid: it is dropped where it would have settled.
    pub fn invalidate(&mut self, r: ReqId, i: usize) {
        let range = self.tx_range(r).expect("kept until settled");
        self.txs[range.start + i].invalid = true;
    }

    /// Transactions dropped because validation invalidated them.
    pub fn invalid_dropped(&self) -> u64 {
        self.invalid_dropped
    }

    /// `(waiting, proposed but not settled)` transaction counts (released ones are settled).
    pub fn pending(&self) -> (u64, u64) {
        let (mut waiting, mut proposed) = self.stranded;
        for t in &self.txs {
            if !t.settled {
                if t.included {
                    proposed += 1
                } else {
                    waiting += 1
                }
            }
        }
        (waiting, proposed)
    }

    pub fn unincluded(&self) -> u64 {
        self.pending().0
    }
}

/// How far each replica has executed (`u64::MAX` once it never will again). What every one of
/// them has executed can no longer be asked about, which is when requests are released. The
/// lowest point and how many replicas sit at it are kept up to date, so a move costs O(1)
/// and the lowest point is looked for again only when its last replica leaves it.
pub struct Executed {
    points: Vec<u64>,
    min: u64,
    at_min: usize,
}

impl Executed {
    pub fn new(replicas: u32) -> Self {
        Executed {
            points: vec![0; replicas as usize],
            min: 0,
            at_min: replicas as usize,
        }
    }

    /// Moves replica `v`'s point to `upto`; returns its previous point.
    fn set(&mut self, v: u32, upto: u64) -> Option<u64> {
        let e = self.points.get_mut(v as usize)?;
        let was = std::mem::replace(e, upto);
        if upto < self.min {
            (self.min, self.at_min) = (upto, 1);
            return Some(was);
        }
        if was == self.min {
            self.at_min -= 1;
        }
        if upto == self.min {
            self.at_min += 1;
        }
        if self.at_min == 0 {
            self.min = self.points.iter().copied().min().unwrap_or(0);
            self.at_min = self.points.iter().filter(|&&p| p == self.min).count();
        }
        Some(was)
    }

    /// The point every replica has executed through.
    pub fn min(&self) -> u64 {
        self.min
    }

    /// Replica `v` has executed through `upto`. Returns the point every replica has now
    /// executed through when this may have moved it (only the slowest replica moving can).
    pub fn advance(&mut self, v: u32, upto: u64) -> Option<u64> {
        let was = self.set(v, upto)?;
        (self.min >= was).then_some(self.min)
    }

    /// Replica `v` has executed through `upto`. Returns the point every replica has now
    /// executed through when this raised it: once per rise, however many replicas sat at
    /// the old point (what a family needs whose release costs O(n) each time).
    pub fn raise(&mut self, v: u32, upto: u64) -> Option<u64> {
        let before = self.min;
        self.set(v, upto)?;
        (self.min > before).then_some(self.min)
    }
}

#[cfg(test)]
mod tests {
    use super::Executed;

    #[test]
    fn the_lowest_point_rises_once_its_last_replica_leaves_it() {
        let mut e = Executed::new(3);
        assert_eq!(e.raise(0, 5), None);
        assert_eq!(e.raise(1, 3), None);
        assert_eq!(e.raise(2, 4), Some(3));
        assert_eq!(e.raise(1, 9), Some(4));
        assert_eq!(e.raise(2, u64::MAX), Some(5));
        // `advance` answers whenever the slowest replica moved, the lowest point risen or not.
        let mut e = Executed::new(2);
        assert_eq!(e.advance(0, 2), Some(0));
        assert_eq!(e.advance(1, 1), Some(1));
        assert_eq!(e.advance(0, 3), None);
        assert_eq!(e.advance(1, 3), Some(3));
    }
}
