//! The batches primaries proposed, kept while a replica can still need them.
//!
//! A batch is proposed at one sequence number and keeps it: a new view re-proposes it there,
//! a transfer carries it there, an equivocating primary's second batch takes the same one.
//! Once every replica that can still run has executed that sequence number, the batch can
//! only be named by stale messages, and if all its requests are executed everywhere, they
//! change nothing at any replica (each of its requests is executed in every replica's
//! state), so the batch goes. A batch whose requests are not all executed (ordered in a view
//! that failed and not yet ordered again) is kept: a new view may still name it.
//!
//! Since every message, slot and decision naming a batch also names its sequence number, a
//! batch's id needs only to tell it apart from the others at that number: its proposer, and
//! whether it is an equivocating proposer's second batch there ([`local_id`]). A proposer
//! proposes at most once at each number (its next number only grows), so no counter is
//! shared between replicas (`sim/README.md`, validators in parallel). The number a batch has
//! in the `blocks` rows is another matter, read only there: batches are numbered in the order
//! they were proposed, the null batch 0, by the replay of the proposals in key order
//! (`logs.rs`), not by the proposer's handler.

use super::requests::ReqId;
use crate::engine::Time;
use std::collections::{BTreeMap, BTreeSet};

/// The id of the null batch a new view fills gaps with, at any sequence number.
pub const NULL_BATCH: u32 = 0;

/// The id of the batch `proposer` proposes at a sequence number: its first there, or (an
/// equivocating primary) its `second`.
pub fn local_id(proposer: u32, second: bool) -> u32 {
    1 + 2 * proposer + u32::from(second)
}

pub struct Rec {
    pub seq: u64,
    pub requests: Vec<ReqId>,
    /// Bytes of its requests and their transactions.
    pub bytes: u64,
    pub txs: u32,
    pub proposer: u32,
    pub proposed_at: Time,
    /// Its number in the `blocks` rows; 0 until the replay of its proposal numbers it.
    pub number: u32,
}

pub struct Batches {
    /// By `(sequence number, id)`.
    recs: BTreeMap<(u64, u32), Rec>,
    null: Rec,
    /// Batches proposed so far: the next one's number is one more.
    proposed: u32,
    /// Batches not yet past every replica, by sequence number.
    by_seq: BTreeSet<(u64, u32)>,
}

impl Batches {
    /// The store with the null batch, number 0 (never released).
    pub fn new() -> Self {
        let null = Rec {
            seq: 0,
            requests: Vec::new(),
            bytes: 0,
            txs: 0,
            proposer: 0,
            proposed_at: 0,
            number: 0,
        };
        Batches {
            recs: BTreeMap::new(),
            null,
            proposed: 0,
            by_seq: BTreeSet::new(),
        }
    }

    /// Keeps `rec`, proposed now, as batch `id` at its sequence number; the replay numbers
    /// it ([`Batches::number`]).
    pub fn push(&mut self, id: u32, rec: Rec) {
        let key = (rec.seq, id);
        self.by_seq.insert(key);
        let was = self.recs.insert(key, rec);
        assert!(was.is_none(), "batch {id} proposed twice at {}", key.0);
    }

    /// Gives batch `id` at `seq` the next number, the proposals being replayed in key order;
    /// returns it. The batch may be gone already (executed everywhere within the event or
    /// window that proposed it): the number is still taken, so the next batches' stay.
    pub fn number(&mut self, seq: u64, id: u32) -> u32 {
        self.proposed += 1;
        if let Some(rec) = self.recs.get_mut(&(seq, id)) {
            rec.number = self.proposed;
        }
        self.proposed
    }

    /// A batch still kept; callers only name batches at sequence numbers some live replica
    /// has not executed.
    pub fn get(&self, seq: u64, id: u32) -> &Rec {
        if id == NULL_BATCH {
            return &self.null;
        }
        &self.recs[&(seq, id)]
    }

    /// The requests of batch `id` at `seq`; none once released (all of them executed
    /// everywhere).
    pub fn requests(&self, seq: u64, id: u32) -> &[ReqId] {
        self.recs.get(&(seq, id)).map_or(&[], |r| &r.requests)
    }

    /// Every live replica executed through `everywhere`: releases the batches there whose
    /// requests `executed` says are all executed.
    pub fn release(&mut self, everywhere: u64, executed: impl Fn(ReqId) -> bool) {
        while let Some(&key) = self.by_seq.first() {
            if key.0 > everywhere {
                break;
            }
            self.by_seq.pop_first();
            if self.recs[&key].requests.iter().all(|&r| executed(r)) {
                self.recs.remove(&key);
            }
        }
    }

    /// Batches kept, the null batch included.
    pub fn len(&self) -> usize {
        self.recs.len() + 1
    }
}
