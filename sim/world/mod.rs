//! A built world and its event loop: scenario → network, access, fleet, protocol → events →
//! metrics → [`RunOutput`].

mod acks;
mod air_plan;
mod air_stats;
mod air_tables;
mod airwaves;
mod arrival;
mod batches;
mod casts;
mod cells;
mod class_a_receipts;
mod copies;
mod dispatch;
mod distance;
mod energy;
mod entry;
mod estimate;
mod faults;
mod finish;
mod gateways;
mod messages;
mod part;
mod progress;
mod receipts;
mod relay;
mod shard;
mod summary;
mod traffic;
mod typed;
mod view;
mod windows;

use crate::consensus::Protocol;
use crate::engine::{NS_PER_MS, NS_PER_S, Purpose, Time, from_secs, stream};
use crate::metrics::spill::Spill;
use crate::metrics::{Conservation, Measure, Metrics, RunOutput};
use crate::net::{Access, Network, Reach, Uplinks};
use crate::scenario::{self, Scenario};
use airwaves::{AirPlan, Airwaves};
use batches::Batches;
use cells::CellPlan;
use copies::FirstCopies;
use faults::{Change, Faults};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use shard::{Plans, Shard, Sources};
use std::sync::Arc;
use traffic::{Fate, Traffic};

pub use entry::{run, run_partitioned, run_rows_to, run_with, run_with_rows};
pub use estimate::{Estimate, Rows, available_bytes, estimate, estimate_rows, offered_tx_per_s};
pub use progress::{Feedback, Progress};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "transaction conservation violated: created {created} but accounted {accounted} ({detail:?})"
    )]
    Conservation {
        created: u64,
        accounted: u64,
        detail: Conservation,
    },
    #[error("receipt conservation violated: {0:?}")]
    ReceiptConservation(receipts::ReceiptCounts),
    #[error("workload accounting violated: {0}")]
    Workload(#[from] crate::workload::WorkloadError),
    #[error("transaction conservation by kind violated: {0}")]
    KindConservation(#[from] crate::metrics::KindError),
    #[error("cannot write the blocks rows: {0}")]
    Rows(std::io::Error),
}

enum Ev<M, T> {
    Batch {
        node: u32,
        batch: u32,
    },
    /// `bytes` as sent, for the receiver's count (messages are far below 4 GiB).
    Msg {
        to: u32,
        from: u32,
        msg: M,
        bytes: u32,
    },
    Timer {
        node: u32,
        timer: T,
    },
    /// The next delivery of a broadcast (see `casts`): `to` receives it now.
    Cast {
        slot: u32,
        to: u32,
    },
    /// A fair-shared upload link's next transfer may have ended (see `net::link`).
    Link {
        node: u32,
        generation: u32,
    },
    Fault(Change),
    Sample,
    /// A typed workload's wake-up (`crate::workload`).
    Workload {
        entity: u32,
    },
}

const SYSTEM: u32 = 0;

/// The scenario's measurement window and settlement deadlines, in simulated time.
fn measure(s: &Scenario) -> Measure {
    let (warmup, length) = s.metrics.window(s.duration_s);
    let end = from_secs(s.duration_s);
    let from = from_secs(warmup).min(end);
    Measure {
        from,
        to: from.saturating_add(from_secs(length)).min(end),
        sla: s.metrics.sla_s.iter().map(|&x| from_secs(x)).collect(),
    }
}

fn node_source(v: u32) -> u32 {
    1 + v
}

/// Runs every shard's events due before `until`, in parallel; returns how many ran.
fn step(shards: &mut [Shard], until: Time, access: &Access, plans: Plans, src: Sources) -> u64 {
    shards
        .par_iter_mut()
        .map(|sh| {
            let before = sh.events;
            sh.run_until(until - 1, access, plans, src);
            sh.events - before
        })
        .sum()
}

fn shards_events(shards: &[Shard]) -> u64 {
    shards.iter().map(|sh| sh.events).sum()
}

/// How far the fleet runs ahead of the validators per step. Results do not depend on it: it
/// trades the cost of a step against the memory of uploads waiting to be merged, and adapts
/// to keep steps near a fixed number of events whatever the fleet's density.
struct Window {
    width: Time,
    end: Time,
    /// The widest a step may be: RECEIVE_DELAY1 when the network answers uplinks, so that
    /// an answer is decided at the barrier after its uplink ended, before it is on the air.
    max: Time,
}

impl Window {
    const TARGET_EVENTS: u64 = 1 << 17;

    fn new(end: Time, max: Time) -> Self {
        Window {
            width: NS_PER_S.min(max),
            end,
            max,
        }
    }

    fn next(&self, from: Time) -> Time {
        from.saturating_add(self.width).min(self.end)
    }

    fn adapt(&mut self, events: u64) {
        if events < Self::TARGET_EVENTS / 4 && self.width < self.end.min(self.max) {
            self.width = self.width.saturating_mul(2).min(self.max);
        } else if events > Self::TARGET_EVENTS * 4 && self.width > NS_PER_MS {
            self.width /= 2;
        }
    }
}

struct World<'s, P: Protocol> {
    s: &'s Scenario,
    end: Time,
    net: Network,
    access: Arc<Access>,
    air: Option<Arc<AirPlan>>,
    cells: Option<Arc<CellPlan>>,
    receipts: Option<receipts::Receipts>,
    airwaves: Option<Airwaves>,
    reach: Reach,
    shards: Vec<Shard>,
    devices: u32,
    protocol: P,
    nodes: Vec<P::Node>,
    consensus_rng: Vec<ChaCha8Rng>,
    /// Loss draws of each validator's messages.
    latency_rng: Vec<ChaCha8Rng>,
    /// Messages each validator has drawn a latency for: the index of its next jitter draw.
    jitter_index: Vec<u64>,
    metrics: Metrics,
    /// What the validators' handlers write: their metrics, traffic, settlements, commands;
    /// of the partition running now (`cur`), the others held in `rest` (`windows.rs`).
    part: part::Part<P::Msg, P::Timer>,
    /// An empty partition, in `part`'s place while a view holds that (`World::with_view`).
    spare: Option<part::Part<P::Msg, P::Timer>>,
    parts: windows::Parts<P::Msg, P::Timer>,
    /// The readings of the radio's frames (`Airwaves`), until a frame is handed over.
    batches: Batches,
    faults: Faults,
    changes: Vec<Change>,
    /// Copies left out of the queue (`FirstCopies`), summed from the partitions' at flushes.
    copies_dropped: u64,
    /// Upload links for block data under `relay_model: announce` and transactions under
    /// `tx_relay: announce`; `None` otherwise.
    uplinks: Option<Uplinks<(u32, P::Msg, u64)>>,
    /// The typed workloads, if any group has one, and the device groups they send through.
    workloads: Option<crate::workload::Workloads>,
    workload_out: crate::workload::Out,
    groups: Vec<crate::devices::Group>,
    /// Observers of the transactions' metadata; `None` without `observers`.
    privacy: Option<crate::privacy::Privacy>,
    /// Where the protocol's closed `blocks` rows go; `None` keeps them in memory.
    spill: Option<Spill>,
}

impl<'s, P: Protocol> World<'s, P> {
    fn new(s: &'s Scenario, mut protocol: P) -> Self {
        let end = from_secs(s.duration_s);
        let net = Network::build(s);
        let access = Access::build(s, &net);
        let reach = Reach::build(&net, &access.origins());
        let shards = shard::build(s, end, &access);
        let air = AirPlan::build(s).map(Arc::new);
        let cells = CellPlan::build(s).map(Arc::new);
        let airwaves = air.as_ref().map(|a| {
            let mut w = Airwaves::new(a, access.gateways());
            w.energy = Some(energy::Energy::build(s, a));
            w
        });
        let receipts = receipts::Receipts::build(s);
        let log_settled = receipts.is_some();
        let mut airwaves = airwaves;
        if let (Some(w), Some(r), Some(a)) = (&mut airwaves, &receipts, &air)
            && r.class_a()
        {
            w.carry_receipts(a);
        }
        let devices = shards.iter().map(|sh| sh.devices()).sum::<u32>();
        let n = net.nodes();
        let nodes = (0..n).map(|v| protocol.new_node(v)).collect();
        // Devices and gateways number their uploads themselves (see `shard::Upload`).
        let sources = 1 + n as usize;
        let (faults, changes) = Faults::build(s);
        let copies = FirstCopies::new(if changes.is_empty() { n } else { 0 });
        let relayed = s.network.tx_relay == scenario::TxRelay::Announce;
        let uplinks = (s.network.relay_model == scenario::RelayModel::Announce || relayed)
            .then(|| Uplinks::new(s.network.upload, n));
        // Transactions relayed as messages are flooded all the same; the observers see them
        // arrive as the relay delivers them (`Privacy::observe_at`).
        let flood = protocol.gossip().is_some() || relayed;
        let privacy =
            crate::privacy::Privacy::build(s, &access, &reach, (flood, relayed), measure(s));
        if let (Some(p), Some(r)) = (&privacy, protocol.tx_relay_mut()) {
            r.watch(&p.watched());
        }
        let metrics = {
            let mut m = Metrics::measured(from_secs(s.metrics.window_s), end, measure(s));
            m.log_settled = log_settled;
            m
        };
        World {
            part: {
                let exec = crate::ledger::Executor::build(s.validators.execution.as_ref(), end);
                part::Part::new(&metrics, &net, 0..n, sources, (exec, copies))
            },
            spare: Some(part::Part::new(
                &metrics,
                &net,
                0..0,
                0,
                (Default::default(), FirstCopies::new(0)),
            )),
            parts: windows::Parts::one(),
            metrics,
            workloads: crate::workload::Workloads::build(s, end),
            workload_out: Default::default(),
            groups: crate::devices::Fleet::groups(s),
            privacy,
            spill: None,
            uplinks,
            copies_dropped: 0,
            faults,
            changes,
            s,
            end,
            consensus_rng: (0..n)
                .map(|v| stream(s.seed, v as u64, Purpose::Consensus))
                .collect(),
            latency_rng: (0..n)
                .map(|v| stream(s.seed, v as u64, Purpose::Latency))
                .collect(),
            jitter_index: vec![0; n as usize],
            net,
            access: Arc::new(access),
            air,
            cells,
            receipts,
            airwaves,
            reach,
            shards,
            devices,
            protocol,
            nodes,
            batches: Batches::default(),
        }
    }

    /// Schedules one of `SYSTEM`'s events: a barrier once partitions run in windows, run
    /// first of its instant.
    fn system(&mut self, at: Time, ev: Ev<P::Msg, P::Timer>) {
        self.parts.barrier(at);
        self.part_mut(0).sched.schedule(at, SYSTEM, ev);
    }

    fn sources(&self) -> Sources {
        Sources {
            first_device: 1 + self.net.nodes(),
            first_gateway: 1 + self.net.nodes() + self.devices,
        }
    }

    fn run(mut self, progress: &Progress) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
        // Crashes at time zero take effect before anything starts; a validator down then
        // starts when it first comes up.
        for c in std::mem::take(&mut self.changes) {
            if c.at == 0 {
                let was_down = self.faults.is_down(c.node);
                self.faults.apply(c);
                if !was_down && self.faults.is_down(c.node) {
                    self.protocol.on_crash(&mut self.nodes[c.node as usize], 0);
                    if self.faults.for_good(&c) {
                        self.protocol
                            .on_down_for_good(&mut self.nodes[c.node as usize], 0);
                    }
                }
            } else {
                self.system(c.at, Ev::Fault(c));
            }
        }
        let start = dispatch::start();
        for v in 0..self.net.nodes() {
            if !self.faults.is_down(v) {
                self.faults.started[v as usize] = true;
                self.dispatch(v, start, |p, node, ctx| p.on_start(node, ctx));
            }
        }
        self.with_view(start, |view| view.workloads_start());
        self.system(self.metrics.window().min(self.end), Ev::Sample);
        progress.start(self.end);
        let mut shards = std::mem::take(&mut self.shards);
        let (access, src) = (Arc::clone(&self.access), self.sources());
        let (air, cells) = (self.air.clone(), self.cells.clone());
        let plans = Plans {
            air: air.as_deref(),
            cells: cells.as_deref(),
        };
        // The fleet runs one window ahead of the validators: while they process up to
        // `ahead`, the shards produce the uploads of the next window.
        let answers = air.as_ref().and_then(|a| {
            let g = a.groups.iter().find(|g| g.confirmed)?;
            Some(g.region.rx1_delay)
        });
        // Class A receipts: the network server's queue must be known `LEAD` before each
        // uplink ends (see `class_a_receipts`).
        let lead = self
            .airwaves
            .as_ref()
            .and_then(|w| w.receipts.as_ref())
            .map(|_| class_a_receipts::LEAD);
        let answers = match (answers, lead) {
            (Some(a), Some(l)) => Some(a.min(l)),
            (a, l) => a.or(l),
        };
        let mut window = Window::new(self.end, answers.unwrap_or(Time::MAX));
        let mut ahead = window.next(0);
        window.adapt(step(&mut shards, ahead, &access, plans, src));
        self.merge(&mut shards, ahead, 0);
        while ahead < self.end {
            let next = window.next(ahead);
            let before = shards_events(&shards);
            let mut events = 0;
            rayon::in_place_scope(|scope| {
                scope.spawn(|_| events = step(&mut shards, next, &access, plans, src));
                self.process_until(ahead - 1, before, progress);
            });
            self.merge(&mut shards, next, ahead);
            window.adapt(events);
            ahead = next;
        }
        let before = shards_events(&shards);
        self.process_until(self.end - 1, before, progress);
        self.shards = shards;
        let end = self.end;
        self.each_part(|p| p.sched.advance_to(end));
        self.flush();
        self.metrics.sample(self.end, self.protocol.mempool_len());
        progress.finish(self.events());
        self.finish()
    }

    /// Events delivered so far: the validators' loop and every shard.
    fn events(&self) -> u64 {
        let parts: u64 = self.parts.rest.iter().map(|p| p.sched.delivered()).sum();
        self.part.sched.delivered() + parts + shards_events(&self.shards)
    }

    /// Hands the shards' uploads to the validators' queue, and their radio frames to the
    /// gateways, which settle every frame ending by `barrier` (the shards ran up to it). Keys
    /// are fixed by the senders, so the order of delivery does not depend on the order
    /// shards are visited in. `validators` is the validators' clock: they have run every
    /// event before it.
    fn merge(&mut self, shards: &mut [Shard], barrier: Time, validators: Time) {
        self.flush();
        self.receipts_settle();
        if let (Some(air), Some(waves)) = (&self.air, &mut self.airwaves) {
            let src = Sources {
                first_device: 1 + self.net.nodes(),
                first_gateway: 1 + self.net.nodes() + self.devices,
            };
            waves.resolve(
                air,
                shards,
                &mut self.batches,
                barrier,
                &self.access,
                src,
                &mut self.metrics,
            );
            if let Some(acks) = &mut waves.acks {
                shard::feed_back(shards, &self.access, self.s.seed, &mut acks.feedback);
            }
            let mut out = std::mem::take(&mut waves.out);
            for d in out.drain(..) {
                // The frame's readings move from the world's batches to the validator's.
                let mut list = self.batches.take(d.batch);
                let sender = (d.source, d.seq);
                self.hand_over(d.at, sender, d.node, |l| std::mem::swap(l, &mut list));
                self.batches.give_back(list);
            }
            if let Some(waves) = &mut self.airwaves {
                waves.out = out;
            }
        }
        for sh in shards.iter_mut() {
            self.enqueue(&mut sh.out, &mut sh.txs);
        }
        self.receipts_merge(shards, barrier, validators);
    }

    /// Schedules `out`'s uploads, each with its transactions from `txs`, then empties both.
    fn enqueue(&mut self, out: &mut Vec<shard::Upload>, txs: &mut Vec<crate::consensus::TxIn>) {
        for u in out.drain(..) {
            let upload = &txs[u.start as usize..(u.start + u.len) as usize];
            self.hand_over(u.at, (u.source, u.seq), u.node, |l| {
                l.extend_from_slice(upload)
            });
        }
        txs.clear();
    }

    /// Turns the settlements the validators made into receipts: a class A device's wait at
    /// the network server for the uplinks the airwaves finish next.
    fn receipts_settle(&mut self) {
        if let Some(r) = &mut self.receipts {
            let queue = self.airwaves.as_mut().and_then(|w| w.receipts.as_mut());
            r.settle(&mut self.metrics, &self.access, queue);
        }
    }

    /// Hands the devices' new contacts and the new receipts to the cellular downlink.
    fn receipts_merge(&mut self, shards: &mut [Shard], barrier: Time, validators: Time) {
        let Some(r) = &mut self.receipts else {
            return;
        };
        let mut contacts = shards.iter_mut().flat_map(|sh| sh.contacts.drain(..));
        r.merge(&mut contacts, &mut self.metrics, barrier, validators);
    }
}
