//! XRP Ledger consensus (RPCA as implemented by rippled, `Consensus.h`, `ConsensusParms.h`).
//!
//! Every validator trusts a unique node list (UNL, itself included). A round starts when the
//! previous ledger is accepted. The open ledger closes on a heartbeat (`ledger_granularity_s`)
//! once it has been open `ledger_min_close_s` and holds transactions (or after
//! `ledger_idle_interval_s`, or when more than half of the UNL has already closed); the
//! validator then proposes the set of transactions it knows of that its ledger chain lacks.
//! On each heartbeat it re-votes every disputed transaction: it keeps or adds one when more
//! than the current threshold of its UNL's proposals (its own included) carry it, the
//! threshold rising with the round's time as a share of max(previous round,
//! `av_min_consensus_time_s`): 50 % before 50 %, 65 % before 85 %, 70 % before 200 %, then
//! 95 %. A changed position is proposed again, an unchanged one every `proposeINTERVAL`.
//! Consensus is declared once the round has lasted `ledger_min_consensus_s` and `quorum` of
//! the UNL peers currently proposing on this ledger (itself included) propose exactly this
//! validator's set (rippled's `checkConsensus`); the validator then builds the ledger (parent,
//! sequence, set) and sends a validation, at most one per sequence. A ledger is fully
//! validated at a node when `quorum` of its UNL validated it; settled = validated at the
//! validator the transaction's gateway reports to.
//!
//! Proposals and validations go directly to every validator; only UNL members' are counted.
//! Proposals built on another parent do not count in this round (one for a later round waits
//! for it). On every heartbeat a node finds the network's preferred ledger from its UNL's
//! newest ledgers and switches to it when its own ledger is behind or beside it (rippled's
//! wrong-ledger detection): after a split in which no side held a quorum, the minority (or
//! one half, by ledger id) joins the other's chain and full validation resumes. With disjoint UNLs each clique only ever
//! follows its own ledgers, which is how such a network forks. Close-time agreement is not
//! modelled: a ledger is identified by its parent and transaction set.
//!
//! *Byzantine validators* (`adversary: { kind: byzantine, … }`). An equivocating validator is
//! two-faced: it runs two copies of the protocol, one facing each half of the honest
//! validators (`Byzantine::half_of`), and sends each copy's proposals and validations only to
//! that half and to the other Byzantine validators' copy of the same face. The second face
//! always leaves out the first transaction of the set it closed with, whatever the disputes
//! say, so the two faces push different ledgers at one sequence. Honest validators hear one
//! face per Byzantine validator, so they count it once. A withholding validator sends no
//! proposal and no validation. With one shared UNL of `n` and quorum `q`, two conflicting
//! ledgers fully validated at one sequence need `(2q − 1)·n` validators to validate both, so
//! a fork needs that many Byzantine ones; liveness needs `q·n` honest ones.

use super::byzantine::Byzantine;
use super::quorum::Tally;
use super::{Carries, Ctx, Gossip, Kind, NodeStats, Protocol, Report, TxIn};
use crate::engine::{Time, from_secs, to_secs};
use crate::ledger::{BlockStore, GENESIS, Pool, TxRef};
use crate::metrics::{BlockRow, Metrics, Value};
use crate::scenario::{self, Unl};
use std::collections::{BTreeMap, HashMap};
use store::{Positions, Release};

mod faces;
mod round;
mod store;
mod validation;
mod vote;
mod wrong_ledger;

const PROPOSAL_BYTES: u64 = 200;
const VALIDATION_BYTES: u64 = 250;
const LEDGER_HEADER: u64 = 120;
/// Validations of ledgers this many ids below one a node fully validates no longer count.
const RELEASE_BELOW: u32 = 1_000;
/// rippled `ConsensusParms`: a position is re-sent this often while a round lasts
/// (`proposeINTERVAL`), a peer's position older than `proposeFRESHNESS` no longer counts, and
/// a validator that hears no peer at all waits `ledgerMAX_CONSENSUS` before accepting alone.
const PROPOSE_INTERVAL_S: f64 = 12.0;
const PROPOSE_FRESHNESS_S: f64 = 20.0;
const LEDGER_MAX_CONSENSUS_S: f64 = 15.0;

pub struct Xrpl {
    params: scenario::Xrpl,
    unl: Vec<Vec<u32>>,
    positions: Positions,
    ledgers: BlockStore,
    by_content: HashMap<(u32, u64), u32>,
    pool: Pool,
    /// First ledger fully validated at each sequence (anywhere), and whether another was too.
    validated_at: BTreeMap<u32, (u32, bool)>,
    forks: u64,
    settled: Vec<u64>,
    built: Vec<u32>,
    /// Accept times at each node, for the ledger interval.
    intervals: (u64, Time),
    byz: Byzantine,
    /// What `store` releases, and when.
    release: Release,
    /// Whether validators log every ledger they fully validate (`Xrpl::keep_logs`).
    keep_logs: bool,
    /// First ledger an honest validator fully validated at each sequence not yet decided by
    /// every honest one that can still run, and whether another honest one decided another.
    decided: BTreeMap<u32, (u32, bool)>,
    /// Sequences at which two honest validators fully validated different ledgers.
    conflicts: u64,
}

#[derive(Clone, Debug)]
pub struct Node {
    id: u32,
    lcl: u32,
    validated: u32,
    open_since: Time,
    /// Round start when establishing (closed), `None` while open.
    closed_at: Option<Time>,
    prev_round: Time,
    position: Option<u32>,
    /// When this node last sent its position.
    proposed_at: Time,
    /// Each validator's position for the round on `lcl`, with the time it arrived.
    proposals: Vec<Option<(u32, Time)>>,
    /// Each validator's newest position for any round (kept for a round this node has not
    /// reached yet), with the time it arrived.
    newest: Vec<Option<(u32, Time)>>,
    /// Each validator's newest ledger as its validations and proposals' parents show it: what
    /// the network is working on, for wrong-ledger detection.
    latest: Vec<Option<u32>>,
    /// Peers proposing when the previous round ended.
    prev_proposers: usize,
    /// When the pending heartbeat is due; an older one (from before a crash) is ignored.
    beat_at: Time,
    /// Highest sequence this node sent a validation for: it never validates two ledgers at
    /// one sequence (rippled's `canValidateSeq`).
    signed_seq: u32,
    /// Validations received: ledger → validators of this node's UNL that sent one. Ledgers
    /// more than a thousand ids below the last one fully validated are released.
    validations: Tally<u32>,
    last_accept: Option<Time>,
    /// Ledger this node fully validated at each sequence, and when: one entry per ledger,
    /// kept only when asked (`Xrpl::keep_logs`) so tests can compare nodes.
    validated_log: BTreeMap<u64, u32>,
    validated_times: BTreeMap<u64, Time>,
    /// Which face of a two-faced validator this copy is (`None`: honest).
    face: Option<bool>,
    /// An equivocating validator's second face.
    twin: Option<Box<Node>>,
    /// The transaction the second face leaves out of this round's set.
    excluded: Option<TxRef>,
}

impl Node {
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Sequence → ledger this node fully validated there (with `Xrpl::keep_logs`).
    pub fn validated(&self) -> &BTreeMap<u64, u32> {
        &self.validated_log
    }

    /// Sequence → time this node fully validated it.
    pub fn validated_times(&self) -> &BTreeMap<u64, Time> {
        &self.validated_times
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Propose(u32),
    Validate(u32),
    /// A validation from one face of a two-faced validator.
    ValidateAs {
        ledger: u32,
        face: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Heartbeat,
}

impl Xrpl {
    pub fn new(params: &scenario::Xrpl, validators: u32) -> Self {
        let n = validators;
        let unl = (0..n)
            .map(|v| match params.unl {
                Unl::All => (0..n).collect(),
                Unl::Cliques { overlap } => {
                    let half = n / 2;
                    let (own, other) = if v < half {
                        (0..half, half..n)
                    } else {
                        (half..n, 0..half)
                    };
                    let take = (overlap * other.len() as f64).round() as usize;
                    own.chain(other.take(take)).collect()
                }
            })
            .collect();
        Xrpl {
            params: params.clone(),
            unl,
            positions: Positions::default(),
            ledgers: BlockStore::new(n),
            by_content: HashMap::new(),
            pool: Pool::default(),
            validated_at: BTreeMap::new(),
            forks: 0,
            settled: vec![0; n as usize],
            built: vec![0; n as usize],
            intervals: (0, 0),
            byz: Byzantine::default(),
            release: Release::new(n, std::iter::empty()),
            keep_logs: false,
            decided: BTreeMap::new(),
            conflicts: 0,
        }
    }

    /// The protocol with the Byzantine validators `adversary` names (other adversaries: none).
    pub fn with_adversary(mut self, adversary: Option<&scenario::Adversary>) -> Self {
        let n = self.settled.len() as u32;
        self.byz = Byzantine::new(adversary, n);
        self.release = Release::new(n, (0..n).filter(|&v| self.byz.equivocates(v)));
        let mute: Vec<bool> = (0..n).map(|v| self.mute(v)).collect();
        if mute.contains(&true) {
            self.release.mute = mute;
        }
        self
    }

    pub fn byzantine(&self) -> &Byzantine {
        &self.byz
    }

    fn needed(&self, v: u32) -> usize {
        (self.params.quorum * self.unl[v as usize].len() as f64).ceil() as usize
    }

    /// Sends to every validator, or, from one face of a two-faced validator, to its half of
    /// the honest ones and to the Byzantine ones.
    fn broadcast(&self, face: Option<bool>, ctx: &mut Ctx<Msg, Timer>, msg: Msg, bytes: u64) {
        if self.byz.withholds(ctx.node) {
            return;
        }
        if face.is_none() && self.settled.len() as u32 == ctx.net.nodes() {
            return ctx.broadcast(msg, bytes);
        }
        for v in 0..self.settled.len() as u32 {
            let other_half = face.is_some_and(|f| self.byz.half_of(v) == Some(!f));
            if v != ctx.node && !other_half {
                ctx.send(v, msg, bytes);
            }
        }
    }

    fn beat(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let d = from_secs(self.params.ledger_granularity_s);
        node.beat_at = ctx.now + d;
        ctx.timer(d, Timer::Heartbeat);
    }
}

impl Xrpl {
    fn honest_node(&self, id: u32) -> Node {
        Node {
            id,
            lcl: GENESIS,
            validated: GENESIS,
            open_since: 0,
            closed_at: None,
            prev_round: 0,
            position: None,
            proposed_at: 0,
            proposals: vec![None; self.settled.len()],
            newest: vec![None; self.settled.len()],
            latest: vec![None; self.settled.len()],
            prev_proposers: 0,
            signed_seq: 0,
            beat_at: 0,
            validations: Tally::counting(),
            last_accept: None,
            validated_log: BTreeMap::new(),
            validated_times: BTreeMap::new(),
            face: None,
            twin: None,
            excluded: None,
        }
    }

    fn message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        self.catch_up(node, ctx.now);
        match msg {
            Msg::Propose(p) => {
                // A position for this round counts now; one for a later round (a peer a little
                // ahead) is kept for when this node gets there, without replacing the peer's
                // position in this round.
                let Some(pos) = self.positions.try_get(p) else {
                    return;
                };
                let (seq, parent) = (pos.seq, pos.parent);
                if self.trusts(node.id, from) {
                    self.saw(node, from, parent);
                }
                let newest = &mut node.newest[from as usize];
                let older = |q| self.positions.try_get(q).is_none_or(|q| seq >= q.seq);
                if newest.is_none_or(|(q, _)| older(q)) {
                    *newest = Some((p, ctx.now));
                }
                if parent == node.lcl {
                    node.proposals[from as usize] = Some((p, ctx.now));
                }
            }
            Msg::Validate(l) | Msg::ValidateAs { ledger: l, .. } => {
                self.validation(node, from, l, ctx)
            }
        }
    }
}

impl Protocol for Xrpl {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Propose(_) => Kind::new("proposal", Carries::Vote),
            Msg::Validate(_) | Msg::ValidateAs { .. } => Kind::new("validation", Carries::Vote),
        }
    }

    /// rippled relays each transaction whole (`TMTransaction`) to every peer but the sender
    /// (without its optional reduce-relay).
    fn gossip(&self) -> Option<Gossip> {
        Some(Gossip::Push)
    }

    fn new_node(&self, id: u32) -> Node {
        let mut node = self.honest_node(id);
        if self.byz.equivocates(id) {
            node.face = Some(true);
            let mut twin = self.honest_node(id);
            twin.face = Some(false);
            node.twin = Some(Box::new(twin));
        }
        node
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.beat(node, ctx);
    }

    /// A restarted server first learns which ledger each trusted peer works on (rippled's
    /// syncing mode; instant here), and joins the preferred one, its own stale ledger not
    /// counting. Proposing on the ledger it crashed with instead would start a branch that the
    /// others, on an exact tie of support, may abandon their own progress for. The heartbeat
    /// that fell due while it was down was lost.
    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        for &u in &self.unl[node.id as usize] {
            if u == node.id {
                continue;
            }
            if let Some(l) = (1..self.ledgers.len())
                .rev()
                .find(|&l| self.ledgers.has(l, u))
            {
                self.saw(node, u, l);
            }
        }
        let own = node.latest[node.id as usize].take();
        match self.preferred(node) {
            Some(l) => self.enter(node, l, ctx.now),
            None => node.latest[node.id as usize] = own,
        }
        self.beat(node, ctx);
    }

    fn on_transactions(&mut self, _node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        for &tx in txs {
            self.pool.insert(tx, ctx.now, ctx.node);
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            ctx.metrics.on_gossiped(ctx.node, tx.bytes);
        }
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        // A two-faced validator hands a message to the face the sender deals with.
        let face = match msg {
            _ if self.byz.is_honest(from) => self.byz.half_of(from),
            Msg::Propose(p) => match self.positions.try_get(p) {
                Some(pos) => pos.face,
                None => return,
            },
            Msg::ValidateAs { face, .. } => Some(face),
            Msg::Validate(_) => None,
        };
        match node.twin.take() {
            Some(mut twin) if face == Some(false) => {
                self.message(&mut twin, ctx, from, msg);
                node.twin = Some(twin);
            }
            twin => {
                node.twin = twin;
                self.message(node, ctx, from, msg);
            }
        }
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, _timer: Timer) {
        if ctx.now != node.beat_at {
            return;
        }
        self.beat(node, ctx);
        self.heartbeat(node, ctx);
        if let Some(mut twin) = node.twin.take() {
            self.heartbeat(&mut twin, ctx);
            node.twin = Some(twin);
        }
    }
    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.release.never_settles(node.id, self.settled.len());
        if self.release.floor.down_for_good(node.id) {
            self.release_below_floor();
        }
    }

    fn vote_usage(&self, nodes: &[Node]) -> super::quorum::Usage {
        nodes.iter().map(|n| n.validations.usage()).sum()
    }

    fn mempool_len(&self) -> u64 {
        self.pool.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], _end: Time, _metrics: &mut Metrics) -> Report {
        let main = self.ledgers.main_chain();
        let mut blocks = Vec::new();
        for (id, b) in self.ledgers.iter().skip(1) {
            blocks.push(BlockRow {
                block: id,
                height: b.height,
                miner: b.miner,
                mined_at_s: to_secs(b.mined_at),
                size_bytes: b.bytes,
                tx_count: b.tx_count,
                propagation_50_s: None,
                propagation_90_s: None,
                propagation_100_s: None,
                stale: !main[id as usize],
            });
        }
        let (mut in_block, mut in_mempool) = (0u64, 0u64);
        for (_, _, t) in self.pool.iter() {
            if t.included() {
                in_block += 1
            } else {
                in_mempool += 1
            }
        }
        let validated = nodes
            .iter()
            .map(|n| self.ledgers.get(n.validated).height)
            .max()
            .unwrap_or(0);
        let (count, total) = self.intervals;
        Report {
            ledger_bytes: None,
            leaders: None,
            dropped: Vec::new(),
            nodes: (0..self.settled.len())
                .map(|v| NodeStats {
                    settled_tx: self.settled[v],
                    ..NodeStats::default()
                })
                .collect(),
            pending_in_mempool: in_mempool,
            pending_in_block: in_block + self.release.stranded,
            summary: [
                ("ledgers_built".into(), Value::from(blocks.len())),
                ("validated_seq".into(), Value::from(validated)),
                ("forked_sequences".into(), Value::from(self.forks)),
            ]
            .into_iter()
            .chain(self.byz.rows_of(self.conflicts))
            .chain([(
                "ledger_interval_mean_s".into(),
                Value::from(if count > 0 {
                    to_secs(total) / count as f64
                } else {
                    f64::NAN
                }),
            )])
            .collect(),
            blocks,
        }
    }
}
