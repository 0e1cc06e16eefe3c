//! Client transactions relayed between validators as messages (`network.tx_relay: announce`;
//! see `consensus::tx_relay` for the model): Bitcoin's `inv` → `getdata` → `tx` per hop, the
//! transfer through the sender's shared upload link.

use super::{Msg, Nakamoto, Timer};
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

impl Nakamoto {
    /// Announces batch `b`, just received from `from` (`None`: from the fleet).
    pub(super) fn announce_txs(&self, b: u32, from: Option<u32>, ctx: &mut Ctx<Msg, Timer>) {
        if let Some(r) = &self.tx_relay {
            r.announce(b, from, ctx);
        }
    }

    /// What a node does with a transaction relay message about batch `b`.
    pub(super) fn on_tx_msg(&mut self, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg, b: u32) {
        let Some(r) = &mut self.tx_relay else { return };
        let step = match msg {
            Msg::TxInv(_) => Step::Announce,
            Msg::GetTx(_) => Step::Request,
            Msg::Tx(_) => Step::Send,
            _ => unreachable!("not a transaction relay message"),
        };
        r.on_step(step, b, from, ctx);
    }

    /// A request for batch `b` sent to `asked` went unanswered.
    pub(super) fn tx_stalled(&mut self, b: u32, asked: u32, ctx: &mut Ctx<Msg, Timer>) {
        if let Some(r) = &mut self.tx_relay {
            r.stalled(b, asked, ctx);
        }
    }

    /// When the pool's transaction in `slot` reached `node` under `tx_relay: announce`; `None`
    /// if it has not, or transactions take the fastest path.
    pub fn tx_arrival(&self, slot: u32, node: u32) -> Option<Time> {
        self.tx_relay.as_ref()?.tx_arrival(slot, node)
    }
}
