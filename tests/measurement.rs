//! The measurement window and what the summary makes of transactions that never settled:
//! quantiles over everything created in the window, the unsettled counted as later than the
//! run; saturation and drops flagged.

mod common;

use common::metric;
use unchained::metrics::RunOutput;

/// Four PBFT validators under a steady load for 100 s, all of it measured; `faults` optional.
fn pbft(faults: &str) -> RunOutput {
    common::run(&common::scenario(&common::bft_yaml(
        4,
        0.5,
        100.0,
        5.0,
        &format!(
            "consensus: {{ protocol: pbft }}\n{faults}\n\
             metrics: {{ window_s: 5, warmup_s: 0, measure_s: 100, sla_s: [1, 60] }}\n"
        ),
    )))
}

#[test]
fn quantiles_beyond_the_run_are_missing_and_the_unsettled_miss_every_deadline() {
    // Two of four replicas stop half way: nothing commits from then on, so about half of what
    // was created never settles.
    let out = pbft("faults: { crashes: [ { nodes: [0, 1], at_s: 50 } ] }");
    let settled = metric(&out, "settled_share");
    assert!((0.4..0.6).contains(&settled), "settled share {settled}");
    assert_eq!(metric(&out, "tx_measured"), out.conservation.created as f64);

    // p90 falls among the unsettled: later than the run (infinite here, a null in the tables),
    // the flag set; over the settled ones alone it is a number (the survivor-biased figure),
    // reported under its own name.
    assert_eq!(metric(&out, "settlement_p90_s"), f64::INFINITY);
    assert_eq!(metric(&out, "settlement_p90_beyond_run"), 1.0);
    assert_eq!(metric(&out, "settlement_max_s"), f64::INFINITY);
    assert_eq!(metric(&out, "settlement_mean_s"), f64::INFINITY);
    let only = metric(&out, "settlement_settled_only_p90_s");
    assert!(only.is_finite() && only < 1.0, "{only}");
    let row = out
        .latency
        .iter()
        .find(|r| r.stage == "settlement" && r.quantile == 0.9)
        .unwrap();
    assert_eq!((row.latency_s, row.beyond_run), (None, true));
    assert_eq!(row.reached_only_latency_s, Some(only));

    // Everything that settled did so within a second; the unsettled half fails even the
    // longest deadline.
    for deadline in ["1", "60"] {
        let within = metric(&out, &format!("settled_within_{deadline}s_share"));
        assert!(
            within <= settled && within > settled - 0.02,
            "{deadline} s: {within} vs settled {settled}"
        );
    }
}

#[test]
fn without_the_crash_every_quantile_is_a_number() {
    let out = pbft("");
    assert!(metric(&out, "settled_share") > 0.98);
    let p90 = metric(&out, "settlement_p90_s");
    assert!(p90.is_finite() && p90 < 1.0, "{p90}");
    assert_eq!(metric(&out, "settlement_p90_beyond_run"), 0.0);
    assert!(metric(&out, "settled_within_60s_share") > 0.98);
}

#[test]
fn transactions_created_outside_the_window_are_left_out() {
    let s = |window: &str| {
        common::scenario(&common::bft_yaml(
            4,
            0.5,
            100.0,
            5.0,
            &format!("consensus: {{ protocol: pbft }}\nmetrics: {{ window_s: 5, {window} }}\n"),
        ))
    };
    let out = common::run(&s("warmup_s: 20, measure_s: 50"));
    let measured = metric(&out, "tx_measured");
    // 40 devices at 0.5 /s over 50 s: 1000 expected, Poisson.
    assert!((850.0..1150.0).contains(&measured), "{measured}");
    assert!(measured < out.conservation.created as f64 * 0.6);
    assert_eq!(metric(&out, "created_tx_per_s"), measured / 50.0);
    // Defaults: a tenth of the run as warm-up, eight tenths measured.
    let out = common::run(&s("warmup_s: 10"));
    assert_eq!(metric(&out, "measure_start_s"), 10.0);
    assert_eq!(metric(&out, "measure_s"), 80.0);
}

/// One miner whose blocks hold about 98 transactions every 10 s (about 9.8 tx/s), offered
/// `devices` × 0.1 tx/s.
fn nakamoto(devices: u32, extra: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 3
duration_s: 1200
devices:
  - count: {devices}
    workload: {{ model: poisson, rate_per_s: 0.1 }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: 1, backhaul_bps: 1e12 }}
validators: {{ count: 1 }}
network:
  latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: nakamoto, block_interval_s: 10, confirmations: 1,
              max_block_bytes: 25000 {extra} }}
metrics: {{ window_s: 20 }}
"
    )))
}

#[test]
fn twice_the_capacity_is_flagged_as_saturated_half_of_it_is_not() {
    let over = nakamoto(200, "");
    let capacity = metric(&over, "settled_during_window_tx_per_s");
    assert!((8.0..11.0).contains(&capacity), "capacity {capacity}");
    assert_eq!(metric(&over, "saturated"), 1.0);
    assert_eq!(metric(&over, "drops_high"), 0.0);
    assert!(
        over.warnings()[0].starts_with("warning: saturated"),
        "{:?}",
        over.warnings()
    );

    let under = nakamoto(50, "");
    assert_eq!(metric(&under, "saturated"), 0.0);
    assert!(under.warnings().is_empty(), "{:?}", under.warnings());
    let slope = metric(&under, "pending_slope_tx_per_s");
    assert!(slope.abs() < 0.1 * 5.0, "{slope}");
}

#[test]
fn drops_above_the_threshold_are_flagged() {
    // A mempool of 30 kB holds 120 transactions: at twice the capacity most overflow, and the
    // backlog cannot grow, so only the drops tell.
    let out = nakamoto(200, ", max_mempool_bytes: 30000");
    let share = metric(&out, "dropped_share");
    assert!(share > 0.3, "{share}");
    assert_eq!(metric(&out, "drops_high"), 1.0);
    assert!(out.warnings().iter().any(|w| w.contains("dropped")));
    assert_eq!(metric(&nakamoto(50, ""), "drops_high"), 0.0);
}

/// Four PBFT validators, one of them crashed for good after a minute while the gateways
/// attached to it keep uploading: about a quarter of the readings wait there, pending in
/// transit, for the rest of the run. The chain itself keeps up with the offered 40 tx/s.
#[test]
fn uploads_stranded_at_a_dead_validator_are_not_saturation() {
    let out = common::run(&common::scenario(
        "
seed: 2
duration_s: 1200
devices:
  - count: 400
    workload: { model: poisson, rate_per_s: 0.1 }
gateways: { count: 8 }
validators: { count: 4 }
consensus: { protocol: pbft }
faults:
  crashes:
    - { nodes: [3], at_s: 60 }
metrics: { window_s: 20 }
",
    ));
    let stranded = metric(&out, "tx_stranded");
    let uploaded = metric(&out, "tx_uploaded");
    assert!(
        (0.1..0.5).contains(&(stranded / uploaded)),
        "{stranded} of {uploaded} stranded"
    );
    // The backlog grows by the stranded rate, and less than 90 % of the offered rate
    // settles, which is what the saturation flag looks for; it must not fire.
    assert!(metric(&out, "settled_during_window_tx_per_s") < 0.9 * 40.0);
    assert_eq!(metric(&out, "saturated"), 0.0, "{:?}", out.warnings());
    assert!(metric(&out, "pending_slope_tx_per_s").abs() < 1.0);
    let w = out.warnings();
    assert!(
        w.iter()
            .any(|l| l.contains("reached validators down for good")),
        "{w:?}"
    );
    assert!(
        !w.iter().any(|l| l.starts_with("warning: saturated")),
        "{w:?}"
    );
}
