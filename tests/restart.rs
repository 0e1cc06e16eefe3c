//! Every family after a restart. Two of four validators (beyond what any BFT family tolerates,
//! and half the hash power) are down from 100 s to 200 s of 600 s. The families that need a
//! quorum settle nothing meanwhile; after the restart every family settles again within 30 s
//! and keeps up with the load: what was created from 220 s to 540 s is matched by what
//! settled from 230 s on, and for the quorum families no 10 s window from 230 s on is without
//! a settlement. Restarted validators must pick up their timers, their view, slot
//! or ledger and their peers' progress; each of those, missing, once stalled a family here
//! for minutes or for good (PoS, XRP Ledger, HotStuff, and Nakamoto's lost hash power).

mod common;

use unchained::metrics::RunOutput;

const FAMILIES: [(&str, bool); 9] = [
    ("pbft", true),
    ("hotstuff", true),
    ("tendermint", true),
    ("xrpl", true),
    ("raft, orderers: 3, endorsers: 1", true),
    ("notary", true),
    ("pos, slot_s: 1, slots_per_epoch: 4", true),
    (
        "tangle, confirmation: { model: milestones, interval_s: 10 }",
        true,
    ),
    ("nakamoto, block_interval_s: 10, confirmations: 2", false),
];

fn run(consensus: &str, seed: u64) -> RunOutput {
    run_with(
        consensus,
        seed,
        4,
        "{ crashes: [ { nodes: [0, 1], at_s: 100, recover_s: 200 } ] }",
    )
}

fn run_with(consensus: &str, seed: u64, validators: u32, faults: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: {seed}
duration_s: 600
validators: {{ count: {validators} }}
devices: [ {{ count: 40, workload: {{ model: poisson, rate_per_s: 0.05 }} }} ]
gateways: {{ count: {validators} }}
consensus: {{ protocol: {consensus} }}
faults: {faults}
metrics: {{ window_s: 10 }}
"
    )))
}

/// Transactions per window summed over the windows starting in `[from, to)`.
fn total(
    out: &RunOutput,
    from: f64,
    to: f64,
    rate: fn(&unchained::metrics::TimeseriesRow) -> f64,
) -> f64 {
    out.timeseries
        .iter()
        .filter(|r| (from..to).contains(&r.window_start_s))
        .map(|r| rate(r) * (r.window_end_s - r.window_start_s))
        .sum()
}

/// Checks that settlement restarts in a window starting between `at` and `by`, and that no
/// window from `steady` on (to the last full one) is without a settlement.
fn assert_resumes(out: &RunOutput, label: &str, at: f64, by: f64, steady: Option<f64>) {
    let resumed = out
        .timeseries
        .iter()
        .find(|r| r.window_start_s >= at && r.settled_tx_per_s > 0.0)
        .map(|r| r.window_start_s);
    assert!(
        resumed.is_some_and(|t| t <= by),
        "{label}: settled again from {resumed:?}"
    );
    if let Some(from) = steady {
        let gap = out
            .timeseries
            .iter()
            .find(|r| (from..590.0).contains(&r.window_start_s) && r.settled_tx_per_s == 0.0);
        assert!(gap.is_none(), "{label}: nothing settled in {gap:?}");
    }
}

#[test]
fn every_family_settles_again_soon_after_a_restart() {
    for (consensus, needs_quorum) in FAMILIES {
        for seed in [2, 3] {
            let out = run(consensus, seed);
            let name = consensus.split(',').next().unwrap();
            assert!(out.conservation.holds(), "{name} seed {seed}");
            let settled = |from, to| total(&out, from, to, |r| r.settled_tx_per_s);
            if needs_quorum {
                assert_eq!(
                    settled(110.0, 200.0),
                    0.0,
                    "{name} seed {seed}: settled while down"
                );
            }
            let label = format!("{name} seed {seed}");
            assert_resumes(&out, &label, 200.0, 220.0, needs_quorum.then_some(230.0));
            let created = total(&out, 220.0, 540.0, |r| r.created_tx_per_s);
            assert!(
                settled(230.0, 600.0) >= 0.95 * created,
                "{name} seed {seed}: {} settled from 230 s, {created} created 220–540 s",
                settled(230.0, 600.0)
            );
        }
    }
}

/// Seven validators split 4 / 3 from 100 s to 250 s: no side holds a BFT quorum, and each side
/// backs its view or round timers off for 150 s. Once the split heals every family but
/// Nakamoto (which never stops) settles again within 50 s (all but Tendermint at once; Tendermint's rounds, whose timeouts grow
/// with the round, take 40 s), and from 310 s on no 10 s window is without a settlement.
/// PBFT took 230 s and HotStuff 100 s while their view changes were sent only when a
/// backed-off timer expired.
#[test]
fn every_family_settles_again_soon_after_a_split_heals() {
    let split = "{ partitions: [ { split: 0.5, from_s: 100, to_s: 250 } ] }";
    for (consensus, needs_quorum) in FAMILIES {
        if !needs_quorum {
            continue;
        }
        for seed in [2, 3] {
            let out = run_with(consensus, seed, 7, split);
            let name = consensus.split(',').next().unwrap();
            assert!(out.conservation.holds(), "{name} seed {seed}");
            assert_resumes(
                &out,
                &format!("{name} seed {seed}"),
                250.0,
                300.0,
                Some(310.0),
            );
        }
    }
}
