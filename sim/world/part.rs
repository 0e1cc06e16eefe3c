//! A partition of the validators: the scheduler of the events addressed to them, and what
//! its handlers write, kept apart from the world's shared records so that partitions can run
//! side by side (`sim/README.md`, validators in parallel, rule 3): its `Metrics` delta, its
//! `Traffic` counts, its keyed settlement log and its handlers' commands. The delta is moved
//! into the world's recorder at the fleet's merges and at the end, the points where the world
//! reads what the validators recorded (receipts read the settlements logged for them). Runs
//! from the command line have one partition; `world::run_partitioned` cuts PBFT into several,
//! run in windows on one thread, to check that the outputs stay those of one.

use super::Progress;
use super::batches::Batches;
use super::casts::Casts;
use super::copies::FirstCopies;
use super::faults::{Faults, Held};
use super::messages::Settle;
use super::traffic::Traffic;
use super::{Ev, node_source};
use crate::consensus::TxIn;
use crate::consensus::settlements::Settlements;
use crate::engine::{Command, EventKey, Scheduler, Time};
use crate::ledger::Executor;
use crate::metrics::Metrics;
use crate::net::{Network, Transfers};

/// What a partition hands another at the window's end: an event under the key its sender
/// gave it, or the part of a broadcast whose receivers the other partition holds.
pub(super) enum Handed<M, T> {
    Event(EventKey, Ev<M, T>),
    Cast(Split<M>),
}

/// A broadcast's receivers in `lo..upto`, opened in their partition's `Casts` as the sender
/// opened its own (`Casts::open`, `Casts::restrict`), numbered from `seq0` like the whole.
pub(super) struct Split<M> {
    pub from: u32,
    pub lo: u32,
    pub upto: u32,
    pub msg: M,
    pub bytes: u32,
    pub seq0: u32,
    pub times: Vec<Time>,
    pub lost: Vec<u64>,
}

pub(super) struct Part<M, T> {
    /// The events addressed to the partition's validators, with the sequence counters of the
    /// sources that number events through it. Three kinds reach it: the validators' own
    /// (timers, link completions, messages and broadcast copies they send; partitioned, those
    /// for another partition's validators go to an outbox handed over at the window's end),
    /// `SYSTEM`'s (`World::system`: samples, fault changes, workload wake-ups, the barriers),
    /// and uploads handed over by the fleet and the workloads (`World::hand_over`), numbered
    /// by their senders. With one partition it holds every source's counter.
    pub sched: Scheduler<Ev<M, T>>,
    /// The validators it holds: ids from `lo`, `len` of them.
    pub lo: u32,
    pub len: u32,
    /// The broadcasts in flight to its validators.
    pub casts: Casts<M>,
    /// What its handlers sent to other partitions' validators in this window, with the
    /// partition each goes to.
    pub outbox: Vec<(usize, Handed<M, T>)>,
    /// Validator-side records since the last merge (`Metrics::take_validators`).
    pub metrics: Metrics,
    /// Validator messages by kind and node, and where each ended: the protocol's cost.
    pub traffic: Traffic,
    /// What its handlers count of faults, and the uploads parked for its validators.
    pub faults: Held,
    /// The uploads handed to its validators, until their handlers take them.
    pub batches: Batches,
    /// The first-copy filter of the copies its validators send, and the count of those
    /// left out of the queue. With one partition it is the run's; cut, each partition has
    /// its own, which no handler writes but to count futile copies: only the families with
    /// copy keys write records, and they gossip, so they are never cut (`World::partition`).
    pub copies: FirstCopies,
    /// Transfer times of the sizes its validators last sent between each pair of link groups.
    pub transfers: Transfers,
    /// Its validators' execution cores; with one partition, also the shared timeline.
    pub exec: Executor,
    /// Scratch space for opening a broadcast.
    pub cast_times: Vec<Time>,
    pub cast_lost: Vec<u64>,
    /// Scratch space of a run of copies: what the latency's bounds settle by region.
    pub settle: Vec<Settle>,
    /// Scratch space of the transfers a fair-shared link finished, waiting to be scheduled
    /// as deliveries.
    pub finished: Vec<(u32, M, u64)>,
    /// Settlements the handlers logged, replayed through the shared timeline after each
    /// handler.
    pub settlements: Settlements,
    /// The commands of the handler running now.
    pub out: Vec<Command<M, T>>,
}

impl<M: Copy, T> Part<M, T> {
    /// A partition holding validators `held` of `net`'s, recording on `world`'s window grid,
    /// its scheduler numbering the events of sources `0..sources`, executing on `exec`,
    /// filtering copies through `copies`.
    pub fn new(
        world: &Metrics,
        net: &Network,
        held: std::ops::Range<u32>,
        sources: usize,
        (exec, copies): (Executor, FirstCopies),
    ) -> Self {
        let group = &net.group;
        Part {
            sched: Scheduler::new(sources),
            lo: held.start,
            len: held.end - held.start,
            casts: Casts::new(group),
            outbox: Vec::new(),
            metrics: world.validators_delta(),
            traffic: Traffic::new(group.len() as u32),
            faults: Held::new(held.clone()),
            batches: Batches::default(),
            copies,
            transfers: Transfers::new(net),
            exec,
            cast_times: Vec::new(),
            cast_lost: Vec::new(),
            settle: Vec::new(),
            finished: Vec::new(),
            settlements: Default::default(),
            out: Vec::new(),
        }
    }

    /// Takes what another partition handed it at the end `end` of a window, in which it ran
    /// every event before `end`. Each event keeps its sender's key.
    ///
    /// # Panics
    /// If an event is due before `end`: the window was wider than the least delay between
    /// partitions (`Network::lookahead`), and the receiver may have run later events first.
    pub fn receive(&mut self, handed: Handed<M, T>, end: Time) {
        let (key, ev) = match handed {
            Handed::Event(key, ev) => (key, ev),
            Handed::Cast(c) => {
                let slot = self
                    .casts
                    .open(c.from, c.upto, c.msg, c.bytes, &c.times, &c.lost);
                self.casts.restrict(slot, c.lo, c.upto);
                self.casts.set_seq0(slot, c.seq0);
                let Some((to, at, seq)) = self.casts.next(slot, c.lo) else {
                    self.casts.close(slot);
                    return;
                };
                (
                    EventKey::new(at, node_source(c.from), seq),
                    Ev::Cast { slot, to },
                )
            }
        };
        assert!(
            key.time() >= end,
            "an event handed over inside its window: {} < {end}",
            key.time()
        );
        self.sched
            .schedule_numbered(key.time(), key.source(), key.seq(), ev);
    }

    /// Whether it holds validator `v`.
    #[inline]
    pub fn holds(&self, v: u32) -> bool {
        v.wrapping_sub(self.lo) < self.len
    }

    /// Moves the partition's records into the world's recorder and counts.
    pub fn flush(&mut self, world: &mut Metrics, faults: &mut Faults, dropped: &mut u64) {
        world.take_validators(&mut self.metrics);
        faults.absorb(&mut self.faults);
        *dropped += std::mem::take(&mut self.copies.dropped);
    }

    /// Hands an upload to its validator `node` at `at`, under the number its sender (a
    /// device or a gateway) gave it: `fill` writes its transactions into a list of the
    /// partition's batches.
    pub fn hand_over(
        &mut self,
        at: Time,
        (source, seq): (u32, u32),
        node: u32,
        fill: impl FnOnce(&mut Vec<TxIn>),
    ) {
        let (batch, list) = self.batches.open();
        fill(list);
        let ev = Ev::Batch { node, batch };
        self.sched.schedule_numbered(at, source, seq, ev);
    }

    /// Updates the progress line with the partition's clock and events, and the
    /// transactions that reached validators and settled, the world's `(reached, settled)`
    /// and those not yet flushed.
    pub fn show(&self, world: (u64, u64), shard_events: u64, progress: &Progress) {
        progress.update(
            self.sched.now(),
            self.sched.delivered() + shard_events,
            world.0 + self.metrics.reached,
            world.1 + self.metrics.settled,
        );
    }
}
