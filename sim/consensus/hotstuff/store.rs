//! The blocks replicas propose, kept while a replica can still read them.
//!
//! A replica reads blocks from four places: its own highest QC, lock and committed block;
//! a proposal it handles (only one of its current view or later) and the three blocks that
//! proposal's certificate chain names (`justify`, twice more for the lock and the commit);
//! the parent chains its walks follow (committing, collecting the uncommitted requests,
//! checking that a proposal extends the lock), which stop at its committed or locked height;
//! and the blocks that stale messages name. So a block can go once it is none of those for
//! any replica that can still run (a replica down for good holds nothing back):
//! - not a live replica's highest QC, lock or committed block;
//! - not within three `justify` steps of those, nor of a block whose view some live replica
//!   has not left (a proposal it may still handle);
//! - not on the parent chain of those at or above the lowest committed, locked or highest-QC
//!   height of any live replica (where walks stop);
//! - of a view below every live replica's highest QC. A message naming it then changes
//!   nothing: a proposal is of a view every replica has left, so it is dropped; a vote can
//!   give no QC higher than the leader's, nor move it to a later view (it only counts in the
//!   tally, which needs no block); a `NEW-VIEW` carrying it can never be the highest QC
//!   that a leader adopts, so it counts as lower than every kept block (`view_of` is `None`).
//!
//! An equivocating replica votes for any proposal however stale, and a forking coalition
//! extends old branches, so runs with one keep every block, as do runs that read past blocks
//! afterwards (`HotStuff::recording`).

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::Time;

pub struct Block {
    pub parent: u32,
    /// The block the carried QC certifies.
    pub justify: u32,
    pub view: u64,
    pub height: u64,
    pub batch: Vec<u32>,
    pub proposed_at: Time,
}

/// What a replica holds on to, as of its last event.
#[derive(Clone, Copy, Debug)]
pub struct Marks {
    /// Not down for good.
    pub live: bool,
    pub view: u64,
    pub high_qc: u32,
    pub locked: u32,
    pub committed: u32,
}

impl Marks {
    pub fn new() -> Self {
        Marks {
            live: true,
            view: 1,
            high_qc: 0,
            locked: 0,
            committed: 0,
        }
    }
}

pub struct Store {
    blocks: BTreeMap<u32, Block>,
    next: u32,
    keep_all: bool,
    peak: usize,
}

impl Store {
    /// The store with the genesis block, 0.
    pub fn new() -> Self {
        let genesis = Block {
            parent: 0,
            justify: 0,
            view: 0,
            height: 0,
            batch: Vec::new(),
            proposed_at: 0,
        };
        Store {
            blocks: BTreeMap::from([(0, genesis)]),
            next: 1,
            keep_all: false,
            peak: 1,
        }
    }

    /// Keeps every block for the whole run.
    pub fn keep_all(&mut self) {
        self.keep_all = true;
    }

    pub fn push(&mut self, block: Block) -> u32 {
        let id = self.next;
        self.next += 1;
        self.blocks.insert(id, block);
        self.peak = self.peak.max(self.blocks.len());
        id
    }

    /// A kept block: callers name only blocks the rules above keep.
    pub fn get(&self, b: u32) -> &Block {
        match self.blocks.get(&b) {
            Some(blk) => blk,
            None => panic!("block {b} read after its release"),
        }
    }

    /// The view of `b`, `None` once released (lower than any kept block's that matters).
    pub fn view_of(&self, b: u32) -> Option<u64> {
        self.blocks.get(&b).map(|blk| blk.view)
    }

    /// The blocks kept, by id (every block proposed when all are kept).
    pub fn iter(&self) -> impl Iterator<Item = &Block> {
        self.blocks.values()
    }

    /// The most blocks held at once.
    pub fn peak_held(&self) -> usize {
        self.peak
    }

    /// Releases the blocks no live replica (by `marks`) can read any more.
    pub fn release(&mut self, marks: &[Marks]) {
        if self.keep_all {
            return;
        }
        let live: Vec<&Marks> = marks.iter().filter(|m| m.live).collect();
        let Some(view_min) = live.iter().map(|m| m.view).min() else {
            return;
        };
        let height = |b: u32| self.get(b).height;
        let view_hq = live.iter().map(|m| self.get(m.high_qc).view).min();
        let floor = live
            .iter()
            .map(|m| {
                height(m.committed)
                    .min(height(m.locked))
                    .min(height(m.high_qc))
            })
            .min()
            .unwrap_or(0);
        let fresh: Vec<u32> = self
            .blocks
            .iter()
            .filter(|(_, blk)| blk.view >= view_min)
            .map(|(&id, _)| id)
            .collect();
        let mut seeds = BTreeSet::new();
        for m in &live {
            seeds.extend([m.high_qc, m.locked, m.committed]);
        }
        seeds.extend(fresh.iter().copied());
        let mut keep = BTreeSet::new();
        // A proposal handled reads its QC's block, that block's QC's and the next one's.
        for &x in &fresh {
            let mut j = x;
            for _ in 0..4 {
                let Some(blk) = self.blocks.get(&j) else {
                    break;
                };
                keep.insert(j);
                j = blk.justify;
            }
        }
        let mut walked = BTreeSet::new();
        for &s in &seeds {
            keep.insert(s);
            let mut p = s;
            while let Some(blk) = self.blocks.get(&p) {
                if blk.height < floor || !walked.insert(p) {
                    break;
                }
                keep.insert(p);
                p = blk.parent;
            }
        }
        let view_hq = view_hq.unwrap_or(0);
        self.blocks
            .retain(|id, blk| keep.contains(id) || blk.view >= view_hq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(parent: u32, justify: u32, view: u64, height: u64) -> Block {
        Block {
            parent,
            justify,
            view,
            height,
            batch: Vec::new(),
            proposed_at: 0,
        }
    }

    /// Genesis 0 and a chain 1 ← 2 ← 3 ← 4 of views 1–4, a proposal 5 of view 6 on 4 in
    /// flight, an orphan 6 of view 3 at height 2 and an orphan 7 of view 4 at height 2.
    fn store() -> Store {
        let mut s = Store::new();
        for (parent, view, height) in [(0, 1, 1), (1, 2, 2), (2, 3, 3), (3, 4, 4), (4, 6, 5)] {
            s.push(block(parent, parent, view, height));
        }
        s.push(block(1, 1, 3, 2));
        s.push(block(1, 1, 4, 2));
        s
    }

    fn marks(view: u64, committed: u32, locked: u32, high_qc: u32) -> Marks {
        Marks {
            live: true,
            view,
            high_qc,
            locked,
            committed,
        }
    }

    fn kept(s: &Store) -> Vec<u32> {
        s.blocks.keys().copied().collect()
    }

    #[test]
    fn blocks_go_once_no_live_replica_can_read_them() {
        let mut s = store();
        // Replica 2 lags (committed genesis, highest QC genesis): it holds everything.
        let mut m = vec![marks(6, 2, 3, 4), marks(6, 2, 3, 4), marks(2, 0, 0, 0)];
        s.release(&m);
        assert_eq!(kept(&s), [0, 1, 2, 3, 4, 5, 6, 7]);
        // Down for good, it holds nothing back: below the lowest committed height (2) and
        // below every highest QC's view (4) go genesis, block 1 and the orphan of view 3;
        // the orphan of view 4 stays (a vote or NEW-VIEW for it may still count).
        m[2].live = false;
        s.release(&m);
        assert_eq!(kept(&s), [2, 3, 4, 5, 7]);
        assert_eq!(s.view_of(1), None);
        assert_eq!(s.view_of(5), Some(6));
        assert_eq!(s.peak_held(), 8);
    }

    #[test]
    fn a_proposal_in_flight_keeps_its_certificate_chain() {
        let mut s = store();
        // Every replica committed 3 with QC 4, but one is still in view 6: proposal 5 may
        // yet be handled, and reads 4, 3 and 2 (its QC's chain), though 2 is below the
        // committed height.
        let m = vec![marks(6, 3, 3, 4), marks(7, 3, 3, 4)];
        s.release(&m);
        assert_eq!(kept(&s), [2, 3, 4, 5, 7]);
        // All in view 7: nothing is handled from view 6 on, so 2 goes; 5 and 7 stay while
        // their views are not below every highest QC's (a vote for them still counts).
        let m = vec![marks(7, 3, 3, 4), marks(7, 3, 3, 4)];
        s.release(&m);
        assert_eq!(kept(&s), [3, 4, 5, 7]);
    }
}
