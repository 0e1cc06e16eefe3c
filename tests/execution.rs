//! Validators' execution cost: with the network made negligible, settled throughput is
//! bounded by `cores / cost per transaction` (closed form), whichever family decides.

mod common;

use common::metric;
use unchained::metrics::RunOutput;

/// 100 devices offering 2,000 readings/s over a network of 0.01 ms hops and 1 Tb/s links;
/// each reading costs one 2 ms signature verification on `cores` cores. The window starts
/// once Raft has settled what waited for its first election (at about 6 s; the endorsed
/// transactions sent before it are resent two election timeouts later and settle by 18 s).
fn run(consensus: &str, cores: u32) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 3
duration_s: 30
devices:
  - count: 100
    workload: {{ model: poisson, rate_per_s: 20 }}
    uplink: {{ latency_ms: 0.01, bandwidth_bps: 1.0e12 }}
gateways: {{ count: 4, backhaul_bps: 1.0e12, batch_interval_ms: 1 }}
validators:
  count: 4
  execution: {{ cores: {cores}, verify_us: 2000 }}
network:
  latency: {{ model: constant, one_way_ms: 0.01, bandwidth_bps: 1.0e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
metrics: {{ window_s: 1, warmup_s: 19, measure_s: 9 }}
consensus: {{ protocol: {consensus} }}
"
    )))
}

#[test]
fn throughput_saturates_at_cores_over_cost_per_transaction() {
    for consensus in [
        "pbft",
        "raft, orderers: 3, endorsers: 1, block_validation_ms: 0.001",
    ] {
        for cores in [1u32, 2] {
            let out = run(consensus, cores);
            // 2 ms per reading: 500 readings/s per core, below the 2,000/s offered.
            let bound = f64::from(cores) * 500.0;
            let served = metric(&out, "settled_during_window_tx_per_s");
            assert!(
                (served - bound).abs() < 0.03 * bound,
                "{consensus}, {cores} cores: {served} tx/s, bound {bound}"
            );
            assert!(metric(&out, "exec_pending_at_end") > 0.0);
        }
        // Eight cores serve 4,000/s: the offered 2,000/s settle, the cores half busy
        // (λ · cost / cores = 2,000 × 2 ms / 8).
        let out = run(consensus, 8);
        let offered = metric(&out, "created_tx_per_s");
        let served = metric(&out, "settled_during_window_tx_per_s");
        assert!(
            (served - offered).abs() < 0.03 * offered,
            "{consensus}: {served} of {offered}"
        );
        let busy = metric(&out, "exec_utilisation");
        assert!((busy - 0.5).abs() < 0.03, "{consensus}: utilisation {busy}");
    }
}

/// Nakamoto with one miner finding a block every 20 ms (Poisson), each settled one deep:
/// every validator, the miner included, executes each block when it arrives, before it
/// adopts it, so its cores bound what settles there. Small blocks (about 40 readings) keep
/// the lumps in which a block's readings settle small against the 9 s window.
#[test]
fn block_execution_at_arrival_bounds_nakamoto_at_cores_over_cost() {
    let consensus = "nakamoto, block_interval_s: 0.02, confirmations: 1, miners: 1, \
                     validation_s_per_mb: 0";
    for cores in [1u32, 2] {
        let out = run(consensus, cores);
        let bound = f64::from(cores) * 500.0;
        let served = metric(&out, "settled_during_window_tx_per_s");
        eprintln!("nakamoto, {cores} cores: {served} tx/s, bound {bound}");
        assert!(
            (served - bound).abs() < 0.05 * bound,
            "nakamoto, {cores} cores: {served} tx/s, bound {bound}"
        );
        // Every validator's cores busy from the first blocks on.
        let busy = metric(&out, "exec_utilisation");
        assert!(busy > 0.95, "nakamoto, {cores} cores: utilisation {busy}");
    }
    // Eight cores serve 4,000/s: the offered 2,000/s settle.
    let out = run(consensus, 8);
    let offered = metric(&out, "created_tx_per_s");
    let served = metric(&out, "settled_during_window_tx_per_s");
    assert!(
        (served - offered).abs() < 0.05 * offered,
        "nakamoto: {served} of {offered}"
    );
}

#[test]
fn without_execution_the_summary_has_no_execution_rows() {
    let out = common::run(&common::scenario(
        "
duration_s: 10
devices: [{ count: 10, workload: { model: periodic, interval_s: 1 } }]
validators: { count: 4 }
consensus: { protocol: pbft }
",
    ));
    assert!(out.summary.iter().all(|(n, _)| !n.starts_with("exec_")));
}
