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
}

pub struct BlockStore {
    blocks: Vec<Block>,
    nodes: u32,
    /// Nodes down for good: they confirm nothing more (see [`BlockStore::down_for_good`]).
    gone: u32,
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
        };
        BlockStore {
            blocks: vec![genesis],
            nodes,
            gone: 0,
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
        }
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
