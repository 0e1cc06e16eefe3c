//! Settlement receipts on their way back to devices: validator → gateway (or cell) → device.
//!
//! A receipt is ready at its device's gateway one backhaul delay after the settlement, then
//! waits at the network until the device can be reached: a cellular device while connected,
//! or at a paging occasion (plus a connection setup) while idle in T3324 or eDRX; a LoRaWAN
//! class A device only in a receive window after an uplink (`class_a_receipts`: the
//! airwaves' queue, which these receipts are handed to). A cellular device's *contacts*
//! (when it can be reached) come from its own schedule: sessions and TAUs in the fleet
//! shards.
//!
//! Determinism: a receipt goes in the first contact, in order of contact start, that can
//! reach it. A contact found at a merge is final once it starts before the barrier, since
//! every contact starting before the barrier is known then (the shards have run to it, and
//! LoRaWAN windows open after frames that ended before it); a contact starting later is
//! re-examined at the next merge. The outcome is therefore fixed by the model, never by the
//! window width, the shards or the threads. Contacts are forgotten once they end before the
//! validators' clock, which no receipt yet to come can precede.

use std::collections::HashMap;

use super::class_a_receipts::ReceiptQueue;
use crate::engine::{Purpose, Time, draw_u64};
use crate::metrics::{Metrics, SettledTx, Value};
use crate::net::Access;
use crate::radio::cellular::{Cellular, Contact, transfer};
use crate::scenario::{Proof, Radio, Scenario};

/// A Merkle inclusion proof carries one 32-byte hash per tree level.
const MERKLE_HASH_BYTES: u32 = 32;
const DAY: Time = 86_400 * crate::engine::NS_PER_S;

/// How a group's devices are reached.
enum Link {
    Cellular(Cellular),
    ClassA,
}

struct Group {
    first: u32,
    count: u32,
    bytes: u32,
    merkle: bool,
    quota: Option<u32>,
    link: Link,
}

#[derive(Clone, Copy, Debug)]
struct Receipt {
    device: u32,
    created: Time,
    /// When its next part can leave the gateway.
    ready: Time,
    bytes: u32,
}

/// Receipts counted by what became of them: `created = delivered + pending + dropped`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiptCounts {
    pub created: u64,
    pub delivered: u64,
    pub pending_at_network: u64,
    pub dropped_quota: u64,
    pub bytes_delivered: u64,
    /// Downlinks that carried receipt parts.
    pub downlinks: u64,
    /// Received class A uplinks whose windows could not carry a waiting receipt, by why:
    /// the strongest gateway's transmitter busy, its duty cycle, or a backhaul too slow.
    pub missed_busy: u64,
    pub missed_duty_cycle: u64,
    pub missed_backhaul: u64,
    /// Whether class A devices get receipts (the misses are reported then).
    pub class_a: bool,
}

impl ReceiptCounts {
    pub fn holds(&self) -> bool {
        self.created == self.delivered + self.pending_at_network + self.dropped_quota
    }
}

pub struct Receipts {
    groups: Vec<Group>,
    seed: u64,
    contacts: HashMap<u32, Vec<Contact>>,
    /// Receipts no known contact can carry, by device.
    parked: HashMap<u32, Vec<Receipt>>,
    /// Receipts whose contact starts at or after the last barrier.
    deferred: Vec<Receipt>,
    /// Cellular receipts created since the last merge.
    fresh: Vec<Receipt>,
    /// `(day, receipts)` per device of a group with a quota.
    quota: HashMap<u32, (u64, u32)>,
    /// No receipt yet to come is ready before this (the validators' clock).
    horizon: Time,
    pruned_at: usize,
    pub counts: ReceiptCounts,
    /// Receipts each device holds, for its energy (`receipt_mj` each).
    held: HashMap<u32, u64>,
}

impl Receipts {
    /// `None` when no group asks for receipts.
    pub fn build(s: &Scenario) -> Option<Receipts> {
        let mut groups = Vec::new();
        let mut first = 0u32;
        for g in &s.devices {
            if let Some(r) = &g.receipts {
                let link = match &g.radio {
                    Some(Radio::Nbiot(c)) => {
                        Link::Cellular(super::cells::compile(crate::radio::cellular::Rat::NbIot, c))
                    }
                    Some(Radio::Ltem(c)) => {
                        Link::Cellular(super::cells::compile(crate::radio::cellular::Rat::LteM, c))
                    }
                    Some(Radio::Lorawan(_)) => Link::ClassA,
                    None => unreachable!("validated: receipts need a radio"),
                };
                groups.push(Group {
                    first,
                    count: g.count as u32,
                    bytes: r.size_bytes,
                    merkle: r.proof == Proof::Merkle,
                    quota: r.quota_per_day,
                    link,
                });
            }
            first += g.count as u32;
        }
        (!groups.is_empty()).then(|| Receipts {
            groups,
            seed: s.seed,
            contacts: HashMap::new(),
            parked: HashMap::new(),
            deferred: Vec::new(),
            fresh: Vec::new(),
            quota: HashMap::new(),
            horizon: 0,
            pruned_at: 0,
            counts: ReceiptCounts::default(),
            held: HashMap::new(),
        })
    }

    fn group_of(&self, d: u32) -> Option<usize> {
        let i = self.groups.partition_point(|g| g.first + g.count <= d);
        (i < self.groups.len() && self.groups[i].first <= d).then_some(i)
    }

    /// Whether some group's receipts go to LoRaWAN class A devices.
    pub fn class_a(&self) -> bool {
        self.groups.iter().any(|g| matches!(g.link, Link::ClassA))
    }

    /// The receipts of the settlements the validators made so far: a class A device's go to
    /// the network server's `queue`, a cellular device's wait for the next merge.
    pub fn settle(
        &mut self,
        m: &mut Metrics,
        access: &Access,
        mut queue: Option<&mut ReceiptQueue>,
    ) {
        for s in std::mem::take(&mut m.settled_log) {
            let Some(r) = self.create(s, access) else {
                continue;
            };
            let gi = self.group_of(r.device).expect("receipt of a receipt group");
            match (&self.groups[gi].link, queue.as_deref_mut()) {
                (Link::ClassA, Some(q)) => q.push(r.device, r.created, r.ready, r.bytes),
                (Link::ClassA, None) => unreachable!("class A receipts have a queue"),
                (Link::Cellular(_), _) => self.fresh.push(r),
            }
        }
    }

    /// One merge: the devices' new contacts, the cellular receipts created since the last,
    /// and every contact starting before `barrier` known; `validators` is their clock.
    pub fn merge(
        &mut self,
        contacts: &mut dyn Iterator<Item = (u32, Contact)>,
        m: &mut Metrics,
        barrier: Time,
        validators: Time,
    ) {
        let mut touched = Vec::new();
        for (d, c) in contacts {
            if self.group_of(d).is_none() {
                continue;
            }
            let horizon = self.horizon;
            let list = self.contacts.entry(d).or_default();
            list.retain(|k| k.idle_until > horizon);
            let at = list.partition_point(|k| k.connected <= c.connected);
            list.insert(at, c);
            if self.parked.contains_key(&d) {
                touched.push(d);
            }
        }
        touched.dedup();
        for d in touched {
            for r in self.parked.remove(&d).unwrap_or_default() {
                self.try_deliver(r, barrier, m);
            }
        }
        for r in std::mem::take(&mut self.fresh) {
            self.try_deliver(r, barrier, m);
        }
        for r in std::mem::take(&mut self.deferred) {
            self.try_deliver(r, barrier, m);
        }
        self.horizon = validators;
        if self.contacts.len() > 2 * self.pruned_at.max(1 << 16) {
            let horizon = self.horizon;
            self.contacts.retain(|_, list| {
                list.retain(|k| k.idle_until > horizon);
                !list.is_empty()
            });
            self.pruned_at = self.contacts.len();
        }
    }

    /// The receipt of a settlement, or `None` when its device gets none or its quota for
    /// the day is spent.
    fn create(&mut self, s: SettledTx, access: &Access) -> Option<Receipt> {
        let gi = self.group_of(s.device)?;
        let g = &self.groups[gi];
        self.counts.created += 1;
        if let Some(q) = g.quota {
            let day = s.at / DAY;
            let used = self.quota.entry(s.device).or_insert((day, 0));
            if used.0 != day {
                *used = (day, 0);
            }
            if used.1 >= q {
                self.counts.dropped_quota += 1;
                return None;
            }
            used.1 += 1;
        }
        let proof = if g.merkle {
            MERKLE_HASH_BYTES * s.block_txs.max(1).next_power_of_two().trailing_zeros()
        } else {
            0
        };
        let bytes = g.bytes + proof;
        let gateway = access.gateway_of(self.seed, s.device);
        Some(Receipt {
            device: s.device,
            created: s.created,
            ready: s.at + access.backhaul_delay(gateway, bytes as u64),
            bytes,
        })
    }

    /// Sends cellular receipt `r` in the first contact that can reach it, if that contact
    /// is final.
    fn try_deliver(&mut self, r: Receipt, barrier: Time, m: &mut Metrics) {
        let gi = self.group_of(r.device).expect("receipt of a receipt group");
        let Link::Cellular(radio) = &self.groups[gi].link else {
            unreachable!("class A receipts wait in the airwaves' queue")
        };
        let phase = draw_u64(self.seed, r.device as u64, Purpose::Paging, 0) as u32;
        let list = self.contacts.get(&r.device).map_or(&[][..], Vec::as_slice);
        for c in list {
            let Some(start) = radio.reach(c, r.ready, phase) else {
                continue;
            };
            if c.connected >= barrier {
                self.deferred.push(r);
                return;
            }
            let done = start + transfer(r.bytes as u64 * 8, radio.downlink_bps);
            self.counts.downlinks += 1;
            self.counts.delivered += 1;
            self.counts.bytes_delivered += r.bytes as u64;
            *self.held.entry(r.device).or_default() += 1;
            m.on_receipt(r.created, done);
            return;
        }
        self.parked.entry(r.device).or_default().push(r);
    }

    /// Receipts delivered to each device that got any, by device, the class A `queue`'s
    /// included.
    pub fn held_by_device(&self, queue: Option<&ReceiptQueue>) -> Vec<(u32, u64)> {
        let class_a = queue.into_iter().flat_map(|q| q.held.iter());
        let mut v: Vec<(u32, u64)> = self
            .held
            .iter()
            .chain(class_a)
            .map(|(&d, &n)| (d, n))
            .collect();
        v.sort_unstable();
        v
    }

    /// Closes the run: what is left waits at the network, the class A `queue`'s included.
    pub fn finish(&mut self, queue: Option<&ReceiptQueue>) -> ReceiptCounts {
        let parked: usize = self.parked.values().map(Vec::len).sum();
        self.counts.pending_at_network = (parked + self.deferred.len() + self.fresh.len()) as u64;
        let mut c = self.counts;
        if let Some(q) = queue {
            let k = q.counts;
            c.delivered += k.delivered;
            c.bytes_delivered += k.bytes_delivered;
            c.downlinks += k.downlinks;
            c.pending_at_network += q.pending();
            c.missed_busy = k.missed_busy;
            c.missed_duty_cycle = k.missed_duty_cycle;
            c.missed_backhaul = k.missed_backhaul;
            c.class_a = true;
        }
        c
    }
}

/// The receipts' share of the summary.
pub fn summary(c: &ReceiptCounts) -> Vec<(String, Value)> {
    let mut v = vec![
        ("receipts_created".into(), c.created.into()),
        ("receipts_delivered".into(), c.delivered.into()),
        (
            "receipts_pending_at_network".into(),
            c.pending_at_network.into(),
        ),
        ("receipts_dropped_quota".into(), c.dropped_quota.into()),
        ("receipt_downlinks".into(), c.downlinks.into()),
        ("receipt_bytes_delivered".into(), c.bytes_delivered.into()),
    ];
    if c.class_a {
        v.extend([
            ("receipt_windows_missed_busy".into(), c.missed_busy.into()),
            (
                "receipt_windows_missed_duty_cycle".into(),
                c.missed_duty_cycle.into(),
            ),
            (
                "receipt_windows_missed_backhaul".into(),
                c.missed_backhaul.into(),
            ),
        ]);
    }
    v
}
