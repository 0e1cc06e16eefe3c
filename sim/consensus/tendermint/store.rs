//! The blocks validators propose and the log of first executions, kept while a validator that
//! can still run may read them.
//!
//! Every validator not down for good has decided through some height `E` (the slowest one's).
//! A block is read by the validators at its height (proposals, votes and decisions are
//! handled only there) and by catch-up replies, which carry the decisions a validator holds
//! from a lagging peer's height on. A validator keeps its decisions above a floor `KEEP`
//! heights below `E`, and blocks stay while their height is above that floor, so a reply
//! finds every decision it sends. A message naming a height at or below the floor was sent
//! before every live validator had moved `KEEP` heights past it; its sender has decided those
//! heights, so decisions there would be ignored on arrival and are not sent. Messages carry
//! their height, so a stale one is recognised without its block.
//!
//! A validator down but due back counts in `E`: back, it catches up from the decisions its
//! peers hold from its height on, so they stay. The hold then grows with the heights decided
//! while it is down, and is let go once it has caught up, so it follows the downtime, not the
//! run's length (3,564 entries at most for 150 s down, 6,988 for 300 s, at 600 s and 2,400 s
//! alike: `tests/memory_flat_downtime.rs`).

use crate::consensus::pbft::requests::ReqId;
use crate::engine::Time;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Heights below the slowest live validator's for which decisions stay available to
/// catch-up replies. A lagging validator moves up to `CATCH_UP_MAX` heights on one reply, so
/// the messages it sent before the reply came are then that many heights stale:
/// `tendermint-validators.yaml` (a validator back from a ten-minute crash) changes output
/// with 60 kept and not with 64. Twice that lets a message outlive two replies.
pub const KEEP: u64 = 2 * super::CATCH_UP_MAX;

pub struct Block {
    pub height: u64,
    pub round: u64,
    pub proposer: u32,
    pub batch: Vec<ReqId>,
    pub proposed_at: Time,
    /// Bytes and transactions of its requests, which may be released before the block.
    pub bytes: u64,
    pub txs: u32,
}

/// Blocks by id, from `base` on; a released block's slot is empty until those before it go.
#[derive(Default)]
pub struct Blocks {
    slots: VecDeque<Option<Block>>,
    base: u32,
    /// Blocks kept, by height.
    by_height: BTreeSet<(u64, u32)>,
    keep_all: bool,
    /// Blocks of an equivocating proposer → the honest half each was sent to.
    halves: BTreeMap<u32, bool>,
    /// Conflicting pairs an equivocating proposer sent.
    equivocations: u64,
}

impl Blocks {
    /// Keeps every block, for checks that read past blocks after the run.
    pub fn keep_all(&mut self) {
        self.keep_all = true;
    }

    pub fn push(&mut self, block: Block) -> u32 {
        let id = self.base + self.slots.len() as u32;
        self.by_height.insert((block.height, id));
        self.slots.push_back(Some(block));
        id
    }

    /// A block still kept; callers name only blocks above the floor.
    pub fn get(&self, b: u32) -> &Block {
        b.checked_sub(self.base)
            .and_then(|i| self.slots.get(i as usize))
            .and_then(Option::as_ref)
            .unwrap_or_else(|| panic!("block {b} read after its release"))
    }

    /// Records `a` and `b` as an equivocating proposer's pair: `a` for the first honest half.
    pub fn split(&mut self, a: u32, b: u32) {
        self.halves.insert(a, true);
        self.halves.insert(b, false);
        self.equivocations += 1;
    }

    /// The honest half an equivocating proposer sent `b` to, if it is one of a pair.
    pub fn half(&self, b: u32) -> Option<bool> {
        self.halves.get(&b).copied()
    }

    pub fn equivocations(&self) -> u64 {
        self.equivocations
    }

    /// Releases the blocks at or below `floor`.
    pub fn release(&mut self, floor: u64) {
        if self.keep_all {
            return;
        }
        while let Some(&(h, b)) = self.by_height.first()
            && h <= floor
        {
            self.by_height.pop_first();
            self.slots[(b - self.base) as usize] = None;
            self.halves.remove(&b);
        }
        while self.slots.front().is_some_and(Option::is_none) {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// Blocks held now (empty slots included).
    pub fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Every request's first execution, `(request, height)`, in the order they happened, from
/// entry `base` on: each validator reads it to drop executed requests from those it waits
/// for, and entries go once every validator that can still run has read them.
#[derive(Default)]
pub struct FirstExecuted {
    log: VecDeque<(ReqId, u64)>,
    base: u64,
}

impl FirstExecuted {
    pub fn push(&mut self, r: ReqId, height: u64) {
        self.log.push_back((r, height));
    }

    /// Entries added so far: the position a validator has read up to once it read them all.
    pub fn end(&self) -> u64 {
        self.base + self.log.len() as u64
    }

    /// The entries from position `from` on.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &(ReqId, u64)> {
        self.log.range((from - self.base) as usize..)
    }

    /// Every live validator has read the entries below `upto`.
    pub fn release(&mut self, upto: u64) {
        let upto = upto.min(self.end());
        if upto > self.base {
            self.log.drain(..(upto - self.base) as usize);
            self.base = upto;
        }
    }

    pub fn len(&self) -> usize {
        self.log.len()
    }
}
