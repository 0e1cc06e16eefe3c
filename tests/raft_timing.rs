//! Raft election timing knobs: a fixed timeout range per node elects exactly when the closed
//! form says, identical fixed timeouts never elect, and the `leaders` table carries the times.

mod common;

use unchained::metrics::{LeaderRow, RunOutput};

/// Three orderers 10 ms apart (no processing, no transfer time), heartbeats every 100 ms, the
/// election timeout from 1000 ms to `max_ms` taken as `spread`; `faults` appended.
fn run(max_ms: f64, spread: &str, duration: f64, faults: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 1
duration_s: {duration}
gateways: {{ count: 0 }}
validators: {{ count: 3 }}
network:
  latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1e15 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus:
  protocol: raft
  orderers: 3
  election_timeout_ms: 1000
  election_timeout_max_ms: {max_ms}
  election_timeout_spread: {spread}
  heartbeat_ms: 100
{faults}"
    )))
}

fn leaders(out: &RunOutput) -> &[LeaderRow] {
    out.leaders.as_deref().expect("raft writes a leaders table")
}

/// Checks that `rows` has `count` rows, the last an election of `node` in `term` at `at_s`.
fn last_elected(rows: &[LeaderRow], count: usize, term: u64, node: u32, at_s: f64) {
    assert_eq!(rows.len(), count, "{rows:?}");
    let r = &rows[count - 1];
    assert_eq!(
        (r.event, r.term, r.node),
        ("elected", term, node),
        "{rows:?}"
    );
    assert!((r.at_s - at_s).abs() < 1e-6, "{rows:?}");
}

#[test]
fn timeouts_fixed_per_node_elect_as_the_closed_form_says() {
    // Orderer i of 3 waits 1000 + 600 · i / 3 ms: 1000, 1200, 1400. Orderer 0 times out first
    // and wins after one round trip (d = 10 ms): elected at 1.000 + 2d = 1.020 s, term 1.
    last_elected(leaders(&run(1600.0, "by_node", 4.0, "")), 1, 1, 0, 1.02);

    // The leader crashes at 5.0 s. Its heartbeats left at 1.02 + 0.1 k, the last at 4.92,
    // and reached the followers at 4.93; orderer 1 (1200 ms) times out first, at 6.13, and
    // is elected one round trip later, at 6.15 s, in term 2.
    let crash = "faults:\n  crashes: [ { nodes: [0], at_s: 5 } ]";
    let out = run(1600.0, "by_node", 10.0, crash);
    last_elected(leaders(&out), 2, 2, 1, 6.15);
    assert_eq!(common::metric(&out, "raft_leader_changes"), 1.0);
}

#[test]
fn identical_fixed_timeouts_split_every_vote() {
    // Every orderer times out together each second, votes for itself and refuses the others:
    // no leader ever, and each term lasts exactly one timeout.
    let out = run(1000.0, "random", 10.5, "");
    assert!(leaders(&out).is_empty(), "{:?}", leaders(&out));
    assert_eq!(common::metric(&out, "raft_final_term"), 10.0);
    // Drawn from [1000, 2000) ms instead, the same orderers elect a leader.
    let out = run(2000.0, "random", 10.5, "");
    assert_eq!(leaders(&out)[0].event, "elected");
}
