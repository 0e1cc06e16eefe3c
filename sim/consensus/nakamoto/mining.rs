//! Mining: when a miner finds its next block, and what the block carries: its template (the
//! transactions the miner knows of that its chain lacks, oldest first, up to the size limit)
//! and the `fill_blocks` padding. What happens to a found block after (relay, execution,
//! an attacker's private chain) lives in `mod.rs`.

use super::{
    BACKGROUND_TX_BYTES, BLOCK_OVERHEAD, COMPACT_OVERHEAD, Msg, Nakamoto, Node, SHORT_ID, Timer,
};
use crate::adversary::Attack;
use crate::consensus::Ctx;
use crate::engine::{Time, from_secs};
use crate::ledger::{NO_BLOCK_ID, TxKind, TxRef};
use crate::scenario::Template;
use rand::RngExt;

impl Nakamoto {
    pub(super) fn next_find(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if let Some(s) = &self.schedule {
            if let Some(at) = s.next(node.id, ctx.now) {
                node.mine_at = at;
                ctx.timer(at - ctx.now, Timer::Mine);
            }
            return;
        }
        let share = self.hash_share[node.id as usize];
        if share > 0.0 {
            let u: f64 = 1.0 - ctx.rng.random::<f64>();
            let delay = from_secs(-u.ln() * self.params.block_interval_s / share).max(1);
            node.mine_at = ctx.now + delay;
            ctx.timer(delay, Timer::Mine);
        }
    }

    /// Transactions this miner knows of that its tip's chain does not carry, oldest first.
    pub(super) fn assemble(
        &mut self,
        node: u32,
        tip: u32,
        known_by: Time,
        ctx: &Ctx<Msg, Timer>,
    ) -> (Vec<TxRef>, u64) {
        let mut room = self.params.max_block_bytes.saturating_sub(BLOCK_OVERHEAD);
        let mut txs = Vec::new();
        let mut bytes = BLOCK_OVERHEAD;
        let smallest = u64::from(self.pool.min_bytes());
        for (slot, generation, t) in self.pool.iter() {
            if room < smallest {
                break;
            }
            if u64::from(t.bytes()) > room {
                continue;
            }
            let known = match &self.tx_relay {
                Some(r) => r.tx_arrival(slot, node).is_some_and(|a| a <= known_by),
                None => ctx
                    .reach
                    .delay(t.origin(), node, t.bytes())
                    .is_some_and(|d| t.reached + d <= known_by),
            };
            if !known {
                continue;
            }
            let in_chain = self
                .pool
                .blocks(slot)
                .iter()
                .any(|&b| b != NO_BLOCK_ID && self.blocks.is_ancestor(b, tip));
            if in_chain {
                continue;
            }
            room -= u64::from(t.bytes());
            bytes += u64::from(t.bytes());
            txs.push(TxRef {
                origin: t.origin(),
                slot,
                generation,
            });
        }
        (txs, bytes)
    }

    /// The block `node` mines on now.
    pub(super) fn parent(&self, node: &Node) -> u32 {
        match (&self.attack, node.own) {
            (Some(a), _) if self.is_attacker(node.id) => a.tip(),
            (_, Some(o)) if self.blocks.get(o).height > self.blocks.get(node.tip).height => o,
            _ => node.tip,
        }
    }

    /// Under `template: at_start`, notes when `node` started on the block it now mines on
    /// (called after every handler that can move its parent).
    pub(super) fn retemplate(&self, node: &mut Node, now: Time) {
        if self.params.template == Template::AtStart {
            let p = self.parent(node);
            if p != node.template.0 {
                node.template = (p, now);
            }
        }
    }

    pub(super) fn mine(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let attacker = self.is_attacker(node.id);
        let parent = self.parent(node);
        // What the block carries: what its miner knows of now, or (`at_start`) knew of when it
        // started on this parent.
        let known_by = match self.params.template {
            Template::Live => ctx.now,
            Template::AtStart => node.template.1,
        };
        let (txs, used) = self.assemble(node.id, parent, known_by, ctx);
        let background = if self.params.fill_blocks {
            self.params.max_block_bytes.saturating_sub(used) / BACKGROUND_TX_BYTES
        } else {
            0
        };
        let bytes = if self.params.fill_blocks {
            used.max(self.params.max_block_bytes)
        } else {
            used
        };
        let short_ids = txs.len() as u64 + background;
        let b = self.blocks.push(parent, node.id, ctx.now, bytes, txs);
        self.compact_bytes.resize(b as usize + 1, 0);
        self.compact_bytes[b as usize] = COMPACT_OVERHEAD + SHORT_ID * short_ids;
        self.mined[node.id as usize] += 1;
        let carried = self.blocks.get(b).txs.clone();
        let mut kinds = [0; TxKind::COUNT];
        for r in &carried {
            let tx = self.pool.get(r.slot, r.generation).expect("just selected");
            let (kind, created) = (tx.kind(), tx.created());
            kinds[kind.index()] += 1;
            if self.pool.add_block(r.slot, b) {
                ctx.metrics.on_included(created, ctx.now);
            }
        }
        // Padding stands for the rest of the chain's traffic, so every validator executes it
        // too: each padded transaction costs as a reading (one signature verification).
        kinds[TxKind::Reading.index()] += u32::try_from(background).unwrap_or(u32::MAX);
        self.kinds.resize(b as usize + 1, [0; TxKind::COUNT]);
        self.kinds[b as usize] = kinds;
        self.blocks.receive(b, node.id, ctx.now);
        if attacker {
            // It executes its block like any miner, on its own cores, but keeps mining on its
            // private chain meanwhile.
            ctx.execute_block(ctx.now, &kinds);
            let publish = match self.attack.as_mut() {
                Some(Attack::Selfish(s)) => s.on_mined(&self.blocks, b),
                Some(Attack::DoubleSpend(d)) => d.on_mined(&self.blocks, b, node.tip),
                None => None,
            };
            if let Some(h) = publish {
                self.publish(node, h, ctx);
            }
            return;
        }
        self.execute_own(node, b, &kinds, ctx);
        self.relay(b, ctx);
    }
}
