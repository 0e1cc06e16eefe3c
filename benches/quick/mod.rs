//! The criterion settings the quick benches share: no plots, one second of warm-up and three
//! of measurement, so `cargo bench` stays short on a 2-core machine.

use criterion::Criterion;
use std::time::Duration;

pub fn config() -> Criterion {
    Criterion::default()
        .without_plots()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}
