//! The blocks replicas propose, kept while a replica can still read them.
//!
//! A replica reads blocks from four places: its own highest QC, lock and committed block;
//! a proposal it handles (only one of its current view or later) and the three blocks that
//! proposal's certificate chain names (`justify`, twice more for the lock and the commit);
//! the parent chains its walks follow (committing, collecting the uncommitted requests,
//! checking that a proposal extends the lock), which stop at its committed or locked height;
//! and the blocks that stale messages name. So a block can go once it is none of those for
//! any replica that can still run (a replica down for good holds nothing back):
//! - not a live replica's highest QC, lock or committed block, nor a block of a view above
//!   every live replica's lock (one a lock or highest QC may still move to);
//! - not within three `justify` steps of those, nor of a block whose view some live replica
//!   has not left (a proposal it may still handle);
//! - not on the parent chain of those at or above the floor (below);
//! - of a view below every live replica's highest QC. A message naming it then changes
//!   nothing: a proposal is of a view every replica has left, so it is dropped; a vote can
//!   give no QC higher than the leader's, nor move it to a later view (it only counts in the
//!   tally, which needs no block); a `NEW-VIEW` carrying it can never be the highest QC
//!   that a leader adopts, so it counts as lower than every kept block (`view_of` is `None`).
//!
//! FLOOR. Walks stop at a committed or locked height, and a handled proposal's reads reach
//! three heights below it, so the parent chains above must be kept down to the lowest height
//! any of these can take *after* the release. The lowest committed, locked or highest-QC
//! height now is not enough: a lock moves by view (`chain.rs`, `update`: to a QC's block of
//! a later view than the lock's), and a later view can sit lower on another branch. So the
//! floor is the lower of (a) the lowest committed, locked or highest-QC height of a live
//! replica now and (b) three below the lowest height of a block of a view above `L`, the
//! lowest view of a live replica's lock. Why (b) bounds what comes later, in runs without
//! equivocation (those keep every block):
//! 1. Each replica's lock and highest QC only move to blocks of later views (`update`;
//!    `on_vote` and `on_new_view` in `pacemaker.rs`), and its committed height only rises
//!    (`update` commits only above it). A highest QC's view exceeds its lock's (the lock
//!    is the `justify` of a block that was a highest QC), genesis apart: a replica whose
//!    marks are all genesis puts the floor at 0.
//! 2. Every block is proposed on its proposer's highest QC (`propose`), so in a view above
//!    it and one height above it.
//! 3. So every block proposed after the release has a parent of a view above `L` (a highest
//!    QC, by 1), and by induction on the proposals a height above (b)'s lowest height `H`.
//! 4. A later lock or highest QC is of a view above `L` (by 1): an existing block, at `H` or
//!    above, or a new one, above `H` (3). A later committed block is above the floor's (a).
//!    A proposal still handled is of a view above its handler's highest QC, so above `L`, and
//!    so at `H` or above: its three `justify` steps reach `H − 3`, and its walks stop at a
//!    lock, committed or highest-QC height, all at or above the floor.
//!
//! So no read goes below the floor on a kept chain; in debug builds, every event's end
//! (`pacemaker.rs`, `after`) and every release assert that a live replica's marks stay at or
//! above the last floor. Keeping the chains of the
//! blocks above `L` also keeps the blocks a moved lock's walk reads, whatever its height.
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
    pub batch: Vec<crate::consensus::pbft::requests::ReqId>,
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
    /// The floor of the last release.
    floor: u64,
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
            floor: 0,
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
        debug_assert!(
            live.iter().all(|m| self.at_or_above_floor(m)),
            "a live replica's mark fell below the last release floor {}",
            self.floor
        );
        let height = |b: u32| self.get(b).height;
        let view_hq = live.iter().map(|m| self.get(m.high_qc).view).min();
        let view_lock = live
            .iter()
            .map(|m| self.get(m.locked).view)
            .min()
            .unwrap_or(0);
        let marked = live
            .iter()
            .map(|m| {
                height(m.committed)
                    .min(height(m.locked))
                    .min(height(m.high_qc))
            })
            .min()
            .unwrap_or(0);
        // Blocks a lock or highest QC may still move to, and the proposals that may still be
        // handled (see `FLOOR`).
        let mut above_locks = Vec::new();
        let mut lowest = u64::MAX;
        for (&id, blk) in &self.blocks {
            if blk.view > view_lock {
                above_locks.push(id);
                lowest = lowest.min(blk.height);
            }
        }
        let floor = marked.min(lowest.saturating_sub(3));
        self.floor = floor;
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
        seeds.extend(above_locks.iter().copied());
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

    /// Whether a replica's committed, locked and highest-QC blocks are at or above the floor
    /// of the last release (what `FLOOR` proves).
    pub fn at_or_above_floor(&self, m: &Marks) -> bool {
        [m.committed, m.locked, m.high_qc].iter().all(|&b| {
            self.blocks
                .get(&b)
                .is_some_and(|blk| blk.height >= self.floor)
        })
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

    /// Genesis 0 and blocks pushed as `(parent, view)`, each one above its parent, its QC
    /// its parent's.
    fn store_of(blocks: &[(u32, u64)]) -> Store {
        let mut s = Store::new();
        for &(parent, view) in blocks {
            let height = s.get(parent).height + 1;
            s.push(block(parent, parent, view, height));
        }
        s
    }

    /// A chain 1–8 of views 1, 2, 3, 5, 6, 7, 9, 10 (views 4 and 8 failed), the orphans of
    /// the failed views (9 of view 4 on 3, 10 of view 8 on 6) and a proposal 11 of view 11
    /// on 8 in flight.
    fn store() -> Store {
        store_of(&[
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 5),
            (4, 6),
            (5, 7),
            (6, 9),
            (7, 10),
            (3, 4),
            (6, 8),
            (8, 11),
        ])
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
        // Replica 2 lags (committed genesis, locked on it): it holds everything.
        let mut m = vec![marks(11, 5, 6, 8), marks(11, 5, 6, 7), marks(2, 0, 0, 0)];
        s.release(&m);
        assert_eq!(kept(&s), (0..=11).collect::<Vec<_>>());
        // Down for good, it holds nothing back. The lowest lock is 6 (view 7); the blocks of
        // later views (7, 8, 10, 11) lie at height 7 or above, so the floor is 7 − 3 = 4,
        // below the lowest committed height (5): block 4 stays with them. Below it go
        // genesis, 1, 2, 3 and the orphan 9 of view 4, below every highest QC's view (9).
        m[2].live = false;
        s.release(&m);
        assert_eq!(kept(&s), [4, 5, 6, 7, 8, 10, 11]);
        assert_eq!(s.floor, 4);
        assert_eq!((s.view_of(3), s.view_of(9)), (None, None));
        assert_eq!(s.view_of(10), Some(8));
        assert_eq!(s.peak_held(), 12);
    }

    #[test]
    fn a_proposal_in_flight_keeps_its_certificate_chain() {
        let mut s = store();
        // Every replica committed 6 and locked 7, one is still in view 11: proposal 11 may
        // yet be handled, and reads 8, 7 and 6 (its QC's chain).
        let m = vec![marks(11, 6, 7, 8), marks(12, 6, 7, 8)];
        s.release(&m);
        // Above the lock's view 9 lie only 8 and 11 (heights 8 and 9): the floor is
        // 8 − 3 = 5, below the committed height 6, so 5 stays; the orphan 10 of view 8 and
        // everything below 5 go.
        assert_eq!(kept(&s), [5, 6, 7, 8, 11]);
        assert_eq!(s.floor, 5);
    }

    /// The corner `FLOOR` is about: a lock moves to a block of a later view on another
    /// branch, lower than every replica's committed height. A chain 1–6 of views 1–6, and a
    /// branch 7 ← 8 of views 7 and 8 off block 1, at heights 2 and 3. Replica 1 holds 8 as
    /// its highest QC: a proposal on 8 moves its lock to 7 (view 7 above its lock's 5) and
    /// reads 1 (7's QC). The lowest committed, locked or highest-QC height is 3, so a floor
    /// there would drop block 1; the floor follows the blocks above the lowest lock's view
    /// down instead (7 at height 2, so 0), and block 1 stays.
    #[test]
    fn a_lock_moving_down_to_another_branch_finds_its_chain() {
        let mut s = store_of(&[
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 4),
            (4, 5),
            (5, 6),
            (1, 7),
            (7, 8),
        ]);
        let mut m = vec![marks(9, 4, 5, 6), marks(9, 4, 5, 8)];
        s.release(&m);
        assert_eq!(s.floor, 0);
        assert_eq!(s.view_of(1), Some(1));
        // Replica 1 handles a proposal of view 9 on 8: its lock moves down to 7.
        let p = s.push(block(8, 8, 9, 4));
        m[1] = marks(10, 4, 7, 8);
        assert!(s.at_or_above_floor(&m[1]));
        s.release(&m);
        assert_eq!(s.get(s.get(s.get(p).justify).justify).justify, 1);
        assert_eq!(s.view_of(1), Some(1));
    }
}
