//! PBFT and HotStuff view changes in the `leaders` table, at the times the closed forms give.

mod common;

use unchained::metrics::{LeaderRow, RunOutput};

/// Four replicas 10 ms apart (no processing, no transfer time), a 1000 ms view timeout, and
/// one device whose single registration leaves at exactly 6 s (its next reading waits 1000 s);
/// `faults` appended.
fn run(protocol: &str, seed: u32, faults: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: {seed}
duration_s: 12
devices:
  - count: 1
    workload: {{ model: registration, start_s: 6, spread_s: 0, interval_s: 1000 }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e15 }}
gateways: {{ count: 4, backhaul_bps: 1e15 }}
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1e15 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: {protocol}, view_timeout_ms: 1000 }}
{faults}"
    )))
}

fn leaders(out: &RunOutput) -> &[LeaderRow] {
    out.leaders
        .as_deref()
        .expect("pbft and hotstuff write a leaders table")
}

#[test]
fn a_view_change_after_a_primary_crash_is_a_row_at_the_closed_form_time() {
    // Seeds 1 and 5 attach the device to a gateway of replica 2 and 3 (checked below: the
    // request settles, at neither replica 0 nor 1). Its request reaches that origin o at t_r = 6 + d (d = 10 ms). o forwards
    // it to the crashed primary and starts its timer: at t_r + T (T = 1 s) it moves to view 1
    // and multicasts the request; f + 1 = 2 view changes are needed to join, so the two other
    // live replicas wait for their own timers, started on that multicast at t_r + T + d and
    // firing at t_r + 2T + d. Replica 1, the primary of view 1, then holds its own VIEW-CHANGE
    // and o's, and the third arrives d later: q = 3, NEW-VIEW at t_r + 2T + 2d = 8.03 s.
    let crash = "faults:\n  crashes: [ { nodes: [0], at_s: 5 } ]";
    for (seed, origin) in [(1, 2), (5, 3)] {
        let out = run("pbft", seed, crash);
        assert_eq!(out.conservation.settled, 1, "seed {seed}");
        assert_eq!(
            out.nodes[origin].settled_tx, 1,
            "seed {seed}: origin {origin}"
        );
        let rows = leaders(&out);
        assert_eq!(rows.len(), 1, "seed {seed}: {rows:?}");
        let r = &rows[0];
        assert_eq!((r.event, r.term, r.node), ("view_change", 1, 1), "{rows:?}");
        assert!((r.at_s - 8.03).abs() < 1e-6, "seed {seed}: {rows:?}");
    }

    // Without the crash the primary of view 0 leads throughout: the table is empty.
    assert!(leaders(&run("pbft", 1, "")).is_empty());
}

#[test]
fn a_hotstuff_view_change_past_a_crashed_leader_is_a_row_at_the_closed_form_time() {
    // Replica 1 leads view 1 (the first) and crashes at 5 s, before any request exists. The
    // origin o (replica 2 or 3, as above) learns the request at t_r = 6 + d and multicasts it;
    // the others learn it at t_r + d. Each times out T after learning it and sends NEW-VIEW for
    // view 2: o at t_r + T, the others at t_r + T + d. Replica 2, leader of view 2, holds q = 3
    // of them once the last sent arrives, at t_r + T + 2d = 7.03 s, and proposes.
    let crash = "faults:\n  crashes: [ { nodes: [1], at_s: 5 } ]";
    for (seed, origin) in [(1, 2), (5, 3)] {
        let out = run("hotstuff", seed, crash);
        assert_eq!(out.conservation.settled, 1, "seed {seed}");
        assert_eq!(
            out.nodes[origin].settled_tx, 1,
            "seed {seed}: origin {origin}"
        );
        let rows = leaders(&out);
        let r = &rows[0];
        assert_eq!((r.event, r.term, r.node), ("view_change", 2, 2), "{rows:?}");
        assert!((r.at_s - 7.03).abs() < 1e-6, "seed {seed}: {rows:?}");
        // Later rows (views whose leader is the crashed replica are skipped the same way)
        // come in time order, each led by its view's leader, never the crashed one.
        for w in rows.windows(2) {
            assert!(w[0].at_s <= w[1].at_s && w[0].term < w[1].term, "{rows:?}");
        }
        for r in rows {
            assert_eq!(u64::from(r.node), r.term % 4, "{rows:?}");
            assert_ne!(r.node, 1, "{rows:?}");
        }
    }
    assert!(leaders(&run("hotstuff", 1, "")).is_empty());
}
