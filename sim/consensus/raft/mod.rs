//! Hyperledger Fabric ordering with Raft (execute–order–validate), crash faults only.
//!
//! The first `orderers` validators form the Raft ordering service; every validator is a peer.
//! A transaction's origin peer asks `endorsers` other peers to endorse it (one request and one
//! response each, the response carrying the endorsement); with every endorsement back it sends
//! the endorsed transaction to the orderer it believes leads. Followers forward to their
//! leader. The leader batches as Fabric's block cutter does — a block is cut at
//! `max_message_count` transactions, at `preferred_max_bytes`, or `batch_timeout_ms` after its
//! first transaction — appends it to its log and replicates it with AppendEntries; once a
//! majority of orderers hold it (and it is of the leader's term) it is committed and the
//! leader delivers it to every peer, which validates it (`block_validation_ms`) and commits
//! blocks strictly in log order. A transaction is **settled** when its origin peer commits it.
//!
//! *Raft* (Ongaro & Ousterhout 2014): terms, randomized election timeouts drawn per node from
//! `[T, 2T)`, votes only for candidates whose log is at least as up to date, a leader's empty
//! entry at the start of its term, commitment only of entries of the current term by counting,
//! log repair by backing `next_index` off on a mismatch. Blocks are shared content named by id;
//! each block records its parent (the entry before it in the leader's log), so an AppendEntries
//! message names its last entry and the follower reads the entries between. Logs survive a
//! crash (Raft's persistent state); a restarted node comes back as a follower.
//!
//! *Liveness aids.* An origin whose endorsements do not all return within an election timeout
//! asks the next peers; an endorsed transaction not committed at its origin within two
//! election timeouts plus the batch timeout is sent again, to the next orderer. A peer that
//! sees a gap in delivered blocks fetches the missing ones from the leader. Duplicates are
//! executed once (at their first position in the log).

mod messages;
mod mvcc;
mod ordering;
mod peer;
mod report;
mod store;

pub use messages::{Msg, Timer};

use super::election::{Ask, Election, Seat};
use super::pbft::requests::{Executed, ReqId, Requests};
use super::rows::Rows;
use super::{Carries, Ctx, Kind, Protocol, Report, TxIn};
use crate::engine::{Time, from_secs};
use crate::metrics::{LeaderRow, Metrics};
use crate::scenario;
use std::collections::{BTreeMap, BTreeSet};

/// AppendEntries / vote / delivery header on the wire.
const HEADER: u64 = 100;
/// What an endorsement adds to a proposal response (signature, read-write set digest).
const ENDORSEMENT_BYTES: u64 = 500;

pub struct Block {
    pub term: u64,
    /// Position in the log (the root is index 0).
    pub index: u64,
    pub parent: u32,
    pub batch: Vec<ReqId>,
    pub bytes: u64,
    /// Transactions of its requests (kept here: the requests are released once executed).
    pub tx_count: u32,
    /// The orderer that appended it.
    pub leader: u32,
    pub appended_at: Time,
    /// When the leader that appended it first counted a majority (0: not yet).
    pub committed_at: Time,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub endorse: u64,
    pub submit: u64,
    /// AppendEntries carrying entries, and their acknowledgements.
    pub append: u64,
    pub append_ack: u64,
    /// Empty AppendEntries (heartbeats) and their acknowledgements.
    pub heartbeat: u64,
    pub heartbeat_ack: u64,
    pub vote: u64,
    pub deliver: u64,
}

pub use super::election::Role;

/// An origin's own transaction on its way to settlement.
#[derive(Clone, Copy, Debug)]
struct Pending {
    attempt: u32,
    got: u32,
    endorsed: bool,
    round: u32,
    /// The orderer it was last sent to.
    sent_to: u32,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: u32,
    // Orderer state.
    pub seat: Seat,
    /// Block ids by log index from `log_base` on (the root, index 0, until entries go: see
    /// `store.rs`).
    pub log: Vec<u32>,
    pub log_base: u64,
    pub commit: u64,
    next_index: Vec<u64>,
    match_index: Vec<u64>,
    election_epoch: u32,
    batch: Vec<ReqId>,
    batch_txs: u64,
    batch_bytes: u64,
    batch_epoch: u32,
    /// Requests this node put in a batch while leading.
    batched: BTreeSet<ReqId>,
    /// Highest index this node delivered (or knew delivered) to the peers.
    delivered: u64,
    // Peer state.
    /// Blocks this peer committed, by height, from the release floor on (see `store.rs`).
    pub committed: BTreeMap<u64, u32>,
    received: BTreeMap<u64, u32>,
    validating: bool,
    /// The last `(height, orderer)` this peer asked for missing blocks, and when.
    fetched: (u64, u32),
    fetched_at: Time,
    pending: BTreeMap<ReqId, Pending>,
    /// Where this peer sends endorsed transactions next.
    leader_hint: u32,
}

pub struct Raft {
    params: scenario::Raft,
    n: u32,
    orderers: u32,
    requests: Requests,
    blocks: store::Blocks,
    pub counts: Counts,
    /// `(time, term, node)` of every election won: the `leaders` table's rows, one per leader
    /// change, output and not history. Votes are kept per node for its current term only
    /// (`voted_for`, `votes`), so a campaign that never wins leaves nothing behind.
    pub elections: Vec<(Time, u64, u32)>,
    /// Log entries orderers dropped from a conflicting suffix, and how many of them had been
    /// committed (a safety violation; counted, not assumed away, so tests can check it).
    pub overwritten: u64,
    pub overwritten_committed: u64,
    /// `(time, newer term, node)` of every leader that learned of a newer term and stepped down.
    pub step_downs: Vec<(Time, u64, u32)>,
    settled: Vec<u64>,
    /// Per peer: the height it has committed through; per orderer: its commit index
    /// (`u64::MAX` once down for good).
    heights: Executed,
    commits: Executed,
    /// Blocks and log entries below this index are released (see `store.rs`).
    floor: u64,
    /// The `blocks` rows, built as peers commit.
    rows: Rows<u64>,
    /// Per node: log entries and committed heights it holds; their sum, and the most state
    /// (those, blocks and open rows) held at once.
    node_held: Vec<usize>,
    held: usize,
    peak_held: usize,
    /// Read versions and conflicts on the shared key.
    mvcc: mvcc::Mvcc,
    election: Time,
    /// Upper end of the election timeout (exclusive when drawn).
    election_max: Time,
    heartbeat: Time,
    batch_timeout: Time,
    validation: Time,
}

impl Raft {
    pub fn new(params: &scenario::Raft, n: u32) -> Self {
        let election = from_secs(params.election_timeout_ms / 1e3).max(1);
        Raft {
            params: params.clone(),
            n,
            orderers: params.orderers.min(n),
            requests: Requests::releasing(),
            blocks: store::Blocks::new(Block {
                term: 0,
                index: 0,
                parent: 0,
                batch: Vec::new(),
                bytes: 0,
                tx_count: 0,
                leader: 0,
                appended_at: 0,
                committed_at: 0,
            }),
            counts: Counts::default(),
            elections: Vec::new(),
            step_downs: Vec::new(),
            overwritten: 0,
            overwritten_committed: 0,
            settled: vec![0; n as usize],
            heights: Executed::new(n),
            commits: Executed::new(params.orderers.min(n)),
            floor: 0,
            rows: Rows::new(n),
            node_held: vec![0; n as usize],
            held: 0,
            peak_held: 0,
            mvcc: mvcc::Mvcc::default(),
            election,
            // Absent, exactly twice the lower end, as before the upper end could be set.
            election_max: match params.election_timeout_max_ms {
                None => 2 * election,
                Some(ms) => from_secs(ms / 1e3).max(1),
            },
            heartbeat: from_secs(params.heartbeat_ms / 1e3).max(1),
            batch_timeout: from_secs(params.batch_timeout_ms / 1e3),
            validation: from_secs(params.block_validation_ms / 1e3),
        }
    }

    /// A block still kept (every block under `keep_all`).
    pub fn block(&self, b: u32) -> &Block {
        self.blocks.get(b)
    }

    /// Every block appended, by id: only under `keep_all`.
    pub fn blocks(&self) -> Vec<&Block> {
        self.blocks.all()
    }

    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    pub fn orderers(&self) -> u32 {
        self.orderers
    }

    /// Elections won by another node than the previous winner: the service changed leader.
    pub fn leader_changes(&self) -> usize {
        self.elections
            .windows(2)
            .filter(|w| w[0].2 != w[1].2)
            .count()
    }

    /// Elections won and leaders stepping down, by time (an election before a step-down at the
    /// same instant: the order they happen in within one handler).
    fn leader_rows(&self) -> Vec<LeaderRow> {
        LeaderRow::table(&[
            ("elected", &self.elections),
            ("stepped_down", &self.step_downs),
        ])
    }

    fn send(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg) {
        let c = &mut self.counts;
        let bytes = match msg {
            Msg::Endorse { bytes, .. } => {
                c.endorse += 1;
                bytes
            }
            Msg::Endorsed { bytes, .. } => {
                c.endorse += 1;
                bytes + ENDORSEMENT_BYTES
            }
            Msg::Submit { bytes, .. } => {
                c.submit += 1;
                bytes + u64::from(self.params.endorsers) * ENDORSEMENT_BYTES
            }
            Msg::Append { prev, last, .. } => {
                let mut bytes = HEADER;
                let mut b = last;
                while self.blocks.get(b).index > prev {
                    bytes += self.blocks.get(b).bytes;
                    b = self.blocks.get(b).parent;
                }
                if self.blocks.get(last).index > prev {
                    c.append += 1;
                } else {
                    c.heartbeat += 1;
                }
                bytes
            }
            Msg::AppendAck { entries, .. } => {
                if entries {
                    c.append_ack += 1;
                } else {
                    c.heartbeat_ack += 1;
                }
                HEADER
            }
            Msg::Election(_) => {
                c.vote += 1;
                HEADER
            }
            Msg::Deliver(b) => {
                c.deliver += 1;
                HEADER + self.blocks.get(b).bytes
            }
            Msg::Fetch { .. } => HEADER,
        };
        ctx.send(to, msg, bytes);
    }
}

impl Protocol for Raft {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Endorse { .. } => Kind::new("endorse", Carries::Transactions),
            Msg::Endorsed { .. } => Kind::new("endorsed", Carries::Transactions),
            Msg::Submit { .. } => Kind::new("submit", Carries::Transactions),
            Msg::Append { .. } => Kind::new("append", Carries::Block),
            Msg::AppendAck { .. } => Kind::new("append_ack", Carries::Vote),
            Msg::Election(Ask::Vote { .. }) => Kind::new("vote", Carries::Control),
            Msg::Election(Ask::VoteAck { .. }) => Kind::new("vote_ack", Carries::Control),
            Msg::Deliver(_) => Kind::new("deliver", Carries::Block),
            Msg::Fetch { .. } => Kind::new("fetch", Carries::Control),
        }
    }

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            seat: Seat::default(),
            log: vec![0],
            log_base: 0,
            commit: 0,
            next_index: vec![1; self.orderers as usize],
            match_index: vec![0; self.orderers as usize],
            election_epoch: 0,
            batch: Vec::new(),
            batch_txs: 0,
            batch_bytes: 0,
            batch_epoch: 0,
            batched: BTreeSet::new(),
            delivered: 0,
            committed: BTreeMap::new(),
            received: BTreeMap::new(),
            validating: false,
            fetched: (0, u32::MAX),
            fetched_at: 0,
            pending: BTreeMap::new(),
            leader_hint: 0,
        }
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if node.id < self.orderers {
            self.arm_election(node, ctx);
        }
    }

    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.committed_to(node.id, u64::MAX);
        if node.id < self.orderers {
            self.commits.advance(node.id, u64::MAX);
        }
        self.rows.down_for_good(node.id);
        self.raise_floor();
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        // Volatile state is gone; the log, term and vote persist.
        if node.id < self.orderers {
            node.seat.role = Role::Follower;
            node.seat.leader = None;
            node.batch.clear();
            node.batch_txs = 0;
            node.batch_bytes = 0;
            self.arm_election(node, ctx);
        }
        if node.validating {
            // The block being validated at the crash is validated again from the start.
            let again = match node.received.get(&Self::next_height(node)) {
                Some(&b) => self.validation_time(ctx, b),
                None => self.validation,
            };
            ctx.timer(again, Timer::Validate);
        }
        let rs: Vec<ReqId> = node.pending.keys().copied().collect();
        for r in rs {
            self.arm_retry(node, ctx, r);
        }
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        if txs.is_empty() {
            return;
        }
        let r = self.requests.add(node.id, txs, ctx);
        node.pending.insert(
            r,
            Pending {
                attempt: 0,
                got: 0,
                endorsed: false,
                round: 0,
                sent_to: u32::MAX,
            },
        );
        self.endorse(node, ctx, r);
        self.tidy(node);
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        match msg {
            Msg::Endorse { r, attempt, bytes } => {
                self.on_endorse(node, ctx, from, r, attempt, bytes)
            }
            Msg::Endorsed { r, attempt, .. } => self.on_endorsed(node, ctx, r, attempt),
            Msg::Submit { r, bytes } => self.on_submit(node, ctx, r, bytes),
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
            Msg::Deliver(b) => self.on_deliver(node, ctx, from, b),
            Msg::Fetch { from: lo, to: hi } => self.on_fetch(node, ctx, from, lo, hi),
        }
        self.tidy(node);
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Election(epoch) => {
                if epoch == node.election_epoch && node.seat.role != Role::Leader {
                    self.campaign(node, ctx);
                }
            }
            Timer::Heartbeat(term) => {
                if node.seat.role == Role::Leader && node.seat.term == term {
                    self.broadcast_append(node, ctx);
                    ctx.timer(self.heartbeat, Timer::Heartbeat(term));
                }
            }
            Timer::Batch(epoch) => {
                if epoch == node.batch_epoch && node.seat.role == Role::Leader {
                    self.cut(node, ctx);
                }
            }
            Timer::Retry { r, round } => self.on_retry(node, ctx, r, round),
            Timer::Validate => self.on_validated(node, ctx),
            Timer::Endorsement {
                from,
                r,
                attempt,
                bytes,
            } => self.endorsement_done(node, ctx, from, r, attempt, bytes),
        }
        self.tidy(node);
    }

    fn spill_rows(&mut self, to: &crate::metrics::spill::Spill) {
        self.rows.spill_to(to);
    }

    fn mempool_len(&self) -> u64 {
        self.requests.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], _end: Time, _metrics: &mut Metrics) -> Report {
        self.report(nodes)
    }
}

impl Node {
    /// A one-line account of this node's state, for diagnosing test failures.
    pub fn describe(&self) -> String {
        format!(
            "node {} batch {:?} batched {} epoch {} {:?} term {} commit {} log {} leader {:?} hint {} peer height {} received {:?} validating {} pending {:?}",
            self.id,
            self.batch,
            self.batched.len(),
            self.batch_epoch,
            self.seat.role,
            self.seat.term,
            self.commit,
            self.log_base + self.log.len() as u64 - 1,
            self.seat.leader,
            self.leader_hint,
            self.committed.keys().next_back().copied().unwrap_or(0),
            self.received.keys().take(5).collect::<Vec<_>>(),
            self.validating,
            self.pending.iter().take(3).collect::<Vec<_>>()
        )
    }
}
