//! What an attacking miner (`adversary`) changes in Nakamoto: which tip an honest node takes
//! on a tie with a selfish pool's block, and when the attacker publishes its private chain.

use super::{Msg, Nakamoto, Node, Timer};
use crate::adversary::Attack;
use crate::consensus::Ctx;
use crate::ledger::GENESIS;
use rand::RngExt;

impl Nakamoto {
    pub(super) fn is_attacker(&self, node: u32) -> bool {
        self.attack.as_ref().is_some_and(|a| a.node() == node)
    }

    /// Whether an honest node switches from `tip` to `b` of the same height: only towards a
    /// selfish pool's block, with the configured probability γ.
    pub(super) fn tie_to_pool(
        &self,
        node: u32,
        b: u32,
        tip: u32,
        ctx: &mut Ctx<Msg, Timer>,
    ) -> bool {
        match &self.attack {
            Some(Attack::Selfish(s)) if s.node != node => {
                let to_pool =
                    self.blocks.get(b).miner == s.node && self.blocks.get(tip).miner != s.node;
                to_pool && s.gamma.is_some_and(|g| ctx.rng.random::<f64>() < g)
            }
            _ => false,
        }
    }

    /// Sends the attacker's private blocks up to height `h`, oldest first, and lets its own
    /// public view follow.
    pub(super) fn publish(&mut self, node: &mut Node, h: u32, ctx: &mut Ctx<Msg, Timer>) {
        let Some(attack) = &self.attack else { return };
        let top = self.blocks.ancestor(attack.tip(), h);
        let mut chain = Vec::new();
        let mut b = top;
        while b != GENESIS
            && self.blocks.get(b).miner == node.id
            && self.blocks.get(b).received < ctx.net.nodes()
        {
            chain.push(b);
            b = self.blocks.get(b).parent;
        }
        for &b in chain.iter().rev() {
            self.relay(b, ctx);
        }
        self.adopt(node, top, ctx);
    }

    /// Lets the attacker react to the public chain it now sees.
    pub(super) fn attacker_sees(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let publish = match self.attack.as_mut() {
            Some(Attack::Selfish(s)) => s.on_public(&self.blocks, node.tip),
            Some(Attack::DoubleSpend(d)) => d.on_public(&self.blocks, node.tip),
            None => None,
        };
        if let Some(h) = publish {
            self.publish(node, h, ctx);
        }
    }
}
