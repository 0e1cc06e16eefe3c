//! Streaming aggregation of a run. Everything here has a size fixed by the scenario (number of
//! windows, histogram buckets), never by the number of events or transactions.

mod conservation;
mod histogram;
mod kinds;
mod merge;
mod output;
mod record;
pub mod registry;
pub mod spill;

pub use conservation::Conservation;
pub use histogram::{Histogram, nearest_rank, rank_of};
pub use kinds::{KindCounts, KindError, KindRow, Stages, account};
pub use output::{
    BlockRow, EnergyOutput, EnergyRow, EnergyStateRow, GatewayRow, LatencyBinRow, LatencyRow,
    LeaderRow, MessageRow, NodeRow, NodeTraffic, PrivacyRow, RadioDistanceRow, RadioRow, RunOutput,
    TimeseriesRow, Value, beyond_run_flag, restore_beyond_run, warnings,
};
pub use record::{Measure, Metrics, SettledTx};
