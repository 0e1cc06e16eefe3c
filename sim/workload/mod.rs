//! What devices emit beyond readings: typed transactions with dependencies and off-ledger
//! parts — pay-per-use channels, SLA contracts, provenance chains, registrations. Knows
//! nothing of radios or consensus: a model learns the fates of its own transactions (settled
//! at a time, or dropped) and answers with new transactions and wake-ups; the world carries
//! them to and from the ledger.
//!
//! Every model keeps a bounded state: a few words per device (or per item in progress), and
//! histograms of fixed size. A transaction's dependencies are kept by the model that made it
//! (the next provenance event exists only once its predecessor settled), never in the
//! transaction.

mod channels;
mod provenance;
mod registration;
mod sla;

use crate::consensus::TxIn;
use crate::engine::Time;
use crate::ledger::{TxKind, TxTag};
use crate::metrics::{Histogram, Metrics, Value};
use crate::scenario::{DeviceGroup, Scenario, Workload};

pub use channels::Channels;
pub use provenance::Provenance;
pub use registration::Registration;
pub use sla::Sla;

/// How a transaction reaches the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// From its device, through the device's uplink and gateway, from `tx.uploaded` on.
    Device,
    /// Emitted by a contract at the device's validator at `tx.uploaded`.
    Contract,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submit {
    pub tx: TxIn,
    pub via: Via,
}

/// What a model asks of the world: transactions to carry, and wake-ups `(time, entity)`.
#[derive(Default)]
pub struct Out {
    pub submits: Vec<Submit>,
    pub wakes: Vec<(Time, u32)>,
}

/// What a model's handlers get: the time, where to put their requests, the metrics (to count
/// what they create) and the delays between parties.
pub struct Cx<'a> {
    pub now: Time,
    pub out: &'a mut Out,
    pub m: &'a mut Metrics,
    pub transit: &'a dyn Transit,
}

impl Cx<'_> {
    /// Creates a transaction (counted as created) and hands it to the ledger.
    pub fn create(&mut self, tx: TxIn, via: Via) {
        self.m.on_created_of(tx.kind, tx.created);
        self.out.submits.push(Submit { tx, via });
    }

    pub fn wake(&mut self, at: Time, entity: u32) {
        self.out.wakes.push((at, entity));
    }
}

/// The delays between parties that a model cannot know itself: the world's access network.
pub trait Transit {
    /// A message of `bytes` from device `from` to device `to` through their gateways.
    fn between(&self, from: u32, to: u32, bytes: u32) -> Time;
}

/// A typed transaction of `device`, created and sent at `at`.
pub fn tx(device: u32, seq: u32, kind: TxKind, bytes: u32, at: Time) -> TxIn {
    TxIn {
        device,
        seq,
        bytes,
        kind,
        hot: false,
        created: at,
        uploaded: at,
    }
}

/// Summary rows of a latency histogram: `<name>_{mean,p50,p90,max}_s`, NaN without samples.
pub fn latency_rows(name: &str, h: &Histogram, rows: &mut Vec<(String, Value)>) {
    let s = |t: Option<Time>| t.map_or(f64::NAN, crate::engine::to_secs);
    rows.push((
        format!("{name}_mean_s"),
        h.mean().map_or(f64::NAN, |v| v / 1e9).into(),
    ));
    rows.push((format!("{name}_p50_s"), s(h.quantile(0.5)).into()));
    rows.push((format!("{name}_p90_s"), s(h.quantile(0.9)).into()));
    rows.push((format!("{name}_max_s"), s(h.max()).into()));
}

/// Why a workload's own accounting failed at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{model}: {detail}")]
pub struct WorkloadError {
    pub model: &'static str,
    pub detail: String,
}

enum Model {
    Channels(Channels),
    Sla(Sla),
    Provenance(Provenance),
    Registration(Registration),
}

/// Every typed workload of a scenario, each over its group's devices.
pub struct Workloads {
    /// With the first device id of each model's group, ascending.
    models: Vec<(u32, Model)>,
    end: Time,
}

impl Workloads {
    /// The scenario's typed workloads; `None` when every group reads.
    pub fn build(s: &Scenario, end: Time) -> Option<Self> {
        let mut models = Vec::new();
        let mut first = 0u32;
        for g in &s.devices {
            if let Some(m) = Self::model(s, g, first, end) {
                models.push((first, m));
            }
            first += g.count as u32;
        }
        (!models.is_empty()).then_some(Workloads { models, end })
    }

    fn model(s: &Scenario, g: &DeviceGroup, first: u32, end: Time) -> Option<Model> {
        match g.workload {
            Workload::Periodic { .. } | Workload::Poisson { .. } => None,
            Workload::PayPerUse { .. } => Some(Model::Channels(Channels::new(s, g, first, end))),
            Workload::Sla { .. } => Some(Model::Sla(Sla::new(s, g, first, end))),
            Workload::Provenance { .. } => {
                Some(Model::Provenance(Provenance::new(s, g, first, end)))
            }
            Workload::Registration { .. } => {
                Some(Model::Registration(Registration::new(s, g, first, end)))
            }
        }
    }

    /// The model whose group holds `device`.
    fn of(&mut self, device: u32) -> Option<&mut Model> {
        let i = self.models.partition_point(|(f, _)| *f <= device);
        (i > 0).then(|| &mut self.models[i - 1].1)
    }

    pub fn start(&mut self, cx: &mut Cx) {
        for (_, model) in &mut self.models {
            match model {
                Model::Channels(c) => c.start(cx),
                Model::Sla(c) => c.start(cx),
                Model::Provenance(c) => c.start(cx),
                Model::Registration(c) => c.start(cx),
            }
        }
    }

    pub fn wake(&mut self, entity: u32, cx: &mut Cx) {
        match self.of(entity) {
            Some(Model::Sla(c)) => c.wake(entity, cx),
            Some(Model::Provenance(c)) => c.wake(cx),
            Some(Model::Registration(c)) => c.wake(entity, cx),
            Some(Model::Channels(_)) | None => {}
        }
    }

    /// `tag` settled at `at` (`Some`) or was dropped (`None`) at `cx.now`.
    pub fn fate(&mut self, tag: TxTag, at: Option<Time>, cx: &mut Cx) {
        match self.of(tag.device) {
            Some(Model::Channels(c)) => c.fate(tag, at, cx),
            Some(Model::Sla(c)) => c.fate(tag, at, cx),
            Some(Model::Provenance(c)) => c.fate(tag, at, cx),
            Some(Model::Registration(c)) => c.fate(tag, at, cx),
            None => {}
        }
    }

    /// Adds what devices still hold, by kind, to `on_device`; returns the models' summary
    /// rows, after checking each model's own accounting.
    pub fn finish(
        &mut self,
        on_device: &mut [u64; TxKind::COUNT],
        transit: &dyn Transit,
    ) -> Result<Vec<(String, Value)>, WorkloadError> {
        let mut rows = Vec::new();
        for (_, model) in &mut self.models {
            match model {
                Model::Channels(c) => c.finish(self.end, transit, &mut rows)?,
                Model::Sla(c) => c.finish(&mut rows),
                Model::Provenance(c) => c.finish(&mut rows),
                Model::Registration(c) => {
                    on_device[TxKind::Reading.index()] += c.on_device();
                    c.finish(&mut rows);
                }
            }
        }
        Ok(rows)
    }
}

/// The transactions a device group offers the ledger per second on average (`count` × its
/// workload's rate), before any is lost to connectivity or buffers.
pub fn offered_tx_per_s(g: &DeviceGroup) -> f64 {
    let n = g.count as f64;
    match g.workload {
        Workload::Periodic { interval_s, .. } => n / interval_s,
        Workload::Poisson { rate_per_s } => n * rate_per_s,
        // Two transactions (open, close) per channel of `payments_per_channel` uses, and a
        // dispute for the disputed share.
        Workload::PayPerUse {
            providers,
            uses_per_s,
            payments_per_channel,
            dispute_share,
            ..
        } => {
            let consumers = g.count.saturating_sub(providers) as f64;
            let per_channel = 2.0 + dispute_share.unwrap_or(0.0);
            consumers * uses_per_s * per_channel / f64::from(payments_per_channel.max(1))
        }
        // A report per interval and a settlement per window.
        Workload::Sla {
            report_interval_s,
            reports_per_window,
            ..
        } => n / report_interval_s * (1.0 + 1.0 / f64::from(reports_per_window.max(1))),
        Workload::Provenance {
            items_per_s,
            stages,
            ..
        } => items_per_s * f64::from(stages),
        Workload::Registration { interval_s, .. } => n / interval_s,
    }
}
