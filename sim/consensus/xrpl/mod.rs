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
use crate::ledger::{BlockStore, GENESIS, NO_BLOCK_ID, Pool, TxRef};
use crate::metrics::{BlockRow, Metrics, Value};
use crate::scenario::{self, Unl};
use std::collections::{BTreeMap, HashMap};
use store::{Position, Positions, Release, hash_set};

mod faces;
mod store;
mod vote;

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

    fn propose(&mut self, node: &mut Node, txs: Vec<TxRef>, ctx: &mut Ctx<Msg, Timer>) {
        // The dispute vote counts one yay per set a transaction is in.
        debug_assert!(
            txs.windows(2).all(|w| w[0] < w[1]),
            "a position is a sorted set"
        );
        let seq = self.ledgers.get(node.lcl).height + 1;
        debug_assert!(
            seq > self.release.floor.released(),
            "a round on a ledger below the floor"
        );
        let p = self.positions.push(Position {
            seq,
            parent: node.lcl,
            hash: hash_set(&txs),
            txs,
            face: node.face,
        });
        self.note_held();
        node.position = Some(p);
        node.proposals[node.id as usize] = Some((p, ctx.now));
        node.proposed_at = ctx.now;
        self.broadcast(node.face, ctx, Msg::Propose(p), PROPOSAL_BYTES);
    }

    fn close(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let mut txs = Vec::new();
        for (slot, generation, t) in self.pool.iter() {
            let known = ctx
                .reach
                .delay(t.origin(), node.id, t.bytes())
                .is_some_and(|d| t.reached + d <= ctx.now);
            let in_chain = self
                .pool
                .blocks(slot)
                .iter()
                .any(|&b| b != NO_BLOCK_ID && self.ledgers.is_ancestor(b, node.lcl));
            if known && !in_chain {
                txs.push(TxRef {
                    origin: t.origin(),
                    slot,
                    generation,
                });
            }
        }
        txs.sort_unstable();
        node.closed_at = Some(ctx.now);
        if node.face == Some(false) {
            node.excluded = txs.first().copied();
            txs.retain(|t| Some(*t) != node.excluded);
        }
        self.propose(node, txs, ctx);
    }

    /// Fresh proposals of this node's UNL peers for its next ledger.
    fn unl_positions(&self, node: &Node, now: Time) -> Vec<u32> {
        let fresh = from_secs(PROPOSE_FRESHNESS_S);
        self.unl[node.id as usize]
            .iter()
            .filter(|&&u| u != node.id)
            .filter_map(|&u| node.proposals[u as usize])
            .filter(|&(p, at)| at + fresh >= now && self.positions.parent_is(p, node.lcl))
            .map(|(p, _)| p)
            .collect()
    }

    /// Starts the round on `l`: positions peers already sent for it count at once.
    fn enter(&mut self, node: &mut Node, l: u32, now: Time) {
        // What `store` releases relies on it: no round starts below the validated ledger.
        debug_assert!(self.ledgers.get(l).height >= self.ledgers.get(node.validated).height);
        let l = self.above_floor(node, l);
        node.lcl = l;
        node.closed_at = None;
        node.position = None;
        node.open_since = now;
        node.latest[node.id as usize] = Some(l);
        self.ledgers.receive(l, node.id, now);
        for (cur, newest) in node.proposals.iter_mut().zip(&node.newest) {
            *cur = newest.filter(|&(p, _)| self.positions.parent_is(p, l));
        }
    }

    /// Notes that validator `from` works on (or past) ledger `l`.
    fn saw(&self, node: &mut Node, from: u32, l: u32) {
        let slot = &mut node.latest[from as usize];
        if slot.is_none_or(|old| self.ledgers.get(l).height >= self.ledgers.get(old).height) {
            *slot = Some(l);
        }
    }

    /// rippled's wrong-ledger detection (`LedgerTrie::getPreferred`): from the ledger this
    /// node fully validated, descend towards the child on which most of its UNL's newest
    /// ledgers (validations and proposals' parents) lie, as long as its lead over the next
    /// child exceeds the validators not yet past this sequence; an exact tie with none
    /// uncommitted goes to the larger ledger id, so both halves of an even split pick the
    /// same side. The ledger reached, when it is neither this node's ledger nor one of its
    /// ancestors.
    fn preferred(&self, node: &Node) -> Option<u32> {
        let tips: Vec<u32> = self.unl[node.id as usize]
            .iter()
            .filter_map(|&u| node.latest[u as usize])
            .filter(|&t| self.ledgers.is_ancestor(node.validated, t))
            .collect();
        let mut x = node.validated;
        loop {
            let h = self.ledgers.get(x).height;
            let mut uncommitted = 0;
            let mut kids: BTreeMap<u32, usize> = BTreeMap::new();
            for &t in &tips {
                if self.ledgers.get(t).height <= h {
                    uncommitted += 1;
                } else if self.ledgers.is_ancestor(x, t) {
                    *kids.entry(self.ledgers.ancestor(t, h + 1)).or_insert(0) += 1;
                }
            }
            let Some((&best, &most)) = kids.iter().max_by_key(|&(&c, &k)| (k, c)) else {
                break;
            };
            let second = kids
                .iter()
                .filter(|&(&c, _)| c != best)
                .map(|(_, &k)| k)
                .max()
                .unwrap_or(0);
            let margin = most - second;
            if margin > uncommitted || (margin == 0 && uncommitted == 0) {
                x = best;
            } else {
                break;
            }
        }
        (!self.ledgers.is_ancestor(x, node.lcl)).then_some(x)
    }

    fn establish(&mut self, node: &mut Node, closed_at: Time, ctx: &mut Ctx<Msg, Timer>) {
        let round = ctx.now - closed_at;
        let base = node
            .prev_round
            .max(from_secs(self.params.av_min_consensus_time_s));
        let percent = round as u128 * 100 / base.max(1) as u128;
        let threshold = match percent {
            0..50 => 50,
            50..85 => 65,
            85..200 => 70,
            _ => 95,
        };
        let mine = node.position.expect("closed");
        let others = self.unl_positions(node, ctx.now);
        let mine_hash = self.positions[mine as usize].hash;
        // Every trusted proposal carries this set: no dispute, and the vote would keep every
        // transaction (weight 100 %) but an excluded one this set does not hold anyway.
        // Skipping the vote then saves rebuilding and sorting the union each second.
        let unanimous = others
            .iter()
            .all(|&p| self.positions[p as usize].hash == mine_hash)
            && node
                .excluded
                .is_none_or(|x| self.positions[mine as usize].txs.binary_search(&x).is_err());
        let changed = if unanimous {
            None
        } else {
            let next = self.vote_disputes(node, mine, &others, threshold);
            (hash_set(&next) != mine_hash).then_some(next)
        };
        if let Some(next) = changed {
            self.propose(node, next, ctx);
        } else if ctx.now >= node.proposed_at + from_secs(PROPOSE_INTERVAL_S) {
            // Unchanged but old: peers that lost it (or were cut off) hear it again.
            node.proposed_at = ctx.now;
            self.broadcast(node.face, ctx, Msg::Propose(mine), PROPOSAL_BYTES);
        }
        let mine = node.position.expect("closed");
        let min_consensus = from_secs(self.params.ledger_min_consensus_s);
        if round < min_consensus {
            return;
        }
        // rippled's checkConsensus: agreement is counted among the peers proposing on this
        // ledger now (full validation, not this, needs a quorum of the UNL); when a quarter
        // of last round's proposers are missing, give them one more minimum round.
        let proposers = others.len();
        if proposers * 4 < node.prev_proposers * 3 && round < node.prev_round + min_consensus {
            return;
        }
        let hash = self.positions[mine as usize].hash;
        let agree = 1 + others
            .iter()
            .filter(|&&p| self.positions[p as usize].hash == hash)
            .count();
        let reached = if proposers == 0 {
            round > from_secs(LEDGER_MAX_CONSENSUS_S)
        } else {
            agree as f64 >= self.params.quorum * (proposers + 1) as f64
        };
        if reached {
            node.prev_round = round;
            node.prev_proposers = proposers;
            self.accept(node, mine, ctx);
        }
    }

    fn accept(&mut self, node: &mut Node, p: u32, ctx: &mut Ctx<Msg, Timer>) {
        let pos = &self.positions[p as usize];
        let key = (pos.parent, pos.hash);
        let l = match self.by_content.get(&key) {
            Some(&l) => l,
            None => {
                let txs = pos.txs.clone();
                let bytes = LEDGER_HEADER + txs.iter().map(|_| 250u64).sum::<u64>();
                let l = self.ledgers.push(pos.parent, node.id, ctx.now, bytes, txs);
                self.by_content.insert(key, l);
                self.hold_list(l);
                self.built[node.id as usize] += 1;
                for i in 0..self.ledgers.get(l).txs.len() {
                    let r = self.ledgers.get(l).txs[i];
                    // On a fork the reading may have settled elsewhere and its slot been
                    // reused by a newer one.
                    if self.pool.get(r.slot, r.generation).is_some()
                        && self.pool.add_block(r.slot, l)
                    {
                        let created = self.pool.get(r.slot, r.generation).expect("live").created();
                        ctx.metrics.on_included(created, ctx.now);
                    }
                }
                l
            }
        };
        self.enter(node, l, ctx.now);
        let seq = self.ledgers.get(l).height;
        if let Some(last) = node.last_accept {
            self.intervals.0 += 1;
            self.intervals.1 += ctx.now - last;
        }
        node.last_accept = Some(ctx.now);
        if seq > node.signed_seq {
            node.signed_seq = seq;
            let msg = match node.face {
                Some(face) => Msg::ValidateAs { ledger: l, face },
                None => Msg::Validate(l),
            };
            self.broadcast(node.face, ctx, msg, VALIDATION_BYTES);
            self.validation(node, node.id, l, ctx);
        }
    }

    /// Whether `v` trusts `from`: membership of `v`'s UNL in constant time, from the rule
    /// that built it (a scan of the list per vote made validations O(n) each, n³ a round).
    fn trusts(&self, v: u32, from: u32) -> bool {
        let n = self.settled.len() as u32;
        match self.params.unl {
            Unl::All => from < n,
            Unl::Cliques { overlap } => {
                let half = n / 2;
                let other = if v < half { n - half } else { half };
                let take = (overlap * other as f64).round() as u32;
                if v < half {
                    from < half + take
                } else {
                    from >= half || from < take
                }
            }
        }
    }

    fn validation(&mut self, node: &mut Node, from: u32, l: u32, ctx: &mut Ctx<Msg, Timer>) {
        if !self.trusts(node.id, from) {
            return;
        }
        self.saw(node, from, l);
        let c = node.validations.add(l, from).unwrap_or(0);
        let seq = self.ledgers.get(l).height;
        if (c as usize) < self.needed(node.id) || seq <= self.ledgers.get(node.validated).height {
            return;
        }
        node.validations
            .release_below(&(l.saturating_sub(RELEASE_BELOW) + 1));
        // Only a face can fully validate at or below the floor, where the record is released
        // (none did in the runs measured, `store`): it is not compared.
        if seq > self.release.floor.released() || self.release.keep_all {
            let entry = self.validated_at.entry(seq).or_insert((l, false));
            if entry.0 != l && !entry.1 {
                entry.1 = true;
                self.forks += 1;
            }
        }
        let from_h = self
            .ledgers
            .get(self.ledgers.fork_point(node.validated, l))
            .height;
        for h in from_h + 1..=seq {
            let c = self.ledgers.ancestor(l, h);
            let txs = &self.ledgers.get(c).txs;
            let lo = txs.partition_point(|r| r.origin < node.id);
            let hi = txs.partition_point(|r| r.origin <= node.id);
            for i in lo..hi {
                let r = self.ledgers.get(c).txs[i];
                if let Some(t) = self.pool.get(r.slot, r.generation) {
                    let n = self.ledgers.get(c).tx_count;
                    ctx.settle(t.tag(), t.created(), n);
                    self.settled[node.id as usize] += 1;
                    self.pool.remove(r.slot);
                }
            }
        }
        node.validated = l;
        if node.face.is_none() && self.release.floor.set(node.id, seq, l) {
            self.release_below_floor();
        }
        if self.byz.is_honest(node.id) {
            self.decide(seq, l);
        }
        if self.keep_logs {
            node.validated_log.insert(u64::from(seq), l);
            node.validated_times.insert(u64::from(seq), ctx.now);
        }
        // A node left behind adopts the ledger its UNL validated and rejoins the next round.
        if seq > self.ledgers.get(node.lcl).height {
            self.enter(node, l, ctx.now);
        }
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

    fn heartbeat(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.catch_up(node, ctx.now);
        let lcl = node.lcl;
        if let Some(closed_at) = node.closed_at {
            self.establish(node, closed_at, ctx);
        }
        if node.lcl == lcl
            && let Some(x) = self.preferred(node)
        {
            // On the wrong ledger: join the network's and start its next round.
            self.enter(node, x, ctx.now);
            return;
        }
        match node.closed_at {
            Some(_) => {}
            None if node.lcl != lcl => {}
            None => {
                let open = ctx.now - node.open_since;
                let has_txs = self.pool.unincluded() > 0;
                let closed_peers = self.unl_positions(node, ctx.now).len();
                let min_close = from_secs(self.params.ledger_min_close_s);
                let idle = from_secs(self.params.ledger_idle_interval_s);
                if (open >= min_close && has_txs)
                    || open >= idle
                    || closed_peers * 2 > self.unl[node.id as usize].len()
                {
                    self.close(node, ctx);
                }
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
    fn on_down_for_good(&mut self, node: &mut Node) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant-time membership rule agrees with the UNL lists for every pair.
    #[test]
    fn trust_is_unl_membership() {
        for unl in [
            "{ model: all }",
            "{ model: cliques, overlap: 0 }",
            "{ model: cliques, overlap: 0.3 }",
            "{ model: cliques, overlap: 0.5 }",
            "{ model: cliques, overlap: 1 }",
        ] {
            let yaml = format!("protocol: xrpl\nunl: {unl}\n");
            let scenario::Consensus::Xrpl(p) = serde_yaml::from_str(&yaml).unwrap() else {
                unreachable!()
            };
            for n in 1..14u32 {
                let x = Xrpl::new(&p, n);
                for v in 0..n {
                    for from in 0..n {
                        assert_eq!(
                            x.trusts(v, from),
                            x.unl[v as usize].contains(&from),
                            "{unl} n={n} v={v} from={from}"
                        );
                    }
                }
            }
        }
    }
}
