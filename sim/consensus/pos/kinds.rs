//! The transactions of each kind in each block, which a validator executes when the block
//! reaches it (`validators.execution` only: without it execution costs nothing and nothing
//! is kept).
//!
//! A block reaches a validator through a `Block` message, and one is sent only as some
//! validator first holds the block. Once every validator that can still run holds it, no
//! arrival reads its kinds again (`BlockStore::receive` turns away a second copy), so they
//! go. A block that a validator never receives while it can still run (it was down when the
//! block went round, cut off by a partition, or lost every copy) keeps its entry: a few
//! dozen bytes per block missed, not per slot of the run.

use crate::ledger::{BlockStore, TxKind};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Kinds {
    by_block: BTreeMap<u32, [u32; TxKind::COUNT]>,
    /// Per validator: down for good (it receives nothing more).
    gone: Vec<bool>,
}

impl Kinds {
    pub fn new(validators: u32) -> Self {
        Kinds {
            by_block: BTreeMap::new(),
            gone: vec![false; validators as usize],
        }
    }

    pub fn insert(&mut self, b: u32, kinds: [u32; TxKind::COUNT]) {
        self.by_block.insert(b, kinds);
    }

    /// The kinds of block `b`; all zero for genesis and when nothing is executed.
    pub fn get(&self, b: u32) -> [u32; TxKind::COUNT] {
        self.by_block.get(&b).copied().unwrap_or_default()
    }

    pub fn down_for_good(&mut self, v: u32) {
        self.gone[v as usize] = true;
    }

    /// Lets go of the kinds of the blocks every validator that can still run holds.
    pub fn release(&mut self, blocks: &BlockStore) {
        let gone = &self.gone;
        let live_hold =
            |b: u32| (0..gone.len() as u32).all(|v| gone[v as usize] || blocks.has(b, v));
        self.by_block.retain(|&b, _| !live_hold(b));
    }

    pub fn len(&self) -> usize {
        self.by_block.len()
    }
}
