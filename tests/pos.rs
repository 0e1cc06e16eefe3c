//! Gasper finality timing (target T19). With full participation and a network much faster
//! than a slot, the checkpoint of epoch e is justified at the end of e and finalized at the
//! end of e + 1: exactly two epochs after the epoch's first slot. A transaction created during
//! slot j of an epoch (0-based) enters the block of slot j + 1 and settles with the next
//! checkpoint, so its finality latency lies in (2, 3] epochs and, with readings uniform in
//! time, averages (Σ_{j<S−1} (3E − (j + ½)σ) + 2E + ½σ) / S = 2.5 epochs (E = S·σ).

mod common;

use unchained::consensus::pos::{Node, Pos};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

/// Runs `text` with the PoS protocol value, resuming pool scans or (`rescan`) not.
fn run_pos(text: &str, rescan: bool) -> (RunOutput, Vec<Node>) {
    let s = common::scenario(text);
    let Consensus::Pos(p) = &s.consensus else {
        panic!("not pos")
    };
    let pos = Pos::new(p, s.validators.count as u32, s.seed).recording();
    let pos = if rescan { pos.rescanning() } else { pos };
    let (out, _, nodes) = run_with(&s, pos, &Progress::hidden()).expect("runs");
    (out, nodes)
}

fn run(slot_s: f64, slots: u32, offline: f64, duration_s: f64, validators: u32) -> RunOutput {
    let s = common::scenario(&format!(
        "
seed: 5
duration_s: {duration_s}
devices:
  - count: 200
    workload: {{ model: poisson, rate_per_s: {rate} }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1.0e12 }}
gateways: {{ count: 4, backhaul_bps: 1.0e12 }}
validators: {{ count: {validators} }}
network:
  latency: {{ model: constant, one_way_ms: 5, bandwidth_bps: 1.0e9 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus:
  protocol: pos
  slot_s: {slot_s}
  slots_per_epoch: {slots}
  offline_stake: {offline}
",
        rate = 0.5 / slot_s,
    ));
    common::run(&s)
}

fn check_full_participation(out: &RunOutput, slot_s: f64, slots: u32) {
    let epoch = slot_s * slots as f64;
    let m = |k| common::metric(out, k);
    // Every checkpoint at every node: exactly two epochs.
    assert_eq!(m("checkpoint_finality_min_s"), 2.0 * epoch);
    assert_eq!(m("checkpoint_finality_max_s"), 2.0 * epoch);
    assert!(
        m("tx_finality_min_s") > 2.0 * epoch,
        "{}",
        m("tx_finality_min_s")
    );
    // Readings reach their validator within milliseconds; one slot of slack covers that.
    assert!(m("tx_finality_max_s") <= 3.0 * epoch + slot_s * 0.01);
    let mean = m("settlement_mean_s");
    assert!(
        (mean / epoch - 2.5).abs() < 0.05,
        "mean {mean} s = {} epochs",
        mean / epoch
    );
    assert!(out.conservation.settled > 1000, "{:?}", out.conservation);
    assert_eq!(m("slots_missed"), 0.0);
}

#[test]
fn short_slots_finalize_two_epochs_after_the_checkpoint() {
    let out = run(1.0, 4, 0.0, 400.0, 24);
    check_full_participation(&out, 1.0, 4);
}

#[test]
fn mainnet_timing_finalizes_after_768_seconds() {
    let out = run(12.0, 32, 0.0, 4.0 * 3600.0, 16);
    assert_eq!(common::metric(&out, "checkpoint_finality_max_s"), 768.0);
    check_full_participation(&out, 12.0, 32);
}

#[test]
fn less_than_two_thirds_online_never_finalizes() {
    let out = run(1.0, 4, 0.34, 200.0, 50);
    assert_eq!(out.conservation.settled, 0);
    assert_eq!(common::metric(&out, "finalized_epoch"), 0.0);
    assert!(out.conservation.pending_in_block > 0);
    assert!(common::metric(&out, "slots_missed") > 0.0);
}

#[test]
fn just_over_two_thirds_online_still_finalizes() {
    // 70 % online is a supermajority. An epoch whose own included votes fall short at its end
    // (the last slot's votes, and those waiting behind empty slots of offline proposers, are
    // included only in the next epoch) is justified one epoch late and finalized at the end
    // of e + 2 instead: checkpoint finality is then two or three epochs, never more.
    let out = run(1.0, 32, 0.30, 400.0, 100);
    assert!(out.conservation.settled > 0);
    assert_eq!(common::metric(&out, "checkpoint_finality_min_s"), 64.0);
    assert!(common::metric(&out, "checkpoint_finality_max_s") <= 96.0);
}

/// Proposers resume their pool scan where their last proposal found the first transaction
/// their chain lacked, instead of rescanning everything awaiting finality (quadratic while
/// finality stalls). On forking networks (slots of 0.3–1 s over the SimBlock regions with
/// jitter, crashes, a partition, loss) with full 4,000-byte blocks, so that competing branches
/// carry different transactions, every output file equals a full rescan's. Fails if a scan
/// resumes after its proposer switched branches, or after the pool renumbered its entries.
#[test]
fn resumed_pool_scans_equal_full_rescans() {
    let mut stale = 0.0;
    for (seed, slot) in [(3, 0.3), (4, 0.5), (5, 1.0)] {
        let text = format!(
            "
seed: {seed}
duration_s: 600
validators: {{ count: 20 }}
devices: [ {{ count: 100, workload: {{ model: poisson, rate_per_s: 0.3 }} }} ]
network: {{ jitter: pareto }}
consensus: {{ protocol: pos, slot_s: {slot}, slots_per_epoch: 4, max_block_bytes: 4000 }}
faults:
  crashes: [ {{ random: 3, at_s: 100, recover_s: 400 }} ]
  partitions: [ {{ split: 0.4, from_s: 200, to_s: 260 }} ]
  links: {{ loss: 0.03 }}
"
        );
        let (resumed, _) = run_pos(&text, false);
        let (full, _) = run_pos(&text, true);
        stale += common::metric(&resumed, "blocks_stale");
        let (a, b) = (
            common::output_files(&resumed, &format!("pos-resumed-{seed}")),
            common::output_files(&full, &format!("pos-full-{seed}")),
        );
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (name, bytes) in &a {
            assert!(bytes == &b[name], "seed {seed}: {name} differs");
        }
    }
    assert!(
        stale > 50.0,
        "the runs must fork for this to test reorgs: {stale}"
    );
}

/// 8 of 20 equal validators (40 % of stake) down from 1,000 s to 3,000 s of 7,200 s (12 s
/// slots, 32-slot epochs): nothing finalizes meanwhile; after the restart the crashed
/// validators propose and attest again, catch up the epochs they did not process from their
/// chain, and every validator finalizes to within 3 epochs of the end with the same
/// checkpoints. Their slots count as missed: about 40 % of the outage's 167.
#[test]
fn restarted_validators_resume_their_duties_and_finality_returns() {
    for seed in [4, 5] {
        let (out, nodes) = run_pos(
            &format!(
                "
seed: {seed}
duration_s: 7200
validators: {{ count: 20 }}
devices: [ {{ count: 50, workload: {{ model: poisson, rate_per_s: 0.01 }} }} ]
consensus: {{ protocol: pos }}
faults: {{ crashes: [ {{ nodes: [0, 1, 2, 3, 4, 5, 6, 7], at_s: 1000, recover_s: 3000 }} ] }}
"
            ),
            false,
        );
        let m = |k| common::metric(&out, k);
        assert_eq!(m("blocks_mined") + m("slots_missed"), m("slots"));
        assert!(
            (40.0..95.0).contains(&m("slots_missed")),
            "{}",
            m("slots_missed")
        );
        let last_epoch = 7200 / 384;
        for (v, n) in nodes.iter().enumerate() {
            let top = n.finalized().keys().max().copied().unwrap_or(0);
            assert!(
                top + 3 >= last_epoch,
                "seed {seed}: validator {v} finalized only {top}"
            );
        }
        let logs: Vec<_> = nodes.iter().map(|n| n.finalized()).collect();
        if let Err(e) = common::agree(&logs) {
            panic!("seed {seed}: {e}");
        }
        let c = &out.conservation;
        assert!(c.settled as f64 > 0.8 * c.created as f64, "{c:?}");
    }
}
