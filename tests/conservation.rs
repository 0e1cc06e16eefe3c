//! Every created transaction ends settled, pending at a named stage, or dropped with a reason.

mod common;

const MIXED: &str = "
seed: 11
duration_s: 1800
devices:
  - name: never_online
    count: 300
    connectivity: { model: never }
    workload: { model: periodic, interval_s: 60 }
    buffer_tx: 8
  - name: flaky
    count: 2000
    connectivity:
      model: on_off
      on: { dist: exponential, mean_s: 60 }
      off: { dist: weibull, shape: 0.5, mean_s: 600 }
    workload: { model: poisson, rate_per_s: 0.05 }
    buffer_tx: 4
    overflow: drop_newest
  - name: duty
    count: 2000
    connectivity: { model: duty_cycle, period_s: 300, on_s: 15 }
    workload: { model: periodic, interval_s: 30, jitter_s: 5 }
    buffer_tx: 6
gateways: { count: 20 }
validators: { count: 30 }
consensus: { protocol: nakamoto, block_interval_s: 30, confirmations: 3, max_block_bytes: 200000, max_mempool_bytes: 400000 }
";

#[test]
fn counts_add_up_with_overflow_offline_devices_and_full_blocks() {
    let out = common::run(&common::scenario(MIXED));
    let c = &out.conservation;
    assert!(c.holds(), "{c:?}");
    assert_eq!(c.created, c.accounted());
    // Each stage is really exercised, so the identity is not vacuous.
    assert!(c.dropped("buffer_overflow") > 0, "{c:?}");
    assert!(c.dropped("mempool_full") > 0, "{c:?}");
    assert!(c.pending_on_device > 0, "{c:?}");
    assert!(c.settled > 0, "{c:?}");
    assert!(c.pending_in_mempool + c.pending_in_block > 0, "{c:?}");
    // The time series' last window agrees with the final accounting.
    let last = out.timeseries.last().unwrap();
    let dropped: u64 = c.dropped.iter().map(|(_, n)| n).sum();
    assert_eq!(last.pending_tx, c.created - c.settled - dropped);
    // 300 never-online devices × 30 readings each stay on their devices, capped by the buffer.
    assert!(c.pending_on_device >= 300 * 8, "{c:?}");
}

#[test]
fn a_fleet_that_never_comes_online_settles_nothing() {
    let s = common::scenario(
        "
duration_s: 3600
devices:
  - { name: dark, count: 500, connectivity: { model: never }, workload: { model: periodic, interval_s: 600 }, buffer_tx: 4 }
validators: { count: 8 }
consensus: { protocol: nakamoto, block_interval_s: 60 }
",
    );
    let out = common::run(&s);
    let c = &out.conservation;
    assert_eq!(c.created, 500 * 6);
    assert_eq!(c.settled, 0);
    assert_eq!(common::metric(&out, "tx_uploaded"), 0.0);
    assert_eq!(c.pending_on_device, 500 * 4);
    assert_eq!(c.dropped("buffer_overflow"), 500 * 2);
    assert_eq!(common::metric(&out, "online_fraction"), 0.0);
}
