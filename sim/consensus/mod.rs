//! Consensus protocols behind one interface.
//!
//! A protocol is a state machine per validator. Its handlers receive a [`Ctx`] — the current
//! time, the node's id and random stream, a read-only view of the network, the metrics
//! recorder — and *return commands* through it (send a message, set a timer). They never
//! touch the event queue or another node's state; shared content (the block store, the
//! transaction pool) lives in the protocol value and stands for data every node can fetch by
//! id, while what each node *knows* lives in its own node state.
//!
//! # Adding a protocol
//! 1. Write `sim/consensus/NAME/mod.rs` with a type implementing [`Protocol`]; declare what
//!    "settled" means for it by calling `ctx.settle` at that moment (the validators' execution
//!    cost, `ledger::Executor`, is added there).
//! 2. Add its parameters as a variant of `scenario::Consensus` and validate them.
//! 3. Add one arm to [`crate::world::run`]'s registry `match`.

pub mod byzantine;
pub mod decided;
pub mod election;
pub mod hotstuff;
pub mod nakamoto;
pub mod notary;
pub mod pbft;
pub mod pos;
pub mod quorum;
pub mod raft;
pub mod rows;
pub mod settlements;
pub mod tangle;
pub mod tendermint;
pub mod tx_relay;
pub mod xrpl;

use crate::engine::{Command, EventKey, Time};
use crate::ledger::{Executor, Part, TxKind, TxTag};
use crate::metrics::{BlockRow, Metrics, Value};
use crate::net::{Network, Reach};
use rand_chacha::ChaCha8Rng;
use settlements::Settlements;

/// A transaction as it reaches a validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxIn {
    pub device: u32,
    pub seq: u32,
    pub bytes: u32,
    /// Fits the padding after `bytes`: a transaction stays 32 bytes.
    pub kind: TxKind,
    /// Whether it reads and writes the shared key (`devices[i].hot_key_share`); also in the
    /// padding.
    pub hot: bool,
    pub created: Time,
    pub uploaded: Time,
}

impl TxIn {
    pub fn tag(&self) -> TxTag {
        TxTag {
            device: self.device,
            seq: self.seq,
            kind: self.kind,
        }
    }
}

/// What a handler may read and the commands it may issue.
pub struct Ctx<'a, M, T> {
    pub now: Time,
    pub node: u32,
    /// The key this handler runs under: its event's, or for each upload a recovering
    /// validator had parked, one of `SYSTEM`'s numbers taken at the recovery. Keys only grow
    /// from one handler to the next, so what a handler creates can be named by it (request
    /// ids) in the order the sequential engine created it, whatever thread runs the handler.
    pub key: EventKey,
    pub rng: &'a mut ChaCha8Rng,
    pub net: &'a Network,
    pub reach: &'a Reach,
    pub metrics: &'a mut Metrics,
    /// The validators' execution cores (`ledger::Executor`): each node's own, which its
    /// handler uses at once; the shared settlement timeline only through `settlements`.
    pub exec: &'a mut Executor,
    /// Settlements and invalid drops, replayed through the shared timeline after the handler
    /// (`settlements.rs`).
    pub settlements: &'a mut Settlements,
    pub out: &'a mut Vec<Command<M, T>>,
}

impl<M, T> Ctx<'_, M, T> {
    /// `tx`, created at `created`, is decided now in a block (or batch) of `block_txs`: it is
    /// settled once the validators have executed it (at once when execution is free).
    pub fn settle(&mut self, tx: TxTag, created: Time, block_txs: u32) {
        self.settlements
            .settle(self.key, self.now, tx, created, block_txs);
    }

    /// `tx`, about to settle with its request, was found invalid at validation: dropped now,
    /// in its place among the settlements.
    pub fn drop_invalid(&mut self, tx: TxTag) {
        self.settlements.invalid(self.key, self.now, tx);
    }

    /// `tx` is settled now, its execution done where its block arrived (`execute_block`).
    pub fn settle_executed(&mut self, tx: TxTag, created: Time, block_txs: u32) {
        self.metrics.on_settled_tx(tx, created, self.now, block_txs);
    }

    /// This validator executes a block of `kinds[k]` transactions of each kind once it is
    /// ready at `at`; returns when that ends (`at` when execution is free).
    pub fn execute_block(&mut self, at: Time, kinds: &[u32; TxKind::COUNT]) -> Time {
        self.exec.block(self.node, at, kinds)
    }

    /// Whether validators' execution costs anything (`validators.execution` is set).
    pub fn executes(&self) -> bool {
        self.exec.is_on()
    }

    /// As `execute_block`, for one part of the transactions' work (`Part`).
    pub fn execute_part(&mut self, at: Time, kinds: &[u32; TxKind::COUNT], part: Part) -> Time {
        self.exec.part(self.node, at, kinds, part)
    }

    pub fn send(&mut self, to: u32, msg: M, bytes: u64) {
        self.out.push(Command::Send { to, msg, bytes });
    }

    /// Sends `msg` to every other validator, in id order (as one `send` to each).
    pub fn broadcast(&mut self, msg: M, bytes: u64) {
        self.broadcast_below(u32::MAX, msg, bytes);
    }

    /// Sends `msg` to every other validator with an id below `upto` (a cluster that is the
    /// first nodes of the network), in id order (as one `send` to each).
    pub fn broadcast_below(&mut self, upto: u32, msg: M, bytes: u64) {
        self.out.push(Command::Broadcast { msg, bytes, upto });
    }

    pub fn timer(&mut self, delay: Time, timer: T) {
        self.out.push(Command::Timer { delay, timer });
    }
}

/// What a validator message carries, in words shared by every family, so that costs compare
/// across them: client transactions on their way to or between validators, a block or batch
/// of them (a proposal, a decided batch, a catch-up transfer), a vote or signature over one,
/// or control (view changes, elections, heartbeats, catch-up requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Carries {
    Transactions,
    Block,
    Vote,
    Control,
}

impl Carries {
    pub fn name(self) -> &'static str {
        match self {
            Carries::Transactions => "transactions",
            Carries::Block => "block",
            Carries::Vote => "vote",
            Carries::Control => "control",
        }
    }
}

/// A protocol message's own name (`pre_prepare`, `block`) and what it carries.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub name: &'static str,
    pub carries: Carries,
    /// The kind's number among its family's kinds, below [`Kind::SLOTS`], where the family
    /// numbers them ([`Kind::numbered`]): the world then counts a message of the kind without
    /// looking its name up, which it did twice per message. [`Kind::UNNUMBERED`] elsewhere.
    pub slot: u8,
}

/// Kinds are the same kind by name and what they carry, whatever their numbers.
impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.carries == other.carries
    }
}

impl Eq for Kind {}

impl Kind {
    pub const SLOTS: usize = 16;
    pub const UNNUMBERED: u8 = u8::MAX;

    pub const fn new(name: &'static str, carries: Carries) -> Self {
        Kind {
            name,
            carries,
            slot: Kind::UNNUMBERED,
        }
    }

    /// A kind its family numbers `slot` (below [`Kind::SLOTS`], one number per kind).
    pub const fn numbered(slot: u8, name: &'static str, carries: Carries) -> Self {
        assert!((slot as usize) < Kind::SLOTS);
        Kind {
            name,
            carries,
            slot,
        }
    }
}

/// How a family floods client transactions between validators where it does not send them as
/// messages (they reach each node along the fastest path of the peer graph, `net::Reach`):
/// the world counts what that flood costs per hop along the relay tree (`world::relay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gossip {
    /// Each node announces the transaction's hash to every peer but the one it got it from;
    /// a node asks the first peer that announced it and receives it from that one.
    Announce {
        announce_bytes: u64,
        request_bytes: u64,
    },
    /// Each node sends the whole transaction to every peer but the one it got it from.
    Push,
}

/// Per-validator facts a protocol reports at the end of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeStats {
    /// `None` where the family has no such notion (see `metrics::NodeRow`).
    pub hash_share: Option<f64>,
    pub stake_share: Option<f64>,
    pub blocks_proposed: Option<u32>,
    pub blocks_main_chain: Option<u32>,
    pub settled_tx: u64,
}

impl NodeStats {
    /// One row per validator for a family whose only per-node fact is what it settled.
    pub fn settled_only(settled: &[u64]) -> Vec<NodeStats> {
        settled
            .iter()
            .map(|&s| NodeStats {
                settled_tx: s,
                ..NodeStats::default()
            })
            .collect()
    }
}

/// What a protocol reports when the run ends.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub blocks: Vec<BlockRow>,
    pub nodes: Vec<NodeStats>,
    pub pending_in_mempool: u64,
    pub pending_in_block: u64,
    /// Transactions the protocol discarded, by reason (e.g. `mempool_full`).
    pub dropped: Vec<(String, u64)>,
    /// Bytes every replica's ledger grew by over the run, for a family whose ledger is not its
    /// blocks (the tangle); otherwise `None`, and the world sums the final chain's blocks.
    pub ledger_bytes: Option<u64>,
    /// Protocol-specific `(metric, value)` pairs for the summary: counts as integers.
    pub summary: Vec<(String, Value)>,
    /// Elections and step-downs, in time order; `None` for families without leaders.
    pub leaders: Option<Vec<crate::metrics::LeaderRow>>,
}

/// `x / n`, undefined (NaN) when `n` is 0: a cost per decision or per entry of a run that made
/// none.
pub fn per(x: u64, n: u64) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        x as f64 / n as f64
    }
}

impl Report {
    /// A report for protocols that settle without blocks of their own: per-validator settled
    /// counts, the two pending stages, and the protocol's summary rows.
    pub fn of_settled(
        settled: &[u64],
        pending_in_mempool: u64,
        pending_in_block: u64,
        summary: Vec<(String, Value)>,
    ) -> Self {
        Report {
            nodes: NodeStats::settled_only(settled),
            pending_in_mempool,
            pending_in_block,
            summary,
            ..Report::default()
        }
    }
}

/// `Send` because a run's validators advance on one thread while fleet shards run on others.
pub trait Protocol: Send {
    type Node: Send;
    /// Compared to find a handler's runs of one message to several peers (`world::runs`).
    type Msg: Copy + std::fmt::Debug + Send + PartialEq;
    type Timer: Copy + std::fmt::Debug + Send;

    /// Fresh state of validator `id`.
    fn new_node(&self, id: u32) -> Self::Node;
    fn on_start(&mut self, node: &mut Self::Node, ctx: &mut Ctx<Self::Msg, Self::Timer>);
    fn on_transactions(
        &mut self,
        node: &mut Self::Node,
        ctx: &mut Ctx<Self::Msg, Self::Timer>,
        txs: &[TxIn],
    );
    fn on_message(
        &mut self,
        node: &mut Self::Node,
        ctx: &mut Ctx<Self::Msg, Self::Timer>,
        from: u32,
        msg: Self::Msg,
    );
    fn on_timer(
        &mut self,
        node: &mut Self::Node,
        ctx: &mut Ctx<Self::Msg, Self::Timer>,
        timer: Self::Timer,
    );
    /// The validator restarts after a crash with the state it had; timers that fell due while
    /// it was down were lost, so protocols re-arm them here.
    fn on_recover(&mut self, _node: &mut Self::Node, _ctx: &mut Ctx<Self::Msg, Self::Timer>) {}
    /// The validator stops at `now` (it handles nothing until `on_recover`). For protocols
    /// whose shared content stands for what each node learns by gossip, such as the tangle.
    fn on_crash(&mut self, _node: &mut Self::Node, _now: Time) {}
    /// The validator's crash, begun at `now` (just reported to `on_crash`), lasts to the end
    /// of the run: it handles nothing more, so shared content only it could still ask about
    /// may go.
    fn on_down_for_good(&mut self, _node: &mut Self::Node, _now: Time) {}
    /// The message's name and what it carries, for the `messages` table.
    fn kind(&self, msg: &Self::Msg) -> Kind;
    /// How the family floods the transactions it reports with `Metrics::on_gossiped`.
    fn gossip(&self) -> Option<Gossip> {
        None
    }
    /// For a message that changes nothing, neither state nor metrics, when delivered to a
    /// validator that already received a copy with the same key (a flooded block), that key.
    /// The world then leaves out copies arriving after the first one in flight; their sending
    /// cost is still counted.
    fn copy_key(&self, _msg: &Self::Msg) -> Option<u32> {
        None
    }
    /// Whether `msg`, sent now to `to`, changes nothing, neither state nor metrics, whenever it
    /// arrives: an announcement of a block `to` already fetches. The world then counts it
    /// delivered without queueing it, as it does with copies (and under the same condition:
    /// no crash schedules, so every queued message would be delivered).
    fn futile(&self, _to: u32, _msg: &Self::Msg) -> bool {
        false
    }
    /// [`Self::futile`] of `msg` to each of `to`, into `out` (as long): a run of copies (a
    /// block's `inv` to every peer) asks for all of them at once, what they share looked up once.
    fn futile_many(&self, msg: &Self::Msg, to: &[u32], out: &mut [bool]) {
        for (f, &t) in out.iter_mut().zip(to) {
            *f = self.futile(t, msg);
        }
    }
    /// Whether `msg` carries block data through the sender's upload link, queued or shared
    /// with its other transfers (`network.upload`) under `relay_model: announce`. Others
    /// (announcements, requests, votes) leave at once. By default every message that carries
    /// a block ([`Carries::Block`]): a BFT leader's proposal to n − 1 replicas is n − 1
    /// transfers through one link, as a miner's block to its peers.
    fn bulk(&self, msg: &Self::Msg) -> bool {
        self.kind(msg).carries == Carries::Block
    }
    /// What the validators' vote bookkeeping holds (`quorum::Tally`), for the families that
    /// count votes; zero for the others.
    fn vote_usage(&self, _nodes: &[Self::Node]) -> quorum::Usage {
        quorum::Usage::default()
    }
    /// Where the family's closed `blocks` rows go as the run goes (`metrics::spill`), for the
    /// families that build them with `rows::Rows`; the others keep their rows.
    fn spill_rows(&mut self, _to: &crate::metrics::spill::Spill) {}
    /// The relay of client transactions as messages (`network.tx_relay: announce`), for the
    /// privacy observers to learn when and from whom each watched validator got them.
    fn tx_relay_mut(&mut self) -> Option<&mut tx_relay::TxRelay> {
        None
    }
    /// Sets the family up to run with its validators cut into partitions of consecutive ids
    /// starting at `bounds` (`bounds[0]` is 0), in windows (`sim/README.md`, validators in
    /// parallel); whether it can. A family answers yes only when every handler reads only its
    /// own node's state, its partition's, or state frozen since the window began, and writes
    /// what others read into merges whose result does not depend on the order partitions run
    /// in. By default no: the family runs with one partition.
    fn partition(&mut self, _bounds: &[u32]) -> bool {
        false
    }
    /// The end of a window, when the family is cut (`partition`): every partition has run its
    /// events up to here. What handlers logged for others is replayed now in key order, and
    /// the minima that release memory are read (`sim/README.md`, rules 3 and 4).
    fn window_end(&mut self, _metrics: &mut Metrics) {}
    /// Transactions at validators not yet in any block (for the time series).
    fn mempool_len(&self) -> u64;
    fn finish(&mut self, nodes: &[Self::Node], end: Time, metrics: &mut Metrics) -> Report;
}
