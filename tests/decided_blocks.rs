//! The families that decide batches fill `blocks` like the chains do, so block-level analyses
//! work for every family, and the ledger's growth per day is the blocks' bytes.

mod common;

use unchained::metrics::RunOutput;

const BATCH_FAMILIES: [&str; 4] = [
    "pbft",
    "hotstuff",
    "tendermint",
    "raft, orderers: 3, endorsers: 1",
];

fn run(consensus: &str) -> RunOutput {
    common::run(&common::scenario(&common::bft_yaml(
        4,
        0.5,
        60.0,
        10.0,
        &format!("consensus: {{ protocol: {consensus} }}\n"),
    )))
}

#[test]
fn decided_batches_fill_blocks_and_carry_every_settled_transaction() {
    for family in BATCH_FAMILIES {
        let out = run(family);
        let m = |k| common::metric(&out, k);
        assert!(!out.blocks.is_empty(), "{family}: no blocks");
        let heights: Vec<u32> = out.blocks.iter().map(|b| b.height).collect();
        assert!(heights.windows(2).all(|w| w[0] < w[1]), "{family}");
        let carried: u64 = out.blocks.iter().map(|b| u64::from(b.tx_count)).sum();
        // Every settled transaction sits in a decided batch; a batch decided but not yet
        // executed at the transaction's origin holds pending ones.
        let c = &out.conservation;
        let settled = c.settled as f64;
        assert!(carried as f64 >= settled, "{family}: {carried} < {settled}");
        let pending = (c.pending_in_block + c.pending_in_mempool) as f64;
        assert!(
            carried as f64 <= settled + pending,
            "{family}: {carried} > {settled} + {pending}"
        );
        for b in &out.blocks {
            assert!(
                b.size_bytes >= 250 * u64::from(b.tx_count),
                "{family}: {b:?}"
            );
            assert!(b.miner < 4 && !b.stale, "{family}: {b:?}");
            let (p50, p100) = (b.propagation_50_s, b.propagation_100_s);
            if let (Some(a), Some(c)) = (p50, p100) {
                assert!(0.0 <= a && a <= c, "{family}: {b:?}");
            }
        }
        // With a 10 ms network every replica decides all but the last few batches.
        let everywhere = out.blocks.iter().filter(|b| b.propagation_100_s.is_some());
        assert!(everywhere.count() + 5 >= out.blocks.len(), "{family}");
        if family == "pbft" {
            assert_eq!(out.blocks.len() as f64, m("pbft_decisions"));
        }
    }
}

/// Storage per day and replica is the final chain's block bytes over the days simulated,
/// for the batch families and the chains alike.
#[test]
fn storage_per_day_is_the_block_bytes_over_the_days() {
    let families = BATCH_FAMILIES.iter().copied().chain([
        "pos, slot_s: 1, slots_per_epoch: 4",
        "nakamoto, block_interval_s: 5, confirmations: 2",
        "xrpl",
    ]);
    for family in families {
        let out = run(family);
        let kept: u64 = out
            .blocks
            .iter()
            .filter(|b| !b.stale)
            .map(|b| b.size_bytes)
            .sum();
        assert!(kept > 0, "{family}");
        let per_day = common::metric(&out, "storage_bytes_per_day_per_replica");
        let expected = kept as f64 * 86_400.0 / 60.0;
        assert!(
            (per_day - expected).abs() <= 1e-9 * expected,
            "{family}: {per_day} vs {expected}"
        );
    }
    // The tangle's ledger is its transactions, each a vertex every node stores, and its
    // milestones.
    let out = run("tangle, confirmation: { model: milestones, interval_s: 5 }");
    let milestones: u64 = out.blocks.iter().map(|b| b.size_bytes).sum();
    assert!(milestones > 0);
    let txs = common::metric(&out, "tx_reached_validator") * 250.0;
    let per_day = common::metric(&out, "storage_bytes_per_day_per_replica");
    assert_eq!(per_day, (txs + milestones as f64) * 86_400.0 / 60.0);
    // A notary member keeps a uniqueness log, 132 bytes per signed transaction: a state
    // reference (32 + 4), the consuming transaction's id (32), a signature (64); each record
    // is a row of `blocks`.
    for cluster in NOTARY_CLUSTERS {
        let out = run(&format!("notary, cluster: {cluster}"));
        // Signed: settled, or signed with the signature still on its way to the parties.
        let signed = (out.conservation.settled + out.conservation.pending_in_block) as f64;
        assert!(signed > 0.0);
        let per_day = common::metric(&out, "storage_bytes_per_day_per_replica");
        assert_eq!(per_day, signed * 132.0 * 86_400.0 / 60.0, "{cluster}");
        let kept: u64 = out.blocks.iter().map(|b| b.size_bytes).sum();
        assert_eq!(per_day, kept as f64 * 86_400.0 / 60.0, "{cluster}");
    }
}

const NOTARY_CLUSTERS: [&str; 3] = [
    "{ model: single }",
    "{ model: raft, nodes: 3 }",
    "{ model: bft, faults: 1 }",
];

/// The notary decides transactions one by one: a row per signed transaction, the cluster's
/// members applying it in order of height.
#[test]
fn notary_rows_are_its_signed_transactions() {
    for cluster in NOTARY_CLUSTERS {
        let members = match cluster {
            "{ model: single }" => 1,
            "{ model: raft, nodes: 3 }" => 3,
            _ => 4,
        };
        let out = run(&format!(
            "notary, cluster: {cluster}, double_spend_share: 0.2"
        ));
        let m = |k| common::metric(&out, k);
        assert!(m("double_spend_rejected") > 0.0, "{cluster}");
        assert_eq!(out.blocks.len() as f64, m("notary_signed"), "{cluster}");
        let c = &out.conservation;
        let carried: u64 = out.blocks.iter().map(|b| u64::from(b.tx_count)).sum();
        let pending = c.pending_in_block + c.pending_in_mempool;
        assert!(
            c.settled <= carried && carried <= c.settled + pending,
            "{cluster}: {carried} rows, {} settled, {pending} pending",
            c.settled
        );
        let heights: Vec<u32> = out.blocks.iter().map(|b| b.height).collect();
        assert!(heights.windows(2).all(|w| w[0] < w[1]), "{cluster}");
        for b in &out.blocks {
            assert!(b.miner < members && !b.stale, "{cluster}: {b:?}");
            let reach = [b.propagation_50_s, b.propagation_90_s, b.propagation_100_s];
            assert!(reach[0].is_some(), "{cluster}: {b:?}");
            let known: Vec<f64> = reach.iter().flatten().copied().collect();
            assert!(
                known.windows(2).all(|w| 0.0 <= w[0] && w[0] <= w[1]),
                "{b:?}"
            );
            // Every member applies within a few 10 ms round trips and a heartbeat, or (PBFT
            // backups) with the leader's next pre-prepare, 20 requests a second.
            assert!(known.iter().all(|&x| x < 2.0), "{cluster}: {b:?}");
        }
        let everywhere = out.blocks.iter().filter(|b| b.propagation_100_s.is_some());
        assert!(everywhere.count() + 3 >= out.blocks.len(), "{cluster}");
    }
}

/// A raft member crashed for good never applies what is decided after: those rows reach a
/// majority of the members, never all of them.
#[test]
fn notary_rows_after_a_member_crash_never_reach_every_member() {
    let out = common::run(&common::scenario(&common::bft_yaml(
        4,
        0.5,
        60.0,
        10.0,
        "consensus: { protocol: notary, cluster: { model: raft, nodes: 3 } }\n\
         faults: { crashes: [{ nodes: [2], at_s: 30 }] }\n",
    )));
    let (before, after): (Vec<_>, Vec<_>) = out.blocks.iter().partition(|b| b.mined_at_s < 29.0);
    assert!(before.len() > 10 && after.len() > 10);
    assert!(before.iter().all(|b| b.propagation_100_s.is_some()));
    // Decided after the crash, before the last follower heartbeat of the run.
    let late = after
        .iter()
        .filter(|b| b.mined_at_s > 31.0 && b.mined_at_s < 59.0);
    assert!(late.clone().count() > 10);
    assert!(late.clone().all(|b| b.propagation_100_s.is_none()));
    assert!(late.clone().all(|b| b.propagation_50_s.is_some()));
    assert_eq!(
        out.blocks.len() as f64,
        common::metric(&out, "notary_signed")
    );
}
