//! What goes out of a validator (counted, sized, or held back by a withholding one) and what
//! it does with each message that arrives: requests, catch-up, decisions, and the proposals and
//! votes of its own height (those of other heights are buffered or answered with catch-up).

use super::{BUFFER_PER_PEER, Ctx, Msg, Node, ReqId, Tendermint, Timer, VOTE_BYTES};

impl Tendermint {
    pub(super) fn send(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg) {
        if let Some(bytes) = self.outgoing(ctx.node, msg, 1) {
            ctx.send(to, msg, bytes);
        }
    }

    /// Counts `copies` of `msg` going out from `node`; their size, or `None` when a
    /// withholding validator keeps them back.
    pub(super) fn outgoing(&mut self, node: u32, msg: Msg, copies: u64) -> Option<u64> {
        if self.byz.withholds(node) && matches!(msg, Msg::Prevote { .. } | Msg::Precommit { .. }) {
            return None;
        }
        let (count, bytes) = match msg {
            Msg::Request(r) => (&mut self.counts.request, self.requests.get(r).bytes),
            Msg::Proposal { block, .. } => (
                &mut self.counts.proposal,
                VOTE_BYTES + self.blocks.get(block).bytes,
            ),
            Msg::Prevote { .. } => (&mut self.counts.prevote, VOTE_BYTES),
            Msg::Precommit { .. } => (&mut self.counts.precommit, VOTE_BYTES),
            Msg::Behind(_) => (&mut self.counts.catch_up, VOTE_BYTES),
            Msg::Decision(_, b) => (
                &mut self.counts.catch_up,
                VOTE_BYTES * (1 + u64::from(self.q)) + self.blocks.get(b).bytes,
            ),
        };
        *count += copies;
        Some(bytes)
    }

    pub(super) fn multicast(&mut self, ctx: &mut Ctx<Msg, Timer>, msg: Msg) {
        if let Some(bytes) = self.outgoing(ctx.node, msg, u64::from(self.n - 1)) {
            ctx.broadcast(msg, bytes);
        }
    }

    pub(super) fn receive(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        msg: Msg,
    ) {
        let height = match msg {
            Msg::Request(r) => {
                self.learn(node, ctx, r);
                return;
            }
            Msg::Behind(h) => {
                if h < node.height {
                    self.help(node, ctx, from, h);
                }
                return;
            }
            Msg::Decision(h, b) => {
                if h == node.height {
                    self.decide(node, ctx, b);
                    self.advance(node, ctx);
                } else if h > node.height {
                    node.pending.insert(h, b);
                }
                return;
            }
            Msg::Proposal { height, .. }
            | Msg::Prevote { height, .. }
            | Msg::Precommit { height, .. } => height,
        };
        if height < node.height {
            // Votes of the height just decided that arrive soon after are the rest of its
            // quorum, not a sign that the sender lags.
            let wait = self.timeout(self.params.timeout_prevote_ms, 0);
            if height + 1 < node.height || ctx.now >= node.decided_at[&height] + wait {
                self.help(node, ctx, from, height);
            }
            return;
        }
        if height > node.height {
            if height == node.height + 1 && node.next.len() < BUFFER_PER_PEER * self.n as usize {
                node.next.push((from, msg));
            }
            let (h, at) = node.asked[from as usize];
            let wait = self.timeout(self.params.timeout_prevote_ms, 0);
            if h != node.height || ctx.now >= at + wait {
                node.asked[from as usize] = (node.height, ctx.now);
                self.send(ctx, from, Msg::Behind(node.height));
            }
            return;
        }
        match msg {
            Msg::Proposal {
                round,
                block,
                pol_round,
                ..
            } => {
                if from == self.proposer(height, round) && round >= node.round {
                    self.on_proposal(node, ctx, round, block, pol_round);
                }
            }
            Msg::Prevote { round, value, .. } | Msg::Precommit { round, value, .. } => {
                let precommit = matches!(msg, Msg::Precommit { .. });
                if node.votes.add(round, precommit, from, value) {
                    self.advance(node, ctx);
                }
            }
            _ => unreachable!("handled above"),
        }
    }

    /// A validator learns of a request; an idle proposer proposes it.
    pub(super) fn learn(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        if self.requests.executed(node.id, r, node.height - 1) {
            return;
        }
        node.waiting.insert(r);
        if node.idle_proposer {
            self.propose(node, ctx);
        } else if self.proposer(node.height, node.round) != node.id {
            self.arm_propose(node, ctx);
        }
    }
}
