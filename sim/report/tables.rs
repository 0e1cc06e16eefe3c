//! The run's tables as DataFrames; column names are exactly the output struct's field names so
//! a reader can go from the Rust docs to the files without a mapping table.

use polars::prelude::*;

use crate::metrics::{
    BlockRow, Conservation, EnergyOutput, GatewayRow, KindRow, LatencyBinRow, LatencyRow,
    LeaderRow, MessageRow, NodeRow, PrivacyRow, RadioDistanceRow, RadioRow, RunOutput,
    TimeseriesRow, Value,
};
use crate::radio::Loss;

type Builder = fn(&RunOutput) -> PolarsResult<DataFrame>;

/// Table names in the order they are written, each with its builder.
pub(super) const TABLES: [(&str, Builder); 16] = [
    ("summary", |out| summary(&out.summary, &out.conservation)),
    ("run", |out| run(&out.summary, &out.conservation)),
    ("timeseries", |out| timeseries(&out.timeseries)),
    ("latency", |out| latency(&out.latency)),
    ("latency_hist", |out| latency_hist(&out.latency_hist)),
    ("blocks", |out| blocks(&out.blocks)),
    ("nodes", |out| nodes(&out.nodes)),
    ("messages", |out| messages(&out.messages)),
    ("leaders", |out| {
        leaders(out.leaders.as_deref().unwrap_or_default())
    }),
    ("radio", |out| radio(&out.radio)),
    ("gateways", |out| gateways(&out.gateways)),
    ("radio_distance", |out| radio_distance(&out.radio_distance)),
    ("energy", |out| energy(&out.energy)),
    ("energy_states", |out| energy_states(&out.energy)),
    ("kinds", |out| kinds(&out.kinds)),
    ("privacy", |out| privacy(&out.privacy)),
];

/// The tables a run writes: the radio ones only when a device group has a radio, `leaders`
/// only for families with leaders, `kinds` only when some transaction is not a reading (so
/// the output of a run of readings alone is what it was before kinds existed), `privacy` only
/// with observers.
pub(super) fn for_run(out: &RunOutput) -> impl Iterator<Item = (&'static str, Builder)> + '_ {
    TABLES
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "radio" | "gateways") || !out.radio.is_empty())
        .filter(|(name, _)| *name != "radio_distance" || !out.radio_distance.is_empty())
        .filter(|(name, _)| !name.starts_with("energy") || !out.energy.rows.is_empty())
        .filter(|(name, _)| *name != "leaders" || out.leaders.is_some())
        .filter(|(name, _)| *name != "kinds" || !out.kinds.is_empty())
        .filter(|(name, _)| *name != "privacy" || !out.privacy.is_empty())
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

/// A value as a table cell: NaN (no samples) and infinity (beyond the run, its
/// `_beyond_run` row says so) are nulls, which readers skip where a NaN would poison a mean.
fn cell(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The long form: every metric as a number (counts exactly up to 2^53, flags 0 or 1) in one
/// `value` column, the shape `compare`, sweep merges and group-bys over many runs want.
pub(super) fn summary(pairs: &[(String, Value)], c: &Conservation) -> PolarsResult<DataFrame> {
    let extra = c.rows();
    let rows = || pairs.iter().chain(&extra);
    let metric: Vec<&str> = rows().map(|(k, _)| k.as_str()).collect();
    let value: Vec<Option<f64>> = rows().map(|(_, v)| cell(v.as_f64())).collect();
    DataFrame::new(
        metric.len(),
        vec![col("metric", metric), col("value", value)],
    )
}

/// The same metrics as one row, each column in its type: counts `Int64`, flags `Boolean`,
/// the rest `Float64` (null without samples or beyond the run), so Parquet and CSV read back
/// alike (`seed` is `42`, not `42.0`).
pub(super) fn run(pairs: &[(String, Value)], c: &Conservation) -> PolarsResult<DataFrame> {
    let extra = c.rows();
    let columns = pairs
        .iter()
        .chain(&extra)
        .map(|(k, v)| match *v {
            Value::Int(i) => col(k, [i]),
            Value::Bool(b) => col(k, [b]),
            Value::Float(f) => col(k, [cell(f)]),
        })
        .collect();
    DataFrame::new(1, columns)
}

/// Unsigned counts as `Int64`: CSV readers infer signed integers, so Parquet must not say
/// `UInt64` for the same column.
fn int<T: Into<i64>>(v: T) -> i64 {
    v.into()
}

/// A `u64` count as `Int64` (counts of one run never approach 2^63).
fn int64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
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
            col("mempool_tx", pick(rows, |r| int64(r.mempool_tx))),
            col("pending_tx", pick(rows, |r| int64(r.pending_tx))),
        ],
    )
}

pub(super) fn latency_hist(rows: &[LatencyBinRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("stage", pick(rows, |r| r.stage)),
            col("bin_low_s", pick(rows, |r| r.bin_low_s)),
            col("bin_high_s", pick(rows, |r| r.bin_high_s)),
            col("count", pick(rows, |r| int64(r.count))),
            col("cumulative_share", pick(rows, |r| r.cumulative_share)),
            col("population", pick(rows, |r| int64(r.population))),
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
            col("samples", pick(rows, |r| int64(r.samples))),
            col("population", pick(rows, |r| int64(r.population))),
        ],
    )
}

pub(super) fn kinds(rows: &[KindRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("kind", pick(rows, |r| r.kind)),
            col("outcome", pick(rows, |r| r.outcome)),
            col("transactions", pick(rows, |r| int64(r.transactions))),
        ],
    )
}

pub(super) fn privacy(rows: &[PrivacyRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("observer", pick(rows, |r| r.observer.as_str())),
            col("kind", pick(rows, |r| r.kind)),
            col("visible_tx", pick(rows, |r| int64(r.visible_tx))),
            col("population_tx", pick(rows, |r| int64(r.population_tx))),
            col("visible_share", pick(rows, |r| cell(r.visible_share))),
            col("links_true", pick(rows, |r| int64(r.links_true))),
            col("links_made", pick(rows, |r| int64(r.links_made))),
            col("links_correct", pick(rows, |r| int64(r.links_correct))),
            col("link_precision", pick(rows, |r| cell(r.link_precision))),
            col("link_recall", pick(rows, |r| cell(r.link_recall))),
            col(
                "link_chance_precision",
                pick(rows, |r| cell(r.link_chance_precision)),
            ),
            col(
                "bayes_links_made",
                pick(rows, |r| r.bayes_links_made.map(int64)),
            ),
            col(
                "bayes_links_correct",
                pick(rows, |r| r.bayes_links_correct.map(int64)),
            ),
            col(
                "bayes_link_precision",
                pick(rows, |r| cell(r.bayes_link_precision)),
            ),
            col(
                "bayes_link_recall",
                pick(rows, |r| cell(r.bayes_link_recall)),
            ),
            col(
                "anonymity_set_mean",
                pick(rows, |r| cell(r.anonymity_set_mean)),
            ),
            col(
                "anonymity_set_min",
                pick(rows, |r| cell(r.anonymity_set_min)),
            ),
            col(
                "anonymity_set_max",
                pick(rows, |r| cell(r.anonymity_set_max)),
            ),
            col(
                "anonymity_singleton_share",
                pick(rows, |r| cell(r.anonymity_singleton_share)),
            ),
            col(
                "entropy_norm_mean",
                pick(rows, |r| cell(r.entropy_norm_mean)),
            ),
            col(
                "first_spy_precision",
                pick(rows, |r| r.first_spy_precision.and_then(cell)),
            ),
        ],
    )
}

pub(super) fn blocks(rows: &[BlockRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("block", pick(rows, |r| int(r.block))),
            col("height", pick(rows, |r| int(r.height))),
            col("miner", pick(rows, |r| int(r.miner))),
            col("mined_at_s", pick(rows, |r| r.mined_at_s)),
            col("size_bytes", pick(rows, |r| int64(r.size_bytes))),
            col("tx_count", pick(rows, |r| int(r.tx_count))),
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
            col("node", pick(rows, |r| int(r.node))),
            col("region", pick(rows, |r| r.region.as_str())),
            col("class", pick(rows, |r| r.class.as_deref())),
            col("hash_share", pick(rows, |r| r.hash_share)),
            col("stake_share", pick(rows, |r| r.stake_share)),
            col("peers", pick(rows, |r| int(r.peers))),
            col("gateways", pick(rows, |r| int(r.gateways))),
            col(
                "blocks_proposed",
                pick(rows, |r| r.blocks_proposed.map(int)),
            ),
            col(
                "blocks_main_chain",
                pick(rows, |r| r.blocks_main_chain.map(int)),
            ),
            col("settled_tx", pick(rows, |r| int64(r.settled_tx))),
            col(
                "messages_out",
                pick(rows, |r| int64(r.traffic.messages_out)),
            ),
            col("bytes_out", pick(rows, |r| int64(r.traffic.bytes_out))),
            col("messages_in", pick(rows, |r| int64(r.traffic.messages_in))),
            col("bytes_in", pick(rows, |r| int64(r.traffic.bytes_in))),
        ],
    )
}

pub(super) fn messages(rows: &[MessageRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("carries", pick(rows, |r| r.carries)),
            col("message", pick(rows, |r| r.message)),
            col("modeled", pick(rows, |r| r.modeled)),
            col("messages", pick(rows, |r| int64(r.messages))),
            col("bytes", pick(rows, |r| int64(r.bytes))),
            col("delivered_bytes", pick(rows, |r| int64(r.delivered_bytes))),
        ],
    )
}

pub(super) fn leaders(rows: &[LeaderRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("at_s", pick(rows, |r| r.at_s)),
            col("event", pick(rows, |r| r.event)),
            col("term", pick(rows, |r| int64(r.term))),
            col("node", pick(rows, |r| int64(u64::from(r.node)))),
        ],
    )
}

pub(super) fn radio(rows: &[RadioRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("group", pick(rows, |r| r.group.as_str())),
            col("sf", pick(rows, |r| int(r.sf))),
            col("frames", pick(rows, |r| int64(r.frames))),
            col("delivered", pick(rows, |r| int64(r.delivered))),
        ]
        .into_iter()
        .chain(lost_columns(rows, |r| &r.lost))
        .chain([
            col("readings", pick(rows, |r| int64(r.readings))),
            col("duplicates", pick(rows, |r| int64(r.duplicates))),
            col("airtime_s", pick(rows, |r| r.airtime_s)),
            col("duty_cycle_wait_s", pick(rows, |r| r.duty_cycle_wait_s)),
            col("delivery_ratio", pick(rows, |r| r.delivery_ratio)),
        ])
        .collect(),
    )
}

/// One `lost_<reason>` column per radio loss reason, in the reasons' declared order.
fn lost_columns<'a, R>(
    rows: &'a [R],
    lost: impl Fn(&R) -> &[u64; 4] + 'a,
) -> impl Iterator<Item = Column> + 'a {
    Loss::ALL.into_iter().map(move |reason| {
        col(
            &format!("lost_{}", reason.name()),
            pick(rows, |r| int64(lost(r)[reason as usize])),
        )
    })
}

pub(super) fn gateways(rows: &[GatewayRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("gateway", pick(rows, |r| int(r.gateway))),
            col("frames_heard", pick(rows, |r| int64(r.frames_heard))),
            col("frames_received", pick(rows, |r| int64(r.frames_received))),
        ]
        .into_iter()
        .chain(lost_columns(rows, |r| &r.lost))
        .chain([
            col(
                "demodulator_utilisation",
                pick(rows, |r| r.demodulator_utilisation),
            ),
            col("downlinks_rx1", pick(rows, |r| int64(r.downlinks_rx1))),
            col("downlinks_rx2", pick(rows, |r| int64(r.downlinks_rx2))),
            col(
                "downlinks_with_ack",
                pick(rows, |r| int64(r.downlinks_with_ack)),
            ),
            col(
                "downlinks_with_receipt",
                pick(rows, |r| int64(r.downlinks_with_receipt)),
            ),
            col("downlink_airtime_s", pick(rows, |r| r.downlink_airtime_s)),
            col(
                "downlink_windows_refused_busy",
                pick(rows, |r| int64(r.downlink_windows_refused_busy)),
            ),
            col(
                "downlink_windows_refused_duty_cycle",
                pick(rows, |r| int64(r.downlink_windows_refused_duty_cycle)),
            ),
        ])
        .collect(),
    )
}

/// Long form: per LoRaWAN group and bin of distance to the nearest gateway, its frames and
/// those delivered.
fn radio_distance(rows: &[RadioDistanceRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            col("group", pick(rows, |r| r.group.as_str())),
            col(
                "nearest_gateway_from_m",
                pick(rows, |r| r.nearest_gateway_from_m),
            ),
            col(
                "nearest_gateway_to_m",
                pick(rows, |r| r.nearest_gateway_to_m),
            ),
            col("devices", pick(rows, |r| int64(r.devices))),
            col("frames", pick(rows, |r| int64(r.frames))),
            col("delivered", pick(rows, |r| int64(r.delivered))),
            col("delivery_ratio", pick(rows, |r| cell(r.delivery_ratio))),
        ],
    )
}

/// Per radio group: energy per reading, per settled reading and per device-day, and the
/// battery-life quantiles (null without a battery).
pub(super) fn energy(e: &EnergyOutput) -> PolarsResult<DataFrame> {
    let rows = &e.rows;
    let f = |name: &str, v: fn(&crate::metrics::EnergyRow) -> f64| {
        col(name, pick(rows, |r| cell(v(r))))
    };
    DataFrame::new(
        rows.len(),
        vec![
            col("group", pick(rows, |r| r.group.as_str())),
            col("devices", pick(rows, |r| int64(r.devices))),
            col("readings", pick(rows, |r| int64(r.readings))),
            f("energy_j", |r| r.energy_j),
            f("energy_per_device_day_j", |r| r.energy_per_device_day_j),
            f("energy_per_reading_mj", |r| r.energy_per_reading_mj),
            f("energy_per_settled_reading_mj", |r| {
                r.energy_per_settled_reading_mj
            }),
            f("battery_capacity_j", |r| r.battery_capacity_j),
            f("battery_life_mean_years", |r| r.battery_life_mean_years),
            f("battery_life_p5_years", |r| r.battery_life_p5_years),
            f("battery_life_p50_years", |r| r.battery_life_p50_years),
            f("battery_life_p95_years", |r| r.battery_life_p95_years),
        ],
    )
}

/// Per radio group and state (or on-device operation): time, energy and share of the group's
/// energy.
pub(super) fn energy_states(e: &EnergyOutput) -> PolarsResult<DataFrame> {
    let rows = &e.states;
    DataFrame::new(
        rows.len(),
        vec![
            col("group", pick(rows, |r| r.group.as_str())),
            col("state", pick(rows, |r| r.state.as_str())),
            col("time_s", pick(rows, |r| r.time_s)),
            col("energy_j", pick(rows, |r| r.energy_j)),
            col("share", pick(rows, |r| cell(r.share))),
        ],
    )
}
