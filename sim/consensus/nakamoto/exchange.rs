//! What a node sends for a block: every copy at once under `relay_model: ideal`, and under
//! `announce` the inv / getdata / compact block / getblocktxn exchange and its stall timers.
//! The state the exchange keeps is in `relay.rs`.

use super::relay::{Fetch, INV_BYTES, Stage, TXN_OVERHEAD};
use super::{COMPACT_OVERHEAD, Msg, Nakamoto, SHORT_ID, Timer};
use crate::consensus::Ctx;
use crate::engine::{Purpose, draw_unit, from_secs};

impl Nakamoto {
    pub(super) fn relay(&self, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        // A light node (`relay: false`) sends only the blocks it mined.
        if !ctx.net.relays(ctx.node) && self.blocks.get(b).miner != ctx.node {
            return;
        }
        if let Some(a) = &self.announce {
            for &p in ctx.net.peers(ctx.node) {
                if self.blocks.has(b, p) {
                    continue;
                }
                if a.pushes_to(ctx.node, p) {
                    ctx.send(p, Msg::Compact(b), self.compact_size(b));
                } else {
                    ctx.send(p, Msg::Inv(b), INV_BYTES);
                }
            }
            return;
        }
        let full = self.blocks.get(b).bytes;
        let compact = match self.compact_bytes.get(b as usize) {
            Some(&c) if c > 0 => c,
            _ => COMPACT_OVERHEAD + SHORT_ID * u64::from(self.blocks.get(b).tx_count),
        };
        let sender_compact = self.compact[ctx.node as usize];
        for &p in ctx.net.peers(ctx.node) {
            // Peers announce what they hold (inv); nobody requests a block it already has.
            if self.blocks.has(b, p) {
                continue;
            }
            // A compact block that misses transactions costs the whole block (SimBlock's
            // model; the extra request round trip is not modelled). Drawn per (block, link)
            // from a counter-based stream, so relay choices never shift the miners' own
            // streams, and only for links where both ends relay compact blocks: no other
            // link reads the draw.
            let bytes = if sender_compact && self.compact[p as usize] {
                let link = (u64::from(b) << 32) | u64::from(p);
                let u = draw_unit(self.seed, link, Purpose::Relay, u64::from(ctx.node) + 1);
                if u >= self.params.compact_failure_rate {
                    compact
                } else {
                    full
                }
            } else {
                full
            };
            ctx.send(p, Msg::Block(b), bytes);
        }
    }

    /// Size of block `b`'s compact form.
    pub(super) fn compact_size(&self, b: u32) -> u64 {
        if let Some(bytes) = self.params.compact_block_bytes {
            return bytes;
        }
        match self.compact_bytes.get(b as usize) {
            Some(&c) if c > 0 => c,
            _ => COMPACT_OVERHEAD + SHORT_ID * u64::from(self.blocks.get(b).tx_count),
        }
    }

    /// Asks `from` for block `b` and arms the stall timer (Bitcoin Core gives a block
    /// download one block interval before it asks elsewhere: `BLOCK_DOWNLOAD_TIMEOUT_BASE`).
    pub(super) fn request(&mut self, b: u32, from: u32, stage: Stage, ctx: &mut Ctx<Msg, Timer>) {
        let Some(a) = &mut self.announce else { return };
        a.set_fetch(
            ctx.node,
            Fetch {
                block: b,
                stage,
                from,
            },
        );
        match stage {
            Stage::Requested => ctx.send(from, Msg::GetData(b), INV_BYTES),
            Stage::MissingTxs => {
                let share = a.missing_share(b, from, ctx.node);
                let missing = (share * f64::from(self.blocks.get(b).tx_count)).ceil() as u64;
                ctx.send(from, Msg::GetBlockTxn(b), TXN_OVERHEAD + missing);
            }
        }
        if self.stall_timers {
            ctx.timer(from_secs(self.params.block_interval_s), Timer::Stalled(b));
        }
    }

    /// Announce/request relay: what a node does with each message.
    pub(super) fn on_announce_msg(&mut self, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        let Some(a) = &mut self.announce else { return };
        let node = ctx.node;
        match msg {
            Msg::Inv(b) => {
                if self.blocks.has(b, node) || a.fetch(node, b).is_some() {
                    return;
                }
                a.first_announcer(node, from);
                self.request(b, from, Stage::Requested, ctx);
            }
            Msg::GetData(b) => {
                if a.compact_link(node, from) {
                    let bytes = self.compact_size(b);
                    ctx.send(from, Msg::Compact(b), bytes);
                } else {
                    ctx.send(from, Msg::Block(b), self.blocks.get(b).bytes);
                }
            }
            Msg::Compact(b) => {
                if self.blocks.has(b, node) {
                    return;
                }
                match a.fetch(node, b) {
                    Some(f) if f.stage == Stage::MissingTxs => return,
                    Some(_) => {}
                    None => a.first_announcer(node, from),
                }
                if a.reconstructs(b, from, node) {
                    self.got_block(b, ctx);
                } else {
                    self.request(b, from, Stage::MissingTxs, ctx);
                }
            }
            Msg::GetBlockTxn(b) => {
                let share = a.missing_share(b, node, from);
                let bytes = (share * self.blocks.get(b).bytes as f64).round() as u64;
                ctx.send(from, Msg::BlockTxn(b), TXN_OVERHEAD + bytes);
            }
            Msg::Block(b) | Msg::BlockTxn(b) => self.got_block(b, ctx),
            Msg::TxInv(_) | Msg::GetTx(_) | Msg::Tx(_) => unreachable!("handled by on_tx_msg"),
        }
    }

    /// A request for `b` went unanswered (its peer crashed or the message was lost): ask the
    /// next peer, in id order after the one asked, that holds it.
    pub(super) fn stalled(&mut self, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        let Some(a) = &mut self.announce else { return };
        let Some(f) = a.fetch(ctx.node, b) else {
            return;
        };
        if self.blocks.has(b, ctx.node) {
            return;
        }
        a.done(ctx.node, b);
        let peers = ctx.net.peers(ctx.node);
        let start = peers.partition_point(|&p| p <= f.from);
        let next = peers[start..]
            .iter()
            .chain(&peers[..start])
            .copied()
            // A light node serves only the blocks it mined.
            .find(|&p| {
                self.blocks.has(b, p) && (ctx.net.relays(p) || self.blocks.get(b).miner == p)
            });
        if let Some(p) = next {
            self.request(b, p, Stage::Requested, ctx);
        }
    }
}
