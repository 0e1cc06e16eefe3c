//! Gateways that batch uploads trade a bounded extra delay for far fewer events.

mod common;

fn run(batch_ms: f64) -> unchained::metrics::RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 4
duration_s: 1800
devices:
  - count: 20000
    workload: {{ model: periodic, interval_s: 60 }}
    uplink: {{ latency_ms: 50, bandwidth_bps: 1.0e9 }}
gateways: {{ count: 10, batch_interval_ms: {batch_ms} }}
validators: {{ count: 20 }}
network: {{ latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1.0e9 }} }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
"
    )))
}

#[test]
fn batching_cuts_events_and_adds_half_an_interval_of_access_delay() {
    let direct = run(0.0);
    let batched = run(2000.0);
    let events = |o: &unchained::metrics::RunOutput| common::metric(o, "events");
    // Direct: a wake and an arrival per upload. Batched: the arrival is per gateway per
    // interval, so events fall to about half.
    assert!(
        events(&batched) < 0.6 * events(&direct),
        "{} vs {}",
        events(&batched),
        events(&direct)
    );
    // Arrivals at a gateway are uniform within an interval: the wait averages half of it.
    let extra =
        common::metric(&batched, "access_mean_s") - common::metric(&direct, "access_mean_s");
    assert!((extra - 1.0).abs() < 0.05, "extra access delay {extra} s");
    assert!(batched.conservation.holds());
    let settled = |o: &unchained::metrics::RunOutput| o.conservation.settled as f64;
    assert!((settled(&batched) / settled(&direct) - 1.0).abs() < 0.05);
}
