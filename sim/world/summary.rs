//! Turns the recorder's aggregates into the rows of the `summary`, `timeseries` and `latency`
//! tables.

use crate::engine::{Time, to_secs};
use crate::metrics::{Histogram, LatencyRow, Metrics, TimeseriesRow};
use crate::scenario::Scenario;

pub struct Facts<'a> {
    pub s: &'a Scenario,
    pub events: u64,
    /// Of those, device wakes and gateway flushes, run in the fleet shards.
    pub device_events: u64,
    pub messages: u64,
    pub message_bytes: u64,
    /// Of those, copies left out of the queue because an earlier copy was on its way.
    pub redundant_copies: u64,
    pub devices: u64,
    pub gateways: u64,
}

fn stats(out: &mut Vec<(String, f64)>, name: &str, h: &Histogram) {
    let nan = f64::NAN;
    out.push((format!("{name}_mean_s"), h.mean().map_or(nan, |v| v / 1e9)));
    for (q, label) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
        out.push((
            format!("{name}_{label}_s"),
            h.quantile(q).map_or(nan, to_secs),
        ));
    }
    out.push((format!("{name}_max_s"), h.max().map_or(nan, to_secs)));
}

/// Cost per settled transaction; undefined (NaN) when nothing settled.
fn per_settled(x: u64, settled: u64) -> f64 {
    if settled == 0 {
        f64::NAN
    } else {
        x as f64 / settled as f64
    }
}

pub fn summary(f: &Facts, m: &Metrics, protocol: &[(String, f64)]) -> Vec<(String, f64)> {
    let duration = f.s.duration_s;
    let online_ns: u128 = m.online_w.iter().sum();
    let device_ns = f.devices as f64 * to_secs(m.end()) * 1e9;
    let mut out: Vec<(String, f64)> = vec![
        ("duration_s".into(), duration),
        ("seed".into(), f.s.seed as f64),
        ("devices".into(), f.devices as f64),
        ("gateways".into(), f.gateways as f64),
        ("validators".into(), f.s.validators.count as f64),
        ("events".into(), f.events as f64),
        ("events_devices".into(), f.device_events as f64),
        ("net_messages".into(), f.messages as f64),
        ("net_message_bytes".into(), f.message_bytes as f64),
        ("net_redundant_copies".into(), f.redundant_copies as f64),
        (
            "net_messages_per_settled_tx".into(),
            per_settled(f.messages, m.settled),
        ),
        (
            "net_bytes_per_settled_tx".into(),
            per_settled(f.message_bytes, m.settled),
        ),
        (
            "online_fraction".into(),
            if device_ns > 0.0 {
                online_ns as f64 / device_ns
            } else {
                f64::NAN
            },
        ),
        ("created_tx_per_s".into(), m.created as f64 / duration),
        ("included_tx_per_s".into(), m.included as f64 / duration),
        ("settled_tx_per_s".into(), m.settled as f64 / duration),
        ("tx_uploaded".into(), m.uploaded as f64),
        ("tx_reached_validator".into(), m.reached as f64),
        ("tx_included".into(), m.included as f64),
        ("reverted_settlements".into(), m.reverted_settlements as f64),
    ];
    stats(&mut out, "upload_wait", &m.upload_wait);
    stats(&mut out, "access", &m.access);
    stats(&mut out, "inclusion", &m.inclusion);
    stats(&mut out, "settlement", &m.settlement);
    stats(&mut out, "block_arrival", &m.block_arrival);
    out.extend(protocol.iter().cloned());
    out
}

pub fn timeseries(m: &Metrics, end: Time) -> Vec<TimeseriesRow> {
    let pending = m.pending_by_window();
    (0..m.windows())
        .map(|w| {
            let a = w as Time * m.window();
            let b = (a + m.window()).min(end);
            let secs = to_secs(b - a);
            TimeseriesRow {
                window_start_s: to_secs(a),
                window_end_s: to_secs(b),
                created_tx_per_s: m.created_w[w] as f64 / secs,
                included_tx_per_s: m.included_w[w] as f64 / secs,
                settled_tx_per_s: m.settled_w[w] as f64 / secs,
                online_devices: m.online_w[w] as f64 / (b - a) as f64,
                mempool_tx: m.mempool_w[w],
                pending_tx: pending[w],
            }
        })
        .collect()
}

pub fn latency(m: &Metrics, quantiles: &[f64]) -> Vec<LatencyRow> {
    let stages: [(&'static str, &Histogram); 5] = [
        ("upload_wait", &m.upload_wait),
        ("access", &m.access),
        ("inclusion", &m.inclusion),
        ("settlement", &m.settlement),
        ("block_arrival", &m.block_arrival),
    ];
    let mut rows = Vec::new();
    for (stage, h) in stages {
        for &q in quantiles {
            rows.push(LatencyRow {
                stage,
                quantile: q,
                latency_s: h.quantile(q).map_or(f64::NAN, to_secs),
                samples: h.count(),
            });
        }
    }
    rows
}
