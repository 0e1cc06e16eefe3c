//! The block-template rule of Nakamoto mining: with fixed intervals T, a transaction joins the
//! block being mined (`template: live`) or waits for the next one (`at_start`), as the closed
//! forms say.

mod common;

use unchained::metrics::RunOutput;

/// Validator 0 mines alone, a block exactly every 10 s; validator 1 relays, 50 ms away. A
/// device's transaction reaches the miner 50 ms after its creation (the gateway's same-region
/// latency; the uplink and backhaul take no time).
fn run(template: &str, devices: &str, duration: f64) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 2
duration_s: {duration}
devices:
{devices}
gateways: {{ count: 1, backhaul_bps: 1e12 }}
validators: {{ count: 2 }}
network:
  latency: {{ model: constant, one_way_ms: 50, bandwidth_bps: 1e9 }}
  topology: {{ model: full_mesh }}
consensus:
  protocol: nakamoto
  miners: 1
  block_interval_s: 10
  block_intervals: fixed
  confirmations: 1
  template: {template}
"
    )))
}

#[test]
fn a_transaction_arriving_mid_block_joins_it_or_waits_for_the_next() {
    // One registration created at 15 s reaches the miner at 15.05 s, while the
    // block due at 20 s is being mined (its parent, the block of 10 s, was found at 10 s).
    // Live: the block of 20 s carries it. At start: that block's template was fixed at 10 s,
    // so the block of 30 s carries it.
    let one = "  - { count: 1, workload: { model: registration, start_s: 15, spread_s: 0, interval_s: 1000 }, uplink: { latency_ms: 0, bandwidth_bps: 1e12 } }";
    for (template, at) in [("live", 20.0), ("at_start", 30.0)] {
        let out = run(template, one, 45.0);
        let carrying: Vec<f64> = out
            .blocks
            .iter()
            .filter(|b| b.tx_count > 0)
            .map(|b| b.mined_at_s)
            .collect();
        assert_eq!(carrying, vec![at], "{template}");
        assert_eq!(out.conservation.settled, 1, "{template}");
    }
}

#[test]
fn median_inclusion_delay_is_half_an_interval_or_one_and_a_half() {
    // Poisson arrivals fall uniformly within an interval, so the wait to the next find is
    // uniform on [0, T): median T/2 = 5 s, plus 50 ms of access. At start, a transaction
    // waits for the find after next: uniform on [T, 2T), median 3T/2 + 50 ms. About 2,000
    // transactions give the sample median a standard error of T / (2 sqrt(2000)) = 0.11 s;
    // the bound is three of them.
    let many = "  - { count: 50, workload: { model: poisson, rate_per_s: 0.05 }, uplink: { latency_ms: 0, bandwidth_bps: 1e12 } }";
    for (template, median) in [("live", 5.05), ("at_start", 15.05)] {
        let out = run(template, many, 1000.0);
        let row = out
            .latency
            .iter()
            .find(|r| r.stage == "inclusion" && r.quantile == 0.5)
            .expect("an inclusion median");
        let got = row.reached_only_latency_s.expect("samples");
        assert!((got - median).abs() < 0.35, "{template}: {got}");
    }
}
