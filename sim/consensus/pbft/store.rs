//! The requests of the validators of one partition (`Requests` holds one store per
//! partition, a request in the store of its origin's): each store is written only by its own
//! validators' handlers, and read by others only for what a message naming the request
//! already carried.

use super::requests::{REQUEST_HEADER, ReqId, Request};
use crate::consensus::{Ctx, TxIn};
use crate::engine::Time;
use crate::ledger::{TxKind, TxTag};
use crate::metrics::Metrics;
use std::collections::VecDeque;

/// Requests in id order from `base` on, their transactions in the same order from `tx_base`
/// on. Released requests leave from the front. One executed everywhere that never settles
/// (its origin down for good before executing it) is released too, its unsettled
/// transactions kept as two counts: otherwise it would hold back every request after it, and
/// memory would grow with the run as if nothing were released.
#[derive(Default)]
pub struct Store {
    list: VecDeque<Request>,
    /// Requests added before the front of `list`.
    base: u32,
    txs: VecDeque<Tx>,
    tx_base: u64,
    /// Requests added, by origin.
    by_origin: Vec<u64>,
    settled: u64,
    /// Transactions invalidated at validation (`Requests::invalidate`) and dropped.
    invalid_dropped: u64,
    /// `(waiting, proposed)` transactions of released requests that will never settle.
    stranded: (u64, u64),
}

#[derive(Clone, Copy)]
struct Tx {
    tag: TxTag,
    created: Time,
    included: bool,
    /// Settled, dropped as invalid, or counted in `Store::stranded`: resolved any way.
    settled: bool,
    hot: bool,
    invalid: bool,
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// Registers the transactions that reached `origin` together as request `id`.
    pub fn add<M, T>(&mut self, id: ReqId, origin: u32, txs: &[TxIn], ctx: &mut Ctx<M, T>) {
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
            first_tx,
            tx_count: txs.len() as u32,
            released: false,
        });
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

    /// Requests held now (released ones behind an unreleased one included).
    pub fn live_len(&self) -> usize {
        self.list.len()
    }

    /// Where `r` sits in `list` (kept in id order), if still there.
    pub fn index(&self, r: ReqId) -> Option<usize> {
        self.list.binary_search_by(|q| q.id.cmp(&r)).ok()
    }

    /// Where `r` sits in `list`, if still kept (not released).
    pub fn live_index(&self, r: ReqId) -> Option<usize> {
        self.index(r).filter(|&i| !self.list[i].released)
    }

    fn slot(&self, r: ReqId) -> Option<&Request> {
        let q = &self.list[self.index(r)?];
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

    /// How many of `r`'s transactions are of each kind, added to `into`.
    pub fn count_kinds(&self, r: ReqId, into: &mut [u32; TxKind::COUNT]) {
        let range = self.tx_range(r).expect("asked while kept");
        for t in self.txs.range(range) {
            into[t.tag.kind.index()] += 1;
        }
    }

    /// Positions in `txs` of the transactions of kept request `r`.
    fn tx_range(&self, r: ReqId) -> Option<std::ops::Range<usize>> {
        let q = self.slot(r)?;
        let from = (q.first_tx - self.tx_base) as usize;
        Some(from..from + q.tx_count as usize)
    }

    /// Marks the request proposed; records inclusion of transactions proposed for the first
    /// time. A released request was proposed before: nothing to record.
    pub fn on_proposed(&mut self, r: ReqId, at: Time, metrics: &mut Metrics) {
        let Some(range) = self.tx_range(r) else {
            return;
        };
        for t in self.txs.range_mut(range) {
            if !t.included {
                t.included = true;
                metrics.on_included(t.created, at);
            }
        }
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
                    // In their order with the settlements: straight to the metrics when
                    // those are, through the settlement log when those are.
                    if executed {
                        ctx.metrics.on_dropped_tx(t.tag, ctx.now);
                    } else {
                        ctx.drop_invalid(t.tag);
                    }
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

    /// Releases `r`, first executed at or below the sequence number every replica has
    /// executed (`Requests::release`; a request released already stays so). Nothing can
    /// then ask about it but the questions `Requests` answers for released ones: whether
    /// executed (yes, at every replica's state, since executed points only grow), executed
    /// for the first time at a later sequence (no), settled (yes). Its bytes are not asked:
    /// messages that may name it after its release carry the size themselves, and batches
    /// keep their totals. A request executed everywhere but unsettled (its origin down for
    /// good before executing it, or, in Byzantine runs, executing another batch at that
    /// sequence) is pending for good: it settles only when its origin executes it at its
    /// first sequence, and executed points only grow. It is released all the same, its
    /// unsettled transactions counted where `Requests::pending` finds them, included or not
    /// as they stand: executed everywhere, it is in no replica's waiting set, so nothing
    /// proposes it again.
    pub fn release(&mut self, r: ReqId) {
        let Some(range) = self.tx_range(r) else {
            return;
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

    /// Drops the released requests at the front; returns how many.
    pub fn pop_released(&mut self) -> usize {
        let mut n = 0;
        while self.list.front().is_some_and(|q| q.released) {
            let q = self.list.pop_front().expect("present");
            self.base += 1;
            self.txs.drain(..q.tx_count as usize);
            self.tx_base += u64::from(q.tx_count);
            n += 1;
        }
        n
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
}
