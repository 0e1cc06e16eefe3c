//! Onboarding bursts (`workload: {model: registration}`): the group joins at once, each
//! device registering at a uniform time in `[start_s, start_s + spread_s)`, then reading
//! every `interval_s`. A reading is accepted only once its device's registration settled:
//! until then readings wait in the device's buffer (`buffer_tx`, `overflow`), and leave
//! together the moment it settles. A dropped registration is sent again at once. A device
//! keeps a few words: its next reading, the range of readings it buffers, whether it is
//! registered.

use super::{Cx, Via, tx};
use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::ledger::{TxKind, TxTag};
use crate::metrics::{Histogram, Value};
use crate::scenario::{DeviceGroup, Overflow, Scenario, Workload};

#[derive(Clone, Copy, Debug, Default)]
struct Device {
    /// Next reading to create.
    k: u32,
    /// Buffered readings: `from..from + held`.
    from: u32,
    held: u32,
    registered: bool,
    attempts: u32,
}

/// Readings take even sequence numbers (`2k`), registration attempts odd ones (`2r + 1`).
fn reading_seq(k: u32) -> u32 {
    2 * k
}

pub struct Registration {
    seed: u64,
    end: Time,
    first: u32,
    start: Time,
    spread: Time,
    interval: Time,
    bytes: u32,
    buffer: u32,
    overflow: Overflow,
    devices: Vec<Device>,
    released: u64,
    retries: u64,
    overflowed: u64,
    /// Start of the burst → each device's registration settled.
    operational: Histogram,
}

impl Registration {
    pub fn new(s: &Scenario, g: &DeviceGroup, first: u32, end: Time) -> Self {
        let Workload::Registration {
            start_s,
            spread_s,
            interval_s,
        } = g.workload
        else {
            unreachable!("built for registration groups only")
        };
        Registration {
            seed: s.seed,
            end,
            first,
            start: from_secs(start_s),
            spread: from_secs(spread_s),
            interval: from_secs(interval_s),
            bytes: g.tx_bytes,
            buffer: g.buffer_tx,
            overflow: g.overflow,
            devices: vec![Device::default(); g.count as usize],
            released: 0,
            retries: 0,
            overflowed: 0,
            operational: Histogram::new(),
        }
    }

    fn draw(&self, device: u32, i: u64) -> f64 {
        draw_unit(self.seed, u64::from(device), Purpose::Workload, i)
    }

    fn joins(&self, device: u32) -> Time {
        self.start + (self.draw(device, 0) * self.spread as f64) as Time
    }

    /// Reading `k` of `device`: a uniform phase within an interval after joining, then
    /// every interval.
    fn reading_time(&self, device: u32, k: u32) -> Time {
        let phase = (self.draw(device, 1) * self.interval as f64) as Time;
        self.joins(device) + phase + Time::from(k) * self.interval
    }

    fn register(&mut self, device: u32, at: Time, cx: &mut Cx) {
        let d = &mut self.devices[(device - self.first) as usize];
        let seq = 2 * d.attempts + 1;
        d.attempts += 1;
        let t = tx(device, seq, TxKind::Registration, self.bytes, at);
        cx.create(t, Via::Device);
    }

    pub fn start(&mut self, cx: &mut Cx) {
        for i in 0..self.devices.len() as u32 {
            let d = self.first + i;
            let at = self.joins(d);
            if at < self.end {
                self.register(d, at, cx);
            }
            let r = self.reading_time(d, 0);
            if r < self.end {
                cx.wake(r, d);
            }
        }
    }

    /// Reading time of `device`: send it if registered, else buffer it.
    pub fn wake(&mut self, device: u32, cx: &mut Cx) {
        let i = (device - self.first) as usize;
        let k = self.devices[i].k;
        self.devices[i].k += 1;
        let t = tx(device, reading_seq(k), TxKind::Reading, self.bytes, cx.now);
        let d = &mut self.devices[i];
        if d.registered {
            cx.create(t, Via::Device);
        } else {
            cx.m.on_created_of(TxKind::Reading, cx.now);
            if d.held == 0 {
                d.from = k;
            }
            if d.held < self.buffer {
                d.held += 1;
            } else {
                self.overflowed += 1;
                match self.overflow {
                    Overflow::DropNewest => cx.m.on_dropped_overflow(cx.now),
                    Overflow::DropOldest => {
                        let oldest = self.reading_time(device, self.devices[i].from);
                        cx.m.on_dropped_overflow(oldest);
                        self.devices[i].from += 1;
                    }
                }
            }
        }
        let next = self.reading_time(device, k + 1);
        if next < self.end {
            cx.wake(next, device);
        }
    }

    pub fn fate(&mut self, tag: TxTag, at: Option<Time>, cx: &mut Cx) {
        if tag.kind != TxKind::Registration {
            return;
        }
        let i = (tag.device - self.first) as usize;
        let Some(s) = at else {
            self.retries += 1;
            self.register(tag.device, cx.now, cx);
            return;
        };
        let d = &mut self.devices[i];
        d.registered = true;
        let (from, held) = (d.from, d.held);
        d.held = 0;
        self.operational.record(s.saturating_sub(self.start));
        for k in from..from + held {
            let mut t = tx(tag.device, reading_seq(k), TxKind::Reading, self.bytes, s);
            t.created = self.reading_time(tag.device, k);
            cx.out.submits.push(super::Submit {
                tx: t,
                via: Via::Device,
            });
            self.released += 1;
        }
    }

    /// Readings still buffered: pending on their devices.
    pub fn on_device(&self) -> u64 {
        self.devices.iter().map(|d| u64::from(d.held)).sum()
    }

    pub fn finish(&self, rows: &mut Vec<(String, Value)>) {
        let n = self.devices.len() as u64;
        let registered = self.operational.count();
        rows.extend([
            ("registration_devices".into(), n.into()),
            ("registration_devices_operational".into(), registered.into()),
            ("registration_retries".into(), self.retries.into()),
            (
                "registration_readings_released".into(),
                self.released.into(),
            ),
            (
                "registration_readings_buffered_at_end".into(),
                self.on_device().into(),
            ),
            (
                "registration_buffer_overflow".into(),
                self.overflowed.into(),
            ),
        ]);
        // Over the whole group: a share never reached within the run has no time.
        for (q, name) in [(0.5, "50"), (0.9, "90"), (0.99, "99"), (1.0, "100")] {
            let rank = crate::metrics::rank_of(q, n);
            let t = self.operational.at_rank(rank);
            rows.push((
                format!("fleet_operational_{name}_s"),
                t.map_or(f64::NAN, crate::engine::to_secs).into(),
            ));
        }
    }
}
