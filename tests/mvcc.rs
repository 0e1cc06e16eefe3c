//! Fabric's MVCC check in the Raft family: transactions whose read of the shared key is stale
//! at validation are dropped as `mvcc_conflict`, more of them the more transactions touch the
//! key, none when none does.

mod common;

use common::metric;
use unchained::metrics::RunOutput;

/// 200 meters, one reading a second each, a share `hot` of them touching the shared key.
fn run(hot: f64) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 5
duration_s: 60
devices:
  - count: 200
    workload: {{ model: periodic, interval_s: 1 }}
    hot_key_share: {hot}
gateways: {{ count: 4 }}
validators: {{ count: 4 }}
network: {{ topology: {{ model: full_mesh }} }}
consensus: {{ protocol: raft, orderers: 3, endorsers: 1, batch_timeout_ms: 500 }}
"
    )))
}

#[test]
fn conflicts_rise_with_the_hot_key_share_and_vanish_without_it() {
    let none = run(0.0);
    assert!(none.metric("raft_mvcc_conflicts").is_none());
    assert_eq!(none.conservation.dropped("mvcc_conflict"), 0);
    let mut last = 0.0;
    for share in [0.01, 0.05, 0.2, 1.0] {
        let out = run(share);
        let conflicts = metric(&out, "raft_mvcc_conflicts");
        let hot = metric(&out, "raft_mvcc_hot_tx");
        // Counted where dropped, and the run's conservation held (it fails otherwise).
        assert_eq!(out.conservation.dropped("mvcc_conflict") as f64, conflicts);
        // About the share of the 12,000 readings touch the key.
        assert!(
            (hot / 12_000.0 - share).abs() < 0.1 * share + 0.005,
            "{share}: {hot}"
        );
        assert!(conflicts > last, "{share}: {conflicts} after {last}");
        // At most one valid write per block of those endorsed against the same version.
        assert!(conflicts < hot, "{share}: {conflicts} of {hot}");
        last = conflicts;
    }
    // Every reading touching the key, about two blocks a second: almost all conflict.
    assert!(last > 0.9 * 12_000.0, "{last}");
}
