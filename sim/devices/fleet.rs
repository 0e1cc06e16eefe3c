//! Device state and the wake-up handler.
//!
//! A device is an event only when it has something to do: it wakes at its next reading if it
//! is online then, otherwise at the start of its next online window; readings created while
//! it slept are generated on waking, passed through the bounded buffer, and uploaded together.
//! A device that never comes online costs no event at all.

use super::{Conn, ConnState, Load};
use crate::engine::{Time, from_secs};
use crate::ledger::TxKind;
use crate::metrics::Metrics;
use crate::scenario::{Overflow, Scenario};
use std::collections::{HashMap, VecDeque};

/// One device group's compiled parameters; its devices are ids `first..first + count`.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub first: u32,
    pub count: u32,
    pub conn: Conn,
    pub load: Load,
    pub tx_bytes: u32,
    pub buffer: u32,
    pub overflow: Overflow,
    pub uplink_latency: Time,
    pub uplink_bps: f64,
    /// Whether its devices get settlement receipts.
    pub receipts: bool,
    /// A random wait before each upload (a privacy mitigation).
    pub delay: Option<crate::scenario::Delay>,
    /// Share of its transactions touching the shared key.
    pub hot_key_share: f64,
}

/// A reading ready to leave its device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub device: u32,
    pub seq: u32,
    pub created: Time,
    pub kind: TxKind,
}

/// A set of devices, addressed by local index `0..len()`; `ids` maps them to fleet-wide
/// device ids, which key every random draw, so a device behaves the same in whatever set it
/// is simulated.
pub struct Fleet {
    pub groups: Vec<Group>,
    seed: u64,
    end: Time,
    /// Fleet-wide id of each local device, ascending.
    pub ids: Vec<u32>,
    pub gateway: Vec<u32>,
    /// Index of the next reading not yet generated.
    seq: Vec<u32>,
    /// Creation time of reading `seq`.
    next: Vec<Time>,
    conn: Vec<ConnState>,
    /// Reused between wakes so buffering allocates nothing per event.
    scratch: VecDeque<Reading>,
    /// Readings a device keeps from one wake to the next (a radio device waiting for its
    /// duty cycle or an ACK), by local index; few devices hold any at one time, and the map is
    /// only ever read by key.
    held: HashMap<u32, Vec<Reading>>,
}

impl Fleet {
    /// The scenario's device groups, compiled.
    pub fn groups(s: &Scenario) -> Vec<Group> {
        let mut groups = Vec::with_capacity(s.devices.len());
        let mut first = 0u32;
        for g in &s.devices {
            groups.push(Group {
                name: g.name.clone(),
                first,
                count: g.count as u32,
                conn: Conn::from_scenario(&g.connectivity),
                load: Load::from_scenario(&g.workload),
                tx_bytes: g.wire_bytes(),
                buffer: g.buffer_tx,
                overflow: g.overflow,
                uplink_latency: from_secs(g.uplink.latency_ms / 1e3),
                uplink_bps: g.uplink.bandwidth_bps,
                receipts: g.receipts.is_some(),
                delay: g.mitigation.and_then(|m| m.delay),
                hot_key_share: g.hot_key_share.unwrap_or(0.0),
            });
            first += g.count as u32;
        }
        groups
    }

    /// Builds the devices `ids` (ascending fleet-wide ids), attached to `gateway`.
    pub fn build(s: &Scenario, end: Time, ids: Vec<u32>, gateway: Vec<u32>) -> Self {
        debug_assert!(ids.is_sorted() && ids.len() == gateway.len());
        let groups = Self::groups(s);
        let mut conn = Vec::with_capacity(ids.len());
        let mut next = Vec::with_capacity(ids.len());
        let mut gi = 0;
        for &d in &ids {
            while groups[gi].first + groups[gi].count <= d {
                gi += 1;
            }
            conn.push(groups[gi].conn.init(s.seed, d));
            next.push(groups[gi].load.time_of(s.seed, d, 0, 0));
        }
        Fleet {
            groups,
            seed: s.seed,
            end,
            seq: vec![0; ids.len()],
            ids,
            gateway,
            next,
            conn,
            scratch: VecDeque::new(),
            held: HashMap::new(),
        }
    }

    pub fn len(&self) -> u32 {
        self.seq.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.seq.is_empty()
    }

    pub fn group_of(&self, d: u32) -> &Group {
        let i = self.groups.partition_point(|g| g.first + g.count <= d);
        &self.groups[i]
    }

    /// When local device `l` should first wake, if ever within the run.
    pub fn first_wake(&self, l: u32) -> Option<Time> {
        self.plan(l)
    }

    /// The wake time for the device's next reading: at the reading if online then, else when
    /// it next comes online.
    fn plan(&self, l: u32) -> Option<Time> {
        let r = self.next[l as usize];
        if r >= self.end {
            return None;
        }
        let d = self.ids[l as usize];
        let g = self.group_of(d);
        let (start, _) = g
            .conn
            .window_from(self.seed, d, &self.conn[l as usize], r, self.end)?;
        Some(start.max(r))
    }

    /// Handles a wake at `now`: generates the readings created since the last wake, buffers
    /// them (dropping on overflow), and, the device being online, hands them to `upload`.
    /// Returns the next wake time.
    pub fn wake(
        &mut self,
        l: u32,
        now: Time,
        m: &mut Metrics,
        upload: impl FnOnce(&Group, &mut Metrics, &mut dyn ExactSizeIterator<Item = Reading>),
    ) -> Option<Time> {
        // Wakes are planned inside online windows; generating only when online keeps the
        // shared scratch buffer empty between devices.
        if let Some(gi) = self.online(l, now, m) {
            self.generate(gi, l, now, 0, m);
            if !self.scratch.is_empty() {
                upload(&self.groups[gi], m, &mut self.scratch.drain(..));
            }
        }
        self.plan(l)
    }

    /// A wake of a device that may keep readings for later: its buffer holds the readings it
    /// kept at its last wake, then the new ones, bounded by `buffer_tx` less `reserved`
    /// places (readings sent but not yet acknowledged). `send` takes what leaves now from the
    /// front and is told how many were kept from before; the rest stays on the device. New
    /// readings are picked up only while the device is online; `anyway` lets it send what it
    /// kept while offline (a radio finishing what an online window started). Returns the next
    /// wake for a new reading.
    pub fn wake_holding(
        &mut self,
        l: u32,
        now: Time,
        m: &mut Metrics,
        (reserved, anyway): (u32, bool),
        send: impl FnOnce(&Group, &mut Metrics, &mut VecDeque<Reading>, usize),
    ) -> Option<Time> {
        let online = self.online(l, now, m);
        if online.is_some() || anyway {
            let d = self.ids[l as usize];
            let gi = self.groups.partition_point(|g| g.first + g.count <= d);
            let kept = self.take_held(l);
            if online.is_some() {
                self.generate(gi, l, now, reserved, m);
            }
            if !self.scratch.is_empty() {
                send(&self.groups[gi], m, &mut self.scratch, kept);
            }
            if !self.scratch.is_empty() {
                self.held.insert(l, self.scratch.drain(..).collect());
            }
        }
        self.plan(l)
    }

    /// Whether local device `l` keeps readings for a later wake.
    pub fn holds(&self, l: u32) -> bool {
        self.held.contains_key(&l)
    }

    /// Moves device `l`'s connectivity on to `now`; its group's index if it is online then.
    fn online(&mut self, l: u32, now: Time, m: &mut Metrics) -> Option<usize> {
        let d = self.ids[l as usize];
        let gi = self.groups.partition_point(|g| g.first + g.count <= d);
        let g = &self.groups[gi];
        g.conn
            .advance(self.seed, d, &mut self.conn[l as usize], now, m);
        g.conn
            .window_from(self.seed, d, &self.conn[l as usize], now, Time::MAX)
            .is_some_and(|(s, _)| s <= now)
            .then_some(gi)
    }

    /// Moves the readings device `l` kept into the (empty) scratch buffer; returns how many.
    fn take_held(&mut self, l: u32) -> usize {
        debug_assert!(self.scratch.is_empty());
        let kept = self.held.remove(&l).unwrap_or_default();
        self.scratch.extend(kept);
        self.scratch.len()
    }

    /// Generates readings created at or before `until` into the buffer, applying its bound
    /// less `reserved` places.
    fn generate(&mut self, gi: usize, l: u32, until: Time, reserved: u32, m: &mut Metrics) {
        let g = &self.groups[gi];
        let cap = g.buffer.saturating_sub(reserved) as usize;
        let (di, d) = (l as usize, self.ids[l as usize]);
        while self.next[di] <= until && self.next[di] < self.end {
            let reading = Reading {
                device: d,
                seq: self.seq[di],
                created: self.next[di],
                kind: TxKind::Reading,
            };
            if g.receipts {
                m.on_created_with_receipt(reading.created);
            } else {
                m.on_created(reading.created);
            }
            if self.scratch.len() < cap {
                self.scratch.push_back(reading);
            } else {
                m.on_dropped_overflow(reading.created);
                if g.overflow == Overflow::DropOldest && cap > 0 {
                    self.scratch.pop_front();
                    self.scratch.push_back(reading);
                }
            }
            self.seq[di] += 1;
            self.next[di] = g.load.time_of(self.seed, d, self.seq[di], self.next[di]);
        }
    }

    /// Closes the run for every device: readings created before the end but never uploaded
    /// stay on the device (counted, not lost), and online time is accounted; `reserved`
    /// tells how many buffer places each device's unacknowledged readings take. Returns the
    /// number of transactions left on devices.
    pub fn finish(&mut self, m: &mut Metrics, reserved: impl Fn(u32) -> u32) -> u64 {
        let mut on_device = 0u64;
        let mut always_on = 0u64;
        let mut gi = 0;
        for l in 0..self.len() {
            let d = self.ids[l as usize];
            while self.groups[gi].first + self.groups[gi].count <= d {
                gi += 1;
            }
            let conn = self.groups[gi].conn;
            if conn == Conn::AlwaysOn {
                always_on += 1;
            }
            self.scratch.clear();
            self.take_held(l);
            self.generate(gi, l, self.end, reserved(l), m);
            on_device += self.scratch.len() as u64;
            conn.finish(self.seed, d, &mut self.conn[l as usize], self.end, m);
        }
        m.on_always_online(always_on);
        self.scratch.clear();
        on_device
    }
}
