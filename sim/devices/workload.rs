//! When devices create transactions. Reading `k` of a device is a pure function of the seed,
//! the device and `k` (periodic) or of reading `k − 1` (Poisson), so readings are generated
//! only when the device wakes.

use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::scenario::Workload;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Load {
    Periodic {
        interval: Time,
        jitter: Time,
    },
    Poisson {
        mean_s: f64,
    },
    /// A typed workload (`crate::workload`) creates the group's transactions itself; the
    /// fleet creates none for it.
    Typed,
}

impl Load {
    pub fn from_scenario(w: &Workload) -> Self {
        match *w {
            Workload::Periodic {
                interval_s,
                jitter_s,
            } => Load::Periodic {
                interval: from_secs(interval_s),
                jitter: from_secs(jitter_s),
            },
            Workload::Poisson { rate_per_s } => Load::Poisson {
                mean_s: 1.0 / rate_per_s,
            },
            _ => Load::Typed,
        }
    }

    /// Mean readings per second of one device.
    pub fn rate_per_s(&self) -> f64 {
        match *self {
            Load::Periodic { interval, .. } => 1e9 / interval as f64,
            Load::Poisson { mean_s } => 1.0 / mean_s,
            Load::Typed => 0.0,
        }
    }

    /// Creation time of reading `k`, given that of reading `k − 1` (ignored when `k == 0`).
    pub fn time_of(&self, seed: u64, dev: u32, k: u32, prev: Time) -> Time {
        let u = |i: u64| draw_unit(seed, dev as u64, Purpose::Workload, i);
        match *self {
            Load::Periodic { interval, jitter } => {
                let phase = (u(0) * interval as f64) as Time;
                let base = phase + k as Time * interval;
                let shift = ((2.0 * u(k as u64 + 1) - 1.0) * jitter as f64) as i64;
                base.saturating_add_signed(shift)
            }
            Load::Poisson { mean_s } => {
                let start = if k == 0 { 0 } else { prev };
                start + from_secs(-mean_s * u(k as u64 + 1).ln()).max(1)
            }
            Load::Typed => Time::MAX,
        }
    }
}
