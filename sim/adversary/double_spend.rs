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
