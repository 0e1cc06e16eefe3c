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
    // reference (32 + 4), the consuming transaction's id (32), a signature (64).
    let out = run("notary");
    assert!(out.blocks.is_empty());
    // Signed: settled, or signed with the signature still on its way to the parties.
    let signed = (out.conservation.settled + out.conservation.pending_in_block) as f64;
    assert!(signed > 0.0);
    let per_day = common::metric(&out, "storage_bytes_per_day_per_replica");
    assert_eq!(per_day, signed * 132.0 * 86_400.0 / 60.0);
}
