//! R3 Corda style notarisation: no broadcast, no blocks. A reading becomes a transaction
//! between two parties — the validator its gateway reports to (the initiator) and a
//! counterparty validator fixed per device — that consumes the device's previous output
//! state and produces the next. The initiator sends it to the counterparty, collects its
//! signature, and asks the notary service to notarise. The notary leader (validator 0) checks
//! that the input state was never consumed, first come first served, and either rejects the
//! transaction (dropped, reason `double_spend`) or replicates the commit through its cluster
//! and sends its signature to both parties. Settled = the notary signature has reached both
//! parties.
//!
//! Clusters (validators `0..nodes`): `single`; `raft` — the leader appends to every
//! follower and signs once a majority, itself included, acknowledged (one round trip); `bft`
//! — 3f + 1 replicas: the leader's pre-prepare, every backup's prepare to all replicas, a
//! commit vote to the leader from each replica holding 2f + 1 prepares (the pre-prepare
//! counting as the leader's), and the signature at 2f + 1 commits. Leader election and view
//! changes are not modelled here (no faults yet). Readings with `double_spend_share` reuse
//! the input their device's previous honest transaction consumed.

use super::{Ctx, NodeStats, Protocol, Report, TxIn};
use crate::engine::{Purpose, Time, draw_u64, draw_unit};
use crate::metrics::Metrics;
use crate::scenario::{self, NotaryCluster};
use std::collections::{HashMap, HashSet};

/// Signatures, notary and party identities, and the state references around the payload.
const ENVELOPE_BYTES: u64 = 400;
const VOTE_BYTES: u64 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Collecting,
    Notarising,
    Rejected,
    Signed,
}

struct NTx {
    tx: TxIn,
    origin: u32,
    counterparty: u32,
    input: u64,
    attempt: bool,
    stage: Stage,
    acks: u32,
    prepares: Vec<u8>,
    parties_signed: u8,
    messages: u32,
    settled_at: Time,
}

pub struct Notary {
    params: scenario::Notary,
    seed: u64,
    validators: u32,
    cluster: u32,
    txs: Vec<NTx>,
    /// Next state number of each device's honest chain.
    next_state: HashMap<u32, u32>,
    consumed: HashSet<u64>,
    collecting: u64,
    signed_unsettled: u64,
    settled: Vec<u64>,
    messages: u64,
    attempts: u64,
    rejected_attempts: u64,
    rejected_honest: u64,
}

#[derive(Clone, Debug)]
pub struct Node {
    id: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Propose(u32),
    Endorse(u32),
    Request(u32),
    Reject(u32),
    Append(u32),
    Ack(u32),
    PrePrepare(u32),
    Prepare(u32),
    Commit(u32),
    Signed(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {}

const LEADER: u32 = 0;

impl Notary {
    pub fn new(params: &scenario::Notary, validators: u32, seed: u64) -> Self {
        let cluster = match params.cluster {
            NotaryCluster::Single => 1,
            NotaryCluster::Raft { nodes } => nodes,
            NotaryCluster::Bft { faults } => 3 * faults + 1,
        };
        Notary {
            params: params.clone(),
            seed,
            validators,
            cluster,
            txs: Vec::new(),
            next_state: HashMap::new(),
            consumed: HashSet::new(),
            collecting: 0,
            signed_unsettled: 0,
            settled: vec![0; validators as usize],
            messages: 0,
            attempts: 0,
            rejected_attempts: 0,
            rejected_honest: 0,
        }
    }

    fn send(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg, bytes: u64) {
        self.messages += 1;
        let t = match msg {
            Msg::Propose(t)
            | Msg::Endorse(t)
            | Msg::Request(t)
            | Msg::Reject(t)
            | Msg::Append(t)
            | Msg::Ack(t)
            | Msg::PrePrepare(t)
            | Msg::Prepare(t)
            | Msg::Commit(t)
            | Msg::Signed(t) => t,
        };
        self.txs[t as usize].messages += 1;
        ctx.send(to, msg, bytes);
    }

    fn tx_bytes(&self, t: u32) -> u64 {
        u64::from(self.txs[t as usize].tx.bytes) + ENVELOPE_BYTES
    }

    fn counterparty(&self, device: u32, origin: u32) -> u32 {
        if self.validators == 1 {
            return origin;
        }
        let k = draw_u64(self.seed, device as u64, Purpose::Counterparty, 0)
            % (self.validators as u64 - 1);
        (origin + 1 + k as u32) % self.validators
    }

    fn quorum(&self) -> u32 {
        match self.params.cluster {
            NotaryCluster::Single => 1,
            NotaryCluster::Raft { nodes } => nodes / 2 + 1,
            NotaryCluster::Bft { faults } => 2 * faults + 1,
        }
    }

    /// The leader's uniqueness check, in arrival order.
    fn request(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
        let input = self.txs[t as usize].input;
        if !self.consumed.insert(input) {
            let n = &mut self.txs[t as usize];
            n.stage = Stage::Rejected;
            let origin = n.origin;
            if n.attempt {
                self.rejected_attempts += 1;
            } else {
                self.rejected_honest += 1;
            }
            self.collecting -= 1;
            ctx.metrics.on_dropped(ctx.now);
            self.send(ctx, origin, Msg::Reject(t), VOTE_BYTES);
            return;
        }
        self.txs[t as usize].stage = Stage::Notarising;
        let bytes = self.tx_bytes(t);
        match self.params.cluster {
            NotaryCluster::Single => self.sign(t, ctx),
            NotaryCluster::Raft { .. } => {
                self.txs[t as usize].acks = 1;
                if self.quorum() == 1 {
                    return self.sign(t, ctx);
                }
                for f in 1..self.cluster {
                    self.send(ctx, f, Msg::Append(t), bytes);
                }
            }
            NotaryCluster::Bft { .. } => {
                self.txs[t as usize].prepares = vec![0; self.cluster as usize];
                self.txs[t as usize].prepares[LEADER as usize] = 1;
                for r in 1..self.cluster {
                    self.send(ctx, r, Msg::PrePrepare(t), bytes);
                }
            }
        }
    }

    fn ack(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
        let q = self.quorum();
        let n = &mut self.txs[t as usize];
        n.acks += 1;
        if n.acks == q && n.stage == Stage::Notarising {
            self.sign(t, ctx);
        }
    }

    /// Replica `r` counts a prepare (or the pre-prepare); at 2f + 1 it votes commit.
    fn prepared(&mut self, t: u32, r: u32, ctx: &mut Ctx<Msg, Timer>) {
        let q = self.quorum();
        let p = &mut self.txs[t as usize].prepares[r as usize];
        *p += 1;
        if u32::from(*p) == q {
            if r == LEADER {
                self.ack(t, ctx);
            } else {
                self.send(ctx, LEADER, Msg::Commit(t), VOTE_BYTES);
            }
        }
    }

    fn sign(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
        let n = &mut self.txs[t as usize];
        n.stage = Stage::Signed;
        let (o, c, created) = (n.origin, n.counterparty, n.tx.created);
        self.collecting -= 1;
        self.signed_unsettled += 1;
        ctx.metrics.on_included(created, ctx.now);
        self.send(ctx, o, Msg::Signed(t), VOTE_BYTES);
        if c != o {
            self.send(ctx, c, Msg::Signed(t), VOTE_BYTES);
        }
    }
}

impl Protocol for Notary {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn new_node(&self, id: u32) -> Node {
        Node { id }
    }

    fn on_start(&mut self, _node: &mut Node, _ctx: &mut Ctx<Msg, Timer>) {}

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        for &tx in txs {
            ctx.metrics.on_reached(tx.uploaded, ctx.now);
            let key = |s: u32| (u64::from(tx.device) << 32) | u64::from(s);
            let next = self.next_state.entry(tx.device).or_insert(0);
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
            self.attempts += attempt as u64;
            let t = self.txs.len() as u32;
            let counterparty = self.counterparty(tx.device, node.id);
            self.txs.push(NTx {
                tx,
                origin: node.id,
                counterparty,
                input,
                attempt,
                stage: Stage::Collecting,
                acks: 0,
                prepares: Vec::new(),
                parties_signed: 0,
                messages: 0,
                settled_at: Time::MAX,
            });
            self.collecting += 1;
            let bytes = self.tx_bytes(t);
            if counterparty == node.id {
                self.send(ctx, LEADER, Msg::Request(t), bytes);
            } else {
                self.send(ctx, counterparty, Msg::Propose(t), bytes);
            }
        }
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, _from: u32, msg: Msg) {
        match msg {
            Msg::Propose(t) => {
                let o = self.txs[t as usize].origin;
                self.send(ctx, o, Msg::Endorse(t), VOTE_BYTES);
            }
            Msg::Endorse(t) => {
                let bytes = self.tx_bytes(t);
                self.send(ctx, LEADER, Msg::Request(t), bytes);
            }
            Msg::Request(t) => self.request(t, ctx),
            Msg::Reject(_) => {}
            Msg::Append(t) => self.send(ctx, LEADER, Msg::Ack(t), VOTE_BYTES),
            Msg::Ack(t) | Msg::Commit(t) => self.ack(t, ctx),
            Msg::PrePrepare(t) => {
                for r in 0..self.cluster {
                    if r != node.id {
                        self.send(ctx, r, Msg::Prepare(t), VOTE_BYTES);
                    }
                }
                // Its own prepare, then the pre-prepare.
                self.prepared(t, node.id, ctx);
                self.prepared(t, node.id, ctx);
            }
            Msg::Prepare(t) => self.prepared(t, node.id, ctx),
            Msg::Signed(t) => {
                let n = &mut self.txs[t as usize];
                n.parties_signed += 1;
                let parties = if n.counterparty == n.origin { 1 } else { 2 };
                if n.parties_signed == parties {
                    n.settled_at = ctx.now;
                    let (o, created) = (n.origin, n.tx.created);
                    ctx.metrics.on_settled(created, ctx.now);
                    self.settled[o as usize] += 1;
                    self.signed_unsettled -= 1;
                }
            }
        }
    }

    fn on_timer(&mut self, _node: &mut Node, _ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        match timer {}
    }

    fn mempool_len(&self) -> u64 {
        self.collecting
    }

    fn finish(&mut self, _nodes: &[Node], end: Time, _metrics: &mut Metrics) -> Report {
        // An independent pass over what was signed: no input may appear twice.
        let mut inputs: Vec<u64> = self
            .txs
            .iter()
            .filter(|n| n.stage == Stage::Signed)
            .map(|n| n.input)
            .collect();
        inputs.sort_unstable();
        let conflicts = inputs.windows(2).filter(|w| w[0] == w[1]).count();
        // Over transactions settled a minute before the end, so the votes beyond the quorum
        // that trail the signature have been sent too.
        let (mut count, mut sum) = (0u64, 0u64);
        let cutoff = end.saturating_sub(60 * crate::engine::NS_PER_S);
        for n in &self.txs {
            if n.settled_at < cutoff {
                count += 1;
                sum += u64::from(n.messages);
            }
        }
        Report {
            dropped: vec![(
                "double_spend".into(),
                self.rejected_attempts + self.rejected_honest,
            )],
            blocks: Vec::new(),
            nodes: self
                .settled
                .iter()
                .map(|&s| NodeStats {
                    settled_tx: s,
                    ..NodeStats::default()
                })
                .collect(),
            pending_in_mempool: self.collecting,
            pending_in_block: self.signed_unsettled,
            summary: vec![
                ("notary_cluster_nodes".into(), self.cluster as f64),
                ("double_spend_attempts".into(), self.attempts as f64),
                (
                    "double_spend_rejected".into(),
                    self.rejected_attempts as f64,
                ),
                ("honest_rejected".into(), self.rejected_honest as f64),
                ("conflicting_signed".into(), conflicts as f64),
                ("messages".into(), self.messages as f64),
                (
                    "messages_per_settled_tx".into(),
                    sum as f64 / count.max(1) as f64,
                ),
            ],
        }
    }
}
