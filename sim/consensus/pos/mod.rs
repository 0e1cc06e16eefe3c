//! Ethereum-style proof of stake (Gasper): slots and epochs, a proposer per slot drawn by
//! stake, one attestation per validator per epoch in its committee's slot, Casper FFG
//! justification and finalization at each epoch boundary, as the consensus specifications'
//! epoch processing.
//!
//! Each slot the proposer builds a block on its head (the received block of the latest slot:
//! with honest validators and a network much faster than a slot this is LMD-GHOST's choice)
//! carrying the transactions it knows of that its chain lacks and the attestations it has
//! received that its chain lacks. A third of a slot in, the slot's committee attests: the
//! target is the checkpoint of the current epoch on the attester's chain (the block at the
//! epoch's first slot, or the latest before it), the source its justified checkpoint.
//! Attestations travel directly to every validator (the gossip subnets and aggregation of the
//! real network are not modelled; blocks count one aggregate of 230 B per committee).
//!
//! At the start of each epoch every node processes the previous one from the attestations
//! included in its own chain; a checkpoint is justified by ≥ 2/3 of total stake and finalized
//! by the rules in [`ffg`]. A transaction is *settled* when a finalized checkpoint of the
//! chain of the validator its gateway reports to descends from its block. Offline stake
//! neither proposes (its slots stay empty) nor attests.
//!
//! With `validators.execution` a validator relays a block at once (gossip checks only the
//! proposer's signature: consensus specs, `p2p-interface.md`, `beacon_block`) and executes
//! it on its own cores, queued behind the blocks it is still executing; only then does the
//! block become its head, to attest to and build on. The proposer executes its own block
//! too. It packs only what executes on those cores within a third of a slot, the
//! attestation deadline (`validator.md`: attest once the slot's block is processed or a third
//! of the slot has passed), as the gas limit keeps Ethereum blocks executable in time: so
//! execution bounds throughput at `cores × ⌊slot / 3 / cost⌋` per slot while finality goes on.
//! `fill_blocks` pads each block with Nakamoto's background transactions up to the size limit
//! and within that budget; every validator executes them, each as a reading.

mod attestation;
mod duties;
mod ffg;
mod kinds;
mod proposal;
mod report;
mod txs;
mod votes;

use super::pbft::requests::Executed;
use super::tx_relay::{self, TxRelay};
use super::{Carries, Ctx, Gossip, Kind, Protocol, Report, TxIn};
use crate::engine::{Time, from_secs};
use crate::ledger::{BlockStore, GENESIS, Pool};
use crate::metrics::Metrics;
use crate::scenario;
use attestation::Attestation;
use ffg::Ffg;
use kinds::Kinds;
use proposal::Scan;
use report::Spread;
use votes::{Attestations, Carried};

const BLOCK_OVERHEAD: u64 = 600;
const ATTESTATION_BYTES: u64 = 230;

pub struct Pos {
    params: scenario::Pos,
    seed: u64,
    slot: Time,
    spe: u64,
    stake: Vec<u64>,
    total: u64,
    offline: Vec<bool>,
    /// Every block: a block's slot is its proposal time over the slot length (see
    /// [`Pos::slot_of`]), so no per-block record of it is kept.
    blocks: BlockStore,
    /// The attestations each block carries, and every attestation, while a validator may
    /// still read them (see `votes.rs`).
    block_atts: Carried,
    /// Transactions of each kind in each block a validator may still receive, for its
    /// execution (see `kinds.rs`).
    kinds: Kinds,
    atts: Attestations,
    /// Per validator: the first epoch whose end it has not processed (`u64::MAX` once down
    /// for good); the lowest, when attestations were last released.
    epochs: Executed,
    released_at: u64,
    /// Keep each validator's finalized checkpoints (`Node::finalized`).
    recording: bool,
    pool: Pool,
    /// Committee slot of every validator for the two most recent epochs asked about.
    committees: [(u64, Vec<u32>); 2],
    proposed: Vec<u32>,
    settled: Vec<u64>,
    /// Checkpoint finality delays (finalized − checkpoint epoch start) over all nodes.
    finality: Spread,
    tx_finality: Spread,
    /// Proposers scan the whole pool every slot instead of resuming (see [`Scan`]).
    rescan: bool,
    /// Transactions relayed as messages; `None` under `tx_relay: fastest_path`.
    tx_relay: Option<TxRelay>,
    /// Whether blocks go through the upload links (`relay_model: announce`); under `ideal`
    /// they cross at full speed even when transactions share the links.
    queue_blocks: bool,
}

#[derive(Clone, Debug)]
pub struct Node {
    id: u32,
    head: u32,
    ffg: Ffg,
    /// Attestations received and not yet known to be in a block.
    heard: Vec<u32>,
    /// Epoch → block of every checkpoint this node finalized, kept so tests can compare nodes
    /// (only under `Pos::recording`).
    finalized_log: std::collections::BTreeMap<u64, u32>,
    /// Where this node's last proposal found the first pool entry its chain did not carry.
    scan: Scan,
    /// When its pending `Slot` timer is due.
    slot_at: Time,
    /// The first epoch whose end this node has not processed.
    next_epoch: u64,
}

impl Node {
    /// Epoch → block of every checkpoint this node finalized.
    pub fn finalized(&self) -> &std::collections::BTreeMap<u64, u32> {
        &self.finalized_log
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Block(u32),
    Attestation(u32),
    /// `tx_relay: announce` only: the sender holds a batch of transactions (their hashes).
    TxInv(u32),
    /// Asks the receiver for a batch of transactions.
    GetTx(u32),
    /// A batch of transactions.
    Tx(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Slot(u64),
    Attest(u64),
    /// The validator has executed the block: it may become its head.
    Executed(u32),
    /// A request for a batch of transactions (`tx_relay: announce`) sent to the second id
    /// went unanswered this long: ask another peer.
    TxStalled(u32, u32),
}

impl Pos {
    pub fn new(params: &scenario::Pos, validators: u32, seed: u64) -> Self {
        let stake = duties::stakes(&params.stake, validators, seed);
        let offline = duties::offline(&stake, params.offline_stake);
        Pos {
            params: params.clone(),
            seed,
            slot: from_secs(params.slot_s),
            spe: params.slots_per_epoch as u64,
            total: stake.iter().sum(),
            stake,
            offline,
            blocks: BlockStore::new(validators),
            block_atts: Carried::new(),
            kinds: Kinds::new(validators),
            atts: Attestations::default(),
            epochs: Executed::new(validators),
            released_at: 0,
            recording: false,
            pool: Pool::default(),
            committees: [(u64::MAX, Vec::new()), (u64::MAX, Vec::new())],
            proposed: vec![0; validators as usize],
            settled: vec![0; validators as usize],
            finality: Spread::default(),
            tx_finality: Spread::default(),
            rescan: false,
            tx_relay: None,
            queue_blocks: true,
        }
    }

    /// Relays client transactions between validators as `model` says (`Pos::new` gives
    /// `fastest_path`), their transfers sharing the upload links with blocks only under
    /// `relay_model: announce`; `lossy`: messages can be lost or meet a crashed validator, so
    /// requests arm a stall timer.
    pub fn with_tx_relay(
        mut self,
        model: scenario::TxRelay,
        relay: scenario::RelayModel,
        validators: u32,
        lossy: bool,
    ) -> Self {
        self.tx_relay = match model {
            scenario::TxRelay::FastestPath => None,
            scenario::TxRelay::Announce => {
                Some(TxRelay::new(validators, tx_relay::ETHEREUM, lossy))
            }
        };
        self.queue_blocks = relay == scenario::RelayModel::Announce;
        self
    }

    /// The protocol keeping every validator's finalized checkpoints, for checks that compare
    /// them after the run.
    pub fn recording(mut self) -> Self {
        self.recording = true;
        self
    }

    /// Every block so far (for checks after the run).
    pub fn blocks(&self) -> &BlockStore {
        &self.blocks
    }

    /// The transactions not yet settled by their validator (for checks after the run).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Attestations and blocks' lists of them kept now, transaction references in blocks'
    /// lists, and blocks' kinds kept for execution: what a run would hold for its whole
    /// length without releases.
    pub fn held(&self) -> usize {
        self.atts.len() + self.block_atts.len() + self.blocks.retained_txs() + self.kinds.len()
    }

    /// The slot of block `b`: blocks are proposed at their slot's start (`Timer::Slot`).
    fn slot_of(&self, b: u32) -> u64 {
        self.blocks.get(b).mined_at / self.slot
    }

    /// `v` processed every epoch before `next` (`u64::MAX`: it never will again). Once every
    /// validator that can still run has, the attestations no one reads again go (`votes.rs`).
    fn processed(&mut self, v: u32, next: u64) {
        self.epochs.advance(v, next);
        let e = self.epochs.min();
        if e == self.released_at {
            return;
        }
        self.released_at = e;
        let spe = self.spe;
        self.atts.release(e.saturating_sub(2).saturating_mul(spe));
        let first = e.saturating_sub(1).saturating_mul(spe);
        let (blocks, slot) = (&self.blocks, self.slot);
        self.block_atts
            .release(|b| blocks.get(b).mined_at / slot >= first);
        self.kinds.release(&self.blocks);
    }

    /// Proposers scan every pending transaction every slot, as they did before resuming
    /// where their last proposal stopped: the reference that resuming must reproduce exactly.
    pub fn rescanning(mut self) -> Self {
        self.rescan = true;
        self
    }

    /// Arms the next slot's timer: slot 0 is genesis; slot k starts at k·slot.
    fn arm_next_slot(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let next = ctx.now / self.slot + 1;
        node.slot_at = next * self.slot;
        ctx.timer(node.slot_at - ctx.now, Timer::Slot(next));
    }
}

impl Protocol for Pos {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Block(_) => Kind::new("block", Carries::Block),
            Msg::Attestation(_) => Kind::new("attestation", Carries::Vote),
            // The names of the rows the fastest-path model counts, so the two compare.
            Msg::TxInv(_) => Kind::new("tx_announce", Carries::Transactions),
            Msg::GetTx(_) => Kind::new("tx_request", Carries::Transactions),
            Msg::Tx(_) => Kind::new("tx_relay", Carries::Transactions),
        }
    }

    /// Blocks go whole to every peer that lacks them, as gossipsub pushes a
    /// `SignedBeaconBlock` on the `beacon_block` topic (Ethereum consensus specs,
    /// `p2p-interface.md`): no announce/request round and no compact form. Under
    /// `relay_model: announce` the copies share the sender's upload link, as do relayed
    /// transactions under `tx_relay: announce`.
    fn bulk(&self, msg: &Msg) -> bool {
        match msg {
            Msg::Block(_) => self.queue_blocks,
            Msg::Tx(_) => true,
            _ => false,
        }
    }

    /// Ethereum's transaction announcements (devp2p eth/68 `NewPooledTransactionHashes`:
    /// type 1 B, size 4 B, hash 32 B per entry; `GetPooledTransactions`: 32-byte hashes). The
    /// direct push of whole transactions to the square root of the peers is left out.
    /// Relayed as messages (`tx_relay: announce`), transactions are counted as they are sent
    /// instead.
    fn gossip(&self) -> Option<Gossip> {
        self.tx_relay.is_none().then_some(Gossip::Announce {
            announce_bytes: tx_relay::ETHEREUM.announce_bytes,
            request_bytes: tx_relay::ETHEREUM.request_bytes,
        })
    }

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            head: GENESIS,
            ffg: Ffg::genesis(GENESIS),
            heard: Vec::new(),
            finalized_log: std::collections::BTreeMap::new(),
            scan: Scan {
                pos: 0,
                block: GENESIS,
                epoch: 0,
            },
            slot_at: Time::MAX,
            next_epoch: 0,
        }
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.arm_next_slot(node, ctx);
    }

    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.kinds.down_for_good(node.id);
        self.processed(node.id, u64::MAX);
        self.blocks.down_for_good(node.ffg.finalized.block);
    }

    /// A restarted validator first syncs from its peers (instantly here): the newest block any
    /// of them holds becomes its head, as it would be under the latest-slot fork choice had it
    /// stayed up. Without that it would propose on the head it crashed with, and the others,
    /// following the latest slot, would abandon the chain they finalize on. Timers that fell
    /// due while it was down were lost: its slot clock stopped. Duties it missed stay missed;
    /// the epochs it did not process are caught up at the next boundary, from its chain.
    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if let Some(r) = &mut self.tx_relay {
            r.restarted(node.id);
        }
        let peers = ctx.net.peers(node.id);
        let newest = (1..self.blocks.len())
            .rev()
            .find(|&b| peers.iter().any(|&p| self.blocks.has(b, p)));
        if let Some(b) = newest
            && self.slot_of(b) > self.slot_of(node.head)
        {
            node.head = b;
        }
        if node.slot_at < ctx.now {
            self.arm_next_slot(node, ctx);
        }
    }

    fn on_transactions(&mut self, _node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        // The transactions of one upload travel on together (`tx_relay: announce`).
        let mut batch = None;
        for &tx in txs {
            let (slot, _) = self.pool.insert(tx, ctx.now, ctx.node);
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            ctx.metrics.on_gossiped(ctx.node, tx.bytes);
            if let Some(r) = &mut self.tx_relay {
                let b = *batch.get_or_insert_with(|| r.open(ctx.node, ctx.now));
                r.add(b, slot, &tx);
            }
        }
        if let (Some(b), Some(r)) = (batch, &self.tx_relay) {
            r.announce(b, None, ctx);
        }
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        match msg {
            Msg::Block(b) => {
                if self.blocks.receive(b, node.id, ctx.now) {
                    ctx.metrics
                        .block_arrival
                        .record(ctx.now - self.blocks.get(b).mined_at);
                    self.arrived(node, b, ctx);
                }
            }
            Msg::Attestation(a) => node.heard.push(a),
            Msg::TxInv(_) | Msg::GetTx(_) | Msg::Tx(_) => self.on_tx_msg(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Slot(slot) => {
                node.slot_at = ctx.now + self.slot;
                ctx.timer(self.slot, Timer::Slot(slot + 1));
                let epoch = slot / self.spe;
                if slot % self.spe == 0 {
                    for e in node.next_epoch..epoch {
                        self.end_epoch(node, e, ctx);
                    }
                    node.next_epoch = epoch;
                    self.processed(node.id, epoch);
                    // Votes older than the previous epoch can no longer be included (nor
                    // can released ones, which are older still).
                    let (atts, spe) = (&self.atts, self.spe);
                    node.heard.retain(|&a| {
                        atts.open(a) && atts.get(a).is_some_and(|at| at.slot / spe + 1 >= epoch)
                    });
                }
                let p = duties::proposer(self.seed, slot, &self.stake, self.total);
                if p == node.id && !self.offline[p as usize] {
                    self.propose(node, slot, ctx);
                }
                if !self.offline[node.id as usize] && self.committee_slot(node.id, epoch) == slot {
                    ctx.timer(self.slot / 3, Timer::Attest(slot));
                }
            }
            Timer::Attest(slot) => self.attest(node, slot, ctx),
            Timer::Executed(b) => self.follow(node, b),
            Timer::TxStalled(b, asked) => {
                if let Some(r) = &mut self.tx_relay {
                    r.stalled(b, asked, ctx);
                }
            }
        }
    }

    fn tx_relay_mut(&mut self) -> Option<&mut TxRelay> {
        self.tx_relay.as_mut()
    }

    fn mempool_len(&self) -> u64 {
        self.pool.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], end: Time, _metrics: &mut Metrics) -> Report {
        self.report(nodes, end)
    }
}
