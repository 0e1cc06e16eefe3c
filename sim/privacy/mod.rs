//! What insiders learn from metadata: per observer, the share of transactions it sees, how
//! well it links a device's rotated keys, how large the crowd is that each transaction hides
//! in, and (at network observers) how often the first spy names the transaction's entry.
//!
//! A metrics consumer: it reads the transactions as their uploads reach the validators'
//! loop, in simulated-time order on one thread, and changes nothing in the run. Its memory is
//! bounded by the devices it tracks, not by simulated time (keys retire, windows close); a
//! fleet above [`TRACKED_DEVICES`] is sampled (a fixed share of devices, drawn per device),
//! and its sets are scaled up by the inverse of that share (see scenarios/README.md, Privacy).

mod anonymity;
mod bayes;
mod calendar;
mod candidates;
mod idmap;
mod keys;
mod linker;
pub mod mitigation;
mod pools;
mod sightings;
mod view;
mod weigh;

use anonymity::{AnonStats, Anonymity, Tally};
use bayes::{Bayes, BayesStats, Law, Model};
use linker::{LinkStats, Linker, Newest};
use view::Scope;

use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::metrics::{Measure, PrivacyRow, Value};
use crate::net::{Access, Reach};
use crate::scenario::{Delay, Observer, Radio, Scenario, Workload};

/// Devices an observer tracks at most (about 100 bytes each); above it, a sample.
pub const TRACKED_DEVICES: u64 = 250_000;
/// The pool of an observer that does not know the gateway.
const FLEET: u32 = u32::MAX;
/// Not a tracked device.
const NONE: u32 = u32::MAX;
/// What a validator's clock and the network add to when it sees a transaction, beyond the
/// gateway batch it dates transactions within: the Bayes attacker's observation tolerance.
const TOLERANCE_S: f64 = 1.0;

enum Rotate {
    Never,
    EveryTx(u32),
    Every(Time),
}

struct Group {
    first: u32,
    rotate: Rotate,
    /// LoRaWAN: heard by every gateway in range, so no single gateway is known.
    lora: bool,
    /// Plain uplink: the only uploads gateways batch.
    plain: bool,
}

/// What an observer keeps of a tracked device that every transaction of it reads: in one
/// cache line (the records are aligned to half of one), where two arrays cost two misses.
#[derive(Clone, Copy, Default)]
#[repr(align(32))]
struct Device {
    newest: Newest,
    tally: Tally,
}

struct Watcher {
    name: String,
    kind: &'static str,
    scope: Scope,
    visible: u64,
    spy: (u64, u64),
    linker: Linker,
    anon: Anonymity,
    /// By the device's index among those tracked.
    devices: Vec<Device>,
}

pub struct Privacy {
    seed: u64,
    measure: Measure,
    groups: Vec<Group>,
    /// Gateway batch interval (0: none): a batch's order tells its arrival order.
    interval: Time,
    devices: u64,
    /// Devices behind each gateway (counted for the gateways an observer can know).
    behind: Vec<u32>,
    /// Each device's gateway (`FLEET`: a LoRaWAN device, heard by any in range), drawn once.
    gateway_of: Vec<u32>,
    sampled: f64,
    /// Each tracked device's index among those tracked, in the order of ids (`NONE`: not
    /// tracked); absent when every device is (the index is the id).
    slots: Option<Vec<u32>>,
    watchers: Vec<Watcher>,
    /// Transactions seen and not weighed yet (see `sightings.rs`).
    pending: Vec<sightings::Sighting>,
    /// Which observers' first spy each relayed sighting reached, a run of one per observer.
    firsts: Vec<bool>,
}

impl Privacy {
    /// `None` without observers. `flood`: the family floods transactions between validators;
    /// `relayed`: as messages, whose arrivals at the watched validators [`Self::observe_at`]
    /// is told of; `measure`: the transactions the statistics cover.
    pub fn build(
        s: &Scenario,
        access: &Access,
        reach: &Reach,
        (flood, relayed): (bool, bool),
        measure: Measure,
    ) -> Option<Self> {
        if s.observers.is_empty() {
            return None;
        }
        let devices: u64 = s.devices.iter().map(|g| g.count).sum();
        let sampled = (TRACKED_DEVICES as f64 / devices.max(1) as f64).min(1.0);
        let mut first = 0u32;
        let groups = s
            .devices
            .iter()
            .map(|g| {
                let id = g.identity.unwrap_or_default();
                let rotate = match (id.rotate_every_tx, id.rotate_every_s) {
                    (Some(n), _) => Rotate::EveryTx(n),
                    (_, Some(t)) => Rotate::Every(from_secs(t).max(1)),
                    _ => Rotate::Never,
                };
                let group = Group {
                    first,
                    rotate,
                    lora: matches!(g.radio, Some(Radio::Lorawan(_))),
                    plain: g.radio.is_none(),
                };
                first += g.count as u32;
                group
            })
            .collect();
        let origins = access.origins();
        // No key used twice: every group rotates on every transaction.
        let keys_reused = s
            .devices
            .iter()
            .any(|g| g.identity.unwrap_or_default().rotate_every_tx != Some(1));
        let mut p = Privacy {
            seed: s.seed,
            measure,
            groups,
            interval: from_secs(s.gateways.batch_interval_ms / 1e3),
            devices,
            behind: vec![0; access.gateways() as usize],
            gateway_of: Vec::new(),
            sampled,
            slots: None,
            watchers: Vec::new(),
            pending: Vec::with_capacity(2 * sightings::BLOCK),
            firsts: Vec::new(),
        };
        let tracked = p.index_tracked();
        p.watchers = s
            .observers
            .iter()
            .map(|o| {
                let window = from_secs(o.window_s());
                Watcher {
                    name: o.name(),
                    kind: o.kind(),
                    scope: view::scope(s, o, reach, &origins, flood, relayed),
                    visible: 0,
                    spy: (0, 0),
                    linker: Linker::new(
                        window,
                        keys_reused,
                        Bayes::new(models(s, o), keys_reused),
                        tracked,
                    ),
                    anon: Anonymity::new(window, sampled),
                    devices: vec![Device::default(); tracked],
                }
            })
            .collect();
        p.count_behind(access);
        Some(p)
    }

    /// Numbers the tracked devices in the order of ids; returns how many there are.
    fn index_tracked(&mut self) -> usize {
        if self.sampled >= 1.0 {
            return self.devices as usize;
        }
        let mut next = 0u32;
        let slots = (0..self.devices as u32)
            .map(|d| {
                let tracked =
                    draw_unit(self.seed, u64::from(d), Purpose::PrivacySample, 0) < self.sampled;
                if tracked {
                    next += 1;
                    next - 1
                } else {
                    NONE
                }
            })
            .collect();
        self.slots = Some(slots);
        next as usize
    }

    /// Devices attached to each gateway an observer can name (its own, or one reporting to a
    /// watched validator); LoRaWAN devices belong to no one gateway.
    fn count_behind(&mut self, access: &Access) {
        let mut wanted = vec![false; self.behind.len()];
        for w in &self.watchers {
            match &w.scope {
                Scope::Gateway(g) => wanted[*g as usize] = true,
                Scope::Nodes { at, .. } => {
                    for (g, &v) in access.gateway_validator.iter().enumerate() {
                        wanted[g] |= at[v as usize];
                    }
                }
            }
        }
        self.gateway_of = vec![FLEET; self.devices as usize];
        for (gi, g) in self.groups.iter().enumerate() {
            if g.lora {
                continue;
            }
            let end = self
                .groups
                .get(gi + 1)
                .map_or(self.devices as u32, |n| n.first);
            for d in g.first..end {
                let gw = access.gateway_of(self.seed, d);
                self.gateway_of[d as usize] = gw;
                if wanted[gw as usize] {
                    self.behind[gw as usize] += 1;
                }
            }
        }
    }

    /// The device's index among the tracked ones, if it is tracked.
    fn slot(&self, device: u32) -> Option<u32> {
        match &self.slots {
            None => Some(device),
            Some(s) => Some(s[device as usize]).filter(|&i| i != NONE),
        }
    }

    /// The validators observers sit at, in id order.
    pub fn watched(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .watchers
            .iter()
            .filter_map(|w| match &w.scope {
                Scope::Nodes { spies, .. } => Some(spies.iter().copied()),
                Scope::Gateway(_) => None,
            })
            .flatten()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The `privacy` table and its summary rows; `measured` is the population (transactions
    /// created in the measurement window).
    pub fn finish(mut self, measured: u64) -> (Vec<PrivacyRow>, Vec<(String, Value)>) {
        self.flush();
        let mut rows = Vec::new();
        let mut summary = Vec::new();
        for w in self.watchers {
            let (links, bayes) = w.linker.finish();
            let anon = w.anon.finish();
            let mut row = row(&w.name, w.kind, w.visible, measured, w.spy, &links, &anon);
            if let Some(b) = bayes {
                add_bayes(&mut row, &b, links.true_links);
            }
            let p = format!("privacy_{}", w.name);
            summary.push((
                format!("{p}_visible_share"),
                Value::Float(row.visible_share),
            ));
            summary.push((
                format!("{p}_link_precision"),
                Value::Float(row.link_precision),
            ));
            summary.push((format!("{p}_link_recall"), Value::Float(row.link_recall)));
            if row.bayes_links_made.is_some() {
                summary.push((
                    format!("{p}_bayes_link_precision"),
                    Value::Float(row.bayes_link_precision),
                ));
                summary.push((
                    format!("{p}_bayes_link_recall"),
                    Value::Float(row.bayes_link_recall),
                ));
            }
            summary.push((
                format!("{p}_link_chance_precision"),
                Value::Float(row.link_chance_precision),
            ));
            summary.push((
                format!("{p}_anonymity_set_mean"),
                Value::Float(row.anonymity_set_mean),
            ));
            summary.push((
                format!("{p}_entropy_norm_mean"),
                Value::Float(row.entropy_norm_mean),
            ));
            if let Some(x) = row.first_spy_precision {
                summary.push((format!("{p}_first_spy_precision"), Value::Float(x)));
            }
            rows.push(row);
        }
        (rows, summary)
    }
}

/// What the Bayes attacker of observer `o` knows of each device group: the period of a
/// periodic group, its delay law, and the half-width of the uniform term (the workload's
/// jitter, the tolerance, and for a validator the gateway batch interval of plain uplinks).
fn models(s: &Scenario, o: &Observer) -> Vec<Option<Model>> {
    let batch_s = match o {
        Observer::Gateway { .. } => 0.0,
        _ => s.gateways.batch_interval_ms / 1e3,
    };
    s.devices
        .iter()
        .map(|g| {
            let Workload::Periodic {
                interval_s,
                jitter_s,
            } = g.workload
            else {
                return None;
            };
            let law = match g.mitigation.and_then(|m| m.delay) {
                None => Law::Uniform { max: 0 },
                Some(Delay::Uniform { max_s }) => Law::Uniform {
                    max: from_secs(max_s),
                },
                Some(Delay::Exponential { mean_s }) => Law::Exponential {
                    mean: from_secs(mean_s),
                },
            };
            let batch = if g.radio.is_none() { batch_s } else { 0.0 };
            Some(Model {
                period: from_secs(interval_s).max(1),
                law,
                spread: from_secs(jitter_s + TOLERANCE_S + batch),
            })
        })
        .collect()
}

fn add_bayes(row: &mut PrivacyRow, b: &BayesStats, true_links: u64) {
    row.bayes_links_made = Some(b.made);
    row.bayes_links_correct = Some(b.correct);
    row.bayes_link_precision = ratio(b.correct as f64, b.made as f64);
    row.bayes_link_recall = ratio(b.correct as f64, true_links as f64);
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

fn row(
    name: &str,
    kind: &'static str,
    visible: u64,
    measured: u64,
    spy: (u64, u64),
    l: &LinkStats,
    a: &AnonStats,
) -> PrivacyRow {
    let tx = a.tx as f64;
    PrivacyRow {
        observer: name.to_string(),
        kind,
        visible_tx: visible,
        population_tx: measured,
        visible_share: ratio(visible as f64, measured as f64),
        links_true: l.true_links,
        links_made: l.made,
        links_correct: l.correct,
        link_precision: ratio(l.correct as f64, l.made as f64),
        link_recall: ratio(l.correct as f64, l.true_links as f64),
        link_chance_precision: ratio(l.chance, l.made as f64),
        bayes_links_made: None,
        bayes_links_correct: None,
        bayes_link_precision: f64::NAN,
        bayes_link_recall: f64::NAN,
        anonymity_set_mean: ratio(a.set_sum, tx),
        anonymity_set_min: if a.tx > 0 { a.set_min } else { f64::NAN },
        anonymity_set_max: if a.tx > 0 { a.set_max } else { f64::NAN },
        anonymity_singleton_share: ratio(a.singletons as f64, tx),
        entropy_norm_mean: ratio(a.entropy_sum, tx),
        first_spy_precision: (kind == "network").then(|| ratio(spy.0 as f64, spy.1 as f64)),
    }
}
