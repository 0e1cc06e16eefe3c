//! What a Nakamoto validator does with a block once it holds it all: validation (time
//! proportional to size), then the execution of its transactions on the validator's own
//! cores (`validators.execution`), then adoption if it makes a longer chain, and settlement
//! of what became `confirmations` deep. A miner executes the block it mined the same way,
//! mining on it meanwhile. Mining and relay are in `mining.rs`, `exchange.rs` and `relay.rs`.

use super::{Msg, Nakamoto, Node, Timer};
use crate::consensus::Ctx;
use crate::engine::from_secs;
use crate::ledger::TxKind;

impl Nakamoto {
    /// Block data for `node` is complete: validate and execute, then adopt and relay.
    pub(super) fn got_block(&mut self, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        if let Some(a) = &mut self.announce {
            a.done(ctx.node, b);
        }
        if self.blocks.receive(b, ctx.node, ctx.now) {
            let delay = ctx.now - self.blocks.get(b).mined_at;
            ctx.metrics.block_arrival.record(delay);
            let mb = self.blocks.get(b).bytes as f64 / 1e6;
            let checked = ctx.now + from_secs(mb * self.params.validation_s_per_mb);
            let done = ctx.execute_block(checked, &self.kinds[b as usize]);
            ctx.timer(done - ctx.now, Timer::Validated(b));
        }
    }

    /// The miner executes `b`, which it just mined, with `kinds` transactions of each kind:
    /// it adopts it once done and mines on it meanwhile (at once when execution is free).
    pub(super) fn execute_own(
        &mut self,
        node: &mut Node,
        b: u32,
        kinds: &[u32; TxKind::COUNT],
        ctx: &mut Ctx<Msg, Timer>,
    ) {
        let done = ctx.execute_block(ctx.now, kinds);
        if done > ctx.now {
            node.own = Some(b);
            ctx.timer(done - ctx.now, Timer::Executed(b));
        } else {
            self.adopt(node, b, ctx);
        }
    }

    /// The miner has executed its own block `b`: it adopts it.
    pub(super) fn executed_own(&mut self, node: &mut Node, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        if node.own == Some(b) {
            node.own = None;
        }
        self.adopt(node, b, ctx);
    }

    /// Switches to `b` if it makes a longer chain, then settles what became deep enough.
    pub(super) fn adopt(&mut self, node: &mut Node, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        let (hb, ht) = (self.blocks.get(b).height, self.blocks.get(node.tip).height);
        if hb < ht || (hb == ht && (b == node.tip || !self.tie_to_pool(node.id, b, node.tip, ctx)))
        {
            return;
        }
        node.tip = b;
        if self.attack.is_none() {
            self.blocks.adopted(node.id, b);
        }
        let k = self.params.confirmations;
        let h = self.blocks.get(b).height;
        if h + 1 < k {
            return;
        }
        let target = self.deep_ancestor(b, h + 1 - k);
        // Usually the chain grew by one block: the new target extends the old.
        let fork = if self.blocks.get(target).parent == node.confirmed {
            node.confirmed
        } else {
            self.blocks.fork_point(node.confirmed, target)
        };
        let reverted = self.blocks.get(node.confirmed).height - self.blocks.get(fork).height;
        ctx.metrics.reverted_settlements += u64::from(reverted);
        let fork_h = self.blocks.get(fork).height;
        let target_h = self.blocks.get(target).height;
        for height in fork_h + 1..=target_h {
            let c = self.blocks.ancestor(target, height);
            self.settle_block(node.id, c, ctx);
            self.blocks.confirm(c);
        }
        node.confirmed = target;
    }

    /// The ancestor of `b` at height `h`, the height `confirmations` below it: the same for
    /// every node that adopts `b`, so walked once per block rather than once per adoption.
    fn deep_ancestor(&mut self, b: u32, h: u32) -> u32 {
        if let Some(&d) = self.deep.get(b as usize)
            && d != u32::MAX
        {
            return d;
        }
        let d = self.blocks.ancestor(b, h);
        if self.deep.len() <= b as usize {
            self.deep.resize(b as usize + 1, u32::MAX);
        }
        self.deep[b as usize] = d;
        d
    }

    fn settle_block(&mut self, node: u32, c: u32, ctx: &mut Ctx<Msg, Timer>) {
        let block = self.blocks.get(c);
        let settled = &mut self.settled[node as usize];
        let relay = &mut self.tx_relay;
        self.pool.take_own(block, node, |slot, t| {
            // Executed when the block reached this validator.
            ctx.settle_executed(t.tag(), t.created(), block.tx_count);
            *settled += 1;
            if let Some(r) = relay {
                r.released(slot);
            }
        });
    }
}
