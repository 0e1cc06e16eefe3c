//! Chained HotStuff (Yin et al., PODC'19), with crash faults and the Byzantine replicas of
//! `adversary: { kind: byzantine, … }`.
//!
//! `n` replicas, `f = ⌊(n − 1)/3⌋`, quorums `q = ⌈(n + f + 1)/2⌉`; the leader of view `v` is
//! replica `v mod n`. Each view's leader proposes one block extending the block of its
//! highest quorum certificate (QC) and carrying that QC. Replicas vote (to the *next* leader
//! only), so every phase is linear: one proposal multicast and `n` votes per view. The next
//! leader turns `q` votes into a QC and proposes in its view. With the QC of block `b''`
//! carried by `b*`: `b''` becomes the highest QC, its justified block `b'` is locked (two-chain)
//! and `b'`'s justified block `b` is committed with all its ancestors when `b'' → b' → b` are
//! direct parents (three-chain). A replica votes only for blocks extending its lock or
//! justified by a QC newer than the lock.
//!
//! *Pacemaker.* A replica that knows of unexecuted requests and sees no new proposal for
//! `view_timeout_ms` (doubling with each consecutive timeout) sends `NEW-VIEW` with its
//! highest QC to every replica and moves to the next view; that view's leader proposes after
//! `q` of them, and a replica that holds them from f + 1 replicas for a later view joins it. *Requests:* the origin multicasts each request to all replicas, since leaders rotate.
//! Leaders propose only while requests wait or the chain holds uncommitted transactions, so an
//! idle network sends nothing. Blocks live in a shared store that every replica can read (block
//! synchronisation is not modelled as messages). A transaction is **settled** when its origin
//! commits it. The summary adds `hotstuff_*` message counts and `hotstuff_msgs_per_decision`.
//! A leader proposing on a quorum of `NEW-VIEW`s is a `view_change` row of the `leaders`
//! table.
//!
//! *Certificates.* `certificate` sizes the QC that every proposal and `NEW-VIEW` carries:
//! `header` (the default) leaves it inside the 100-byte message header, as before the option
//! existed; `signatures` adds q signatures of 68 bytes (linear in n); `aggregate` adds one
//! 96-byte BLS signature and a bitmap of n bits, and a vote carries a 96-byte BLS share
//! instead of a 64-byte signature. The CPU time of signing, aggregating and verifying is
//! not modelled (validators have no CPU model), so the option changes bytes and what they
//! cost in transmission time only.
//!
//! *Forking coalition.* When an equivocating leader's view is followed by another equivocating
//! replica's view, its two proposals' votes go to an accomplice, which counts each branch apart;
//! a branch whose votes reach a quorum is extended, by the leader of the next view that is
//! again followed by an accomplice's (told by `Collude`), with a direct child carrying the QC,
//! sent only to the honest half that branch was shown to and to the coalition. Three such
//! children give each half a three-chain, so with `f + 1` equivocating replicas the two halves
//! commit conflicting blocks; with `f` at most one branch can gather a quorum.

use super::byzantine::Byzantine;
use super::pbft::requests::{Executed, ReqId, Requests};
use super::quorum::Tally;
use super::rows::Rows;
use super::{Carries, Ctx, Kind, Protocol, Report, TxIn, decided};
use crate::engine::{Time, from_secs};
use crate::metrics::{LeaderRow, Metrics, Value};
use crate::scenario::{self, Certificate};
use std::collections::{BTreeMap, BTreeSet};
pub use store::Block;
use store::{Marks, Store};

mod chain;
mod pacemaker;
mod store;

const VOTE_BYTES: u64 = 100;
/// One member's signature in a certificate without aggregation: a 64-byte Ed25519 signature
/// (RFC 8032 §5.1.6) and the signer's 4-byte replica id.
pub const SIGNATURE_BYTES: u64 = 64 + 4;
/// A compressed BLS12-381 signature in G2, 96 bytes (`BLSSignature = Bytes96` in the
/// Ethereum consensus specifications, phase 0; the minimal-pubkey-size variant of
/// draft-irtf-cfrg-bls-signature-05 §2.1, which that draft recommends for aggregation).
pub const AGGREGATE_BYTES: u64 = 96;

/// Bytes a quorum certificate of `q` votes among `n` replicas adds to a message.
pub fn certificate_bytes(model: Certificate, n: u32, q: u32) -> u64 {
    match model {
        Certificate::Header => 0,
        Certificate::Signatures => u64::from(q) * SIGNATURE_BYTES,
        Certificate::Aggregate => AGGREGATE_BYTES + u64::from(n).div_ceil(8),
    }
}

/// A vote's bytes: its signature is a BLS share (96 B) instead of Ed25519 (64 B) when
/// certificates aggregate.
fn vote_bytes(model: Certificate) -> u64 {
    match model {
        Certificate::Aggregate => VOTE_BYTES - 64 + AGGREGATE_BYTES,
        Certificate::Header | Certificate::Signatures => VOTE_BYTES,
    }
}
const MAX_BACKOFF: u32 = 6;
/// Children a forking coalition adds to each branch: a three-chain above the first block.
const FORK_CHILDREN: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Request(ReqId),
    Proposal(u32),
    Vote(u32),
    NewView {
        view: u64,
        high_qc: u32,
    },
    /// Between Byzantine replicas: a fork branch's block just got a quorum of votes.
    Collude(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    View {
        view: u64,
        epoch: u32,
    },
    /// Still no proposal in `view`: send the `NEW-VIEW` for it again.
    Resend {
        view: u64,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub request: u64,
    pub proposal: u64,
    pub vote: u64,
    pub new_view: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.request + self.proposal + self.vote + self.new_view
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: u32,
    pub view: u64,
    voted_view: u64,
    high_qc: u32,
    locked: u32,
    /// Highest committed block.
    committed: u32,
    /// Every decision: height → block, and when.
    pub decided: BTreeMap<u64, u32>,
    pub decided_at: BTreeMap<u64, Time>,
    /// Commits that did not extend this replica's committed chain (must stay zero).
    pub conflicts: u64,
    /// Last view this replica proposed in.
    proposed_view: u64,
    waiting: BTreeSet<ReqId>,
    /// Votes for blocks this replica leads the next view of; released below a block as soon
    /// as it has its QC.
    votes: Tally<u32>,
    /// `NEW-VIEW` senders by view, once each, and the highest QC they carried (the last one
    /// received among equally high ones); only views this replica has not left are read, so
    /// earlier ones are released at the end of each event.
    new_views: Tally<u64>,
    new_view_qc: BTreeMap<u64, u32>,
    /// Leader of `view` with nothing to propose yet.
    idle_leader: bool,
    epoch: u32,
    timeouts: u32,
    /// A Byzantine replica's vote counts for fork-branch blocks.
    fork_votes: Tally<u32>,
}

pub struct HotStuff {
    params: scenario::HotStuff,
    n: u32,
    q: u32,
    requests: Requests,
    blocks: Store,
    /// Each replica's blocks and view as of its last event; blocks none of them can read
    /// are released (`store`) when the lowest committed height rises.
    marks: Vec<Marks>,
    release_due: bool,
    /// The most `NEW-VIEW` records (views with senders, views with a QC) one replica held.
    peak_new_views: usize,
    /// Each replica's view after its last message or timer, for a restarted one to sync
    /// from.
    views: Vec<u64>,
    /// Keeps the replicas' decision logs (`Node::decided`, `decided_at`).
    record: bool,
    /// The `blocks` rows, built as replicas commit.
    rows: Rows<u64>,
    /// Each replica's committed height (`u64::MAX` once down for good): requests every
    /// replica has executed are released.
    exec: Executed,
    pub counts: Counts,
    decided: u64,
    settled: Vec<u64>,
    timeout: Time,
    byz: Byzantine,
    /// Fork-branch blocks: the honest half each was shown to, and the children still to add.
    branch: BTreeMap<u32, (bool, u32)>,
    /// `(time, view, leader)` of every proposal made on a quorum of `NEW-VIEW`s: a leader
    /// taking over after the pacemaker gave up on earlier views (the `leaders` table).
    view_changes: Vec<(Time, u64, u32)>,
    /// Bytes of a certificate and of a vote.
    qc_bytes: u64,
    vote_bytes: u64,
    /// A stored block's header bytes and the votes of its commit certificate.
    stored: (u64, u32),
}

impl HotStuff {
    pub fn new(params: &scenario::HotStuff, n: u32) -> Self {
        let f = (n - 1) / 3;
        let q = (n + f + 1).div_ceil(2);
        HotStuff {
            params: params.clone(),
            n,
            q,
            requests: Requests::releasing(),
            rows: Rows::new(n),
            exec: Executed::new(n),
            blocks: Store::new(),
            marks: vec![Marks::new(); n as usize],
            views: vec![1; n as usize],
            release_due: false,
            peak_new_views: 0,
            record: false,
            counts: Counts::default(),
            decided: 0,
            settled: vec![0; n as usize],
            timeout: from_secs(params.view_timeout_ms / 1e3),
            byz: Byzantine::default(),
            branch: BTreeMap::new(),
            view_changes: Vec::new(),
            qc_bytes: certificate_bytes(params.certificate, n, q),
            vote_bytes: vote_bytes(params.certificate),
            // A stored block keeps its header and commit certificate: q votes when
            // certificates are not sized apart, else the certificate as sent.
            stored: match params.certificate {
                Certificate::Header => (VOTE_BYTES, q),
                Certificate::Signatures | Certificate::Aggregate => {
                    (VOTE_BYTES + certificate_bytes(params.certificate, n, q), 0)
                }
            },
        }
    }

    /// The protocol with the Byzantine replicas `adversary` names (other adversaries: none).
    /// Equivocating replicas may name any past block: every block is then kept.
    pub fn with_adversary(mut self, adversary: Option<&scenario::Adversary>) -> Self {
        self.byz = Byzantine::new(adversary, self.n);
        let byz = &self.byz;
        self.rows = Rows::new(self.n).judging(|r| byz.is_honest(r));
        if (0..self.n).any(|r| self.byz.equivocates(r)) {
            self.blocks.keep_all();
        }
        self
    }

    /// Keeps every request, block and decision for the whole run, for tests that read them
    /// afterwards.
    pub fn recording(mut self) -> Self {
        self.requests = Requests::default();
        self.blocks.keep_all();
        self.record = true;
        self
    }

    pub fn byzantine(&self) -> &Byzantine {
        &self.byz
    }

    /// Heights committed (at least one replica).
    pub fn decisions(&self) -> u64 {
        self.decided
    }

    pub fn block(&self, b: u32) -> &Block {
        self.blocks.get(b)
    }

    /// The blocks kept, by id: every block proposed, the genesis block first, when
    /// `recording`.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.blocks.iter()
    }

    /// The most blocks held at once.
    pub fn peak_blocks(&self) -> usize {
        self.blocks.peak_held()
    }

    /// The most `NEW-VIEW` records one replica held at once.
    pub fn peak_new_views(&self) -> usize {
        self.peak_new_views
    }

    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    fn leader(&self, view: u64) -> u32 {
        (view % self.n as u64) as u32
    }

    fn send(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg) {
        if let Some(bytes) = self.outgoing(ctx.node, msg, 1) {
            ctx.send(to, msg, bytes);
        }
    }

    fn multicast(&mut self, ctx: &mut Ctx<Msg, Timer>, msg: Msg) {
        if let Some(bytes) = self.outgoing(ctx.node, msg, u64::from(self.n - 1)) {
            ctx.broadcast(msg, bytes);
        }
    }

    /// Counts `copies` of `msg` going out from `node`; their size, or `None` when a
    /// withholding replica keeps them back.
    fn outgoing(&mut self, node: u32, msg: Msg, copies: u64) -> Option<u64> {
        if self.byz.withholds(node) && matches!(msg, Msg::Vote(_) | Msg::NewView { .. }) {
            return None;
        }
        let (count, bytes) = match msg {
            Msg::Request(r) => (&mut self.counts.request, self.requests.get(r).bytes),
            Msg::Proposal(b) => (
                &mut self.counts.proposal,
                VOTE_BYTES + self.qc_bytes + self.requests.bytes_of(&self.blocks.get(b).batch),
            ),
            Msg::Vote(_) => (&mut self.counts.vote, self.vote_bytes),
            Msg::NewView { .. } | Msg::Collude(_) => {
                (&mut self.counts.new_view, VOTE_BYTES + self.qc_bytes)
            }
        };
        *count += copies;
        Some(bytes)
    }
}

impl Protocol for HotStuff {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Request(_) => Kind::new("request", Carries::Transactions),
            Msg::Proposal(_) => Kind::new("proposal", Carries::Block),
            Msg::Vote(_) => Kind::new("vote", Carries::Vote),
            Msg::NewView { .. } => Kind::new("new_view", Carries::Control),
            Msg::Collude(_) => Kind::new("collude", Carries::Control),
        }
    }

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            view: 1,
            voted_view: 0,
            high_qc: 0,
            locked: 0,
            committed: 0,
            decided: BTreeMap::new(),
            decided_at: BTreeMap::new(),
            conflicts: 0,
            proposed_view: 0,
            waiting: BTreeSet::new(),
            votes: Tally::counting(),
            new_views: Tally::per_sender(self.n),
            new_view_qc: BTreeMap::new(),
            idle_leader: id == 1,
            epoch: 0,
            timeouts: 0,
            fork_votes: Tally::counting(),
        }
    }

    fn on_start(&mut self, _node: &mut Node, _ctx: &mut Ctx<Msg, Timer>) {}

    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.marks[node.id as usize].live = false;
        self.executed_to(node.id, u64::MAX);
        self.rows.down_for_good(node.id);
        self.release();
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.recover(node, ctx);
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        if txs.is_empty() {
            return;
        }
        let r = self.requests.add(node.id, txs, ctx);
        self.multicast(ctx, Msg::Request(r));
        self.learn(node, ctx, r);
        self.after(node);
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        match msg {
            Msg::Request(r) => self.learn(node, ctx, r),
            // A released block's view is below this replica's: it would drop the proposal.
            Msg::Proposal(b) => {
                if self
                    .blocks
                    .view_of(b)
                    .is_some_and(|v| from == self.leader(v))
                {
                    self.on_proposal(node, ctx, b);
                }
            }
            Msg::Vote(b) => self.on_vote(node, ctx, from, b),
            Msg::NewView { view, high_qc } => self.on_new_view(node, ctx, from, view, high_qc),
            Msg::Collude(c) => {
                if self.byz.equivocates(node.id) && !self.byz.is_honest(from) {
                    self.certified(node, ctx, c);
                }
            }
        }
        self.views[node.id as usize] = node.view;
        self.after(node);
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        self.time_out(node, ctx, timer);
    }

    fn vote_usage(&self, nodes: &[Node]) -> super::quorum::Usage {
        let per_node = |n: &Node| n.votes.usage() + n.new_views.usage() + n.fork_votes.usage();
        nodes.iter().map(per_node).sum()
    }

    fn spill_rows(&mut self, to: &crate::metrics::spill::Spill) {
        self.rows.spill_to(to);
    }

    fn mempool_len(&self) -> u64 {
        self.requests.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], _end: Time, _metrics: &mut Metrics) -> Report {
        let c = self.counts;
        let blocks = self.rows.finish();
        let view = nodes.iter().map(|n| n.view).max().unwrap_or(0);
        let mut summary = decided::summary(
            "hotstuff",
            self.decided,
            vec![("hotstuff_final_view".into(), Value::from(view))],
            &[
                ("request", c.request),
                ("proposal", c.proposal),
                ("vote", c.vote),
                ("new_view", c.new_view),
            ],
        );
        summary.extend(self.byz.rows_of(self.rows.conflicting()));
        let fork_blocks = self.branch.values();
        let fork_blocks = fork_blocks
            .filter(|&&(_, left)| left < FORK_CHILDREN)
            .count();
        summary.push(("byzantine_fork_blocks".into(), fork_blocks.into()));
        let mut report = decided::report(
            &self.requests,
            &self.settled[..self.n as usize],
            blocks,
            summary,
        );
        report.leaders = Some(LeaderRow::table(&[("view_change", &self.view_changes)]));
        report
    }
}

impl HotStuff {
    /// A replica learns of a request; an idle leader of the current view proposes it.
    fn learn(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        let committed_h = self.blocks.get(node.committed).height;
        if self.requests.executed(node.id, r, committed_h) {
            return;
        }
        let was_idle = node.waiting.is_empty();
        node.waiting.insert(r);
        if node.idle_leader && self.leader(node.view) == node.id {
            self.propose(node, ctx);
        }
        if was_idle {
            self.arm(node, ctx);
        }
    }
}
