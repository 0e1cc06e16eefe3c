//! Fabric-style Raft ordering and Gasper proof of stake release what no validator can still
//! read, so what they hold at once follows the work in flight, not the simulated time.

mod common;

/// Pay-per-use channels on four validators for `duration_s` on `consensus`, under `faults`.
fn channels(duration_s: u32, consensus: &str, faults: &str) -> unchained::scenario::Scenario {
    common::scenario(&common::channels_yaml(duration_s, consensus, faults))
}

/// Over four times the simulated time, `(most held at once, work done)` of the long run
/// against the short one: at least three times the work (and `min_done` in the short run) and
/// no more held than 1.5 times plus 20.
fn flat(short: (usize, u64), long: (usize, u64), min_done: u64) -> bool {
    let ((short_held, short_done), (long_held, long_done)) = (short, long);
    assert!(
        long_done > 3 * short_done && short_done > min_done,
        "{long_done} vs {short_done} done"
    );
    long_held as f64 <= 1.5 * short_held as f64 + 20.0
}

/// The most ordering state Raft held at once (log entries, committed heights, blocks, open
/// `blocks` rows), and the entries committed.
fn raft_held(duration_s: u32, faults: &str, keep_all: bool) -> (usize, u64) {
    let (_, held, committed) = raft_run(duration_s, faults, keep_all);
    (held, committed)
}

fn raft_run(
    duration_s: u32,
    faults: &str,
    keep_all: bool,
) -> (unchained::metrics::RunOutput, usize, u64) {
    use unchained::consensus::raft::Raft;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let s = channels(
        duration_s,
        "{ protocol: raft, batch_timeout_ms: 500 }",
        faults,
    );
    let Consensus::Raft(p) = &s.consensus else {
        unreachable!("raft")
    };
    let raft = Raft::new(p, s.validators.count as u32);
    let raft = if keep_all { raft.keep_all() } else { raft };
    let (out, raft, nodes) = run_with(&s, raft, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    let committed = nodes.iter().map(|n| n.commit).max().unwrap_or(0);
    (out, raft.peak_held(), committed)
}

/// Blocks, log entries and committed heights go once every node that can still run has
/// committed `KEEP` (128) entries past them: what is held at once is those entries at each
/// node and the entries in flight, whatever the length of the run, with every node up or
/// with peer 3 down for good after a minute (it then holds nothing back). Kept for the whole
/// run, as before, each orderer holds its whole log and each peer every height it committed:
/// several entries per height, growing with the run, and the same bound fails.
#[test]
fn raft_ordering_state_is_released_once_every_live_node_committed_past_it() {
    for faults in ["", "crashes: [{ nodes: [3], at_s: 60 }]"] {
        let short = raft_held(600, faults, false);
        let long = raft_held(2400, faults, false);
        eprintln!("{faults:?}: 600 s: {short:?} (held at most, entries); 2400 s: {long:?}");
        assert!(
            flat(short, long, 500),
            "{faults:?}: {short:?} then {long:?}"
        );
    }
    let short = raft_held(600, "", true);
    let long = raft_held(2400, "", true);
    eprintln!("kept whole: 600 s: {short:?}; 2400 s: {long:?}");
    assert!(
        !flat(short, long, 500),
        "kept whole: {short:?} then {long:?}"
    );
}

/// Releasing changes nothing a run reports, under the faults that leave nodes behind and
/// messages stale: link loss all through, an orderer crashed for five minutes (the floor waits
/// for it, then rises by hundreds of entries at once), peer 3 cut off for five.
#[test]
fn raft_release_changes_no_output_under_faults() {
    let faults = "links: { loss: 0.05 }, crashes: [{ nodes: [1], at_s: 300, recover_s: 600 }], \
                  partitions: [{ groups: [[3]], from_s: 1200, to_s: 1500 }]";
    let (released, held, committed) = raft_run(2400, faults, false);
    let (kept, held_whole, _) = raft_run(2400, faults, true);
    eprintln!("{held} held at most, {held_whole} kept whole; {committed} entries");
    assert!(committed > 2000 && held_whole > 4 * held);
    let (a, b) = (
        common::output_files(&released, "released"),
        common::output_files(&kept, "kept"),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs when every block is kept");
    }
}

/// What Gasper holds at the end of `duration_s` (attestations, blocks' lists of them,
/// transaction references in blocks' lists, blocks' kinds kept for execution, and, recording,
/// the validators' finalized checkpoints), and the epochs finalized; one-second slots, four
/// per epoch, validators executing on two cores when `execution`.
fn pos_held(duration_s: u32, faults: &str, recording: bool, execution: bool) -> (usize, u64) {
    use unchained::consensus::pos::Pos;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let consensus = "{ protocol: pos, slot_s: 1, slots_per_epoch: 4 }";
    let mut text = common::channels_yaml(duration_s, consensus, faults);
    if execution {
        text = text.replace(
            "validators: { count: 4 }",
            "validators: { count: 4, execution: { cores: 2 } }",
        );
    }
    let s = common::scenario(&text);
    let Consensus::Pos(p) = &s.consensus else {
        unreachable!("pos")
    };
    let pos = Pos::new(p, s.validators.count as u32, s.seed);
    let pos = if recording { pos.recording() } else { pos };
    let (out, pos, nodes) = run_with(&s, pos, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    let finalized: usize = nodes.iter().map(|n| n.finalized().len()).sum();
    (
        pos.held() + finalized,
        common::metric(&out, "finalized_epoch") as u64,
    )
}

/// Attestations go once every validator that can still run has processed the epoch after
/// the one they could be included in, blocks' lists of them one epoch later, and a block's
/// transaction list once every live validator settled from it: what is held is a few epochs'
/// attestations and the blocks not yet finalized everywhere, whatever the length of the run,
/// with all four validators up or with validator 3 down for good after a minute (its own
/// transactions never settle, and the lists no longer wait for it). Executing, a block's
/// kinds go once every live validator holds it. Kept for the whole run, as before, every
/// attestation (one per validator and epoch), every block's list and every finalized
/// checkpoint of every validator stay, with validator 3 down every block's transactions, and
/// executing every block's kinds: the same bound fails.
#[test]
fn pos_attestations_and_block_lists_are_released_once_no_live_validator_reads_them() {
    for execution in [false, true] {
        for faults in ["", "crashes: [{ nodes: [3], at_s: 60 }]"] {
            let short = pos_held(600, faults, false, execution);
            let long = pos_held(2400, faults, false, execution);
            eprintln!(
                "{faults:?}, executing {execution}: 600 s: {short:?} (held, epochs finalized); \
                 2400 s: {long:?}"
            );
            assert!(
                flat(short, long, 100),
                "{faults:?}, executing {execution}: {short:?} then {long:?}"
            );
        }
    }
}
