//! Attestations and epoch processing: each validator attests once per epoch in its
//! committee's slot, and at each epoch's end counts the attestations its chain carries to
//! justify and finalize checkpoints, settling the transactions finality reaches.

use super::duties;
use super::ffg::{Checkpoint, Votes};
use super::{ATTESTATION_BYTES, Msg, Node, Pos, Timer};
use crate::consensus::Ctx;
use crate::ledger::GENESIS;

#[derive(Clone, Copy, Debug)]
pub(super) struct Attestation {
    pub(super) validator: u32,
    pub(super) slot: u64,
    pub(super) source: Checkpoint,
    pub(super) target: Checkpoint,
}

impl Pos {
    pub(super) fn committee_slot(&mut self, v: u32, epoch: u64) -> u64 {
        let i = match self.committees.iter().position(|(e, _)| *e == epoch) {
            Some(i) => i,
            None => {
                let n = self.stake.len() as u32;
                let slots = duties::committees(self.seed, epoch, n, self.spe as u32);
                // Replace the older of the two cached epochs.
                let i = if self.committees[0].0 == u64::MAX
                    || (self.committees[1].0 != u64::MAX
                        && self.committees[0].0 < self.committees[1].0)
                {
                    0
                } else {
                    1
                };
                self.committees[i] = (epoch, slots);
                i
            }
        };
        epoch * self.spe + self.committees[i].1[v as usize] as u64
    }

    /// The checkpoint of `epoch` on the chain ending at `head`.
    pub(super) fn checkpoint(&self, head: u32, epoch: u64) -> Checkpoint {
        let boundary = epoch * self.spe;
        let mut b = head;
        while self.slot_of(b) > boundary {
            b = self.blocks.get(b).parent;
        }
        Checkpoint { epoch, block: b }
    }

    pub(super) fn attest(&mut self, node: &mut Node, slot: u64, ctx: &mut Ctx<Msg, Timer>) {
        let a = self.atts.push(Attestation {
            validator: node.id,
            slot,
            source: node.ffg.current_justified,
            target: self.checkpoint(node.head, slot / self.spe),
        });
        node.heard.push(a);
        for v in 0..self.stake.len() as u32 {
            if v != node.id {
                ctx.send(v, Msg::Attestation(a), ATTESTATION_BYTES);
            }
        }
    }

    /// Processes the end of `epoch` from the blocks of this node's chain before the next
    /// epoch's first slot: what it held then, or, catching up after a crash, what its chain
    /// now holds of that time.
    pub(super) fn end_epoch(&mut self, node: &mut Node, epoch: u64, ctx: &mut Ctx<Msg, Timer>) {
        let boundary = (epoch + 1) * self.spe;
        let mut head = node.head;
        while self.slot_of(head) >= boundary {
            head = self.blocks.get(head).parent;
        }
        let current = self.checkpoint(head, epoch);
        let previous = (epoch > 0).then(|| self.checkpoint(head, epoch - 1));
        let (mut cur_stake, mut prev_stake) = (0u64, 0u64);
        let oldest = epoch.saturating_sub(1) * self.spe;
        let mut b = head;
        while b != GENESIS && self.slot_of(b) >= oldest {
            for &a in self.block_atts.get(b) {
                let at = *self
                    .atts
                    .get(a)
                    .expect("carried by a block above the floor");
                if at.target == current && at.source == node.ffg.current_justified {
                    cur_stake += self.stake[at.validator as usize];
                } else if Some(at.target) == previous && at.source == node.ffg.previous_justified {
                    prev_stake += self.stake[at.validator as usize];
                }
            }
            b = self.blocks.get(b).parent;
        }
        let votes = |target, stake| Votes { target, stake };
        let before = node.ffg.finalized;
        let fin = node.ffg.end_epoch(
            epoch,
            previous.map(|p| votes(p, prev_stake)),
            votes(current, cur_stake),
            self.total,
        );
        if let Some(f) = fin {
            if self.recording {
                node.finalized_log.insert(f.epoch, f.block);
            }
            self.finality.add(ctx.now - f.epoch * self.spe * self.slot);
            self.settle(node.id, before.block, f.block, ctx);
        }
    }

    /// Settles this node's transactions in blocks after `from` up to `to` on `to`'s chain.
    pub(super) fn settle(&mut self, node: u32, from: u32, to: u32, ctx: &mut Ctx<Msg, Timer>) {
        let from_h = self.blocks.get(self.blocks.fork_point(from, to)).height;
        for h in from_h + 1..=self.blocks.get(to).height {
            let c = self.blocks.ancestor(to, h);
            let block = self.blocks.get(c);
            let (settled, finality) = (&mut self.settled[node as usize], &mut self.tx_finality);
            let relay = &mut self.tx_relay;
            self.pool.take_own(block, node, |slot, t| {
                // Executed when the block reached this validator.
                ctx.settle_executed(t.tag(), t.created(), block.tx_count);
                finality.add(ctx.now - t.created());
                *settled += 1;
                if let Some(r) = relay {
                    r.released(slot);
                }
            });
            self.blocks.confirm(c);
        }
    }
}
