//! Settlement latency against closed forms. With a single miner, no network delay and blocks
//! large enough for everything, a transaction waits a residual block interval (Exp(T) by the
//! memorylessness of Poisson mining) plus k − 1 further intervals: mean k·T.

mod common;

fn settlement_mean(k: u32, interval: f64) -> (f64, f64) {
    let s = common::scenario(&format!(
        "
seed: 21
duration_s: 40000
devices:
  - count: 400
    workload: {{ model: poisson, rate_per_s: 0.01 }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1.0e12 }}
gateways: {{ count: 1, backhaul_bps: 1.0e12 }}
validators: {{ count: 1 }}
network:
  latency: {{ model: constant, one_way_ms: 0, bandwidth_bps: 1.0e12 }}
  processing_ms: 0
consensus:
  protocol: nakamoto
  block_interval_s: {interval}
  confirmations: {k}
  max_block_bytes: 100000000
  validation_s_per_mb: 0
"
    ));
    let out = common::run(&s);
    (
        common::metric(&out, "settlement_mean_s"),
        common::metric(&out, "inclusion_mean_s"),
    )
}

#[test]
fn settlement_takes_k_block_intervals_on_average() {
    for (k, t) in [(1, 20.0), (3, 20.0), (6, 10.0)] {
        let (settle, include) = settlement_mean(k, t);
        let expected = k as f64 * t;
        assert!(
            (settle - expected).abs() / expected < 0.06,
            "k={k} T={t}: {settle} vs {expected}"
        );
        assert!((include - t).abs() / t < 0.06, "inclusion {include} vs {t}");
    }
}
