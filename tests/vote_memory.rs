//! The vote bookkeeping of a 1,000-validator PBFT run stays within a bound set by the
//! protocol's timing, not by how long it runs (issue 19).
//!
//! Keys are released when a replica executes their sequence number, so a replica holds the
//! keys of the sequence numbers in flight: each needs at most `3 · (d + p) + t` to decide (a
//! pre-prepare, a prepare and a commit hop of one-way latency `d`, processing `p` and a batch's
//! transfer time `t`), and the primary opens one every `b` (`batch_timeout_ms`: batches stay
//! below `batch_max_tx` here), so at most `s = ⌈(3 · (d + p) + t) / b⌉ + 1` are in flight, each
//! with two keys (prepare and commit). Each key costs one entry of `quorum::Tally`, so the
//! whole run's bound is `n · 2s · entry` bytes.

mod common;

use unchained::bench::run_counting_votes;

const N: u32 = 1000;
const ONE_WAY_MS: f64 = 50.0;
const BANDWIDTH_BPS: f64 = 1e9;
const PROCESSING_MS: f64 = 2.0;
const BATCH_MS: f64 = 200.0;
const BATCH_MAX_TX: f64 = 500.0;
const TX_BYTES: f64 = 100.0;

fn pbft(duration_s: u32) -> unchained::scenario::Scenario {
    common::scenario(&format!(
        "name: vote-memory
seed: 3
duration_s: {duration_s}
devices:
  - name: meters
    count: 1000
    connectivity: {{ model: always_on }}
    workload: {{ model: periodic, interval_s: 10, jitter_s: 1 }}
    tx_bytes: {TX_BYTES}
gateways: {{ count: 10, batch_interval_ms: 250 }}
validators: {{ count: {N} }}
network:
  latency: {{ model: constant, one_way_ms: {ONE_WAY_MS}, bandwidth_bps: {BANDWIDTH_BPS} }}
  topology: {{ model: full_mesh }}
  processing_ms: {PROCESSING_MS}
consensus: {{ protocol: pbft, batch_max_tx: {BATCH_MAX_TX}, batch_timeout_ms: {BATCH_MS}, view_timeout_ms: 2000 }}
"
    ))
}

#[test]
fn pbft_vote_state_of_a_thousand_validators_is_bounded_and_does_not_grow() {
    let transfer_ms = BATCH_MAX_TX * TX_BYTES * 8.0 / BANDWIDTH_BPS * 1e3;
    let decide_ms = 3.0 * (ONE_WAY_MS + PROCESSING_MS) + transfer_ms;
    let in_flight = (decide_ms / BATCH_MS).ceil() as usize + 1;
    let keys = 2 * in_flight;
    // (seq, view, batch, phase) and its counter, as `Tally` stores them, plus a free-list slot.
    let entry = 24 + 8 + 4;
    let bound = N as usize * keys * entry;
    let mut decisions = Vec::new();
    for duration_s in [2, 3] {
        let (out, usage) = run_counting_votes(&pbft(duration_s)).unwrap();
        let decided = out.metric("pbft_decisions").unwrap();
        assert!(
            usage.peak_keys <= keys,
            "{duration_s} s: a replica held {} keys, bound {keys}",
            usage.peak_keys
        );
        assert!(
            usage.peak_bytes <= bound,
            "{duration_s} s: {} bytes at the peaks, bound {bound}",
            usage.peak_bytes
        );
        // What the allocator holds is the peak rounded up by the vectors' doubling.
        assert!(usage.heap_bytes <= 2 * bound, "{usage:?}");
        eprintln!(
            "{duration_s} s: {decided} decisions, {usage:?}, bound {keys} keys {bound} bytes"
        );
        decisions.push(decided);
    }
    assert!(
        decisions[1] >= decisions[0] + 3.0,
        "the longer run decided more: {decisions:?}"
    );
}
