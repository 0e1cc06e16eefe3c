//! The block tree: every block ever mined, with skip pointers for logarithmic ancestor
//! queries (the scheme of Bitcoin Core's `pskip`), and who has received each block.

use crate::engine::{Time, to_secs};
use crate::metrics::BlockRow;

pub const GENESIS: u32 = 0;

/// A transaction carried by a block, named by its pool `(slot, generation)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TxRef {
    pub origin: u32,
    pub slot: u32,
    pub generation: u32,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub parent: u32,
    skip: u32,
    pub height: u32,
    pub miner: u32,
    pub mined_at: Time,
    pub bytes: u64,
    pub tx_count: u32,
    /// Carried transactions sorted by origin validator, so each validator finds its own in
    /// `O(log n)`; emptied once the block is buried deep enough to never matter again.
    pub txs: Vec<TxRef>,
    pub received: u32,
    /// Nodes at which the block has become deep enough to settle its transactions.
    confirmed_by: u32,
    /// Delay until 50 %, 90 % and 100 % of nodes had the block.
    pub reach: [Option<Time>; 3],
    /// One bit per node; released once every node has the block.
    seen: Vec<u64>,
    /// Its list was released because no node can adopt its branch any more (see
    /// [`BlockStore::adopted`]) before every node settled it.
    pub(super) dead: bool,
}

pub struct BlockStore {
    blocks: Vec<Block>,
    nodes: u32,
    /// Nodes down for good: they confirm nothing more (see [`BlockStore::down_for_good`]).
    gone: u32,
    /// The nodes' tips, once the protocol reports them.
    tips: Option<Tips>,
    /// Every list stays until every node settled its block (see [`BlockStore::keep_lists`]).
    keep: bool,
    /// A block with a list came since the tips last looked for dead branches.
    new_lists: bool,
}

/// The nodes' tip heights and the blocks a tip may still come to descend from. A node
/// adopts only a block at least as high as its tip, so tips never get lower, and a block is
/// mined on a tip or on its miner's newer own block. So once a block is below every tip and
/// no block at or above the lowest tip descends from it, no node can ever adopt a chain
/// through it, and nothing more reads its list: at 10,000,000 LoRaWAN meters the lists of
/// stale blocks held 440 MB at the heap's peak, kept until every node settled them, which
/// for a stale block is never.
struct Tips {
    heights: Vec<u32>,
    /// The lowest tip height, and how many nodes are at it, when `low_known`: while no
    /// block holds a list there is nothing to release, and the heights are only recorded.
    low: u32,
    at_low: u32,
    low_known: bool,
    /// Blocks still holding a list, by id.
    held: Vec<u32>,
    /// Blocks at or above `low`: every tip, and what a tip may still move to.
    high: Vec<u32>,
    /// Blocks up to here are in `held` and `high` where they belong.
    scanned: u32,
}

impl Block {
    /// Its row of the `blocks` table under id `id`.
    pub fn row(&self, id: u32, stale: bool) -> BlockRow {
        BlockRow {
            block: id,
            height: self.height,
            miner: self.miner,
            mined_at_s: to_secs(self.mined_at),
            size_bytes: self.bytes,
            tx_count: self.tx_count,
            propagation_50_s: self.reach[0].map(to_secs),
            propagation_90_s: self.reach[1].map(to_secs),
            propagation_100_s: self.reach[2].map(to_secs),
            stale,
        }
    }
}

fn skip_height(h: u32) -> u32 {
    let invert_lowest_one = |n: u32| n & n.wrapping_sub(1);
    if h < 2 {
        0
    } else if h & 1 == 1 {
        invert_lowest_one(invert_lowest_one(h - 1)) + 1
    } else {
        invert_lowest_one(h)
    }
}

impl BlockStore {
    /// A store holding only the genesis block, known to all `nodes`.
    pub fn new(nodes: u32) -> Self {
        let genesis = Block {
            parent: GENESIS,
            skip: GENESIS,
            height: 0,
            miner: u32::MAX,
            mined_at: 0,
            bytes: 0,
            tx_count: 0,
            txs: Vec::new(),
            received: nodes,
            confirmed_by: nodes,
            reach: [Some(0); 3],
            seen: Vec::new(),
            dead: false,
        };
        BlockStore {
            blocks: vec![genesis],
            nodes,
            gone: 0,
            tips: None,
            keep: false,
            new_lists: false,
        }
    }

    pub fn get(&self, id: u32) -> &Block {
        &self.blocks[id as usize]
    }

    pub fn len(&self) -> u32 {
        self.blocks.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Block)> {
        self.blocks.iter().enumerate().map(|(i, b)| (i as u32, b))
    }

    /// Adds a block on `parent`; `txs` are sorted here.
    pub fn push(
        &mut self,
        parent: u32,
        miner: u32,
        at: Time,
        bytes: u64,
        mut txs: Vec<TxRef>,
    ) -> u32 {
        txs.sort_unstable();
        // The list was grown by doubling as the template was assembled, and it is kept until
        // every node has settled the block (a stale block's for the rest of the run): at the
        // heap's peak of 3,000,000 LoRaWAN meters' run the lists took 75.5 MB with that room
        // and take 42.4 MB without it.
        txs.shrink_to_fit();
        self.new_lists |= !txs.is_empty();
        let height = self.get(parent).height + 1;
        let skip = self.ancestor(parent, skip_height(height));
        let words = (self.nodes as usize).div_ceil(64);
        self.blocks.push(Block {
            parent,
            skip,
            height,
            miner,
            mined_at: at,
            bytes,
            tx_count: txs.len() as u32,
            txs,
            received: 0,
            confirmed_by: self.gone,
            reach: [None; 3],
            seen: vec![0; words],
            dead: false,
        });
        self.blocks.len() as u32 - 1
    }

    /// The ancestor of `b` at height `h` (`b` itself when `h` is its height).
    pub fn ancestor(&self, mut b: u32, h: u32) -> u32 {
        let mut hb = self.get(b).height;
        assert!(h <= hb, "no ancestor of height {h} above height {hb}");
        while hb > h {
            let blk = self.get(b);
            let (hs, hs_prev) = (skip_height(hb), skip_height(hb - 1));
            if hs == h || (hs > h && !(hs_prev + 2 < hs && hs_prev >= h)) {
                b = blk.skip;
                hb = hs;
            } else {
                b = blk.parent;
                hb -= 1;
            }
        }
        b
    }

    /// Whether `a` is `b` or one of its ancestors.
    pub fn is_ancestor(&self, a: u32, b: u32) -> bool {
        let ha = self.get(a).height;
        ha <= self.get(b).height && self.ancestor(b, ha) == a
    }

    /// The most recent common ancestor of `a` and `b`.
    pub fn fork_point(&self, a: u32, b: u32) -> u32 {
        let h = self.get(a).height.min(self.get(b).height);
        let (mut a, mut b) = (self.ancestor(a, h), self.ancestor(b, h));
        while a != b {
            a = self.get(a).parent;
            b = self.get(b).parent;
        }
        a
    }

    pub fn has(&self, b: u32, node: u32) -> bool {
        let blk = self.get(b);
        blk.received == self.nodes || blk.seen[(node / 64) as usize] & (1 << (node % 64)) != 0
    }

    /// Marks `b` received by `node` at `now`; returns false if it already had it.
    pub fn receive(&mut self, b: u32, node: u32, now: Time) -> bool {
        if self.has(b, node) {
            return false;
        }
        let n = self.nodes;
        let blk = &mut self.blocks[b as usize];
        blk.seen[(node / 64) as usize] |= 1 << (node % 64);
        blk.received += 1;
        let delay = now - blk.mined_at;
        for (i, share) in [0.5, 0.9, 1.0].iter().enumerate() {
            let needed = ((share * n as f64).ceil() as u32).max(1);
            if blk.reach[i].is_none() && blk.received >= needed {
                blk.reach[i] = Some(delay);
            }
        }
        if blk.received == n {
            blk.seen = Vec::new();
        }
        true
    }

    /// Records that `b` became settled-deep at one more node. Once it is at every node its
    /// transaction list can no longer settle anything and is released, so memory follows the
    /// unsettled blocks, not the length of the run.
    pub fn confirm(&mut self, b: u32) {
        let blk = &mut self.blocks[b as usize];
        blk.confirmed_by += 1;
        if blk.confirmed_by >= self.nodes {
            blk.txs = Vec::new();
            blk.dead = false;
        }
    }

    /// `node` moved its tip to `tip`. A protocol that calls this for every adoption lets the
    /// lists of branches no node can adopt any more go (see [`Tips`]); one with an attacker
    /// must not, as a withheld branch below every tip may still win.
    pub fn adopted(&mut self, node: u32, tip: u32) {
        if self.keep {
            return;
        }
        let h = self.get(tip).height;
        let nodes = self.nodes;
        let t = self.tips.get_or_insert_with(|| Tips {
            heights: vec![0; nodes as usize],
            low: 0,
            at_low: nodes,
            low_known: true,
            held: Vec::new(),
            high: Vec::new(),
            scanned: 1,
        });
        let old = std::mem::replace(&mut t.heights[node as usize], h);
        if t.held.is_empty() && !self.new_lists {
            // SimBlock's chain carries no transactions: its 10,000 nodes only record heights.
            t.low_known = false;
            return;
        }
        if t.low_known {
            if old != t.low || h == old {
                return;
            }
            t.at_low -= 1;
            if t.at_low > 0 {
                return;
            }
        }
        t.low = t.heights.iter().copied().min().unwrap_or(0);
        t.at_low = t.heights.iter().filter(|&&x| x == t.low).count() as u32;
        t.low_known = true;
        self.release_dead_branches();
    }

    /// Keeps the lists of branches no node can adopt, for a caller that reads what stale
    /// blocks carried after the run.
    pub fn keep_lists(&mut self) {
        self.keep = true;
    }

    /// Releases the lists of blocks below every tip that no block at or above the lowest tip
    /// descends from.
    fn release_dead_branches(&mut self) {
        let Some(mut t) = self.tips.take() else {
            return;
        };
        let low = t.low;
        for b in t.scanned..self.len() {
            let blk = self.get(b);
            if !blk.txs.is_empty() {
                t.held.push(b);
            }
            if blk.height >= low {
                t.high.push(b);
            }
        }
        t.scanned = self.len();
        self.new_lists = false;
        t.high.retain(|&b| self.get(b).height >= low);
        let dead: Vec<u32> = t
            .held
            .iter()
            .copied()
            .filter(|&s| {
                let blk = self.get(s);
                !blk.txs.is_empty()
                    && blk.height < low
                    && !t.high.iter().any(|&b| self.is_ancestor(s, b))
            })
            .collect();
        for &s in &dead {
            let blk = &mut self.blocks[s as usize];
            blk.txs = Vec::new();
            blk.dead = true;
        }
        t.held.retain(|&s| !self.get(s).txs.is_empty());
        self.tips = Some(t);
    }

    /// A node is down for good, having confirmed the chain ending at `upto` (its blocks
    /// above genesis, each once): every other block stops waiting for it, so a block every
    /// live node confirmed releases its list as if this node had confirmed it too. It reads
    /// no list again, and only it would have settled its own transactions from them.
    pub fn down_for_good(&mut self, upto: u32) {
        self.gone += 1;
        for b in 1..self.len() {
            if !self.is_ancestor(b, upto) {
                self.confirm(b);
            }
        }
    }

    /// Transaction references block lists hold now.
    pub fn retained_txs(&self) -> usize {
        self.blocks.iter().map(|b| b.txs.len()).sum()
    }

    /// Transactions listed in blocks not yet settled at every node: what the lists held
    /// before dead branches let theirs go (see [`BlockStore::adopted`]), counted so for the
    /// summary's `retained_block_tx` so that outputs stay as they were.
    pub fn unsettled_listed_txs(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| match b.dead {
                true => b.tx_count as usize,
                false => b.txs.len(),
            })
            .sum()
    }

    /// Drops `b`'s transaction list, for a family that knows no node can settle from it.
    pub fn release_txs(&mut self, b: u32) {
        self.blocks[b as usize].txs = Vec::new();
    }

    /// Main chain at the end: from the highest block (the earliest mined among equals) back
    /// to genesis; `result[id]` tells whether block `id` is on it.
    pub fn main_chain(&self) -> Vec<bool> {
        let best = (0..self.len())
            .max_by(|&a, &b| self.get(a).height.cmp(&self.get(b).height).then(b.cmp(&a)))
            .unwrap_or(GENESIS);
        let mut on = vec![false; self.blocks.len()];
        let mut b = best;
        loop {
            on[b as usize] = true;
            if b == GENESIS {
                break;
            }
            b = self.get(b).parent;
        }
        on
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_and_fork_points_match_a_parent_walk() {
        let mut s = BlockStore::new(3);
        let mut chain = vec![GENESIS];
        for i in 0..300 {
            let b = s.push(*chain.last().unwrap(), 0, i, 0, Vec::new());
            chain.push(b);
        }
        let side = s.push(chain[150], 1, 1000, 0, Vec::new());
        let side2 = s.push(side, 1, 1001, 0, Vec::new());
        for h in [0, 1, 2, 63, 64, 150, 299, 300] {
            assert_eq!(s.ancestor(chain[300], h), chain[h as usize]);
        }
        assert_eq!(s.fork_point(side2, chain[300]), chain[150]);
        assert!(s.is_ancestor(chain[150], side2));
        assert!(!s.is_ancestor(chain[151], side2));
        let main = s.main_chain();
        assert!(main[chain[300] as usize] && !main[side as usize]);
    }

    fn listed(origin: u32) -> Vec<TxRef> {
        vec![TxRef {
            origin,
            slot: origin,
            generation: 0,
        }]
    }

    /// Two nodes: a stale block at height 2 and the main chain over it. Its list goes once
    /// both tips are above it and nothing at or above the lower tip descends from it; a
    /// block at height 2 that a higher block extends keeps its own.
    #[test]
    fn a_branch_no_tip_can_reach_lets_its_list_go() {
        let mut s = BlockStore::new(2);
        let a1 = s.push(GENESIS, 0, 1, 0, listed(0));
        let a2 = s.push(a1, 0, 2, 0, listed(0));
        let stale = s.push(a1, 1, 2, 0, listed(1));
        let a3 = s.push(a2, 0, 3, 0, listed(0));
        s.adopted(0, a3);
        s.adopted(1, stale);
        assert_eq!(s.get(stale).txs.len(), 1, "node 1's tip");
        // A child of the stale block, at height 3, mined but not yet adopted by anyone.
        let child = s.push(stale, 1, 3, 0, listed(1));
        s.adopted(1, a3);
        assert_eq!(
            s.get(stale).txs.len(),
            1,
            "a block at the lowest tip extends it"
        );
        let a4 = s.push(a3, 0, 4, 0, listed(0));
        s.adopted(0, a4);
        s.adopted(1, a4);
        assert!(s.get(stale).txs.is_empty() && s.get(child).txs.is_empty());
        for b in [a1, a2, a3, a4] {
            assert_eq!(s.get(b).txs.len(), 1, "main chain block {b}");
        }
        assert_eq!(s.retained_txs(), 4);
        assert_eq!(s.unsettled_listed_txs(), 6);
        s.confirm(child);
        s.confirm(child);
        assert_eq!(
            s.unsettled_listed_txs(),
            5,
            "settled everywhere, counted no more"
        );
    }

    #[test]
    fn reception_tracks_shares_once() {
        let mut s = BlockStore::new(4);
        let b = s.push(GENESIS, 0, 10, 100, Vec::new());
        assert!(s.receive(b, 0, 10));
        assert!(!s.receive(b, 0, 11));
        assert!(s.receive(b, 1, 20));
        assert_eq!(s.get(b).reach, [Some(10), None, None]);
        s.receive(b, 2, 30);
        s.receive(b, 3, 40);
        assert_eq!(s.get(b).reach, [Some(10), Some(30), Some(30)]);
        assert!(s.has(b, 3));
    }
}
