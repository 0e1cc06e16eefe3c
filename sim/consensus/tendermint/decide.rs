//! Decisions and what follows them: settlement at the origin, catch-up replies to validators
//! behind, and the release of what no validator can read again.

use super::{CATCH_UP_MAX, Ctx, KEEP, Msg, Node, Tendermint, Timer, VOTE_BYTES, decided::Batch};

impl Tendermint {
    pub(super) fn decide(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, b: u32) {
        let height = node.height;
        let blk = self.blocks.get(b);
        debug_assert_eq!(blk.height, height);
        if node.decided.insert(height, b).is_none() {
            self.held += 1;
        }
        node.decided_at.insert(height, ctx.now);
        self.decided = self.decided.max(height);
        if node.id < self.n {
            let info = || {
                Batch::with(
                    blk.bytes,
                    blk.txs,
                    blk.proposer,
                    blk.proposed_at,
                    VOTE_BYTES,
                    self.q,
                )
            };
            self.rows
                .applied(height, height, (node.id, b, ctx.now), info);
        }
        for i in 0..self.blocks.get(b).batch.len() {
            let r = self.blocks.get(b).batch[i];
            let first = self.requests.execute(node.id, r, height);
            if first {
                self.first_executed.push(r, height);
            }
            node.waiting.remove(&r);
            if first && self.requests.get(r).origin == node.id {
                self.settled[node.id as usize] += self.requests.settle(r, ctx);
            }
        }
        // Requests executed anywhere at or below this height leave `waiting` (inserts skip
        // those executed at or below the node's height already). Walking the log of first
        // executions once per node, instead of scanning `waiting` per decision, keeps an
        // overloaded chain linear.
        for &(r, at) in self.first_executed.since(node.first_seen) {
            node.executed_above.entry(at).or_default().push(r);
        }
        node.first_seen = self.first_executed.end();
        let above = node.executed_above.split_off(&(height + 1));
        for (_, rs) in std::mem::replace(&mut node.executed_above, above) {
            for r in rs {
                node.waiting.remove(&r);
            }
        }
        self.release(node, height);
        node.height = height + 1;
        node.round = 0;
        node.locked = None;
        node.valid = None;
        node.votes.clear();
        node.equivocated.clear();
        if let Some(next) = node.pending.remove(&node.height) {
            self.decide(node, ctx, next);
            return;
        }
        node.pending = node.pending.split_off(&node.height);
        self.start_round(node, ctx, 0);
        for (from, msg) in std::mem::take(&mut node.next) {
            self.receive(node, ctx, from, msg);
        }
    }

    /// Sends `peer` the decisions from `height` on, at most once per timeout for one height.
    pub(super) fn help(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        peer: u32,
        height: u64,
    ) {
        let (h, at) = node.helped[peer as usize];
        let wait = self.timeout(self.params.timeout_prevote_ms, 0);
        if h == height && ctx.now < at + wait {
            return;
        }
        node.helped[peer as usize] = (height, ctx.now);
        let last = (node.height - 1).min(height + CATCH_UP_MAX - 1);
        // Decisions at or below the floor are decided by every live validator: not sent.
        for hh in height.max(self.floor + 1)..=last {
            if let Some(&b) = node.decided.get(&hh) {
                self.send(ctx, peer, Msg::Decision(hh, b));
            }
        }
    }

    /// `node` has decided through `height` and read the whole log of first executions:
    /// releases what no live validator can need any more, its own decisions at or below the
    /// floor among them.
    pub(super) fn release(&mut self, node: &mut Node, height: u64) {
        if let Some(upto) = self.seen.advance(node.id, node.first_seen) {
            self.first_executed.release(upto);
        }
        if let Some(everywhere) = self.exec.advance(node.id, height) {
            self.release_below(everywhere);
        }
        if !self.recording {
            while let Some((&h, _)) = node.decided.first_key_value()
                && h <= self.floor
            {
                node.decided.pop_first();
                node.decided_at.pop_first();
                self.held -= 1;
            }
        }
        self.note_held();
    }

    /// Every live validator has decided through `everywhere`.
    pub(super) fn release_below(&mut self, everywhere: u64) {
        self.requests.release(everywhere);
        if !self.recording {
            self.floor = self.floor.max(everywhere.saturating_sub(KEEP));
            self.blocks.release(self.floor);
        }
    }
}
