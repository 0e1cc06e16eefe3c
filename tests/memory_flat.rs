//! State that outlives a transaction is released once it can no longer matter, so memory
//! follows the unsettled work, not the simulated time.

mod common;

fn run(duration_s: u32) -> (f64, f64) {
    let s = common::scenario(&format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 5000, workload: {{ model: periodic, interval_s: 60 }} }}
gateways: {{ count: 20 }}
validators: {{ count: 30 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 3 }}
"
    ));
    let out = common::run(&s);
    (
        common::metric(&out, "retained_block_tx"),
        out.conservation.settled as f64,
    )
}

#[test]
fn block_contents_are_released_after_settlement() {
    let (short_kept, short_settled) = run(3600);
    let (long_kept, long_settled) = run(7200);
    assert!(
        long_settled > 1.8 * short_settled,
        "{long_settled} vs {short_settled}"
    );
    // Only the last few blocks (not yet settled everywhere, or stale) keep their lists:
    // about confirmations × block size, whatever the length of the run.
    assert!(
        long_kept < 1.3 * short_kept + 1000.0,
        "{long_kept} vs {short_kept}"
    );
    assert!(
        long_kept < 0.1 * long_settled,
        "{long_kept} of {long_settled} retained"
    );
}
