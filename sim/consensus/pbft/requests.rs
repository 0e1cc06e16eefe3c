//! Client requests as replicas see them: the transactions one upload brought to a validator,
//! forwarded as one request. Shared content (every replica can name a request by id); what
//! each replica knows or executed lives in its own state.

use crate::consensus::{Ctx, TxIn};
use crate::engine::Time;
use crate::ledger::TxTag;

/// Request header on the wire (client id, timestamp, signature).
pub const REQUEST_HEADER: u64 = 100;

pub struct Request {
    pub origin: u32,
    first_tx: u32,
    tx_count: u32,
    pub bytes: u64,
    /// When it reached its origin.
    pub reached: Time,
    /// Sequence number at which it was first executed (0: not yet). Every correct replica
    /// executes the same sequence, so the first execution is at the same number everywhere.
    pub first_seq: u64,
}

#[derive(Default)]
pub struct Requests {
    list: Vec<Request>,
    txs: Vec<Tx>,
    settled: u64,
    /// Transactions invalidated at validation (see [`Requests::invalidate`]) and dropped.
    invalid_dropped: u64,
}

#[derive(Clone, Copy)]
struct Tx {
    tag: TxTag,
    created: Time,
    included: bool,
    /// Settled, or dropped as invalid: resolved either way.
    settled: bool,
    hot: bool,
    invalid: bool,
}

impl Requests {
    /// Registers the transactions that reached `origin` together; returns the request id.
    pub fn add<M, T>(&mut self, origin: u32, txs: &[TxIn], ctx: &mut Ctx<M, T>) -> u32 {
        let first_tx = self.txs.len() as u32;
        let mut bytes = REQUEST_HEADER;
        for tx in txs {
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            bytes += u64::from(tx.bytes);
            self.txs.push(Tx {
                tag: tx.tag(),
                created: tx.created,
                included: false,
                settled: false,
                hot: tx.hot,
                invalid: false,
            });
        }
        self.list.push(Request {
            origin,
            first_tx,
            tx_count: txs.len() as u32,
            bytes,
            reached: ctx.now,
            first_seq: 0,
        });
        self.list.len() as u32 - 1
    }

    pub fn all(&self) -> &[Request] {
        &self.list
    }

    /// Whether every transaction of `r` is settled.
    pub fn is_settled(&self, r: u32) -> bool {
        self.tx_range(r).all(|i| self.txs[i].settled)
    }

    pub fn get(&self, r: u32) -> &Request {
        &self.list[r as usize]
    }

    /// Bytes of the requests of a batch, as a proposal carries them.
    pub fn bytes_of(&self, batch: &[u32]) -> u64 {
        batch.iter().map(|&r| self.get(r).bytes).sum()
    }

    pub fn tx_count(&self, r: u32) -> u32 {
        self.list[r as usize].tx_count
    }

    fn tx_range(&self, r: u32) -> std::ops::Range<usize> {
        let q = &self.list[r as usize];
        q.first_tx as usize..(q.first_tx + q.tx_count) as usize
    }

    /// Marks the request proposed; records inclusion of transactions proposed for the first time.
    pub fn on_proposed<M, T>(&mut self, r: u32, ctx: &mut Ctx<M, T>) {
        for i in self.tx_range(r) {
            let t = &mut self.txs[i];
            if !t.included {
                t.included = true;
                ctx.metrics.on_included(t.created, ctx.now);
            }
        }
    }

    /// Whether replica state executed through `exec_upto` has executed `r`.
    pub fn executed(&self, r: u32, exec_upto: u64) -> bool {
        let s = self.list[r as usize].first_seq;
        s != 0 && s <= exec_upto
    }

    /// Executes `r` at sequence `seq`; true when this is its first execution (a request may be
    /// ordered twice around a view change; the second copy is a no-op).
    pub fn execute(&mut self, r: u32, seq: u64) -> bool {
        let q = &mut self.list[r as usize];
        if q.first_seq == 0 {
            q.first_seq = seq;
        }
        q.first_seq == seq
    }

    /// Settles the request's transactions (once each): the origin has executed it. Those
    /// invalidated at validation are dropped instead. Returns how many settled.
    pub fn settle<M, T>(&mut self, r: u32, ctx: &mut Ctx<M, T>) -> u64 {
        let mut n = 0;
        let batch = self.list[r as usize].tx_count;
        for i in self.tx_range(r) {
            let t = &mut self.txs[i];
            if !t.settled {
                t.settled = true;
                if t.invalid {
                    ctx.metrics.on_dropped_tx(t.tag, ctx.now);
                    self.invalid_dropped += 1;
                } else {
                    ctx.settle(t.tag, t.created, batch);
                    n += 1;
                }
            }
        }
        self.settled += n;
        n
    }

    /// The transactions of `r` that touch the shared key (`TxIn::hot`), by index.
    pub fn hot(&self, r: u32) -> impl Iterator<Item = usize> + use<'_> {
        self.tx_range(r).filter(|&i| self.txs[i].hot)
    }

    /// Marks transaction `i` invalid: it is dropped where it would have settled.
    pub fn invalidate(&mut self, i: usize) {
        self.txs[i].invalid = true;
    }

    /// Transactions dropped because validation invalidated them.
    pub fn invalid_dropped(&self) -> u64 {
        self.invalid_dropped
    }

    /// `(waiting, proposed but not settled)` transaction counts.
    pub fn pending(&self) -> (u64, u64) {
        let (mut waiting, mut proposed) = (0, 0);
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
