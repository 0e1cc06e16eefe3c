//! Client transactions relayed between validators as messages (`network.tx_relay: announce`;
//! see `consensus::tx_relay` for the model): eth/68's `NewPooledTransactionHashes` →
//! `GetPooledTransactions` → `PooledTransactions` per hop, the transfer through the sender's
//! shared upload link, so a proposer packs only what reached it.

use super::{Msg, Pos, Timer};
use crate::consensus::Ctx;
use crate::consensus::tx_relay::{RelayMsg, StallTimer, Step};
use crate::engine::Time;

impl RelayMsg for Msg {
    fn relay(step: Step, b: u32) -> Self {
        match step {
            Step::Announce => Msg::TxInv(b),
            Step::Request => Msg::GetTx(b),
            Step::Send => Msg::Tx(b),
        }
    }
}

impl StallTimer for Timer {
    fn stalled(b: u32, asked: u32) -> Self {
        Timer::TxStalled(b, asked)
    }
}

impl Pos {
    /// What a node does with a transaction relay message.
    pub(super) fn on_tx_msg(&mut self, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        let Some(r) = &mut self.tx_relay else { return };
        let (step, b) = match msg {
            Msg::TxInv(b) => (Step::Announce, b),
            Msg::GetTx(b) => (Step::Request, b),
            Msg::Tx(b) => (Step::Send, b),
            _ => unreachable!("not a transaction relay message"),
        };
        r.on_step(step, b, from, ctx);
    }

    /// When the pool's transaction in `slot` reached `node` under `tx_relay: announce`; `None`
    /// if it has not, or transactions take the fastest path.
    pub fn tx_arrival(&self, slot: u32, node: u32) -> Option<Time> {
        self.tx_relay.as_ref()?.tx_arrival(slot, node)
    }
}
