//! The fleet split into shards, each the devices of a contiguous range of gateways with its
//! own queue, gateway batches and device-side metrics.
//!
//! Devices only ever send towards validators: nothing a validator does reaches a device. So
//! a shard's events depend on nothing outside it, shards can run ahead of the validators'
//! loop in parallel, and the uploads they emit are handed to that loop before it reaches
//! their arrival time. A device keeps its fleet-wide id for every draw and its events keep
//! the order of their fleet-wide sources, so the result does not depend on how many shards
//! there are or which thread runs them.

use super::airwaves::{AirPlan, FrameOut};
use super::batches::Batches;
use super::cells::{CellDevice, CellPlan};
use super::gateways::Gateways;
use crate::consensus::TxIn;
use crate::devices::Fleet;
use crate::engine::{EventKey, LeanRadixHeap, Time, from_secs};
use crate::metrics::Metrics;
use crate::net::{Access, transfer};
use crate::radio::cell::Cell;
use crate::radio::cellular::Contact;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::collections::HashMap;

#[path = "class_a.rs"]
mod class_a;
pub use class_a::{Feedback, Outcome};
use class_a::{Macs, RADIO_WAKE};

/// Shards a fleet is split into at most: enough to keep two to eight threads busy when
/// gateways serve unequal numbers of devices, few enough that per-shard metrics stay small.
pub const MAX_SHARDS: u32 = 64;

/// An upload leaving a shard for validator `node`: `txs[start..start + len]` of the shard,
/// arriving at `at`, sent by fleet-wide event source `source` (a device, or a batching
/// gateway) as its upload number `seq`: a device numbers an upload by its first reading, a
/// gateway sends one batch per flush time, so keys stay unique and in sending order without a
/// counter per device.
#[derive(Clone, Copy, Debug)]
pub struct Upload {
    pub at: Time,
    pub source: u32,
    pub seq: u32,
    pub node: u32,
    pub start: u32,
    pub len: u32,
}

/// The radio plans the shards read.
#[derive(Clone, Copy)]
pub struct Plans<'a> {
    pub air: Option<&'a AirPlan>,
    pub cells: Option<&'a CellPlan>,
}

/// Where fleet-wide event sources start: devices after validators, gateways after devices.
#[derive(Clone, Copy)]
pub struct Sources {
    pub first_device: u32,
    pub first_gateway: u32,
}

pub struct Shard {
    fleet: Fleet,
    first_gateway: u32,
    gateways: Gateways,
    batches: Batches,
    /// Keys only: a source below the shard's device count is that device's wake, above it
    /// the flush of a gateway's batch. A device has one wake pending and a gateway one flush
    /// per interval, so the sequence number is always 0.
    queue: LeanRadixHeap<()>,
    pub metrics: Metrics,
    pub events: u64,
    pub out: Vec<Upload>,
    pub txs: Vec<TxIn>,
    /// Frames of radio devices, their readings in `txs`.
    pub frames: Vec<FrameOut>,
    /// The LoRaWAN devices' sub-bands and confirmed frames (radio scenarios only).
    macs: Macs,
    /// Per local gateway, its cell (cellular scenarios only).
    pub cells: Vec<Cell>,
    /// Per local device, its cellular radio state (cellular scenarios only): the schedule
    /// energy is computed from, in `states`.
    pub cell_devices: Vec<CellDevice>,
    /// When cellular devices can be reached (for receipts): `(device, contact)`.
    pub contacts: Vec<(u32, Contact)>,
    scratch_contacts: Vec<Contact>,
    seed: u64,
    end: Time,
    /// Gateways send each batch in a random order (`gateways.mix`).
    mix: bool,
    /// Radio devices holding readings for a privacy delay (`mitigation.delay`): local index →
    /// when they may leave. Only devices in their delay have an entry.
    pub delayed: HashMap<u32, Time>,
}

/// Appends `readings` to `list` as transactions uploaded at `at`; returns the first one's
/// sequence number, which names the upload.
fn push_readings(
    list: &mut Vec<TxIn>,
    readings: impl Iterator<Item = crate::devices::Reading>,
    bytes: u32,
    metrics: &mut Metrics,
    at: Time,
) -> Option<u32> {
    let mut first = None;
    for r in readings {
        first.get_or_insert(r.seq);
        metrics.on_uploaded(r.created, at);
        list.push(TxIn {
            device: r.device,
            seq: r.seq,
            bytes,
            kind: r.kind,
            hot: false,
            created: r.created,
            uploaded: at,
        });
    }
    first
}

/// The privacy delay of a device's upload at wake `now` (the wake names the upload).
fn upload_delay(g: &crate::devices::Group, seed: u64, device: u32, now: Time) -> Time {
    g.delay.as_ref().map_or(0, |delay| {
        crate::privacy::mitigation::delay(delay, seed, device, now)
    })
}

/// The shard of gateway `g` among `shards` shards of `gateways` gateways.
fn shard_of(g: u32, gateways: u32, shards: u32) -> u32 {
    (g as u64 * shards as u64 / gateways as u64) as u32
}

/// Splits the scenario's fleet into shards and plans every device's first wake.
pub fn build(s: &Scenario, end: Time, access: &Access) -> Vec<Shard> {
    let devices: u32 = s.devices.iter().map(|g| g.count as u32).sum();
    let gateways = access.gateways();
    let count = gateways.clamp(1, MAX_SHARDS);
    let gateway: Vec<u32> = (0..devices)
        .into_par_iter()
        .map(|d| access.gateway_of(s.seed, d))
        .collect();
    let mut sizes = vec![0usize; count as usize];
    for &g in &gateway {
        sizes[shard_of(g, gateways, count) as usize] += 1;
    }
    let mut ids: Vec<Vec<u32>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
    let mut gws: Vec<Vec<u32>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
    for (d, &g) in gateway.iter().enumerate() {
        let k = shard_of(g, gateways, count) as usize;
        ids[k].push(d as u32);
        gws[k].push(g);
    }
    drop(gateway);
    let interval = from_secs(s.gateways.batch_interval_ms / 1e3);
    let window = from_secs(s.metrics.window_s);
    ids.into_par_iter()
        .zip(gws)
        .enumerate()
        .map(|(k, (ids, gws))| {
            // Shard k holds the gateways g with ⌊g·count/gateways⌋ = k.
            let bound = |k: u64| (k * gateways as u64).div_ceil(count as u64) as u32;
            let first_gateway = bound(k as u64);
            let shard_gateways = bound(k as u64 + 1) - first_gateway;
            let mut shard = Shard {
                fleet: Fleet::build(s, end, ids, gws),
                first_gateway,
                gateways: Gateways::new(shard_gateways, interval),
                batches: Batches::default(),
                queue: LeanRadixHeap::lean(),
                metrics: Metrics::measured(window, end, super::measure(s)),
                events: 0,
                out: Vec::new(),
                txs: Vec::new(),
                frames: Vec::new(),
                macs: Macs::default(),
                cells: Vec::new(),
                cell_devices: Vec::new(),
                contacts: Vec::new(),
                scratch_contacts: Vec::new(),
                seed: s.seed,
                end,
                mix: s.gateways.mix,
                delayed: HashMap::new(),
            };
            if let Some(plan) = CellPlan::build(s) {
                shard.cells = vec![plan.cell(); shard_gateways as usize];
                shard.cell_devices = vec![CellDevice::default(); shard.fleet.len() as usize];
            } else if s.devices.iter().any(|g| g.radio.is_some()) {
                shard.macs = Macs::new(shard.fleet.len());
            }
            for l in 0..shard.fleet.len() {
                if let Some(t) = shard.fleet.first_wake(l) {
                    shard.queue.push(EventKey::new(t, l, 0), ());
                }
            }
            shard
        })
        .collect()
}

/// Hands the network side's word on confirmed frames to the devices' shards (the shards
/// have run every event before any of it).
pub fn feed_back(shards: &mut [Shard], access: &Access, seed: u64, feedback: &mut Vec<Feedback>) {
    let (gateways, count) = (access.gateways(), shards.len() as u32);
    for fb in feedback.drain(..) {
        let k = shard_of(access.gateway_of(seed, fb.device), gateways, count) as usize;
        let l = shards[k]
            .fleet
            .ids
            .binary_search(&fb.device)
            .expect("a device lives in its gateway's shard");
        shards[k].on_feedback(l as u32, fb);
    }
}

impl Shard {
    /// Runs every event due at or before `until`, appending uploads to `out` and `txs`.
    pub fn run_until(&mut self, until: Time, access: &Access, plans: Plans, src: Sources) {
        let devices = self.fleet.len();
        // Never moves the queue's clock past `until`: the network side's answers to confirmed
        // uplinks are pushed after the step, for times after it.
        while self.queue.peek_key_until(until).is_some() {
            let (key, ()) = self.queue.pop().expect("peeked");
            self.events += 1;
            let (now, source) = (key.time(), key.source());
            if source < devices {
                self.wake(source, now, key.seq() == RADIO_WAKE, access, plans, src);
            } else {
                self.flush(source - devices, now, access, src);
            }
        }
    }

    fn wake(
        &mut self,
        l: u32,
        now: Time,
        radio_wake: bool,
        access: &Access,
        plans: Plans,
        src: Sources,
    ) {
        let d = self.fleet.ids[l as usize];
        if let Some((air, gi)) = plans.air.and_then(|a| Some((a, a.group_of(d)?))) {
            return self.wake_radio(l, now, radio_wake, air, gi);
        }
        if let Some(plan) = plans.cells {
            return self.wake_cellular(l, now, radio_wake, access, plan, src);
        }
        let gateway = self.fleet.gateway[l as usize];
        let node = access.gateway_validator[gateway as usize];
        let local_gateway = gateway - self.first_gateway;
        let device_source = src.first_device + self.fleet.ids[l as usize];
        let (batches, gateways, txs) = (&mut self.batches, &mut self.gateways, &mut self.txs);
        let mut sent = None;
        let mut opened = None;
        let (seed, d) = (self.seed, self.fleet.ids[l as usize]);
        let next = self
            .fleet
            .wake(l, now, &mut self.metrics, |g, metrics, readings| {
                let batching = gateways.batching();
                // The readings leave after the privacy delay, if any.
                let now = now + upload_delay(g, seed, d, now);
                let list = if batching {
                    // The upload's own size sets its airtime; the gateway batch is sized at
                    // flush time.
                    let n = readings.len() as u64;
                    let arrival =
                        now + g.uplink_latency + transfer(n * g.tx_bytes as u64, g.uplink_bps);
                    let (id, flush, new) = gateways.batch_for(local_gateway, arrival, batches);
                    if new {
                        opened = Some(flush);
                    }
                    batches.list(id)
                } else {
                    &mut *txs
                };
                let before = list.len();
                let first_seq = push_readings(list, readings, g.tx_bytes, metrics, now);
                if !batching {
                    let len = list.len() - before;
                    let bytes = len as u64 * g.tx_bytes as u64;
                    let delay = g.uplink_latency
                        + transfer(bytes, g.uplink_bps)
                        + access.backhaul_delay(gateway, bytes);
                    sent = Some(Upload {
                        at: now + delay,
                        source: device_source,
                        seq: first_seq.expect("an upload holds readings"),
                        node,
                        start: before as u32,
                        len: len as u32,
                    });
                }
            });
        self.out.extend(sent);
        if let Some(flush) = opened {
            let source = self.fleet.len() + local_gateway;
            self.queue.push(EventKey::new(flush, source, 0), ());
        }
        if let Some(t) = next {
            self.queue.push(EventKey::new(t, l, 0), ());
        }
    }

    /// A cellular device's wake: its readings leave in one session through its cell (a new
    /// connection, or the one still open), then travel the cell's backhaul. With a privacy
    /// delay, fresh readings wait on the device (in PSM) for a wake of their own at the end of
    /// the delay (a radio wake: the cell is asked in time order), and what the device reads
    /// meanwhile leaves with them.
    fn wake_cellular(
        &mut self,
        l: u32,
        now: Time,
        radio_wake: bool,
        access: &Access,
        plan: &CellPlan,
        src: Sources,
    ) {
        let d = self.fleet.ids[l as usize];
        let c = plan
            .radio_of(d)
            .expect("validated: cells serve cellular groups only");
        let gateway = self.fleet.gateway[l as usize];
        let lg = (gateway - self.first_gateway) as usize;
        let (cells, devs, txs, end) = (
            &mut self.cells,
            &mut self.cell_devices,
            &mut self.txs,
            self.end,
        );
        let mut sent = None;
        let mut send =
            |g: &crate::devices::Group,
             metrics: &mut Metrics,
             readings: &mut dyn ExactSizeIterator<Item = crate::devices::Reading>| {
                let n = readings.len() as u64;
                let bytes = n * g.tx_bytes as u64;
                let bits = bytes * 8;
                let open = devs[l as usize].connected_at(now);
                let granted = if open {
                    now
                } else {
                    devs[l as usize].close(c, now, end);
                    cells[lg].grant(now)
                };
                let ready = if open { now } else { granted + c.setup };
                let start = cells[lg].uplink(ready, bits);
                let mut s = c.session(now, granted, start, bits);
                if open {
                    s.connected = now;
                }
                let sending = s.sent - start;
                let dev = &mut devs[l as usize];
                if open {
                    dev.extend(s, sending);
                } else {
                    dev.open(s, sending);
                }
                dev.states.readings += n as u32;
                if !open {
                    cells[lg].hold(s.released);
                }
                let first = txs.len() as u32;
                let seq = push_readings(txs, readings, g.tx_bytes, metrics, start);
                sent = Some(Upload {
                    at: s.sent + access.backhaul_delay(gateway, bytes),
                    source: src.first_device + d,
                    seq: seq.expect("an upload holds readings"),
                    node: access.gateway_validator[gateway as usize],
                    start: first,
                    len: n as u32,
                });
            };
        let seed = self.seed;
        let mut wait = None;
        let next = if self.fleet.group_of(d).delay.is_some() {
            let delayed = &mut self.delayed;
            let hold = (0, radio_wake);
            self.fleet
                .wake_holding(l, now, &mut self.metrics, hold, |g, metrics, buf, kept| {
                    if kept == 0 {
                        let until = now + upload_delay(g, seed, d, now);
                        if until > now {
                            delayed.insert(l, until);
                            wait = Some(until);
                        }
                    }
                    if delayed.get(&l).is_some_and(|&u| u > now) {
                        return;
                    }
                    delayed.remove(&l);
                    send(g, metrics, &mut buf.drain(..));
                })
        } else {
            self.fleet
                .wake(l, now, &mut self.metrics, |g, m, r| send(g, m, r))
        };
        self.out.extend(sent);
        if let Some(t) = wait.filter(|&t| t < self.end) {
            self.queue.push(EventKey::new(t, l, RADIO_WAKE), ());
        }
        // A radio wake only sends: the device's next reading is queued already.
        let next = next.filter(|_| !radio_wake);
        if sent.is_some() && plan.receipts(d) {
            let dev = &self.cell_devices[l as usize];
            // The next session starts at the next wake or later (after its delay).
            let until = next.unwrap_or(end).max(now).min(end);
            dev.contacts(c, until, &mut self.scratch_contacts);
            self.contacts
                .extend(self.scratch_contacts.drain(..).map(|k| (d, k)));
        }
        if let Some(t) = next {
            self.queue.push(EventKey::new(t, l, 0), ());
        }
    }

    /// Forwards the batch local gateway `lg` collected in the interval ending now.
    fn flush(&mut self, lg: u32, now: Time, access: &Access, src: Sources) {
        let batch = self.gateways.flush(lg, now);
        let mut list = self.batches.take(batch);
        let bytes: u64 = list.iter().map(|t| u64::from(t.bytes)).sum();
        let g = self.first_gateway + lg;
        if self.mix {
            // One batch per gateway and interval: the interval's number names it.
            let k = now / self.gateways.interval();
            crate::privacy::mitigation::mix(&mut list, self.seed, g, k);
        }
        self.out.push(Upload {
            at: now + access.backhaul_delay(g, bytes),
            source: src.first_gateway + g,
            seq: 0,
            node: access.gateway_validator[g as usize],
            start: self.txs.len() as u32,
            len: list.len() as u32,
        });
        self.txs.extend_from_slice(&list);
        self.batches.give_back(list);
    }

    /// Closes the run: readings never uploaded stay on their devices, online time is
    /// accounted. Returns the transactions left on devices and those in unflushed batches.
    pub fn finish(&mut self, plans: Plans) -> (u64, u64) {
        let macs = &self.macs;
        let on_device = self.fleet.finish(&mut self.metrics, |l| macs.reserved(l));
        if let Some(plan) = plans.cells {
            for (l, dev) in self.cell_devices.iter_mut().enumerate() {
                if let Some(c) = plan.radio_of(self.fleet.ids[l]) {
                    dev.finish(c, self.end);
                }
            }
        }
        (on_device, self.batches.in_flight())
    }

    pub fn devices(&self) -> u32 {
        self.fleet.len()
    }

    /// Each cellular device's fleet-wide id and state (every device of the shard is listed
    /// when any group is cellular; those of other groups never sent and are skipped by the
    /// caller).
    pub fn cell_devices_by_id(&self) -> impl Iterator<Item = (u32, &CellDevice)> {
        self.cell_devices
            .iter()
            .enumerate()
            .map(|(l, dev)| (self.fleet.ids[l], dev))
    }
}

#[cfg(test)]
mod tests {
    use super::shard_of;

    // The closed-form gateway ranges used to build shards agree with `shard_of`.
    #[test]
    fn each_shard_starts_at_its_first_gateway() {
        for (gateways, count) in [(1u32, 1u32), (30, 30), (150, 64), (50_000, 64), (65, 64)] {
            for k in 0..count {
                let first = (k as u64 * gateways as u64).div_ceil(count as u64) as u32;
                let expected = (0..gateways).find(|&g| shard_of(g, gateways, count) == k);
                assert_eq!(Some(first).filter(|&f| f < gateways), expected);
            }
        }
    }
}
