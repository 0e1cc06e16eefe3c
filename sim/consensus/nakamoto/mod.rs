//! Nakamoto proof-of-work, as in Bitcoin.
//!
//! Each miner finds blocks as a Poisson process at rate `share / block_interval` (memoryless,
//! so a miner that switches tips keeps its pending find time); under `block_intervals: fixed`
//! block k is found at exactly k · `block_interval` by a miner drawn by hash share. A block
//! carries the transactions its miner knows of and its chain does not yet hold, oldest first,
//! up to the size limit: knows of when it finds the block (`template: live`), or when it
//! started on the block's parent (`template: at_start`: later arrivals wait for the next). Blocks are relayed peer to peer; a receiver validates (time proportional to
//! size, then the execution of its transactions on the validator's cores, queued behind the
//! blocks it is still executing, when `validators.execution` is set) before adopting and
//! relaying. A miner relays its block at once but adopts it once it has executed it, mining
//! on it meanwhile (an attacking miner executes its blocks too, on its private chain). The
//! `fill_blocks` padding is executed like the rest, each padded transaction as a reading.
//! Fork choice is the longest chain, first seen on ties.
//! A transaction is *settled* when its block is `confirmations` deep in the chain of the
//! validator its gateway reports to.

mod attack;
mod exchange;
mod execute;
pub mod hash_power;
mod mining;
pub mod relay;
mod schedule;
mod txs;

use super::{Carries, Ctx, Gossip, Kind, NodeStats, Protocol, Report, TxIn};
use crate::adversary::{self, Attack};
use crate::consensus::tx_relay::{self, TxRelay};
use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::ledger::{BlockStore, GENESIS, Pool, TxKind};
use crate::metrics::{Metrics, Value};
use crate::scenario::{self, BlockIntervals, Relay, RelayModel, Template};
use relay::Announce;

/// Block header (80 B) plus a typical coinbase transaction.
const BLOCK_OVERHEAD: u64 = 80 + 250;
/// BIP 152: header, nonce, counts, 6-byte short id per transaction, the coinbase prefilled.
const COMPACT_OVERHEAD: u64 = 80 + 8 + 9 + 250;
const SHORT_ID: u64 = 6;
/// Size of the transactions that pad a block under `fill_blocks` (Gervais et al.: 522.4 B on
/// average; rounded). Each is executed as a reading.
pub(super) const BACKGROUND_TX_BYTES: u64 = 500;

pub struct Nakamoto {
    params: scenario::Nakamoto,
    blocks: BlockStore,
    pool: Pool,
    hash_share: Vec<f64>,
    mined: Vec<u32>,
    settled: Vec<u64>,
    dropped_mempool_full: u64,
    /// Compact-block size of each block (index = block id).
    compact_bytes: Vec<u64>,
    /// Transactions of each kind in each block (index = block id), for its execution.
    kinds: Vec<[u32; TxKind::COUNT]>,
    /// Whether each node relays compact blocks.
    compact: Vec<bool>,
    /// Each block's ancestor `confirmations` deep (`u32::MAX` until asked; see `adopt`).
    deep: Vec<u32>,
    seed: u64,
    attack: Option<Attack>,
    /// Announce/request relay state; `None` under `relay_model: ideal`.
    announce: Option<Announce>,
    /// Whether requests arm a stall timer (see `with_relay`).
    stall_timers: bool,
    /// Transactions relayed as messages; `None` under `tx_relay: fastest_path`.
    tx_relay: Option<TxRelay>,
    /// Who finds each block when intervals are fixed (see `with_horizon`); `None` when they
    /// are exponential.
    schedule: Option<schedule::Schedule>,
}

#[derive(Clone, Debug)]
pub struct Node {
    id: u32,
    tip: u32,
    /// Deepest block of this node's chain that is `confirmations` deep.
    confirmed: u32,
    /// When its pending `Mine` timer is due (`Time::MAX`: none).
    mine_at: Time,
    /// The newest block it mined and is still executing: it mines on that meanwhile.
    own: Option<u32>,
    /// The block it mines on and since when: under `template: at_start` its block carries
    /// only what it knew of by then.
    template: (u32, Time),
}

impl Node {
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The block this node's chain ends at.
    pub fn tip(&self) -> u32 {
        self.tip
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// The whole block (under `ideal`: every relayed copy).
    Block(u32),
    /// `announce` only: the sender holds the block (inv).
    Inv(u32),
    /// Asks the receiver for the block (getdata).
    GetData(u32),
    /// BIP 152 compact block, asked for or pushed to a high-bandwidth peer.
    Compact(u32),
    /// Asks for the transactions a compact block lacked.
    GetBlockTxn(u32),
    /// The transactions a compact block lacked.
    BlockTxn(u32),
    /// `tx_relay: announce` only: the sender holds a batch of transactions (their hashes).
    TxInv(u32),
    /// Asks the receiver for a batch of transactions.
    GetTx(u32),
    /// A batch of transactions.
    Tx(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Mine,
    Validated(u32),
    /// The miner has executed its own block: it adopts it.
    Executed(u32),
    /// A request for the block went unanswered this long: ask another peer.
    Stalled(u32),
    /// A request for a batch of transactions (`tx_relay: announce`) sent to the second id
    /// went unanswered this long: ask another peer.
    TxStalled(u32, u32),
}

/// Copy keys: a block id in the low 30 bits, the message kind above (block ids stay far below
/// 2^30: one block per second would take 34 simulated years).
const INV_KEY: u32 = 1 << 30;
const COMPACT_KEY: u32 = 2 << 30;

impl Nakamoto {
    pub fn new(params: &scenario::Nakamoto, validators: u32, seed: u64) -> Self {
        let miners = params.miners.unwrap_or(validators as u64) as u32;
        let compact = (0..validators)
            .map(|v| {
                params.relay == Relay::Compact
                    && draw_unit(seed, v as u64, Purpose::Relay, 0) < params.compact_nodes
            })
            .collect();
        Nakamoto {
            params: params.clone(),
            blocks: BlockStore::new(validators),
            pool: Pool::default(),
            hash_share: hash_power::shares(&params.hash_power, miners, validators, seed),
            mined: vec![0; validators as usize],
            settled: vec![0; validators as usize],
            dropped_mempool_full: 0,
            compact_bytes: vec![0],
            kinds: vec![[0; TxKind::COUNT]],
            compact,
            deep: Vec::new(),
            seed,
            attack: None,
            announce: None,
            stall_timers: false,
            tx_relay: None,
            schedule: None,
        }
    }

    /// Under `block_intervals: fixed`, draws the finder of every block due by `end` from the
    /// hash shares as they stand (call it after `with_adversary`, which may change them).
    pub fn with_horizon(mut self, end: Time) -> Self {
        if self.params.block_intervals == BlockIntervals::Fixed {
            let interval = from_secs(self.params.block_interval_s);
            self.schedule = Some(schedule::Schedule::new(
                &self.hash_share,
                interval,
                end,
                self.seed,
            ));
        }
        self
    }

    /// Relays blocks as `model` says (`Nakamoto::new` gives `ideal`). `lossy`: messages can be
    /// lost or meet a crashed node, so unanswered requests need stall timers (without, every
    /// request is answered and the timers would only cost events).
    pub fn with_relay(mut self, model: RelayModel, lossy: bool) -> Self {
        self.stall_timers = lossy;
        self.announce = match model {
            RelayModel::Ideal => None,
            RelayModel::Announce => {
                Some(Announce::new(&self.params, self.compact.clone(), self.seed))
            }
        };
        self
    }

    /// Relays client transactions between validators as `model` says (`Nakamoto::new` gives
    /// `fastest_path`); `lossy` as for `with_relay`.
    pub fn with_tx_relay(mut self, model: scenario::TxRelay, validators: u32, lossy: bool) -> Self {
        self.tx_relay = match model {
            scenario::TxRelay::FastestPath => None,
            scenario::TxRelay::Announce => Some(TxRelay::new(validators, tx_relay::BITCOIN, lossy)),
        };
        self
    }

    /// The protocol with one attacking validator, whose hash share replaces its configured one.
    pub fn with_adversary(
        params: &scenario::Nakamoto,
        validators: u32,
        seed: u64,
        adversary: Option<&scenario::Adversary>,
    ) -> Self {
        let mut n = Self::new(params, validators, seed);
        if let Some(a) = adversary
            && let Some((node, share)) = adversary::hash_share(a)
        {
            adversary::reshare(&mut n.hash_share, node, share);
            n.attack = Attack::new(a);
        }
        n
    }

    /// Blocks keep their lists until every node settled them, stale blocks for the whole run:
    /// for reading what stale blocks carried after it.
    pub fn keeping_block_lists(mut self) -> Self {
        self.blocks.keep_lists();
        self
    }

    pub fn blocks(&self) -> &BlockStore {
        &self.blocks
    }

    /// Transactions not yet settled at their origin (settling removes them).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl Protocol for Nakamoto {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Block(_) => Kind::numbered(0, "block", Carries::Block),
            Msg::Inv(_) => Kind::numbered(1, "inv", Carries::Control),
            Msg::GetData(_) => Kind::numbered(2, "getdata", Carries::Control),
            Msg::Compact(_) => Kind::numbered(3, "cmpctblock", Carries::Block),
            Msg::GetBlockTxn(_) => Kind::numbered(4, "getblocktxn", Carries::Control),
            Msg::BlockTxn(_) => Kind::numbered(5, "blocktxn", Carries::Block),
            // The names of the rows the fastest-path model counts, so the two compare.
            Msg::TxInv(_) => Kind::numbered(6, "tx_announce", Carries::Transactions),
            Msg::GetTx(_) => Kind::numbered(7, "tx_request", Carries::Transactions),
            Msg::Tx(_) => Kind::numbered(8, "tx_relay", Carries::Transactions),
        }
    }

    /// Bitcoin's inv/getdata: an inventory entry is a 4-byte type and a 32-byte hash, in
    /// `inv` and in `getdata` alike (Bitcoin P2P protocol, "Inventory Vectors"). Relayed as
    /// messages (`tx_relay: announce`), transactions are counted as they are sent instead.
    fn gossip(&self) -> Option<Gossip> {
        self.tx_relay.is_none().then_some(Gossip::Announce {
            announce_bytes: tx_relay::HASH_BYTES,
            request_bytes: tx_relay::HASH_BYTES,
        })
    }

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            tip: GENESIS,
            confirmed: GENESIS,
            mine_at: Time::MAX,
            own: None,
            template: (GENESIS, 0),
        }
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.next_find(node, ctx);
    }

    /// A find that fell due while the miner was down was lost with its timer; mining is
    /// memoryless, so a fresh draw from now is exact. A timer due later is still pending.
    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if let Some(r) = &mut self.tx_relay {
            r.restarted(node.id);
        }
        if node.mine_at < ctx.now {
            self.next_find(node, ctx);
        }
        // A restarted miner builds its block afresh.
        if self.params.template == Template::AtStart {
            node.template = (self.parent(node), ctx.now);
        }
    }

    fn on_transactions(&mut self, _node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        // The transactions of one upload travel on together (`tx_relay: announce`).
        let mut batch = None;
        for &tx in txs {
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            if self.pool.unincluded_bytes() + u64::from(tx.bytes) > self.params.max_mempool_bytes {
                self.dropped_mempool_full += 1;
                ctx.metrics.on_dropped_tx(tx.tag(), ctx.now);
                continue;
            }
            let (slot, _) = self.pool.insert(tx, ctx.now, ctx.node);
            ctx.metrics.on_gossiped(ctx.node, tx.bytes);
            if let Some(r) = &mut self.tx_relay {
                let b = *batch.get_or_insert_with(|| r.open(ctx.node, ctx.now));
                r.add(b, slot, &tx);
            }
        }
        if let Some(b) = batch {
            self.announce_txs(b, None, ctx);
        }
    }

    fn on_message(&mut self, _node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        match msg {
            Msg::TxInv(b) | Msg::GetTx(b) | Msg::Tx(b) => self.on_tx_msg(ctx, from, msg, b),
            Msg::Block(b) if self.announce.is_none() => self.got_block(b, ctx),
            _ => self.on_announce_msg(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Mine => {
                self.mine(node, ctx);
                self.next_find(node, ctx);
            }
            Timer::Validated(b) => {
                self.adopt(node, b, ctx);
                self.relay(b, ctx);
                if self.is_attacker(node.id) {
                    self.attacker_sees(node, ctx);
                }
            }
            Timer::Executed(b) => self.executed_own(node, b, ctx),
            Timer::Stalled(b) => self.stalled(b, ctx),
            Timer::TxStalled(b, from) => self.tx_stalled(b, from, ctx),
        }
        self.retemplate(node, ctx.now);
    }

    /// A block received twice is ignored (`BlockTree::receive`); so are announcements and
    /// compact blocks of a block already asked for.
    fn copy_key(&self, msg: &Msg) -> Option<u32> {
        match *msg {
            Msg::Block(b) => Some(b),
            Msg::Inv(b) => Some(INV_KEY | b),
            Msg::Compact(b) => Some(COMPACT_KEY | b),
            Msg::GetData(_) | Msg::GetBlockTxn(_) | Msg::BlockTxn(_) => None,
            // Batch ids are not block ids; an announcement already asked for is dropped by
            // its handler at no cost but the event.
            Msg::TxInv(_) | Msg::GetTx(_) | Msg::Tx(_) => None,
        }
    }

    /// An `inv` of a block its receiver holds or has asked a peer for is ignored on arrival,
    /// and neither undoes itself: a fetch ends only with the block, except when a stall timer
    /// gives up on its peer (lossy networks), so then every `inv` is delivered.
    fn futile(&self, to: u32, msg: &Msg) -> bool {
        match (msg, &self.announce) {
            // Most futile `inv`s find their receiver fetching the block (`relay` sends none to
            // peers that hold it), and the fetch is one load: asked first.
            (Msg::Inv(b), Some(a)) if !self.stall_timers => {
                a.fetch(to, *b).is_some() || self.blocks.has(*b, to)
            }
            _ => false,
        }
    }

    fn futile_many(&self, msg: &Msg, to: &[u32], out: &mut [bool]) {
        match (msg, &self.announce) {
            (Msg::Inv(b), Some(a)) if !self.stall_timers => {
                for (f, &t) in out.iter_mut().zip(to) {
                    *f = a.fetch(t, *b).is_some() || self.blocks.has(*b, t);
                }
            }
            _ => out.fill(false),
        }
    }

    /// Block data queues on the upload link under `relay_model: announce` only (under `ideal`
    /// it crosses at full speed even when transactions share the links).
    fn bulk(&self, msg: &Msg) -> bool {
        match msg {
            Msg::Block(_) | Msg::Compact(_) | Msg::BlockTxn(_) => self.announce.is_some(),
            Msg::Tx(_) => true,
            _ => false,
        }
    }

    fn tx_relay_mut(&mut self) -> Option<&mut TxRelay> {
        self.tx_relay.as_mut()
    }

    fn mempool_len(&self) -> u64 {
        self.pool.unincluded()
    }

    fn finish(&mut self, _nodes: &[Node], _end: Time, metrics: &mut Metrics) -> Report {
        let main = self.blocks.main_chain();
        let mut on_main = vec![0u32; self.mined.len()];
        let mut blocks = Vec::with_capacity(self.blocks.len() as usize);
        let mut stale = 0u64;
        for (id, b) in self.blocks.iter().skip(1) {
            let is_main = main[id as usize];
            if is_main {
                on_main[b.miner as usize] += 1;
            } else {
                stale += 1;
            }
            blocks.push(b.row(id, !is_main));
        }
        let (in_block, in_mempool) = self.pool.pending_split(&main);
        let mined = blocks.len() as f64;
        let _ = metrics;
        let main_len = main.iter().filter(|&&m| m).count().saturating_sub(1) as f64;
        let mut extra = Vec::new();
        if let Some(a) = &self.attack {
            let v = a.node() as usize;
            extra.push((
                "attacker_hash_share".to_string(),
                Value::from(self.hash_share[v]),
            ));
            extra.push((
                "attacker_main_chain_share".to_string(),
                Value::from(f64::from(on_main[v]) / main_len.max(1.0)),
            ));
            if let Attack::DoubleSpend(d) = a {
                extra.push(("double_spend_attempts".into(), Value::from(d.attempts)));
                extra.push(("double_spend_successes".into(), Value::from(d.successes)));
            }
        }
        Report {
            ledger_bytes: None,
            leaders: None,
            nodes: (0..self.mined.len())
                .map(|v| NodeStats {
                    hash_share: Some(self.hash_share[v]),
                    stake_share: None,
                    blocks_proposed: Some(self.mined[v]),
                    blocks_main_chain: Some(on_main[v]),
                    settled_tx: self.settled[v],
                })
                .collect(),
            blocks,
            pending_in_mempool: in_mempool,
            pending_in_block: in_block,
            dropped: vec![("mempool_full".into(), self.dropped_mempool_full)],
            summary: vec![
                ("blocks_mined".into(), Value::from(mined as u64)),
                ("blocks_stale".into(), Value::from(stale)),
                (
                    "stale_rate".into(),
                    Value::from(if mined > 0.0 {
                        stale as f64 / mined
                    } else {
                        0.0
                    }),
                ),
                (
                    "retained_block_tx".into(),
                    Value::from(self.blocks.unsettled_listed_txs()),
                ),
                ("main_chain_height".into(), Value::from(main_len as u64)),
            ]
            .into_iter()
            .chain(extra)
            .collect(),
        }
    }
}
