//! Forks and block propagation in network runs: T12 (stale rate against the closed form) and
//! the Bitcoin propagation table, each relay mode's arrival delays, reach and long-run stale
//! rate.

use rayon::prelude::*;

use super::suite::{Suite, metric, row, simulate};
use crate::adversary::analytic;
use crate::engine::to_secs;
use crate::scenario::{self, Scenario};

/// Block propagation in the realistic Bitcoin network, for one relay mode.
#[derive(Clone, Debug)]
pub struct Propagation {
    pub relay: &'static str,
    pub blocks: u64,
    pub stale: u64,
    pub median_block_bytes: f64,
    /// Delay until a node holds the block, over all (block, node) arrivals: p50, p90, p99.
    pub arrival: [f64; 3],
    /// Median over blocks of the time to reach 50 %, 90 % and 100 % of nodes.
    pub reach: [f64; 3],
    /// First-order stale rate from the arrival delays: mean of 1 − exp(−(d + v)/T), with `v`
    /// the validation time of a median block.
    pub stale_estimate: f64,
    /// Blocks and stale blocks of the long runs (full blocks, no fleet), and their seeds.
    pub long_blocks: u64,
    pub long_stale: u64,
    pub long_seeds: u64,
}

pub(super) fn fork_model(suite: &mut Suite, base: &Scenario, quick: bool) -> Result<(), String> {
    let seeds: Vec<u64> = if quick { vec![1] } else { vec![1, 2, 3] };
    let results: Vec<Result<(f64, f64), String>> = seeds
        .par_iter()
        .map(|&seed| {
            let mut s = base.clone();
            s.seed = seed;
            let out = simulate(&s)?;
            Ok((metric(&out, "blocks_stale")?, metric(&out, "blocks_mined")?))
        })
        .collect();
    let (mut stale, mut mined) = (0.0, 0.0);
    for r in results {
        let (a, b) = r?;
        stale += a;
        mined += b;
    }
    let scenario::Latency::Constant { one_way_ms, .. } = base.network.latency else {
        return Err("fork-model.yaml must use constant latency".into());
    };
    let scenario::Consensus::Nakamoto(n) = &base.consensus else {
        return Err("fork-model.yaml must use consensus.protocol: nakamoto".into());
    };
    let tau = one_way_ms / 1e3;
    let expected = analytic::stale_probability(tau, n.block_interval_s);
    let rel = if tau / n.block_interval_s <= 0.05 {
        0.10
    } else {
        0.15
    };
    suite.rows.push(row(
        "T12",
        format!("tau={tau} s T={} s, {mined} blocks", n.block_interval_s),
        "network run",
        expected,
        stale / mined,
        rel * expected,
        seeds
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    ));
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub(super) fn bitcoin(suite: &mut Suite, base: &Scenario, quick: bool) -> Result<(), String> {
    let scenario::Consensus::Nakamoto(n) = &base.consensus else {
        return Err("bitcoin-propagation.yaml must use consensus.protocol: nakamoto".into());
    };
    let interval = n.block_interval_s;
    let modes = [
        ("compact", scenario::Relay::Compact),
        ("full", scenario::Relay::Full),
    ];
    let results: Vec<Result<Propagation, String>> = modes
        .par_iter()
        .map(|&(name, relay)| {
            let mut s = base.clone();
            s.duration_s *= if quick { 0.25 } else { 4.0 };
            if let scenario::Consensus::Nakamoto(p) = &mut s.consensus {
                p.relay = relay;
            }
            let out = simulate(&s)?;
            let (long_blocks, long_stale, long_seeds) = long_stale_runs(base, relay, quick)?;
            let m = |k: &str| metric(&out, k);
            let pick = |f: fn(&crate::metrics::BlockRow) -> Option<f64>| {
                median(out.blocks.iter().filter_map(f).collect())
            };
            // A node mines on a block once it has received and validated it, so the window in
            // which a competing block forks it is its arrival delay d plus the validation time;
            // averaged over the arrival distribution.
            let block_bytes = median(out.blocks.iter().map(|b| b.size_bytes as f64).collect());
            let validation = n.validation_s_per_mb * block_bytes / 1e6;
            let mut prev = 0.0;
            let mut stale_estimate = 0.0;
            for &(t, cdf) in &out.block_arrival_cdf {
                let window = to_secs(t) + validation;
                stale_estimate += (cdf - prev) * analytic::stale_probability(window, interval);
                prev = cdf;
            }
            Ok(Propagation {
                relay: name,
                blocks: m("blocks_mined")? as u64,
                stale: m("blocks_stale")? as u64,
                median_block_bytes: median(
                    out.blocks.iter().map(|b| b.size_bytes as f64).collect(),
                ),
                arrival: [
                    m("block_arrival_p50_s")?,
                    m("block_arrival_p90_s")?,
                    m("block_arrival_p99_s")?,
                ],
                reach: [
                    pick(|b| b.propagation_50_s),
                    pick(|b| b.propagation_90_s),
                    pick(|b| b.propagation_100_s),
                ],
                stale_estimate,
                long_blocks,
                long_stale,
                long_seeds,
            })
        })
        .collect();
    for r in results {
        suite.propagation.push(r?);
    }
    Ok(())
}

/// The stale rate needs tens of thousands of blocks: the same network with full blocks and no
/// fleet (`fill_blocks`, devices never online) over several seeds of 60 days each (quick: two
/// seeds of 10 days). Returns blocks, stale blocks and seeds.
fn long_stale_runs(
    base: &Scenario,
    relay: scenario::Relay,
    quick: bool,
) -> Result<(u64, u64, u64), String> {
    let (seeds, days) = if quick { (2u64, 10.0) } else { (8u64, 60.0) };
    let runs: Vec<Result<(u64, u64), String>> = (0..seeds)
        .into_par_iter()
        .map(|k| {
            let mut s = base.clone();
            s.seed = base.seed.wrapping_add(1000 + k);
            s.duration_s = days * 86_400.0;
            s.metrics.window_s = 86_400.0;
            for g in &mut s.devices {
                g.connectivity = scenario::Connectivity::Never;
            }
            if let scenario::Consensus::Nakamoto(p) = &mut s.consensus {
                p.relay = relay;
                p.fill_blocks = true;
            }
            let out = simulate(&s)?;
            Ok((
                metric(&out, "blocks_mined")? as u64,
                metric(&out, "blocks_stale")? as u64,
            ))
        })
        .collect();
    let (mut blocks, mut stale) = (0, 0);
    for r in runs {
        let (b, st) = r?;
        blocks += b;
        stale += st;
    }
    Ok((blocks, stale, seeds))
}
