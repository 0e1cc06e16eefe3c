//! Plain data a finished run hands to the report: rows of the output tables.

use crate::engine::Time;

/// Where every created transaction ended. The run checks `holds()` before writing anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conservation {
    pub created: u64,
    pub settled: u64,
    /// Still on the device, waiting for connectivity.
    pub pending_on_device: u64,
    /// Sent by the device, not yet at a validator.
    pub pending_in_transit: u64,
    /// At validators, in no block of the final main chain.
    pub pending_in_mempool: u64,
    /// In a main-chain block that is not yet deep enough.
    pub pending_in_block: u64,
    pub dropped_buffer_overflow: u64,
    /// Rejected by a notary because an input state was already consumed.
    pub dropped_double_spend: u64,
}

impl Conservation {
    pub fn accounted(&self) -> u64 {
        self.settled
            + self.pending_on_device
            + self.pending_in_transit
            + self.pending_in_mempool
            + self.pending_in_block
            + self.dropped_buffer_overflow
            + self.dropped_double_spend
    }

    pub fn holds(&self) -> bool {
        self.created == self.accounted()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimeseriesRow {
    pub window_start_s: f64,
    pub window_end_s: f64,
    pub created_tx_per_s: f64,
    pub included_tx_per_s: f64,
    pub settled_tx_per_s: f64,
    pub online_devices: f64,
    pub mempool_tx: u64,
    pub pending_tx: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LatencyRow {
    /// `upload_wait`, `access`, `inclusion`, `settlement`, `block_arrival`.
    pub stage: &'static str,
    pub quantile: f64,
    pub latency_s: f64,
    pub samples: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BlockRow {
    pub block: u32,
    pub height: u32,
    pub miner: u32,
    pub mined_at_s: f64,
    pub size_bytes: u64,
    pub tx_count: u32,
    /// Time from creation until 50 %, 90 % and 100 % of nodes held the block; `None` if that
    /// share was never reached before the end of the run.
    pub propagation_50_s: Option<f64>,
    pub propagation_90_s: Option<f64>,
    pub propagation_100_s: Option<f64>,
    pub stale: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    pub node: u32,
    pub region: String,
    pub hash_share: f64,
    pub peers: u32,
    pub gateways: u32,
    pub blocks_mined: u32,
    pub blocks_main_chain: u32,
    pub settled_tx: u64,
}

/// Everything a run produced, ready to be written.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub scenario_name: String,
    /// The resolved scenario as YAML (every default filled in, seed included).
    pub scenario_yaml: String,
    pub seed: u64,
    pub version: String,
    /// `(metric, value)` pairs, names carrying their unit (`settlement_p50_s`, `tx_per_s`).
    pub summary: Vec<(String, f64)>,
    pub conservation: Conservation,
    pub timeseries: Vec<TimeseriesRow>,
    pub latency: Vec<LatencyRow>,
    pub blocks: Vec<BlockRow>,
    pub nodes: Vec<NodeRow>,
    /// `(latency, cumulative fraction)` of transaction settlement.
    pub settlement_cdf: Vec<(Time, f64)>,
    /// `(delay, cumulative fraction)` of block arrival at nodes.
    pub block_arrival_cdf: Vec<(Time, f64)>,
}

impl RunOutput {
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.summary
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
    }
}
