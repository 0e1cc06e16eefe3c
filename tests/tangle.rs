//! IOTA tangle: structure, Popov's steady-state tip count, tip selection and confirmation.

mod common;

use unchained::metrics::RunOutput;

/// One node, λ readings per second reaching it without delay; Popov's `h` is then `pow_s`.
fn run(lambda: f64, pow_s: f64, selection: &str, confirmation: &str, seed: u64) -> RunOutput {
    let s = common::scenario(&format!(
        "
seed: {seed}
duration_s: 200
validators: {{ count: 1 }}
gateways: {{ count: 1, backhaul_bps: 1.0e12 }}
devices:
  - count: 1000
    workload: {{ model: poisson, rate_per_s: {rate} }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1.0e12 }}
network:
  latency: {{ model: constant, one_way_ms: 0, bandwidth_bps: 1.0e12 }}
  processing_ms: 0
metrics: {{ window_s: 10 }}
consensus:
  protocol: tangle
  pow_s: {pow_s}
  tip_selection: {selection}
  confirmation: {confirmation}
",
        rate = lambda / 1000.0
    ));
    common::run(&s)
}

const UNIFORM: &str = "{ model: uniform }";
const WEIGHT_50: &str = "{ model: weight, threshold: 50 }";

#[test]
fn approvals_point_to_earlier_existing_transactions() {
    for seed in 1..4 {
        for sel in [UNIFORM, "{ model: walk, alpha: 0.5, depth_s: 5 }"] {
            let out = run(20.0, 0.5, sel, WEIGHT_50, seed);
            assert_eq!(common::metric(&out, "dag_violations"), 0.0);
            assert_eq!(
                common::metric(&out, "tangle_transactions"),
                out.conservation.created as f64
            );
        }
    }
}

#[test]
fn uniform_tips_at_steady_state_are_two_lambda_h() {
    // Popov §3: L0 ≈ 2λh for k = 2 (λh revealed tips plus λh hidden ones).
    for (lambda, h) in [(50.0, 1.0), (20.0, 2.0), (100.0, 0.5)] {
        let tips = common::metric(&run(lambda, h, UNIFORM, WEIGHT_50, 3), "tips_mean");
        let expected = 2.0 * lambda * h;
        assert!(
            (tips / expected - 1.0).abs() < 0.1,
            "λ={lambda} h={h}: {tips} tips vs {expected}"
        );
    }
}

#[test]
fn a_heavily_weighted_walk_leaves_tips_behind_and_a_flat_deep_one_does_not() {
    // Popov §4.1: the larger α, the more the walk concentrates on the heaviest branch and the
    // more tips it abandons. With α = 0 and a start deep enough (the default 30 s is 30 h
    // here), the walk approves every tip eventually, as uniform selection does, and holds
    // about as many tips (2λh = 100).
    for seed in [5, 6] {
        let out = |sel| run(50.0, 1.0, sel, WEIGHT_50, seed);
        let uniform = common::metric(&out(UNIFORM), "orphan_rate");
        let flat = out("{ model: walk, alpha: 0 }");
        let steep = common::metric(&out("{ model: walk, alpha: 10 }"), "orphan_rate");
        let (flat_orphans, flat_tips) = (
            common::metric(&flat, "orphan_rate"),
            common::metric(&flat, "tips_mean"),
        );
        assert!(uniform < 0.005, "uniform {uniform}");
        assert!(flat_orphans < 0.005, "flat {flat_orphans}");
        assert!(
            (90.0..125.0).contains(&flat_tips),
            "flat walk tips {flat_tips}"
        );
        assert!(steep > 0.3, "steep {steep}");
    }
}

#[test]
fn a_walk_started_a_few_h_deep_strands_tips_whatever_alpha() {
    // A tip is reachable only from starts among its ancestors. A transaction's ancestors
    // double with each generation of h back until they span a generation's λh = 50, so
    // starts only a few h deep rarely lie below a given tip, and only for a short while.
    // Measured at λh = 50: 5 h deep strands about half the tips even with α = 0, 10 h a
    // third, 20 h 0.1 %, 30 h none (the test above).
    let orphans = |depth: f64| {
        let sel = format!("{{ model: walk, alpha: 0, depth_s: {depth} }}");
        common::metric(&run(50.0, 1.0, &sel, WEIGHT_50, 5), "orphan_rate")
    };
    let (five, ten) = (orphans(5.0), orphans(10.0));
    assert!(
        five > 0.3 && ten > 0.2 && five > ten,
        "5 h: {five}, 10 h: {ten}"
    );
}

#[test]
fn weight_confirmation_takes_longer_for_higher_thresholds() {
    let mut last = 0.0;
    for w in [10, 50, 200] {
        let out = run(
            50.0,
            1.0,
            UNIFORM,
            &format!("{{ model: weight, threshold: {w} }}"),
            7,
        );
        let mean = common::metric(&out, "settlement_settled_only_mean_s");
        // The weight grows by at most λ per second once a transaction is visible.
        assert!(mean > 1.0 + w as f64 / 50.0, "W={w}: {mean}");
        assert!(mean > last, "W={w}: {mean} <= {last}");
        assert!(out.conservation.settled as f64 > 0.8 * out.conservation.created as f64);
        last = mean;
    }
}

#[test]
fn milestones_confirm_everything_they_reach() {
    let out = run(
        20.0,
        0.5,
        UNIFORM,
        "{ model: milestones, interval_s: 20 }",
        9,
    );
    let c = &out.conservation;
    assert_eq!(common::metric(&out, "milestones"), 9.0);
    assert_eq!(out.blocks.len(), 9);
    // Everything created before the last milestone but a few h is confirmed by it.
    let settled_share = c.settled as f64 / c.created as f64;
    assert!(settled_share > 0.85, "{c:?}");
    let mean = common::metric(&out, "settlement_settled_only_mean_s");
    // Half an interval of waiting for the next milestone, plus the time to be approved.
    assert!(mean > 10.0 && mean < 10.0 + 10.0 * 0.5, "{mean}");
}

/// Little's law ties two outputs computed apart: every transaction is a tip from its issue
/// until its first approval, so the mean time to first approval equals the mean number of
/// tips over the rate of issue (tips_mean / λ), here also ≈ 2h (Popov's 2λh tips). Fails if
/// the first approval were timed from the wrong approver or from creation on the device.
#[test]
fn time_to_first_approval_is_tips_over_rate() {
    for (lambda, h) in [(50.0, 1.0), (20.0, 2.0)] {
        let out = run(lambda, h, UNIFORM, WEIGHT_50, 4);
        let tips = common::metric(&out, "tips_mean");
        let first = common::metric(&out, "first_approval_mean_s");
        eprintln!("λ={lambda} h={h}: tips {tips}, first approval mean {first}");
        assert!(
            (first / (tips / lambda) - 1.0).abs() < 0.05,
            "λ={lambda} h={h}: first approval {first} s, tips {tips}"
        );
        let (p50, p99) = (
            common::metric(&out, "first_approval_p50_s"),
            common::metric(&out, "first_approval_p99_s"),
        );
        // Hidden for h, then approved at rate 1/h: p50 = h (1 + ln 2), p99 = h (1 + ln 100).
        assert!(
            (p50 / (h * (1.0 + 2f64.ln())) - 1.0).abs() < 0.1,
            "p50 {p50}"
        );
        assert!(
            p99 > p50 && p99 < h * (1.0 + 100f64.ln()) * 1.3,
            "p99 {p99}"
        );
    }
}
