//! Helpers shared by the integration tests.
#![allow(dead_code)]

use unchained::metrics::RunOutput;
use unchained::scenario::{self, Scenario};
use unchained::world::{self, Progress};

pub fn scenario(yaml: &str) -> Scenario {
    scenario::parse(yaml, "test").unwrap_or_else(|e| panic!("test scenario invalid: {e}"))
}

pub fn run(s: &Scenario) -> RunOutput {
    world::run(s, &Progress::hidden()).unwrap_or_else(|e| panic!("run failed: {e}"))
}

pub fn metric(out: &RunOutput, name: &str) -> f64 {
    out.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Checks that no two logs hold different values at the same position; returns the first
/// disagreement.
pub fn agree(logs: &[&std::collections::BTreeMap<u64, u32>]) -> Result<(), String> {
    let mut seen = std::collections::BTreeMap::new();
    for (node, log) in logs.iter().enumerate() {
        for (&pos, &value) in log.iter() {
            if let Some(&(other, v)) = seen.get(&pos)
                && v != value
            {
                return Err(format!(
                    "position {pos}: node {other} decided {v}, node {node} decided {value}"
                ));
            }
            seen.entry(pos).or_insert((node, value));
        }
    }
    Ok(())
}

/// Least-squares slope of `ln y` against `ln x`.
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let pts: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let k = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    sxy / sxx
}

/// A BFT test network: `n` validators on a full mesh with constant one-way delay, 40 devices
/// sending Poisson requests through one gateway per validator; `extra` adds sections.
pub fn bft_yaml(n: u32, rate: f64, duration: f64, one_way_ms: f64, extra: &str) -> String {
    format!(
        "
seed: 5
duration_s: {duration}
devices:
  - count: 40
    workload: {{ model: poisson, rate_per_s: {rate} }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: {n}, backhaul_bps: 1e12 }}
validators: {{ count: {n} }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
{extra}"
    )
}
