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
//! — 3f + 1 replicas running PBFT (`bft.rs`): the leader's pre-prepare, every backup's prepare
//! to all replicas, a commit vote to the leader from each replica holding 2f + 1 prepares (the
//! pre-prepare counting as the leader's), and the signature when the leader executes the
//! sequence, at 2f + 1 commits. Readings with
//! `double_spend_share` reuse the input their device's previous honest transaction consumed.
//!
//! The raft cluster runs Raft (`cluster.rs`): validator 0 leads term 1 from the start; a
//! follower hearing nothing for a randomized election timeout campaigns, so a crashed leader
//! is replaced. Every request becomes a log entry; each member applies committed entries in
//! log order to its own map of consumed states, and the leader answers — signs, or rejects a
//! conflict — when it applies. An initiator that hears neither within three election timeouts
//! asks again, the next member if it heard of no leader meanwhile. The BFT cluster changes
//! view when a backup's forwarded request is not executed in time (`bft.rs`); an initiator
//! that hears nothing within the same three election timeouts asks every member. The single
//! notary has no leader change; its origins ask it again on the same timer, and it answers a
//! repeated request as it did the first time. Under loss every cluster also has the origin
//! propose again to a counterparty that did not endorse, and a counterparty that endorsed and
//! heard no outcome ask the notary.
//!
//! Memory follows the transactions in flight: a transaction is released five minutes after
//! both parties heard its outcome (`txs.rs`), a consumed state once no transaction tracked or
//! to come can consume it (`Notary::release`), and the BFT members' records below a
//! low-water mark (`checkpoint.rs`). The Raft cluster's members compact their logs into
//! snapshots and a leader sends a follower far behind its snapshot (`compaction.rs`).

mod bft;
mod checkpoint;
mod cluster;
mod compaction;
mod rows;
mod txs;

use super::quorum::Tally;
use super::{Carries, Ctx, Kind, NodeStats, Protocol, Report, TxIn};
use crate::engine::{Purpose, Time, draw_u64, draw_unit, from_secs};
use crate::metrics::{LeaderRow, Metrics, Value};
use crate::scenario::{self, NotaryCluster};
pub use cluster::Role;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
    /// Parties that hold the notary's signature: bit 0 the origin, bit 1 the counterparty.
    parties_signed: u8,
    messages: u32,
    settled_at: Time,
    /// Raft and BFT clusters: the origin's retry round, the member it last asked, and whether
    /// the origin heard the answer.
    round: u32,
    sent_to: u32,
    answered: bool,
    /// BFT under loss: the counterparty heard the outcome, or asked the cluster for it.
    cp_heard: bool,
    cp_asked: bool,
    /// When both parties had heard the outcome (`Time::MAX`: not yet); see `txs.rs`.
    done_at: Time,
    /// The device's next transaction consumes a later state: no transaction created after
    /// this one consumes this one's input.
    last_namer: bool,
    /// BFT cluster: the sequence it was first executed at (0: none).
    seq: u64,
}

/// Bytes a notary member stores per signed transaction, after Corda's uniqueness provider
/// (docs.r3.com, "Notaries": the notary records each consumed state against the transaction
/// that consumed it): a state reference (32-byte transaction hash + 4-byte output index), the
/// consuming transaction's 32-byte id, and a 64-byte Ed25519 signature.
const NOTARY_LOG_BYTES: u64 = 36 + 32 + 64;

pub struct Notary {
    params: scenario::Notary,
    seed: u64,
    validators: u32,
    cluster: u32,
    txs: txs::Txs,
    /// How long a transaction is kept once done (`txs.rs`).
    linger: Time,
    /// Each device's chain of states (see `Notary::release`).
    chains: HashMap<u32, Chain>,
    /// Single notary: the states consumed that a transaction still tracked, or one yet to be
    /// created, may name (see `Notary::retire`).
    consumed: HashSet<u64>,
    collecting: u64,
    signed_unsettled: u64,
    settled: Vec<u64>,
    messages: u64,
    attempts: u64,
    rejected_attempts: u64,
    rejected_honest: u64,
    /// Transactions signed, and each one's row of `blocks` (`rows.rs`).
    signed: u64,
    rows: rows::Rows,
    /// Raft cluster: the shared entry store (`entries[0]` is the root), each member's first
    /// kept entry, the states consumed through each index (`compaction.rs`), and the
    /// snapshots sent and installed.
    entries: compaction::Entries,
    first_kept: Vec<u32>,
    history: BTreeMap<u64, (u32, u64)>,
    pub snapshots_sent: u64,
    pub installs: u64,
    /// `(time, term, node)` of every election won after the start, and of every leader
    /// stepping down on learning of a newer term.
    pub elections: Vec<(Time, u64, u32)>,
    pub step_downs: Vec<(Time, u64, u32)>,
    election: Time,
    heartbeat: Time,
    retry: Time,
    /// BFT cluster: view-change and new-view contents, by id; `(time, view, leader)` of
    /// every new view formed; the view-change timeout.
    vc_store: checkpoint::ByView<bft::ViewChange>,
    /// BFT cluster: what lets members discard records below a low-water mark.
    bft: checkpoint::Checkpoint,
    nv_store: checkpoint::ByView<bft::NewView>,
    pub view_changes: Vec<(Time, u64, u32)>,
    view_change: Time,
}

/// A device's honest chain: the next state number, its latest transaction, and the states
/// below which no transaction still tracked or yet to be created consumes (retired: see
/// `Notary::release`).
#[derive(Clone, Copy)]
struct Chain {
    next: u32,
    last_tx: u32,
    retired_below: u32,
}

/// A transaction as tests see it.
#[derive(Clone, Copy, Debug)]
pub struct TxView {
    pub origin: u32,
    pub counterparty: u32,
    pub attempt: bool,
    /// The state it consumes.
    pub input: u64,
    pub created: Time,
    pub signed: bool,
    pub rejected: bool,
    /// When the signature reached both parties (`Time::MAX`: not yet).
    pub settled_at: Time,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: u32,
    /// The cluster member this party asks to notarise.
    hint: u32,
    // Raft cluster member state.
    pub role: Role,
    pub term: u64,
    voted_for: Option<u32>,
    /// Entry ids by log index from `base` on (`log[0]` is the root, or the last entry of the
    /// snapshot the prefix was compacted into).
    pub log: Vec<u32>,
    pub base: u64,
    /// States consumed through the applied index (what a snapshot of it holds).
    states: u64,
    pub commit: u64,
    applied: u64,
    leader: Option<u32>,
    votes: u32,
    next_index: Vec<u64>,
    match_index: Vec<u64>,
    /// When the leader last sent each follower entries.
    sent_at: Vec<Time>,
    election_epoch: u32,
    /// States consumed by the committed entries applied so far, and by which transaction.
    consumed: BTreeMap<u64, u32>,
    /// Log index of each transaction in this member's log.
    in_log: BTreeMap<u32, u64>,
    // BFT cluster member state.
    pub view: u64,
    /// Moved to `view` and waiting for its new-view message.
    pub changing: bool,
    /// The last view whose new-view message this member applied.
    new_view: u64,
    vc_tries: u32,
    /// Pre-prepared `(view, request)` by sequence, and the sequence of each request.
    pp: BTreeMap<u64, (u64, Option<u32>)>,
    ordered: BTreeMap<u32, u64>,
    /// Senders of prepares and (leader) of commit votes, by `(view, sequence)`: released
    /// once the slot is prepared (committed), and below the member's view.
    pcount: Tally<(u64, u64)>,
    prepared_at: BTreeSet<(u64, u64)>,
    /// Prepared certificates: the highest view's `(view, request)` by sequence.
    certs: BTreeMap<u64, (u64, Option<u32>)>,
    /// Leader: commit votes, committed sequences not yet executed, the last executed one, the
    /// next to assign, and each decided request's outcome (signed or not).
    ccount: Tally<(u64, u64)>,
    resend_armed: bool,
    committed: BTreeSet<u64>,
    pub exec: u64,
    next_seq: u64,
    results: BTreeMap<u32, bool>,
    /// The leader's executed sequence as last heard.
    stable: u64,
    /// Requests this backup forwarded and waits to see executed; the leader's record of who
    /// forwarded what.
    waiting: BTreeSet<u32>,
    forwarders: BTreeMap<u32, BTreeSet<u32>>,
    progress_epoch: u32,
    /// View-change message ids received, by view and sender.
    vcs: BTreeMap<u64, BTreeMap<u32, u32>>,
    /// This member's last view-change message, and (leader) its last new-view message, kept
    /// to send again when one is lost.
    vc_id: u32,
    nv_id: Option<u32>,
    /// The executed sequences this member counted in `blocks` (`rows.rs`).
    reported: u64,
    /// Sequences at or below this one are discarded (`checkpoint.rs`).
    floor: u64,
    /// States in `consumed` when it last dropped those retired.
    pruned_at: usize,
}

impl Node {
    /// Entries of the maps and logs this member keeps per transaction or sequence.
    fn held(&self) -> usize {
        self.log.len()
            + self.consumed.len()
            + self.in_log.len()
            + self.pp.len()
            + self.ordered.len()
            + self.prepared_at.len()
            + self.certs.len()
            + self.committed.len()
            + self.results.len()
            + self.forwarders.len()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Propose(u32),
    Endorse(u32),
    Request(u32),
    Reject(u32),
    /// Raft cluster: entries from `prev + 1` through entry `last` (none when `last` sits at
    /// `prev`).
    Append {
        term: u64,
        prev: u64,
        last: u32,
        commit: u64,
    },
    AppendAck {
        term: u64,
        ok: bool,
        matched: u64,
        /// The acknowledged message's last entry when it carried entries.
        last: Option<u32>,
    },
    Vote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    VoteAck {
        term: u64,
        granted: bool,
    },
    /// Raft cluster: the leader's snapshot through `index`, whose entry is `entry`, holding
    /// `states` consumed states (`compaction.rs`).
    Snapshot {
        term: u64,
        index: u64,
        entry: u32,
        states: u64,
    },
    PrePrepare {
        view: u64,
        seq: u64,
        t: Option<u32>,
        /// The leader's last executed sequence.
        stable: u64,
    },
    Prepare {
        view: u64,
        seq: u64,
        t: Option<u32>,
    },
    Commit {
        view: u64,
        seq: u64,
        t: Option<u32>,
    },
    ViewChange {
        view: u64,
        id: u32,
    },
    /// BFT cluster: a backup passes a retried request to the leader, which tells it when the
    /// request is executed.
    Forward(u32),
    Executed(u32),
    NewView {
        view: u64,
        id: u32,
    },
    Signed(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Election(u32),
    Heartbeat(u64),
    Retry { t: u32, round: u32 },
    Progress(u32),
    Resend(u64, u64),
    ViewChange(u64),
    VcResend(u64, u32),
    Propose(u32),
    Await(u32),
}

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
            txs: txs::Txs::default(),
            linger: from_secs(300.0) + 4 * 3 * from_secs(params.election_timeout_ms / 1e3).max(1),
            chains: HashMap::new(),
            consumed: HashSet::new(),
            collecting: 0,
            signed_unsettled: 0,
            settled: vec![0; validators as usize],
            messages: 0,
            attempts: 0,
            rejected_attempts: 0,
            rejected_honest: 0,
            signed: 0,
            rows: rows::Rows::new(cluster),
            entries: compaction::Entries::new(),
            first_kept: vec![0; cluster as usize],
            history: BTreeMap::new(),
            snapshots_sent: 0,
            installs: 0,
            elections: Vec::new(),
            step_downs: Vec::new(),
            election: from_secs(params.election_timeout_ms / 1e3).max(1),
            heartbeat: from_secs(params.heartbeat_ms / 1e3).max(1),
            retry: 3 * from_secs(params.election_timeout_ms / 1e3).max(1),
            vc_store: Default::default(),
            bft: checkpoint::Checkpoint::default(),
            nv_store: Default::default(),
            view_changes: Vec::new(),
            view_change: from_secs(params.view_change_ms / 1e3).max(1),
        }
    }

    /// Each transaction's parties and fate, for tests: those still tracked (every one created
    /// in a run shorter than five minutes; see `txs.rs`).
    pub fn transactions(&self) -> Vec<TxView> {
        self.txs
            .iter()
            .map(|(_, n)| TxView {
                origin: n.origin,
                counterparty: n.counterparty,
                attempt: n.attempt,
                input: n.input,
                created: n.tx.created,
                signed: n.stage == Stage::Signed,
                rejected: n.stage == Stage::Rejected,
                settled_at: n.settled_at,
            })
            .collect()
    }

    fn is_raft(&self) -> bool {
        matches!(self.params.cluster, NotaryCluster::Raft { .. })
    }

    fn is_bft(&self) -> bool {
        matches!(self.params.cluster, NotaryCluster::Bft { .. })
    }

    /// The `leaders` table: elections and step-downs of the Raft cluster, new views formed by
    /// the BFT cluster; a single notary has no leader changes and no table.
    fn leader_rows(&self) -> Option<Vec<LeaderRow>> {
        match self.params.cluster {
            NotaryCluster::Single => None,
            NotaryCluster::Raft { .. } => Some(LeaderRow::table(&[
                ("elected", &self.elections),
                ("stepped_down", &self.step_downs),
            ])),
            NotaryCluster::Bft { .. } => {
                Some(LeaderRow::table(&[("view_change", &self.view_changes)]))
            }
        }
    }

    /// Sends `msg`; every message counts, and those serving one transaction count for it too
    /// (heartbeats and votes serve none).
    fn send(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg, bytes: u64) {
        self.count(msg, 1);
        ctx.send(to, msg, bytes);
    }

    /// Counts `copies` messages of `msg`.
    fn count(&mut self, msg: Msg, copies: u32) {
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
            | Msg::Vote { .. }
            | Msg::VoteAck { .. }
            | Msg::ViewChange { .. }
            | Msg::NewView { .. } => None,
        };
        if let Some(t) = t {
            self.txs[t].messages += copies;
        }
    }

    /// Transactions, consumed states and the members' records held now (not the output
    /// rows, nor records of elections and view changes).
    pub fn held(&self, nodes: &[Node]) -> usize {
        let members: usize = nodes.iter().map(Node::held).sum();
        self.txs.len()
            + self.consumed.len()
            + self.entries.len()
            + self.history.len()
            + self.bft.len()
            + self.vc_store.len()
            + self.nv_store.len()
            + members
    }

    /// The most transactions tracked at once.
    pub fn peak_transactions(&self) -> usize {
        self.txs.peak()
    }

    /// Marks `t` done once both parties heard its outcome: signed and settled, or rejected
    /// and heard by the origin and by a counterparty other than the origin.
    fn check_done(&mut self, t: u32, now: Time) {
        let n = &mut self.txs[t];
        let done = match n.stage {
            Stage::Signed => n.settled_at != Time::MAX,
            Stage::Rejected => n.answered && (n.cp_heard || n.counterparty == n.origin),
            Stage::Collecting | Stage::Notarising => false,
        };
        if done && n.done_at == Time::MAX {
            n.done_at = now;
        }
    }

    /// Lets go of the transactions nothing can name again (`txs.rs`), and of the consumed
    /// states no transaction can name again. A device's transactions that consume one state
    /// are created while it is the device's latest, one after another, and the next honest
    /// one consumes a later state: once that one exists and those before it are released,
    /// the state is looked up no more, so the uniqueness check stays exact for every
    /// transaction of the run while the set holds about a state per device.
    fn release(&mut self, now: Time) {
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

    /// No transaction still tracked or yet to be created consumes state `x`.
    fn retire(&mut self, x: u64) {
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
    fn retired(&self, x: u64) -> bool {
        let (device, state) = ((x >> 32) as u32, x as u32);
        self.chains
            .get(&device)
            .is_some_and(|c| state < c.retired_below)
    }

    /// The message or timer names a transaction released: `txs.rs` argues none does.
    fn names_released(&self, t: Option<u32>) -> bool {
        let released = t.is_some_and(|t| !self.txs.kept(t));
        debug_assert!(!released, "transaction {t:?} named after its release");
        released
    }

    /// The origin asks the notary, with a retry timer (the request or the answer may be lost).
    /// Single: the notary. Raft: its presumed leader. BFT: the member that last answered it,
    /// then, on a retry, every member (as a PBFT client does).
    fn ask_notary(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
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

    fn on_retry(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32, round: u32) {
        let n = &self.txs[t];
        if n.answered || n.round != round {
            return;
        }
        // Unless a leader answered something meanwhile, the member asked may be down or
        // deposed: ask the next one.
        if n.sent_to == node.hint && self.is_raft() {
            node.hint = (node.hint + 1) % self.cluster;
        }
        self.ask_notary(node, ctx, t);
    }

    fn tx_bytes(&self, t: u32) -> u64 {
        u64::from(self.txs[t].tx.bytes) + ENVELOPE_BYTES
    }

    fn counterparty(&self, device: u32, origin: u32) -> u32 {
        counterparty(self.seed, self.validators, device, origin)
    }

    fn quorum(&self) -> u32 {
        match self.params.cluster {
            NotaryCluster::Single => 1,
            NotaryCluster::Raft { nodes } => nodes / 2 + 1,
            NotaryCluster::Bft { faults } => 2 * faults + 1,
        }
    }

    /// The single notary's uniqueness check, in arrival order. A request asked again (its
    /// answer was lost) gets the same answer.
    fn request(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
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
    fn reject(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
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

    /// Under loss the proposal or the endorsement may be lost: the origin proposes again.
    fn on_propose_timer(&mut self, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        let n = &self.txs[t];
        if n.round > 0 || n.stage != Stage::Collecting {
            return;
        }
        let (c, bytes) = (n.counterparty, self.tx_bytes(t));
        self.send(ctx, c, Msg::Propose(t), bytes);
        ctx.timer(self.retry, Timer::Propose(t));
    }

    /// A counterparty that endorsed and heard no outcome (the signature may be lost) asks
    /// every member, as the origin's retry does; the leader answers it too.
    fn on_await(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        let n = &mut self.txs[t];
        if n.cp_heard || n.parties_signed & 2 != 0 || node.id != n.counterparty {
            return;
        }
        n.cp_asked = true;
        let bytes = self.tx_bytes(t);
        for r in 0..self.cluster {
            self.send(ctx, r, Msg::Request(t), bytes);
        }
        ctx.timer(2 * self.retry, Timer::Await(t));
    }

    /// Signs `t` (once; a repeated request only gets the signature again).
    fn sign(&mut self, t: u32, ctx: &mut Ctx<Msg, Timer>) {
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
            Msg::Vote { .. } => Kind::new("vote", Carries::Control),
            Msg::VoteAck { .. } => Kind::new("vote_ack", Carries::Control),
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
            role: Role::Follower,
            term: 0,
            voted_for: None,
            log: vec![0],
            base: 0,
            states: 0,
            commit: 0,
            applied: 0,
            leader: None,
            votes: 0,
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

    fn on_down_for_good(&mut self, node: &mut Node) {
        if self.is_raft() && node.id < self.cluster {
            self.member_gone(node);
        }
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
        if self.is_bft() && node.id < self.cluster {
            self.bft_release(node);
        }
        if self.is_raft() && node.id < self.cluster {
            self.raft_release(node);
        }
        match msg {
            Msg::Propose(t) => {
                let o = self.txs[t].origin;
                self.send(ctx, o, Msg::Endorse(t), VOTE_BYTES);
                ctx.timer(2 * self.retry, Timer::Await(t));
            }
            Msg::Endorse(t) if self.txs[t].round > 0 => {}
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
            Msg::Vote {
                term,
                last_index,
                last_term,
            } => self.on_vote(node, ctx, from, term, last_index, last_term),
            Msg::VoteAck { term, granted } => self.on_vote_ack(node, ctx, term, granted),
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
                    self.check_done(t, ctx.now);
                }
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
        if self.is_bft() && node.id < self.cluster {
            self.bft_release(node);
        }
        if self.is_raft() && node.id < self.cluster {
            self.raft_release(node);
        }
        match timer {
            Timer::Election(epoch) => {
                if epoch == node.election_epoch && node.role != Role::Leader {
                    self.campaign(node, ctx);
                }
            }
            Timer::Heartbeat(term) => {
                if node.role == Role::Leader && node.term == term {
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

    fn vote_usage(&self, nodes: &[Node]) -> super::quorum::Usage {
        nodes
            .iter()
            .map(|n| n.pcount.usage() + n.ccount.usage())
            .sum()
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

/// The counterparty of `device`'s transactions entering at `origin`: another validator, fixed
/// per device (the privacy observers read it too).
pub fn counterparty(seed: u64, validators: u32, device: u32, origin: u32) -> u32 {
    if validators == 1 {
        return origin;
    }
    let k = draw_u64(seed, device as u64, Purpose::Counterparty, 0) % (validators as u64 - 1);
    (origin + 1 + k as u32) % validators
}
