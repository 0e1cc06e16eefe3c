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
//! repeated request as it did the first time. A notary that can never decide again (the
//! single one down for good, or a cluster with more members down for good than its quorum
//! spares) is asked no more: its live members order nothing new, and an origin's next retry
//! strands the transaction (`parties.rs`). Under loss every cluster also
//! has the origin propose again to a counterparty that did not endorse, and a counterparty
//! that endorsed and heard no outcome ask the notary.
//!
//! Memory follows the transactions in flight: a transaction is released five minutes after
//! both parties heard its outcome (`txs.rs`), a consumed state once no transaction tracked or
//! to come can consume it (`Notary::release`), and the BFT members' records below a
//! low-water mark (`checkpoint.rs`). The Raft cluster's members compact their logs into
//! snapshots and a leader sends a follower far behind its snapshot (`compaction.rs`).
//!
//! Here: the notary's types and its construction. `protocol.rs` dispatches the engine's
//! events; `parties.rs` holds the parties' requests, retries, signing and rejection and the
//! message count; `release.rs` what is held and let go; `cluster.rs`, `election.rs` and
//! `compaction.rs` the Raft cluster, `bft.rs`, `view_change.rs` and `checkpoint.rs` the BFT
//! one; `txs.rs` and `rows.rs` the transactions tracked and the `blocks` rows.

mod bft;
mod checkpoint;
mod cluster;
mod compaction;
mod election;
mod parties;
mod protocol;
mod release;
mod rows;
mod txs;
mod view_change;

pub use super::election::Role;
use super::election::{Ask, Seat};
use super::quorum::Tally;
use super::{Ctx, TxIn};
use crate::engine::{Purpose, Time, draw_u64, from_secs};
use crate::metrics::LeaderRow;
use crate::scenario::{self, NotaryCluster};
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
    /// When both parties had heard the outcome, a party down for good counting as having
    /// heard it, or when the transaction was stranded before reaching the notary (`Time::MAX`:
    /// not yet); see `txs.rs` and `parties.rs`.
    done_at: Time,
    /// The device's next transaction consumes a later state: no transaction created after
    /// this one consumes this one's input.
    last_namer: bool,
    /// BFT cluster: the sequence it was first executed at (0: none).
    seq: u64,
}

impl NTx {
    /// Given up before reaching the notary: a party went down for good while it was being
    /// proposed (`Notary::party_gone`, `on_propose_timer`), or the notary lost its quorum for
    /// good before deciding it (`notary_gone`). It stays pending, counted among those collecting.
    fn stranded(&self) -> bool {
        self.stage == Stage::Collecting && self.done_at != Time::MAX
    }
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
    /// stepping down on learning of a newer term: the `leaders` table's rows, output and not
    /// history (votes are kept per member for its current term only).
    pub elections: Vec<(Time, u64, u32)>,
    pub step_downs: Vec<(Time, u64, u32)>,
    election: Time,
    heartbeat: Time,
    retry: Time,
    /// BFT cluster: view-change and new-view contents, by id; `(time, view, leader)` of
    /// every new view formed; the view-change timeout.
    vc_store: checkpoint::ByView<view_change::ViewChange>,
    /// BFT cluster: what lets members discard records below a low-water mark.
    bft: checkpoint::Checkpoint,
    nv_store: checkpoint::ByView<view_change::NewView>,
    pub view_changes: Vec<(Time, u64, u32)>,
    view_change: Time,
    /// Per validator: down for good, so a party that will never hear an outcome again.
    gone: Vec<bool>,
    /// Cluster members down for good: the BFT handlers ask per message whether a quorum is
    /// left (`quorum_gone`), so the count is kept, not taken from `gone` each time.
    members_gone: u32,
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
    pub seat: Seat,
    /// Entry ids by log index from `base` on (`log[0]` is the root, or the last entry of the
    /// snapshot the prefix was compacted into).
    pub log: Vec<u32>,
    pub base: u64,
    /// States consumed through the applied index (what a snapshot of it holds).
    states: u64,
    pub commit: u64,
    applied: u64,
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
    /// Raft cluster: the election's vote requests and answers (`consensus/election.rs`).
    Election(Ask),
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
            gone: vec![false; validators as usize],
            members_gone: 0,
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
