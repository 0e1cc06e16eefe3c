//! The run's tables as DataFrames; column names are exactly the output struct's field names so
//! a reader can go from the Rust docs to the files without a mapping table.

use polars::prelude::*;

use crate::metrics::{
    BlockRow, Conservation, GatewayRow, LatencyRow, NodeRow, RadioRow, RunOutput, TimeseriesRow,
};

type Builder = fn(&RunOutput) -> PolarsResult<DataFrame>;

/// Table names in the order they are written, each with its builder.
pub(super) const TABLES: [(&str, Builder); 7] = [
    ("summary", |out| summary(&out.summary, &out.conservation)),
    ("timeseries", |out| timeseries(&out.timeseries)),
    ("latency", |out| latency(&out.latency)),
    ("blocks", |out| blocks(&out.blocks)),
    ("nodes", |out| nodes(&out.nodes)),
    ("radio", |out| radio(&out.radio)),
    ("gateways", |out| gateways(&out.gateways)),
];

/// The tables a run writes: the radio ones only when a device group has a radio.
pub(super) fn for_run(out: &RunOutput) -> impl Iterator<Item = (&'static str, Builder)> + '_ {
    TABLES
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "radio" | "gateways") || !out.radio.is_empty())
}

fn pick<'a, R, T>(rows: &'a [R], field: impl Fn(&'a R) -> T) -> Vec<T> {
    rows.iter().map(field).collect()
}

fn col<T, P: ?Sized>(name: &str, values: T) -> Column
where
    Series: NamedFrom<T, P>,
{
    Column::new(name.into(), values)
}

/// Conservation rows go after the run's own metrics so the tidy table carries the whole
/// accounting and a reader needs no second file to check it.
pub(super) fn conservation_rows(c: &Conservation) -> Vec<(String, f64)> {
    let mut rows: Vec<(String, f64)> = vec![
        ("tx_created".into(), c.created as f64),
        ("tx_settled".into(), c.settled as f64),
        ("tx_pending_on_device".into(), c.pending_on_device as f64),
        ("tx_pending_in_transit".into(), c.pending_in_transit as f64),
        ("tx_pending_in_mempool".into(), c.pending_in_mempool as f64),
        ("tx_pending_in_block".into(), c.pending_in_block as f64),
    ];
    for (reason, n) in &c.dropped {
        rows.push((format!("tx_dropped_{reason}"), *n as f64));
    }
    rows.push((
        "conservation_holds".into(),
        if c.holds() { 1.0 } else { 0.0 },
    ));
    rows
}

pub(super) fn summary(pairs: &[(String, f64)], c: &Conservation) -> PolarsResult<DataFrame> {
    let extra = conservation_rows(c);
    let metric: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(extra.iter().map(|(k, _)| k.as_str()))
        .collect();
    // A statistic without samples (NaN) or beyond the run (infinite, its `_beyond_run` row
    // says which) is a null: readers skip nulls, where a NaN would poison their means.
    let value: Vec<Option<f64>> = pairs
        .iter()
        .map(|(_, v)| *v)
        .chain(extra.iter().map(|(_, v)| *v))
        .map(|v| v.is_finite().then_some(v))
        .collect();
    DataFrame::new(
        metric.len(),
        vec![col("metric", metric), col("value", value)],
    )
}

pub(super) fn timeseries(rows: &[TimeseriesRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("window_start_s", pick(rows, |r| r.window_start_s)),
            col("window_end_s", pick(rows, |r| r.window_end_s)),
            col("created_tx_per_s", pick(rows, |r| r.created_tx_per_s)),
            col("included_tx_per_s", pick(rows, |r| r.included_tx_per_s)),
            col("settled_tx_per_s", pick(rows, |r| r.settled_tx_per_s)),
            col("online_devices", pick(rows, |r| r.online_devices)),
            col("mempool_tx", pick(rows, |r| r.mempool_tx)),
            col("pending_tx", pick(rows, |r| r.pending_tx)),
        ],
    )
}

pub(super) fn latency(rows: &[LatencyRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("stage", pick(rows, |r| r.stage)),
            col("quantile", pick(rows, |r| r.quantile)),
            col("latency_s", pick(rows, |r| r.latency_s)),
            col("beyond_run", pick(rows, |r| r.beyond_run)),
            col(
                "reached_only_latency_s",
                pick(rows, |r| r.reached_only_latency_s),
            ),
            col("samples", pick(rows, |r| r.samples)),
            col("population", pick(rows, |r| r.population)),
        ],
    )
}

pub(super) fn blocks(rows: &[BlockRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("block", pick(rows, |r| r.block)),
            col("height", pick(rows, |r| r.height)),
            col("miner", pick(rows, |r| r.miner)),
            col("mined_at_s", pick(rows, |r| r.mined_at_s)),
            col("size_bytes", pick(rows, |r| r.size_bytes)),
            col("tx_count", pick(rows, |r| r.tx_count)),
            col("propagation_50_s", pick(rows, |r| r.propagation_50_s)),
            col("propagation_90_s", pick(rows, |r| r.propagation_90_s)),
            col("propagation_100_s", pick(rows, |r| r.propagation_100_s)),
            col("stale", pick(rows, |r| r.stale)),
        ],
    )
}

pub(super) fn nodes(rows: &[NodeRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("node", pick(rows, |r| r.node)),
            col("region", pick(rows, |r| r.region.as_str())),
            col("hash_share", pick(rows, |r| r.hash_share)),
            col("peers", pick(rows, |r| r.peers)),
            col("gateways", pick(rows, |r| r.gateways)),
            col("blocks_mined", pick(rows, |r| r.blocks_mined)),
            col("blocks_main_chain", pick(rows, |r| r.blocks_main_chain)),
            col("settled_tx", pick(rows, |r| r.settled_tx)),
        ],
    )
}

pub(super) fn radio(rows: &[RadioRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("group", pick(rows, |r| r.group.as_str())),
            col("sf", pick(rows, |r| r.sf as u32)),
            col("frames", pick(rows, |r| r.frames)),
            col("delivered", pick(rows, |r| r.delivered)),
            col(
                "lost_below_sensitivity",
                pick(rows, |r| r.lost_below_sensitivity),
            ),
            col(
                "lost_gateway_transmitting",
                pick(rows, |r| r.lost_gateway_transmitting),
            ),
            col("lost_no_demodulator", pick(rows, |r| r.lost_no_demodulator)),
            col("lost_collision", pick(rows, |r| r.lost_collision)),
            col("readings", pick(rows, |r| r.readings)),
            col("duplicates", pick(rows, |r| r.duplicates)),
            col("airtime_s", pick(rows, |r| r.airtime_s)),
            col("duty_cycle_wait_s", pick(rows, |r| r.duty_cycle_wait_s)),
            col("delivery_ratio", pick(rows, |r| r.delivery_ratio)),
        ],
    )
}

pub(super) fn gateways(rows: &[GatewayRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("gateway", pick(rows, |r| r.gateway)),
            col("frames_heard", pick(rows, |r| r.frames_heard)),
            col("frames_received", pick(rows, |r| r.frames_received)),
            col(
                "lost_below_sensitivity",
                pick(rows, |r| r.lost_below_sensitivity),
            ),
            col(
                "lost_gateway_transmitting",
                pick(rows, |r| r.lost_gateway_transmitting),
            ),
            col("lost_no_demodulator", pick(rows, |r| r.lost_no_demodulator)),
            col("lost_collision", pick(rows, |r| r.lost_collision)),
            col(
                "demodulator_utilisation",
                pick(rows, |r| r.demodulator_utilisation),
            ),
        ],
    )
}
