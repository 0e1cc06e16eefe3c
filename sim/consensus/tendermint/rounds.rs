//! The rounds of one height: start, proposal, votes and the steps they move a validator
//! through (propose → prevote → precommit), with the timeouts that move it on without them.

use super::{Block, Ctx, Msg, NIL, Node, ReqId, Step, Tendermint, Timer, VOTE_BYTES};
use crate::engine::Time;

impl Tendermint {
    /// StartRound(r): the proposer proposes; the others wait for its proposal.
    pub(super) fn start_round(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, round: u64) {
        if round > node.round {
            self.round_changes += 1;
        }
        node.round = round;
        node.step = Step::Propose;
        node.idle_proposer = false;
        node.propose_armed = false;
        node.prevote_armed = false;
        node.precommit_armed = false;
        node.polka_seen = false;
        node.resends = 0;
        if self.proposer(node.height, round) == node.id {
            self.propose(node, ctx);
        } else if !node.waiting.is_empty() || round > 0 {
            self.arm_propose(node, ctx);
        }
    }

    pub(super) fn arm_propose(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if node.propose_armed || node.step != Step::Propose {
            return;
        }
        node.propose_armed = true;
        ctx.timer(
            self.timeout(self.params.timeout_propose_ms, node.round),
            Timer::Propose {
                height: node.height,
                round: node.round,
            },
        );
    }

    pub(super) fn propose(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let equivocates = self.byz.equivocates(node.id);
        let valid = node.valid.filter(|_| !equivocates);
        let (block, pol_round) = if let Some((v, r)) = valid {
            (v, Some(r))
        } else {
            let mut batch = Vec::new();
            let mut txs = 0u64;
            for &r in &node.waiting {
                let t = u64::from(self.requests.tx_count(r));
                if !batch.is_empty() && txs + t > u64::from(self.params.batch_max_tx) {
                    break;
                }
                batch.push(r);
                txs += t;
            }
            if batch.is_empty() {
                node.idle_proposer = true;
                return;
            }
            for &r in &batch {
                self.requests.on_proposed(r, ctx);
            }
            let block = self.new_block(node.height, node.round, node.id, batch, ctx.now);
            (block, None)
        };
        node.idle_proposer = false;
        let here = (ctx.now, node.height, node.id);
        let again = self
            .takeovers
            .last()
            .is_some_and(|t| (t.1, t.2) == (here.1, here.2));
        if node.round > 0 && !again {
            self.takeovers.push(here);
        }
        if equivocates {
            self.equivocate(node, ctx, block);
            return;
        }
        let msg = Msg::Proposal {
            height: node.height,
            round: node.round,
            block,
            pol_round,
        };
        self.multicast(ctx, msg);
        self.on_proposal(node, ctx, node.round, block, pol_round);
    }

    pub(super) fn on_proposal(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        round: u64,
        block: u32,
        pol_round: Option<u64>,
    ) {
        let committed = node.height - 1;
        let blk = self.blocks.get(block);
        for &r in &blk.batch {
            if !self.requests.executed(node.id, r, committed) {
                node.waiting.insert(r);
            }
        }
        if self.byz.equivocates(node.id) && blk.height == node.height {
            self.equivocating_votes(node, ctx, round, block);
        }
        if !node.votes.set_proposal(round, (block, pol_round)) {
            return;
        }
        self.advance(node, ctx);
    }

    pub(super) fn cast(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        precommit: bool,
        value: u32,
    ) {
        let (height, round, id) = (node.height, node.round, node.id);
        node.votes.add(round, precommit, id, value);
        node.step = if precommit {
            Step::Precommit
        } else {
            Step::Prevote
        };
        if self.byz.equivocates(id) {
            // Its votes went out when the proposals arrived.
            return;
        }
        let msg = if precommit {
            Msg::Precommit {
                height,
                round,
                value,
            }
        } else {
            Msg::Prevote {
                height,
                round,
                value,
            }
        };
        self.multicast(ctx, msg);
        node.resends = 0;
        self.arm_resend(node, ctx);
    }

    pub(super) fn arm_resend(&self, node: &Node, ctx: &mut Ctx<Msg, Timer>) {
        let delay = self.timeout(self.params.timeout_prevote_ms, node.round) << node.resends.min(6);
        ctx.timer(
            delay,
            Timer::Resend {
                height: node.height,
                round: node.round,
                step: node.step,
            },
        );
    }

    /// Applies every rule of the algorithm whose condition holds, until none does.
    pub(super) fn advance(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        loop {
            let height = node.height;
            // Decision: q precommits for a block in any round of this height.
            let decided = node.votes.decided(self.q);
            if let Some(b) = decided {
                self.decide(node, ctx, b);
                continue;
            }
            let (q, round) = (self.q, node.round);
            let proposal = node.votes.proposal(round);
            if node.step == Step::Propose
                && let Some((b, pol)) = proposal
            {
                let vote = match pol {
                    None => Some(match node.locked {
                        Some((l, _)) if l != b => NIL,
                        _ => b,
                    }),
                    Some(vr) if vr < round => {
                        let polka = node.votes.count(vr, false, b) >= q;
                        polka.then_some(match node.locked {
                            Some((l, lr)) if l != b && lr > vr => NIL,
                            _ => b,
                        })
                    }
                    Some(_) => None,
                };
                if let Some(v) = vote
                    && self.blocks.get(b).height == height
                {
                    self.cast(node, ctx, false, v);
                    continue;
                }
            }
            if node.step >= Step::Prevote
                && !node.polka_seen
                && let Some(b) = node.votes.quorum_value(round, false, q)
            {
                node.polka_seen = true;
                node.valid = Some((b, round));
                if node.step == Step::Prevote {
                    node.locked = Some((b, round));
                    self.cast(node, ctx, true, b);
                }
                continue;
            }
            let rv = &node.votes;
            if node.step == Step::Prevote && rv.count(round, false, NIL) >= q {
                self.cast(node, ctx, true, NIL);
                continue;
            }
            if node.step == Step::Prevote && !node.prevote_armed && rv.total(round, false) >= q {
                node.prevote_armed = true;
                ctx.timer(
                    self.timeout(self.params.timeout_prevote_ms, round),
                    Timer::Prevote { height, round },
                );
            }
            if !node.precommit_armed && node.votes.total(round, true) >= q {
                node.precommit_armed = true;
                ctx.timer(
                    self.timeout(self.params.timeout_precommit_ms, round),
                    Timer::Precommit { height, round },
                );
            }
            // Round skip: f + 1 validators are already in a later round.
            let later = node.votes.later_round(round, self.f);
            if let Some(r) = later {
                self.start_round(node, ctx, r);
                continue;
            }
            return;
        }
    }

    /// Records a block proposed now; returns its id.
    pub(super) fn new_block(
        &mut self,
        height: u64,
        round: u64,
        proposer: u32,
        batch: Vec<ReqId>,
        now: Time,
    ) -> u32 {
        let txs = batch.iter().map(|&r| self.requests.tx_count(r)).sum();
        let bytes = self.requests.bytes_of(&batch);
        let b = self.blocks.push(Block {
            height,
            round,
            proposer,
            batch,
            proposed_at: now,
            bytes,
            txs,
        });
        self.note_held();
        b
    }

    /// Re-sent votes are gossip catch-up, counted apart from the first multicast.
    pub(super) fn resend(&mut self, ctx: &mut Ctx<Msg, Timer>, msg: Msg) {
        if !self.byz.is_honest(ctx.node) {
            return;
        }
        self.counts.catch_up += u64::from(self.n - 1);
        ctx.broadcast(msg, VOTE_BYTES);
    }
}
