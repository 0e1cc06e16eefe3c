//! T12: with a constant one-way delay τ between all miners, the share of blocks that end off
//! the main chain follows the simple fork model 1 − exp(−τ/T).

mod common;

fn stale_rate(tau_s: f64, seeds: &[u64]) -> (f64, f64) {
    let (mut stale, mut mined) = (0.0, 0.0);
    for &seed in seeds {
        let s = common::scenario(&format!(
            "seed: {seed}
duration_s: 12000000
validators: {{ count: 50 }}
network:
  latency: {{ model: constant, one_way_ms: {}, bandwidth_bps: 1.0e15 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: nakamoto, block_interval_s: 600, validation_s_per_mb: 0 }}
metrics: {{ window_s: 12000000 }}
",
            tau_s * 1e3
        ));
        let out = common::run(&s);
        stale += common::metric(&out, "blocks_stale");
        mined += common::metric(&out, "blocks_mined");
    }
    (stale / mined, mined)
}

#[test]
fn stale_rate_matches_the_simple_fork_model_at_small_delay() {
    // tau/T = 1/30: expected 0.0328, tolerance ±10 % (targets.yaml T12).
    let (rate, mined) = stale_rate(20.0, &[1, 2, 3]);
    let expected = 1.0 - (-20.0f64 / 600.0).exp();
    assert!(mined > 55_000.0, "only {mined} blocks mined");
    assert!(
        (rate - expected).abs() / expected <= 0.10,
        "stale rate {rate} vs {expected}"
    );
}

#[test]
fn stale_rate_rises_with_delay_as_predicted() {
    // tau/T = 0.1: expected 0.0952, tolerance ±15 %.
    let (rate, _) = stale_rate(60.0, &[4, 5, 6]);
    let expected = 1.0 - (-60.0f64 / 600.0).exp();
    assert!(
        (rate - expected).abs() / expected <= 0.15,
        "stale rate {rate} vs {expected}"
    );
    let (small, _) = stale_rate(6.5, &[7]);
    assert!(
        small < rate / 4.0,
        "stale rate at 6.5 s ({small}) not far below 60 s ({rate})"
    );
}

#[test]
fn without_delay_nothing_goes_stale() {
    let (rate, mined) = stale_rate(0.0, &[8]);
    assert!(mined > 15_000.0);
    assert_eq!(rate, 0.0);
}
