//! Eyal & Sirer's selfish mining (Algorithm 1) for a pool inside a simulated network.
//!
//! The pool mines on its private tip and decides, after each block it finds and each time
//! the public chain it sees grows, how far along its private chain to publish. Heights stand
//! for chain lengths: the pool's view of the public chain includes the blocks it published.

use crate::ledger::{BlockStore, GENESIS};

#[derive(Clone, Debug)]
pub struct Selfish {
    pub node: u32,
    pub gamma: Option<f64>,
    private_tip: u32,
    /// Length of the longest public chain the pool knows of, its own published blocks included.
    public_h: u32,
    /// Blocks mined on the private branch since it last published all of it or gave up
    /// (`privateBranchLen` in Algorithm 1).
    branch: u32,
    published_h: u32,
}

impl Selfish {
    pub fn new(node: u32, gamma: Option<f64>) -> Self {
        Selfish {
            node,
            gamma,
            private_tip: GENESIS,
            public_h: 0,
            branch: 0,
            published_h: 0,
        }
    }

    /// Where the pool mines.
    pub fn tip(&self) -> u32 {
        self.private_tip
    }

    /// The pool found `b` on its private tip. Returns the height up to which its private
    /// chain must now be published, if any.
    pub fn on_mined(&mut self, blocks: &BlockStore, b: u32) -> Option<u32> {
        let delta_prev = blocks.get(self.private_tip).height as i64 - self.public_h as i64;
        self.private_tip = b;
        self.branch += 1;
        if delta_prev == 0 && self.branch == 2 {
            // It had matched the public chain (a 1-vs-1 race) and now wins it outright.
            self.branch = 0;
            return Some(self.publish_all(blocks));
        }
        None
    }

    /// The longest public chain the pool has seen now ends at `public_tip`.
    pub fn on_public(&mut self, blocks: &BlockStore, public_tip: u32) -> Option<u32> {
        let h_new = blocks.get(public_tip).height;
        if h_new <= self.public_h {
            return None;
        }
        let private_h = blocks.get(self.private_tip).height;
        let delta_prev = private_h as i64 - self.public_h as i64;
        self.public_h = h_new;
        if delta_prev <= 0 || private_h < h_new {
            // Nothing private worth keeping: mine on the public chain.
            self.private_tip = public_tip;
            self.branch = 0;
            self.published_h = h_new;
            return None;
        }
        match private_h - h_new {
            // Lead of one became a tie: publish it and race (state 0').
            0 => Some(self.publish_all(blocks)),
            // Lead of two: publishing everything wins.
            1 => {
                self.branch = 0;
                Some(self.publish_all(blocks))
            }
            // Still safely ahead: reveal just enough to match the public chain.
            _ => {
                self.published_h = h_new;
                Some(h_new)
            }
        }
    }

    fn publish_all(&mut self, blocks: &BlockStore) -> u32 {
        let h = blocks.get(self.private_tip).height;
        self.published_h = h;
        self.public_h = self.public_h.max(h);
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pool is node 0; `chain` pushes a block by `miner` on `parent`.
    fn push(s: &mut BlockStore, parent: u32, miner: u32) -> u32 {
        s.push(parent, miner, 0, 0, Vec::new())
    }

    #[test]
    fn lead_of_one_is_revealed_when_the_honest_chain_draws_level() {
        let mut s = BlockStore::new(2);
        let mut pool = Selfish::new(0, None);
        let p1 = push(&mut s, GENESIS, 0);
        assert_eq!(pool.on_mined(&s, p1), None);
        let h1 = push(&mut s, GENESIS, 1);
        assert_eq!(
            pool.on_public(&s, h1),
            Some(1),
            "tie: publish the private block"
        );
        // Pool finds the next block during the race: publish everything and win.
        let p2 = push(&mut s, p1, 0);
        assert_eq!(pool.on_mined(&s, p2), Some(2));
        assert_eq!(pool.tip(), p2);
    }

    #[test]
    fn lead_of_two_wins_outright_and_longer_leads_reveal_one_at_a_time() {
        let mut s = BlockStore::new(2);
        let mut pool = Selfish::new(0, None);
        let mut tip = GENESIS;
        for _ in 0..4 {
            tip = push(&mut s, tip, 0);
            assert_eq!(pool.on_mined(&s, tip), None, "withheld");
        }
        let h1 = push(&mut s, GENESIS, 1);
        assert_eq!(pool.on_public(&s, h1), Some(1), "lead 4: match height 1");
        let h2 = push(&mut s, h1, 1);
        assert_eq!(pool.on_public(&s, h2), Some(2), "lead 3: match height 2");
        let h3 = push(&mut s, h2, 1);
        assert_eq!(pool.on_public(&s, h3), Some(4), "lead 2 -> 1: publish all");
        // The honest chain then builds on the pool's chain: nothing private is left.
        let h5 = push(&mut s, tip, 1);
        assert_eq!(pool.on_public(&s, h5), None);
        assert_eq!(pool.tip(), h5);
    }

    #[test]
    fn behind_or_level_without_a_private_block_it_follows_the_public_chain() {
        let mut s = BlockStore::new(2);
        let mut pool = Selfish::new(0, Some(0.5));
        let h1 = push(&mut s, GENESIS, 1);
        assert_eq!(pool.on_public(&s, h1), None);
        assert_eq!(pool.tip(), h1);
        // A tie the pool loses: honest extends its own branch.
        let p2 = push(&mut s, h1, 0);
        pool.on_mined(&s, p2);
        let h2 = push(&mut s, h1, 1);
        assert_eq!(pool.on_public(&s, h2), Some(2));
        let h3 = push(&mut s, h2, 1);
        assert_eq!(pool.on_public(&s, h3), None);
        assert_eq!(pool.tip(), h3);
    }
}
