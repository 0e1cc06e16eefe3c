//! Byzantine proposers and voters: an equivocating proposer's two blocks, and an equivocating
//! validator's votes for every proposal it sees, each sent to the honest half that got it.

use super::{Ctx, Msg, Node, Tendermint, Timer};

impl Tendermint {
    /// A Byzantine proposer sends `a` to one half of the honest validators and a conflicting
    /// block of the same height and round to the other, the Byzantine ones getting both.
    pub(super) fn equivocate(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, a: u32) {
        let blk = self.blocks.get(a);
        let mut batch = blk.batch.clone();
        batch.reverse();
        if batch.len() < 2 {
            // Reversing one request would repeat the block's content.
            batch.clear();
        }
        let (height, round, proposer) = (blk.height, blk.round, blk.proposer);
        let b = self.new_block(height, round, proposer, batch, ctx.now);
        self.blocks.split(a, b);
        let round = node.round;
        for to in (0..self.n).filter(|&to| to != node.id) {
            let half = self.byz.half_of(to);
            for (block, first) in [(a, true), (b, false)] {
                if half.is_none_or(|h| h == first) {
                    let msg = Msg::Proposal {
                        height,
                        round,
                        block,
                        pol_round: None,
                    };
                    self.send(ctx, to, msg);
                }
            }
        }
        self.on_proposal(node, ctx, round, a, None);
        self.on_proposal(node, ctx, round, b, None);
    }

    /// An equivocating validator prevotes and precommits `block` at once, sending each vote to
    /// the honest half the block went to and to every Byzantine validator.
    pub(super) fn equivocating_votes(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        round: u64,
        b: u32,
    ) {
        if !node.equivocated.insert((round, b)) {
            return;
        }
        let (height, id) = (node.height, node.id);
        let half = self.blocks.half(b);
        for precommit in [false, true] {
            node.votes.add(round, precommit, id, b);
            let msg = if precommit {
                Msg::Precommit {
                    height,
                    round,
                    value: b,
                }
            } else {
                Msg::Prevote {
                    height,
                    round,
                    value: b,
                }
            };
            for to in (0..self.n).filter(|&to| to != id) {
                let theirs = self.byz.half_of(to);
                if half.is_none() || theirs.is_none() || theirs == half {
                    self.send(ctx, to, msg);
                }
            }
        }
    }
}
