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

mod duties;
mod ffg;
mod kinds;
mod txs;
mod votes;

use super::nakamoto::BACKGROUND_TX_BYTES;
use super::pbft::requests::Executed;
use super::tx_relay::{self, TxRelay};
use super::{Carries, Ctx, Gossip, Kind, NodeStats, Protocol, Report, TxIn};
use crate::engine::{Time, from_secs, to_secs};
use crate::ledger::{BlockStore, GENESIS, NO_BLOCK_ID, Pool, TxKind, TxRef};
use crate::metrics::{BlockRow, Metrics, Value};
use crate::scenario;
use ffg::{Checkpoint, Ffg, Votes};
use kinds::Kinds;
use votes::{Attestations, Carried};

const BLOCK_OVERHEAD: u64 = 600;
const ATTESTATION_BYTES: u64 = 230;

#[derive(Clone, Copy, Debug)]
struct Attestation {
    validator: u32,
    slot: u64,
    source: Checkpoint,
    target: Checkpoint,
}

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

#[derive(Clone, Copy, Debug, Default)]
struct Spread {
    count: u64,
    min: Time,
    max: Time,
}

impl Spread {
    fn add(&mut self, v: Time) {
        if self.count == 0 {
            (self.min, self.max) = (v, v);
        }
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn secs(&self, min: bool) -> f64 {
        match (self.count, min) {
            (0, _) => f64::NAN,
            (_, true) => to_secs(self.min),
            (_, false) => to_secs(self.max),
        }
    }
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

/// Every pool entry before `pos` is carried by `block` or one of its ancestors (as long as
/// the pool's `epoch` is unchanged). Without it a proposer rescans every transaction still
/// awaiting finality, which grows without bound while finality stalls: quadratic run time.
#[derive(Clone, Copy, Debug)]
struct Scan {
    pos: u64,
    block: u32,
    epoch: u64,
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

    fn committee_slot(&mut self, v: u32, epoch: u64) -> u64 {
        let i = match self.committees.iter().position(|(e, _)| *e == epoch) {
            Some(i) => i,
            None => {
                let n = self.stake.len() as u32;
                let slots = duties::committees(self.seed, epoch, n, self.spe as u32);
                // Replace the older of the two cached epochs.
                let i = if self.committees[0].0 == u64::MAX
                    || (self.committees[1].0 != u64::MAX
                        && self.committees[0].0 < self.committees[1].0)
                {
                    0
                } else {
                    1
                };
                self.committees[i] = (epoch, slots);
                i
            }
        };
        epoch * self.spe + self.committees[i].1[v as usize] as u64
    }

    /// The checkpoint of `epoch` on the chain ending at `head`.
    fn checkpoint(&self, head: u32, epoch: u64) -> Checkpoint {
        let boundary = epoch * self.spe;
        let mut b = head;
        while self.slot_of(b) > boundary {
            b = self.blocks.get(b).parent;
        }
        Checkpoint { epoch, block: b }
    }

    fn relay(&self, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        let bytes = self.blocks.get(b).bytes;
        for &p in ctx.net.peers(ctx.node) {
            if !self.blocks.has(b, p) {
                ctx.send(p, Msg::Block(b), bytes);
            }
        }
    }

    /// `b` becomes the head if it is of a later slot (with honest validators and a network
    /// much faster than a slot, LMD-GHOST's choice).
    fn follow(&self, node: &mut Node, b: u32) {
        if self.slot_of(b) > self.slot_of(node.head) {
            node.head = b;
        }
    }

    fn propose(&mut self, node: &mut Node, slot: u64, ctx: &mut Ctx<Msg, Timer>) {
        let epoch = slot / self.spe;
        let mut room = self.params.max_block_bytes.saturating_sub(BLOCK_OVERHEAD);
        let mut bytes = BLOCK_OVERHEAD;
        // Attestations first (they are small and keep finality going), one aggregate per slot.
        // A released attestation is of an epoch no proposal takes any more (`votes.rs`).
        node.heard.retain(|&a| self.atts.open(a));
        let mut atts = Vec::new();
        let mut agg_slots = Vec::new();
        for &a in &node.heard {
            let at = *self.atts.get(a).expect("kept");
            if at.slot >= slot || at.slot / self.spe + 1 < epoch {
                continue;
            }
            if !agg_slots.contains(&at.slot) {
                if room < ATTESTATION_BYTES {
                    continue;
                }
                room -= ATTESTATION_BYTES;
                bytes += ATTESTATION_BYTES;
                agg_slots.push(at.slot);
            }
            atts.push(a);
        }
        for &a in &atts {
            self.atts.include(a);
        }
        let mut txs = Vec::new();
        let from = if !self.rescan
            && node.scan.epoch == self.pool.epoch()
            && self.blocks.is_ancestor(node.scan.block, node.head)
        {
            node.scan.pos
        } else {
            0
        };
        let epoch_seen = self.pool.epoch();
        let mut packing = ctx.exec.packing(self.slot / 3);
        // (still in the carried prefix, its end)
        let mut carried = (true, from);
        for (pos, s, generation, t) in self.pool.iter_from(from) {
            let in_chain = || {
                self.pool
                    .blocks(s)
                    .iter()
                    .any(|&b| b != NO_BLOCK_ID && self.blocks.is_ancestor(b, node.head))
            };
            if carried.0 {
                if in_chain() {
                    carried.1 = pos + 1;
                    continue;
                }
                carried.0 = false;
            }
            if u64::from(t.bytes()) > room || packing.as_ref().is_some_and(|p| !p.fits(t.kind())) {
                continue;
            }
            let known = match &self.tx_relay {
                Some(r) => r.tx_arrival(s, node.id).is_some_and(|a| a <= ctx.now),
                None => ctx
                    .reach
                    .delay(t.origin(), node.id, t.bytes())
                    .is_some_and(|d| t.reached + d <= ctx.now),
            };
            if !known || in_chain() {
                continue;
            }
            if let Some(p) = &mut packing {
                p.take(t.kind());
            }
            room -= u64::from(t.bytes());
            bytes += u64::from(t.bytes());
            txs.push(TxRef {
                origin: t.origin(),
                slot: s,
                generation,
            });
        }
        node.scan = Scan {
            pos: carried.1,
            block: node.head,
            epoch: epoch_seen,
        };
        // Padding stands for the rest of the chain's traffic: Nakamoto's 500-byte
        // transactions up to the block limit, within the same execution budget as the
        // fleet's, each executed as a reading.
        let mut padding = 0u64;
        if self.params.fill_blocks {
            match &mut packing {
                None => padding = room / BACKGROUND_TX_BYTES,
                Some(p) => {
                    while (padding + 1) * BACKGROUND_TX_BYTES <= room && p.fits(TxKind::Reading) {
                        p.take(TxKind::Reading);
                        padding += 1;
                    }
                }
            }
            bytes += padding * BACKGROUND_TX_BYTES;
        }
        let b = self.blocks.push(node.head, node.id, ctx.now, bytes, txs);
        debug_assert_eq!(self.slot_of(b), slot, "proposed at the slot's start");
        self.block_atts.push(atts);
        self.proposed[node.id as usize] += 1;
        let mut kinds = [0; TxKind::COUNT];
        for i in 0..self.blocks.get(b).txs.len() {
            let r = self.blocks.get(b).txs[i];
            let tx = *self.pool.get(r.slot, r.generation).expect("live");
            kinds[tx.kind().index()] += 1;
            if self.pool.add_block(r.slot, b) {
                ctx.metrics.on_included(tx.created(), ctx.now);
            }
        }
        kinds[TxKind::Reading.index()] += u32::try_from(padding).unwrap_or(u32::MAX);
        if ctx.executes() {
            self.kinds.insert(b, kinds);
        }
        self.blocks.receive(b, node.id, ctx.now);
        self.arrived(node, b, ctx);
    }

    /// `node` holds `b`: it relays it at once and makes it its head once it has executed it.
    fn arrived(&mut self, node: &mut Node, b: u32, ctx: &mut Ctx<Msg, Timer>) {
        let done = ctx.execute_block(ctx.now, &self.kinds.get(b));
        if done > ctx.now {
            ctx.timer(done - ctx.now, Timer::Executed(b));
        } else {
            self.follow(node, b);
        }
        self.relay(b, ctx);
    }

    fn attest(&mut self, node: &mut Node, slot: u64, ctx: &mut Ctx<Msg, Timer>) {
        let a = self.atts.push(Attestation {
            validator: node.id,
            slot,
            source: node.ffg.current_justified,
            target: self.checkpoint(node.head, slot / self.spe),
        });
        node.heard.push(a);
        for v in 0..self.stake.len() as u32 {
            if v != node.id {
                ctx.send(v, Msg::Attestation(a), ATTESTATION_BYTES);
            }
        }
    }

    /// Epoch processing at the first slot of `epoch + 1`.
    /// Slot 0 is genesis; slot k starts at k·slot.
    fn arm_next_slot(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let next = ctx.now / self.slot + 1;
        node.slot_at = next * self.slot;
        ctx.timer(node.slot_at - ctx.now, Timer::Slot(next));
    }

    /// Processes the end of `epoch` from the blocks of this node's chain before the next
    /// epoch's first slot: what it held then, or, catching up after a crash, what its chain
    /// now holds of that time.
    fn end_epoch(&mut self, node: &mut Node, epoch: u64, ctx: &mut Ctx<Msg, Timer>) {
        let boundary = (epoch + 1) * self.spe;
        let mut head = node.head;
        while self.slot_of(head) >= boundary {
            head = self.blocks.get(head).parent;
        }
        let current = self.checkpoint(head, epoch);
        let previous = (epoch > 0).then(|| self.checkpoint(head, epoch - 1));
        let (mut cur_stake, mut prev_stake) = (0u64, 0u64);
        let oldest = epoch.saturating_sub(1) * self.spe;
        let mut b = head;
        while b != GENESIS && self.slot_of(b) >= oldest {
            for &a in self.block_atts.get(b) {
                let at = *self
                    .atts
                    .get(a)
                    .expect("carried by a block above the floor");
                if at.target == current && at.source == node.ffg.current_justified {
                    cur_stake += self.stake[at.validator as usize];
                } else if Some(at.target) == previous && at.source == node.ffg.previous_justified {
                    prev_stake += self.stake[at.validator as usize];
                }
            }
            b = self.blocks.get(b).parent;
        }
        let votes = |target, stake| Votes { target, stake };
        let before = node.ffg.finalized;
        let fin = node.ffg.end_epoch(
            epoch,
            previous.map(|p| votes(p, prev_stake)),
            votes(current, cur_stake),
            self.total,
        );
        if let Some(f) = fin {
            if self.recording {
                node.finalized_log.insert(f.epoch, f.block);
            }
            self.finality.add(ctx.now - f.epoch * self.spe * self.slot);
            self.settle(node.id, before.block, f.block, ctx);
        }
    }

    /// Settles this node's transactions in blocks after `from` up to `to` on `to`'s chain.
    fn settle(&mut self, node: u32, from: u32, to: u32, ctx: &mut Ctx<Msg, Timer>) {
        let from_h = self.blocks.get(self.blocks.fork_point(from, to)).height;
        for h in from_h + 1..=self.blocks.get(to).height {
            let c = self.blocks.ancestor(to, h);
            let block = self.blocks.get(c);
            let (settled, finality) = (&mut self.settled[node as usize], &mut self.tx_finality);
            let relay = &mut self.tx_relay;
            self.pool.take_own(block, node, |slot, t| {
                // Executed when the block reached this validator.
                ctx.settle_executed(t.tag(), t.created(), block.tx_count);
                finality.add(ctx.now - t.created());
                *settled += 1;
                if let Some(r) = relay {
                    r.released(slot);
                }
            });
            self.blocks.confirm(c);
        }
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

    fn on_down_for_good(&mut self, node: &mut Node) {
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
                r.add(b, slot, tx.bytes);
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

    fn mempool_len(&self) -> u64 {
        self.pool.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], end: Time, _metrics: &mut Metrics) -> Report {
        let main = self.blocks.main_chain();
        let mut on_main = vec![0u32; self.proposed.len()];
        let mut blocks = Vec::with_capacity(self.blocks.len() as usize);
        for (id, b) in self.blocks.iter().skip(1) {
            let is_main = main[id as usize];
            if is_main {
                on_main[b.miner as usize] += 1;
            }
            blocks.push(BlockRow {
                block: id,
                height: b.height,
                miner: b.miner,
                mined_at_s: to_secs(b.mined_at),
                size_bytes: b.bytes,
                tx_count: b.tx_count,
                propagation_50_s: b.reach[0].map(to_secs),
                propagation_90_s: b.reach[1].map(to_secs),
                propagation_100_s: b.reach[2].map(to_secs),
                stale: !is_main,
            });
        }
        let (mut in_block, mut in_mempool) = (0u64, 0u64);
        for (slot, _, _) in self.pool.iter() {
            if self
                .pool
                .blocks(slot)
                .iter()
                .any(|&b| b != NO_BLOCK_ID && main[b as usize])
            {
                in_block += 1
            } else {
                in_mempool += 1
            }
        }
        let stale = blocks.iter().filter(|b| b.stale).count();
        let finalized_epoch = nodes
            .iter()
            .map(|n| n.ffg.finalized.epoch)
            .max()
            .unwrap_or(0);
        // Slot k starts at k·slot; the run ends before `end`. A slot passes without a block
        // when its proposer is offline stake or crashed.
        let slots = end.saturating_sub(1) / self.slot;
        let proposed: u64 = self.proposed.iter().map(|&p| u64::from(p)).sum();
        let offline: u64 = (0..self.stake.len())
            .filter(|&v| self.offline[v])
            .map(|v| self.stake[v])
            .sum();
        Report {
            ledger_bytes: None,
            leaders: None,
            dropped: Vec::new(),
            nodes: (0..self.proposed.len())
                .map(|v| NodeStats {
                    hash_share: None,
                    stake_share: Some(self.stake[v] as f64 / self.total as f64),
                    blocks_proposed: Some(self.proposed[v]),
                    blocks_main_chain: Some(on_main[v]),
                    settled_tx: self.settled[v],
                })
                .collect(),
            pending_in_mempool: in_mempool,
            pending_in_block: in_block,
            summary: vec![
                ("blocks_mined".into(), Value::from(blocks.len())),
                ("blocks_stale".into(), Value::from(stale)),
                ("slots".into(), Value::from(slots)),
                ("slots_missed".into(), Value::from(slots - proposed)),
                (
                    "offline_stake_share".into(),
                    Value::from(offline as f64 / self.total as f64),
                ),
                ("finalized_epoch".into(), Value::from(finalized_epoch)),
                (
                    "checkpoint_finality_min_s".into(),
                    Value::from(self.finality.secs(true)),
                ),
                (
                    "checkpoint_finality_max_s".into(),
                    Value::from(self.finality.secs(false)),
                ),
                (
                    "tx_finality_min_s".into(),
                    Value::from(self.tx_finality.secs(true)),
                ),
                (
                    "tx_finality_max_s".into(),
                    Value::from(self.tx_finality.secs(false)),
                ),
            ],
            blocks,
        }
    }
}
