//! Attestations and the lists of them that blocks carry, kept while a validator that can
//! still run may read them.
//!
//! Let `E` be the lowest `next_epoch` of the validators not down for good: the first epoch
//! whose end one of them has not processed. Epoch processing (`Pos::end_epoch`) of an epoch
//! `e ≥ E` reads the lists of the blocks of slots from `(e − 1)·spe` on, so the lists of
//! blocks of slots before `(E − 1)·spe` go. A block of epoch `k` carries only attestations of
//! epochs `k − 1` and `k`, so what those lists name is of slots from `(E − 2)·spe` on. A
//! proposer in epoch `k` (never below its own `next_epoch`, so never below `E`) skips
//! attestations of epochs before `k − 1`, and a validator drops them from what it heard at
//! each epoch's start: attestations of slots before `(E − 2)·spe` go too. One still in a
//! validator's list (heard before the release, or arriving late) is dropped there as it would
//! have been skipped.

use super::Attestation;
use std::collections::VecDeque;

/// Attestations by id from `base` on, each with whether a block carries it.
#[derive(Default)]
pub struct Attestations {
    list: VecDeque<(Attestation, bool)>,
    base: u32,
}

impl Attestations {
    pub fn push(&mut self, a: Attestation) -> u32 {
        self.list.push_back((a, false));
        self.base + self.list.len() as u32 - 1
    }

    /// Attestation `a`, if still kept.
    pub fn get(&self, a: u32) -> Option<&Attestation> {
        let i = a.checked_sub(self.base)?;
        self.list.get(i as usize).map(|(at, _)| at)
    }

    /// Whether `a` is kept and no block carries it yet.
    pub fn open(&self, a: u32) -> bool {
        a.checked_sub(self.base)
            .and_then(|i| self.list.get(i as usize))
            .is_some_and(|&(_, included)| !included)
    }

    pub fn include(&mut self, a: u32) {
        self.list[(a - self.base) as usize].1 = true;
    }

    /// Releases the attestations of slots before `slot` (they were made in slot order).
    pub fn release(&mut self, slot: u64) {
        while self.list.front().is_some_and(|(at, _)| at.slot < slot) {
            self.list.pop_front();
            self.base += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
}

/// The attestations each block carries, by block id from `base` on.
pub struct Carried {
    lists: VecDeque<Vec<u32>>,
    base: u32,
}

impl Carried {
    /// Genesis carries none.
    pub fn new() -> Self {
        Carried {
            lists: VecDeque::from([Vec::new()]),
            base: 0,
        }
    }

    pub fn push(&mut self, list: Vec<u32>) {
        self.lists.push_back(list);
    }

    /// The list of block `b`; epoch processing reads only blocks above the floor.
    pub fn get(&self, b: u32) -> &[u32] {
        b.checked_sub(self.base)
            .and_then(|i| self.lists.get(i as usize))
            .unwrap_or_else(|| panic!("attestations of block {b} read after their release"))
    }

    /// Releases the lists of the blocks before the first one `keep` accepts (blocks are made
    /// in slot order).
    pub fn release(&mut self, keep: impl Fn(u32) -> bool) {
        while !self.lists.is_empty() && !keep(self.base) {
            self.lists.pop_front();
            self.base += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.lists.len()
    }
}
