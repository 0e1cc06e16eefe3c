//! What the report's tests write: a run output with a row in every table (`sample`), one with
//! none (`empty`), and a scratch folder per test.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::engine::NS_PER_MS;
use crate::metrics::{
    BlockRow, Conservation, LatencyBinRow, LatencyRow, MessageRow, NodeRow, NodeTraffic, RunOutput,
    TimeseriesRow, Value,
};

/// A fresh directory per call: tests run in parallel and must not see each other's files.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("unchained-report-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub(super) fn sample() -> RunOutput {
    let ts = |i: u64| TimeseriesRow {
        window_start_s: i as f64 * 10.0,
        window_end_s: (i + 1) as f64 * 10.0,
        created_tx_per_s: 5.0 + i as f64,
        included_tx_per_s: 4.0 + i as f64,
        settled_tx_per_s: 3.0 + i as f64,
        online_devices: 100.0 - i as f64,
        mempool_tx: 10 * i,
        pending_tx: 20 * i,
    };
    let block = |i: u32, p100: Option<f64>| BlockRow {
        block: i,
        height: i + 1,
        miner: i % 2,
        mined_at_s: 12.5 * i as f64,
        size_bytes: 1000 + u64::from(i),
        tx_count: 3 * i,
        propagation_50_s: Some(0.25),
        propagation_90_s: p100.map(|p| p / 2.0),
        propagation_100_s: p100,
        stale: i == 2,
    };
    let node = |i: u32, region: &str| NodeRow {
        node: i,
        region: region.to_string(),
        class: None,
        hash_share: Some(0.5),
        stake_share: None,
        peers: 4 + i,
        gateways: 2,
        blocks_proposed: Some(i + 1),
        blocks_main_chain: Some(i),
        settled_tx: 40 + u64::from(i),
        traffic: NodeTraffic {
            messages_out: 10 + u64::from(i),
            bytes_out: 1000,
            messages_in: 9,
            bytes_in: 900 + u64::from(i),
        },
    };
    RunOutput {
        scenario_name: "tiny".into(),
        scenario_yaml: "name: tiny\nseed: 7\n".into(),
        seed: 7,
        version: "0.1.0".into(),
        summary: vec![
            ("tx_per_s".into(), Value::Float(4.5)),
            ("settlement_p50_s".into(), Value::Float(0.125)),
        ],
        conservation: Conservation {
            created: 100,
            settled: 81,
            pending_on_device: 5,
            pending_in_transit: 4,
            pending_in_mempool: 3,
            pending_in_block: 2,
            dropped: vec![("buffer_overflow".into(), 5)],
        },
        kinds: Vec::new(),
        privacy: Vec::new(),
        timeseries: (0..3).map(ts).collect(),
        latency: vec![
            LatencyRow {
                stage: "settlement",
                quantile: 0.5,
                latency_s: Some(0.125),
                beyond_run: false,
                reached_only_latency_s: Some(0.1),
                samples: 81,
                population: 100,
            },
            LatencyRow {
                stage: "inclusion",
                quantile: 0.95,
                latency_s: None,
                beyond_run: true,
                reached_only_latency_s: Some(2.0),
                samples: 90,
                population: 100,
            },
        ],
        latency_hist: vec![
            LatencyBinRow {
                stage: "settlement",
                bin_low_s: 0.1,
                bin_high_s: Some(0.125),
                count: 50,
                cumulative_share: 0.5,
                population: 100,
            },
            LatencyBinRow {
                stage: "settlement",
                bin_low_s: 1e6,
                bin_high_s: None,
                count: 31,
                cumulative_share: 0.81,
                population: 100,
            },
        ],
        blocks: vec![block(0, Some(1.5)), block(1, None), block(2, Some(3.0))],
        blocks_spilled: None,
        radio: Vec::new(),
        gateways: Vec::new(),
        radio_distance: Vec::new(),
        energy: Default::default(),
        nodes: vec![node(0, "eu-west"), node(1, "us-east")],
        messages: vec![MessageRow {
            carries: "block",
            message: "block",
            modeled: false,
            messages: 19,
            bytes: 2000,
            delivered_bytes: 1801,
        }],
        leaders: None,
        // Spans four decades, so the log axis is exercised.
        settlement_cdf: vec![
            (10 * NS_PER_MS, 0.1),
            (NS_PER_MS * 1000, 0.6),
            (NS_PER_MS * 100_000, 1.0),
        ],
        block_arrival_cdf: vec![(0, 0.2), (200 * NS_PER_MS, 0.7), (400 * NS_PER_MS, 1.0)],
        receipt_cdf: None,
    }
}

pub(super) fn empty() -> RunOutput {
    RunOutput {
        summary: vec![],
        conservation: Conservation {
            dropped: vec![("buffer_overflow".into(), 0)],
            ..Conservation::default()
        },
        timeseries: vec![],
        latency: vec![],
        latency_hist: vec![],
        blocks: vec![],
        blocks_spilled: None,
        radio: Vec::new(),
        gateways: Vec::new(),
        energy: Default::default(),
        nodes: vec![],
        messages: vec![],
        leaders: None,
        settlement_cdf: vec![],
        block_arrival_cdf: vec![],
        ..sample()
    }
}
