//! The LoRaWAN access network inside a run: which gateways hear each radio device, and the
//! per-gateway reception of every frame the fleet sends.
//!
//! Deterministic hand-over between the sharded fleet and the gateways: a device builds its
//! frames in its shard from its own state and random stream (channel drawn from
//! `(seed, device, frame's first reading)`), so a frame does not depend on the shard it was
//! built in. At each window barrier every shard has run up to the barrier, so every frame
//! starting before it is known; those frames are sorted by `(start, device, first reading)`
//! and fed in that order to the receiver of every gateway that hears the device. A
//! receiver's state carries over between barriers, and a frame is final once the sweep has
//! passed its end at every gateway, which is true of every frame ending by the barrier. The
//! order, and with it every outcome, is therefore fixed by the model, never by the number of
//! shards or threads; the window width does not matter either (see the receiver's batching
//! test).

mod finish;
mod frames;

use super::acks::Acks;
pub use super::air_plan::{AirPlan, GroupRadio};
pub use super::air_stats::{GatewayStats, RadioStats};
use super::batches::Batches;
use super::class_a_receipts::ReceiptQueue;
use super::shard::{Shard, Sources};
use crate::engine::Time;
use crate::metrics::Metrics;
use crate::net::Access;
use crate::radio::{Heard, Loss, Receiver};
pub use frames::{Delivery, FrameOut};
use frames::{Flight, OnAir, outcome};
use rayon::prelude::*;

/// Frames handed to the gateways' receivers at a time.
const FRAMES_PER_CHUNK: usize = 4096;

/// Frames (or verdicts) whose scattered state is touched before any of them is worked on:
/// frames come in time order from devices at random, so each one's row of links, and each
/// verdict's flight, is a cache miss; loads that do not depend on one another overlap.
const TOUCH: usize = 64;

/// The bit of a gateway's inbox entry that marks a copy under its sensitivity, beside the
/// frame's place in the chunk: the hand-over has compared the power with it already.
const DEAF_BIT: u32 = 31;
const _: () = assert!(FRAMES_PER_CHUNK < 1 << DEAF_BIT);

/// The order frames finish in: end, device, first reading, attempt.
type FinishKey = (Time, u32, u32, u8);

/// The network side: a receiver per gateway and the frames on their way through them.
pub struct Airwaves {
    receivers: Vec<Receiver>,
    /// New frames, their readings (none for a repeat) and the readings' bytes.
    pending: Vec<(FrameOut, Option<u32>, u64)>,
    flights: Vec<Flight>,
    free: Vec<u32>,
    /// Readings in the world's batches that frames on the air (or kept for a repeat) hold.
    held: u64,
    ready: Vec<u32>,
    /// `ready` with their keys, while they are put in order.
    by_end: Vec<(FinishKey, u32)>,
    /// Frames that every gateway hears under its sensitivity: their verdicts are known when
    /// they are handed over, and they finish once a barrier passes their end, as a frame
    /// some gateway may receive does.
    deaf: Vec<u32>,
    /// The chunk's frames as the receivers read them (see [`OnAir`]).
    on_air: Vec<OnAir>,
    /// Per gateway, reused between barriers: the frames it hears next, in key order (place
    /// in `on_air`, with [`DEAF_BIT`], and received power), and its verdicts on the frames
    /// it settled.
    inbox: Vec<Vec<(u32, f32)>>,
    verdicts: Vec<Vec<(u32, Result<(), Loss>)>>,
    pub out: Vec<Delivery>,
    /// Indexed by `radio group · 6 + SF − 7`.
    pub stats: Vec<RadioStats>,
    pub gateways: Vec<GatewayStats>,
    /// Frames and delivered frames per group and distance bin (`DistanceBins::index`).
    pub distance: Vec<[u64; 2]>,
    /// Readings lost with their frames, by [`Loss`].
    pub dropped: [u64; 4],
    /// Settlement receipts waiting at the network server, when a group has them.
    pub receipts: Option<ReceiptQueue>,
    /// Charged with every finished frame's transmission.
    pub energy: Option<super::energy::Energy>,
    /// ACKs and repeats, when a group sends confirmed uplinks.
    pub acks: Option<Acks>,
}

impl Airwaves {
    pub fn new(plan: &AirPlan, gateways: u32) -> Self {
        Airwaves {
            receivers: vec![Receiver::quiet_when_deaf(); gateways as usize],
            pending: Vec::new(),
            flights: Vec::new(),
            free: Vec::new(),
            held: 0,
            ready: Vec::new(),
            by_end: Vec::new(),
            deaf: Vec::new(),
            on_air: Vec::new(),
            inbox: vec![Vec::new(); gateways as usize],
            verdicts: vec![Vec::new(); gateways as usize],
            out: Vec::new(),
            stats: vec![RadioStats::default(); plan.groups.len() * 6],
            gateways: vec![GatewayStats::default(); gateways as usize],
            distance: plan.distance.counters(),
            dropped: [0; 4],
            receipts: None,
            energy: None,
            acks: plan
                .groups
                .iter()
                .find(|g| g.confirmed)
                .map(|g| Acks::new(g.region, gateways, plan.seed, true)),
        }
    }

    /// Settlement receipts go down to the radio devices after their uplinks, through the
    /// gateways' transmitters that ACKs use.
    pub fn carry_receipts(&mut self, plan: &AirPlan) {
        self.receipts = Some(ReceiptQueue::default());
        if self.acks.is_none() {
            let region = plan.groups[0].region;
            let gateways = self.gateways.len() as u32;
            self.acks = Some(Acks::new(region, gateways, plan.seed, false));
        }
    }

    /// Takes the shards' new frames and settles every frame that ends by `barrier`; every
    /// shard must have run up to `barrier`. A frame's readings wait in a list of `batches`;
    /// delivered frames land in `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        &mut self,
        plan: &AirPlan,
        shards: &mut [Shard],
        batches: &mut Batches,
        barrier: Time,
        access: &Access,
        src: Sources,
        m: &mut Metrics,
    ) {
        for sh in shards.iter_mut() {
            for f in sh.frames.drain(..) {
                let mut bytes = 0;
                let id = (f.attempt == 0).then(|| {
                    let readings = &sh.txs[f.txs as usize..(f.txs + f.len) as usize];
                    bytes = readings.iter().map(|t| t.bytes as u64).sum();
                    let (id, list) = batches.open();
                    list.extend_from_slice(readings);
                    self.held += readings.len() as u64;
                    id
                });
                self.pending.push((f, id, bytes));
            }
        }
        // Each shard's frames come in the order of their start, so the stable sort, which
        // merges the runs it finds, does far less work than one that ignores them; keys are
        // unique (a device starts one frame at a time), so the order is the same either way.
        self.pending
            .sort_by_key(|(f, ..)| (f.start, f.device, f.seq));
        let due = self.pending.partition_point(|(f, ..)| f.start < barrier);
        let Airwaves {
            receivers,
            pending,
            flights,
            free,
            ready,
            deaf,
            gateways,
            on_air,
            inbox,
            verdicts,
            acks,
            ..
        } = &mut *self;
        // Frames go to the receivers in chunks, so that the gateways' inboxes hold a chunk's
        // copies rather than a whole window's (a city's first reporting period could pile up
        // hundreds of MiB there); each receiver still hears the same frames in the same order.
        let links = &plan.links;
        for chunk in pending[..due].chunks(FRAMES_PER_CHUNK) {
            on_air.clear();
            for (j, &(f, list, bytes)) in chunk.iter().enumerate() {
                if j % TOUCH == 0 {
                    let next = &chunk[j..(j + TOUCH).min(chunk.len())];
                    // The flight slots these frames will take off the free list: each
                    // overwrites a slot last used by some earlier frame, long out of cache.
                    let slots = &free[free.len().saturating_sub(next.len())..];
                    let slots = slots.iter().fold(0u32, |acc, &i| {
                        let fl = &flights[i as usize];
                        acc ^ fl.remaining ^ fl.copies.capacity() as u32
                    });
                    std::hint::black_box(next.iter().fold(slots, |acc, (f, ..)| {
                        let r = links.of(f.device);
                        let (a, b) = (r.start, r.end.max(1) - 1);
                        acc ^ links.gateways.touch_home(f.device)
                            ^ links.gateways.touch(a)
                            ^ links.gateways.touch(b)
                            ^ links.rssi_dbm.touch(a)
                            ^ links.rssi_dbm.touch(b)
                    }));
                }
                let links = plan.links.of(f.device);
                let idx = match free.pop() {
                    Some(i) => i,
                    None => {
                        flights.push(Flight::new(f, list, 0, 0));
                        flights.len() as u32 - 1
                    }
                };
                flights[idx as usize] = Flight::new(f, list, bytes, links.len() as u32);
                if links.is_empty() {
                    ready.push(idx);
                    continue;
                }
                let bandwidth_hz =
                    plan.groups[plan.group_of(f.device).expect("radio device")].bandwidth_hz;
                // A copy under the gateway's sensitivity is lost there whatever else is on the
                // air: its receiver sends no verdict for it. It is counted now, and taken back
                // at the end for frames that have not finished (`gateway_stats`).
                let sensitivity = plan.rx.sensitivity_dbm_at(f.sf, bandwidth_hz);
                let mut receivable = 0;
                let pos = on_air.len() as u32;
                on_air.push(OnAir {
                    start: f.start,
                    end: f.end,
                    flight: idx,
                    bandwidth_hz,
                    channel: f.channel,
                    sf: f.sf,
                });
                for k in links {
                    let g = plan.links.gateways.get(f.device, k);
                    let rssi = plan.links.rssi_dbm.get(k);
                    let rssi_dbm = rssi as f64;
                    let gs = &mut gateways[g as usize];
                    gs.heard += 1;
                    let deaf = rssi_dbm < sensitivity;
                    if deaf {
                        gs.lost[Loss::BelowSensitivity as usize] += 1;
                    } else {
                        receivable += 1;
                    }
                    inbox[g as usize].push((pos | u32::from(deaf) << DEAF_BIT, rssi));
                }
                flights[idx as usize].bandwidth_hz = bandwidth_hz;
                flights[idx as usize].remaining = receivable;
                if receivable == 0 {
                    deaf.push(idx);
                }
            }
            // Gateways resolve their own frames independently, in parallel; their verdicts
            // are applied in gateway order once all are in, and every combination of verdicts
            // (first copy by arrival then gateway, furthest loss) does not depend on that order
            // anyway.
            let on_air = &*on_air;
            receivers
                .par_iter_mut()
                .zip(inbox.par_iter_mut())
                .zip(verdicts.par_iter_mut())
                .for_each(|((rx, heard), out)| {
                    let mut done = |i: u32, r: Result<(), Loss>| out.push((i, r));
                    for (key, rssi_dbm) in heard.drain(..) {
                        let a = &on_air[(key & !(1 << DEAF_BIT)) as usize];
                        let h = Heard {
                            frame: a.flight,
                            start: a.start,
                            end: a.end,
                            channel: a.channel,
                            sf: a.sf,
                            bandwidth_hz: a.bandwidth_hz,
                            rssi_dbm: rssi_dbm as f64,
                        };
                        rx.hear_known(h, key >> DEAF_BIT == 1, &plan.rx, &mut done);
                    }
                });
        }
        pending.drain(..due);
        receivers
            .par_iter_mut()
            .zip(verdicts.par_iter_mut())
            .for_each(|(rx, out)| {
                rx.settle(barrier, &plan.rx, &mut |i: u32, r: Result<(), Loss>| {
                    out.push((i, r))
                });
            });
        // Every receiver has now settled up to the barrier, which is when a frame that some
        // gateway could receive gets its last verdict.
        deaf.retain(|&i| {
            let done = flights[i as usize].f.end <= barrier;
            if done {
                ready.push(i);
            }
            !done
        });
        for (g, out) in verdicts.iter_mut().enumerate() {
            for (j, &(i, r)) in out.iter().enumerate() {
                if j % TOUCH == 0 {
                    let next = &out[j..(j + TOUCH).min(out.len())];
                    std::hint::black_box(
                        next.iter()
                            .fold(0u32, |acc, &(i, _)| acc ^ flights[i as usize].remaining),
                    );
                }
                outcome(flights, gateways, ready, access, i, g as u32, r);
                if r.is_ok() && acks.is_some() {
                    let fl = &mut flights[i as usize];
                    let rssi = plan.links.rssi_at(fl.f.device, g as u32);
                    fl.copies.push((rssi, g as u32));
                }
            }
            out.clear();
        }
        // In the order of their end, so that ACKs are booked in an order fixed by the model.
        // The keys are read once each, rather than from the scattered flights at every
        // comparison; they are unique, as a frame's repeats start after it ends.
        let mut by_end = std::mem::take(&mut self.by_end);
        by_end.extend(self.ready.drain(..).map(|i| {
            let f = &self.flights[i as usize].f;
            ((f.end, f.device, f.seq, f.attempt), i)
        }));
        by_end.sort_unstable_by_key(|&(key, _)| key);
        for (_, idx) in by_end.drain(..) {
            self.finish_frame(plan, batches, idx, access, src, m);
        }
        self.by_end = by_end;
    }
}
