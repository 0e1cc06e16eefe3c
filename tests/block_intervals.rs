//! Nakamoto block intervals: `fixed` finds a block exactly every `block_interval_s`, by miners
//! drawn by hash share; `exponential` (the default) does not.

mod common;

use unchained::metrics::RunOutput;

/// Five miners 50 ms apart, a block every 10 s on average, 205 s.
fn run(intervals: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 3
duration_s: 205
devices:
  - count: 20
    workload: {{ model: poisson, rate_per_s: 0.1 }}
gateways: {{ count: 5 }}
validators: {{ count: 5 }}
network:
  latency: {{ model: constant, one_way_ms: 50, bandwidth_bps: 1e9 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: nakamoto, block_interval_s: 10, confirmations: 1{intervals} }}
"
    )))
}

fn mined_at(out: &RunOutput) -> Vec<f64> {
    let mut at: Vec<f64> = out.blocks.iter().map(|b| b.mined_at_s).collect();
    at.sort_by(f64::total_cmp);
    at
}

#[test]
fn fixed_intervals_are_exactly_equal() {
    let out = run(", block_intervals: fixed");
    // Block k at k · 10 s for every k with k · 10 ≤ 205: twenty blocks, none lost to a fork
    // (propagation takes 50 ms of the 10 s).
    let expected: Vec<f64> = (1..=20).map(|k| 10.0 * k as f64).collect();
    assert_eq!(mined_at(&out), expected);
    assert_eq!(common::metric(&out, "blocks_stale"), 0.0);
    let heights: Vec<u32> = out.blocks.iter().map(|b| b.height).collect();
    assert_eq!(heights, (1..=20).collect::<Vec<_>>());
    // The finders are drawn by share (equal here): more than one miner finds blocks.
    let mut miners: Vec<u32> = out.blocks.iter().map(|b| b.miner).collect();
    miners.sort_unstable();
    miners.dedup();
    assert!(miners.len() > 1, "{miners:?}");
}

#[test]
fn exponential_intervals_are_not_equal() {
    let at = mined_at(&run(""));
    let gaps: Vec<f64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() > 5, "{at:?}");
    assert!(gaps.iter().any(|&g| (g - gaps[0]).abs() > 1e-3), "{gaps:?}");
}
