//! The parties' side of notarisation and what serves every cluster: messages sent and counted
//! per transaction, the origin's requests and retries, the counterparty's endorsement and
//! wait, the single notary's check, and signing or rejecting a transaction once decided.

use super::{Ctx, ENVELOPE_BYTES, LEADER, Msg, Node, Notary, Stage, Timer, VOTE_BYTES};
use crate::consensus::election::Election;
use crate::engine::Time;
use crate::scenario::NotaryCluster;

impl Notary {
    /// Sends `msg`; every message counts, and those serving one transaction count for it too
    /// (heartbeats and votes serve none).
    pub(super) fn send(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg, bytes: u64) {
        self.count(msg, 1);
        ctx.send(to, msg, bytes);
    }

    /// Counts `copies` messages of `msg`.
    pub(super) fn count(&mut self, msg: Msg, copies: u32) {
        self.messages += u64::from(copies);
        let t = match msg {
            Msg::Propose(t)
            | Msg::Endorse(t)
            | Msg::Request(t)
            | Msg::Reject(t)
            | Msg::Forward(t)
            | Msg::Executed(t)
            | Msg::Signed(t) => Some(t),
            Msg::PrePrepare { t, .. } | Msg::Prepare { t, .. } | Msg::Commit { t, .. } => t,
            Msg::Append { prev, last, .. } => {
                let e = self.entries[last];
                // Entries outlive their transactions (`txs.rs`): a released one was counted.
                (e.index > prev)
                    .then_some(e.tx)
                    .flatten()
                    .filter(|&t| self.txs.kept(t))
            }
            Msg::AppendAck {
                ok: true,
                last: Some(last),
                ..
            } => self.entries[last].tx.filter(|&t| self.txs.kept(t)),
            Msg::AppendAck { .. }
            | Msg::Snapshot { .. }
            | Msg::Election(_)
            | Msg::ViewChange { .. }
            | Msg::NewView { .. } => None,
        };
        if let Some(t) = t {
            self.txs[t].messages += copies;
        }
    }

    /// Marks `t` done once both parties heard its outcome: signed and settled, or rejected
    /// and heard by the origin and by a counterparty other than the origin. A party down for
    /// good asks nothing more, so it counts as having heard: a transaction signed that it
    /// never hears of stays pending in a block.
    pub(super) fn check_done(&mut self, t: u32, now: Time) {
        let n = &mut self.txs[t];
        let (o, c) = (n.origin as usize, n.counterparty as usize);
        let (o_gone, c_gone) = (self.gone[o], self.gone[c] || c == o);
        let done = match n.stage {
            Stage::Signed => {
                n.settled_at != Time::MAX
                    || ((n.parties_signed & 1 != 0 || o_gone)
                        && (n.parties_signed & 2 != 0 || c_gone))
            }
            Stage::Rejected => (n.answered || o_gone) && (n.cp_heard || c_gone),
            Stage::Collecting | Stage::Notarising => false,
        };
        if done && n.done_at == Time::MAX {
            n.done_at = now;
        }
    }

    /// The origin asks the notary, with a retry timer (the request or the answer may be lost).
    /// Single: the notary. Raft: its presumed leader. BFT: the member that last answered it,
    /// then, on a retry, every member (as a PBFT client does).
    pub(super) fn ask_notary(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        let bytes = self.tx_bytes(t);
        let to = node.hint;
        let n = &mut self.txs[t];
        let again = n.round > 0;
        n.sent_to = to;
        n.round = n.round.wrapping_add(1);
        let round = n.round;
        if again && self.is_bft() {
            for r in 0..self.cluster {
                self.send(ctx, r, Msg::Request(t), bytes);
            }
        } else {
            self.send(ctx, to, Msg::Request(t), bytes);
        }
        ctx.timer(self.retry, Timer::Retry { t, round });
    }

    pub(super) fn on_retry(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        t: u32,
        round: u32,
    ) {
        let n = &self.txs[t];
        if n.answered || n.round != round || self.notary_gone(t, ctx.now) {
            return;
        }
        // Unless a leader answered something meanwhile, the member asked may be down or
        // deposed: ask the next one.
        if self.txs[t].sent_to == node.hint && self.is_raft() {
            node.hint = (node.hint + 1) % self.cluster;
        }
        self.ask_notary(node, ctx, t);
    }

    /// A notary whose live members can never again form a quorum (a notary of one down for
    /// good, or more cluster members down for good than the quorum spares) decides nothing
    /// more: a party's retry or wait then ends `t` as it stands instead of asking again to the
    /// end of the run. Undecided, it is stranded, pending among those collecting, as one whose
    /// counterparty is down for good (`on_propose_timer`); decided, its outcome stays where it
    /// is (a rejection counted dropped, a signature a party never hears of pending in a block).
    fn notary_gone(&mut self, t: u32, now: Time) -> bool {
        let gone = self.quorum_gone();
        let n = &mut self.txs[t];
        if gone && n.done_at == Time::MAX {
            n.done_at = now;
        }
        gone
    }

    pub(super) fn tx_bytes(&self, t: u32) -> u64 {
        u64::from(self.txs[t].tx.bytes) + ENVELOPE_BYTES
    }

    pub(super) fn counterparty(&self, device: u32, origin: u32) -> u32 {
        super::counterparty(self.seed, self.validators, device, origin)
    }

    /// More members down for good than the quorum spares: the live ones never decide again.
    pub(super) fn quorum_gone(&self) -> bool {
        self.members_gone > self.cluster - self.quorum()
    }

    pub(super) fn quorum(&self) -> u32 {
        match self.params.cluster {
            NotaryCluster::Single => 1,
            NotaryCluster::Raft { .. } => self.majority(),
            NotaryCluster::Bft { faults } => 2 * faults + 1,
        }
    }

    /// The single notary's uniqueness check, in arrival order. A request asked again (its
    /// answer was lost) gets the same answer.
    pub(super) fn request(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
        match self.txs[t].stage {
            Stage::Signed => return self.sign(t, ctx),
            Stage::Rejected => return self.reject(t, ctx),
            Stage::Collecting | Stage::Notarising => {}
        }
        let input = self.txs[t].input;
        if !self.consumed.insert(input) {
            return self.reject(t, ctx);
        }
        self.txs[t].stage = Stage::Notarising;
        match self.params.cluster {
            NotaryCluster::Single => {
                self.sign(t, ctx);
                let (h, now) = (self.signed, ctx.now);
                self.rows.proposed(t, h, LEADER, now);
                self.rows.applied(t, h, LEADER, now);
            }
            NotaryCluster::Raft { .. } | NotaryCluster::Bft { .. } => {
                unreachable!("the clusters check when they execute")
            }
        }
    }

    /// Rejects `t` as a double spend (once; a repeated request only gets the rejection again).
    pub(super) fn reject(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
        let n = &mut self.txs[t];
        let origin = n.origin;
        if matches!(n.stage, Stage::Collecting | Stage::Notarising) {
            n.stage = Stage::Rejected;
            if n.attempt {
                self.rejected_attempts += 1;
            } else {
                self.rejected_honest += 1;
            }
            self.collecting -= 1;
            ctx.metrics.on_dropped_tx(n.tx.tag(), ctx.now);
        }
        self.send(ctx, origin, Msg::Reject(t), VOTE_BYTES);
        let n = &self.txs[t];
        if n.cp_asked && n.counterparty != origin {
            let c = n.counterparty;
            self.send(ctx, c, Msg::Reject(t), VOTE_BYTES);
        }
    }

    /// Under loss the proposal or the endorsement may be lost: the origin proposes again,
    /// unless the counterparty is down for good: then the transaction is stranded.
    pub(super) fn on_propose_timer(&mut self, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        let n = &mut self.txs[t];
        if n.round > 0 || n.stage != Stage::Collecting || n.done_at != Time::MAX {
            return;
        }
        if self.gone[n.counterparty as usize] {
            n.done_at = ctx.now;
            return;
        }
        let (c, bytes) = (n.counterparty, self.tx_bytes(t));
        self.send(ctx, c, Msg::Propose(t), bytes);
        ctx.timer(self.retry, Timer::Propose(t));
    }

    /// A counterparty that endorsed and heard no outcome (the signature may be lost) asks
    /// every member, as the origin's retry does; the leader answers it too.
    pub(super) fn on_await(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        let n = &self.txs[t];
        if n.cp_heard || n.parties_signed & 2 != 0 || node.id != n.counterparty || n.stranded() {
            return;
        }
        if self.notary_gone(t, ctx.now) {
            return;
        }
        self.txs[t].cp_asked = true;
        let bytes = self.tx_bytes(t);
        for r in 0..self.cluster {
            self.send(ctx, r, Msg::Request(t), bytes);
        }
        ctx.timer(2 * self.retry, Timer::Await(t));
    }

    /// Signs `t` (once; a repeated request only gets the signature again).
    pub(super) fn sign(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
        let n = &mut self.txs[t];
        let (o, c, created) = (n.origin, n.counterparty, n.tx.created);
        if matches!(n.stage, Stage::Collecting | Stage::Notarising) {
            n.stage = Stage::Signed;
            self.signed += 1;
            self.collecting -= 1;
            self.signed_unsettled += 1;
            ctx.metrics.on_included(created, ctx.now);
        }
        self.send(ctx, o, Msg::Signed(t), VOTE_BYTES);
        if c != o {
            self.send(ctx, c, Msg::Signed(t), VOTE_BYTES);
        }
    }
}
