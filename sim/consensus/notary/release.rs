//! What the notary holds and what it lets go: transactions once nothing names them
//! (`txs.rs`), consumed states once no transaction can name them, and the count of items
//! held that the memory tests read.

use super::{Node, Notary, Stage, checkpoint};
use crate::engine::Time;

impl Notary {
    /// What a cluster member lets go as it handles any message or timer (BFT or Raft).
    pub(super) fn member_release(&mut self, node: &mut Node) {
        if node.id >= self.cluster {
            return;
        }
        if self.is_bft() {
            self.bft_release(node);
        }
        if self.is_raft() {
            self.raft_release(node);
        }
    }

    /// Transactions, consumed states, the members' records and the `blocks` rows still open
    /// held now (not the closed output rows, nor records of elections and view changes).
    pub fn held(&self, nodes: &[Node]) -> usize {
        let members: usize = nodes.iter().map(Node::held).sum();
        self.rows.open_len()
            + self.txs.len()
            + self.consumed.len()
            + self.entries.len()
            + self.history.len()
            + self.bft.len()
            + self.vc_store.len()
            + self.nv_store.len()
            + members
    }

    /// The most `blocks` rows open at once: transactions ordered that some live member had
    /// yet to apply.
    pub fn peak_open_rows(&self) -> usize {
        self.rows.peak_open()
    }

    /// The most transactions tracked at once.
    pub fn peak_transactions(&self) -> usize {
        self.txs.peak()
    }

    /// Lets go of the transactions nothing can name again (`txs.rs`), and of the consumed
    /// states no transaction can name again. A device's transactions that consume one state
    /// are created while it is the device's latest, one after another, and the next honest
    /// one consumes a later state: once that one exists and those before it are released,
    /// the state is looked up no more, so the uniqueness check stays exact for every
    /// transaction of the run while the set holds about a state per device.
    pub(super) fn release(&mut self, now: Time) {
        let quorum_stable = self.bft.quorum_stable(&self.params.cluster);
        let mut retired = Vec::new();
        let bft = &mut self.bft;
        self.txs.release(
            now,
            self.linger,
            |_, n| checkpoint::Checkpoint::may_release(n, quorum_stable),
            |t, n| {
                bft.released(t, n);
                if n.last_namer {
                    retired.push(n.input);
                }
            },
        );
        for x in retired {
            self.retire(x);
        }
    }

    /// Validator `v` is down for good (its crash began at `now`): it asks and hears nothing
    /// more. A transaction it is party to that the notary decided is done once the live party
    /// heard the outcome (`check_done`); one it still had to propose, with neither party
    /// having asked the notary, is stranded, as is one whose origin finds its counterparty
    /// down for good (`on_propose_timer`): nothing will carry it to the notary, so it stays
    /// pending among those collecting. Kept, each would be tracked to the end of the run and
    /// hold back the release of every transaction after it.
    pub(super) fn party_gone(&mut self, v: u32, now: Time) {
        if v < self.cluster && !self.gone[v as usize] {
            self.members_gone += 1;
        }
        self.gone[v as usize] = true;
        let named: Vec<u32> = self
            .txs
            .iter()
            .filter(|(_, n)| n.done_at == Time::MAX && (n.origin == v || n.counterparty == v))
            .map(|(t, _)| t)
            .collect();
        for t in named {
            let n = &mut self.txs[t];
            if n.origin == v && n.stage == Stage::Collecting && n.round == 0 && !n.cp_asked {
                n.done_at = now;
            } else {
                self.check_done(t, now);
            }
        }
    }

    /// No transaction still tracked or yet to be created consumes state `x`.
    pub(super) fn retire(&mut self, x: u64) {
        self.consumed.remove(&x);
        self.history.remove(&x);
        self.bft.retire(x);
        let (device, state) = ((x >> 32) as u32, x as u32);
        if let Some(c) = self.chains.get_mut(&device) {
            debug_assert!(c.retired_below <= state + 1);
            c.retired_below = state + 1;
        }
    }

    /// Whether no transaction still tracked or yet to be created consumes state `x`.
    pub(super) fn retired(&self, x: u64) -> bool {
        let (device, state) = ((x >> 32) as u32, x as u32);
        self.chains
            .get(&device)
            .is_some_and(|c| state < c.retired_below)
    }

    /// The message or timer names a transaction released: `txs.rs` argues none does.
    pub(super) fn names_released(&self, t: Option<u32>) -> bool {
        let released = t.is_some_and(|t| !self.txs.kept(t));
        debug_assert!(!released, "transaction {t:?} named after its release");
        released
    }
}
