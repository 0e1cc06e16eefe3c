//! The batches primaries proposed, kept while a replica can still need them.
//!
//! A batch is proposed at one sequence number and keeps it: a new view re-proposes it there,
//! a transfer carries it there, an equivocating primary's second batch takes the same one.
//! Once every replica that can still run has executed that sequence number, the batch can
//! only be named by stale messages, and if all its requests are executed everywhere, they
//! change nothing at any replica (each of its requests is executed in every replica's
//! state), so the batch goes. A batch whose requests are not all executed (ordered in a view
//! that failed and not yet ordered again) is kept: a new view may still name it.

use super::requests::ReqId;
use crate::engine::Time;
use std::collections::{BTreeMap, BTreeSet};

pub struct Rec {
    pub seq: u64,
    pub requests: Vec<ReqId>,
    /// Bytes of its requests and their transactions.
    pub bytes: u64,
    pub txs: u32,
    pub proposer: u32,
    pub proposed_at: Time,
}

pub struct Batches {
    recs: BTreeMap<u32, Rec>,
    next: u32,
    /// Batches not yet past every replica, by sequence number.
    by_seq: BTreeSet<(u64, u32)>,
}

impl Batches {
    /// The store with batch 0, the null batch a new view fills gaps with (never released).
    pub fn new() -> Self {
        let null = Rec {
            seq: 0,
            requests: Vec::new(),
            bytes: 0,
            txs: 0,
            proposer: 0,
            proposed_at: 0,
        };
        Batches {
            recs: BTreeMap::from([(0, null)]),
            next: 1,
            by_seq: BTreeSet::new(),
        }
    }

    pub fn push(&mut self, rec: Rec) -> u32 {
        let id = self.next;
        self.next += 1;
        self.by_seq.insert((rec.seq, id));
        self.recs.insert(id, rec);
        id
    }

    /// A batch still kept; callers only name batches at sequence numbers some live replica
    /// has not executed.
    pub fn get(&self, id: u32) -> &Rec {
        &self.recs[&id]
    }

    /// The requests of batch `id`; none once released (all of them executed everywhere).
    pub fn requests(&self, id: u32) -> &[ReqId] {
        self.recs.get(&id).map_or(&[], |r| &r.requests)
    }

    /// Every live replica executed through `everywhere`: releases the batches there whose
    /// requests `executed` says are all executed.
    pub fn release(&mut self, everywhere: u64, executed: impl Fn(ReqId) -> bool) {
        while let Some(&(seq, id)) = self.by_seq.first() {
            if seq > everywhere {
                break;
            }
            self.by_seq.pop_first();
            if self.recs[&id].requests.iter().all(|&r| executed(r)) {
                self.recs.remove(&id);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }
}
