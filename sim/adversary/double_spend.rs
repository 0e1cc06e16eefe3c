//! Repeated double-spend races by one miner inside a simulated network.
//!
//! The attacker mines on the public tip until it finds a block, which it keeps private; at
//! that moment it pays the merchant (the next honest block carries the payment, at the same
//! height as the private block). The merchant accepts after `z` honest blocks on that
//! height onwards. The attacker publishes its chain as soon as the merchant has accepted and
//! the private chain is strictly longer than the public one, so honest nodes switch to it.
//! With one block mined before paying, "strictly longer" means the blocks mined after the
//! payment catch up with the honest ones: the definition of Nakamoto and of Grunspan &
//! Pérez-Marco, whose exact value ([`super::analytic::race_success`]) a run with random block
//! times on both sides reproduces.

use crate::ledger::{BlockStore, GENESIS};

#[derive(Clone, Debug)]
pub struct DoubleSpend {
    pub node: u32,
    pub confirmations: u32,
    pub give_up_behind: u32,
    private_tip: u32,
    /// The block both chains fork from while a race is on.
    fork: Option<u32>,
    pub attempts: u64,
    pub successes: u64,
}

impl DoubleSpend {
    pub fn new(node: u32, confirmations: u32, give_up_behind: u32) -> Self {
        DoubleSpend {
            node,
            confirmations,
            give_up_behind,
            private_tip: GENESIS,
            fork: None,
            attempts: 0,
            successes: 0,
        }
    }

    pub fn tip(&self) -> u32 {
        self.private_tip
    }

    /// The attacker found `b` on its tip. Returns the height to publish up to, if any.
    pub fn on_mined(&mut self, blocks: &BlockStore, b: u32, public_tip: u32) -> Option<u32> {
        self.private_tip = b;
        if self.fork.is_none() {
            self.fork = Some(blocks.get(b).parent);
            self.attempts += 1;
        }
        self.check(blocks, public_tip)
    }

    /// The public chain the attacker sees now ends at `public_tip`.
    pub fn on_public(&mut self, blocks: &BlockStore, public_tip: u32) -> Option<u32> {
        if self.fork.is_none() {
            self.private_tip = public_tip;
            return None;
        }
        self.check(blocks, public_tip)
    }

    fn check(&mut self, blocks: &BlockStore, public_tip: u32) -> Option<u32> {
        let fork = self.fork?;
        let fork_h = blocks.get(fork).height;
        let public_h = blocks.get(public_tip).height;
        let private_h = blocks.get(self.private_tip).height;
        let accepted = public_h >= fork_h + self.confirmations;
        if accepted && private_h > public_h {
            self.successes += 1;
            self.fork = None;
            return Some(private_h);
        }
        if public_h >= private_h + self.give_up_behind {
            self.fork = None;
            self.private_tip = public_tip;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(s: &mut BlockStore, parent: u32, miner: u32) -> u32 {
        s.push(parent, miner, 0, 0, Vec::new())
    }

    #[test]
    fn publishes_only_when_accepted_and_strictly_longer() {
        let mut s = BlockStore::new(2);
        let mut a = DoubleSpend::new(0, 2, 5);
        let a1 = push(&mut s, GENESIS, 0);
        assert_eq!(a.on_mined(&s, a1, GENESIS), None);
        assert_eq!(a.attempts, 1);
        let a2 = push(&mut s, a1, 0);
        // Longer but the merchant has no confirmation yet: keep it private.
        assert_eq!(a.on_mined(&s, a2, GENESIS), None);
        let h1 = push(&mut s, GENESIS, 1);
        assert_eq!(a.on_public(&s, h1), None);
        let h2 = push(&mut s, h1, 1);
        // Two confirmations, private chain 2 = public 2: not longer yet.
        assert_eq!(a.on_public(&s, h2), None);
        let a3 = push(&mut s, a2, 0);
        assert_eq!(a.on_mined(&s, a3, h2), Some(3));
        assert_eq!((a.successes, a.attempts), (1, 1));
    }

    #[test]
    fn gives_up_far_behind_and_starts_over_on_the_public_tip() {
        let mut s = BlockStore::new(2);
        let mut a = DoubleSpend::new(0, 1, 2);
        let a1 = push(&mut s, GENESIS, 0);
        a.on_mined(&s, a1, GENESIS);
        let mut h = GENESIS;
        for _ in 0..3 {
            h = push(&mut s, h, 1);
            a.on_public(&s, h);
        }
        assert_eq!(a.tip(), h);
        assert_eq!((a.successes, a.attempts), (0, 1));
        let next = push(&mut s, h, 0);
        a.on_mined(&s, next, h);
        assert_eq!(a.attempts, 2);
    }
}
