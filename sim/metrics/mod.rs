//! Streaming aggregation of a run. Everything here has a size fixed by the scenario (number of
//! windows, histogram buckets), never by the number of events or transactions.

mod histogram;
mod output;
mod record;

pub use histogram::Histogram;
pub use output::{BlockRow, Conservation, LatencyRow, NodeRow, RunOutput, TimeseriesRow};
pub use record::Metrics;
