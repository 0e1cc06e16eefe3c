//! Proposals: the slot's proposer packs attestations and the transactions its chain lacks
//! into a block, and every validator relays a block it receives and follows it once executed.

use super::{ATTESTATION_BYTES, BLOCK_OVERHEAD, Msg, Node, Pos, Timer};
use crate::consensus::Ctx;
use crate::consensus::nakamoto::BACKGROUND_TX_BYTES;
use crate::ledger::{NO_BLOCK_ID, TxKind, TxRef};

/// Every pool entry before `pos` is carried by `block` or one of its ancestors (as long as
/// the pool's `epoch` is unchanged). Without it a proposer rescans every transaction still
/// awaiting finality, which grows without bound while finality stalls: quadratic run time.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scan {
    pub(super) pos: u64,
    pub(super) block: u32,
    pub(super) epoch: u64,
}

impl Pos {
    pub(super) fn relay(&self, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        let bytes = self.blocks.get(b).bytes;
        for &p in ctx.net.peers(ctx.node) {
            if !self.blocks.has(b, p) {
                ctx.send(p, Msg::Block(b), bytes);
            }
        }
    }

    /// `b` becomes the head if it is of a later slot (with honest validators and a network
    /// much faster than a slot, LMD-GHOST's choice).
    pub(super) fn follow(&self, node: &mut Node, b: u32) {
        if self.slot_of(b) > self.slot_of(node.head) {
            node.head = b;
        }
    }

    pub(super) fn propose(&mut self, node: &mut Node, slot: u64, ctx: &mut Ctx<Msg, Timer>) {
        let epoch = slot / self.spe;
        let mut room = self.params.max_block_bytes.saturating_sub(BLOCK_OVERHEAD);
        let mut bytes = BLOCK_OVERHEAD;
        // Attestations first (they are small and keep finality going), one aggregate per slot.
        // A released attestation is of an epoch no proposal takes any more (`votes.rs`).
        node.heard.retain(|&a| self.atts.open(a));
        let mut atts = Vec::new();
        let mut agg_slots = Vec::new();
        for &a in &node.heard {
            let at = *self.atts.get(a).expect("kept");
            if at.slot >= slot || at.slot / self.spe + 1 < epoch {
                continue;
            }
            if !agg_slots.contains(&at.slot) {
                if room < ATTESTATION_BYTES {
                    continue;
                }
                room -= ATTESTATION_BYTES;
                bytes += ATTESTATION_BYTES;
                agg_slots.push(at.slot);
            }
            atts.push(a);
        }
        for &a in &atts {
            self.atts.include(a);
        }
        let mut txs = Vec::new();
        let from = if !self.rescan
            && node.scan.epoch == self.pool.epoch()
            && self.blocks.is_ancestor(node.scan.block, node.head)
        {
            node.scan.pos
        } else {
            0
        };
        let epoch_seen = self.pool.epoch();
        let mut packing = ctx.exec.packing(self.slot / 3);
        // (still in the carried prefix, its end)
        let mut carried = (true, from);
        for (pos, s, generation, t) in self.pool.iter_from(from) {
            let in_chain = || {
                self.pool
                    .blocks(s)
                    .iter()
                    .any(|&b| b != NO_BLOCK_ID && self.blocks.is_ancestor(b, node.head))
            };
            if carried.0 {
                if in_chain() {
                    carried.1 = pos + 1;
                    continue;
                }
                carried.0 = false;
            }
            if u64::from(t.bytes()) > room || packing.as_ref().is_some_and(|p| !p.fits(t.kind())) {
                continue;
            }
            let known = match &self.tx_relay {
                Some(r) => r.tx_arrival(s, node.id).is_some_and(|a| a <= ctx.now),
                None => ctx
                    .reach
                    .delay(t.origin(), node.id, t.bytes())
                    .is_some_and(|d| t.reached + d <= ctx.now),
            };
            if !known || in_chain() {
                continue;
            }
            if let Some(p) = &mut packing {
                p.take(t.kind());
            }
            room -= u64::from(t.bytes());
            bytes += u64::from(t.bytes());
            txs.push(TxRef {
                origin: t.origin(),
                slot: s,
                generation,
            });
        }
        node.scan = Scan {
            pos: carried.1,
            block: node.head,
            epoch: epoch_seen,
        };
        // Padding stands for the rest of the chain's traffic: Nakamoto's 500-byte
        // transactions up to the block limit, within the same execution budget as the
        // fleet's, each executed as a reading.
        let mut padding = 0u64;
        if self.params.fill_blocks {
            match &mut packing {
                None => padding = room / BACKGROUND_TX_BYTES,
                Some(p) => {
                    while (padding + 1) * BACKGROUND_TX_BYTES <= room && p.fits(TxKind::Reading) {
                        p.take(TxKind::Reading);
                        padding += 1;
                    }
                }
            }
            bytes += padding * BACKGROUND_TX_BYTES;
        }
        let b = self.blocks.push(node.head, node.id, ctx.now, bytes, txs);
        debug_assert_eq!(self.slot_of(b), slot, "proposed at the slot's start");
        self.block_atts.push(atts);
        self.proposed[node.id as usize] += 1;
        let mut kinds = [0; TxKind::COUNT];
        for i in 0..self.blocks.get(b).txs.len() {
            let r = self.blocks.get(b).txs[i];
            let tx = self.pool.get(r.slot, r.generation).expect("live");
            kinds[tx.kind().index()] += 1;
            if self.pool.add_block(r.slot, b) {
                ctx.metrics.on_included(tx.created(), ctx.now);
            }
        }
        kinds[TxKind::Reading.index()] += u32::try_from(padding).unwrap_or(u32::MAX);
        if ctx.executes() {
            self.kinds.insert(b, kinds);
        }
        self.blocks.receive(b, node.id, ctx.now);
        self.arrived(node, b, ctx);
    }

    /// `node` holds `b`: it relays it at once and makes it its head once it has executed it.
    pub(super) fn arrived(&mut self, node: &mut Node, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        let done = ctx.execute_block(ctx.now, &self.kinds.get(b));
        if done > ctx.now {
            ctx.timer(done - ctx.now, Timer::Executed(b));
        } else {
            self.follow(node, b);
        }
        self.relay(b, ctx);
    }
}
