//! Client transactions relayed between validators as messages (`network.tx_relay: announce`;
//! see `consensus::tx_relay` for the model): announce → request → transfer per hop, the
//! transfer through the sender's shared upload link.

use super::{Msg, Nakamoto, Timer};
use crate::consensus::Ctx;
use crate::consensus::tx_relay::{HASH_BYTES, STALL};
use crate::engine::Time;

impl Nakamoto {
    /// Announces batch `b`, just received from `from` (`None`: from the fleet), to every peer
    /// but `from` that does not hold it yet (one that does has announced it to this node, and
    /// Bitcoin nodes do not announce back what a peer announced: its known-inventory filter).
    /// A light node (`relay: false`) passes on only what entered at it, as it does blocks.
    pub(super) fn announce_txs(&self, b: u32, from: Option<u32>, ctx: &mut Ctx<Msg, Timer>) {
        let Some(r) = &self.tx_relay else { return };
        if from.is_some() && !ctx.net.relays(ctx.node) {
            return;
        }
        let Some((count, _)) = r.size(b) else { return };
        for &p in ctx.net.peers(ctx.node) {
            if Some(p) != from && r.arrival(b, p).is_none() {
                ctx.send(p, Msg::TxInv(b), HASH_BYTES * u64::from(count));
            }
        }
    }

    /// What a node does with a transaction relay message about batch `b`. Messages about a
    /// batch whose transactions have all settled are ignored.
    pub(super) fn on_tx_msg(&mut self, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg, b: u32) {
        let Some(r) = &mut self.tx_relay else { return };
        let node = ctx.node;
        match msg {
            Msg::TxInv(_) => {
                if r.heard(b, node) {
                    self.request_txs(b, from, ctx);
                }
            }
            Msg::GetTx(_) => {
                if let Some((_, bytes)) = r.size(b) {
                    ctx.send(from, Msg::Tx(b), bytes);
                }
            }
            Msg::Tx(_) => {
                if r.arrived(b, node, ctx.now) {
                    self.announce_txs(b, Some(from), ctx);
                }
            }
            _ => unreachable!("not a transaction relay message"),
        }
    }

    fn request_txs(&self, b: u32, from: u32, ctx: &mut Ctx<Msg, Timer>) {
        let Some((count, _)) = self.tx_relay.as_ref().and_then(|r| r.size(b)) else {
            return;
        };
        ctx.send(from, Msg::GetTx(b), HASH_BYTES * u64::from(count));
        if self.tx_stall_timers {
            ctx.timer(STALL, Timer::TxStalled(b, from));
        }
    }

    /// A request for batch `b` sent to `asked` went unanswered: ask the next peer, in id order
    /// after it, that holds the batch; with none, wait for the next announcement.
    pub(super) fn tx_stalled(&mut self, b: u32, asked: u32, ctx: &mut Ctx<Msg, Timer>) {
        let Some(r) = &mut self.tx_relay else { return };
        if !r.asked(b, ctx.node) {
            return;
        }
        let peers = ctx.net.peers(ctx.node);
        let start = peers.partition_point(|&p| p <= asked);
        let next = peers[start..]
            .iter()
            .chain(&peers[..start])
            .copied()
            .find(|&p| r.arrival(b, p).is_some() && (ctx.net.relays(p) || r.origin(b) == Some(p)));
        match next {
            Some(p) => self.request_txs(b, p, ctx),
            None => r.forget_ask(b, ctx.node),
        }
    }

    /// When the pool's transaction in `slot` reached `node` under `tx_relay: announce`; `None`
    /// if it has not, or transactions take the fastest path.
    pub fn tx_arrival(&self, slot: u32, node: u32) -> Option<Time> {
        self.tx_relay.as_ref()?.tx_arrival(slot, node)
    }
}
