//! Block relay: compact blocks save the transfer time of full blocks; a compact block that
//! always fails costs exactly a full one.

mod common;

fn run(relay: &str, failure: f64) -> unchained::metrics::RunOutput {
    let s = common::scenario(&format!(
        "
seed: 2
duration_s: 6000
gateways: {{ count: 0 }}
validators: {{ count: 600 }}
network: {{ jitter: none }}
consensus:
  protocol: nakamoto
  block_interval_s: 600
  max_block_bytes: 535000
  fill_blocks: true
  relay: {relay}
  compact_failure_rate: {failure}
  validation_s_per_mb: 0
"
    ));
    common::run(&s)
}

fn arrival_p50(relay: &str, failure: f64) -> f64 {
    common::metric(&run(relay, failure), "block_arrival_p50_s")
}

#[test]
fn compact_blocks_propagate_faster_than_full_ones() {
    let full = arrival_p50("full", 0.0);
    let compact = arrival_p50("compact", 0.0);
    // 535 kB over 5.8–20.7 Mbit/s uplinks is 0.2–0.7 s per hop; a compact block is ~2 kB.
    assert!(compact < 0.6 * full, "compact {compact} s vs full {full} s");
    // Same bytes on every link, same events: the whole summary matches (compared as text,
    // since undefined statistics are NaN).
    let text = |o: unchained::metrics::RunOutput| format!("{:?}", o.summary);
    assert_eq!(text(run("compact", 1.0)), text(run("full", 0.0)));
}
