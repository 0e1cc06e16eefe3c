//! The notary as a `Protocol`: the engine's events dispatched to the parties' side
//! (`parties.rs`), the clusters (`cluster.rs`, `bft.rs`) and the release (`release.rs`), and
//! the run's report.

use super::{
    Chain, LEADER, Msg, NOTARY_LOG_BYTES, NTx, Node, Notary, Role, Stage, Timer, VOTE_BYTES,
};
use crate::consensus::election::{Ask, Election, Seat};
use crate::consensus::quorum::Tally;
use crate::consensus::{Carries, Ctx, Kind, NodeStats, Protocol, Report, TxIn};
use crate::engine::{Purpose, Time, draw_unit};
use crate::metrics::{Metrics, Value};
use std::collections::{BTreeMap, BTreeSet};

impl Protocol for Notary {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Propose(_) => Kind::new("propose", Carries::Transactions),
            Msg::Endorse(_) => Kind::new("endorse", Carries::Vote),
            Msg::Request(_) => Kind::new("request", Carries::Transactions),
            Msg::Reject(_) => Kind::new("reject", Carries::Vote),
            Msg::Append { .. } => Kind::new("append", Carries::Block),
            Msg::AppendAck { .. } => Kind::new("append_ack", Carries::Vote),
            Msg::Election(Ask::Vote { .. }) => Kind::new("vote", Carries::Control),
            Msg::Election(Ask::VoteAck { .. }) => Kind::new("vote_ack", Carries::Control),
            Msg::Snapshot { .. } => Kind::new("install_snapshot", Carries::Block),
            Msg::PrePrepare { .. } => Kind::new("pre_prepare", Carries::Block),
            Msg::Prepare { .. } => Kind::new("prepare", Carries::Vote),
            Msg::Commit { .. } => Kind::new("commit", Carries::Vote),
            Msg::ViewChange { .. } => Kind::new("view_change", Carries::Control),
            Msg::Forward(_) => Kind::new("forward", Carries::Transactions),
            Msg::Executed(_) => Kind::new("executed", Carries::Vote),
            Msg::NewView { .. } => Kind::new("new_view", Carries::Control),
            Msg::Signed(_) => Kind::new("signed", Carries::Vote),
        }
    }

    fn new_node(&self, id: u32) -> Node {
        let members = self.cluster as usize;
        Node {
            id,
            hint: LEADER,
            seat: Seat::default(),
            log: vec![0],
            base: 0,
            states: 0,
            commit: 0,
            applied: 0,
            next_index: vec![1; members],
            match_index: vec![0; members],
            sent_at: vec![0; members],
            election_epoch: 0,
            consumed: BTreeMap::new(),
            in_log: BTreeMap::new(),
            view: 0,
            changing: false,
            new_view: 0,
            vc_tries: 0,
            pp: BTreeMap::new(),
            ordered: BTreeMap::new(),
            pcount: Tally::per_sender(self.cluster),
            prepared_at: BTreeSet::new(),
            certs: BTreeMap::new(),
            ccount: Tally::per_sender(self.cluster),
            resend_armed: false,
            committed: BTreeSet::new(),
            exec: 0,
            next_seq: 1,
            results: BTreeMap::new(),
            stable: 0,
            waiting: BTreeSet::new(),
            forwarders: BTreeMap::new(),
            progress_epoch: 0,
            vcs: BTreeMap::new(),
            vc_id: 0,
            nv_id: None,
            reported: 0,
            floor: 0,
            pruned_at: 0,
        }
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if self.is_raft() && node.id < self.cluster {
            self.start_member(node, ctx);
        }
    }

    fn on_down_for_good(&mut self, node: &mut Node, now: Time) {
        if self.is_raft() && node.id < self.cluster {
            self.member_gone(node);
        }
        self.rows.down_for_good(node.id);
        self.party_gone(node.id, now);
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if !self.is_raft() && !self.is_bft() {
            return;
        }
        if node.id < self.cluster {
            if self.is_raft() {
                self.recover_member(node, ctx);
            } else {
                self.recover_bft_member(node, ctx);
            }
        }
        // Retry timers that fell due while down were lost. A released transaction was
        // answered.
        let again: Vec<u32> = self
            .txs
            .iter()
            .filter(|(_, n)| n.origin == node.id && n.round > 0 && !n.answered)
            .map(|(t, _)| t)
            .collect();
        for t in again {
            self.ask_notary(node, ctx, t);
        }
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        self.release(ctx.now);
        for &tx in txs {
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            let key = |s: u32| (u64::from(tx.device) << 32) | u64::from(s);
            let t = self.txs.next_id();
            let chain = self.chains.entry(tx.device).or_insert(Chain {
                next: 0,
                last_tx: u32::MAX,
                retired_below: 0,
            });
            let previous = std::mem::replace(&mut chain.last_tx, t);
            let next = &mut chain.next;
            let u = draw_unit(
                self.seed,
                tx.device as u64,
                Purpose::DoubleSpend,
                tx.seq as u64,
            );
            let attempt = *next > 0 && u < self.params.double_spend_share;
            let input = if attempt {
                key(*next - 1)
            } else {
                *next += 1;
                key(*next - 1)
            };
            let next = *next;
            self.attempts += attempt as u64;
            if !attempt && previous != u32::MAX {
                // The device moves on: no later transaction consumes the previous input.
                match self.txs.get_mut(previous) {
                    Some(p) => p.last_namer = true,
                    None => self.retire(key(next - 2)),
                }
            }
            let counterparty = self.counterparty(tx.device, node.id);
            let pushed = self.txs.push(NTx {
                tx,
                origin: node.id,
                counterparty,
                input,
                attempt,
                stage: Stage::Collecting,
                parties_signed: 0,
                messages: 0,
                settled_at: Time::MAX,
                round: 0,
                sent_to: u32::MAX,
                answered: false,
                cp_heard: false,
                cp_asked: false,
                done_at: Time::MAX,
                last_namer: false,
                seq: 0,
            });
            debug_assert_eq!(pushed, t);
            self.collecting += 1;
            let bytes = self.tx_bytes(t);
            if counterparty == node.id {
                self.ask_notary(node, ctx, t);
            } else {
                self.send(ctx, counterparty, Msg::Propose(t), bytes);
                ctx.timer(self.retry, Timer::Propose(t));
            }
        }
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        let named = match msg {
            Msg::Propose(t)
            | Msg::Endorse(t)
            | Msg::Request(t)
            | Msg::Reject(t)
            | Msg::Forward(t)
            | Msg::Signed(t) => Some(t),
            _ => None,
        };
        if self.names_released(named) {
            return;
        }
        self.member_release(node);
        match msg {
            Msg::Propose(t) if self.txs[t].stranded() => {}
            Msg::Propose(t) => {
                let o = self.txs[t].origin;
                self.send(ctx, o, Msg::Endorse(t), VOTE_BYTES);
                ctx.timer(2 * self.retry, Timer::Await(t));
            }
            Msg::Endorse(t) if self.txs[t].round > 0 || self.txs[t].stranded() => {}
            Msg::Endorse(t) => self.ask_notary(node, ctx, t),
            Msg::Request(t) if self.is_raft() => self.on_request(node, ctx, t),
            Msg::Request(t) if self.is_bft() => self.bft_request(node, ctx, None, t),
            Msg::Forward(t) => self.bft_request(node, ctx, Some(from), t),
            Msg::Executed(t) => {
                node.waiting.remove(&t);
            }
            Msg::Request(t) => self.request(t, ctx),
            Msg::Reject(t) => {
                self.heard_answer(node, from, t);
                self.check_done(t, ctx.now);
            }
            Msg::Append {
                term,
                prev,
                last,
                commit,
            } => self.on_append(node, ctx, from, term, prev, last, commit),
            Msg::AppendAck {
                term, ok, matched, ..
            } => self.on_append_ack(node, ctx, from, term, ok, matched),
            Msg::Election(ask) => self.on_ask(node, ctx, from, ask),
            Msg::Snapshot {
                term,
                index,
                entry,
                states,
            } => self.on_snapshot(node, ctx, from, (term, index, entry, states)),
            Msg::PrePrepare {
                view,
                seq,
                t,
                stable,
            } => self.on_pre_prepare(node, ctx, from, view, seq, t, stable),
            Msg::Prepare { view, seq, .. } => self.on_prepare(node, ctx, from, view, seq),
            Msg::Commit { view, seq, .. } => self.commit_vote(node, ctx, from, view, seq),
            Msg::ViewChange { view, id } => self.on_view_change(node, ctx, from, view, id),
            Msg::NewView { view, id } => self.on_new_view(node, ctx, from, view, id),
            Msg::Signed(t) => {
                self.heard_answer(node, from, t);
                let n = &mut self.txs[t];
                let bit = if node.id == n.origin { 1 } else { 2 };
                if n.parties_signed & bit != 0 {
                    return;
                }
                n.parties_signed |= bit;
                let parties = if n.counterparty == n.origin { 1 } else { 3 };
                if n.parties_signed == parties {
                    n.settled_at = ctx.now;
                    let (o, created) = (n.origin, n.tx.created);
                    // Notarised one at a time: a receipt proves a single transaction.
                    ctx.settle(n.tx.tag(), created, 1);
                    self.settled[o as usize] += 1;
                    self.signed_unsettled -= 1;
                }
                // Done when settled, or when the party still lacking it is down for good.
                self.check_done(t, ctx.now);
            }
        }
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        let named = match timer {
            Timer::Retry { t, .. } | Timer::Propose(t) | Timer::Await(t) => Some(t),
            _ => None,
        };
        if self.names_released(named) {
            return;
        }
        self.member_release(node);
        match timer {
            Timer::Election(epoch) => {
                if epoch == node.election_epoch && node.seat.role != Role::Leader {
                    self.campaign(node, ctx);
                }
            }
            Timer::Heartbeat(term) => {
                if node.seat.role == Role::Leader && node.seat.term == term {
                    self.heartbeat(node, ctx);
                    ctx.timer(self.heartbeat, Timer::Heartbeat(term));
                }
            }
            Timer::Retry { t, round } => self.on_retry(node, ctx, t, round),
            Timer::Progress(epoch) => self.on_progress(node, ctx, epoch),
            Timer::Resend(view, exec) => self.on_resend(node, ctx, view, exec),
            Timer::ViewChange(view) => self.on_view_change_timer(node, ctx, view),
            Timer::VcResend(view, id) => self.on_vc_resend(node, ctx, view, id),
            Timer::Propose(t) => self.on_propose_timer(ctx, t),
            Timer::Await(t) => self.on_await(node, ctx, t),
        }
    }

    fn vote_usage(&self, nodes: &[Node]) -> crate::consensus::quorum::Usage {
        nodes
            .iter()
            .map(|n| n.pcount.usage() + n.ccount.usage())
            .sum()
    }

    fn spill_rows(&mut self, to: &crate::metrics::spill::Spill) {
        self.rows.0.spill_to(to);
    }

    fn mempool_len(&self) -> u64 {
        self.collecting
    }

    fn finish(&mut self, _nodes: &[Node], end: Time, _metrics: &mut Metrics) -> Report {
        // An independent pass over what was signed: no input may appear twice. Messages per
        // transaction over those settled a minute before the end, so the votes beyond the
        // quorum that trail the signature have been sent too.
        let cutoff = end.saturating_sub(60 * crate::engine::NS_PER_S);
        let signed = self.txs.signed(cutoff);
        let (conflicts, (count, sum)) = (signed.conflicts, signed.settled_before);
        Report {
            // Each member of the notary cluster keeps a uniqueness log: per signed transaction
            // the consumed state reference, the consuming transaction's id and the notary's
            // signature (see NOTARY_LOG_BYTES). The parties' own vaults are outside the run.
            ledger_bytes: Some(signed.count * NOTARY_LOG_BYTES),
            leaders: self.leader_rows(),
            dropped: vec![(
                "double_spend".into(),
                self.rejected_attempts + self.rejected_honest,
            )],
            blocks: self.rows.finish(),
            nodes: NodeStats::settled_only(&self.settled),
            pending_in_mempool: self.collecting,
            pending_in_block: self.signed_unsettled,
            summary: vec![
                ("notary_cluster_nodes".into(), Value::from(self.cluster)),
                ("notary_signed".into(), Value::from(self.signed)),
                ("double_spend_attempts".into(), Value::from(self.attempts)),
                (
                    "double_spend_rejected".into(),
                    Value::from(self.rejected_attempts),
                ),
                ("honest_rejected".into(), Value::from(self.rejected_honest)),
                ("conflicting_signed".into(), Value::from(conflicts)),
                ("notary_elections".into(), Value::from(self.elections.len())),
                (
                    "notary_view_changes".into(),
                    Value::from(self.view_changes.len()),
                ),
                ("messages".into(), Value::from(self.messages)),
                (
                    "messages_per_settled_tx".into(),
                    Value::from(sum as f64 / count.max(1) as f64),
                ),
            ],
        }
    }
}
