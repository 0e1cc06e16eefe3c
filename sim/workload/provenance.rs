//! Provenance chains (`workload: {model: provenance}`): items (lots) enter at Poisson times
//! and pass `stages` parties; each stage's event is signed by its party's device and depends
//! on the item's previous event: it is created `stage_delay_s` after that event settled (the
//! next party acts on a settled record), so no event can settle before its predecessor. An
//! event puts its hash (`anchor: hash`) or itself (`anchor: full`) on the ledger. Items in
//! progress are the only state, freed when traced or broken (an event dropped).

use super::{Cx, Via, latency_rows, tx};
use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::ledger::{TxKind, TxTag};
use crate::metrics::{Histogram, Value};
use crate::scenario::{Anchor, DeviceGroup, Scenario, Workload};
use std::collections::BTreeMap;

/// Draws of the item arrivals: an entity no device id reaches (ids are below 2^32).
const ARRIVALS: u64 = 1 << 40;

#[derive(Clone, Copy, Debug)]
struct Item {
    number: u64,
    stage: u32,
    first_created: Time,
    last_settled: Time,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvenanceCounts {
    pub started: u64,
    pub traced: u64,
    pub broken: u64,
    pub events_settled_traced: u64,
    /// Events that settled before their item's previous event: must stay zero.
    pub out_of_order: u64,
}

pub struct Provenance {
    seed: u64,
    end: Time,
    first: u32,
    parties: u32,
    mean_arrival_s: f64,
    stages: u32,
    delay: Time,
    bytes: u32,
    /// Per party, its next sequence number.
    seq: Vec<u32>,
    /// Items in progress, and the free slots among them.
    items: Vec<Item>,
    free: Vec<u32>,
    /// Events on their way: `(party, seq)` → item slot.
    in_flight: BTreeMap<(u32, u32), u32>,
    next_arrival: Time,
    arrivals: u64,
    /// The shortest trace, exactly (the histogram's is within its bucket).
    trace_min: Time,
    pub counts: ProvenanceCounts,
    trace: Histogram,
}

impl Provenance {
    pub fn new(s: &Scenario, g: &DeviceGroup, first: u32, end: Time) -> Self {
        let Workload::Provenance {
            items_per_s,
            stages,
            stage_delay_s,
            anchor,
            hash_bytes,
        } = g.workload
        else {
            unreachable!("built for provenance groups only")
        };
        Provenance {
            seed: s.seed,
            end,
            first,
            parties: g.count as u32,
            mean_arrival_s: 1.0 / items_per_s,
            stages,
            delay: from_secs(stage_delay_s),
            bytes: match anchor {
                Anchor::Hash => hash_bytes,
                Anchor::Full => g.tx_bytes,
            },
            seq: vec![0; g.count as usize],
            items: Vec::new(),
            free: Vec::new(),
            in_flight: BTreeMap::new(),
            next_arrival: 0,
            arrivals: 0,
            trace_min: Time::MAX,
            counts: ProvenanceCounts::default(),
            trace: Histogram::new(),
        }
    }

    fn plan_arrival(&mut self, cx: &mut Cx) {
        let u = draw_unit(
            self.seed,
            ARRIVALS + u64::from(self.first),
            Purpose::Workload,
            self.arrivals,
        );
        let gap = from_secs(-self.mean_arrival_s * u.ln()).max(1);
        self.next_arrival = self.next_arrival.saturating_add(gap);
        if self.next_arrival < self.end {
            cx.wake(self.next_arrival, self.first);
        }
    }

    pub fn start(&mut self, cx: &mut Cx) {
        self.plan_arrival(cx);
    }

    /// The party that holds stage `stage` of item `number`: items enter at every party in
    /// turn and move on to the next.
    fn party(&self, number: u64, stage: u32) -> u32 {
        let k = (number + u64::from(stage)) % u64::from(self.parties);
        self.first + k as u32
    }

    /// Item `slot`'s event of its current stage, created at `at`.
    fn event(&mut self, slot: u32, at: Time, cx: &mut Cx) {
        let it = self.items[slot as usize];
        let party = self.party(it.number, it.stage);
        let p = (party - self.first) as usize;
        let seq = self.seq[p];
        self.seq[p] += 1;
        self.in_flight.insert((party, seq), slot);
        cx.create(
            tx(party, seq, TxKind::ProvenanceEvent, self.bytes, at),
            Via::Device,
        );
    }

    /// An item enters the chain.
    pub fn wake(&mut self, cx: &mut Cx) {
        let item = Item {
            number: self.arrivals,
            stage: 0,
            first_created: cx.now,
            last_settled: 0,
        };
        self.arrivals += 1;
        self.counts.started += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.items[s as usize] = item;
                s
            }
            None => {
                self.items.push(item);
                self.items.len() as u32 - 1
            }
        };
        self.event(slot, cx.now, cx);
        self.plan_arrival(cx);
    }

    pub fn fate(&mut self, tag: TxTag, at: Option<Time>, cx: &mut Cx) {
        let Some(slot) = self.in_flight.remove(&(tag.device, tag.seq)) else {
            return;
        };
        let Some(s) = at else {
            self.counts.broken += 1;
            self.free.push(slot);
            return;
        };
        let it = &mut self.items[slot as usize];
        self.counts.out_of_order += u64::from(s < it.last_settled);
        it.last_settled = s;
        it.stage += 1;
        if it.stage == self.stages {
            self.counts.traced += 1;
            self.counts.events_settled_traced += u64::from(self.stages);
            self.trace.record(s - it.first_created);
            self.trace_min = self.trace_min.min(s - it.first_created);
            self.free.push(slot);
            return;
        }
        let next = s.saturating_add(self.delay);
        if next < self.end {
            self.event(slot, next, cx);
        }
    }

    pub fn finish(&self, rows: &mut Vec<(String, Value)>) {
        let c = &self.counts;
        let in_progress = self.items.len() - self.free.len();
        let per = crate::consensus::per;
        rows.extend([
            ("provenance_items_started".into(), c.started.into()),
            ("provenance_items_traced".into(), c.traced.into()),
            ("provenance_items_broken".into(), c.broken.into()),
            (
                "provenance_items_in_progress_at_end".into(),
                (in_progress as u64).into(),
            ),
            ("provenance_out_of_order".into(), c.out_of_order.into()),
            (
                "provenance_events_per_item".into(),
                per(c.events_settled_traced, c.traced).into(),
            ),
            (
                "provenance_ledger_bytes_per_item".into(),
                per(c.events_settled_traced * u64::from(self.bytes), c.traced).into(),
            ),
            (
                "provenance_trace_min_s".into(),
                if c.traced == 0 {
                    f64::NAN
                } else {
                    crate::engine::to_secs(self.trace_min)
                }
                .into(),
            ),
        ]);
        latency_rows("provenance_trace", &self.trace, rows);
    }
}
